/*
 * config.c: sluiced.conf and the policy file, parsed by inih and checked
 * here against one table of keys per file.
 *
 * inih does the syntax; it tells the handler neither the line number nor the
 * sections that hold no keys, so it reads through line_reader(), which
 * counts lines, refuses over-long ones (inih would silently split them) and
 * checks section headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "sluice/config.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/netaddr.h"

#define LINE_MAX_BYTES	198	/* inih's line buffer is 200 with \r\n */

/* The policy, documented line by line: policies/default.conf is this text. */
static const char policy_text[] =
"# sluice policy: what sluiced enforces, and when it writes to people.\n"
"#\n"
"# sluiced reads this file at start (the file named by [policy] file in\n"
"# sluiced.conf). Every key is shown with its default. An unknown section or\n"
"# key, a key set twice or a bad value is refused with its file and line.\n"
"# Lines starting with # or ; are comments. Days are whole UTC calendar days;\n"
"# lists are comma-separated.\n"
"\n"
"[reminders]\n"
"# Days before an agreement expires on which its organisation is reminded:\n"
"# at most 8 values, each 1..3650; empty: no reminders.\n"
"expiry_days = 90,30,7\n"
"\n"
"[certificates]\n"
"# Days after an agreement expires by which its certificate of deletion is\n"
"# due (1..3650). Once overdue, staff are told and the organisation is\n"
"# sanctioned: it receives no data under any agreement until it is received.\n"
"due_days = 30\n"
"# Days before the certificate is due on which the organisation is reminded:\n"
"# at most 8 values, each 1..3650 and less than due_days; empty: none.\n"
"reminder_days = 7,1\n"
"# Largest certificate of deletion a recipient may upload, in bytes\n"
"# (1024..16777216); a longer upload is refused as it is written.\n"
"max_bytes = 1048576\n"
"# Certificates of deletion one recipient may have rejected in a UTC day\n"
"# (1..1000); further uploads that day are refused when opened.\n"
"max_rejected_per_day = 10\n"
"# Rejected certificates of deletion whose bytes are kept, per agreement:\n"
"# the newest (0..100). Older ones keep their row and reason; the audit\n"
"# log keeps each one's size and SHA-256.\n"
"rejected_kept = 3\n"
"\n"
"[dspt]\n"
"# yes: do not require the organisation's security assurance (DSPT) to be\n"
"# standards-met or standards-exceeded (gate rule 3); yes or no.\n"
"waived = no\n"
"\n"
"[downloads]\n"
"# Days after a release is approved during which it may be downloaded\n"
"# (0..3650; 0: no window, for as long as the agreement is live).\n"
"window_days = 0\n"
"# Complete downloads of one released file allowed to each recipient\n"
"# (0..1000000; 0: unlimited).\n"
"max_count = 0\n"
"\n"
"[inbox]\n"
"# Largest total, in bytes, of the files in one staff member's /inbox/\n"
"# (1048576..17592186044416).\n"
"max_bytes = 107374182400\n"
"# Bytes of disk an upload to /inbox/ or /stage/ must leave free on the\n"
"# file system of the data directory (1048576..1125899906842624). One that\n"
"# would not is refused when opened, and as its writes come.\n"
"reserve_bytes = 67108864\n";

