/* register_doc.c: the Data Uses Register as CSV and JSON (register_doc.h). */
#include <stdlib.h>
#include <string.h>

#include "setup/register_doc.h"
#include "sluice/clock.h"
#include "sluice/error.h"

const char *const register_doc_columns[REGISTER_DOC_NCOLUMNS] = {
	"reference", "title", "organisation", "organisation_type", "datasets",
	"legal_basis", "purpose", "start", "end", "state",
};

int
register_doc_public(enum agreement_state s)
{
	return s == AG_SIGNED || s == AG_LIVE || s == AG_SUSPENDED ||
	    s == AG_EXPIRED || s == AG_CLOSED;
}

/* "YYYY-MM-DD", or "" for no date. */
static void
date_text(int32_t day, char out[11])
{
	if (day == 0 || sluice_date_format(day, out, 11) != 0)
		out[0] = '\0';
}

static json_t *
row_json(struct store *st, const struct agreement *a)
{
	struct org o;
	char s[11], e[11];

	memset(&o, 0, sizeof(o));
	(void)org_get(st, a->org, &o);
	date_text(a->starts, s);
	date_text(a->expires, e);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "reference", a->nic, "title", a->title, "organisation", o.name,
	    "organisation_type", o.type, "datasets", a->datasets,
	    "legal_basis", a->legal_basis, "purpose", a->purpose, "start", s,
	    "end", e, "state", agreement_state_name(a->state));
}

static int
append_public(struct store *st, json_t *rows, const struct agreement *a)
{
	if (!register_doc_public(a->state))
		return 0;
	return json_array_append_new(rows, row_json(st, a)) == 0 ? 0 :
	    SLUICE_ENOMEM;
}

int
register_doc_rows(struct store *st, json_t **rows)
{
	struct agreement_list l = { NULL, 0 };
	size_t i;
	int r;

	*rows = NULL;
	if ((r = agreement_list(st, AGREEMENT_ANY_STATE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return r;
	if ((*rows = json_array()) == NULL)
		r = SLUICE_ENOMEM;
	for (i = 0; i < l.n && r == 0; i++)
		r = append_public(st, *rows, &l.v[i]);
	agreement_list_free(&l);
	if (r != 0) {
		json_decref(*rows);
		*rows = NULL;
	}
	return r;
}

/* s in quotes, with its quotes doubled. */
static int
csv_quoted(struct sbuf *b, const char *s)
{
	const char *p;
	int r;

	r = sbuf_put_u8(b, '"');
	for (p = s; *p != '\0' && r == 0; p++)
		r = *p == '"' ? sbuf_put(b, "\"\"", 2) :
		    sbuf_put_u8(b, (uint8_t)*p);
	return r != 0 ? r : sbuf_put_u8(b, '"');
}

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
static int
csv_field(struct sbuf *b, const char *s, int last)
{
	int r;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL)
		r = sbuf_put(b, s, strlen(s));
	else
		r = csv_quoted(b, s);
	if (r == 0)
		r = last ? sbuf_put(b, "\r\n", 2) : sbuf_put_u8(b, ',');
	return r;
}

int
register_doc_csv_head(struct sbuf *out)
{
	size_t k;
	int r = 0;

	for (k = 0; k < REGISTER_DOC_NCOLUMNS && r == 0; k++)
		r = csv_field(out, register_doc_columns[k],
		    k + 1 == REGISTER_DOC_NCOLUMNS);
	return r;
}

int
register_doc_csv_row(const json_t *row, struct sbuf *out)
{
	size_t k;
	int r = 0;

	for (k = 0; k < REGISTER_DOC_NCOLUMNS && r == 0; k++)
		r = csv_field(out, json_string_value(json_object_get(row,
		    register_doc_columns[k])), k + 1 == REGISTER_DOC_NCOLUMNS);
	return r;
}

int
register_doc_csv(json_t *rows, struct sbuf *out)
{
	size_t i;
	int r;

	r = register_doc_csv_head(out);
	for (i = 0; i < json_array_size(rows) && r == 0; i++)
		r = register_doc_csv_row(json_array_get(rows, i), out);
	return r;
}

int
register_doc_json(json_t *rows, struct sbuf *out)
{
	char *s;
	int r;

	if ((s = json_dumps(rows, REGISTER_DOC_JSON_FLAGS)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sbuf_put(out, s, strlen(s))) == 0)
		r = sbuf_put_u8(out, '\n');
	free(s);
	return r;
}
