/*
 * publish_register.c: register.html. The whole register is one table that
 * reads without JavaScript; below it the same rows grouped by state, by
 * organisation and by dataset, each group a section that the links at the
 * top lead to. The page's own script (publish_js.c) adds filters and
 * sortable columns to the first table.
 */
#include <stdlib.h>
#include <string.h>

#include "setup/publish_int.h"
#include "setup/register_doc.h"

/* The columns as shown: the register's key and its heading. */
static const struct column {
	const char	*key;
	const char	*label;
} columns[] = {
	{ "reference", "NIC reference" }, { "organisation", "Organisation" },
	{ "organisation_type", "Type" }, { "title", "Title" },
	{ "purpose", "Purpose" }, { "legal_basis", "Legal basis" },
	{ "datasets", "Datasets" }, { "start", "Start" }, { "end", "End" },
	{ "state", "State" },
};
#define NCOLS	(sizeof(columns) / sizeof(columns[0]))

/* How rows are grouped: by one field, a list of datasets when split. */
struct grouping {
	const char	*key;
	const char	*id;		/* anchors are id-1, id-2, ... */
	const char	*heading;
	int		 split;
};

static const struct grouping groupings[] = {
	{ "state", "state", "By state", 0 },
	{ "organisation", "organisation", "By organisation", 0 },
	{ "datasets", "dataset", "By dataset", 1 },
};

static const char *
field(json_t *row, const char *key)
{
	const char *v = json_string_value(json_object_get(row, key));

	return v != NULL ? v : "";
}

/* Calls fn for each item of v: v itself, or each of its comma-separated
 * items, trimmed, when split. */
static int
each_item(const char *v, int split, int (*fn)(void *, const char *, size_t),
    void *arg)
{
	size_t n;
	int r = 0;

	if (!split)
		return fn(arg, v, strlen(v));
	while (*v != '\0' && r == 0) {
		while (*v == ' ')
			v++;
		n = strcspn(v, ",");
		while (n > 0 && v[n - 1] == ' ')
			n--;
		if (n > 0)
			r = fn(arg, v, n);
		v += strcspn(v, ",");
		v += *v == ',';
	}
	return r;
}

