/* version.c: the --version line; contract in version.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "sluice/error.h"
#include "sluice/version.h"

#ifndef SLUICE_VERSION
#error "SLUICE_VERSION comes from CMake's project VERSION"
#endif

const char *
sluice_version(void)
{
	return SLUICE_VERSION;
}

int
sluice_version_line(char *out, size_t outlen, const char *tool,
    const char *libssh, const char *store)
{
	int sshlen = (int)strcspn(libssh, "/"), n;

	n = snprintf(out, outlen, "%s %s (libssh %.*s, OpenSSL %s, libsodium %s%s%s)",
	    tool, SLUICE_VERSION, sshlen, libssh,
	    OpenSSL_version(OPENSSL_VERSION_STRING), sodium_version_string(),
	    store != NULL ? ", " : "", store != NULL ? store : "");
	if (n < 0 || (size_t)n >= outlen)
		return SLUICE_ETOOBIG;
	return 0;
}
