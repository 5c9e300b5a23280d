/*
 * The staff inboxes, sealed at rest (inbox.h): files under DIR/inbox named
 * by random ids, their keys wrapped in the store.
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

#include "engine/audit.h"
#include "engine/inbox.h"
#include "payloads/payloads.h"
#include "sluice/age.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/log.h"

#define INBOX_PATH_MAX	4096
#define INBOX_AD_MAX	(STORE_INBOX_ID_MAX + STORE_NAME_MAX + STORE_HEX_MAX + 64)
#define TMP_PREFIX	".upload-"
#define TMP_SUFFIX	".tmp"

/* DIR/inbox, or DIR/inbox/name. */
static int
inbox_path(const char *dir, const char *name, char *out, size_t outlen)
{
	int n;

	if (name == NULL)
		n = snprintf(out, outlen, "%s/inbox", dir);
	else
		n = snprintf(out, outlen, "%s/inbox/%s", dir, name);
	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

int
upload_tmp_create(const char *area, char *path, size_t pathlen, int *fd)
{
	char hex[25];
	uint8_t rnd[12];
	int n;

	*fd = -1;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = snprintf(path, pathlen, "%s/" TMP_PREFIX "%s" TMP_SUFFIX, area, hex);
	if (n < 0 || (size_t)n >= pathlen)
		return SLUICE_ETOOBIG;
	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	return *fd == -1 ? SLUICE_EIO : 0;
}

int
inbox_tmp_create(const char *dir, char *path, size_t pathlen, int *fd)
{
	char area[INBOX_PATH_MAX];

	*fd = -1;
	if (inbox_path(dir, NULL, area, sizeof(area)) != 0)
		return SLUICE_ETOOBIG;
	if (mkdir(area, 0700) != 0 && errno != EEXIST)
		return SLUICE_EIO;
	return upload_tmp_create(area, path, pathlen, fd);
}

/* What the file key of f is bound to (inbox.h). */
static void
inbox_ad(const struct inbox_file *f, char ad[INBOX_AD_MAX])
{
	(void)snprintf(ad, INBOX_AD_MAX, "inbox:%s:%lld:%s:%llu:%s", f->id,
	    (long long)f->staff_id, f->name, (unsigned long long)f->plain_size,
	    f->sha256);
}

int
inbox_usage(const struct inbox_ref *ref, const char *except, uint64_t *bytes)
{
	struct inbox_file_list l = { NULL, 0 };
	size_t i;
	int r;

	*bytes = 0;
	if ((r = inbox_file_list(ref->st, ref->staff_id, &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++)
		if (except == NULL || strcmp(l.v[i].name, except) != 0)
			*bytes += l.v[i].plain_size;
	inbox_file_list_free(&l);
	return 0;
}

/* ---- an upload taken --------------------------------------------------- */

/* The row for a sealed upload: a fresh id, its key wrapped. */
static int
inbox_row_of(const struct inbox_ref *ref, const char *name,
    const uint8_t key[16], uint64_t plain, const uint8_t sha256[32],
    struct inbox_file *f)
{
	char ad[INBOX_AD_MAX];
	uint8_t rnd[16];

	memset(f, 0, sizeof(*f));
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(f->id, sizeof(f->id), rnd, sizeof(rnd));
	f->staff_id = ref->staff_id;
	(void)snprintf(f->name, sizeof(f->name), "%s", name);
	f->plain_size = plain;
	sodium_bin2hex(f->sha256, sizeof(f->sha256), sha256, 32);
	inbox_ad(f, ad);
	return package_wrap(ref->master, ad, key, f->wrapped_key,
	    &f->wrapped_len);
}

/* tmp_path holds a whole payload of plain bytes of plaintext, written
 * through to the disk. */
static int
upload_whole(const char *tmp_path, uint64_t plain, char *why, size_t whylen)
{
	struct stat st;
	int fd, r = 0;

	if ((fd = open(tmp_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) != 0 || fsync(fd) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "upload failed: %s",
		    strerror(errno));
	else if (age_payload_size(plain) == 0 ||
	    (uint64_t)st.st_size != age_payload_size(plain))
		r = sluice_why(why, whylen, SLUICE_EINVAL, "the upload is not a "
		    "whole sealed payload: %lld bytes for %llu bytes of "
		    "plaintext", (long long)st.st_size, (unsigned long long)plain);
	if (fd != -1)
		close(fd);
	return r;
}

/* Inside the transaction: the row, the audit entry, the file under its
 * id. */
static int
commit_steps(const struct inbox_ref *ref, const struct inbox_file *f,
    const char *tmp_path, char replaced[STORE_INBOX_ID_MAX], char *why,
    size_t whylen)
{
	char final[INBOX_PATH_MAX], details[64];
	int r;

	(void)snprintf(details, sizeof(details), "%llu bytes",
	    (unsigned long long)f->plain_size);
	if ((r = inbox_file_put(ref->st, f, replaced, why, whylen)) != 0)
		return r;
	if ((r = audit_append(ref->st, ref->user, "inbox put", f->name, "ok",
	    details, NULL)) != 0)
		return sluice_why(why, whylen, r, "cannot write the audit log");
	if (inbox_path(ref->dir, f->id, final, sizeof(final)) != 0 ||
	    rename(tmp_path, final) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "upload failed: %s",
		    strerror(errno));
	/* the new name lasts before the row that names it commits */
	if (inbox_path(ref->dir, NULL, final, sizeof(final)) != 0 ||
	    files_sync_dir(final) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "upload failed: "
		    "cannot sync the inbox");
	return 0;
}

int
inbox_commit(const struct inbox_ref *ref, const char *name,
    const char *tmp_path, const uint8_t key[16], uint64_t plain,
    const uint8_t sha256[32], char *why, size_t whylen)
{
	char replaced[STORE_INBOX_ID_MAX] = "";
	struct inbox_file f;
	int r;

	if ((r = upload_whole(tmp_path, plain, why, whylen)) != 0 ||
	    (r = inbox_row_of(ref, name, key, plain, sha256, &f)) != 0)
		return r;
	if ((r = store_begin(ref->st)) != 0)
		return sluice_why(why, whylen, r, "store failure");
	if ((r = commit_steps(ref, &f, tmp_path, replaced, why, whylen)) == 0)
		r = store_commit(ref->st);
	if (r != 0) {
		(void)store_rollback(ref->st);
		inbox_remove_file(ref->dir, f.id);	/* if renamed already */
		return r;
	}
	if (replaced[0] != '\0')
		inbox_remove_file(ref->dir, replaced);
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

static int
row_of(const struct inbox_ref *ref, const char *name, struct inbox_file *f,
    char *why, size_t whylen)
{
	int r;

	if ((r = inbox_file_get(ref->st, ref->staff_id, name, f)) ==
	    SLUICE_ENOTFOUND)
		return sluice_why(why, whylen, r, "no file %s in your inbox",
		    name);
	if (r != 0)
		return sluice_why(why, whylen, r, "store failure reading your "
		    "inbox");
	return 0;
}

static int
damaged(const struct inbox_file *f, char *why, size_t whylen)
{
	log_warnx("inbox: file %s (%s of staff %lld) fails its integrity "
	    "check", f->id, f->name, (long long)f->staff_id);
	return sluice_why(why, whylen, SLUICE_EVERIFY, "%s in your inbox "
	    "fails its integrity check", f->name);
}

/* f's file key, unwrapped. */
static int
row_key(const struct inbox_ref *ref, const struct inbox_file *f,
    uint8_t key[16], char *why, size_t whylen)
{
	char ad[INBOX_AD_MAX];

	inbox_ad(f, ad);
	if (package_unwrap(ref->master, ad, f->wrapped_key, f->wrapped_len,
	    key) != 0)
		return damaged(f, why, whylen);
	return 0;
}

/* f's sealed bytes, which must be exactly a payload of its size. */
static int
read_sealed(const struct inbox_ref *ref, const struct inbox_file *f,
    struct sbuf *cipher, char *why, size_t whylen)
{
	char path[INBOX_PATH_MAX];
	uint64_t want = age_payload_size(f->plain_size);
	int fd, r;

	if (inbox_path(ref->dir, f->id, path, sizeof(path)) != 0)
		return SLUICE_ETOOBIG;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return damaged(f, why, whylen);
	r = files_read_fd(fd, (size_t)want, cipher);
	close(fd);
	if (r == SLUICE_EIO)
		return sluice_why(why, whylen, r, "cannot read %s from your "
		    "inbox", f->name);
	if (r != 0 || sbuf_len(cipher) != want)
		return damaged(f, why, whylen);
	return 0;
}

/* Decrypts cipher with f's key into plain; the digest must be f's. */
static int
open_sealed(const struct inbox_ref *ref, const struct inbox_file *f,
    const struct sbuf *cipher, struct sbuf *plain, char *why, size_t whylen)
{
	uint8_t key[AGE_FILE_KEY_LEN], sha[32];
	char hex[STORE_HEX_MAX], owhy[128];
	int r;

	if ((r = row_key(ref, f, key, why, whylen)) != 0)
		return r;
	r = age_payload_open(sbuf_ptr(cipher), sbuf_len(cipher), key, plain,
	    sha, owhy, sizeof(owhy));
	sodium_memzero(key, sizeof(key));
	if (r == 0)
		sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
	if (r != 0 || strcmp(hex, f->sha256) != 0)
		return damaged(f, why, whylen);
	return 0;
}

int
inbox_read(const struct inbox_ref *ref, const char *name, size_t max,
    struct sbuf *plain, char *why, size_t whylen)
{
	struct sbuf *cipher = NULL;
	struct inbox_file f;
	int r;

	if ((r = row_of(ref, name, &f, why, whylen)) != 0)
		return r;
	if (f.plain_size > max)
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s in your inbox "
		    "is larger than %zu bytes", name, max);
	if ((cipher = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = read_sealed(ref, &f, cipher, why, whylen)) == 0)
		r = open_sealed(ref, &f, cipher, plain, why, whylen);
	sbuf_free(cipher);
	return r;
}

int
inbox_open_sealed(const struct inbox_ref *ref, const char *name, int *fd,
    uint8_t key[16], uint64_t *plain, char *why, size_t whylen)
{
	char path[INBOX_PATH_MAX];
	struct inbox_file f;
	int r;

	*fd = -1;
	if ((r = row_of(ref, name, &f, why, whylen)) != 0 ||
	    (r = row_key(ref, &f, key, why, whylen)) != 0)
		return r;
	if (inbox_path(ref->dir, f.id, path, sizeof(path)) != 0 ||
	    (*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    lseek(*fd, 0, SEEK_END) != (off_t)age_payload_size(f.plain_size)) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		sodium_memzero(key, 16);
		return damaged(&f, why, whylen);
	}
	*plain = f.plain_size;
	return 0;
}

/* ---- staging from the inbox --------------------------------------------- */

/* f's file, without reading it all, is the payload its row describes:
 * its length, and its first and last chunks under its key. */
static int
spot_check(int dfd, const struct inbox_file *f, const uint8_t key[16],
    char *why, size_t whylen)
{
	char owhy[128];
	int fd, r;

	if ((fd = openat(dfd, f->id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return damaged(f, why, whylen);
	r = age_payload_spot_check(fd, age_payload_size(f->plain_size), key,
	    owhy, sizeof(owhy));
	if (r == 0 && lseek(fd, 0, SEEK_END) !=
	    (off_t)age_payload_size(f->plain_size))
		r = SLUICE_EFORMAT;
	close(fd);
	return r != 0 ? damaged(f, why, whylen) : 0;
}

/* What out records of f, its key wrapped again under extract_id once the
 * file in dfd passed the spot check. */
static int
staged_of(const struct inbox_ref *ref, int dfd, const struct inbox_file *f,
    const char *extract_id, struct staged_extract *out, char *why,
    size_t whylen)
{
	uint8_t key[AGE_FILE_KEY_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	(void)snprintf(out->id, sizeof(out->id), "%s", extract_id);
	out->plain_size = f->plain_size;
	out->payload_size = age_payload_size(f->plain_size);
	if (sodium_hex2bin(out->sha256, sizeof(out->sha256), f->sha256,
	    strlen(f->sha256), NULL, NULL, NULL) != 0)
		return damaged(f, why, whylen);
	if ((r = row_key(ref, f, key, why, whylen)) != 0)
		return r;
	if ((r = spot_check(dfd, f, key, why, whylen)) == 0)
		r = package_wrap(ref->master, extract_id, key, out->wrapped_key,
		    &out->wrapped_len);
	sodium_memzero(key, sizeof(key));
	return r;
}

/* f's key wrapped for extract_id, and f's file adopted by the payload
 * area. */
static int
stage_file(const struct inbox_ref *ref, const struct inbox_file *f,
    const char *extract_id, struct staged_extract *out, char *why,
    size_t whylen)
{
	char area[INBOX_PATH_MAX];
	int dfd, r;

	if (inbox_path(ref->dir, NULL, area, sizeof(area)) != 0)
		return SLUICE_ETOOBIG;
	if ((dfd = open(area, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return sluice_why(why, whylen, SLUICE_EIO, "cannot open the "
		    "inbox: %s", strerror(errno));
	if ((r = staged_of(ref, dfd, f, extract_id, out, why, whylen)) == 0)
		r = payloads_adopt(ref->dir, dfd, f->id, extract_id, why,
		    whylen);
	close(dfd);
	return r;
}

int
inbox_take(const struct inbox_ref *ref, const char *name,
    const char *extract_id, struct staged_extract *out,
    char file_id[STORE_INBOX_ID_MAX], char *why, size_t whylen)
{
	struct inbox_file f;
	int r;

	file_id[0] = '\0';
	if ((r = row_of(ref, name, &f, why, whylen)) != 0 ||
	    (r = stage_file(ref, &f, extract_id, out, why, whylen)) != 0)
		goto out;
	if ((r = inbox_file_delete(ref->st, f.id)) != 0) {
		(void)payloads_remove(ref->dir, extract_id);
		r = sluice_why(why, whylen, r, "store failure");
		goto out;
	}
	memcpy(file_id, f.id, STORE_INBOX_ID_MAX);
out:
	if (r != 0)
		sodium_memzero(out, sizeof(*out));
	return r;
}

int
inbox_delete(const struct inbox_ref *ref, const char *name)
{
	struct inbox_file f;
	int r;

	if ((r = inbox_file_get(ref->st, ref->staff_id, name, &f)) != 0 ||
	    (r = inbox_file_delete(ref->st, f.id)) != 0)
		return r;
	inbox_remove_file(ref->dir, f.id);
	return 0;
}

void
inbox_remove_file(const char *dir, const char *id)
{
	char path[INBOX_PATH_MAX];

	if (inbox_path(dir, id, path, sizeof(path)) != 0 ||
	    (unlink(path) != 0 && errno != ENOENT))
		log_warnx("inbox: cannot remove %s/inbox/%s: %s", dir, id,
		    strerror(errno));
}

/* f's key wrapped by old_master, wrapped again by new_master. */
static int
rewrap_one(struct store *st, const struct inbox_file *f,
    const uint8_t old_master[32], const uint8_t new_master[32])
{
	uint8_t key[AGE_FILE_KEY_LEN], out[PACKAGE_WRAPPED_LEN];
	char ad[INBOX_AD_MAX];
	size_t outlen = 0;
	int r;

	inbox_ad(f, ad);
	if ((r = package_unwrap(old_master, ad, f->wrapped_key, f->wrapped_len,
	    key)) == 0 &&
	    (r = package_wrap(new_master, ad, key, out, &outlen)) == 0)
		r = inbox_file_set_wrapped(st, f->id, out, outlen);
	sodium_memzero(key, sizeof(key));
	return r;
}

int
inbox_rewrap_all(struct store *st, const uint8_t old_master[32],
    const uint8_t new_master[32], size_t *n)
{
	struct inbox_file_list l = { NULL, 0 };
	size_t i;
	int r;

	*n = 0;
	if ((r = inbox_file_list(st, 0, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++)
		if ((r = rewrap_one(st, &l.v[i], old_master, new_master)) == 0)
			(*n)++;
	inbox_file_list_free(&l);
	return r;
}

int
inbox_is_tmp(const char *name)
{
	size_t n = strlen(name), p = strlen(TMP_PREFIX), x = strlen(TMP_SUFFIX);

	return n > p + x && strncmp(name, TMP_PREFIX, p) == 0 &&
	    strcmp(name + n - x, TMP_SUFFIX) == 0;
}
