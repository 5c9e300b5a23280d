/*
 * Delivery of the outbox: RFC 5322 text, into a Maildir or through a
 * sendmail-compatible program (no shell). See mail.h for the guarantees.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/mail.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/log.h"

#define MAIL_MAX_RCPT	64	/* addresses on one sendmail command line */

int64_t
mail_backoff(int64_t attempts)
{
	if (attempts < 0)
		attempts = 0;
	if (attempts >= 6)
		return MAIL_BACKOFF_MAX;	/* 64 minutes would be past it */
	return (int64_t)60 << attempts;
}

/* "Fri, 01 Jan 2027 09:00:00 +0000" */
static int
rfc5322_date(int64_t t, char *out, size_t outlen)
{
	static const char *const wd[7] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	int n;

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return SLUICE_EINVAL;
	n = snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

/* "<sluice.17.0123456789abcdef@example.org>": the outbox id and the
 * dedupe key's hash, so every attempt carries the same id. */
static int
message_id(const char *from, const struct outbox_msg *m, char *out,
    size_t outlen)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	const char *at = strrchr(from, '@');
	int n;

	crypto_hash_sha256(h, (const unsigned char *)m->dedupe_key,
	    strlen(m->dedupe_key));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	n = snprintf(out, outlen, "<sluice.%lld.%.16s@%s>", (long long)m->id,
	    hex, at != NULL && at[1] != '\0' ? at + 1 : "localhost");
	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

static int
header_ok(const char *v)
{
	return v != NULL && strpbrk(v, "\r\n") == NULL;
}

int
mail_format(const struct sluice_config *cfg, const struct outbox_msg *m,
    struct sbuf *out)
{
	char date[64], mid[128];
	const char *p;
	int r;

	if (!header_ok(m->to) || !header_ok(m->subject) ||
	    !header_ok(cfg->mail_from) || m->body == NULL)
		return SLUICE_EINVAL;
	if ((r = rfc5322_date(m->created_at, date, sizeof(date))) != 0 ||
	    (r = message_id(cfg->mail_from, m, mid, sizeof(mid))) != 0)
		return r;
	if ((r = sbuf_putf(out, "Date: %s\nFrom: %s\nTo: %s\nSubject: %s\n"
	    "Message-ID: %s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\nAuto-Submitted: auto-generated\n"
	    "\n", date, cfg->mail_from, m->to, m->subject, mid)) != 0)
		return r;
	/* The body is ours, LF-terminated; drop any stray CR so line ends
	 * stay one kind. */
	for (p = m->body; *p != '\0'; p++)
		if (*p != '\r' && (r = sbuf_put_u8(out, (uint8_t)*p)) != 0)
			return r;
	if (p == m->body || p[-1] != '\n')
		r = sbuf_put_u8(out, '\n');
	return r;
}

/* ---- Maildir ------------------------------------------------------------- */

static int
ensure_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return SLUICE_EIO;
}

/* Where message m goes in the Maildir dir: tmp/<name>, then new/<name>. */
struct maildir_paths {
	char	newd[4096];
	char	tmp[4200];
	char	fin[4200];
};

/* m's paths in dir, whose tmp/ new/ cur/ are created if absent. */
static int
maildir_paths(const char *dir, const struct outbox_msg *m,
    struct maildir_paths *p, char *why, size_t whylen)
{
	char tmpd[4096], curd[4096], name[64];
	int n;

	(void)snprintf(name, sizeof(name), "%lld.M%lldP0.sluice",
	    (long long)m->created_at, (long long)m->id);
	n = snprintf(tmpd, sizeof(tmpd), "%s/tmp", dir);
	if (n < 0 || (size_t)n >= sizeof(tmpd))
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "maildir path too long");
	(void)snprintf(p->newd, sizeof(p->newd), "%s/new", dir);
	(void)snprintf(curd, sizeof(curd), "%s/cur", dir);
	(void)snprintf(p->tmp, sizeof(p->tmp), "%s/%s", tmpd, name);
	(void)snprintf(p->fin, sizeof(p->fin), "%s/%s", p->newd, name);
	if (ensure_dir(dir) != 0 || ensure_dir(tmpd) != 0 ||
	    ensure_dir(p->newd) != 0 || ensure_dir(curd) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: cannot create the "
		    "maildir: %s", dir, strerror(errno));
	return 0;
}

/* msg into path (created or truncated), written through to the disk. */
static int
write_synced(const char *path, const uint8_t *msg, size_t len, char *why,
    size_t whylen)
{
	int fd, r;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
		    strerror(errno));
	if (files_write_all(fd, msg, len) != 0 || fsync(fd) != 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
		    strerror(errno));
		close(fd);
		return r;
	}
	if (close(fd) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
		    strerror(errno));
	return 0;
}

