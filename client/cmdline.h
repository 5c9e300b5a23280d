/*
 * cmdline.h: turns an argument vector into one command line for the admin
 * channel, so that the server's POSIX-shell-style splitter (docs/design.md section
 * 6) gives back exactly the same words. Nothing here runs a shell.
 *
 * A word made only of characters no shell treats specially is written bare;
 * any other word (including the empty word) is wrapped in single quotes, with
 * each ' written as '\''. Words are separated by one space.
 */
#ifndef SLUICE_CLIENT_CMDLINE_H
#define SLUICE_CLIENT_CMDLINE_H

#include <stddef.h>

#include "sluice/buf.h"

/* Appends the quoted words argv[0..argc) to out (no NUL). SLUICE_EINVAL
 * for a NULL word; SLUICE_ETOOBIG past the buffer limit. */
int cmdline_quote(char *const *argv, size_t argc, struct sbuf *out)
    __attribute__((warn_unused_result));

/* As cmdline_quote, into a malloc'd NUL-terminated string the caller frees. */
int cmdline_join(char *const *argv, size_t argc, char **line)
    __attribute__((warn_unused_result));

#endif
