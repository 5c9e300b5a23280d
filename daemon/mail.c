/* Placeholder until the scheduler's mail lands (issue 7). */
#include "engine_int.h"
#include "schedule.h"

int
schedule_mail(struct engine *e, int64_t now)
{
	(void)e;
	(void)now;
	return 0;
}
