/*
 * test_config: sluiced.conf and the policy file. Defaults load; every kind of
 * bad value is refused with its file, line and reason; the written defaults
 * and policies/default.conf are the documented text.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice/config.h"
#include "sluice/error.h"
#include "suite_run.h"

static char tmpdir[64];

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
rm(const char *name)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	(void)unlink(path);
}

static void
teardown(void)
{
	rm("sluiced.conf");
	rm("policy.conf");
	rm("other.conf");
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

static void
put_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	(void)unlink(path);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Parses text as a daemon (kind 'd') or policy ('p') file named t.conf. */
static int
parse_text(int kind, const char *text, size_t len, struct sluice_config *cfg,
    char *why, size_t whylen)
{
	FILE *fp;
	int r;

	ck_assert_int_eq(config_defaults("/srv/sluice", cfg, why, whylen), 0);
	ck_assert_ptr_nonnull(fp = fmemopen((void *)(uintptr_t)text, len, "r"));
	if (kind == 'd')
		r = config_parse_daemon(fp, "t.conf", cfg, why, whylen);
	else
		r = config_parse_policy(fp, "t.conf", &cfg->policy, why, whylen);
	fclose(fp);
	return r;
}

START_TEST(defaults_write_and_load)
{
	struct sluice_config loaded, dflt;
	char why[512] = "", path[256];
	struct stat st;

	ck_assert_int_eq(config_write_defaults(tmpdir, CONFIG_DEFAULT_PORT, NULL,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(config_load(tmpdir, &loaded, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(config_defaults(tmpdir, &dflt, why, sizeof(why)), 0);
	/* The documented defaults and the built-in ones are the same, byte for byte. */
	ck_assert_int_eq(memcmp(&loaded, &dflt, sizeof(loaded)), 0);

	ck_assert_str_eq(loaded.listen, "127.0.0.1");
	ck_assert_int_eq(loaded.port, 2222);
	(void)snprintf(path, sizeof(path), "%s/host_ed25519_key", tmpdir);
	ck_assert_str_eq(loaded.host_key, path);
	(void)snprintf(path, sizeof(path), "%s/sluice.db", tmpdir);
	ck_assert_str_eq(loaded.store_path, path);
	(void)snprintf(path, sizeof(path), "%s/master.key", tmpdir);
	ck_assert_str_eq(loaded.master_key, path);
	(void)snprintf(path, sizeof(path), "%s/release.pub", tmpdir);
	ck_assert_str_eq(loaded.release_pub, path);
	(void)snprintf(path, sizeof(path), "%s/mail", tmpdir);
	ck_assert_str_eq(loaded.maildir, path);
	(void)snprintf(path, sizeof(path), "%s/policy.conf", tmpdir);
	ck_assert_str_eq(loaded.policy_file, path);
	ck_assert_int_eq(loaded.login_grace_time, 30);
	ck_assert_int_eq(loaded.max_sessions, 256);
	ck_assert_int_eq(loaded.max_startups.begin, 128);
	ck_assert_int_eq(loaded.max_startups.rate, 30);
	ck_assert_int_eq(loaded.max_startups.full, 256);
	ck_assert_int_eq(loaded.per_source_max_startups, 100);
	ck_assert_int_eq(loaded.per_source_netblock.v4, 32);
	ck_assert_int_eq(loaded.per_source_netblock.v6, 64);
	ck_assert_int_eq(loaded.penalties.authfail, 5);
	ck_assert_int_eq(loaded.penalties.noauth, 1);
	ck_assert_int_eq(loaded.penalties.grace, 10);
	ck_assert_int_eq(loaded.penalties.protocol, 5);
	ck_assert_int_eq(loaded.penalties.crash, 90);
	ck_assert_int_eq(loaded.penalties.max, 600);
	ck_assert_int_eq(loaded.penalties.min, 15);
	ck_assert_int_eq(loaded.penalties.max_sources, 65536);
	ck_assert_int_eq(loaded.penalties.overflow, CONFIG_OVERFLOW_PERMISSIVE);
	ck_assert_str_eq(loaded.penalties.exempt, "");
	ck_assert_int_eq(loaded.idle_timeout, 900);
	ck_assert_int_eq(loaded.mail_transport, MAIL_MAILDIR);
	ck_assert_str_eq(mail_transport_name(loaded.mail_transport), "maildir");
	ck_assert_str_eq(loaded.sendmail, "/usr/sbin/sendmail");
	ck_assert_str_eq(loaded.mail_from, "sluice@localhost");
	ck_assert_str_eq(loaded.staff_to, "");
	ck_assert_str_eq(loaded.sandbox_user, "sluice");
	(void)snprintf(path, sizeof(path), "%s/empty", tmpdir);
	ck_assert_str_eq(loaded.sandbox_chroot, path);

	ck_assert_uint_eq(loaded.policy.n_expiry_days, 3);
	ck_assert_int_eq(loaded.policy.expiry_days[0], 90);
	ck_assert_int_eq(loaded.policy.expiry_days[1], 30);
	ck_assert_int_eq(loaded.policy.expiry_days[2], 7);
	ck_assert_int_eq(loaded.policy.cert_due_days, 30);
	ck_assert_uint_eq(loaded.policy.n_cert_reminder_days, 2);
	ck_assert_int_eq(loaded.policy.cert_reminder_days[0], 7);
	ck_assert_int_eq(loaded.policy.cert_reminder_days[1], 1);
	ck_assert_int_eq(loaded.policy.cert_max_bytes, 1048576);
	ck_assert_int_eq(loaded.policy.dspt_waived, 0);
	ck_assert_int_eq(loaded.policy.download_window_days, 0);
	ck_assert_int_eq(loaded.policy.download_max_count, 0);
	ck_assert_int_eq(loaded.policy.inbox_max_bytes, 107374182400LL);
	ck_assert_int_eq(loaded.policy.inbox_reserve_bytes, 67108864);

	(void)snprintf(path, sizeof(path), "%s/sluiced.conf", tmpdir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	(void)snprintf(path, sizeof(path), "%s/policy.conf", tmpdir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);

	/* Never overwritten. */
	ck_assert_int_eq(config_write_defaults(tmpdir, 2222, NULL, why, sizeof(why)),
	    SLUICE_EEXIST);
	(void)snprintf(path, sizeof(path), "%s/sluiced.conf: File exists", tmpdir);
	ck_assert_str_eq(why, path);
}
END_TEST

START_TEST(write_defaults_port_and_listen)
{
	struct sluice_config cfg;
	char why[512];

	ck_assert_int_eq(config_write_defaults(tmpdir, 0, NULL, why, sizeof(why)),
	    SLUICE_ECONFIG);
	ck_assert_str_eq(why, "port 0: out of range (1..65535)");
	ck_assert_int_eq(config_write_defaults(tmpdir, 65536, NULL, why, sizeof(why)),
	    SLUICE_ECONFIG);
	ck_assert_str_eq(why, "port 65536: out of range (1..65535)");
	ck_assert_int_eq(config_write_defaults(tmpdir, 22, "example.org", why,
	    sizeof(why)), SLUICE_ECONFIG);
	ck_assert_str_eq(why, "listen example.org: not an IPv4 or IPv6 address");
	ck_assert_int_eq(config_write_defaults(tmpdir, 2200, "::1", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), 0);
	ck_assert_int_eq(cfg.port, 2200);
	ck_assert_str_eq(cfg.listen, "::1");
}
END_TEST

START_TEST(policy_file_matches_source)
{
	const char *src = getenv("SLUICE_SRC");
	const char *want = config_policy_text();
	char path[1024], *got;
	struct sluice_config cfg;
	char why[256];
	size_t n;
	FILE *fp;
	long len;

	ck_assert_msg(src != NULL, "SLUICE_SRC is not set");
	(void)snprintf(path, sizeof(path), "%s/policies/default.conf", src);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	ck_assert_int_ge(len = ftell(fp), 0);
	rewind(fp);
	ck_assert_ptr_nonnull(got = malloc((size_t)len + 1));
	n = fread(got, 1, (size_t)len, fp);
	fclose(fp);
	got[n] = '\0';
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_str_eq(got, want);
	/* And it parses to the built-in defaults. */
	ck_assert_int_eq(parse_text('p', got, n, &cfg, why, sizeof(why)), 0);
	free(got);
}
END_TEST

static const struct bad {
	int		 kind;	/* 'd' sluiced.conf, 'p' policy */
	const char	*text;
	const char	*reason;
} bads[] = {
	{ 'd', "[server]\nport = 0\n", "t.conf:2: port = 0: out of range (1..65535)" },
	{ 'd', "[server]\nport = 65536\n", "t.conf:2: port = 65536: out of range (1..65535)" },
	{ 'd', "[server]\nport = abc\n", "t.conf:2: port = abc: not a whole number" },
	{ 'd', "[server]\nport = 22x\n", "t.conf:2: port = 22x: not a whole number" },
	{ 'd', "[server]\nport = +22\n", "t.conf:2: port = +22: not a whole number" },
	{ 'd', "[server]\nport = 0x16\n", "t.conf:2: port = 0x16: not a whole number" },
	{ 'd', "[server]\nport =\n", "t.conf:2: port = : not a whole number" },
	{ 'd', "[server]\nport = 99999999999999999999\n",
	    "t.conf:2: port = 99999999999999999999: out of range (1..65535)" },
	{ 'd', "[server]\n# a comment\n\n; another\nidle_timeout = -1\n",
	    "t.conf:5: idle_timeout = -1: out of range (0..86400)" },
	{ 'd', "[server]\nlogin_grace_time = 601\n",
	    "t.conf:2: login_grace_time = 601: out of range (1..600)" },
	{ 'd', "[server]\nmax_startups = 10:30\n",
	    "t.conf:2: max_startups = 10:30: not N or start:rate:full" },
	{ 'd', "[server]\nmax_startups = 10:30:100:5\n",
	    "t.conf:2: max_startups = 10:30:100:5: not N or start:rate:full" },
	{ 'd', "[server]\nmax_startups = 10::100\n",
	    "t.conf:2: max_startups = 10::100: not N or start:rate:full" },
	{ 'd', "[server]\nmax_startups = 10:0:100\n",
	    "t.conf:2: max_startups rate = 0: out of range (1..100)" },
	{ 'd', "[server]\nmax_startups = 0\n",
	    "t.conf:2: max_startups start = 0: out of range (1..10000)" },
	{ 'd', "[server]\nmax_startups = 10:30:x\n",
	    "t.conf:2: max_startups full = x: not a whole number" },
	{ 'd', "[server]\nmax_startups = 100:30:10\n",
	    "t.conf:2: max_startups = 100:30:10: start is more than full" },
	{ 'd', "[server]\nper_source_max_startups = -1\n",
	    "t.conf:2: per_source_max_startups = -1: out of range (0..10000)" },
	{ 'd', "[server]\nper_source_netblock = 33\n",
	    "t.conf:2: per_source_netblock ipv4 = 33: out of range (0..32)" },
	{ 'd', "[server]\nper_source_netblock = 24:129\n",
	    "t.conf:2: per_source_netblock ipv6 = 129: out of range (0..128)" },
	{ 'd', "[server]\nper_source_netblock = 24:64:8\n",
	    "t.conf:2: per_source_netblock = 24:64:8: not IPV4BITS or IPV4BITS:IPV6BITS" },
	{ 'd', "[penalties]\nauthfail = -5\n",
	    "t.conf:2: authfail = -5: out of range (0..86400)" },
	{ 'd', "[penalties]\nmax = 0\n", "t.conf:2: max = 0: out of range (1..86400)" },
	{ 'd', "[penalties]\nmax_sources = 262145\n",
	    "t.conf:2: max_sources = 262145: out of range (1..262144)" },
	{ 'd', "[penalties]\noverflow = deny\n",
	    "t.conf:2: overflow = deny: not permissive or deny-all" },
	{ 'd', "[penalties]\nexempt = 10.0.0.0/33\n",
	    "t.conf:2: exempt = 10.0.0.0/33: not at most 16 addresses or ADDR/BITS "
	    "networks separated by commas" },
	{ 'd', "[penalties]\nexempt = 10.0.0.1,,::1\n",
	    "t.conf:2: exempt = 10.0.0.1,,::1: not at most 16 addresses or ADDR/BITS "
	    "networks separated by commas" },
	{ 'd', "[penalties]\nexempt = example.org\n",
	    "t.conf:2: exempt = example.org: not at most 16 addresses or ADDR/BITS "
	    "networks separated by commas" },
	{ 'd', "[server]\nport = 22\nport = 23\n",
	    "t.conf:3: port in [server] is set twice (first on line 2)" },
	/* inih joins an indented line to the key above: still set twice. */
	{ 'd', "[server]\nport = 22\n   23\n",
	    "t.conf:3: port in [server] is set twice (first on line 2)" },
	{ 'd', "[server]\nlisten = localhost\n",
	    "t.conf:2: listen = localhost: not an IPv4 or IPv6 address" },
	{ 'd', "[server]\nbogus = 1\n", "t.conf:2: unknown key bogus in [server]" },
	{ 'd', "[store]\nport = 1\n", "t.conf:2: unknown key port in [store]" },
	{ 'd', "[server]\nport = 2222\n[bogus]\n", "t.conf:3: unknown section [bogus]" },
	{ 'd', "port = 1\n", "t.conf:1: port: a key outside any [section]" },
	{ 'd', "[server]\nport\n", "t.conf:2: not a [section], a key = value or a comment" },
	{ 'd', "[server\nport = 1\n", "t.conf:1: not a [section], a key = value or a comment" },
	{ 'd', "[mail]\ntransport = smtp\n",
	    "t.conf:2: transport = smtp: not maildir or sendmail" },
	{ 'd', "[mail]\nsendmail = sendmail -t\n",
	    "t.conf:2: sendmail = sendmail -t: not an absolute path" },
	{ 'd', "[mail]\nfrom = nobody\n", "t.conf:2: from = nobody: not an e-mail address" },
	{ 'd', "[mail]\nfrom = a@b@c\n", "t.conf:2: from = a@b@c: not an e-mail address" },
	{ 'd', "[mail]\nfrom = a b@c\n", "t.conf:2: from = a b@c: not an e-mail address" },
	{ 'd', "[mail]\nstaff_to = a@b,,c@d\n",
	    "t.conf:2: staff_to = a@b,,c@d: not e-mail addresses separated by commas" },
	{ 'd', "[mail]\nstaff_to = a@b,\n",
	    "t.conf:2: staff_to = a@b,: not e-mail addresses separated by commas" },
	{ 'd', "[store]\npath =\n", "t.conf:2: path: empty path" },
	{ 'd', "[sandbox]\nuser = Root\n", "t.conf:2: user = Root: not a user name" },
	{ 'd', "[sandbox]\nuser = -x\n", "t.conf:2: user = -x: not a user name" },
	{ 'd', "[sandbox]\nuser = a b\n", "t.conf:2: user = a b: not a user name" },
	{ 'd', "[sandbox]\nuser = ../x\n", "t.conf:2: user = ../x: not a user name" },
	{ 'd', "[sandbox]\nuser =\n", "t.conf:2: user = : not a user name" },
	{ 'd', "[sandbox]\nuser = abcdefghijklmnopqrstuvwxyz0123456\n",
	    "t.conf:2: user: longer than 32 bytes" },
	{ 'd', "[sandbox]\nchroot =\n", "t.conf:2: chroot: empty path" },
	{ 'd', "[server]\nport = 2\0002\n",
	    "t.conf:2: line longer than 198 bytes or holding a NUL byte" },
	{ 'p', "[dspt]\nwaived = maybe\n", "t.conf:2: waived = maybe: not yes or no" },
	{ 'p', "[dspt]\nwaived = 1\n", "t.conf:2: waived = 1: not yes or no" },
	{ 'p', "[reminders]\nexpiry_days = 90,,7\n",
	    "t.conf:2: expiry_days = 90,,7: not a list of whole numbers separated by commas" },
	{ 'p', "[reminders]\nexpiry_days = 90,\n",
	    "t.conf:2: expiry_days = 90,: not a list of whole numbers separated by commas" },
	{ 'p', "[reminders]\nexpiry_days = 90,x\n", "t.conf:2: expiry_days = x: not a whole number" },
	{ 'p', "[reminders]\nexpiry_days = 0\n",
	    "t.conf:2: expiry_days = 0: out of range (1..3650)" },
	{ 'p', "[reminders]\nexpiry_days = 1,2,3,4,5,6,7,8,9\n",
	    "t.conf:2: expiry_days = 1,2,3,4,5,6,7,8,9: more than 8 values" },
	{ 'p', "[reminders]\nexpiry_days = 30, 30\n",
	    "t.conf:2: expiry_days = 30, 30: 30 is given twice" },
	{ 'p', "[certificates]\nreminder_days = 30\n",
	    "t.conf:2: reminder_days: 30 is not less than due_days (30)" },
	{ 'p', "[certificates]\n\ndue_days = 5\n",
	    "t.conf:3: reminder_days: 7 is not less than due_days (5)" },
	{ 'p', "[downloads]\nmax_count = -1\n",
	    "t.conf:2: max_count = -1: out of range (0..1000000)" },
	{ 'p', "[inbox]\nmax_bytes = 1024\n",
	    "t.conf:2: max_bytes = 1024: out of range (1048576..17592186044416)" },
	{ 'p', "[inbox]\nreserve_bytes = 64M\n",
	    "t.conf:2: reserve_bytes = 64M: not a whole number" },
	{ 'p', "[inbox]\nreserve_bytes = 0\n",
	    "t.conf:2: reserve_bytes = 0: out of range (1048576..1125899906842624)" },
	{ 'p', "[server]\nport = 2222\n", "t.conf:1: unknown section [server]" },
	{ 'p', "[dspt]\nwaive = yes\n", "t.conf:2: unknown key waive in [dspt]" },
};

START_TEST(bad_values_refused)
{
	const struct bad *b = &bads[_i];
	struct sluice_config cfg;
	char why[512] = "";
	size_t len = strlen(b->text);

	/* The NUL case: the text runs on past its first NUL. */
	if (strstr(b->reason, "NUL") != NULL)
		len += 3;
	ck_assert_int_eq(parse_text(b->kind, b->text, len, &cfg, why, sizeof(why)),
	    SLUICE_ECONFIG);
	ck_assert_str_eq(why, b->reason);
}
END_TEST

START_TEST(long_line_refused)
{
	struct sluice_config cfg;
	char text[400], why[512];
	int n;

	/* 198 bytes of line is the most; one more is refused, never split. */
	n = snprintf(text, sizeof(text), "[mail]\nfrom = a@%0*d\n", 198 - 9, 0);
	ck_assert_int_lt(n, (int)sizeof(text));
	ck_assert_int_eq(parse_text('d', text, (size_t)n, &cfg, why, sizeof(why)), 0);
	n = snprintf(text, sizeof(text), "[mail]\nfrom = a@%0*d\nport = 1\n", 199 - 9, 0);
	ck_assert_int_eq(parse_text('d', text, (size_t)n, &cfg, why, sizeof(why)),
	    SLUICE_ECONFIG);
	ck_assert_str_eq(why, "t.conf:2: line longer than 198 bytes or holding a NUL byte");
}
END_TEST

START_TEST(good_values_taken)
{
	static const char daemon[] =
	    "; comment\n[server]\nlisten = 0.0.0.0\nport = 1\nidle_timeout = 0\n"
	    "host_key = /etc/sluice/host_key\nmax_startups = 7\n"
	    "per_source_netblock = 24\n[mail]\ntransport = sendmail\n"
	    "staff_to = a@example.org, b@example.org\n[store]\npath=db/x.db ; inline\n"
	    "[penalties]\noverflow = deny-all\nexempt = 192.0.2.0/24, ::1\n"
	    "[sandbox]\nuser = _sluice-2\nchroot = /var/empty\n";
	static const char policy[] =
	    "[reminders]\nexpiry_days = 7, 90 ,30\n[certificates]\nreminder_days =\n"
	    "[dspt]\nwaived = yes\n[downloads]\nwindow_days = 14\nmax_count = 3\n";
	struct sluice_config cfg;
	char why[512];

	ck_assert_int_eq(parse_text('d', daemon, strlen(daemon), &cfg, why, sizeof(why)), 0);
	ck_assert_str_eq(cfg.listen, "0.0.0.0");
	ck_assert_int_eq(cfg.port, 1);
	ck_assert_int_eq(cfg.idle_timeout, 0);
	ck_assert_str_eq(cfg.host_key, "/etc/sluice/host_key");
	ck_assert_str_eq(cfg.store_path, "/srv/sluice/db/x.db");
	ck_assert_int_eq(cfg.mail_transport, MAIL_SENDMAIL);
	ck_assert_str_eq(mail_transport_name(cfg.mail_transport), "sendmail");
	ck_assert_str_eq(cfg.staff_to, "a@example.org, b@example.org");
	/* One number N is N:100:N; one netblock number sets IPv4's. */
	ck_assert_int_eq(cfg.max_startups.begin, 7);
	ck_assert_int_eq(cfg.max_startups.rate, 100);
	ck_assert_int_eq(cfg.max_startups.full, 7);
	ck_assert_int_eq(cfg.per_source_netblock.v4, 24);
	ck_assert_int_eq(cfg.per_source_netblock.v6, 64);
	ck_assert_int_eq(cfg.penalties.overflow, CONFIG_OVERFLOW_DENY_ALL);
	ck_assert_str_eq(cfg.penalties.exempt, "192.0.2.0/24, ::1");
	ck_assert_str_eq(cfg.sandbox_user, "_sluice-2");
	ck_assert_str_eq(cfg.sandbox_chroot, "/var/empty");

	ck_assert_int_eq(parse_text('p', policy, strlen(policy), &cfg, why, sizeof(why)), 0);
	ck_assert_uint_eq(cfg.policy.n_expiry_days, 3);
	ck_assert_int_eq(cfg.policy.expiry_days[0], 90);
	ck_assert_int_eq(cfg.policy.expiry_days[1], 30);
	ck_assert_int_eq(cfg.policy.expiry_days[2], 7);
	ck_assert_uint_eq(cfg.policy.n_cert_reminder_days, 0);
	ck_assert_int_eq(cfg.policy.dspt_waived, 1);
	ck_assert_int_eq(cfg.policy.download_window_days, 14);
	ck_assert_int_eq(cfg.policy.download_max_count, 3);
}
END_TEST

START_TEST(load_refusals)
{
	struct sluice_config cfg;
	char why[512], want[512];

	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), SLUICE_EIO);
	(void)snprintf(want, sizeof(want), "%s/sluiced.conf: No such file or directory",
	    tmpdir);
	ck_assert_str_eq(why, want);

	put_file("sluiced.conf", "[server]\nport = 2300\n", 0644);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), SLUICE_EIO);
	(void)snprintf(want, sizeof(want), "%s/policy.conf: No such file or directory",
	    tmpdir);
	ck_assert_str_eq(why, want);

	/* The policy file is the one sluiced.conf names, relative to DIR. */
	put_file("sluiced.conf", "[server]\nport = 2300\n[policy]\nfile = other.conf\n", 0644);
	put_file("other.conf", "[dspt]\nwaived = yes\n", 0600);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), 0);
	ck_assert_int_eq(cfg.port, 2300);
	ck_assert_int_eq(cfg.policy.dspt_waived, 1);

	put_file("other.conf", "[dspt]\n\nwaived = sometimes\n", 0644);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want),
	    "%s/other.conf:3: waived = sometimes: not yes or no", tmpdir);
	ck_assert_str_eq(why, want);

	put_file("sluiced.conf", "[server]\nport = 0\n", 0644);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want),
	    "%s/sluiced.conf:2: port = 0: out of range (1..65535)", tmpdir);
	ck_assert_str_eq(why, want);

	put_file("sluiced.conf", "[server]\nport = 2300\n", 0666);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want),
	    "%s/sluiced.conf: writable by everyone; refusing it (chmod o-w)", tmpdir);
	ck_assert_str_eq(why, want);

	put_file("sluiced.conf", "[policy]\nfile = other.conf\n", 0644);
	put_file("other.conf", "[dspt]\nwaived = yes\n", 0602);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want),
	    "%s/other.conf: writable by everyone; refusing it (chmod o-w)", tmpdir);
	ck_assert_str_eq(why, want);

	put_file("sluiced.conf", "[policy]\nfile = .\n", 0644);
	ck_assert_int_eq(config_load(tmpdir, &cfg, why, sizeof(why)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want), "%s/.: not a regular file", tmpdir);
	ck_assert_str_eq(why, want);

	ck_assert_int_eq(config_load("", &cfg, why, sizeof(why)), SLUICE_ECONFIG);
	ck_assert_str_eq(why, "no directory given");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_write_and_load);
	tcase_add_test(tc, write_defaults_port_and_listen);
	tcase_add_test(tc, policy_file_matches_source);
	tcase_add_loop_test(tc, bad_values_refused, 0,
	    (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, long_line_refused);
	tcase_add_test(tc, good_values_taken);
	tcase_add_test(tc, load_refusals);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
