/*
 * version.h: `sluiced --version`: one line on stdout, e.g.
 *   sluiced 0.1.0 (libssh 0.10.6, OpenSSL 3.0.11, libsodium 1.0.18, SQLite 3.40.1)
 * the libraries' versions as they report themselves at run time
 * (include/sluice/version.h).
 */
#ifndef SLUICE_SETUP_VERSION_H
#define SLUICE_SETUP_VERSION_H

/* Returns the process exit status (0, 1). */
int version_run(void);

#endif
