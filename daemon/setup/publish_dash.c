/*
 * publish_dash.c: dashboard.html. Counts as tables; releases and downloads
 * per month as bar charts drawn here as inline SVG, each beside the table
 * of its numbers (the chart is a picture of the table, and says so).
 */
#include <string.h>

#include "setup/publish_int.h"
#include "setup/register_doc.h"

/* The chart's drawing area inside a CHART_W x CHART_H view box. */
#define CHART_W		640
#define CHART_H		280
#define PLOT_X		48
#define PLOT_Y		16
#define PLOT_W		(CHART_W - PLOT_X - 8)
#define PLOT_H		(CHART_H - PLOT_Y - 48)
#define BAR_COLOUR	"#005eb8"	/* 6.4:1 on white */
#define GRID_COLOUR	"#8c8c8c"

/* The smallest of 1, 2, 5, 10, 20, 50, ... that is at least max (and 1). */
static int64_t
axis_top(int64_t max)
{
	int64_t top = 1;

	while (top < max) {
		if (top * 2 >= max)
			return top * 2;
		if (top * 5 >= max)
			return top * 5;
		top *= 10;
	}
	return top;
}

static int64_t
largest(const int64_t *v)
{
	int64_t m = 0;
	size_t i;

	for (i = 0; i < PUBLISH_MONTHS; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* Gridlines and their values: every unit up to 5, else fifths. */
static void
chart_grid(struct out *o, int64_t top)
{
	int64_t step = top <= 5 ? 1 : top / 5, t;
	long y;

	for (t = 0; t <= top; t += step) {
		y = PLOT_Y + PLOT_H - (long)(t * PLOT_H / top);
		out_fmt(o, "<line x1=\"%d\" y1=\"%ld\" x2=\"%d\" y2=\"%ld\" "
		    "stroke=\"%s\" stroke-width=\"1\"/>\n<text x=\"%d\" "
		    "y=\"%ld\" text-anchor=\"end\" font-size=\"13\" "
		    "fill=\"#1b1b1b\">%lld</text>\n", PLOT_X, y, PLOT_X + PLOT_W,
		    y, GRID_COLOUR, PLOT_X - 6, y + 4, (long long)t);
	}
}

/* One bar, and every third month's name under the axis. */
static void
chart_bar(struct out *o, const struct site *s, size_t i, int64_t v,
    int64_t top)
{
	long slot = PLOT_W / PUBLISH_MONTHS, x = PLOT_X + (long)i * slot;
	long h = (long)(v * PLOT_H / top);

	out_fmt(o, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" "
	    "fill=\"%s\"><title>", x + 3, (long)(PLOT_Y + PLOT_H) - h,
	    slot - 6, h, BAR_COLOUR);
	out_text(o, s->month[i]);
	out_fmt(o, ": %lld</title></rect>\n", (long long)v);
	if (i % 3 != 0)
		return;
	out_fmt(o, "<text x=\"%ld\" y=\"%d\" font-size=\"13\" fill=\"#1b1b1b\" "
	    "text-anchor=\"middle\">", x + slot / 2, PLOT_Y + PLOT_H + 20);
	out_text(o, s->month[i]);
	out_raw(o, "</text>\n");
}

static void
chart_svg(struct out *o, const struct site *s, const char *id,
    const char *what, const int64_t *v)
{
	int64_t top = axis_top(largest(v));
	size_t i;

	out_fmt(o, "<svg role=\"img\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "aria-labelledby=\"%s-title %s-desc\">\n<title id=\"%s-title\">",
	    CHART_W, CHART_H, CHART_W, CHART_H, id, id, id);
	out_text(o, what);
	out_fmt(o, " per month</title>\n<desc id=\"%s-desc\">A bar chart of "
	    "the table beside it: one bar per month from ", id);
	out_text(o, s->month[0]);
	out_raw(o, " to ");
	out_text(o, s->month[PUBLISH_MONTHS - 1]);
	out_raw(o, ".</desc>\n");
	chart_grid(o, top);
	for (i = 0; i < PUBLISH_MONTHS; i++)
		chart_bar(o, s, i, v[i], top);
	out_raw(o, "</svg>\n");
}

static void
month_table(struct out *o, const struct site *s, const char *what,
    const int64_t *v)
{
	size_t i;

	out_raw(o, "<div class=\"scroll\">\n<table>\n<caption>");
	out_text(o, what);
	out_raw(o, " per month</caption>\n<thead><tr><th scope=\"col\">Month"
	    "</th><th scope=\"col\" class=\"num\">");
	out_text(o, what);
	out_raw(o, "</th></tr></thead>\n<tbody>\n");
	for (i = PUBLISH_MONTHS; i-- > 0;) {
		out_raw(o, "<tr><th scope=\"row\">");
		out_text(o, s->month[i]);
		out_fmt(o, "</th><td class=\"num\">%lld</td></tr>\n",
		    (long long)v[i]);
	}
	out_raw(o, "</tbody>\n</table>\n</div>\n");
}

static void
monthly(struct out *o, const struct site *s, const char *id,
    const char *what, const char *explain, const int64_t *v)
{
	out_fmt(o, "<h2 id=\"%s\">", id);
	out_text(o, what);
	out_raw(o, " per month</h2>\n<p>");
	out_text(o, explain);
	out_raw(o, "</p>\n<div class=\"chart\">\n");
	chart_svg(o, s, id, what, v);
	month_table(o, s, what, v);
	out_raw(o, "</div>\n");
}

/* A table of (label, number) rows. */
static void
count_table(struct out *o, const char *caption, const char *col,
    const char *const *labels, const int64_t *v, size_t n)
{
	size_t i;

	out_raw(o, "<table>\n<caption>");
	out_text(o, caption);
	out_raw(o, "</caption>\n<thead><tr><th scope=\"col\">");
	out_text(o, col);
	out_raw(o, "</th><th scope=\"col\" class=\"num\">Agreements</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		out_raw(o, "<tr><th scope=\"row\">");
		out_text(o, labels[i]);
		out_fmt(o, "</th><td class=\"num\">%lld</td></tr>\n",
		    (long long)v[i]);
	}
	out_raw(o, "</tbody>\n</table>\n");
}

static void
by_state(struct out *o, const struct site *s)
{
	const char *labels[AG_STATE_MAX + 1];
	int64_t v[AG_STATE_MAX + 1], total = 0;
	size_t n = 0;
	int i;

	for (i = 0; i < AG_STATE_MAX; i++)
		if (register_doc_public((enum agreement_state)i)) {
			labels[n] = agreement_state_name((enum agreement_state)i);
			total += v[n++] = s->by_state[i];
		}
	labels[n] = "all";
	v[n++] = total;
	out_raw(o, "<h2 id=\"states\">Agreements by state</h2>\n");
	count_table(o, "Agreements in the register by state", "State", labels,
	    v, n);
}

static void
deadlines(struct out *o, const struct site *s)
{
	static const char *const ending[] = { "within 30 days",
	    "within 90 days" };
	static const char *const certs[] = { "due", "overdue" };
	const int64_t e[] = { s->expiring30, s->expiring90 };
	const int64_t c[] = { s->cert_due, s->cert_overdue };

	out_raw(o, "<h2 id=\"ending\">Agreements ending soon</h2>\n");
	count_table(o, "Signed, live or suspended agreements whose last day "
	    "is", "Ending", ending, e, 2);
	out_raw(o, "<h2 id=\"certificates\">Certificates of deletion</h2>\n"
	    "<p>After an agreement ends, the organisation certifies that it "
	    "has destroyed the data. A certificate is overdue ");
	out_num(o, s->cert_due_days);
	out_raw(o, " days after the agreement's last day.</p>\n");
	count_table(o, "Expired agreements whose certificate of deletion is",
	    "Certificate", certs, c, 2);
}

static void
sanctioned(struct out *o, const struct site *s)
{
	json_t *v;
	size_t i;

	out_raw(o, "<h2 id=\"sanctioned\">Sanctioned organisations</h2>\n<p>"
	    "An organisation whose certificate of deletion is overdue receives "
	    "no data under any agreement until it arrives.</p>\n");
	if (json_array_size(s->sanctioned) == 0) {
		out_raw(o, "<p>None.</p>\n");
		return;
	}
	out_raw(o, "<ul class=\"sanctioned\">\n");
	json_array_foreach(s->sanctioned, i, v) {
		out_raw(o, "<li>");
		out_text(o, json_string_value(v));
		out_raw(o, "</li>\n");
	}
	out_raw(o, "</ul>\n");
}

int
page_dashboard(struct sbuf *b, const struct site *s)
{
	struct out o = { b, 0 };

	page_begin(&o, s, "Data Uses Register: dashboard", NULL);
	out_raw(&o, "<h1>Dashboard</h1>\n<p>The agreements of the <a href=\""
	    "register.html\">register</a> counted, and how the service has been "
	    "used over the last 24 months.</p>\n");
	by_state(&o, s);
	deadlines(&o, s);
	sanctioned(&o, s);
	monthly(&o, s, "releases", "Releases", "Extracts approved for "
	    "release to an organisation, by the month of approval.",
	    s->releases);
	monthly(&o, s, "downloads", "Downloads", "Complete downloads of "
	    "released extracts by the organisations' recipients, by the month "
	    "they started.", s->downloads);
	page_end(&o, s, NULL);
	return o.r;
}