/* sluiced.conf as config_write_defaults() writes it: listen, then port. */
#define DAEMON_TEXT \
"# sluiced settings, read at start from DIR/sluiced.conf.\n" \
"#\n" \
"# Every key is shown with its default. Relative paths are relative to DIR.\n" \
"# An unknown section or key, a key set twice or a bad value is refused with\n" \
"# its file and line, and so is this file if everyone may write to it.\n" \
"# Lines starting with # or ; are comments.\n" \
"\n" \
"[server]\n" \
"# Address to listen on, an IPv4 or IPv6 address (run --listen overrides).\n" \
"listen = %s\n" \
"# TCP port, 1..65535 (run --port overrides).\n" \
"port = %d\n" \
"# The SSH host key (ed25519, mode 0600).\n" \
"host_key = host_ed25519_key\n" \
"# Seconds a client has to authenticate before it is dropped (1..600).\n" \
"login_grace_time = 30\n" \
"# Most sessions at once; more connections are refused (1..10000).\n" \
"max_sessions = 256\n" \
"# Connections not yet authenticated, in all, as start:rate:full (after\n" \
"# OpenSSH's MaxStartups): from start of them on, a new connection is\n" \
"# dropped with probability rate %%, rising linearly to 100 %% at full. One\n" \
"# number N means N:100:N. start and full 1..10000, start <= full; rate 1..100.\n" \
"max_startups = 128:30:256\n" \
"# Connections not yet authenticated from one source at once; more are\n" \
"# refused (0..10000; 0: no limit). Under start above, so that one source\n" \
"# that never authenticates cannot make anyone else's connection drop, and\n" \
"# over any honest burst: logins from one address at the same moment are\n" \
"# all unauthenticated at once.\n" \
"per_source_max_startups = 100\n" \
"# The prefix lengths that make addresses one source, IPv4:IPv6\n" \
"# (0..32 and 0..128; one number sets IPv4's only).\n" \
"per_source_netblock = 32:64\n" \
"# Seconds without traffic before a session is closed (0..86400; 0: never).\n" \
"idle_timeout = 900\n" \
"# SSH offers key exchange curve25519-sha256, ciphers chacha20-poly1305 and\n" \
"# AES-GCM, ETM MACs and an ed25519 host key. yes: also aes256-ctr,\n" \
"# aes128-ctr, hmac-sha2-256 and hmac-sha2-512, for clients that have none\n" \
"# of those ciphers and MACs (curl on libssh2 before 1.11, paramiko before\n" \
"# 3.3); yes or no.\n" \
"legacy_ciphers = no\n" \
"\n" \
"[penalties]\n" \
"# A connection that ends without authenticating earns its source (see\n" \
"# per_source_netblock) penalty seconds, by how it ended. They add up and run\n" \
"# down in real time; while more than min remain, the source's connections\n" \
"# are closed at accept, before any byte is read. Each 0..86400; 0: nothing.\n" \
"# Offered keys or passwords, none accepted:\n" \
"authfail = 5\n" \
"# Left without trying to authenticate:\n" \
"noauth = 1\n" \
"# Still not authenticated after login_grace_time:\n" \
"grace = 10\n" \
"# Sent an SSH banner, then broke the key exchange:\n" \
"protocol = 5\n" \
"# The session process crashed before authentication:\n" \
"crash = 90\n" \
"# Most penalty seconds one source can hold (1..86400).\n" \
"max = 600\n" \
"# Penalty seconds a source must hold before it is refused (0..86400).\n" \
"min = 15\n" \
"# Sources with penalty seconds remembered at once (1..262144).\n" \
"max_sources = 65536\n" \
"# When that many are remembered: permissive (forget the penalty that ends\n" \
"# soonest) or deny-all (refuse every source not exempt until one ends).\n" \
"overflow = permissive\n" \
"# Networks never penalised: addresses or ADDR/BITS, comma-separated, at\n" \
"# most 16 (empty: none), e.g. 192.0.2.0/24, 2001:db8::/48.\n" \
"exempt =\n" \
"\n" \
"[store]\n" \
"# The SQLite store.\n" \
"path = sluice.db\n" \
"\n" \
"[keys]\n" \
"# The master key that wraps every file key: 32 random bytes, mode 0600.\n" \
"master_key = master.key\n" \
"# The minisign secret key that signs each SHA256SUMS (mode 0600).\n" \
"release_key = release.key\n" \
"# Its public half, also served to every recipient as /release.pub.\n" \
"release_pub = release.pub\n" \
"# The Ed25519 key (a 32-byte seed, mode 0600) that signs the head of the\n" \
"# audit log, DIR/audit.head; made at start if absent.\n" \
"audit_key = audit.key\n" \
"\n" \
"[mail]\n" \
"# How messages leave: maildir (one file per message in a Maildir) or\n" \
"# sendmail (a sendmail-compatible program, message on its standard input).\n" \
"transport = maildir\n" \
"# The Maildir for transport = maildir.\n" \
"maildir = mail\n" \
"# The program for transport = sendmail: an absolute path, run without a shell.\n" \
"sendmail = /usr/sbin/sendmail\n" \
"# The From: address of every message.\n" \
"from = sluice@localhost\n" \
"# Where escalations to staff go, addresses comma-separated\n" \
"# (empty: every staff member with the admin role).\n" \
"staff_to =\n" \
"\n" \
"[policy]\n" \
"# The policy file: reminders, certificates, DSPT waiver, download limits.\n" \
"file = " CONFIG_POLICY_FILE "\n" \
"\n" \
"[publish]\n" \
"# Where sluiced publish writes the public site (the Data Uses Register and\n" \
"# its dashboard) when run without --out: a symbolic link it swaps to each\n" \
"# new copy (empty: none).\n" \
"dir =\n" \
"\n" \
"[sandbox]\n" \
"# When sluiced runs as root, each session process (one per connection)\n" \
"# drops to this user, which must exist and must not be root (useradd\n" \
"# --system --no-create-home --shell /usr/sbin/nologin sluice makes it).\n" \
"user = sluice\n" \
"# The directory each session process is then confined to (chroot): owned\n" \
"# by root, writable by no one else, empty (sluiced init makes it). Not\n" \
"# run as root, sessions skip both; their seccomp filter still applies.\n" \
"chroot = empty\n"

enum ktype {
	K_INT32,	/* int32_t in [min, max] */
	K_INT64,	/* int64_t in [min, max] */
	K_BOOL,		/* int, yes or no */
	K_PATH,		/* char[size], resolved against DIR */
	K_PATH_OPT,	/* as K_PATH, or empty: none */
	K_PROGRAM,	/* char[size], an absolute path */
	K_ADDR,		/* char[size], an IPv4 or IPv6 address */
	K_EMAIL,	/* char[size], one address */
	K_EMAILS,	/* char[size], addresses, comma-separated, may be empty */
	K_TRANSPORT,	/* enum mail_transport */
	K_USER,		/* char[size], a user name: [a-z_][a-z0-9_-]* */
	K_DAYS,		/* int32_t[CONFIG_LIST_MAX] in [min, max], count at aux */
	K_STARTUPS,	/* struct config_startups: N or begin:rate:full */
	K_NETBLOCK,	/* struct config_netblock: V4 or V4:V6 */
	K_OVERFLOW,	/* enum config_overflow */
	K_NETS,		/* char[size], networks comma-separated, may be empty */
};

struct key {
	const char	*section;
	const char	*name;
	enum ktype	 type;
	size_t		 off;	/* of the field in its struct */
	size_t		 size;	/* of a string field */
	int64_t		 min, max;
	size_t		 aux;	/* K_DAYS: offset of the size_t count */
};

