/*
 * test_penalty: the parent's per-source limits (daemon/parent/penalty.h)
 * and the addresses they group (lib/netaddr.c), with an injected clock:
 * netblocks (IPv4 /32, IPv6 /64), accumulation, the activation threshold,
 * expiry, the cap, exemptions, a full table in both overflow modes,
 * MaxStartups' early drop, the per-source startup cap, the defaults against
 * a burst and against one silent source, exit statuses, the drop log.
 */
#include <sys/wait.h>

#include <arpa/inet.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parent/penalty.h"
#include "session/exitcode.h"
#include "sluice/config.h"
#include "sluice/error.h"
#include "sluice/netaddr.h"
#include "suite_run.h"

#define SEC	1000u

static struct netaddr
addr(const char *s)
{
	struct netcidr c;

	ck_assert_int_eq(netaddr_parse_cidr(s, strlen(s), &c), 0);
	return c.net;
}

/* The defaults of sluiced.conf, with changes made by the caller. */
static void
conf_default(struct limits_conf *c)
{
	struct sluice_config cfg;
	char why[128];

	ck_assert_int_eq(config_defaults("/srv/sluice", &cfg, why, sizeof(why)), 0);
	limits_conf_from(c, &cfg);
}

static struct limits *
limits_default(void)
{
	struct limits_conf c;
	struct limits *l;

	conf_default(&c);
	ck_assert_ptr_nonnull(l = limits_new(&c, 256));
	return l;
}

/* n failed authentications from a at now; the number that started a
 * penalty (ev of the last one). */
static int
fail_n(struct limits *l, const char *a, int n, uint64_t now,
    struct penalty_event *ev)
{
	struct netaddr x = addr(a);
	int started = 0;

	while (n-- > 0)
		started += limits_penalise(l, &x, PENALTY_AUTHFAIL, now, ev);
	return started;
}

static int
in_penalty(struct limits *l, const char *a, uint64_t now)
{
	struct netaddr x = addr(a);

	return limits_in_penalty(l, &x, now);
}

/* ---- addresses ---- */

START_TEST(netaddr_parse_and_format)
{
	struct netcidr c;
	struct netaddr m;
	char s[NETADDR_STR_MAX];

	ck_assert_int_eq(netaddr_parse_cidr("192.0.2.77/24", 13, &c), 0);
	ck_assert_int_eq(c.bits, 24);
	netaddr_format(&c.net, c.bits, s, sizeof(s));
	ck_assert_str_eq(s, "192.0.2.0/24");
	ck_assert_int_eq(netaddr_parse_cidr("2001:db8:1:2:3:4:5:6", 20, &c), 0);
	ck_assert_int_eq(c.bits, 128);
	netaddr_mask(&c.net, 64, &m);
	netaddr_format(&m, 64, s, sizeof(s));
	ck_assert_str_eq(s, "2001:db8:1:2::/64");
	/* A mapped IPv4 address is the IPv4 one. */
	ck_assert_int_eq(netaddr_parse_cidr("::ffff:10.1.2.3", 15, &c), 0);
	ck_assert_int_eq(c.net.family, AF_INET);
	ck_assert_int_eq(c.bits, 32);
	netaddr_format(&c.net, c.bits, s, sizeof(s));
	ck_assert_str_eq(s, "10.1.2.3/32");
}
END_TEST

static const char *const bad_cidrs[] = {
	"", "/8", "10.0.0.1/", "10.0.0.1/33", "::1/129", "10.0.0.1/3x",
	"10.0.0.1/0008", "example.org", "10.0.0.256", "10.0.0.1 /8", "1::2::3",
};

START_TEST(netaddr_bad)
{
	struct netcidr c;
	const char *s = bad_cidrs[_i];

	ck_assert_int_eq(netaddr_parse_cidr(s, strlen(s), &c), SLUICE_EINVAL);
}
END_TEST

