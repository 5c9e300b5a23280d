/*
 * interrupt.h: what an interrupted client leaves behind. After
 * interrupt_install(), SIGINT and SIGTERM end the progress line that is on
 * stderr (if one is), remove the temporary file registered with
 * interrupt_tmp() (partial plaintext is never left), say "interrupted; run
 * it again to resume" and exit with 128 + the signal's number (130, 143).
 * What a download keeps for resuming (its .part file) stays.
 */
#ifndef SLUICE_CLIENT_INTERRUPT_H
#define SLUICE_CLIENT_INTERRUPT_H

#define EXIT_SIGINT	130
#define EXIT_SIGTERM	143

void interrupt_install(void);
/* The file to remove on interruption (copied), or NULL for none. */
void interrupt_tmp(const char *path);
/* Whether a progress line without its newline is on stderr now. */
void interrupt_line(int open);

#endif
