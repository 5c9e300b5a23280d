/* report.c: what staff and recipients read - the audit log, the Data Uses
 * Register, the dashboard, status (agreement show is in agreement_show.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"
#include "setup/register_doc.h"
#include "engine/audit.h"
#include "engine/audit_anchor.h"

/* ---- audit --------------------------------------------------------------- */

/* The chain alone: for a caller with no signed head (tests of the table
 * without an engine). */
static int
chain_verify(struct admin_call *c)
{
	int64_t bad = 0, count = 0;
	char why[256] = "";
	int r;

	if (admin_opt(c, "against") != NULL)
		return admin_fail(c, SLUICE_ENOTFOUND, "no audit key: this log "
		    "has no signed head");
	if ((r = audit_verify(c->ctx->store, &bad, &count, why,
	    sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "audit log check failed");
	return admin_answer(c, json_pack("{s:b,s:I}", "intact", 1, "entries",
	    (json_int_t)count), "audit log intact: %lld entries",
	    (long long)count);
}

/* --against: a head line itself, or the name of an inbox file that holds
 * one. */
static int
against_line(struct admin_call *c, const char *arg, char line[AUDIT_HEAD_MAX])
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if (strncmp(arg, AUDIT_HEAD_PREFIX ":", strlen(AUDIT_HEAD_PREFIX) + 1)
	    == 0) {
		if (strlen(arg) >= AUDIT_HEAD_MAX)
			return admin_fail(c, SLUICE_EINVAL, "--against: the kept "
			    "head is not a head line");
		memcpy(line, arg, strlen(arg) + 1);
		return 0;
	}
	if ((r = admin_inbox_read(c, arg, AUDIT_HEAD_MAX - 1, &data, &len)) != 0)
		return r;
	memcpy(line, data, len);
	line[len] = '\0';
	free(data);
	return 0;
}

static json_t *
check_json(const struct audit_check *k)
{
	json_t *o = json_pack("{s:b,s:I,s:I}", "intact", 1, "entries",
	    (json_int_t)k->entries, "head", (json_int_t)k->head);

	if (o != NULL && k->kept != 0 && json_object_set_new(o, "kept",
	    json_integer(k->kept)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
cmd_audit_verify(struct admin_call *c)
{
	const struct audit_anchor *a = c->ctx->anchor;
	const char *against = admin_opt(c, "against");
	char line[AUDIT_HEAD_MAX], why[512] = "";
	struct audit_check k;
	int r;

	if (a == NULL)
		return chain_verify(c);
	if (against != NULL && (r = against_line(c, against, line)) != 0)
		return r;
	if ((r = audit_anchor_verify(a, c->ctx->store, against != NULL ?
	    line : NULL, &k, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "audit log check failed");
	return admin_answer(c, check_json(&k), "%s", why);
}

int
cmd_audit_checkpoint(struct admin_call *c)
{
	const struct audit_anchor *a = c->ctx->anchor;
	char line[AUDIT_HEAD_MAX], why[512] = "";
	struct audit_check k;
	int r;

	if (a == NULL)
		return admin_fail(c, SLUICE_ENOTFOUND, "no audit key: this log "
		    "has no signed head");
	/* A head worth keeping is one of a log that checks out. */
	if ((r = audit_anchor_verify(a, c->ctx->store, NULL, &k, why,
	    sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "audit log check failed");
	if ((r = audit_anchor_line(a, c->ctx->store, line)) != 0)
		return admin_fail(c, r, "cannot sign the head: %s",
		    sluice_strerror(r));
	return admin_answer(c, json_pack("{s:s,s:I}", "head", line, "entry",
	    (json_int_t)k.entries), "%s", line);
}

/* The export has no bound: it is written line by line to the text answer,
 * which is handed on in pieces as it grows (admin_spill()). */
struct export_state {
	struct admin_call	*c;
	size_t			 n;	/* entries so far */
};

static int
export_text(void *arg, const char *line, size_t len)
{
	struct export_state *x = arg;
	int r;

	if ((r = sbuf_put(x->c->text, line, len)) != 0)
		return r;
	return admin_spill(x->c);
}

/* One entry of the --json answer, compact with its keys sorted as
 * emit_json() writes a whole answer, so the bytes are the same. */
static int
export_json_line(void *arg, const char *line, size_t len)
{
	struct export_state *x = arg;
	json_t *o;
	char *s;
	int r;

	if ((o = json_loadb(line, len, 0, NULL)) == NULL)
		return SLUICE_EFORMAT;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return SLUICE_ENOMEM;
	if ((r = x->n++ == 0 ? 0 : sbuf_put(x->c->text, ",", 1)) == 0 &&
	    (r = sbuf_put(x->c->text, s, strlen(s))) == 0)
		r = admin_spill(x->c);
	free(s);
	return r;
}

/* The audit log since then as one JSON answer: {"entries":[...]}. */
static int
export_json(struct admin_call *c, int64_t since)
{
	struct export_state x = { c, 0 };
	static const char head[] = "{\"entries\":[", tail[] = "]}\n";
	int r;

	if ((r = sbuf_put(c->text, head, sizeof(head) - 1)) != 0 ||
	    (r = audit_export_each(c->ctx->store, since, export_json_line,
	    &x)) != 0 || (r = sbuf_put(c->text, tail, sizeof(tail) - 1)) != 0)
		return admin_fail(c, r, "cannot export the audit log");
	c->json_text = 1;
	return 0;
}

int
cmd_audit_export(struct admin_call *c)
{
	const char *since_s = admin_opt(c, "since");
	struct export_state x = { c, 0 };
	int64_t since = 0;
	int r;

	if (since_s != NULL && sluice_time_parse(since_s, &since) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --since '%.32s': "
		    "expected YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD", since_s);
	if (c->json)
		return export_json(c, since);
	if ((r = audit_export_each(c->ctx->store, since, export_text,
	    &x)) != 0)
		return admin_fail(c, r, "cannot export the audit log");
	return 0;
}

/* ---- the Data Uses Register ---------------------------------------------- */

/* The rows and their CSV are setup/register_doc.c's, shared with the
 * published site, so the two never differ. */
/* --format: csv unless json (or the answer is --json anyway). */
static int
register_format(struct admin_call *c, int *as_json)
{
	const char *fmt = admin_opt(c, "format");

	*as_json = c->json;
	if (fmt != NULL && strcmp(fmt, "json") == 0)
		*as_json = 1;
	else if (fmt != NULL && strcmp(fmt, "csv") != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --format '%.32s': "
		    "expected csv or json", fmt);
	return 0;
}

/* The register's rows: the governing version of every agreement signed. */
static int
register_rows(struct admin_call *c, json_t **rows)
{
	int r;

	if ((r = register_doc_rows(c->ctx->store, rows)) != 0)
		return admin_fail(c, r, "store failure listing agreements");
	return 0;
}

/* The CSV, row by row, handed on in pieces as it grows: no bound. */
static int
register_csv(struct admin_call *c, const json_t *rows)
{
	size_t i;
	int r;

	r = register_doc_csv_head(c->text);
	for (i = 0; i < json_array_size(rows) && r == 0; i++)
		if ((r = register_doc_csv_row(json_array_get(rows, i),
		    c->text)) == 0)
			r = admin_spill(c);
	return r == 0 ? 0 : admin_fail(c, r, "cannot write the register");
}

/* CSV, the rows as one JSON array (register_doc_json()'s bytes), or the
 * --json answer; each written as it goes, so none is capped. */
static int
register_answer(struct admin_call *c, json_t *rows, int as_json)
{
	int r;

	if (!as_json)
		return register_csv(c, rows);
	if (c->json)
		return admin_result(c, json_pack("{s:O}", "register", rows));
	if ((r = admin_dump(c, rows, REGISTER_DOC_JSON_FLAGS)) != 0)
		return admin_fail(c, r, "cannot write the register");
	return 0;
}

int
cmd_register_export(struct admin_call *c)
{
	json_t *rows = NULL;
	int as_json, r;

	if ((r = register_format(c, &as_json)) == 0 &&
	    (r = register_rows(c, &rows)) == 0)
		r = register_answer(c, rows, as_json);
	json_decref(rows);
	return r;
}

/* ---- dashboard and status ------------------------------------------------ */

struct dash {
	int64_t	 by_state[AG_STATE_MAX];
	int64_t	 expiring30, expiring90;
	int64_t	 cert_due, cert_overdue;
	int64_t	 awaiting_approval;
	json_t	*sanctioned;
};

static void
dash_agreement(struct admin_call *c, struct dash *d, const struct agreement *a)
{
	int32_t today = admin_today(c), left = a->expires - today;

	if (a->state < AG_STATE_MAX)
		d->by_state[a->state]++;
	if ((a->state == AG_SIGNED || a->state == AG_LIVE ||
	    a->state == AG_SUSPENDED) && left >= 0) {
		d->expiring30 += left <= 30;
		d->expiring90 += left <= 90;
	}
	if (a->state == AG_EXPIRED) {
		if (today > a->expires + admin_cert_due_days(c))
			d->cert_overdue++;
		else
			d->cert_due++;
	}
}

/* Whether a release (even a revoked one) names extract id. */
static int
extract_decided(const char *id, const struct release_list *rl)
{
	size_t k;

	for (k = 0; k < rl->n; k++)
		if (strcmp(id, rl->v[k].extract_id) == 0)
			return 1;
	return 0;
}

/* Staged extracts that no release names (revoked ones count as decided). */
static int
dash_awaiting(struct admin_call *c, struct dash *d)
{
	struct extract_list ex = { NULL, 0 };
	struct release_list rl = { NULL, 0 };
	size_t i;
	int r;

	if ((r = extract_list(c->ctx->store, NULL, &ex)) == 0 &&
	    (r = release_list(c->ctx->store, NULL, 0, &rl)) == 0)
		for (i = 0; i < ex.n; i++)
			d->awaiting_approval += !extract_decided(ex.v[i].id,
			    &rl);
	release_list_free(&rl);
	extract_list_free(&ex);
	return r;
}

/* The organisations sanctioned, by code. */
static int
dash_sanctioned(struct admin_call *c, struct dash *d)
{
	struct org_list ol = { NULL, 0 };
	size_t i;
	int r;

	if ((r = org_list(c->ctx->store, &ol)) == 0)
		for (i = 0; i < ol.n; i++)
			if (ol.v[i].sanctioned)
				(void)json_array_append_new(d->sanctioned,
				    json_string(ol.v[i].code));
	org_list_free(&ol);
	return r;
}

/* The governing version of every agreement, counted. */
static int
dash_agreements(struct admin_call *c, struct dash *d)
{
	struct agreement_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = agreement_list(c->ctx->store, AGREEMENT_ANY_STATE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l)) == 0)
		for (i = 0; i < l.n; i++)
			dash_agreement(c, d, &l.v[i]);
	agreement_list_free(&l);
	return r;
}

static int
dash_gather(struct admin_call *c, struct dash *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	if ((d->sanctioned = json_array()) == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	if ((r = dash_agreements(c, d)) != 0 ||
	    (r = dash_sanctioned(c, d)) != 0 ||
	    (r = dash_awaiting(c, d)) != 0)
		return admin_fail(c, r, "store failure reading the dashboard");
	return 0;
}

static json_t *
dash_json(const struct dash *d)
{
	json_t *st = json_object();
	int i;

	for (i = 0; i < AG_STATE_MAX && st != NULL; i++)
		(void)json_object_set_new(st,
		    agreement_state_name((enum agreement_state)i),
		    json_integer(d->by_state[i]));
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:O,s:I}", "by_state", st,
	    "expiring_30_days", (json_int_t)d->expiring30,
	    "expiring_90_days", (json_int_t)d->expiring90,
	    "certificates_due", (json_int_t)d->cert_due,
	    "certificates_overdue", (json_int_t)d->cert_overdue,
	    "sanctioned_organisations", d->sanctioned,
	    "releases_awaiting_approval", (json_int_t)d->awaiting_approval);
}

static int
dash_print_sanctioned(struct admin_call *c, const struct dash *d)
{
	json_t *v;
	size_t k;
	int r;

	if ((r = admin_print(c, "sanctioned organisations:")) != 0)
		return r;
	json_array_foreach(d->sanctioned, k, v)
		if ((r = admin_print(c, " %s", json_string_value(v))) != 0)
			return r;
	return admin_print(c, "%s\n", json_array_size(d->sanctioned) ? "" :
	    " none");
}

static int
dash_print_states(struct admin_call *c, const struct dash *d)
{
	int i, r = 0;

	for (i = 0; i < AG_STATE_MAX && r == 0; i++)
		r = admin_print(c, "%s: %lld\n",
		    agreement_state_name((enum agreement_state)i),
		    (long long)d->by_state[i]);
	return r;
}

static int
dash_print(struct admin_call *c, const struct dash *d)
{
	int r;

	if ((r = dash_print_states(c, d)) == 0)
		r = admin_print(c, "expiring within 30 days: %lld\n"
		    "expiring within 90 days: %lld\n"
		    "deletion certificates due: %lld\n"
		    "deletion certificates overdue: %lld\n"
		    "releases awaiting approval: %lld\n",
		    (long long)d->expiring30, (long long)d->expiring90,
		    (long long)d->cert_due, (long long)d->cert_overdue,
		    (long long)d->awaiting_approval);
	return r != 0 ? r : dash_print_sanctioned(c, d);
}

int
cmd_dashboard(struct admin_call *c)
{
	struct dash d;
	int r;

	if ((r = dash_gather(c, &d)) == 0)
		r = c->json ? admin_result(c, dash_json(&d)) :
		    dash_print(c, &d);
	json_decref(d.sanctioned);
	return r;
}

static int64_t
files_released(struct admin_call *c, const char *nic)
{
	struct release_list l = { NULL, 0 };
	int64_t n = 0;

	if (release_list(c->ctx->store, nic, 1, &l) == 0)
		n = (int64_t)l.n;
	release_list_free(&l);
	return n;
}

static int
status_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct agreement *a = v;
	int64_t files = files_released(c, a->nic);
	char s[11], e[11], due[11];

	admin_date(a->starts, s);
	admin_date(a->expires, e);
	admin_date(a->expires + admin_cert_due_days(c), due);
	if (!c->json)
		return admin_print(c, "%s\t%s\t%s to %s\t%lld files\t"
		    "deletion certificate due %s\n", a->nic,
		    agreement_state_name(a->state), s, e, (long long)files,
		    due);
	return admin_append(c, arr, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}",
	    "nic", a->nic, "state", agreement_state_name(a->state), "starts",
	    s, "expires", e, "files_released", (json_int_t)files,
	    "deletion_certificate_due", due));
}

/* Whether the recipient's organisation is sanctioned: a line of text, or
 * two more keys of the JSON answer. */
static int
status_sanction(struct admin_call *c)
{
	int sanctioned = admin_org_sanctioned(c, c->ctx->org);

	if (!c->json)
		return !sanctioned ? 0 : admin_print(c, "%s is sanctioned: a "
		    "certificate of deletion is overdue; no data under any "
		    "agreement until it is received\n", c->ctx->org);
	if (json_object_set_new(c->result, "org",
	    json_string(c->ctx->org)) != 0 || json_object_set_new(c->result,
	    "sanctioned", json_boolean(sanctioned)) != 0)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	return 0;
}

/* A recipient's own organisation's agreements. */
static int
status_recipient(struct admin_call *c)
{
	struct agreement_list l = { NULL, 0 };
	int r;

	if (c->ctx->org == NULL || agreement_list(c->ctx->store,
	    AGREEMENT_ANY_STATE, c->ctx->org, AGREEMENT_LIST_GOVERNING,
	    &l) != 0)
		r = admin_fail(c, SLUICE_ESTORE, "cannot read your agreements");
	else if ((r = admin_list(c, "agreements", NULL, l.v, l.n,
	    sizeof(*l.v), status_row)) == 0)
		r = status_sanction(c);
	agreement_list_free(&l);
	return r;
}

/* Staff: the dashboard in one line. */
static int
status_staff(struct admin_call *c)
{
	struct dash d;
	int r;

	if ((r = dash_gather(c, &d)) == 0)
		r = admin_answer(c, dash_json(&d), "%lld live, %lld awaiting "
		    "signatures, %lld suspended; %lld releases awaiting "
		    "approval; %lld deletion certificates overdue; %lld "
		    "organisations sanctioned",
		    (long long)d.by_state[AG_LIVE],
		    (long long)d.by_state[AG_AWAITING_SIGNATURES],
		    (long long)d.by_state[AG_SUSPENDED],
		    (long long)d.awaiting_approval,
		    (long long)d.cert_overdue,
		    (long long)json_array_size(d.sanctioned));
	json_decref(d.sanctioned);
	return r;
}

int
cmd_status(struct admin_call *c)
{
	if (c->ctx->kind == ADMIN_CALLER_RECIPIENT)
		return status_recipient(c);
	return status_staff(c);
}
