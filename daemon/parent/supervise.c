/* supervise.c: the engine started, watched and started again (supervise.h). */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "parent/supervise.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"

/* Forks the engine on a fresh control socket. */
static int
engine_fork(struct supervisor *s, const char *note)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return SLUICE_EIO;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		if (s->detach != NULL)
			s->detach(s->detach_arg);
		_exit(s->run(s->run_arg, sv[1], note));
	}
	close(sv[1]);
	if (pid == -1) {
		close(sv[0]);
		return SLUICE_EIO;
	}
	s->pid = pid;
	s->ctl = sv[0];
	s->started = sluice_monotonic_ms();
	return 0;
}

int
supervise_start(struct supervisor *s)
{
	s->ctl = -1;
	s->delay = SUPERVISE_FIRST_DELAY_MS;
	if (engine_fork(s, NULL) != 0) {
		log_errx("cannot start the engine: %s", strerror(errno));
		return SLUICE_EIO;
	}
	return 0;
}

/* One more quick death, or a fresh count after a long life; the next
 * back-off. */
static void
count_failure(struct supervisor *s, uint64_t now, uint64_t lived)
{
	if (lived >= SUPERVISE_STABLE_MS) {
		s->failures = 0;
		s->delay = SUPERVISE_FIRST_DELAY_MS;
	} else
		s->failures++;
	s->restart_at = now + s->delay;
	s->delay = s->delay * 2 > SUPERVISE_MAX_DELAY_MS ?
	    SUPERVISE_MAX_DELAY_MS : s->delay * 2;
}

int
supervise_reaped(struct supervisor *s, pid_t pid, int status)
{
	uint64_t now = sluice_monotonic_ms();

	if (s->pid == 0 || pid != s->pid)
		return 0;
	sluice_wait_words(status, s->note, sizeof(s->note));
	count_failure(s, now, now - s->started);
	log_warnx("engine %ld %s: ending the sessions; restarting it in %llu "
	    "ms", (long)pid, s->note, (unsigned long long)(s->restart_at - now));
	s->pid = 0;
	if (s->ctl != -1)
		close(s->ctl);
	s->ctl = -1;
	return 1;
}

int
supervise_tick(struct supervisor *s, uint64_t now)
{
	char note[128];

	if (s->pid != 0 || s->restart_at == 0 || now < s->restart_at)
		return 0;
	if (s->failures >= SUPERVISE_MAX_FAILURES) {
		log_errx("the engine failed %d times in a row (within %d s of "
		    "its start): giving up", s->failures,
		    SUPERVISE_STABLE_MS / 1000);
		return SLUICE_EIO;
	}
	(void)snprintf(note, sizeof(note), "the engine before %s", s->note);
	s->restart_at = 0;
	if (engine_fork(s, note) != 0) {
		log_warnx("cannot restart the engine: %s", strerror(errno));
		count_failure(s, now, 0);
		return 0;
	}
	log_warnx("engine restarted: engine %ld (%s)", (long)s->pid, note);
	return 1;
}

int
supervise_wait_ms(const struct supervisor *s, uint64_t now)
{
	if (s->pid != 0 || s->restart_at == 0)
		return -1;
	return s->restart_at > now ? (int)(s->restart_at - now) : 0;
}

int
supervise_stop(struct supervisor *s)
{
	int status;

	if (s->ctl != -1)
		close(s->ctl);
	s->ctl = -1;
	if (s->pid == 0)
		return 0;
	(void)kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &status, 0) == -1)
		if (errno != EINTR)
			return 1;
	s->pid = 0;
	/* An engine stopped by this SIGTERM before it installed its handler
	 * (just started or restarted) stopped as asked. */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