#define CFG(f)	offsetof(struct sluice_config, f), sizeof(((struct sluice_config *)0)->f)
#define POL(f)	offsetof(struct sluice_policy, f), 0

static const struct key daemon_keys[] = {
	{ "server", "listen", K_ADDR, CFG(listen), 0, 0, 0 },
	{ "server", "port", K_INT32, CFG(port), 1, 65535, 0 },
	{ "server", "host_key", K_PATH, CFG(host_key), 0, 0, 0 },
	{ "server", "login_grace_time", K_INT32, CFG(login_grace_time), 1, 600, 0 },
	{ "server", "max_sessions", K_INT32, CFG(max_sessions), 1, 10000, 0 },
	{ "server", "max_startups", K_STARTUPS, CFG(max_startups), 1, 10000, 0 },
	{ "server", "per_source_max_startups", K_INT32,
	    CFG(per_source_max_startups), 0, 10000, 0 },
	{ "server", "per_source_netblock", K_NETBLOCK, CFG(per_source_netblock),
	    0, 0, 0 },
	{ "server", "idle_timeout", K_INT32, CFG(idle_timeout), 0, 86400, 0 },
	{ "server", "legacy_ciphers", K_BOOL, CFG(legacy_ciphers), 0, 1, 0 },
	{ "store", "path", K_PATH, CFG(store_path), 0, 0, 0 },
	{ "keys", "master_key", K_PATH, CFG(master_key), 0, 0, 0 },
	{ "keys", "release_key", K_PATH, CFG(release_key), 0, 0, 0 },
	{ "keys", "release_pub", K_PATH, CFG(release_pub), 0, 0, 0 },
	{ "keys", "audit_key", K_PATH, CFG(audit_key), 0, 0, 0 },
	{ "mail", "transport", K_TRANSPORT, CFG(mail_transport), 0, 0, 0 },
	{ "mail", "maildir", K_PATH, CFG(maildir), 0, 0, 0 },
	{ "mail", "sendmail", K_PROGRAM, CFG(sendmail), 0, 0, 0 },
	{ "mail", "from", K_EMAIL, CFG(mail_from), 0, 0, 0 },
	{ "mail", "staff_to", K_EMAILS, CFG(staff_to), 0, 0, 0 },
	{ "policy", "file", K_PATH, CFG(policy_file), 0, 0, 0 },
	{ "publish", "dir", K_PATH_OPT, CFG(publish_dir), 0, 0, 0 },
	{ "penalties", "authfail", K_INT32, CFG(penalties.authfail), 0, 86400, 0 },
	{ "penalties", "noauth", K_INT32, CFG(penalties.noauth), 0, 86400, 0 },
	{ "penalties", "grace", K_INT32, CFG(penalties.grace), 0, 86400, 0 },
	{ "penalties", "protocol", K_INT32, CFG(penalties.protocol), 0, 86400, 0 },
	{ "penalties", "crash", K_INT32, CFG(penalties.crash), 0, 86400, 0 },
	{ "penalties", "max", K_INT32, CFG(penalties.max), 1, 86400, 0 },
	{ "penalties", "min", K_INT32, CFG(penalties.min), 0, 86400, 0 },
	{ "penalties", "max_sources", K_INT32, CFG(penalties.max_sources), 1,
	    262144, 0 },
	{ "penalties", "overflow", K_OVERFLOW, CFG(penalties.overflow), 0, 0, 0 },
	{ "penalties", "exempt", K_NETS, CFG(penalties.exempt), 0, 0, 0 },
	{ "sandbox", "user", K_USER, CFG(sandbox_user), 0, 0, 0 },
	{ "sandbox", "chroot", K_PATH, CFG(sandbox_chroot), 0, 0, 0 },
};

static const struct key policy_keys[] = {
	{ "reminders", "expiry_days", K_DAYS, POL(expiry_days), 1, 3650,
	    offsetof(struct sluice_policy, n_expiry_days) },
	{ "certificates", "due_days", K_INT32, POL(cert_due_days), 1, 3650, 0 },
	{ "certificates", "reminder_days", K_DAYS, POL(cert_reminder_days), 1, 3650,
	    offsetof(struct sluice_policy, n_cert_reminder_days) },
	{ "certificates", "max_bytes", K_INT64, POL(cert_max_bytes), 1024, 16777216, 0 },
	{ "certificates", "max_rejected_per_day", K_INT32,
	    POL(cert_max_rejected_per_day), 1, 1000, 0 },
	{ "certificates", "rejected_kept", K_INT32, POL(cert_rejected_kept), 0,
	    100, 0 },
	{ "dspt", "waived", K_BOOL, POL(dspt_waived), 0, 1, 0 },
	{ "downloads", "window_days", K_INT32, POL(download_window_days), 0, 3650, 0 },
	{ "downloads", "max_count", K_INT64, POL(download_max_count), 0, 1000000, 0 },
	{ "inbox", "max_bytes", K_INT64, POL(inbox_max_bytes), 1048576,
	    17592186044416LL, 0 },
	{ "inbox", "reserve_bytes", K_INT64, POL(inbox_reserve_bytes),
	    1048576, 1125899906842624LL, 0 },
};

#define NKEYS(t)	(sizeof(t) / sizeof((t)[0]))
#define KEYS_MAX	48	/* the most keys one file's table holds */

