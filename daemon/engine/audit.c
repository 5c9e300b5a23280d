/*
 * audit.c: the hash chain over the audit table (see audit.h for the
 * encoding). The rows themselves are the store's (store_audit_*).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/vis.h"
#include "engine/audit.h"

#define AUDIT_DOMAIN "sluice-audit-v1"

static int
put_field(struct sbuf *b, const char *s)
{
	return sbuf_put_string(b, s ? s : "", s ? strlen(s) : 0);
}

static int
put_number(struct sbuf *b, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return put_field(b, num);
}

int
audit_entry_hash(const struct audit_entry *e, char out[65])
{
	unsigned char md[crypto_hash_sha256_BYTES];
	struct sbuf *b;
	int r;

	if ((b = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sbuf_put(b, AUDIT_DOMAIN, strlen(AUDIT_DOMAIN))) != 0 ||
	    (r = put_number(b, e->id)) != 0 ||
	    (r = put_number(b, e->time)) != 0 ||
	    (r = put_field(b, e->fake_clock ? "fake" : "real")) != 0 ||
	    (r = put_field(b, e->actor)) != 0 ||
	    (r = put_field(b, e->action)) != 0 ||
	    (r = put_field(b, e->subject)) != 0 ||
	    (r = put_field(b, e->outcome)) != 0 ||
	    (r = put_field(b, e->details)) != 0 ||
	    (r = put_field(b, e->prev_hash)) != 0)
		goto out;
	crypto_hash_sha256(md, sbuf_ptr(b), sbuf_len(b));
	sodium_bin2hex(out, 65, md, sizeof(md));
out:
	sbuf_free(b);
	return r;
}

static int
text_ok(const char *s, size_t max)
{
	return s == NULL || strlen(s) < max;
}

/* The fields of an entry as they are stored: each passed through vis.h's
 * escape (backslashes kept, so text its producer escaped, such as a user
 * name or a command line, is stored unchanged), so no field carries a
 * control character whoever wrote it. */
struct audit_texts {
	char	*actor, *action, *subject, *details;
};

/* s escaped into *out, within max bytes (cut short with its length as
 * vis.h says when it would not fit). */
static int
audit_vis(const char *s, size_t max, char **out)
{
	size_t n = s != NULL ? strlen(s) : 0;
	size_t cap = VIS_SIZE(n) < max ? VIS_SIZE(n) : max;

	if ((*out = malloc(cap)) == NULL)
		return SLUICE_ENOMEM;
	(void)str_vis(*out, cap, s != NULL ? s : "", n, n, VIS_NOSLASH);
	return 0;
}

static void
audit_texts_free(struct audit_texts *t)
{
	free(t->actor);
	free(t->action);
	free(t->subject);
	free(t->details);
}

static int
audit_texts(struct audit_texts *t, const char *actor, const char *action,
    const char *subject, const char *details)
{
	int r;

	memset(t, 0, sizeof(*t));
	if ((r = audit_vis(actor, STORE_TEXT_MAX, &t->actor)) != 0 ||
	    (r = audit_vis(action, STORE_TEXT_MAX, &t->action)) != 0 ||
	    (r = audit_vis(subject, STORE_BLOB_MAX, &t->subject)) != 0 ||
	    (r = audit_vis(details, STORE_BLOB_MAX, &t->details)) != 0)
		audit_texts_free(t);
	return r;
}

static int
audit_args_ok(const char *actor, const char *action, const char *subject,
    const char *outcome, const char *details)
{
	return actor != NULL && *actor != '\0' && action != NULL &&
	    *action != '\0' && outcome != NULL && *outcome != '\0' &&
	    text_ok(actor, STORE_TEXT_MAX) && text_ok(action, STORE_TEXT_MAX) &&
	    text_ok(outcome, STORE_OUTCOME_MAX) &&
	    text_ok(subject, STORE_BLOB_MAX) && text_ok(details, STORE_BLOB_MAX);
}

int
audit_append(struct store *s, const char *actor, const char *action,
    const char *subject, const char *outcome, const char *details, int64_t *id)
{
	struct audit_entry e;
	struct audit_texts t;
	int r;

	if (!audit_args_ok(actor, action, subject, outcome, details))
		return SLUICE_EINVAL;
	if ((r = audit_texts(&t, actor, action, subject, details)) != 0)
		return r;
	memset(&e, 0, sizeof(e));
	e.time = sluice_now();
	e.fake_clock = sluice_clock_is_fake();
	/* borrowed for the insert only */
	e.actor = t.actor;
	e.action = t.action;
	e.subject = t.subject;
	e.details = t.details;
	snprintf(e.outcome, sizeof(e.outcome), "%s", outcome);
	if ((r = store_audit_append(s, &e, audit_entry_hash)) == 0 && id != NULL)
		*id = e.id;
	audit_texts_free(&t);
	return r;
}

/* ---- verify -------------------------------------------------------------- */

struct walk {
	int64_t	 prev_id;
	char	 prev_hash[65];
	int64_t	 bad;
	char	*why;
	size_t	 whylen;
};

/* e must follow the last entry checked: no id left out. */
static int
verify_seq(struct walk *w, const struct audit_entry *e)
{
	if (e->id == w->prev_id + 1)
		return 0;
	w->bad = w->prev_id + 1;
	if (w->prev_id == 0)
		return sluice_why(w->why, w->whylen, SLUICE_EVERIFY,
		    "audit entry 1 is missing: the log starts at entry "
		    "%" PRId64 " (removed?)", e->id);
	return sluice_why(w->why, w->whylen, SLUICE_EVERIFY,
	    "audit entry %" PRId64 " is missing: entry %" PRId64
	    " follows entry %" PRId64 " (removed?)", w->bad, e->id,
	    w->prev_id);
}

