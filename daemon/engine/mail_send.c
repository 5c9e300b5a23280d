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

int
mail_maildir_put(const char *dir, const struct outbox_msg *m,
    const uint8_t *msg, size_t len, char *why, size_t whylen)
{
	char tmpd[4096], newd[4096], curd[4096], tmp[4200], fin[4200], name[64];
	int fd = -1, r = 0, n;

	(void)snprintf(name, sizeof(name), "%lld.M%lldP0.sluice",
	    (long long)m->created_at, (long long)m->id);
	n = snprintf(tmpd, sizeof(tmpd), "%s/tmp", dir);
	if (n < 0 || (size_t)n >= sizeof(tmpd))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "maildir path too long");
	(void)snprintf(newd, sizeof(newd), "%s/new", dir);
	(void)snprintf(curd, sizeof(curd), "%s/cur", dir);
	(void)snprintf(tmp, sizeof(tmp), "%s/%s", tmpd, name);
	(void)snprintf(fin, sizeof(fin), "%s/%s", newd, name);
	if (ensure_dir(dir) != 0 || ensure_dir(tmpd) != 0 ||
	    ensure_dir(newd) != 0 || ensure_dir(curd) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: cannot create the "
		    "maildir: %s", dir, strerror(errno));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (files_write_all(fd, msg, len) != 0 || fsync(fd) != 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, fin) != 0 || files_sync_dir(newd) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", fin,
		    strerror(errno));
out:
	if (fd != -1)
		close(fd);
	if (r != 0)
		(void)unlink(tmp);
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

int
mail_sendmail_put(const char *prog, const struct outbox_msg *m,
    const uint8_t *msg, size_t len, int timeout, char *why, size_t whylen)
{
	char *argv[MAIL_MAX_RCPT + 4], *addrs = NULL;
	int64_t deadline = (int64_t)sluice_monotonic_ms() + (int64_t)timeout * 1000;
	int p[2] = { -1, -1 }, status = 0, r, fed;
	pid_t pid;

	if ((addrs = strdup(m->to)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sendmail_argv(prog, addrs, argv, sizeof(argv) /
	    sizeof(argv[0]))) != 0) {
		r = sluice_why(why, whylen, r, "bad recipient list");
		goto out;
	}
	if (pipe(p) != 0 || fcntl(p[1], F_SETFD, FD_CLOEXEC) != 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		r = sluice_why(why, whylen, SLUICE_EIO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		sendmail_child(p[0], argv);
	close(p[0]);
	p[0] = -1;
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	fed = feed(p[1], msg, len, deadline);
	close(p[1]);
	p[1] = -1;
	if ((r = reap(pid, deadline, &status)) == SLUICE_ETOOBIG)
		r = sluice_why(why, whylen, SLUICE_EIO, "%s killed after %d "
		    "seconds", prog, timeout);
	else if (r != 0)
		r = sluice_why(why, whylen, r, "waitpid: %s", strerror(errno));
	else if (WIFSIGNALED(status))
		r = sluice_why(why, whylen, SLUICE_EIO, "%s killed by signal %d",
		    prog, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "%s exited with status "
		    "%d", prog, WEXITSTATUS(status));
	else if (fed != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "%s did not read the "
		    "whole message", prog);
out:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	free(addrs);
	return r;
}

/* ---- the outbox ---------------------------------------------------------- */

static int
deliver_one(const struct sluice_config *cfg, const struct outbox_msg *m,
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

/* When the next unsent message is due; 0 when none is queued. */
static int64_t
next_due(struct store *st)
{
	struct outbox_list l = { NULL, 0 };
	int64_t t = 0;

	if (outbox_due(st, INT64_MAX, 1, &l) == 0 && l.n > 0)
		t = l.v[0].next_attempt;
	outbox_list_free(&l);
	return t;
}

int64_t
mail_deliver(const struct sluice_config *cfg, struct store *st, int64_t now)
{
	struct outbox_list l = { NULL, 0 };
	int64_t budget = (int64_t)sluice_monotonic_ms() + MAIL_RUN_BUDGET * 1000, next, left;
	char why[STORE_TEXT_MAX];
	size_t i;
	int r, timeout;

	if ((r = outbox_due(st, now, MAIL_BATCH, &l)) != 0) {
		log_warnx("mail: cannot read the outbox: %s", sluice_strerror(r));
		return now + 60;
	}
	for (i = 0; i < l.n && (left = budget - (int64_t)sluice_monotonic_ms()) > 0; i++) {
		/* The run's budget bounds the engine's stall, not each child. */
		timeout = left / 1000 < MAIL_SENDMAIL_TIMEOUT ?
		    (int)(left / 1000) + 1 : MAIL_SENDMAIL_TIMEOUT;
		why[0] = '\0';
		if (deliver_one(cfg, &l.v[i], timeout, why, sizeof(why)) == 0) {
			if ((r = outbox_mark_sent(st, l.v[i].id, now)) != 0)
				log_warnx("mail: %s delivered but not marked "
				    "sent: %s", l.v[i].dedupe_key,
				    sluice_strerror(r));
			else
				log_info("mail: sent %s to %s", l.v[i].dedupe_key,
				    l.v[i].to);
			continue;
		}
		next = now + mail_backoff(l.v[i].attempts);
		log_warnx("mail: %s not delivered (attempt %lld): %s",
		    l.v[i].dedupe_key, (long long)l.v[i].attempts + 1, why);
		if ((r = outbox_mark_failed(st, l.v[i].id, why, next)) != 0)
			log_warnx("mail: cannot reschedule %s: %s",
			    l.v[i].dedupe_key, sluice_strerror(r));
	}
	outbox_list_free(&l);
	return next_due(st);
}