struct parse {
	FILE		*fp;
	const char	*name;		/* the file, for reasons */
	const char	*dir;		/* relative paths are resolved here */
	const struct key *keys;
	size_t		 nkeys;
	void		*base;		/* struct the keys' offsets point into */
	unsigned	 line;		/* lines read so far */
	unsigned	 set_on[KEYS_MAX];	/* line each key was set on, 0: not set */
	unsigned	 err_line;	/* 0: no error yet */
	int		 err;
	char		 reason[256];
};

/* Records the first error only: inih goes on after a failed line. */
static int
fail(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err_line != 0)
		return 0;
	va_start(ap, fmt);
	(void)vsnprintf(ps->reason, sizeof(ps->reason), fmt, ap);
	va_end(ap);
	ps->err_line = ps->line;
	ps->err = SLUICE_ECONFIG;
	return 0;
}

/* A value fit for a one-line reason: at most 60 bytes, printable ASCII. */
static const char *
shown(const char *s, char *out, size_t outlen)
{
	size_t i, j = 0;

	for (i = 0; s[i] != '\0' && i < 60 && j + 1 < outlen; i++)
		out[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i] != '\0' && j + 4 < outlen) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

static int
section_known(const struct parse *ps, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ps->nkeys; i++)
		if (strlen(ps->keys[i].section) == n &&
		    memcmp(ps->keys[i].section, s, n) == 0)
			return 1;
	return 0;
}

/* fgets for inih, counting lines and checking what inih cannot. */
static char *
line_reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *p, *end;
	char name[64], s[80];
	size_t n;

	if (ps->err_line != 0 || fgets(str, num, ps->fp) == NULL)
		return NULL;
	ps->line++;
	n = strlen(str);
	if ((n == 0 || str[n - 1] != '\n') && !feof(ps->fp)) {
		fail(ps, "line longer than %d bytes or holding a NUL byte",
		    LINE_MAX_BYTES);
		return NULL;
	}
	for (p = str; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[' && (end = strchr(p, ']')) != NULL &&
	    !section_known(ps, p + 1, (size_t)(end - p - 1))) {
		n = (size_t)(end - p - 1) < sizeof(name) ? (size_t)(end - p - 1) :
		    sizeof(name) - 1;
		memcpy(name, p + 1, n);
		name[n] = '\0';
		fail(ps, "unknown section [%s]", shown(name, s, sizeof(s)));
		return NULL;
	}
	return str;
}

/*
 * The value setters follow inih's handler convention: 1 when the value is
 * taken, 0 when it is refused (the reason is then recorded by fail()).
 */

/* A whole decimal number in [min, max]. */
static int
parse_number(struct parse *ps, const char *key, const char *v, int64_t min,
    int64_t max, int64_t *out)
{
	const char *digits = *v == '-' ? v + 1 : v;
	char *end, s[80];
	long long n;

	/* strtoll would also take leading blanks and a '+': a number is digits. */
	if (*digits < '0' || *digits > '9')
		return fail(ps, "%s = %s: not a whole number", key,
		    shown(v, s, sizeof(s)));
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end != '\0')
		return fail(ps, "%s = %s: not a whole number", key,
		    shown(v, s, sizeof(s)));
	if (errno == ERANGE || n < min || n > max)
		return fail(ps, "%s = %s: out of range (%lld..%lld)", key,
		    shown(v, s, sizeof(s)), (long long)min, (long long)max);
	*out = n;
	return 1;
}

/* The next item of a comma-separated list at *p, without the spaces around
 * it; *p moves past its comma (to NULL after the last item). */
static void
list_item(const char **p, const char **item, size_t *len)
{
	const char *comma = strchr(*p, ','), *s = *p;
	size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);

	while (n > 0 && *s == ' ')
		s++, n--;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	*item = s;
	*len = n;
	*p = comma != NULL ? comma + 1 : NULL;
}

/* Item p[0..len) of the list v, the n + 1st, as a number. */
static int
day_item(struct parse *ps, const struct key *k, const char *v, const char *p,
    size_t len, size_t n, int64_t *d)
{
	char item[32], s[80];

	if (len == 0 || len >= sizeof(item))
		return fail(ps, "%s = %s: not a list of whole numbers "
		    "separated by commas", k->name, shown(v, s, sizeof(s)));
	if (n == CONFIG_LIST_MAX)
		return fail(ps, "%s = %s: more than %d values", k->name,
		    shown(v, s, sizeof(s)), CONFIG_LIST_MAX);
	memcpy(item, p, len);
	item[len] = '\0';
	return parse_number(ps, k->name, item, k->min, k->max, d);
}

/* The numbers of the list v, each at most once. */
static int
parse_days(struct parse *ps, const struct key *k, const char *v,
    int32_t got[CONFIG_LIST_MAX], size_t *n)
{
	const char *p = v, *item;
	char s[80];
	size_t len, i;
	int64_t d;

	/* An empty value is an empty list; "90," is a bad one. */
	while (*v != '\0' && p != NULL) {
		list_item(&p, &item, &len);
		if (!day_item(ps, k, v, item, len, *n, &d))
			return 0;
		for (i = 0; i < *n; i++)
			if (got[i] == (int32_t)d)
				return fail(ps, "%s = %s: %lld is given twice",
				    k->name, shown(v, s, sizeof(s)), (long long)d);
		got[(*n)++] = (int32_t)d;
	}
	return 1;
}

