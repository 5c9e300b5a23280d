/*
 * version.h: the one line each tool prints for --version: the tool, sluice's
 * version (CMake's project VERSION), and the versions of the libraries it
 * runs with, as they report themselves at run time (not the headers it was
 * built against), e.g.
 *   sluiced 0.1.0 (libssh 0.10.6, OpenSSL 3.0.11, libsodium 1.0.18, SQLite 3.40.1)
 */
#ifndef SLUICE_VERSION_H
#define SLUICE_VERSION_H

#include <stddef.h>

/* sluice's own version, "0.1.0". */
const char *sluice_version(void);

/*
 * The line, without a newline, into out. libssh is what ssh_version(0) says
 * ("0.10.6/openssl/zlib": the part before the first '/' is shown); store is
 * "SQLite 3.40.1" for a tool that links the store, else NULL. OpenSSL and
 * libsodium are asked here. SLUICE_ETOOBIG if out is too small.
 */
int sluice_version_line(char *out, size_t outlen, const char *tool,
    const char *libssh, const char *store) __attribute__((warn_unused_result));

#endif
