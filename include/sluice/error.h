/*
 * error.h: the error codes of libsluice and the daemon.
 *
 * Every function that can fail returns 0 on success or one of the negative
 * SLUICE_E* codes below; results travel through out-parameters. Functions that
 * refuse for a reason a user must read also take a `char *why, size_t whylen`
 * buffer and fill it with one line (no trailing newline).
 */
#ifndef SLUICE_ERROR_H
#define SLUICE_ERROR_H

#include <stddef.h>

enum sluice_error {
	SLUICE_OK = 0,
	SLUICE_ENOMEM = -1,	/* out of memory */
	SLUICE_EINVAL = -2,	/* invalid argument or input */
	SLUICE_EIO = -3,	/* read, write or system call failed */
	SLUICE_ECRYPTO = -4,	/* a cryptographic primitive failed */
	SLUICE_EFORMAT = -5,	/* malformed or truncated input */
	SLUICE_ENOTFOUND = -6,	/* no such object */
	SLUICE_EEXIST = -7,	/* object exists already */
	SLUICE_EDENIED = -8,	/* refused by a rule (gate, role, state) */
	SLUICE_ESTORE = -9,	/* the store failed */
	SLUICE_ETOOBIG = -10,	/* over a size limit */
	SLUICE_ESTATE = -11,	/* not allowed in the current state */
	SLUICE_EVERIFY = -12,	/* a signature or MAC did not verify */
	SLUICE_ECONFIG = -13,	/* configuration refused */
	SLUICE_EPROTO = -14,	/* peer broke the protocol */
	SLUICE_EUSAGE = -15,	/* wrong command usage */
};

/* The words for an error code; never NULL. */
const char *sluice_strerror(int err);

/* Fills why with a formatted one-line reason (truncated safely); returns err. */
int sluice_why(char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* How a child ended, from a waitpid status: "exited with status N" or
 * "killed by signal N". */
void sluice_wait_words(int status, char *out, size_t outlen);

#endif
