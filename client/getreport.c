#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "getreport.h"
#include "jsonw.h"

static FILE *
out_of(const struct get_report *r)
{
	return r->out != NULL ? r->out : stdout;
}

static const char *
outcome_name(enum get_outcome o)
{
	switch (o) {
	case GOT_DECRYPTED:	return "decrypted";
	case GOT_DOWNLOADED:	return "downloaded";
	case GOT_ALREADY_HERE:	return "already here";
	case GOT_FAILED:	return "failed";
	}
	return "unknown";
}

/* The line for a file done, as it always read. */
static void
print_done(FILE *f, const char *name, enum get_outcome outcome,
    uint64_t bytes, int verified)
{
	if (outcome == GOT_DECRYPTED)
		(void)fprintf(f, "%s: decrypted, %llu bytes, SHA-256 verified\n",
		    name, (unsigned long long)bytes);
	else if (outcome == GOT_ALREADY_HERE)
		(void)fprintf(f, "%s: already here, SHA-256 verified\n", name);
	else
		(void)fprintf(f, "%s: %s\n", name, verified ?
		    "downloaded, SHA-256 verified" :
		    "downloaded (not in SHA256SUMS)");
}

/* A new zeroed entry at the end, or NULL. */
static struct got_file *
add_entry(struct get_report *r)
{
	struct got_file *f;
	size_t cap;

	if (r->n == r->cap) {
		cap = r->cap == 0 ? 8 : r->cap * 2;
		if (cap > SIZE_MAX / sizeof(*f) ||
		    (f = realloc(r->f, cap * sizeof(*f))) == NULL)
			return NULL;
		r->f = f;
		r->cap = cap;
	}
	f = &r->f[r->n];
	memset(f, 0, sizeof(*f));
	return f;
}

int
getreport_done(struct get_report *r, const char *name,
    enum get_outcome outcome, uint64_t bytes, int verified)
{
	struct got_file *f;

	r->done++;
	if (!r->json) {
		print_done(out_of(r), name, outcome, bytes, verified);
		return 0;
	}
	if ((f = add_entry(r)) == NULL || (f->name = strdup(name)) == NULL)
		return SLUICE_ENOMEM;
	f->outcome = outcome;
	f->bytes = bytes;
	f->verified = verified;
	r->n++;
	return 0;
}

int
getreport_failed(struct get_report *r, const char *name, const char *reason)
{
	struct got_file *f;

	r->failed++;
	if (!r->json)
		return 0;
	if ((f = add_entry(r)) == NULL)
		return SLUICE_ENOMEM;
	f->outcome = GOT_FAILED;
	if ((f->name = strdup(name)) == NULL ||
	    (f->reason = strdup(reason)) == NULL) {
		free(f->name);
		free(f->reason);
		return SLUICE_ENOMEM;
	}
	r->n++;
	return 0;
}

static void
print_entry(FILE *out, const struct got_file *f, int first)
{
	(void)fputs(first ? "{" : ",{", out);
	if (f->outcome != GOT_FAILED)
		jsonw_kv_u64(out, "bytes", f->bytes, 1);
	jsonw_kv_str(out, "name", f->name, f->outcome == GOT_FAILED);
	jsonw_kv_str(out, "outcome", outcome_name(f->outcome), 0);
	if (f->outcome == GOT_FAILED)
		jsonw_kv_str(out, "reason", f->reason, 0);
	jsonw_kv_bool(out, "verified", f->verified, 0);
	(void)fputc('}', out);
}

void
getreport_end(const struct get_report *r, const char *nic, const char *dir)
{
	FILE *out = out_of(r);
	size_t i;

	if (!r->json) {
		if (r->failed == 0)
			(void)fprintf(out, "all %zu files of %s are in %s\n",
			    r->done, nic, dir);
		return;
	}
	(void)fputc('{', out);
	jsonw_kv_str(out, "agreement", nic, 1);
	jsonw_kv_bool(out, "complete", r->failed == 0, 0);
	jsonw_kv_str(out, "directory", dir, 0);
	jsonw_key(out, "files", 0);
	(void)fputc('[', out);
	for (i = 0; i < r->n; i++)
		print_entry(out, &r->f[i], i == 0);
	(void)fputs("]}\n", out);
}

void
getreport_clear(struct get_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->f[i].name);
		free(r->f[i].reason);
	}
	free(r->f);
	r->f = NULL;
	r->n = r->cap = r->done = r->failed = 0;
}