START_TEST(netaddr_lists)
{
	struct netcidr list[NETADDR_LIST_MAX];
	struct netaddr a;
	size_t n = 99;

	ck_assert_int_eq(netaddr_parse_list("  ", list, NETADDR_LIST_MAX, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(netaddr_parse_list("10.0.0.0/8 , 2001:db8::/32,192.0.2.1",
	    list, NETADDR_LIST_MAX, &n), 0);
	ck_assert_uint_eq(n, 3);
	a = addr("10.200.3.4");
	ck_assert_int_eq(netaddr_in_list(&a, list, n), 1);
	a = addr("11.0.0.1");
	ck_assert_int_eq(netaddr_in_list(&a, list, n), 0);
	a = addr("2001:db8:ffff::1");
	ck_assert_int_eq(netaddr_in_list(&a, list, n), 1);
	a = addr("192.0.2.2");
	ck_assert_int_eq(netaddr_in_list(&a, list, n), 0);
	ck_assert_int_eq(netaddr_parse_list("10.0.0.1,", list, NETADDR_LIST_MAX,
	    &n), SLUICE_EINVAL);
	ck_assert_int_eq(netaddr_parse_list("1.1.1.1,2.2.2.2,3.3.3.3", list, 2,
	    &n), SLUICE_EINVAL);
}
END_TEST

START_TEST(netaddr_sockaddr)
{
	struct sockaddr_in6 in6;
	struct sockaddr_in in4;
	struct netaddr a;
	char s[NETADDR_STR_MAX];

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.2", &in4.sin_addr), 1);
	ck_assert_int_eq(netaddr_from_sockaddr((struct sockaddr *)&in4,
	    sizeof(in4), &a), 0);
	netaddr_format(&a, 32, s, sizeof(s));
	ck_assert_str_eq(s, "127.0.0.2/32");
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.3", &in6.sin6_addr), 1);
	ck_assert_int_eq(netaddr_from_sockaddr((struct sockaddr *)&in6,
	    sizeof(in6), &a), 0);
	netaddr_format(&a, 32, s, sizeof(s));
	ck_assert_str_eq(s, "127.0.0.3/32");
	in6.sin6_family = AF_UNIX;
	ck_assert_int_eq(netaddr_from_sockaddr((struct sockaddr *)&in6,
	    sizeof(in6), &a), SLUICE_EINVAL);
}
END_TEST

/* ---- penalties ---- */

/* authfail 5 s, min 15 s: three failures hold 15 s, not more than min;
 * the fourth starts the penalty, once. */
START_TEST(activation_threshold)
{
	struct limits *l = limits_default();
	struct penalty_event ev;

	ck_assert_int_eq(fail_n(l, "192.0.2.7", 3, 0, &ev), 0);
	ck_assert_int_eq(in_penalty(l, "192.0.2.7", 0), 0);
	ck_assert_int_eq(fail_n(l, "192.0.2.7", 1, 0, &ev), 1);
	ck_assert_str_eq(ev.source, "192.0.2.7/32");
	ck_assert_int_eq(ev.kind, PENALTY_AUTHFAIL);
	ck_assert_uint_eq(ev.ms, 20 * SEC);
	ck_assert_int_eq(in_penalty(l, "192.0.2.7", 0), 1);
	/* More failures lengthen it but start nothing new. */
	ck_assert_int_eq(fail_n(l, "192.0.2.7", 26, 0, &ev), 0);
	ck_assert_int_eq(in_penalty(l, "192.0.2.7", 150 * SEC - 1), 1);
	ck_assert_int_eq(in_penalty(l, "192.0.2.7", 150 * SEC), 0);
	limits_free(l);
}
END_TEST

/* Seconds run down: three failures, ten seconds, one more: 5 + 5 left. */
START_TEST(accumulation_decays)
{
	struct limits *l = limits_default();
	struct penalty_event ev;
	struct netaddr a = addr("192.0.2.8");

	ck_assert_int_eq(fail_n(l, "192.0.2.8", 3, 0, &ev), 0);
	ck_assert_int_eq(fail_n(l, "192.0.2.8", 1, 10 * SEC, &ev), 0);
	ck_assert_int_eq(fail_n(l, "192.0.2.8", 1, 10 * SEC, &ev), 0);
	ck_assert_int_eq(fail_n(l, "192.0.2.8", 1, 10 * SEC, &ev), 1);
	ck_assert_uint_eq(ev.ms, 20 * SEC);
	/* Kinds add up together: one grace (10 s) more. */
	ck_assert_int_eq(limits_penalise(l, &a, PENALTY_GRACE, 10 * SEC, &ev), 0);
	ck_assert_int_eq(in_penalty(l, "192.0.2.8", 40 * SEC - 1), 1);
	ck_assert_int_eq(in_penalty(l, "192.0.2.8", 40 * SEC), 0);
	/* After it ends, a new one starts over, and is told again. */
	ck_assert_int_eq(fail_n(l, "192.0.2.8", 4, 41 * SEC, &ev), 1);
	ck_assert_uint_eq(ev.ms, 20 * SEC);
	limits_free(l);
}
END_TEST

START_TEST(capped_at_max)
{
	struct limits *l = limits_default();
	struct penalty_event ev;

	ck_assert_int_eq(fail_n(l, "192.0.2.9", 1000, 5 * SEC, &ev), 1);
	ck_assert_int_eq(in_penalty(l, "192.0.2.9", 605 * SEC - 1), 1);
	ck_assert_int_eq(in_penalty(l, "192.0.2.9", 605 * SEC), 0);
	limits_free(l);
}
END_TEST

START_TEST(kinds_and_none)
{
	struct limits *l = limits_default();
	struct penalty_event ev;
	struct netaddr a = addr("198.51.100.1"), b = addr("198.51.100.2");
	int i;

	/* noauth 1 s: fifteen hold 15 s, the sixteenth starts it. */
	for (i = 0; i < 15; i++)
		ck_assert_int_eq(limits_penalise(l, &a, PENALTY_NOAUTH, 0, &ev), 0);
	ck_assert_int_eq(limits_penalise(l, &a, PENALTY_NOAUTH, 0, &ev), 1);
	ck_assert_int_eq(ev.kind, PENALTY_NOAUTH);
	/* A crash (90 s) starts one at once; PENALTY_NONE earns nothing. */
	ck_assert_int_eq(limits_penalise(l, &b, PENALTY_NONE, 0, &ev), 0);
	ck_assert_int_eq(limits_in_penalty(l, &b, 0), 0);
	ck_assert_int_eq(limits_penalise(l, &b, PENALTY_CRASH, 0, &ev), 1);
	ck_assert_uint_eq(ev.ms, 90 * SEC);
	ck_assert_str_eq(penalty_kind_name(ev.kind),
	    "session crashed before authentication");
	limits_free(l);
}
END_TEST

START_TEST(netblocks)
{
	struct limits_conf c;
	struct limits *l;
	struct penalty_event ev;

	conf_default(&c);
	ck_assert_ptr_nonnull(l = limits_new(&c, 8));
	/* IPv4 /32: 127.0.0.2 is another source. */
	ck_assert_int_eq(fail_n(l, "127.0.0.1", 4, 0, &ev), 1);
	ck_assert_int_eq(in_penalty(l, "127.0.0.1", 0), 1);
	ck_assert_int_eq(in_penalty(l, "127.0.0.2", 0), 0);
	/* IPv6 /64: the whole /64 is one source, the next /64 another. */
	ck_assert_int_eq(fail_n(l, "2001:db8:1:2::1", 2, 0, &ev), 0);
	ck_assert_int_eq(fail_n(l, "2001:db8:1:2:ffff:ffff:ffff:fffe", 2, 0,
	    &ev), 1);
	ck_assert_str_eq(ev.source, "2001:db8:1:2::/64");
	ck_assert_int_eq(in_penalty(l, "2001:db8:1:2:abcd::9", 0), 1);
	ck_assert_int_eq(in_penalty(l, "2001:db8:1:3::1", 0), 0);
	limits_free(l);
	/* per_source_netblock = 24:48 */
	c.v4_bits = 24;
	c.v6_bits = 48;
	ck_assert_ptr_nonnull(l = limits_new(&c, 8));
	ck_assert_int_eq(fail_n(l, "127.0.0.1", 4, 0, &ev), 1);
	ck_assert_str_eq(ev.source, "127.0.0.0/24");
	ck_assert_int_eq(in_penalty(l, "127.0.0.200", 0), 1);
	ck_assert_int_eq(in_penalty(l, "127.0.1.1", 0), 0);
	ck_assert_int_eq(fail_n(l, "2001:db8:1:2::1", 4, 0, &ev), 1);
	ck_assert_int_eq(in_penalty(l, "2001:db8:1:ffff::1", 0), 1);
	limits_free(l);
}
END_TEST

START_TEST(exempt_networks)
{
	struct limits_conf c;
	struct limits *l;
	struct penalty_event ev;

	conf_default(&c);
	ck_assert_int_eq(netaddr_parse_list("127.0.0.0/8, ::1", c.exempt,
	    NETADDR_LIST_MAX, &c.nexempt), 0);
	ck_assert_ptr_nonnull(l = limits_new(&c, 8));
	ck_assert_int_eq(fail_n(l, "127.0.0.9", 50, 0, &ev), 0);
	ck_assert_int_eq(in_penalty(l, "127.0.0.9", 0), 0);
	ck_assert_int_eq(fail_n(l, "::1", 50, 0, &ev), 0);
	ck_assert_int_eq(fail_n(l, "::2", 4, 0, &ev), 1);
	limits_free(l);
}
END_TEST

/* Permissive (OpenSSH's default): a full table forgets the penalty that
 * ends soonest, unless the new one would end sooner still. */
START_TEST(overflow_permissive)
{
	struct limits_conf c;
	struct limits *l;
	struct penalty_event ev;
	struct netaddr x = addr("203.0.113.3");

	conf_default(&c);
	c.max_sources = 2;
	ck_assert_ptr_nonnull(l = limits_new(&c, 8));
	ck_assert_int_eq(fail_n(l, "203.0.113.1", 4, 0, &ev), 1);	/* 20 s */
	ck_assert_int_eq(fail_n(l, "203.0.113.2", 6, 0, &ev), 1);	/* 30 s */
	/* 1 s would end before both: not remembered. */
	ck_assert_int_eq(limits_penalise(l, &x, PENALTY_NOAUTH, 0, &ev), 0);
	ck_assert_int_eq(in_penalty(l, "203.0.113.1", 0), 1);
	ck_assert_int_eq(in_penalty(l, "203.0.113.2", 0), 1);
	/* 90 s pushes out the 20 s one. */
	ck_assert_int_eq(limits_penalise(l, &x, PENALTY_CRASH, 0, &ev), 1);
	ck_assert_int_eq(in_penalty(l, "203.0.113.1", 0), 0);
	ck_assert_int_eq(in_penalty(l, "203.0.113.2", 0), 1);
	ck_assert_int_eq(in_penalty(l, "203.0.113.3", 0), 1);
	/* Entries whose time ran out make room first. */
	ck_assert_int_eq(fail_n(l, "203.0.113.4", 4, 31 * SEC, &ev), 1);
	ck_assert_int_eq(in_penalty(l, "203.0.113.3", 31 * SEC), 1);
	limits_free(l);
}
END_TEST

/* Deny-all: a full table refuses every source not exempt until an entry's
 * time runs out. */
START_TEST(overflow_deny_all)
{
	struct limits_conf c;
	struct limits *l;
	struct penalty_event ev;
	struct netaddr x = addr("203.0.113.9");

	conf_default(&c);
	c.max_sources = 2;
	c.deny_all = 1;
	ck_assert_ptr_nonnull(l = limits_new(&c, 8));
	ck_assert_int_eq(limits_admit(l, &x, 0, 99), DROP_NONE);
	ck_assert_int_eq(fail_n(l, "203.0.113.1", 1, 0, &ev), 0);	/* 5 s */
	ck_assert_int_eq(fail_n(l, "203.0.113.2", 4, 0, &ev), 1);	/* 20 s */
	ck_assert_int_eq(limits_admit(l, &x, 0, 99), DROP_OVERFLOW);
	ck_assert_int_eq(limits_penalise(l, &x, PENALTY_CRASH, 0, &ev), 0);
	ck_assert_int_eq(limits_admit(l, &x, 5 * SEC, 99), DROP_NONE);
	ck_assert_int_eq(limits_admit(l, &x, 5 * SEC, 99), DROP_NONE);
	x = addr("203.0.113.2");
	ck_assert_int_eq(limits_admit(l, &x, 5 * SEC, 99), DROP_PENALTY);
	limits_free(l);
}
END_TEST

/* Many sources, many lookups out of order: removals inside runs of the
 * table keep every other entry findable. */
START_TEST(table_stress)
{
	struct limits_conf c;
	struct limits *l;
	struct penalty_event ev;
	struct netaddr a;
	char s[32];
	int i, j, k, t;

	conf_default(&c);
	c.max_sources = 1024;
	ck_assert_ptr_nonnull(l = limits_new(&c, 8));
	for (i = 0; i < 1000; i++) {
		(void)snprintf(s, sizeof(s), "10.%d.%d.1", i / 250, i % 250);
		a = addr(s);
		/* source i: 16 + i % 100 s, from time 0 */
		for (k = 0; k < 16 + i % 100; k++)
			(void)limits_penalise(l, &a, PENALTY_NOAUTH, 0, &ev);
	}
	/* Time only goes forward: each second, 60 sources out of order. */
	for (t = 16; t <= 116; t++)
		for (k = 0; k < 60; k++) {
			j = (t * 7919 + k * 131) % 1000;
			(void)snprintf(s, sizeof(s), "10.%d.%d.1", j / 250, j % 250);
			a = addr(s);
			ck_assert_int_eq(limits_in_penalty(l, &a, (uint64_t)t * SEC),
			    16 + j % 100 > t);
		}
	limits_free(l);
}
END_TEST

/* ---- startups ---- */

START_TEST(early_drop)
{
	struct limits_conf c;
	struct limits *l;
	struct netaddr a;
	char s[32];
	size_t i;

	conf_default(&c);
	c.startups_begin = 10;
	c.startups_rate = 30;
	c.startups_full = 20;
	c.per_source_startups = 0;
	ck_assert_ptr_nonnull(l = limits_new(&c, 32));
	a = addr("192.0.2.1");
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(limits_admit(l, &a, 0, 0), DROP_NONE);
		(void)snprintf(s, sizeof(s), "198.51.100.%zu", i);
		a = addr(s);
		limits_startup_begin(l, i, &a);
	}
	ck_assert_uint_eq(limits_startups(l), 10);
	/* At start: rate %. */
	ck_assert_int_eq(limits_admit(l, &a, 0, 29), DROP_STARTUPS);
	ck_assert_int_eq(limits_admit(l, &a, 0, 30), DROP_NONE);
	for (; i < 15; i++)
		limits_startup_begin(l, i, &a);
	/* Half-way: 30 + 70 * 5 / 10 = 65 %. */
	ck_assert_int_eq(limits_admit(l, &a, 0, 64), DROP_STARTUPS);
	ck_assert_int_eq(limits_admit(l, &a, 0, 65), DROP_NONE);
	for (; i < 20; i++)
		limits_startup_begin(l, i, &a);
	ck_assert_int_eq(limits_admit(l, &a, 0, 99), DROP_STARTUPS);
	limits_startup_end(l, 3);
	limits_startup_end(l, 3);	/* once only */
	ck_assert_uint_eq(limits_startups(l), 19);
	limits_free(l);
}
END_TEST

START_TEST(per_source_cap)
{
	struct limits_conf c;
	struct limits *l;
	struct netaddr a = addr("2001:db8::1"), b = addr("2001:db8::2:1"),
	    other = addr("2001:db8:0:1::1");

	conf_default(&c);
	c.per_source_startups = 3;
	ck_assert_ptr_nonnull(l = limits_new(&c, 8));
	limits_startup_begin(l, 0, &a);
	limits_startup_begin(l, 1, &b);
	ck_assert_int_eq(limits_admit(l, &a, 0, 0), DROP_NONE);
	limits_startup_begin(l, 5, &a);
	/* Three from the /64: a fourth is refused, another /64 is not. */
	ck_assert_int_eq(limits_admit(l, &b, 0, 99), DROP_SOURCE);
	ck_assert_int_eq(limits_admit(l, &other, 0, 0), DROP_NONE);
	limits_startup_end(l, 1);
	ck_assert_int_eq(limits_admit(l, &b, 0, 99), DROP_NONE);
	limits_free(l);
}
END_TEST

/* The defaults: 64 logins from one address at the same moment all get in,
 * whatever the dice say; 100 silent connections from one address neither
 * pass the per-source cap nor make another address's connection drop. */
START_TEST(defaults_burst_and_silent)
{
	struct limits *l = limits_default();
	struct netaddr a = addr("127.0.0.1"), b = addr("127.0.0.2");
	size_t i;

	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(limits_admit(l, &a, 0, 0), DROP_NONE);
		limits_startup_begin(l, i, &a);
	}
	ck_assert_int_eq(limits_admit(l, &a, 0, 99), DROP_SOURCE);
	ck_assert_int_eq(limits_admit(l, &b, 0, 0), DROP_NONE);
	limits_free(l);
}
END_TEST