static int
set_days(struct parse *ps, const struct key *k, const char *v)
{
	int32_t *days = (int32_t *)((char *)ps->base + k->off);
	size_t *count = (size_t *)((char *)ps->base + k->aux);
	int32_t got[CONFIG_LIST_MAX], t;
	size_t n = 0, i, j;

	if (!parse_days(ps, k, v, got, &n))
		return 0;
	/* Sorted descending: the scheduler walks them from the earliest. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && got[j - 1] < got[j]; j--)
			t = got[j], got[j] = got[j - 1], got[j - 1] = t;
	memcpy(days, got, n * sizeof(got[0]));
	*count = n;
	return 1;
}

static int
set_string(struct parse *ps, const struct key *k, const char *v)
{
	char *dst = (char *)ps->base + k->off;
	int n;

	if ((k->type == K_PATH || (k->type == K_PATH_OPT && *v != '\0')) &&
	    v[0] != '/')
		n = snprintf(dst, k->size, "%s/%s", ps->dir, v);
	else
		n = snprintf(dst, k->size, "%s", v);
	if (n < 0 || (size_t)n >= k->size)
		return fail(ps, "%s: longer than %zu bytes", k->name, k->size - 1);
	return 1;
}

static int
email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i;

	if (at == NULL || at == s || at == s + n - 1 ||
	    memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || strchr("<>()[],;:\\\"", s[i]))
			return 0;
	return 1;
}

static int
emails_ok(const char *v)
{
	const char *p = v, *item;
	size_t len;

	while (*v != '\0' && p != NULL) {
		list_item(&p, &item, &len);
		if (!email_ok(item, len))
			return 0;
	}
	return 1;
}

/* A user name as useradd takes it by default: a lower-case letter or '_',
 * then lower-case letters, digits, '_' and '-'. */
static int
user_ok(const char *v)
{
	size_t i;

	if (!((*v >= 'a' && *v <= 'z') || *v == '_'))
		return 0;
	for (i = 1; v[i] != '\0'; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-'))
			return 0;
	return 1;
}

static int
addr_ok(const char *v)
{
	unsigned char a[16];

	return inet_pton(AF_INET, v, a) == 1 || inet_pton(AF_INET6, v, a) == 1;
}

static int
set_number(struct parse *ps, const struct key *k, const char *v)
{
	void *dst = (char *)ps->base + k->off;
	int64_t n;

	if (!parse_number(ps, k->name, v, k->min, k->max, &n))
		return 0;
	if (k->type == K_INT32)
		*(int32_t *)dst = (int32_t)n;
	else
		*(int64_t *)dst = n;
	return 1;
}

static int
set_bool(struct parse *ps, const struct key *k, const char *v)
{
	char s[80];

	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
		return fail(ps, "%s = %s: not yes or no", k->name,
		    shown(v, s, sizeof(s)));
	*(int *)((char *)ps->base + k->off) = strcmp(v, "yes") == 0;
	return 1;
}

static int
set_transport(struct parse *ps, const struct key *k, const char *v)
{
	enum mail_transport *dst = (void *)((char *)ps->base + k->off);
	char s[80];

	if (strcmp(v, "maildir") == 0)
		*dst = MAIL_MAILDIR;
	else if (strcmp(v, "sendmail") == 0)
		*dst = MAIL_SENDMAIL;
	else
		return fail(ps, "%s = %s: not maildir or sendmail", k->name,
		    shown(v, s, sizeof(s)));
	return 1;
}

/* v split at its colons into at most max items of fewer than 16 bytes. */
static int
colon_items(const char *v, char items[][16], size_t max, size_t *n)
{
	const char *p = v, *colon;
	size_t len;

	for (*n = 0; p != NULL; (*n)++) {
		colon = strchr(p, ':');
		len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (*n == max || len == 0 || len >= 16)
			return 0;
		memcpy(items[*n], p, len);
		items[*n][len] = '\0';
		p = colon != NULL ? colon + 1 : NULL;
	}
	return 1;
}

/* N, or begin:rate:full with begin <= full. */
static int
set_startups(struct parse *ps, const struct key *k, const char *v)
{
	struct config_startups *dst = (void *)((char *)ps->base + k->off);
	char items[3][16], s[80];
	int64_t b, r = 100, f;
	size_t n;

	if (!colon_items(v, items, 3, &n) || n == 2)
		return fail(ps, "%s = %s: not N or start:rate:full", k->name,
		    shown(v, s, sizeof(s)));
	if (!parse_number(ps, "max_startups start", items[0], k->min, k->max, &b) ||
	    (n == 3 && !parse_number(ps, "max_startups rate", items[1], 1, 100, &r)))
		return 0;
	f = b;
	if (n == 3 && !parse_number(ps, "max_startups full", items[2], k->min,
	    k->max, &f))
		return 0;
	if (b > f)
		return fail(ps, "%s = %s: start is more than full", k->name,
		    shown(v, s, sizeof(s)));
	dst->begin = (int32_t)b;
	dst->rate = (int32_t)r;
	dst->full = (int32_t)f;
	return 1;
}

/* V4, or V4:V6. */
static int
set_netblock(struct parse *ps, const struct key *k, const char *v)
{
	struct config_netblock *dst = (void *)((char *)ps->base + k->off);
	char items[2][16], s[80];
	int64_t v4, v6 = dst->v6;
	size_t n;

	if (!colon_items(v, items, 2, &n))
		return fail(ps, "%s = %s: not IPV4BITS or IPV4BITS:IPV6BITS",
		    k->name, shown(v, s, sizeof(s)));
	if (!parse_number(ps, "per_source_netblock ipv4", items[0], 0, 32, &v4) ||
	    (n == 2 && !parse_number(ps, "per_source_netblock ipv6", items[1], 0,
	    128, &v6)))
		return 0;
	dst->v4 = (int32_t)v4;
	dst->v6 = (int32_t)v6;
	return 1;
}

static int
set_overflow(struct parse *ps, const struct key *k, const char *v)
{
	enum config_overflow *dst = (void *)((char *)ps->base + k->off);
	char s[80];

	if (strcmp(v, "permissive") == 0)
		*dst = CONFIG_OVERFLOW_PERMISSIVE;
	else if (strcmp(v, "deny-all") == 0)
		*dst = CONFIG_OVERFLOW_DENY_ALL;
	else
		return fail(ps, "%s = %s: not permissive or deny-all", k->name,
		    shown(v, s, sizeof(s)));
	return 1;
}

static int
nets_ok(const char *v)
{
	struct netcidr nets[NETADDR_LIST_MAX];
	size_t n;

	return netaddr_parse_list(v, nets, NETADDR_LIST_MAX, &n) == 0;
}

/* Why a string value of type t is refused, or NULL when it is not. */
static const char *
string_refusal(enum ktype t, const char *v)
{
	switch (t) {
	case K_PROGRAM:
		return *v != '/' ? "not an absolute path" : NULL;
	case K_ADDR:
		return !addr_ok(v) ? "not an IPv4 or IPv6 address" : NULL;
	case K_EMAIL:
		return !email_ok(v, strlen(v)) ? "not an e-mail address" : NULL;
	case K_EMAILS:
		return !emails_ok(v) ?
		    "not e-mail addresses separated by commas" : NULL;
	case K_NETS:
		return !nets_ok(v) ? "not at most 16 addresses or ADDR/BITS "
		    "networks separated by commas" : NULL;
	case K_USER:
		return !user_ok(v) ? "not a user name" : NULL;
	default:
		return NULL;
	}
}

static int
set_checked_string(struct parse *ps, const struct key *k, const char *v)
{
	const char *no;
	char s[80];

	if (k->type == K_PATH && *v == '\0')
		return fail(ps, "%s: empty path", k->name);
	if ((no = string_refusal(k->type, v)) != NULL)
		return fail(ps, "%s = %s: %s", k->name, shown(v, s, sizeof(s)),
		    no);
	return set_string(ps, k, v);
}

static int
set_value(struct parse *ps, const struct key *k, const char *v)
{
	switch (k->type) {
	case K_INT32:
	case K_INT64:
		return set_number(ps, k, v);
	case K_BOOL:
		return set_bool(ps, k, v);
	case K_TRANSPORT:
		return set_transport(ps, k, v);
	case K_DAYS:
		return set_days(ps, k, v);
	case K_STARTUPS:
		return set_startups(ps, k, v);
	case K_NETBLOCK:
		return set_netblock(ps, k, v);
	case K_OVERFLOW:
		return set_overflow(ps, k, v);
	case K_PATH:
	case K_PATH_OPT:
	case K_PROGRAM:
	case K_ADDR:
	case K_EMAIL:
	case K_EMAILS:
	case K_NETS:
	case K_USER:
		return set_checked_string(ps, k, v);
	}
	return fail(ps, "%s: unknown type", k->name);
}

/* inih's handler: one key = value of the current line. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	char s1[80], s2[80];
	size_t i;

	if (ps->err_line != 0)
		return 0;
	if (*section == '\0')
		return fail(ps, "%s: a key outside any [section]",
		    shown(name, s1, sizeof(s1)));
	if (!section_known(ps, section, strlen(section)))
		return fail(ps, "unknown section [%s]", shown(section, s1, sizeof(s1)));
	for (i = 0; i < ps->nkeys; i++)
		if (strcmp(ps->keys[i].section, section) == 0 &&
		    strcmp(ps->keys[i].name, name) == 0)
			break;
	if (i == ps->nkeys)
		return fail(ps, "unknown key %s in [%s]", shown(name, s1, sizeof(s1)),
		    shown(section, s2, sizeof(s2)));
	if (ps->set_on[i] != 0)
		return fail(ps, "%s in [%s] is set twice (first on line %u)",
		    name, section, ps->set_on[i]);
	ps->set_on[i] = ps->line;
	return set_value(ps, &ps->keys[i], value);
}

/* The key's index in the table (it must be there). */
static size_t
key_index(const struct key *keys, size_t nkeys, const char *name)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	return i;
}

/* Checks across keys, reported on the line of the later of the two. */
static void
policy_cross_checks(struct parse *ps)
{
	const struct sluice_policy *p = ps->base;
	size_t due = key_index(policy_keys, NKEYS(policy_keys), "due_days");
	size_t rem = key_index(policy_keys, NKEYS(policy_keys), "reminder_days");

	if (p->n_cert_reminder_days > 0 &&
	    p->cert_reminder_days[0] >= p->cert_due_days) {
		ps->line = ps->set_on[rem] > ps->set_on[due] ? ps->set_on[rem] :
		    ps->set_on[due];
		fail(ps, "reminder_days: %d is not less than due_days (%d)",
		    (int)p->cert_reminder_days[0], (int)p->cert_due_days);
	}
}

static int
run_parse(struct parse *ps, char *why, size_t whylen)
{
	int r;

	r = ini_parse_stream(line_reader, ps, on_key, ps);
	if (r == -2)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "%s: out of memory",
		    ps->name);
	if (r > 0 && (ps->err_line == 0 || (unsigned)r < ps->err_line)) {
		ps->err_line = (unsigned)r;
		ps->err = SLUICE_ECONFIG;
		(void)snprintf(ps->reason, sizeof(ps->reason),
		    "not a [section], a key = value or a comment");
	}
	if (ps->err_line == 0 && ps->keys == policy_keys)
		policy_cross_checks(ps);
	if (ps->err_line == 0 && ferror(ps->fp))
		return sluice_why(why, whylen, SLUICE_EIO, "%s: read error", ps->name);
	if (ps->err_line != 0)
		return sluice_why(why, whylen, ps->err, "%s:%u: %s", ps->name,
		    ps->err_line, ps->reason);
	return 0;
}

