/*
 * penalty.c: per-source limits and penalties of the parent (penalty.h).
 *
 * Penalties live in an open-addressing hash table (linear probing, removal
 * by backward shift) keyed by source with a random SipHash key, so no client
 * can choose addresses that collide. An entry whose time has run out counts
 * as absent and is removed when met, or by a sweep when the table is full.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parent/penalty.h"
#include "session/exitcode.h"

#define SWEEP_EVERY_MS	1000u	/* deny-all: sweep a full table at most so */

struct pentry {
	struct netaddr	 src;		/* masked; family 0: a free entry */
	uint64_t	 hash;
	uint64_t	 expiry;	/* ms; absent from then on */
	int		 active;	/* refused at accept */
	enum penalty_kind kind;		/* the latest ending */
};

struct startup {
	struct netaddr	 src;
	int		 used;
};

struct limits {
	struct limits_conf c;
	struct pentry	*tab;
	size_t		 cap;		/* a power of two */
	size_t		 n;		/* entries, their time run out or not */
	uint64_t	 last_sweep;
	uint8_t		 key[crypto_shorthash_KEYBYTES];
	struct startup	*slots;
	size_t		 nslots, nstartups;
};

/* ---- configuration ---- */

static uint64_t
ms_of(int32_t seconds)
{
	return seconds > 0 ? (uint64_t)seconds * 1000u : 0;
}

void
limits_conf_from(struct limits_conf *c, const struct sluice_config *cfg)
{
	const struct config_penalties *p = &cfg->penalties;

	memset(c, 0, sizeof(*c));
	c->v4_bits = cfg->per_source_netblock.v4;
	c->v6_bits = cfg->per_source_netblock.v6;
	c->startups_begin = cfg->max_startups.begin;
	c->startups_rate = cfg->max_startups.rate;
	c->startups_full = cfg->max_startups.full;
	c->per_source_startups = cfg->per_source_max_startups;
	c->penalty_ms[PENALTY_AUTHFAIL] = ms_of(p->authfail);
	c->penalty_ms[PENALTY_NOAUTH] = ms_of(p->noauth);
	c->penalty_ms[PENALTY_GRACE] = ms_of(p->grace);
	c->penalty_ms[PENALTY_PROTOCOL] = ms_of(p->protocol);
	c->penalty_ms[PENALTY_CRASH] = ms_of(p->crash);
	c->max_ms = ms_of(p->max);
	c->min_ms = ms_of(p->min);
	c->max_sources = p->max_sources > 0 ? (size_t)p->max_sources : 1;
	c->deny_all = p->overflow == CONFIG_OVERFLOW_DENY_ALL;
	/* config_load() refused a bad list: this cannot fail. */
	if (netaddr_parse_list(p->exempt, c->exempt, NETADDR_LIST_MAX,
	    &c->nexempt) != 0)
		c->nexempt = 0;
}

/* ---- the table ---- */

static size_t
table_cap(size_t max_sources)
{
	size_t cap = 16;

	while (cap < 2 * max_sources)
		cap <<= 1;
	return cap;
}

struct limits *
limits_new(const struct limits_conf *c, size_t slots)
{
	struct limits *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->c = *c;
	if (l->c.max_sources == 0)
		l->c.max_sources = 1;
	l->cap = table_cap(l->c.max_sources);
	l->nslots = slots;
	if ((l->tab = calloc(l->cap, sizeof(*l->tab))) == NULL ||
	    (l->slots = calloc(slots > 0 ? slots : 1,
	    sizeof(*l->slots))) == NULL) {
		limits_free(l);
		return NULL;
	}
	randombytes_buf(l->key, sizeof(l->key));
	return l;
}

void
limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	free(l->tab);
	free(l->slots);
	free(l);
}

static void
source_of(const struct limits *l, const struct netaddr *a,
    struct netaddr *src)
{
	netaddr_mask(a, a->family == AF_INET ? l->c.v4_bits : l->c.v6_bits,
	    src);
}

static int
exempt(const struct limits *l, const struct netaddr *a)
{
	return netaddr_in_list(a, l->c.exempt, l->c.nexempt);
}

