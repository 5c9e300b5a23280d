#include <sys/wait.h>

#include <stdarg.h>
#include <stdio.h>

#include "sluice/error.h"

const char *
sluice_strerror(int err)
{
	switch (err) {
	case SLUICE_OK:		return "success";
	case SLUICE_ENOMEM:	return "out of memory";
	case SLUICE_EINVAL:	return "invalid argument";
	case SLUICE_EIO:	return "input/output error";
	case SLUICE_ECRYPTO:	return "cryptographic failure";
	case SLUICE_EFORMAT:	return "malformed input";
	case SLUICE_ENOTFOUND:	return "not found";
	case SLUICE_EEXIST:	return "already exists";
	case SLUICE_EDENIED:	return "permission denied";
	case SLUICE_ESTORE:	return "store failure";
	case SLUICE_ETOOBIG:	return "too large";
	case SLUICE_ESTATE:	return "not allowed in this state";
	case SLUICE_EVERIFY:	return "verification failed";
	case SLUICE_ECONFIG:	return "configuration refused";
	case SLUICE_EPROTO:	return "protocol error";
	case SLUICE_EUSAGE:	return "usage error";
	}
	return "unknown error";
}

int
sluice_why(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return err;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

void
sluice_wait_words(int status, char *out, size_t outlen)
{
	if (WIFSIGNALED(status))
		(void)snprintf(out, outlen, "killed by signal %d",
		    WTERMSIG(status));
	else
		(void)snprintf(out, outlen, "exited with status %d",
		    WEXITSTATUS(status));
}
