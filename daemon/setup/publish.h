/*
 * publish.h: `sluiced publish` (docs/design.md section 6): the Data Uses
 * Register and a dashboard as a static site any web server can serve: HTML
 * with its own inline CSS, SVG and JavaScript, and the register as CSV and
 * JSON; no server-side code, nothing loaded from another host, no personal
 * data (no recipient, address or key; about extracts only counts).
 *
 * The site is written whole or not at all: it is built in a new directory
 * next to WEBDIR, named .WEBDIR.<YYYYmmddTHHMMSSZ>.<random>, and WEBDIR is a
 * symbolic link to it that rename(2) swaps in one step; the old directory
 * is kept until the swap and removed after it. So a web server serving
 * WEBDIR (following symbolic links) never sees a half-written site. WEBDIR
 * must be absent, an empty directory, or such a link.
 */
#ifndef SLUICE_PUBLISH_H
#define SLUICE_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/config.h"
#include "store/store.h"

/*
 * Writes the site for the store's contents at time now into outdir, as
 * above. The certificates of deletion due and overdue are counted with
 * policy's cert_due_days (publish_site(): the default policy's). Reads the
 * store only: the caller may hold a read-only handle. 0, or a negative
 * SLUICE_E* code with one line in why ("/srv/www/register: exists and is
 * not a link made by sluiced publish; remove it or name another").
 * The engine's scheduler may call it whenever what the site shows changes.
 */
int publish_site(struct store *st, const char *outdir, int64_t now,
    char *why, size_t whylen);
int publish_site_policy(struct store *st, const struct sluice_policy *policy,
    const char *outdir, int64_t now, char *why, size_t whylen);

/* `sluiced publish -d DIR [--out WEBDIR]`: outdir NULL means [publish] dir
 * of DIR/sluiced.conf. Prints what it wrote; returns the exit status (0,
 * 1 refused or failed, 2 usage). */
int publish_run(const char *dir, const char *outdir);

#endif
