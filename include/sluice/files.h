/*
 * files.h: small, careful file helpers: bounded reads, secret files written
 * 0600 via a temporary file and rename, and the sshd-style check that a
 * secret file is a regular file owned by us and not readable by others.
 */
#ifndef SLUICE_FILES_H
#define SLUICE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"

/* Appends the whole file (at most max bytes, else SLUICE_ETOOBIG) to out. */
int files_read(const char *path, size_t max, struct sbuf *out)
    __attribute__((warn_unused_result));
int files_read_fd(int fd, size_t max, struct sbuf *out)
    __attribute__((warn_unused_result));
/* Reads exactly len bytes (a secret) from path; SLUICE_EFORMAT otherwise. */
int files_read_secret(const char *path, uint8_t *buf, size_t len)
    __attribute__((warn_unused_result));
/* Writes data to path (which must not exist) with the given mode, via a
 * temporary file, fsync and rename. */
int files_write_new(const char *path, const void *data, size_t len,
    unsigned mode) __attribute__((warn_unused_result));
/* Writes data to path, replacing what is there in one step: a reader (or a
 * crash) sees the old bytes or the new, never a mix (temporary file, fsync,
 * rename). */
int files_write_replace(const char *path, const void *data, size_t len,
    unsigned mode) __attribute__((warn_unused_result));
/* Writes all of buf, retrying short writes and EINTR. */
int files_write_all(int fd, const void *buf, size_t n)
    __attribute__((warn_unused_result));
/* Starts the writeback of what was written to fd since *synced, once that
 * reaches 8 MiB, and moves *synced to written: a large file's final fsync
 * then has little left to do. A hint: its failure is not reported. */
void files_writeback(int fd, uint64_t *synced, uint64_t written);
/* fsyncs a directory, so a rename into it survives a crash. */
int files_sync_dir(const char *dir) __attribute__((warn_unused_result));
/* SLUICE_EDENIED with why when path is not a regular file owned by this
 * user with no group/other permission bits. */
int files_check_secret(const char *path, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
