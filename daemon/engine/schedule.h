/*
 * schedule.h: the engine's calendar (docs/design.md section 5). Runs at start,
 * at least once a minute, and after every change: moves agreements across
 * their dated transitions (signed -> live at starts, live/suspended/signed ->
 * expired after expires), each move one transaction with its audit entry;
 * sanctions an organisation whose certificate of deletion is overdue and
 * lifts the sanction once none is; queues the reminders and notices that
 * are due (their text is mail.c's) and delivers the outbox.
 * Idempotent: running it twice at the same time changes nothing the second
 * time.
 */
#ifndef SLUICE_SCHEDULE_H
#define SLUICE_SCHEDULE_H

#include <stdint.h>

struct engine;

/* One full run at now; bumps the generation when it changed a fact the
 * gate reads. */
void schedule_run(struct engine *e, int64_t now);

/* Called every second and before every request: delivers a mail retry that
 * fell due, and runs the calendar at start, then at least once a minute
 * (at once when the day changed or a fake clock jumped back); then keeps
 * the public site current (publish_tick.h). */
void schedule_tick(struct engine *e, int64_t now);

#endif
