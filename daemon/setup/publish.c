/*
 * publish.c: sluiced publish (publish.h): gathers what the site shows from
 * the store, builds each document, writes them into a new directory and
 * swaps the WEBDIR link to it in one rename(2).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "setup/publish.h"
#include "setup/publish_int.h"
#include "setup/register_doc.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/files.h"

#define DEFAULT_CERT_DUE_DAYS	30	/* the default policy's */
#define PLACE_MAX	(2 * CONFIG_PATH_MAX + 64)	/* a path in WEBDIR's parent */

/* ---- what the site shows ------------------------------------------------- */

static void
count_agreement(struct site *s, const struct agreement *a)
{
	int32_t left = a->expires - s->today;

	if (!register_doc_public(a->state))
		return;
	s->by_state[a->state]++;
	if ((a->state == AG_SIGNED || a->state == AG_LIVE ||
	    a->state == AG_SUSPENDED) && left >= 0) {
		s->expiring30 += left <= 30;
		s->expiring90 += left <= 90;
	}
	if (a->state == AG_EXPIRED) {
		if (s->today > a->expires + s->cert_due_days)
			s->cert_overdue++;
		else
			s->cert_due++;
	}
}

/* Counted as the dashboard command counts: each NIC's governing version. */
static int
gather_agreements(struct store *st, struct site *s)
{
	struct agreement_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = register_doc_rows(st, &s->rows)) != 0)
		return r;
	if ((r = agreement_list(st, AGREEMENT_ANY_STATE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l)) == 0)
		for (i = 0; i < l.n; i++)
			count_agreement(s, &l.v[i]);
	agreement_list_free(&l);
	return r;
}

static int
gather_sanctioned(struct store *st, struct site *s)
{
	struct org_list ol = { NULL, 0 };
	size_t i;
	int r;

	if ((s->sanctioned = json_array()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = org_list(st, &ol)) == 0)
		for (i = 0; i < ol.n && r == 0; i++)
			if (ol.v[i].sanctioned && json_array_append_new(
			    s->sanctioned, json_string(ol.v[i].code)) != 0)
				r = SLUICE_ENOMEM;
	org_list_free(&ol);
	return r;
}

/* The first second of month m (0-based, counted from year 0). */
static int64_t
month_start(int m)
{
	char ymd[16];
	int32_t day = 0;

	(void)snprintf(ymd, sizeof(ymd), "%04u-%02u-01",
	    (unsigned)m / 12 % 10000, (unsigned)m % 12 + 1);
	(void)sluice_date_parse(ymd, &day);
	return (int64_t)day * SLUICE_DAY;
}

/* Spreads the store's per-month counts over the site's months. */
static void
spread(const struct site *s, const struct month_count_list *l, int64_t *v)
{
	size_t i, k;

	for (i = 0; i < PUBLISH_MONTHS; i++)
		for (k = 0, v[i] = 0; k < l->n; k++)
			if (strcmp(l->v[k].month, s->month[i]) == 0)
				v[i] = l->v[k].n;
}

static int
gather_months(struct store *st, struct site *s)
{
	struct month_count_list rel = { NULL, 0 }, dl = { NULL, 0 };
	int y = 0, m = 0, first, i, r;

	if (sscanf(s->generated, "%4d-%2d", &y, &m) != 2)
		return SLUICE_EINVAL;
	first = y * 12 + m - 1 - (PUBLISH_MONTHS - 1);
	for (i = 0; i < PUBLISH_MONTHS; i++)
		(void)snprintf(s->month[i], sizeof(s->month[i]), "%04u-%02u",
		    (unsigned)(first + i) / 12 % 10000,
		    (unsigned)(first + i) % 12 + 1);
	if ((r = store_releases_by_month(st, month_start(first),
	    month_start(first + PUBLISH_MONTHS), &rel)) == 0 &&
	    (r = store_downloads_by_month(st, month_start(first),
	    month_start(first + PUBLISH_MONTHS), &dl)) == 0) {
		spread(s, &rel, s->releases);
		spread(s, &dl, s->downloads);
	}
	month_count_list_free(&rel);
	month_count_list_free(&dl);
	return r;
}

static void
site_free(struct site *s)
{
	json_decref(s->rows);
	json_decref(s->sanctioned);
	memset(s, 0, sizeof(*s));
}

