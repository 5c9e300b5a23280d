/*
 * getage.h: one released NAME.age, downloaded, decrypted and checked in
 * one pass (sluice get).
 *
 * The file's age header is read first, in the same OPEN as the rest: no
 * stanza for the key stops at once (SLUICE_EDENIED, "no recipient stanza
 * in NIC/NAME.age is for your key"). Then many READs stay in flight, and
 * every chunk, in order, goes to a second thread (handoff.h) that writes it
 * to STATE/NAME.age.part (what a later get resumes from: it is read back
 * and decrypted again first), decrypts and hashes it, and writes its
 * plaintext once to a temporary file in OUT. At
 * the end the SHA-256 must be SHA256SUMS's digest; only then is the
 * plaintext fsynced and renamed to OUT/NAME, and the .part removed. A
 * plaintext that fails is never left behind (nor after SIGINT/SIGTERM,
 * interrupt.h); a .part whose bytes failed authentication is removed, so a
 * new get starts over; any other failure keeps it for resuming.
 */
#ifndef SLUICE_CLIENT_GETAGE_H
#define SLUICE_CLIENT_GETAGE_H

#include <stddef.h>
#include <stdint.h>

#include "sftp_client.h"

struct age_identity;

struct getage_job {
	struct sftp_client		*sftp;
	const struct age_identity	*id;
	const char			*nic;
	const char			*name;		/* NAME.age */
	const char			*plain;		/* NAME */
	const char			*state;		/* OUT/.sluice-partial */
	const char			*outdir;
	uint64_t			 size;		/* as listed */
	const uint8_t			*digest;	/* SHA256SUMS's */
};

/* *plain_len is the plaintext's length once it is in place. */
int getage_run(const struct getage_job *j, uint64_t *plain_len, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* Opens the partial download part at *off: where it ends when resuming
 * (and it is no longer than size), else emptied. */
int getage_open_part(const char *part, int resume, uint64_t size, int *fd,
    uint64_t *off, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
