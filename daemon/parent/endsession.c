/* endsession.c: a session the engine dropped, killed (endsession.h). */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "parent/endsession.h"
#include "sluice/error.h"
#include "sluice/log.h"

int
end_session_parse(struct sbuf *body, pid_t *pid, char **reason)
{
	uint32_t v;
	int r;

	*reason = NULL;
	if ((r = sbuf_get_u32(body, &v)) != 0 ||
	    (r = sbuf_get_cstring(body, reason, END_SESSION_REASON_MAX)) != 0)
		goto out;
	if (v == 0 || v > INT32_MAX || sbuf_len(body) != 0)
		r = SLUICE_EPROTO;
	*pid = (pid_t)v;
out:
	if (r != 0) {
		free(*reason);
		*reason = NULL;
	}
	return r;
}

int
end_session_kill(pid_t pid, const char *reason,
    int (*is_session)(void *arg, pid_t pid), void *arg)
{
	if (pid <= 0 || !is_session(arg, pid)) {
		log_warnx("the engine asked to end process %ld, not a session "
		    "of ours: refused", (long)pid);
		return SLUICE_EDENIED;
	}
	if (kill(pid, SIGKILL) != 0)
		return SLUICE_EIO;
	log_warnx("session %ld killed: the engine dropped it: %s", (long)pid,
	    reason);
	return 0;
}