static uint64_t
hash_of(const struct limits *l, const struct netaddr *src)
{
	uint8_t in[1 + sizeof(src->a)], out[crypto_shorthash_BYTES];
	uint64_t h = 0;
	size_t i;

	in[0] = (uint8_t)src->family;
	memcpy(in + 1, src->a, sizeof(src->a));
	crypto_shorthash(out, in, sizeof(in), l->key);
	for (i = 0; i < sizeof(h); i++)
		h = h << 8 | out[i];
	return h;
}

/* The index of src's entry (*found 1), or of the free one where it would
 * go (*found 0). The table always has a free entry: n <= cap / 2. */
static size_t
table_find(const struct limits *l, const struct netaddr *src, uint64_t h,
    int *found)
{
	size_t mask = l->cap - 1, i = (size_t)h & mask;

	for (; l->tab[i].src.family != 0; i = (i + 1) & mask)
		if (l->tab[i].hash == h && netaddr_equal(&l->tab[i].src, src)) {
			*found = 1;
			return i;
		}
	*found = 0;
	return i;
}

/* Removes entry i; a later entry of its run moves back into the hole when
 * the hole lies between that entry's home and where it sits. */
static void
table_remove(struct limits *l, size_t i)
{
	size_t mask = l->cap - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (l->tab[j].src.family == 0)
			break;
		home = (size_t)l->tab[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			l->tab[i] = l->tab[j];
			i = j;
		}
	}
	memset(&l->tab[i], 0, sizeof(l->tab[i]));
	l->n--;
}

/* Removes every entry whose time has run out. */
static void
table_sweep(struct limits *l, uint64_t now)
{
	size_t i = 0;

	l->last_sweep = now;
	while (i < l->cap) {
		if (l->tab[i].src.family != 0 && l->tab[i].expiry <= now)
			table_remove(l, i);	/* look at i again: it moved */
		else
			i++;
	}
}

/* src's entry while its time runs, else NULL. */
static struct pentry *
table_get(struct limits *l, const struct netaddr *src, uint64_t now)
{
	int found;
	size_t i = table_find(l, src, hash_of(l, src), &found);

	if (!found)
		return NULL;
	if (l->tab[i].expiry <= now) {
		table_remove(l, i);
		return NULL;
	}
	return &l->tab[i];
}

/* The entry that would end soonest; the table is not empty. */
static size_t
table_soonest(const struct limits *l)
{
	size_t i, best = l->cap;

	for (i = 0; i < l->cap; i++)
		if (l->tab[i].src.family != 0 && (best == l->cap ||
		    l->tab[i].expiry < l->tab[best].expiry))
			best = i;
	return best;
}

/* Room for a new entry ending at expiry: 1, or 0 when it does not get in
 * (deny-all, or permissive and it would end sooner than every other). */
static int
table_room(struct limits *l, uint64_t expiry, uint64_t now)
{
	size_t soonest;

	if (l->n < l->c.max_sources)
		return 1;
	table_sweep(l, now);
	if (l->n < l->c.max_sources)
		return 1;
	if (l->c.deny_all)
		return 0;
	soonest = table_soonest(l);
	if (l->tab[soonest].expiry >= expiry)
		return 0;
	table_remove(l, soonest);
	return 1;
}

/* A new entry for src, its time running out at now (the caller adds). */
static struct pentry *
table_add(struct limits *l, const struct netaddr *src, uint64_t expiry,
    uint64_t now)
{
	uint64_t h = hash_of(l, src);
	struct pentry *e;
	int found;

	if (!table_room(l, expiry, now))
		return NULL;
	e = &l->tab[table_find(l, src, h, &found)];
	memset(e, 0, sizeof(*e));
	e->src = *src;
	e->hash = h;
	e->expiry = now;
	l->n++;
	return e;
}

/* ---- penalties ---- */

static void
penalty_event_fill(const struct limits *l, const struct pentry *e,
    uint64_t now, struct penalty_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	netaddr_format(&e->src, e->src.family == AF_INET ? l->c.v4_bits :
	    l->c.v6_bits, ev->source, sizeof(ev->source));
	ev->kind = e->kind;
	ev->ms = e->expiry - now;
}

static uint64_t
capped(const struct limits *l, uint64_t ms)
{
	return ms > l->c.max_ms ? l->c.max_ms : ms;
}

int
limits_penalise(struct limits *l, const struct netaddr *a,
    enum penalty_kind kind, uint64_t now, struct penalty_event *ev)
{
	struct netaddr src;
	struct pentry *e;
	uint64_t add;

