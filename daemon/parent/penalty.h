/*
 * penalty.h: the parent's per-source limits (docs/design.md section 7),
 * after OpenSSH's MaxStartups, PerSourceMaxStartups, PerSourceNetBlockSize
 * and PerSourcePenalties. Pure logic: no sockets, no clock, no logging; the
 * caller passes CLOCK_MONOTONIC milliseconds and the random numbers.
 *
 * A source is a client address masked to its netblock (IPv4 /32 and IPv6
 * /64 by default). At accept, before any byte is read, a connection is
 * refused when its source is in penalty, when the connections not yet
 * authenticated ("startups") from its source reach per_source_max_startups,
 * or by MaxStartups' random early drop: from begin startups in all, a new
 * connection is dropped with probability rate%, rising linearly to 100% at
 * full. So honest concurrency passes (a burst of 64 logins from one address
 * is 64 startups, under the per-source cap) while one source that never
 * authenticates holds at most per_source_max_startups, fewer than begin, and
 * cannot make anyone else's connection drop.
 *
 * A session that ends without authenticating earns its source penalty
 * seconds by how it ended (penalty_of_exit): they add up, decay in real
 * time, are capped at max, and once more than min remain the source is
 * refused at accept until they run out. The table of sources is bounded
 * (max_sources); when full, "permissive" forgets the penalty that would end
 * soonest to make room and "deny-all" refuses every connection not exempt
 * until room frees (OpenSSH's overflow modes). Exempt networks are never
 * penalised nor refused for a penalty.
 */
#ifndef SLUICE_PENALTY_H
#define SLUICE_PENALTY_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/config.h"
#include "sluice/netaddr.h"

/* How a session that never authenticated ended. */
enum penalty_kind {
	PENALTY_NONE = 0,
	PENALTY_AUTHFAIL,	/* offered credentials, none accepted */
	PENALTY_NOAUTH,		/* left without trying to authenticate */
	PENALTY_GRACE,		/* login_grace_time ran out */
	PENALTY_PROTOCOL,	/* spoke SSH, but broke the key exchange */
	PENALTY_CRASH,		/* the session process crashed */
	PENALTY_KIND_MAX
};

/* Why a connection is refused at accept. */
enum drop_reason {
	DROP_NONE = 0,
	DROP_PENALTY,		/* its source is in penalty */
	DROP_OVERFLOW,		/* deny-all and the penalty table is full */
	DROP_SESSIONS,		/* max_sessions reached */
	DROP_STARTUPS,		/* MaxStartups' early drop */
	DROP_SOURCE,		/* per_source_max_startups reached */
	DROP_REASON_MAX
};

struct limits_conf {
	int	 v4_bits, v6_bits;		/* per_source_netblock */
	int	 startups_begin, startups_rate, startups_full;
	int	 per_source_startups;		/* 0: no per-source cap */
	uint64_t penalty_ms[PENALTY_KIND_MAX];	/* per kind; 0: none */
	uint64_t max_ms, min_ms;
	size_t	 max_sources;			/* penalty table entries */
	int	 deny_all;			/* overflow mode */
	struct netcidr exempt[NETADDR_LIST_MAX];
	size_t	 nexempt;
};

/* A penalty that has just become active: one log line, one audit entry. */
struct penalty_event {
	char			 source[NETADDR_STR_MAX];	/* "192.0.2.7/32" */
	enum penalty_kind	 kind;		/* the ending that tipped it */
	uint64_t		 ms;		/* how long it lasts from now */
};

struct limits;

/* The limits of a loaded configuration (its exempt list already checked). */
void limits_conf_from(struct limits_conf *c, const struct sluice_config *cfg);

/* Room for slots startups at once (the parent's child slots). NULL when out
 * of memory. limits_free(NULL) does nothing. */
struct limits *limits_new(const struct limits_conf *c, size_t slots);
void limits_free(struct limits *l);

/* Whether to refuse a connection from a at now: DROP_NONE to let it in.
 * r100 is a uniform random number in [0, 100) for the early drop. */
enum drop_reason limits_admit(struct limits *l, const struct netaddr *a,
    uint64_t now, uint32_t r100);

/* A connection from a let in occupies slot (< slots) until it authenticates
 * or ends; startups in all, and per source, count the occupied slots. */
void limits_startup_begin(struct limits *l, size_t slot,
    const struct netaddr *a);
void limits_startup_end(struct limits *l, size_t slot);
size_t limits_startups(const struct limits *l);

/* A session from a ended unauthenticated as kind: its source earns that
 * kind's seconds. 1 when this made its penalty active (ev filled), else 0. */
int limits_penalise(struct limits *l, const struct netaddr *a,
    enum penalty_kind kind, uint64_t now, struct penalty_event *ev);

/* 1 while a's source is refused for a penalty at now. */
int limits_in_penalty(struct limits *l, const struct netaddr *a, uint64_t now);

/* A session's wait status: how it ended, authenticated or not (an
 * authenticated session earns nothing). */
enum penalty_kind penalty_of_exit(int wstatus, int authenticated);

/* "failed authentication", "no authentication", ... */
const char *penalty_kind_name(enum penalty_kind k);

/*
 * Dropped connections are logged in summary: a drop other than a penalty's
 * refusal, after an interval without one logged, in full (droplog_note
 * returns 1); the rest, and every penalty refusal (its penalty's start was
 * logged), counted and summed up in one line (droplog_summary) once the
 * first of them is DROPLOG_INTERVAL_MS old.
 */
#define DROPLOG_INTERVAL_MS	10000u

struct droplog {
	uint64_t	 last_ms;	/* the last drop logged in full */
	uint64_t	 first_ms;	/* the first drop counted */
	int		 quiet;		/* 1: nothing logged yet */
	unsigned	 count[DROP_REASON_MAX];
};

void droplog_init(struct droplog *d);
int droplog_note(struct droplog *d, enum drop_reason why, uint64_t now);
/* 1 with a line ("dropped 12 connections in 10 s (source in penalty: 9,
 * max_startups: 3)") when counted drops are due for their summary at now. */
int droplog_summary(struct droplog *d, uint64_t now, char *line, size_t len);
/* Milliseconds until a summary is due; -1 when none is pending. */
int droplog_wait_ms(const struct droplog *d, uint64_t now);
/* "source in penalty", "max_startups", ... */
const char *drop_reason_name(enum drop_reason r);

#endif