/* ---- how sessions end ---- */

static const struct ending {
	int	status;
	int	authed;
	enum penalty_kind want;
} endings[] = {
	{ W_EXITCODE(SESSION_EXIT_OK, 0), 0, PENALTY_NONE },
	{ W_EXITCODE(SESSION_EXIT_AUTHFAIL, 0), 0, PENALTY_AUTHFAIL },
	{ W_EXITCODE(SESSION_EXIT_AUTHFAIL, 0), 1, PENALTY_NONE },
	{ W_EXITCODE(SESSION_EXIT_NOAUTH, 0), 0, PENALTY_NOAUTH },
	{ W_EXITCODE(SESSION_EXIT_ERROR, 0), 0, PENALTY_NOAUTH },
	{ W_EXITCODE(SESSION_EXIT_GRACE, 0), 0, PENALTY_GRACE },
	{ W_EXITCODE(SESSION_EXIT_PROTOCOL, 0), 0, PENALTY_PROTOCOL },
	{ W_EXITCODE(77, 0), 0, PENALTY_NOAUTH },
	{ W_EXITCODE(0, SIGALRM), 0, PENALTY_GRACE },
	{ W_EXITCODE(0, SIGSEGV), 0, PENALTY_CRASH },
	{ W_EXITCODE(0, SIGSYS), 0, PENALTY_CRASH },
	{ W_EXITCODE(0, SIGSYS), 1, PENALTY_NONE },
	{ W_EXITCODE(0, SIGTERM), 0, PENALTY_NONE },
	{ W_EXITCODE(0, SIGKILL), 0, PENALTY_NONE },
};