static int
add_value(void *arg, const char *v, size_t n)
{
	json_t *set = arg;
	char *k;
	int r;

	if ((k = strndup(v, n)) == NULL)
		return -1;
	r = json_object_set_new(set, k, json_true());
	free(k);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct values of key over rows, sorted; a JSON array. */
static json_t *
distinct(json_t *rows, const struct grouping *g)
{
	json_t *set = json_object(), *row, *out = json_array(), *v;
	const char **keys = NULL, *k;
	size_t i = 0;

	json_array_foreach(rows, i, row)
		(void)each_item(field(row, g->key), g->split, add_value, set);
	if (set != NULL && out != NULL &&
	    (keys = calloc(json_object_size(set) + 1, sizeof(*keys))) != NULL) {
		i = 0;
		json_object_foreach(set, k, v)
			keys[i++] = k;
		qsort(keys, i, sizeof(*keys), cmp_str);
		while (i-- > 0)
			(void)json_array_insert_new(out, 0, json_string(keys[i]));
	}
	free(keys);
	json_decref(set);
	return out;
}

struct match { const char *want; int found; };

static int
is_match(void *arg, const char *v, size_t n)
{
	struct match *m = arg;

	if (strlen(m->want) == n && memcmp(m->want, v, n) == 0)
		m->found = 1;
	return 0;
}

static int
in_group(json_t *row, const struct grouping *g, const char *value)
{
	struct match m = { value, 0 };

	if (g == NULL)
		return 1;
	(void)each_item(field(row, g->key), g->split, is_match, &m);
	return m.found;
}

static size_t
group_size(json_t *rows, const struct grouping *g, const char *value)
{
	json_t *row;
	size_t i, n = 0;

	json_array_foreach(rows, i, row)
		n += in_group(row, g, value);
	return n;
}

static void
row_html(struct out *o, json_t *row)
{
	size_t k;

	out_raw(o, "<tr data-state=\"");
	out_text(o, field(row, "state"));
	out_raw(o, "\" data-organisation=\"");
	out_text(o, field(row, "organisation"));
	out_raw(o, "\" data-datasets=\"");
	out_text(o, field(row, "datasets"));
	out_raw(o, "\">");
	for (k = 0; k < NCOLS; k++) {
		out_raw(o, k == 0 ? "<th scope=\"row\" data-label=\"" :
		    "<td data-label=\"");
		out_text(o, columns[k].label);
		out_raw(o, "\">");
		out_text(o, field(row, columns[k].key));
		out_raw(o, k == 0 ? "</th>" : "</td>");
	}
	out_raw(o, "</tr>\n");
}

static void
table_head(struct out *o, const char *id, const char *caption)
{
	size_t k;

	out_raw(o, "<div class=\"scroll\">\n<table class=\"cards\"");
	if (id != NULL)
		out_fmt(o, " id=\"%s\"", id);
	out_raw(o, ">\n<caption>");
	out_text(o, caption);
	out_raw(o, "</caption>\n<thead><tr>");
	for (k = 0; k < NCOLS; k++) {
		out_raw(o, "<th scope=\"col\">");
		out_text(o, columns[k].label);
		out_raw(o, "</th>");
	}
	out_raw(o, "</tr></thead>\n<tbody>\n");
}

/* The rows in group (g, value), or all of them when g is NULL. */
static void
table_html(struct out *o, const struct site *s, const char *id,
    const char *caption, const struct grouping *g, const char *value)
{
	json_t *row;
	size_t i;

	table_head(o, id, caption);
	json_array_foreach(s->rows, i, row)
		if (in_group(row, g, value))
			row_html(o, row);
	out_raw(o, "</tbody>\n</table>\n</div>\n");
}

/* One line of links: each group of g, with its size. */
static void
group_links(struct out *o, const struct site *s, const struct grouping *g,
    json_t *values)
{
	json_t *v;
	size_t i;

	out_raw(o, "<li>");
	out_text(o, g->heading);
	out_raw(o, ":");
	json_array_foreach(values, i, v) {
		out_fmt(o, "%s <a href=\"#%s-%zu\">", i ? "," : "", g->id, i + 1);
		out_text(o, json_string_value(v));
		out_fmt(o, "</a> (%zu)", group_size(s->rows, g,
		    json_string_value(v)));
	}
	out_raw(o, json_array_size(values) ? "</li>\n" : " none</li>\n");
}

static void
group_sections(struct out *o, const struct site *s, const struct grouping *g,
    json_t *values)
{
	char caption[512];
	const char *name;
	json_t *v;
	size_t i;

	out_fmt(o, "<h2 id=\"by-%s\">", g->id);
	out_text(o, g->heading);
	out_raw(o, "</h2>\n");
	json_array_foreach(values, i, v) {
		name = json_string_value(v);
		out_fmt(o, "<section id=\"%s-%zu\" aria-labelledby=\"%s-%zu-h\">"
		    "\n<h3 id=\"%s-%zu-h\">", g->id, i + 1, g->id, i + 1, g->id,
		    i + 1);
		out_text(o, name);
		out_raw(o, "</h3>\n");
		(void)snprintf(caption, sizeof(caption), "%s: %s",
		    g->heading, name);
		table_html(o, s, NULL, caption, g, name);
		out_raw(o, "</section>\n");
	}
}

static void
introduction(struct out *o, const struct site *s)
{
	out_raw(o, "<h1>Data Uses Register</h1>\n<p>Every Data Sharing "
	    "Agreement under which this service releases data, once both the "
	    "organisation and the data controller have signed it: ");
	out_num(o, (int64_t)json_array_size(s->rows));
	out_raw(o, " agreements. Also as <a href=\"register.csv\" "
	    "type=\"text/csv\">CSV</a> and <a href=\"register.json\" "
	    "type=\"application/json\">JSON</a>.</p>\n");
}

int
page_register(struct sbuf *b, const struct site *s)
{
	struct out o = { b, 0 };
	json_t *values[3];
	size_t g;

	for (g = 0; g < 3; g++)
		values[g] = distinct(s->rows, &groupings[g]);
	page_begin(&o, s, "Data Uses Register", publish_register_js);
	introduction(&o, s);
	out_raw(&o, "<nav aria-label=\"Find agreements\">\n<ul>\n");
	for (g = 0; g < 3; g++)
		group_links(&o, s, &groupings[g], values[g]);
	out_raw(&o, "</ul>\n</nav>\n<div id=\"tools\"></div>\n");
	table_html(&o, s, "register", "All agreements, by NIC reference", NULL,
	    NULL);
	for (g = 0; g < 3; g++)
		group_sections(&o, s, &groupings[g], values[g]);
	page_end(&o, s, publish_register_js);
	for (g = 0; g < 3; g++)
		json_decref(values[g]);
	return o.r;
}
