/*
 * The sweep at the engine's start (sweep.h): nothing half written, and
 * nothing no row names, survives a restart.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/inbox.h"
#include "engine/sweep.h"
#include "payloads/payloads.h"
#include "sluice/error.h"
#include "sluice/log.h"

#define SWEEP_PATH_MAX	4096

struct sweep {
	struct store		*st;
	const char		*dir;
	struct inbox_file_list	 rows;
};

/* ---- payloads ------------------------------------------------------------ */

static int
sweep_payload(void *arg, const char *name, int committed)
{
	struct sweep *sw = arg;
	struct extract e;
	const char *why = "half-written payload";

	if (committed) {
		if (extract_get(sw->st, name, &e) != SLUICE_ENOTFOUND)
			return 0;
		why = "payload no extract names,";
	}
	if (payloads_remove(sw->dir, name) == 0)
		log_info("sweep: removed %s payloads/%s", why, name);
	else
		log_warnx("sweep: cannot remove payloads/%s", name);
	return 0;
}

/* ---- certificate uploads ------------------------------------------------- */

static void
sweep_upload(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0)
		log_info("sweep: removed unfinished certificate upload "
		    "uploads/%s", name);
	else
		log_warnx("sweep: cannot remove uploads/%s", name);
}

/* The engine removes a certificate upload at its CLOSE or when its
 * connection ends: one still in DIR/uploads at start was cut by a crash. */
static void
sweep_uploads(const char *dir)
{
	char path[SWEEP_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/uploads", dir) >=
	    (int)sizeof(path) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (inbox_is_tmp(de->d_name))
			sweep_upload(dirfd(d), de->d_name);
	closedir(d);
}

/* ---- inboxes ------------------------------------------------------------- */

static int
named_by_row(const struct sweep *sw, const char *name)
{
	size_t i;

	for (i = 0; i < sw->rows.n; i++)
		if (strcmp(sw->rows.v[i].id, name) == 0)
			return 1;
	return 0;
}

/* An older version's DIR/inbox/<user>/: its plaintext files, then it. */
static void
sweep_legacy(int dfd, const char *user)
{
	struct dirent *de;
	DIR *d;
	int ufd, n = 0;

	if ((ufd = openat(dfd, user, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(ufd)) == NULL) {
		if (ufd != -1)
			close(ufd);
		log_warnx("sweep: cannot open inbox/%s/", user);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n += unlinkat(dirfd(d), de->d_name, 0) == 0;
	closedir(d);
	if (unlinkat(dfd, user, AT_REMOVEDIR) == 0)
		log_info("sweep: removed inbox/%s/ (%d file%s an older version "
		    "kept in plaintext)", user, n, n == 1 ? "" : "s");
	else
		log_warnx("sweep: cannot remove inbox/%s/: %s", user,
		    strerror(errno));
}

/* One entry of DIR/inbox: kept, or removed with a line saying why. */
static void
sweep_entry(struct sweep *sw, int dfd, const char *name)
{
	struct stat st;
	const char *why;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		sweep_legacy(dfd, name);
		return;
	}
	if (inbox_is_tmp(name))
		why = "unfinished upload";
	else if (!named_by_row(sw, name))
		why = "inbox file no row names,";
	else
		return;
	if (unlinkat(dfd, name, 0) == 0)
		log_info("sweep: removed %s inbox/%s", why, name);
	else
		log_warnx("sweep: cannot remove inbox/%s", name);
}

/* Rows whose file is gone name nothing anyone can read: forgotten. */
static void
sweep_rows(struct sweep *sw, int dfd)
{
	const struct inbox_file *f;
	struct stat st;
	size_t i;

	for (i = 0; i < sw->rows.n; i++) {
		f = &sw->rows.v[i];
		if (fstatat(dfd, f->id, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (inbox_file_delete(sw->st, f->id) == 0)
			log_info("sweep: forgot inbox file %s of staff %lld, "
			    "whose file inbox/%s is gone", f->name,
			    (long long)f->staff_id, f->id);
	}
}

static void
sweep_inbox(struct sweep *sw)
{
	char path[SWEEP_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/inbox", sw->dir) >=
	    (int)sizeof(path) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			sweep_entry(sw, dirfd(d), de->d_name);
	sweep_rows(sw, dirfd(d));
	closedir(d);
}

void
sweep_at_start(struct store *st, const char *dir)
{
	struct sweep sw;

	memset(&sw, 0, sizeof(sw));
	sw.st = st;
	sw.dir = dir;
	if (payloads_list(dir, sweep_payload, &sw) != 0)
		log_warnx("sweep: cannot list the payload area");
	sweep_uploads(dir);
	if (inbox_file_list(st, 0, &sw.rows) != 0) {
		log_warnx("sweep: cannot list inbox files; inbox not swept");
		return;
	}
	sweep_inbox(&sw);
	inbox_file_list_free(&sw.rows);
}
