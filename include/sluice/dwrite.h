/*
 * dwrite.h: a large file written straight to the disk. Bytes gather in an
 * aligned buffer and go out in whole 1 MiB blocks with O_DIRECT, which
 * skips the copy into the page cache (the costly part of writing a large
 * file on the machines we run on) and leaves the final fsync little to do.
 * Where the file system refuses O_DIRECT, or the file does not start on a
 * block boundary, the same writes go through the page cache instead, with
 * their writeback started as they go (files_writeback).
 *
 * dwrite_new() takes fd as it is positioned; dwrite_room() gives space for
 * n bytes (n <= DWRITE_MAX_PIECE) that dwrite_commit() then takes;
 * dwrite_finish() writes what is held and leaves fd as it found it (without
 * O_DIRECT). dwrite_free() releases the buffer (NULL is a no-op); the fd
 * stays the caller's. A failed write leaves the writer refusing the rest.
 */
#ifndef SLUICE_DWRITE_H
#define SLUICE_DWRITE_H

#include <stddef.h>
#include <stdint.h>

#define DWRITE_MAX_PIECE	(128u * 1024)

struct dwrite;

int dwrite_new(int fd, struct dwrite **out)
    __attribute__((warn_unused_result));
uint8_t *dwrite_room(struct dwrite *w, size_t n);
int dwrite_commit(struct dwrite *w, size_t n)
    __attribute__((warn_unused_result));
int dwrite_finish(struct dwrite *w) __attribute__((warn_unused_result));
void dwrite_free(struct dwrite *w);

#endif
