/*
 * register_doc.h: the Data Uses Register as documents (docs/design.md
 * section 6): its rows, and those rows as CSV and as JSON, byte for byte as
 * the admin command `register export --format csv|json` answers them. Used
 * by sluiced publish; the admin command writes the same documents with it
 * (the CSV row by row, the JSON with REGISTER_DOC_JSON_FLAGS), so the two
 * never drift apart.
 */
#ifndef SLUICE_REGISTER_DOC_H
#define SLUICE_REGISTER_DOC_H

#include <jansson.h>

#include "sluice/buf.h"
#include "sluice/domain.h"
#include "store/store.h"

/* The columns, in order: reference, title, organisation, organisation_type,
 * datasets, legal_basis, purpose, start, end, state. */
#define REGISTER_DOC_NCOLUMNS	10
extern const char *const register_doc_columns[REGISTER_DOC_NCOLUMNS];

/* Whether the register shows an agreement in state s: once signed (signed,
 * live, suspended, expired, closed), never a draft or one awaiting its
 * signatures. */
int register_doc_public(enum agreement_state s);

/*
 * *rows = a JSON array, by NIC, of one object per agreement whose governing
 * version (store.h agreement_governing()) is in a public state: the
 * columns' keys in order, every value a string (dates YYYY-MM-DD, the state
 * as design.md names it). The caller json_decref()s it. 0 or SLUICE_E*.
 */
int register_doc_rows(struct store *st, json_t **rows);

/* Appends the rows as RFC 4180 CSV: a header line of the column names, then
 * one line per row, each ending CRLF; a field holding a comma, quote, CR or
 * LF is quoted, its quotes doubled. register_doc_csv_head() and
 * register_doc_csv_row() append the header and one row of it, for a writer
 * that hands the text on as it grows. */
int register_doc_csv(json_t *rows, struct sbuf *out);
int register_doc_csv_head(struct sbuf *out);
int register_doc_csv_row(const json_t *row, struct sbuf *out);

/* Appends the rows as one JSON array, indented by 2, keys in column order
 * (json_dumps() with REGISTER_DOC_JSON_FLAGS), and a final LF. */
#define REGISTER_DOC_JSON_FLAGS	(JSON_INDENT(2) | JSON_PRESERVE_ORDER)
int register_doc_json(json_t *rows, struct sbuf *out);

#endif
