/*
 * init.h: `sluiced init` (docs/design.md section 6): a new data directory with
 * its configuration, store, host key, release signing key, master key and
 * first admin. All or nothing: a refused init leaves DIR as it found it.
 * Prints where each part is once all are made; refuses a non-empty directory.
 */
#ifndef SLUICE_INIT_H
#define SLUICE_INIT_H

#include <stddef.h>

/* Returns the process exit status (0, 1). */
int init_run(const char *dir, const char *admin, const char *admin_key_path,
    int port, const char *listen);

/* The data directory's subdirectories (payload area, inbox, uploads, mail)
 * in dir, as init makes them (also used by restore); prints why on failure
 * and returns 1. */
int init_subdirs(const char *dir);
/* The signed head of the audit log of the store at store_path, written to
 * dir/audit.head with the key at key_path (made when absent): init's new
 * log, restore's restored one (audit_anchor.h). 0, or why. */
int init_anchor(const char *dir, const char *key_path, const char *store_path,
    char *why, size_t whylen);
/* Removes path and everything under it (a directory this program made). */
void init_remove_tree(const char *path);

#endif