	if (kind <= PENALTY_NONE || kind >= PENALTY_KIND_MAX ||
	    (add = l->c.penalty_ms[kind]) == 0 || exempt(l, a))
		return 0;
	source_of(l, a, &src);
	if ((e = table_get(l, &src, now)) == NULL &&
	    (e = table_add(l, &src, now + capped(l, add), now)) == NULL)
		return 0;
	e->expiry = now + capped(l, e->expiry - now + add);
	e->kind = kind;
	if (e->active || e->expiry - now <= l->c.min_ms)
		return 0;
	e->active = 1;
	penalty_event_fill(l, e, now, ev);
	return 1;
}

int
limits_in_penalty(struct limits *l, const struct netaddr *a, uint64_t now)
{
	struct netaddr src;
	struct pentry *e;

	if (exempt(l, a))
		return 0;
	source_of(l, a, &src);
	return (e = table_get(l, &src, now)) != NULL && e->active;
}

/* Deny-all with a full table refuses every source not exempt. */
static int
overflowing(struct limits *l, const struct netaddr *a, uint64_t now)
{
	if (!l->c.deny_all || l->n < l->c.max_sources || exempt(l, a))
		return 0;
	if (now - l->last_sweep >= SWEEP_EVERY_MS)
		table_sweep(l, now);
	return l->n >= l->c.max_sources;
}

/* ---- startups ---- */

/* MaxStartups begin:rate:full, as OpenSSH's should_drop_connection(). */
static int
early_drop(const struct limits_conf *c, size_t startups, uint32_t r100)
{
	uint64_t p;

	if (startups < (size_t)c->startups_begin)
		return 0;
	if (startups >= (size_t)c->startups_full || c->startups_rate >= 100)
		return 1;
	p = (uint64_t)(100 - c->startups_rate) *
	    (startups - (size_t)c->startups_begin) /
	    (size_t)(c->startups_full - c->startups_begin) +
	    (uint64_t)c->startups_rate;
	return r100 < p;
}

static size_t
source_startups(const struct limits *l, const struct netaddr *a)
{
	struct netaddr src;
	size_t i, n = 0;

	source_of(l, a, &src);
	for (i = 0; i < l->nslots; i++)
		if (l->slots[i].used && netaddr_equal(&l->slots[i].src, &src))
			n++;
	return n;
}

enum drop_reason
limits_admit(struct limits *l, const struct netaddr *a, uint64_t now,
    uint32_t r100)
{
	if (limits_in_penalty(l, a, now))
		return DROP_PENALTY;
	if (overflowing(l, a, now))
		return DROP_OVERFLOW;
	if (early_drop(&l->c, l->nstartups, r100))
		return DROP_STARTUPS;
	if (l->c.per_source_startups > 0 &&
	    source_startups(l, a) >= (size_t)l->c.per_source_startups)
		return DROP_SOURCE;
	return DROP_NONE;
}

void
limits_startup_begin(struct limits *l, size_t slot, const struct netaddr *a)
{
	if (slot >= l->nslots || l->slots[slot].used)
		return;
	source_of(l, a, &l->slots[slot].src);
	l->slots[slot].used = 1;
	l->nstartups++;
}

void
limits_startup_end(struct limits *l, size_t slot)
{
	if (slot >= l->nslots || !l->slots[slot].used)
		return;
	memset(&l->slots[slot], 0, sizeof(l->slots[slot]));
	l->nstartups--;
}

size_t
limits_startups(const struct limits *l)
{
	return l->nstartups;
}

/* ---- how a session ended ---- */

static enum penalty_kind
signal_kind(int sig)
{
	switch (sig) {
	case SIGALRM:
		return PENALTY_GRACE;
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT:
	case SIGSYS: case SIGTRAP:
		return PENALTY_CRASH;
	default:
		return PENALTY_NONE;	/* SIGTERM at stop, SIGKILL by hand */
	}
}

