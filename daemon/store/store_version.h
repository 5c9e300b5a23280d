/*
 * store_version.h: which database library the store runs on, and its version
 * at run time, for sluiced --version ("SQLite 3.40.1"). Kept apart from
 * store.h, which names no library at all.
 */
#ifndef SLUICE_STORE_VERSION_H
#define SLUICE_STORE_VERSION_H

#include <stddef.h>

/* "SQLite 3.40.1" into out; SLUICE_ETOOBIG if it does not fit. */
int store_library(char *out, size_t outlen) __attribute__((warn_unused_result));

#endif