/* Parses fp against one file's table of keys into base. */
static int
parse_with(FILE *fp, const char *name, const char *dir, const struct key *keys,
    size_t nkeys, void *base, char *why, size_t whylen)
{
	struct parse ps;

	memset(&ps, 0, sizeof(ps));
	ps.fp = fp;
	ps.name = name;
	ps.dir = dir;
	ps.keys = keys;
	ps.nkeys = nkeys;
	ps.base = base;
	return run_parse(&ps, why, whylen);
}

int
config_parse_daemon(FILE *fp, const char *name, struct sluice_config *cfg,
    char *why, size_t whylen)
{
	return parse_with(fp, name, cfg->dir, daemon_keys, NKEYS(daemon_keys),
	    cfg, why, whylen);
}

int
config_parse_policy(FILE *fp, const char *name, struct sluice_policy *p,
    char *why, size_t whylen)
{
	return parse_with(fp, name, "", policy_keys, NKEYS(policy_keys), p, why,
	    whylen);
}

static void
policy_defaults(struct sluice_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->expiry_days[0] = 90;
	p->expiry_days[1] = 30;
	p->expiry_days[2] = 7;
	p->n_expiry_days = 3;
	p->cert_due_days = 30;
	p->cert_reminder_days[0] = 7;
	p->cert_reminder_days[1] = 1;
	p->n_cert_reminder_days = 2;
	p->cert_max_bytes = 1048576;
	p->cert_max_rejected_per_day = 10;
	p->cert_rejected_kept = 3;
	p->dspt_waived = 0;
	p->download_window_days = 0;
	p->download_max_count = 0;
	p->inbox_max_bytes = 107374182400LL;
	p->inbox_reserve_bytes = 67108864;
}