/* e must name the hash of the entry before it. */
static int
verify_link(struct walk *w, const struct audit_entry *e)
{
	if (strcmp(e->prev_hash, w->prev_hash) == 0)
		return 0;
	w->bad = e->id;
	if (w->prev_id == 0)
		return sluice_why(w->why, w->whylen, SLUICE_EVERIFY,
		    "audit entry 1: prev_hash is not the start of a log "
		    "(reordered?)");
	return sluice_why(w->why, w->whylen, SLUICE_EVERIFY,
	    "audit entry %" PRId64 ": prev_hash does not match entry %"
	    PRId64 " (removed or reordered?)", e->id, w->prev_id);
}

static int
verify_one(void *arg, const struct audit_entry *e)
{
	struct walk *w = arg;
	char h[65];
	int r;

	if ((r = verify_seq(w, e)) != 0 || (r = verify_link(w, e)) != 0)
		return r;
	if (audit_entry_hash(e, h) != 0)
		return SLUICE_ENOMEM;
	if (strcmp(h, e->hash) != 0) {
		w->bad = e->id;
		return sluice_why(w->why, w->whylen, SLUICE_EVERIFY,
		    "audit entry %" PRId64 ": hash mismatch (edited?)", e->id);
	}
	w->prev_id = e->id;
	memcpy(w->prev_hash, e->hash, sizeof(w->prev_hash));
	return 0;
}

int
audit_verify(struct store *s, int64_t *first_bad, int64_t *count, char *why,
    size_t whylen)
{
	struct walk w;
	int r;

	memset(&w, 0, sizeof(w));
	memcpy(w.prev_hash, AUDIT_ZERO_HASH, sizeof(w.prev_hash));
	w.why = why;
	w.whylen = whylen;
	if (first_bad != NULL)
		*first_bad = 0;
	r = store_audit_each(s, 0, verify_one, &w);
	if (r == SLUICE_EVERIFY && first_bad != NULL)
		*first_bad = w.bad;
	if (r == 0) {
		if (count != NULL)
			*count = w.prev_id;
		sluice_why(why, whylen, 0, "audit log intact: %" PRId64
		    " entries", w.prev_id);
	} else if (r != SLUICE_EVERIFY)
		sluice_why(why, whylen, r, "cannot read the audit log: %s",
		    sluice_strerror(r));
	return r;
}

/* ---- export -------------------------------------------------------------- */

struct export {
	audit_line_fn	 fn;
	void		*arg;
};

static int
set_str(json_t *o, const char *k, const char *v)
{
	const char *t = v ? v : "";
	json_t *j = json_string(t);

	/* details are UTF-8 by contract; a row that is not still exports */
	if (j == NULL)
		j = json_stringn_nocheck(t, strlen(t));
	return json_object_set_new(o, k, j) == 0 ? 0 : SLUICE_ENOMEM;
}

static json_t *
entry_json(const struct audit_entry *e)
{
	char t[32];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (sluice_time_format(e->time, t, sizeof(t)) != 0)
		snprintf(t, sizeof(t), "%" PRId64, e->time);
	if (json_object_set_new(o, "id", json_integer(e->id)) != 0 ||
	    set_str(o, "time", t) != 0 ||
	    json_object_set_new(o, "epoch", json_integer(e->time)) != 0 ||
	    set_str(o, "clock", e->fake_clock ? "fake" : "real") != 0 ||
	    set_str(o, "actor", e->actor) != 0 ||
	    set_str(o, "action", e->action) != 0 ||
	    set_str(o, "subject", e->subject) != 0 ||
	    set_str(o, "outcome", e->outcome) != 0 ||
	    set_str(o, "details", e->details) != 0 ||
	    set_str(o, "prev_hash", e->prev_hash) != 0 ||
	    set_str(o, "hash", e->hash) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* o as one compact JSON line ending "\n"; the caller frees *line. */
static int
json_line(json_t *o, char **line, size_t *len)
{
	char *s, *p;
	size_t n;

	*line = NULL;
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII)) == NULL)
		return SLUICE_ENOMEM;
	n = strlen(s);
	/* json_dumps leaves room only for its NUL; add the newline there */
	if ((p = realloc(s, n + 2)) == NULL) {
		free(s);
		return SLUICE_ENOMEM;
	}
	p[n] = '\n';
	p[n + 1] = '\0';
	*line = p;
	*len = n + 1;
	return 0;
}

static int
export_one(void *arg, const struct audit_entry *e)
{
	struct export *x = arg;
	json_t *o;
	char *line;
	size_t n;
	int r;

	if ((o = entry_json(e)) == NULL)
		return SLUICE_ENOMEM;
	r = json_line(o, &line, &n);
	json_decref(o);
	if (r == 0)
		r = x->fn(x->arg, line, n);
	free(line);
	return r;
}

int
audit_export_each(struct store *s, int64_t since, audit_line_fn fn, void *arg)
{
	struct export x = { fn, arg };

	return store_audit_each(s, since, export_one, &x);
}

static int
to_sbuf(void *arg, const char *line, size_t len)
{
	return sbuf_put(arg, line, len);
}

int
audit_export(struct store *s, int64_t since, struct sbuf *out)
{
	return audit_export_each(s, since, to_sbuf, out);
}
