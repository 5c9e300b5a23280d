/*
 * The payload area as a local directory, DIR/payloads (payloads.h). Every
 * name is checked before it is joined to the area's path, and files are
 * opened with O_NOFOLLOW, so nothing here reaches outside the area.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "payloads/payloads.h"
#include "sluice/error.h"
#include "sluice/files.h"

#define AREA_PATH_MAX	4096
#define TMP_SUFFIX	".tmp"
#define TMP_RANDOM	16	/* random bytes in a temporary name */

struct payload_new {
	int	 fd;
	char	 area[AREA_PATH_MAX];
	char	 tmp[AREA_PATH_MAX];
};

enum name_kind { NAME_FOREIGN = 0, NAME_COMMITTED, NAME_PARTIAL };

static int
id_ok(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > PAYLOADS_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

/* What a name in the area is: an id, a temporary name, or neither. */
static enum name_kind
name_kind(const char *name)
{
	size_t n = strlen(name), sl = strlen(TMP_SUFFIX);

	if (id_ok(name, n))
		return NAME_COMMITTED;
	if (n > sl && strcmp(name + n - sl, TMP_SUFFIX) == 0 &&
	    id_ok(name, n - sl))
		return NAME_PARTIAL;
	return NAME_FOREIGN;
}

/* DIR/payloads, or DIR/payloads/name when name is not NULL. */
static int
area_path(char *out, size_t outlen, const char *data_dir, const char *name)
{
	int n;

	if (name == NULL)
		n = snprintf(out, outlen, "%s/payloads", data_dir);
	else
		n = snprintf(out, outlen, "%s/payloads/%s", data_dir, name);
	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

int
payloads_setup(const char *data_dir, char *why, size_t whylen)
{
	char path[AREA_PATH_MAX];
	int r;

	if ((r = area_path(path, sizeof(path), data_dir, NULL)) != 0)
		return sluice_why(why, whylen, r, "%s/payloads: path too long",
		    data_dir);
	if (mkdir(path, 0700) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
		    strerror(errno));
	return 0;
}

/* A fresh temporary name: random hex, then TMP_SUFFIX. */
static void
tmp_name(char *out, size_t outlen)
{
	uint8_t rnd[TMP_RANDOM];
	char hex[TMP_RANDOM * 2 + 1];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	(void)snprintf(out, outlen, "%s%s", hex, TMP_SUFFIX);
}

/* p's paths, and its temporary file created for writing. */
static int
tmp_open(struct payload_new *p, const char *data_dir, char *why,
    size_t whylen)
{
	char name[TMP_RANDOM * 2 + sizeof(TMP_SUFFIX)];

	tmp_name(name, sizeof(name));
	if (area_path(p->area, sizeof(p->area), data_dir, NULL) != 0 ||
	    area_path(p->tmp, sizeof(p->tmp), data_dir, name) != 0)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "data directory path too long");
	p->fd = open(p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (p->fd == -1)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "cannot create payload: %s", strerror(errno));
	return 0;
}

int
payloads_create(const char *data_dir, struct payload_new **pn, int *fd,
    char *why, size_t whylen)
{
	struct payload_new *p;
	int r;

	*pn = NULL;
	*fd = -1;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SLUICE_ENOMEM;
	if ((r = tmp_open(p, data_dir, why, whylen)) != 0) {
		free(p);
		return r;
	}
	*pn = p;
	*fd = p->fd;
	return 0;
}

void
payloads_abandon(struct payload_new *pn)
{
	if (pn == NULL)
		return;
	if (pn->fd != -1)
		close(pn->fd);
	if (pn->tmp[0] != '\0')
		(void)unlink(pn->tmp);
	free(pn);
}

/* Writes pn's bytes through and closes its descriptor. */
static int
tmp_sync(struct payload_new *pn, char *why, size_t whylen)
{
	int fd = pn->fd;

	pn->fd = -1;
	if (fsync(fd) != 0) {
		(void)close(fd);
		return sluice_why(why, whylen, SLUICE_EIO,
		    "writing payload: %s", strerror(errno));
	}
	if (close(fd) != 0)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "writing payload: %s", strerror(errno));
	return 0;
}

/* Renames the temporary file to final unless final exists, then makes the
 * rename durable. */
static int
tmp_publish(struct payload_new *pn, const char *final, const char *id,
    char *why, size_t whylen)
{
	struct stat st;

	if (lstat(final, &st) == 0)
		return sluice_why(why, whylen, SLUICE_EEXIST,
		    "payload %s exists already", id);
	if (errno != ENOENT || rename(pn->tmp, final) != 0)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "storing payload: %s", strerror(errno));
	pn->tmp[0] = '\0';	/* renamed: nothing left to remove */
	if (files_sync_dir(pn->area) != 0)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "storing payload: %s", strerror(errno));
	return 0;
}