enum penalty_kind
penalty_of_exit(int wstatus, int authenticated)
{
	if (authenticated)
		return PENALTY_NONE;
	if (WIFSIGNALED(wstatus))
		return signal_kind(WTERMSIG(wstatus));
	if (!WIFEXITED(wstatus))
		return PENALTY_NONE;
	switch (WEXITSTATUS(wstatus)) {
	case SESSION_EXIT_OK:
		return PENALTY_NONE;
	case SESSION_EXIT_AUTHFAIL:
		return PENALTY_AUTHFAIL;
	case SESSION_EXIT_GRACE:
		return PENALTY_GRACE;
	case SESSION_EXIT_PROTOCOL:
		return PENALTY_PROTOCOL;
	default:
		return PENALTY_NOAUTH;
	}
}

const char *
penalty_kind_name(enum penalty_kind k)
{
	static const char *const names[PENALTY_KIND_MAX] = {
		[PENALTY_NONE] = "none",
		[PENALTY_AUTHFAIL] = "failed authentication",
		[PENALTY_NOAUTH] = "left without authenticating",
		[PENALTY_GRACE] = "login grace time exceeded",
		[PENALTY_PROTOCOL] = "broke the key exchange",
		[PENALTY_CRASH] = "session crashed before authentication",
	};

	return k >= 0 && k < PENALTY_KIND_MAX ? names[k] : "unknown";
}

/* ---- dropped connections in the log ---- */

const char *
drop_reason_name(enum drop_reason r)
{
	static const char *const names[DROP_REASON_MAX] = {
		[DROP_NONE] = "none",
		[DROP_PENALTY] = "source in penalty",
		[DROP_OVERFLOW] = "penalty table full",
		[DROP_SESSIONS] = "max_sessions reached",
		[DROP_STARTUPS] = "max_startups",
		[DROP_SOURCE] = "per_source_max_startups reached",
	};

	return r >= 0 && r < DROP_REASON_MAX ? names[r] : "unknown";
}

void
droplog_init(struct droplog *d)
{
	memset(d, 0, sizeof(*d));
	d->quiet = 1;
}

/* Drops counted, all of them or (others) all but the penalty's. */
static unsigned
droplog_pending(const struct droplog *d, int others)
{
	unsigned n = 0;
	int i;

	for (i = others ? DROP_PENALTY + 1 : 0; i < DROP_REASON_MAX; i++)
		n += d->count[i];
	return n;
}

int
droplog_note(struct droplog *d, enum drop_reason why, uint64_t now)
{
	if (why <= DROP_NONE || why >= DROP_REASON_MAX)
		return 0;
	if (why != DROP_PENALTY && droplog_pending(d, 1) == 0 &&
	    (d->quiet || now - d->last_ms >= DROPLOG_INTERVAL_MS)) {
		d->quiet = 0;
		d->last_ms = now;
		return 1;
	}
	if (droplog_pending(d, 0) == 0)
		d->first_ms = now;
	d->count[why]++;
	return 0;
}

/* "source in penalty: 2, max_startups: 1" for the reasons counted. */
static void
summary_parts(const struct droplog *d, char *line, size_t len, size_t off)
{
	const char *sep = "";
	int i, n;

	for (i = DROP_NONE + 1; i < DROP_REASON_MAX && off < len; i++) {
		if (d->count[i] == 0)
			continue;
		n = snprintf(line + off, len - off, "%s%s: %u", sep,
		    drop_reason_name((enum drop_reason)i), d->count[i]);
		if (n < 0)
			return;
		off += (size_t)n;
		sep = ", ";
	}
	if (off + 1 < len)
		(void)snprintf(line + off, len - off, ")");
}

int
droplog_summary(struct droplog *d, uint64_t now, char *line, size_t len)
{
	unsigned n = droplog_pending(d, 0);
	int m;

	if (n == 0 || now - d->first_ms < DROPLOG_INTERVAL_MS)
		return 0;
	m = snprintf(line, len, "dropped %u connection%s in %llu s (", n,
	    n == 1 ? "" : "s",
	    (unsigned long long)((now - d->first_ms) / 1000u));
	if (m > 0 && (size_t)m < len)
		summary_parts(d, line, len, (size_t)m);
	memset(d->count, 0, sizeof(d->count));
	return 1;
}

int
droplog_wait_ms(const struct droplog *d, uint64_t now)
{
	uint64_t due;

	if (droplog_pending(d, 0) == 0)
		return -1;
	due = d->first_ms + DROPLOG_INTERVAL_MS;
	return due > now ? (int)(due - now) : 0;
}
