/*
 * publish_tick.h: the engine keeps the public site of [publish] dir current
 * (publish_tick.c; docs/design.md section 6).
 */
#ifndef SLUICE_PUBLISH_TICK_H
#define SLUICE_PUBLISH_TICK_H

#include <stdint.h>

struct engine;

/* Called with the calendar's tick: writes the site when it is due. */
void publish_tick(struct engine *e, int64_t now);

#endif