int
payloads_commit(struct payload_new *pn, const char *id, char *why,
    size_t whylen)
{
	char final[AREA_PATH_MAX];
	int n, r;

	if (!id_ok(id, strlen(id))) {
		r = sluice_why(why, whylen, SLUICE_EINVAL, "bad payload id");
		goto out;
	}
	n = snprintf(final, sizeof(final), "%s/%s", pn->area, id);
	if (n < 0 || (size_t)n >= sizeof(final)) {
		r = SLUICE_ETOOBIG;
		goto out;
	}
	if ((r = tmp_sync(pn, why, whylen)) != 0)
		goto out;
	r = tmp_publish(pn, final, id, why, whylen);
out:
	payloads_abandon(pn);
	return r;
}

/* The committed path of id: checked, then joined to the area. */
static int
final_path(const char *data_dir, const char *id, char *out, size_t outlen,
    char *why, size_t whylen)
{
	if (!id_ok(id, strlen(id)))
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad payload id");
	if (area_path(out, outlen, data_dir, id) != 0)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "data directory path too long");
	return 0;
}

/* Copies everything readable from in to out. */
static int
copy_fd(int in, int out)
{
	uint8_t buf[65536];
	ssize_t got;
	int r = 0;

	while (r == 0 && (got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		r = got < 0 ? SLUICE_EIO : files_write_all(out, buf,
		    (size_t)got);
	}
	return r;
}

/* The copy for a file on another filesystem: a payload written and
 * committed as any other. */
static int
adopt_copy(const char *data_dir, int dirfd, const char *name, const char *id,
    char *why, size_t whylen)
{
	struct payload_new *pn = NULL;
	int in, out, r;

	if ((in = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return sluice_why(why, whylen, SLUICE_ENOTFOUND,
		    "cannot read %s: %s", name, strerror(errno));
	if ((r = payloads_create(data_dir, &pn, &out, why, whylen)) == 0 &&
	    (r = copy_fd(in, out)) != 0)
		sluice_why(why, whylen, r, "copying payload: %s",
		    strerror(errno));
	if (r == 0)
		r = payloads_commit(pn, id, why, whylen);
	else
		payloads_abandon(pn);
	close(in);
	return r;
}

/* Only a regular file, never through a symbolic link, is adopted. */
static int
adoptable(int dirfd, const char *name, char *why, size_t whylen)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode))
		return sluice_why(why, whylen, SLUICE_ENOTFOUND,
		    "%s is not a regular file", name);
	return 0;
}

int
payloads_adopt(const char *data_dir, int dirfd, const char *name,
    const char *id, char *why, size_t whylen)
{
	char final[AREA_PATH_MAX], area[AREA_PATH_MAX];
	int r;

	if ((r = final_path(data_dir, id, final, sizeof(final), why,
	    whylen)) != 0 || (r = adoptable(dirfd, name, why, whylen)) != 0)
		return r;
	if (linkat(dirfd, name, AT_FDCWD, final, 0) != 0) {
		if (errno == EXDEV)
			return adopt_copy(data_dir, dirfd, name, id, why, whylen);
		return sluice_why(why, whylen, errno == EEXIST ? SLUICE_EEXIST :
		    SLUICE_EIO, "storing payload %s: %s", id, strerror(errno));
	}
	if (area_path(area, sizeof(area), data_dir, NULL) != 0 ||
	    files_sync_dir(area) != 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "storing payload: %s",
		    strerror(errno));
		(void)unlink(final);	/* not durable: not there */
	}
	return r;
}

int
payloads_open(const char *data_dir, const char *id, int *fd)
{
	char path[AREA_PATH_MAX];
	int r;

	*fd = -1;
	if (!id_ok(id, strlen(id)))
		return SLUICE_EINVAL;
	if ((r = area_path(path, sizeof(path), data_dir, id)) != 0)
		return r;
	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? SLUICE_ENOTFOUND : SLUICE_EIO;
	return 0;
}

int
payloads_remove(const char *data_dir, const char *name)
{
	char path[AREA_PATH_MAX];
	int r;

	if (name_kind(name) == NAME_FOREIGN)
		return SLUICE_EINVAL;
	if ((r = area_path(path, sizeof(path), data_dir, name)) != 0)
		return r;
	if (unlink(path) != 0)
		return errno == ENOENT ? SLUICE_ENOTFOUND : SLUICE_EIO;
	return 0;
}

int
payloads_list(const char *data_dir, payloads_list_fn fn, void *arg)
{
	char path[AREA_PATH_MAX];
	struct dirent *de;
	enum name_kind k;
	DIR *d;
	int r;

	if ((r = area_path(path, sizeof(path), data_dir, NULL)) != 0)
		return r;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? SLUICE_ENOTFOUND : SLUICE_EIO;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if ((k = name_kind(de->d_name)) != NAME_FOREIGN)
			r = fn(arg, de->d_name, k == NAME_COMMITTED);
	}
	closedir(d);
	return r;
}
