/*
 * setup_fail.h: the one-line refusal of an offline `sluiced` command
 * ("sluiced CMD: reason" on stderr), shared by backup, restore and the key
 * rotations.
 */
#ifndef SLUICE_SETUP_FAIL_H
#define SLUICE_SETUP_FAIL_H

/* Prints the line; returns 1, the command's exit status. */
int setup_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