/* dir/name into out; 0 or SLUICE_ECONFIG with a reason. */
static int
join(const char *dir, const char *name, char *out, size_t outlen,
    char *why, size_t whylen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= outlen)
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "%s: directory name too long", dir);
	return 0;
}

/* The files a configuration directory holds, by their default names. */
static const struct { size_t off; const char *name; } default_paths[] = {
	{ offsetof(struct sluice_config, host_key), "host_ed25519_key" },
	{ offsetof(struct sluice_config, store_path), "sluice.db" },
	{ offsetof(struct sluice_config, master_key), "master.key" },
	{ offsetof(struct sluice_config, release_key), "release.key" },
	{ offsetof(struct sluice_config, release_pub), "release.pub" },
	{ offsetof(struct sluice_config, audit_key), "audit.key" },
	{ offsetof(struct sluice_config, maildir), "mail" },
	{ offsetof(struct sluice_config, policy_file), CONFIG_POLICY_FILE },
	{ offsetof(struct sluice_config, sandbox_chroot), CONFIG_SANDBOX_DIR },
};

static int
set_dir(const char *dir, struct sluice_config *cfg, char *why, size_t whylen)
{
	if (dir == NULL || *dir == '\0')
		return sluice_why(why, whylen, SLUICE_ECONFIG, "no directory given");
	if (strlen(dir) >= sizeof(cfg->dir))
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "%s: directory name too long", dir);
	memcpy(cfg->dir, dir, strlen(dir) + 1);
	return 0;
}

static int
set_default_paths(const char *dir, struct sluice_config *cfg, char *why,
    size_t whylen)
{
	size_t i;
	int r;

	for (i = 0; i < NKEYS(default_paths); i++)
		if ((r = join(dir, default_paths[i].name,
		    (char *)cfg + default_paths[i].off, CONFIG_PATH_MAX, why,
		    whylen)) != 0)
			return r;
	return 0;
}

static void
service_defaults(struct sluice_config *cfg)
{
	(void)snprintf(cfg->listen, sizeof(cfg->listen), "%s", CONFIG_DEFAULT_LISTEN);
	cfg->port = CONFIG_DEFAULT_PORT;
	cfg->login_grace_time = 30;
	cfg->max_sessions = 256;
	cfg->max_startups.begin = 128;
	cfg->max_startups.rate = 30;
	cfg->max_startups.full = 256;
	cfg->per_source_max_startups = 100;
	cfg->per_source_netblock.v4 = 32;
	cfg->per_source_netblock.v6 = 64;
	cfg->idle_timeout = 900;
	cfg->mail_transport = MAIL_MAILDIR;
	(void)snprintf(cfg->sendmail, sizeof(cfg->sendmail), "/usr/sbin/sendmail");
	(void)snprintf(cfg->mail_from, sizeof(cfg->mail_from), "sluice@localhost");
	(void)snprintf(cfg->sandbox_user, sizeof(cfg->sandbox_user), "%s",
	    CONFIG_SANDBOX_USER);
}