int
mail_maildir_put(const char *dir, const struct outbox_msg *m,
    const uint8_t *msg, size_t len, char *why, size_t whylen)
{
	struct maildir_paths p;
	int r;

	if ((r = maildir_paths(dir, m, &p, why, whylen)) != 0)
		return r;
	if ((r = write_synced(p.tmp, msg, len, why, whylen)) == 0 &&
	    (rename(p.tmp, p.fin) != 0 || files_sync_dir(p.newd) != 0))
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", p.fin,
		    strerror(errno));
	if (r != 0)
		(void)unlink(p.tmp);
	return r;
}

/* ---- sendmail ------------------------------------------------------------ */

/* argv = {prog, "-i", "--", addresses...}; addrs is cut in place. */
static int
sendmail_argv(const char *prog, char *addrs, char **argv, size_t max)
{
	size_t n = 0;
	char *p, *comma;

	argv[n++] = (char *)(uintptr_t)prog;
	argv[n++] = (char *)(uintptr_t)"-i";
	argv[n++] = (char *)(uintptr_t)"--";
	for (p = addrs; p != NULL && *p != '\0'; p = comma) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma++ = '\0';
		while (*p == ' ')
			p++;
		if (*p == '\0')
			continue;
		if (n + 1 >= max)
			return SLUICE_ETOOBIG;
		argv[n++] = p;
	}
	argv[n] = NULL;
	return n > 3 ? 0 : SLUICE_EINVAL;
}

static void
sendmail_child(int in, char **argv)
{
	static char *const envp[] = {
	    (char *)(uintptr_t)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct sigaction sa;
	int null;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	if (dup2(in, 0) == -1)
		_exit(127);
	if ((null = open("/dev/null", O_WRONLY)) != -1) {
		(void)dup2(null, 1);
		(void)dup2(null, 2);
	}
	closefrom(3);
	execve(argv[0], argv, envp);
	_exit(127);
}

/* Writes msg to fd (non-blocking) until done or the deadline. */
static int
feed(int fd, const uint8_t *msg, size_t len, int64_t deadline)
{
	struct pollfd pfd;
	ssize_t n;
	int64_t left;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (len > 0) {
		if ((left = deadline - (int64_t)sluice_monotonic_ms()) <= 0)
			return SLUICE_EIO;
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0 &&
		    errno != EINTR)
			return SLUICE_EIO;
		if ((n = write(fd, msg, len)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return SLUICE_EIO;	/* EPIPE: it did not read it all */
		}
		msg += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Waits for pid until the deadline, then kills it. */
static int
reap(pid_t pid, int64_t deadline, int *status)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t w;

	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w == -1 && errno != EINTR)
			return SLUICE_EIO;
		if ((int64_t)sluice_monotonic_ms() >= deadline) {
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) == -1 && errno == EINTR)
				;
			return SLUICE_ETOOBIG;
		}
		(void)nanosleep(&tick, NULL);
	}
}

/* Starts argv[0] with a pipe on its stdin; *in is the pipe's end to write
 * (close-on-exec), for the caller to close. */
static int
sendmail_start(char **argv, pid_t *pid, int *in, char *why, size_t whylen)
{
	int p[2], r = 0;

	if (pipe(p) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "pipe: %s",
		    strerror(errno));
	if (fcntl(p[1], F_SETFD, FD_CLOEXEC) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "pipe: %s",
		    strerror(errno));
	else if ((*pid = fork()) == -1)
		r = sluice_why(why, whylen, SLUICE_EIO, "fork: %s",
		    strerror(errno));
	else if (*pid == 0)
		sendmail_child(p[0], argv);
	close(p[0]);
	if (r == 0)
		*in = p[1];
	else
		close(p[1]);
	return r;
}

/* The verdict on a child reaped with r (reap()) and status, fed its
 * message (feed() == 0) or not. */
