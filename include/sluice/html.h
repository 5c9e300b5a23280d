/*
 * html.h: the one HTML escape. Every piece of text that goes into a published
 * page (sluiced publish, docs/design.md section 6) passes through it, in
 * element content and in double-quoted attribute values alike, so a title
 * such as <script> or "a & b" is shown as text and never read as markup.
 */
#ifndef SLUICE_HTML_H
#define SLUICE_HTML_H

#include "sluice/buf.h"

/*
 * Appends s (a NUL-terminated string; NULL is taken as "") to b as HTML
 * text:
 * - & < > " ' become &amp; &lt; &gt; &quot; &#39;
 * - characters that would hide or reorder the text around them are shown
 *   as their code point in brackets, "[U+202E]": the C0 controls but tab,
 *   LF and CR, DEL, the C1 controls, and the Unicode bidirectional
 *   formatting characters U+061C, U+200E, U+200F, U+202A..U+202E and
 *   U+2066..U+2069;
 * - a byte that does not start valid UTF-8 becomes U+FFFD.
 * Everything else is copied as it is. 0 or SLUICE_ENOMEM/SLUICE_ETOOBIG.
 */
int html_escape(struct sbuf *b, const char *s)
    __attribute__((warn_unused_result));

#endif