/* After OpenSSH's PerSourcePenalties defaults, and a protocol kind of its own. */
static void
penalty_defaults(struct config_penalties *p)
{
	p->authfail = 5;
	p->noauth = 1;
	p->grace = 10;
	p->protocol = 5;
	p->crash = 90;
	p->max = 600;
	p->min = 15;
	p->max_sources = 65536;
	p->overflow = CONFIG_OVERFLOW_PERMISSIVE;
}

int
config_defaults(const char *dir, struct sluice_config *cfg, char *why,
    size_t whylen)
{
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if ((r = set_dir(dir, cfg, why, whylen)) != 0 ||
	    (r = set_default_paths(dir, cfg, why, whylen)) != 0)
		return r;
	service_defaults(cfg);
	penalty_defaults(&cfg->penalties);
	policy_defaults(&cfg->policy);
	return 0;
}

/* Opens a config file for reading, refusing what must not be trusted. */
static int
open_config(const char *path, FILE **fpp, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	*fpp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "%s: not a regular file", path);
	}
	if (st.st_mode & S_IWOTH) {
		close(fd);
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "%s: writable by everyone; refusing it (chmod o-w)", path);
	}
	if ((*fpp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return sluice_why(why, whylen, SLUICE_ENOMEM, "%s: %s", path,
		    strerror(errno));
	}
	return 0;
}

int
config_load(const char *dir, struct sluice_config *cfg, char *why, size_t whylen)
{
	char path[CONFIG_PATH_MAX];
	FILE *fp = NULL;
	int r;

	if ((r = config_defaults(dir, cfg, why, whylen)) != 0)
		goto out;
	if ((r = join(dir, CONFIG_DAEMON_FILE, path, sizeof(path), why, whylen)) != 0)
		goto out;
	if ((r = open_config(path, &fp, why, whylen)) != 0 ||
	    (r = config_parse_daemon(fp, path, cfg, why, whylen)) != 0)
		goto out;
	fclose(fp);
	fp = NULL;
	if ((r = open_config(cfg->policy_file, &fp, why, whylen)) != 0)
		goto out;
	r = config_parse_policy(fp, cfg->policy_file, &cfg->policy, why, whylen);
out:
	if (fp != NULL)
		fclose(fp);
	return r;
}

/* The reason for a failed system call on path, from errno. */
static int
io_refusal(const char *path, char *why, size_t whylen)
{
	return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
	    strerror(errno));
}

/* Creates dir/name (its name in path); it must not exist yet. */
static int
create_new(const char *dir, const char *name, char path[CONFIG_PATH_MAX],
    int *fd, char *why, size_t whylen)
{
	int r;

	if ((r = join(dir, name, path, CONFIG_PATH_MAX, why, whylen)) != 0)
		return r;
	if ((*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1)
		return sluice_why(why, whylen, errno == EEXIST ? SLUICE_EEXIST :
		    SLUICE_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

/* The text, the mode and a sync to disk. */
static int
fill_new(int fd, const char *path, const char *text, char *why, size_t whylen)
{
	/* open()'s mode is cut by the umask; the mode is part of the contract. */
	if (files_write_all(fd, text, strlen(text)) != 0 ||
	    fchmod(fd, 0644) == -1 || fsync(fd) == -1)
		return io_refusal(path, why, whylen);
	return 0;
}

/* Writes text to a new file dir/name, mode 0644. */
static int
write_new(const char *dir, const char *name, const char *text, char *why,
    size_t whylen)
{
	char path[CONFIG_PATH_MAX];
	int fd = -1, r;

	if ((r = create_new(dir, name, path, &fd, why, whylen)) != 0)
		return r;
	r = fill_new(fd, path, text, why, whylen);
	if (close(fd) == -1 && r == 0)
		r = io_refusal(path, why, whylen);
	return r;
}

int
config_write_defaults(const char *dir, int port, const char *listen,
    char *why, size_t whylen)
{
	char text[sizeof(DAEMON_TEXT) + 128];
	int n, r;

	if (listen == NULL)
		listen = CONFIG_DEFAULT_LISTEN;
	if (dir == NULL || *dir == '\0')
		return sluice_why(why, whylen, SLUICE_ECONFIG, "no directory given");
	if (port < 1 || port > 65535)
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "port %d: out of range (1..65535)", port);
	if (strlen(listen) >= 64 || !addr_ok(listen))
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "listen %.64s: not an IPv4 or IPv6 address", listen);
	n = snprintf(text, sizeof(text), DAEMON_TEXT, listen, port);
	if (n < 0 || (size_t)n >= sizeof(text))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "sluiced.conf: too long");
	if ((r = write_new(dir, CONFIG_DAEMON_FILE, text, why, whylen)) != 0)
		return r;
	return write_new(dir, CONFIG_POLICY_FILE, policy_text, why, whylen);
}

int
config_host_pub(const struct sluice_config *cfg, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s.pub", cfg->host_key);

	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

const char *
config_policy_text(void)
{
	return policy_text;
}

const char *
mail_transport_name(enum mail_transport t)
{
	switch (t) {
	case MAIL_MAILDIR:	return "maildir";
	case MAIL_SENDMAIL:	return "sendmail";
	}
	return "unknown";
}