START_TEST(exit_statuses)
{
	const struct ending *e = &endings[_i];

	ck_assert_int_eq(penalty_of_exit(e->status, e->authed), e->want);
}
END_TEST

/* ---- the drop log ---- */

START_TEST(drop_log)
{
	struct droplog d;
	char line[256];

	droplog_init(&d);
	ck_assert_int_eq(droplog_wait_ms(&d, 0), -1);
	/* A penalty's refusals are never logged one by one. */
	ck_assert_int_eq(droplog_note(&d, DROP_PENALTY, 1000), 0);
	ck_assert_int_eq(droplog_wait_ms(&d, 4000), 7000);
	/* The first other drop is, though refusals are counted. */
	ck_assert_int_eq(droplog_note(&d, DROP_STARTUPS, 2000), 1);
	ck_assert_int_eq(droplog_note(&d, DROP_STARTUPS, 2500), 0);
	ck_assert_int_eq(droplog_note(&d, DROP_PENALTY, 3000), 0);
	ck_assert_int_eq(droplog_summary(&d, 10999, line, sizeof(line)), 0);
	ck_assert_int_eq(droplog_summary(&d, 11000, line, sizeof(line)), 1);
	ck_assert_str_eq(line, "dropped 3 connections in 10 s (source in "
	    "penalty: 2, max_startups: 1)");
	ck_assert_int_eq(droplog_wait_ms(&d, 11000), -1);
	/* Ten seconds after the last one in full, the next is in full. */
	ck_assert_int_eq(droplog_note(&d, DROP_SOURCE, 11999), 0);
	ck_assert_int_eq(droplog_summary(&d, 22000, line, sizeof(line)), 1);
	ck_assert_str_eq(line, "dropped 1 connection in 10 s "
	    "(per_source_max_startups reached: 1)");
	ck_assert_int_eq(droplog_note(&d, DROP_SOURCE, 22000), 1);
	ck_assert_int_eq(droplog_note(&d, DROP_SESSIONS, 22001), 0);
	ck_assert_int_eq(droplog_wait_ms(&d, 22001), 10000);
	droplog_init(&d);
	ck_assert_int_eq(droplog_note(&d, DROP_SESSIONS, 5), 1);
}
END_TEST

static Suite *
penalty_suite(void)
{
	Suite *s = suite_create("penalty");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, netaddr_parse_and_format);
	tcase_add_loop_test(tc, netaddr_bad, 0,
	    sizeof(bad_cidrs) / sizeof(bad_cidrs[0]));
	tcase_add_test(tc, netaddr_lists);
	tcase_add_test(tc, netaddr_sockaddr);
	tcase_add_test(tc, activation_threshold);
	tcase_add_test(tc, accumulation_decays);
	tcase_add_test(tc, capped_at_max);
	tcase_add_test(tc, kinds_and_none);
	tcase_add_test(tc, netblocks);
	tcase_add_test(tc, exempt_networks);
	tcase_add_test(tc, overflow_permissive);
	tcase_add_test(tc, overflow_deny_all);
	tcase_add_test(tc, table_stress);
	tcase_add_test(tc, early_drop);
	tcase_add_test(tc, per_source_cap);
	tcase_add_test(tc, defaults_burst_and_silent);
	tcase_add_loop_test(tc, exit_statuses, 0,
	    sizeof(endings) / sizeof(endings[0]));
	tcase_add_test(tc, drop_log);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(penalty_suite());
}
