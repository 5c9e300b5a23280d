/*
 * publish_page.c: what every published page shares (the writer, the head
 * with its CSS and Content-Security-Policy, navigation, footer) and the
 * front page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "setup/publish_int.h"
#include "sluice/error.h"
#include "sluice/html.h"

/* Readable at 320 px and up; colours pass WCAG AA (text at least 7:1). */
static const char css[] =
":root{color-scheme:light}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;font:1rem/1.5 \"DejaVu Sans\",system-ui,sans-serif;"
"color:#1b1b1b;background:#fff}\n"
"header,main,footer{max-width:75rem;margin:0 auto;padding:0 1rem}\n"
"header{border-bottom:4px solid #005eb8}\n"
"nav ul{list-style:none;margin:0;padding:.6rem 0;display:flex;"
"flex-wrap:wrap;gap:.25rem 1.5rem}\n"
"a{color:#004b93}\n"
"a:focus,button:focus,select:focus{outline:3px solid #ffbf47;"
"outline-offset:1px}\n"
"h1{font-size:1.8rem;line-height:1.2;margin:1.25rem 0 .75rem}\n"
"h2{font-size:1.35rem;margin:2rem 0 .5rem}\n"
"h3{font-size:1.1rem;margin:1.25rem 0 .25rem}\n"
".scroll{overflow-x:auto}\n"
"table{border-collapse:collapse;margin:.5rem 0 1rem}\n"
"caption{text-align:left;font-weight:bold;padding:.25rem 0}\n"
"th,td{border:1px solid #8c8c8c;padding:.3rem .5rem;text-align:left;"
"vertical-align:top;overflow-wrap:break-word}\n"
"thead th{background:#e8edee}\n"
".num{text-align:right;font-variant-numeric:tabular-nums}\n"
"th button{font:inherit;font-weight:bold;color:#004b93;background:none;"
"border:0;padding:0;text-decoration:underline;cursor:pointer}\n"
"#tools{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:1rem 0}\n"
"#tools select{font:inherit;max-width:100%}\n"
".chart{display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:flex-start}\n"
".chart svg{flex:1 1 30rem;max-width:100%;height:auto}\n"
"footer{margin-top:2.5rem;border-top:1px solid #8c8c8c;color:#3d3d3d}\n"
"@media (max-width:48rem){\n"
"table.cards,table.cards tbody,table.cards tr,table.cards th,"
"table.cards td{display:block;width:100%}\n"
"table.cards caption{display:block}\n"
"table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;"
"clip:rect(0 0 0 0)}\n"
"table.cards tr{border:1px solid #8c8c8c;margin:0 0 .75rem}\n"
"table.cards th,table.cards td{border:0;border-top:1px solid #d0d0d0}\n"
"table.cards tbody th{background:#e8edee;border-top:0}\n"
"table.cards td::before{content:attr(data-label);display:block;"
"font-weight:bold;font-size:.875rem}\n"
"}\n";

void
out_raw(struct out *o, const char *s)
{
	if (o->r == 0)
		o->r = sbuf_put(o->b, s, strlen(s));
}

void
out_text(struct out *o, const char *s)
{
	if (o->r == 0)
		o->r = html_escape(o->b, s);
}

void
out_num(struct out *o, int64_t n)
{
	if (o->r == 0)
		o->r = sbuf_putf(o->b, "%lld", (long long)n);
}

void
out_fmt(struct out *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (o->r != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		o->r = SLUICE_ETOOBIG;
	else
		o->r = sbuf_put(o->b, line, (size_t)n);
}

/* 'sha256-<base64>' of text, as a Content-Security-Policy source. */
static void
csp_hash(const char *text, char out[64])
{
	unsigned char md[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];

	crypto_hash_sha256(md, (const unsigned char *)text, strlen(text));
	sodium_bin2base64(b64, sizeof(b64), md, sizeof(md),
	    sodium_base64_VARIANT_ORIGINAL);
	(void)snprintf(out, 64, "'sha256-%s'", b64);
}

/* Nothing from anywhere but this page's own style and script. */
static void
csp(struct out *o, const char *script)
{
	char style_src[64], script_src[64];

	csp_hash(css, style_src);
	if (script != NULL)
		csp_hash(script, script_src);
	out_fmt(o, "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src %s; script-src %s; img-src 'self'; "
	    "base-uri 'none'; form-action 'none'\">\n", style_src,
	    script != NULL ? script_src : "'none'");
}

static void
navigation(struct out *o)
{
	out_raw(o, "<header>\n<nav aria-label=\"Pages\"><ul>\n"
	    "<li><a href=\"index.html\">About</a></li>\n"
	    "<li><a href=\"register.html\">Data Uses Register</a></li>\n"
	    "<li><a href=\"dashboard.html\">Dashboard</a></li>\n"
	    "</ul></nav>\n</header>\n");
}

void
page_begin(struct out *o, const struct site *s, const char *title,
    const char *script)
{
	(void)s;
	out_raw(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n");
	csp(o, script);
	out_raw(o, "<title>");
	out_text(o, title);
	out_raw(o, "</title>\n<style>");
	out_raw(o, css);
	out_raw(o, "</style>\n</head>\n<body>\n");
	navigation(o);
	out_raw(o, "<main>\n");
}

void
page_end(struct out *o, const struct site *s, const char *script)
{
	out_raw(o, "</main>\n<footer>\n<p>Generated <time datetime=\"");
	out_text(o, s->generated);
	out_raw(o, "\">");
	out_text(o, s->generated);
	out_raw(o, "</time> (UTC) from the service's register. These pages "
	    "hold no personal data.</p>\n</footer>\n");
	if (script != NULL) {
		out_raw(o, "<script>");
		out_raw(o, script);
		out_raw(o, "</script>\n");
	}
	out_raw(o, "</body>\n</html>\n");
}

int
page_index(struct sbuf *b, const struct site *s)
{
	struct out o = { b, 0 };

	page_begin(&o, s, "Data Uses Register: about", NULL);
	out_raw(&o, "<h1>Data Uses Register</h1>\n<p>This service releases "
	    "extracts of health data to an organisation only while a Data "
	    "Sharing Agreement between it and the data controller is in force: "
	    "signed by both, between its start and end dates, and not "
	    "suspended. Each extract is encrypted for the organisation's own "
	    "recipients, and every release and download is recorded.</p>\n"
	    "<p>These pages say which agreements there are and how the service "
	    "is used. They are published from the service's own register and "
	    "hold no personal data.</p>\n<h2>Pages</h2>\n<ul>\n"
	    "<li><a href=\"register.html\">The register</a>: every agreement "
	    "once both parties have signed it (");
	out_num(&o, (int64_t)json_array_size(s->rows));
	out_raw(&o, "): the organisation, the purpose, the legal basis, the "
	    "datasets, its dates and its state.</li>\n<li><a href=\"dashboard"
	    ".html\">The dashboard</a>: agreements by state, what ends soon, "
	    "certificates of deletion due and overdue, sanctioned "
	    "organisations, releases and downloads per month.</li>\n</ul>\n"
	    "<h2>Downloads</h2>\n<ul>\n<li><a href=\"register.csv\" "
	    "type=\"text/csv\" download>register.csv</a>: the register as CSV "
	    "(RFC 4180)</li>\n<li><a href=\"register.json\" "
	    "type=\"application/json\" download>register.json</a>: the "
	    "register as JSON</li>\n</ul>\n");
	page_end(&o, s, NULL);
	return o.r;
}
