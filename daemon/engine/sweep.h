/*
 * sweep.h: what a crash or an older version left in the data directory,
 * removed when the engine starts (before any session can write).
 */
#ifndef SLUICE_ENGINE_SWEEP_H
#define SLUICE_ENGINE_SWEEP_H

#include "store/store.h"

/* Removes, logging one line for each: payloads half written (a staging cut
 * off) and committed payloads no extract names; certificate uploads and
 * inbox upload files a crash left, inbox files no row names and the
 * per-user directories of plaintext files that versions before sealing
 * kept; and forgets inbox rows whose file is gone. */
void sweep_at_start(struct store *st, const char *dir);

#endif