static int
site_gather(struct store *st, const struct sluice_policy *policy,
    int64_t now, struct site *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->now = now;
	s->today = sluice_day_of(now);
	s->cert_due_days = policy != NULL ? policy->cert_due_days :
	    DEFAULT_CERT_DUE_DAYS;
	if (sluice_time_format(now, s->generated, sizeof(s->generated)) != 0)
		return SLUICE_EINVAL;
	if ((r = gather_agreements(st, s)) == 0 &&
	    (r = gather_sanctioned(st, s)) == 0)
		r = gather_months(st, s);
	return r;
}

/* ---- the documents ------------------------------------------------------- */

static int
doc_csv(struct sbuf *b, const struct site *s)
{
	return register_doc_csv(s->rows, b);
}

static int
doc_json(struct sbuf *b, const struct site *s)
{
	return register_doc_json(s->rows, b);
}

static const struct doc {
	const char	*name;
	int		(*build)(struct sbuf *, const struct site *);
} docs[] = {
	{ "index.html", page_index },
	{ "register.html", page_register },
	{ "dashboard.html", page_dashboard },
	{ "register.csv", doc_csv },
	{ "register.json", doc_json },
};
#define NDOCS	(sizeof(docs) / sizeof(docs[0]))

static int
write_doc(const char *dir, const struct doc *d, const struct site *s,
    char *why, size_t whylen)
{
	struct sbuf *b;
	char path[PLACE_MAX + 32];
	int r;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, d->name);
	if ((b = sbuf_new()) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((r = d->build(b, s)) != 0)
		sluice_why(why, whylen, r, "cannot build %s: %s", d->name,
		    sluice_strerror(r));
	else if ((r = files_write_new(path, sbuf_ptr(b), sbuf_len(b),
	    0644)) != 0)
		sluice_why(why, whylen, r, "cannot write %s: %s", path,
		    strerror(errno));
	sbuf_free(b);
	return r;
}

/* ---- where it goes: a new directory, then one rename ---------------------- */

struct place {
	char	 out[CONFIG_PATH_MAX];		/* WEBDIR, no trailing slash */
	char	 parent[CONFIG_PATH_MAX];
	char	 base[CONFIG_PATH_MAX];
	char	 fresh[PLACE_MAX];		/* the new directory */
	char	 old[PLACE_MAX];		/* the one WEBDIR named, or "" */
};

static int
place_split(const char *outdir, struct place *p, char *why, size_t whylen)
{
	char *slash;
	size_t n = outdir != NULL ? strlen(outdir) : 0;

	while (n > 1 && outdir[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(p->out))
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad output "
		    "directory");
	memcpy(p->out, outdir, n);
	p->out[n] = '\0';
	slash = strrchr(p->out, '/');
	(void)snprintf(p->parent, sizeof(p->parent), "%.*s",
	    slash == NULL ? 1 : slash == p->out ? 1 : (int)(slash - p->out),
	    slash == NULL ? "." : p->out);
	(void)snprintf(p->base, sizeof(p->base), "%s", slash ? slash + 1 :
	    p->out);
	if (p->base[0] == '\0' || strcmp(p->base, ".") == 0 ||
	    strcmp(p->base, "..") == 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "%s: name a "
		    "directory to publish into", outdir);
	return 0;
}

/* Whether name is a directory this program made for p (.BASE.*). */
static int
is_ours(const struct place *p, const char *name)
{
	size_t n = strlen(p->base);

	return name[0] == '.' && strncmp(name + 1, p->base, n) == 0 &&
	    name[n + 1] == '.' && strchr(name, '/') == NULL;
}

/* WEBDIR as found: absent, an empty directory (removed now), or our link,
 * whose directory is noted to be removed after the swap. */