static int
sendmail_verdict(const char *prog, int timeout, int r, int status, int fed,
    char *why, size_t whylen)
{
	if (r == SLUICE_ETOOBIG)
		return sluice_why(why, whylen, SLUICE_EIO, "%s killed after %d "
		    "seconds", prog, timeout);
	if (r != 0)
		return sluice_why(why, whylen, r, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		return sluice_why(why, whylen, SLUICE_EIO, "%s killed by signal "
		    "%d", prog, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s exited with status "
		    "%d", prog, WEXITSTATUS(status));
	if (fed != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s did not read the "
		    "whole message", prog);
	return 0;
}

int
mail_sendmail_put(const char *prog, const struct outbox_msg *m,
    const uint8_t *msg, size_t len, int timeout, char *why, size_t whylen)
{
	char *argv[MAIL_MAX_RCPT + 4], *addrs = NULL;
	int64_t deadline = (int64_t)sluice_monotonic_ms() + (int64_t)timeout * 1000;
	int in = -1, status = 0, r, fed;
	pid_t pid = -1;

	if ((addrs = strdup(m->to)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sendmail_argv(prog, addrs, argv, sizeof(argv) /
	    sizeof(argv[0]))) != 0)
		r = sluice_why(why, whylen, r, "bad recipient list");
	else if ((r = sendmail_start(argv, &pid, &in, why, whylen)) == 0) {
		(void)fcntl(in, F_SETFL, O_NONBLOCK);
		fed = feed(in, msg, len, deadline);
		close(in);
		r = reap(pid, deadline, &status);
		r = sendmail_verdict(prog, timeout, r, status, fed, why, whylen);
	}
	free(addrs);
	return r;
}

/* ---- the outbox ---------------------------------------------------------- */

int
mail_deliver_one(const struct sluice_config *cfg, const struct outbox_msg *m,
    int timeout, char *why, size_t whylen)
{
	struct sbuf *b;
	int r;

	if ((b = sbuf_new()) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((r = mail_format(cfg, m, b)) != 0)
		r = sluice_why(why, whylen, r, "cannot format the message");
	else if (cfg->mail_transport == MAIL_SENDMAIL)
		r = mail_sendmail_put(cfg->sendmail, m, sbuf_ptr(b), sbuf_len(b),
		    timeout, why, whylen);
	else
		r = mail_maildir_put(cfg->maildir, m, sbuf_ptr(b), sbuf_len(b),
		    why, whylen);
	sbuf_free(b);
	return r;
}

int64_t
mail_next_due(struct store *st)
{
	struct outbox_list l = { NULL, 0 };
	int64_t t = 0;

	if (outbox_due(st, INT64_MAX, 1, &l) == 0 && l.n > 0)
		t = l.v[0].next_attempt;
	outbox_list_free(&l);
	return t;
}

void
mail_settle(struct store *st, const struct outbox_msg *m, int failed,
    const char *why, int64_t now)
{
	int64_t next;
	int r;

	if (!failed) {
		if ((r = outbox_mark_sent(st, m->id, now)) != 0)
			log_warnx("mail: %s delivered but not marked sent: %s",
			    m->dedupe_key, sluice_strerror(r));
		else
			log_info("mail: sent %s to %s", m->dedupe_key, m->to);
		return;
	}
	next = now + mail_backoff(m->attempts);
	log_warnx("mail: %s not delivered (attempt %lld): %s", m->dedupe_key,
	    (long long)m->attempts + 1, why);
	if ((r = outbox_mark_failed(st, m->id, why, next)) != 0)
		log_warnx("mail: cannot reschedule %s: %s", m->dedupe_key,
		    sluice_strerror(r));
}

/* Tries m once; marks it sent, or failed with its backoff. */
static void
deliver_try(const struct sluice_config *cfg, struct store *st,
    const struct outbox_msg *m, int timeout, int64_t now)
{
	char why[STORE_TEXT_MAX] = "";
	int failed;

	failed = mail_deliver_one(cfg, m, timeout, why, sizeof(why)) != 0;
	mail_settle(st, m, failed, why, now);
}

int
mail_timeout(int64_t left_ms)
{
	/* The run's budget bounds the run, not each child. */
	return left_ms / 1000 < MAIL_SENDMAIL_TIMEOUT ?
	    (int)(left_ms / 1000) + 1 : MAIL_SENDMAIL_TIMEOUT;
}

int64_t
mail_deliver_here(const struct sluice_config *cfg, struct store *st,
    int64_t now)
{
	struct outbox_list l = { NULL, 0 };
	int64_t budget = (int64_t)sluice_monotonic_ms() + MAIL_RUN_BUDGET * 1000;
	int64_t left;
	size_t i;
	int r;

	if ((r = outbox_due(st, now, MAIL_BATCH, &l)) != 0) {
		log_warnx("mail: cannot read the outbox: %s", sluice_strerror(r));
		return now + 60;
	}
	for (i = 0; i < l.n &&
	    (left = budget - (int64_t)sluice_monotonic_ms()) > 0; i++)
		deliver_try(cfg, st, &l.v[i], mail_timeout(left), now);
	outbox_list_free(&l);
	return mail_next_due(st);
}
