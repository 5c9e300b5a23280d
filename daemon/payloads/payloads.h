/*
 * payloads.h: the payload area, where each staged extract's encrypted
 * payload lives under its extract id (docs/design.md section 4).
 *
 * Today the area is the directory DIR/payloads of the data directory DIR;
 * nothing outside daemon/payloads/ builds a path into it or removes from it,
 * so the area can move (to an object store) behind this interface alone.
 *
 * An id is 1 to PAYLOADS_ID_MAX lowercase hex digits; any other id is
 * refused (SLUICE_EINVAL), so no id can name something outside the area.
 * A payload is written under a temporary name ("<32 hex>.tmp") and appears
 * under its id only when committed (fsync, rename, directory fsync), or is
 * adopted whole from a file written elsewhere (payloads_adopt()), so a
 * reader never sees a half-written payload and a committed one never
 * changes. A crash while writing leaves the temporary file, which
 * payloads_list() reports as partial for a sweep to remove.
 */
#ifndef SLUICE_PAYLOADS_H
#define SLUICE_PAYLOADS_H

#include <stddef.h>

#define PAYLOADS_ID_MAX		64	/* hex digits of the longest id */

/* A payload being written; opaque. */
struct payload_new;

/* Makes the empty area of a new data directory (`sluiced init`); why gets
 * "<path>: <reason>". */
int payloads_setup(const char *data_dir, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Starts a payload: *fd (owned by *pn, never closed by the caller) is open
 * for writing a fresh temporary file. Commit or abandon *pn. */
int payloads_create(const char *data_dir, struct payload_new **pn, int *fd,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Makes pn's bytes durable and visible under id. Frees pn whatever the
 * outcome; on failure the temporary file is removed. SLUICE_EEXIST if id
 * is taken: a committed payload is never replaced. */
int payloads_commit(struct payload_new *pn, const char *id, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* Makes the finished file name, in the directory open as dirfd, the
 * payload id without copying it: a hard link into the area (the file keeps
 * its other name, which the caller removes once it no longer needs it, so
 * a failure after this call leaves the caller's file as it was), made
 * durable by a directory fsync. On another filesystem (EXDEV) the bytes are
 * copied to a temporary file and committed as payloads_commit() does. The
 * file must not change afterwards: a committed payload never does.
 * SLUICE_EEXIST if id is taken, SLUICE_ENOTFOUND if name is not a regular
 * file. */
int payloads_adopt(const char *data_dir, int dirfd, const char *name,
    const char *id, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Drops a payload being written, its temporary file with it; NULL is fine. */
void payloads_abandon(struct payload_new *pn);

/* Opens the committed payload id read-only; the caller owns *fd.
 * SLUICE_ENOTFOUND when there is none. */
int payloads_open(const char *data_dir, const char *id, int *fd)
    __attribute__((warn_unused_result));

/* Removes name: a committed id, or a partial name payloads_list() gave. */
int payloads_remove(const char *data_dir, const char *name);

/* Calls fn for every payload in the area, committed (its id) or partial (its
 * temporary name), and stops at fn's first non-zero return, which it
 * returns. Other names in the area are not the area's and are skipped. */
typedef int (*payloads_list_fn)(void *arg, const char *name, int committed);
int payloads_list(const char *data_dir, payloads_list_fn fn, void *arg)
    __attribute__((warn_unused_result));

#endif