static int
place_check(struct place *p, char *why, size_t whylen)
{
	char target[CONFIG_PATH_MAX];
	struct stat st;
	ssize_t n;

	p->old[0] = '\0';
	if (lstat(p->out, &st) != 0)
		return errno == ENOENT ? 0 : sluice_why(why, whylen, SLUICE_EIO,
		    "%s: %s", p->out, strerror(errno));
	if (S_ISDIR(st.st_mode) && rmdir(p->out) == 0)
		return 0;
	if (S_ISLNK(st.st_mode) && (n = readlink(p->out, target,
	    sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		if (is_ours(p, target)) {
			(void)snprintf(p->old, sizeof(p->old), "%s/%s",
			    p->parent, target);
			return 0;
		}
	}
	return sluice_why(why, whylen, SLUICE_EEXIST, "%s: exists and is not "
	    "a link made by sluiced publish; remove it or name another",
	    p->out);
}

/* Removes a directory of plain files (one this program wrote). */
static void
remove_flat(const char *dir)
{
	char path[PLACE_MAX + 300];
	struct dirent *de;
	DIR *d;

	if (dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    (int)sizeof(path))
			(void)unlink(path);
	closedir(d);
	(void)rmdir(dir);
}

static int
place_fresh(struct place *p, const struct site *s, char *why, size_t whylen)
{
	char stamp[21];
	size_t i, k = 0;
	int n;

	for (i = 0; s->generated[i] != '\0'; i++)
		if (s->generated[i] != '-' && s->generated[i] != ':')
			stamp[k++] = s->generated[i];
	stamp[k] = '\0';
	n = snprintf(p->fresh, sizeof(p->fresh), "%s/.%s.%s.XXXXXX",
	    p->parent, p->base, stamp);
	if (n < 0 || (size_t)n >= sizeof(p->fresh))
		return sluice_why(why, whylen, SLUICE_EINVAL, "%s: name too "
		    "long", p->out);
	if (mkdtemp(p->fresh) == NULL || chmod(p->fresh, 0755) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "cannot make a "
		    "directory in %s: %s", p->parent, strerror(errno));
	return 0;
}

/* WEBDIR becomes a link to the fresh directory, in one rename(2). */
static int
place_swap(struct place *p, char *why, size_t whylen)
{
	char link[sizeof(p->fresh) + 8];
	const char *name = strrchr(p->fresh, '/') + 1;
	int synced;

	(void)snprintf(link, sizeof(link), "%s.link", p->fresh);
	if (symlink(name, link) != 0 || rename(link, p->out) != 0) {
		(void)unlink(link);
		return sluice_why(why, whylen, SLUICE_EIO, "cannot link %s to "
		    "%s: %s", p->out, name, strerror(errno));
	}
	synced = files_sync_dir(p->parent);
	if (strcmp(p->old, p->fresh) != 0)
		remove_flat(p->old);
	/* WEBDIR is the new site already; only its surviving a crash is in
	 * doubt */
	return synced == 0 ? 0 : sluice_why(why, whylen, synced, "%s: "
	    "published, but cannot sync %s", p->out, p->parent);
}

static int
site_write(const struct site *s, struct place *p, char *why, size_t whylen)
{
	size_t i;
	int r;

	if ((r = place_fresh(p, s, why, whylen)) != 0)
		return r;
	for (i = 0; i < NDOCS && r == 0; i++)
		r = write_doc(p->fresh, &docs[i], s, why, whylen);
	if (r == 0 && (r = files_sync_dir(p->fresh)) != 0)
		sluice_why(why, whylen, r, "cannot sync %s", p->fresh);
	if (r == 0)
		r = place_swap(p, why, whylen);
	if (r != 0)
		remove_flat(p->fresh);
	return r;
}

int
publish_site_policy(struct store *st, const struct sluice_policy *policy,
    const char *outdir, int64_t now, char *why, size_t whylen)
{
	struct place p;
	struct site s;
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = place_split(outdir, &p, why, whylen)) != 0 ||
	    (r = place_check(&p, why, whylen)) != 0)
		return r;
	if ((r = site_gather(st, policy, now, &s)) != 0)
		sluice_why(why, whylen, r, "cannot read the store: %s",
		    sluice_strerror(r));
	else
		r = site_write(&s, &p, why, whylen);
	site_free(&s);
	return r;
}

int
publish_site(struct store *st, const char *outdir, int64_t now, char *why,
    size_t whylen)
{
	return publish_site_policy(st, NULL, outdir, now, why, whylen);
}

/* ---- the command --------------------------------------------------------- */

int
publish_run(const char *dir, const char *outdir)
{
	struct sluice_config cfg;
	struct store *st = NULL;
	char why[1024] = "";
	int r;

	if (config_load(dir, &cfg, why, sizeof(why)) != 0) {
		fprintf(stderr, "sluiced publish: %s\n", why);
		return 1;
	}
	if (outdir == NULL && cfg.publish_dir[0] == '\0') {
		fprintf(stderr, "sluiced publish: no output directory: give "
		    "--out WEBDIR or set [publish] dir in %s/sluiced.conf\n", dir);
		return 2;
	}
	if (outdir == NULL)
		outdir = cfg.publish_dir;
	if ((r = store_open_readonly(cfg.store_path, &st, why,
	    sizeof(why))) == 0)
		r = publish_site_policy(st, &cfg.policy, outdir, sluice_now(),
		    why, sizeof(why));
	store_close(st);
	if (r != 0) {
		fprintf(stderr, "sluiced publish: %s\n", why);
		return 1;
	}
	printf("published %s: index.html register.html dashboard.html "
	    "register.csv register.json\n", outdir);
	return 0;
}
