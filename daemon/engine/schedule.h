/*
 * schedule.h: the engine's calendar (DESIGN.md section 5). Runs at start,
 * at least once a minute, and after every change: moves agreements across
 * their dated transitions (signed -> live at starts, live/suspended/signed ->
 * expired after expires), each move one transaction with its audit entry.
 * Idempotent: running it twice at the same time changes nothing the second
 * time.
 */
#ifndef SLUICE_SCHEDULE_H
#define SLUICE_SCHEDULE_H

#include <stdint.h>

struct engine;

void schedule_run(struct engine *e, int64_t now);
/* Reminders, notices, sanctions and the outbox's delivery (mail.c); returns
 * > 0 when it changed a fact the gate reads (a sanction). */
int schedule_mail(struct engine *e, int64_t now);

#endif
