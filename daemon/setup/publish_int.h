/*
 * publish_int.h: what the files of sluiced publish share: the facts a site
 * shows, gathered once, and a writer whose first error sticks, so a page
 * reads as the sequence of what it says.
 */
#ifndef SLUICE_PUBLISH_INT_H
#define SLUICE_PUBLISH_INT_H

#include <jansson.h>

#include "sluice/buf.h"
#include "sluice/domain.h"

#define PUBLISH_MONTHS	24	/* the charts: this month and the 23 before */

struct site {
	int64_t	 now;
	char	 generated[21];		/* now, YYYY-MM-DDTHH:MM:SSZ */
	int32_t	 today;
	int32_t	 cert_due_days;
	json_t	*rows;			/* the register (register_doc.h) */
	int64_t	 by_state[AG_STATE_MAX];	/* public states only */
	int64_t	 expiring30, expiring90;
	int64_t	 cert_due, cert_overdue;
	json_t	*sanctioned;		/* organisation codes, sorted */
	char	 month[PUBLISH_MONTHS][8];	/* "YYYY-MM", oldest first */
	int64_t	 releases[PUBLISH_MONTHS];
	int64_t	 downloads[PUBLISH_MONTHS];
};

/* Appends to b; after the first failure does nothing and keeps it in r. */
struct out {
	struct sbuf	*b;
	int		 r;
};

void out_raw(struct out *o, const char *s);		/* markup, as is */
void out_text(struct out *o, const char *s);		/* html_escape() */
void out_num(struct out *o, int64_t n);
void out_fmt(struct out *o, const char *fmt, ...)	/* markup and numbers */
    __attribute__((format(printf, 2, 3)));

/* The page around the content: head (title, CSS, a Content-Security-Policy
 * that lets in only this page's own style and script), navigation, <main>;
 * then the footer saying when it was generated, and script if not NULL. */
void page_begin(struct out *o, const struct site *s, const char *title,
    const char *script);
void page_end(struct out *o, const struct site *s, const char *script);

int page_index(struct sbuf *b, const struct site *s);
int page_register(struct sbuf *b, const struct site *s);
int page_dashboard(struct sbuf *b, const struct site *s);

/* The register's own JavaScript (filters, sorting), for page_register(). */
extern const char publish_register_js[];

#endif
