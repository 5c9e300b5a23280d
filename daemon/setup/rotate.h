/*
 * rotate.h: `sluiced rotate-master-key -d DIR` and `sluiced
 * rotate-release-key -d DIR` (docs/design.md section 6), with the daemon
 * stopped; and the data directory's lock that tells whether it runs.
 */
#ifndef SLUICE_ROTATE_H
#define SLUICE_ROTATE_H

#include <stddef.h>

#include "sluice/config.h"

/* Each returns the process exit status (0, 1). */
int rotate_master_run(const char *dir);
int rotate_release_run(const char *dir);

/* Finishes a rotation whose audit entry was committed, or removes the new
 * key of one that was not (rotate.c). Prints one line for each it
 * resolved; 0 when none is pending. */
int rotate_recover(const struct sluice_config *cfg, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Takes DIR/sluiced.lock (flock, exclusive, not waiting): `sluiced run`
 * holds it for its life, a rotation while it works. SLUICE_EBUSY-like
 * refusal with why "the daemon is running on DIR (DIR/sluiced.lock is
 * held); stop it first". */
int datadir_lock(const char *dir, int *fd, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The same, waiting up to seconds while another holds it: the engine of a
 * daemon whose parent died holds it until it sees that and stops. */
int datadir_lock_wait(const char *dir, int seconds, int *fd, char *why,
    size_t whylen) __attribute__((warn_unused_result));
void datadir_unlock(int fd);	/* -1 is fine */

#endif
