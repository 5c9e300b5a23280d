#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sluice/age.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "cli.h"
#include "getage.h"
#include "handoff.h"
#include "interrupt.h"

#define PATH_CAP	4200
#define RING		(16u * 1024 * 1024)	/* ciphertext on its way */

/* One NAME.age on its way. */
struct getage {
	const struct getage_job	*j;
	char			 remote[512], part[PATH_CAP];
	char			 tmp[PATH_CAP], dst[PATH_CAP];
	int			 part_fd, out_fd;
	uint64_t		 off;		/* the .part's length at start */
	size_t			 hdrlen;	/* the payload starts there */
	uint64_t		 seen;		/* bytes of the file opened */
	uint64_t		 written, synced;	/* plaintext */
	struct age_opener	*u;
	struct handoff		*ho;	/* to the thread that opens */
	int			 published;
};

int
getage_open_part(const char *part, int resume, uint64_t size, int *fd,
    uint64_t *off, char *why, size_t whylen)
{
	struct stat st;

	if ((*fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    fstat(*fd, &st) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", part,
		    strerror(errno));
	*off = (uint64_t)st.st_size;
	if (resume && *off <= size)
		return 0;
	*off = 0;
	if (ftruncate(*fd, 0) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", part,
		    strerror(errno));
	return 0;
}

/* "NIC/NAME.age: " in front of the reason in why. */
static void
name_why(const struct getage *a, char *why, size_t whylen)
{
	char tmp[1024];

	(void)snprintf(tmp, sizeof(tmp), "%s/%s: %s", a->j->nic, a->j->name,
	    why);
	(void)snprintf(why, whylen, "%s", tmp);
}

/* The length of the age header at p[0..n) once its MAC line ("--- MAC")
 * has arrived whole; 0 before. Stanza lines never start with "---". */
static size_t
age_head_len(void *arg, const uint8_t *p, size_t n)
{
	const uint8_t *nl;
	size_t i;

	(void)arg;
	for (i = 1; i + 4 <= n; i++)
		if (p[i - 1] == '\n' && memcmp(p + i, "--- ", 4) == 0)
			return (nl = memchr(p + i, '\n', n - i)) == NULL ? 0 :
			    (size_t)(nl - p) + 1;
	return 0;
}

/* Plaintext that verified: written once; writeback starts as it goes, so
 * the fsync at the end has little left to do. */
static int
emit_plain(void *arg, const uint8_t *p, size_t n)
{
	struct getage *a = arg;

	if (files_write_all(a->out_fd, p, n) != 0)
		return SLUICE_EIO;
	a->written += n;
	files_writeback(a->out_fd, &a->synced, a->written);
	return 0;
}

/* The file key of the header at p[0..n) for our identity; *hdrlen is
 * where the payload starts. */
static int
head_key(struct getage *a, const uint8_t *p, size_t n,
    uint8_t key[AGE_FILE_KEY_LEN], char *why, size_t whylen)
{
	struct age_header *h = NULL;
	int r;

	if ((r = age_header_parse(p, n, &h, &a->hdrlen, why, whylen)) == 0)
		r = age_header_unwrap(h, a->j->id, key, why, whylen);
	age_header_free(h);
	if (r == SLUICE_ENOTFOUND)
		return sluice_why(why, whylen, SLUICE_EDENIED, "no recipient "
		    "stanza in %s/%s is for your key", a->j->nic, a->j->name);
	if (r != 0)
		name_why(a, why, whylen);
	return r;
}

/* What the .part lacks of the file's bytes p[0..n) at a->seen. */
static int
part_write(struct getage *a, const uint8_t *p, size_t n, char *why,
    size_t whylen)
{
	uint64_t at = a->seen;
	size_t skip = 0;
	ssize_t w;

	if (at < a->off)
		skip = a->off - at < n ? (size_t)(a->off - at) : n;
	for (at += skip; skip < n; skip += (size_t)w, at += (uint64_t)w)
		if ((w = pwrite(a->part_fd, p + skip, n - skip, (off_t)at)) <= 0)
			return sluice_why(why, whylen, SLUICE_EIO, "%s: cannot "
			    "write: %s", a->part, w < 0 ? strerror(errno) :
			    "no space");
	return 0;
}

/* The file's bytes in order, on the opening thread, while the first one
 * goes on receiving: kept in the .part for resuming, then (after the
 * header) decrypted, hashed and the plaintext written. */
static int
unseal_span(void *arg, const uint8_t *p, size_t n, char *why, size_t whylen)
{
	struct getage *a = arg;
	size_t skip = 0;
	int r;

	if ((r = part_write(a, p, n, why, whylen)) != 0)
		return r;
	if (a->seen < a->hdrlen)
		skip = a->hdrlen - a->seen < n ? (size_t)(a->hdrlen - a->seen) :
		    n;
	a->seen += n;
	if (n == skip)
		return 0;
	if ((r = age_opener_update(a->u, p + skip, n - skip, why,
	    whylen)) != 0)
		name_why(a, why, whylen);
	return r;
}

/* The head check: a stanza for us, and the payload's opener ready on its
 * own thread. */
static int
head_check(void *arg, const uint8_t *p, size_t n, char *why, size_t whylen)
{
	struct getage *a = arg;
	uint8_t key[AGE_FILE_KEY_LEN];
	int r;

	if ((r = head_key(a, p, n, key, why, whylen)) == 0 &&
	    ((r = age_opener_new(key, emit_plain, a, &a->u)) != 0 ||
	    (r = handoff_start(RING, unseal_span, a, &a->ho)) != 0))
		r = sluice_why(why, whylen, r, "out of memory");
	sodium_memzero(key, sizeof(key));
	return r;
}

/* The sink: the file's bytes in order, to the opening thread. */
static int
take(void *arg, const uint8_t *p, size_t n, char *why, size_t whylen)
{
	struct getage *a = arg;

	return handoff_put(a->ho, p, n, why, whylen);
}

static int
paths(struct getage *a, char *why, size_t whylen)
{
	const struct getage_job *j = a->j;

	if ((size_t)snprintf(a->remote, sizeof(a->remote), "/%s/%s", j->nic,
	    j->name) >= sizeof(a->remote) ||
	    (size_t)snprintf(a->part, sizeof(a->part), "%s/%s.part", j->state,
	    j->name) >= sizeof(a->part) ||
	    (size_t)snprintf(a->tmp, sizeof(a->tmp), "%s/.%s.XXXXXX",
	    j->outdir, j->plain) >= sizeof(a->tmp) ||
	    (size_t)snprintf(a->dst, sizeof(a->dst), "%s/%s", j->outdir,
	    j->plain) >= sizeof(a->dst))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", j->name);
	return 0;
}

/* A complete copy an earlier version of sluice kept (STATE/NAME.age)
 * becomes the .part to resume from. */
static void
adopt_complete(const struct getage *a)
{
	char old[PATH_CAP];

	if ((size_t)snprintf(old, sizeof(old), "%s/%s", a->j->state,
	    a->j->name) < sizeof(old))
		(void)rename(old, a->part);
}

/* The .part to resume from, and the temporary plaintext file. */
static int
open_files(struct getage *a, char *why, size_t whylen)
{
	int r;

	adopt_complete(a);
	if ((r = getage_open_part(a->part, 1, a->j->size, &a->part_fd,
	    &a->off, why, whylen)) != 0)
		return r;
	if ((a->out_fd = mkstemp(a->tmp)) < 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", a->j->plain,
		    strerror(errno));
		a->tmp[0] = '\0';
		return r;
	}
	interrupt_tmp(a->tmp);
	return 0;
}

/* Download, decryption and hashing, one pass, with one progress line. */
static int
transfer(struct getage *a, char *why, size_t whylen)
{
	struct sftp_head_check head = { AGE_HEADER_MAX, age_head_len,
	    head_check, a };
	struct sftp_sink sink = { take, a, 1 };
	struct progress pr;
	uint64_t got = 0;
	int r;

	if (a->off > 0)
		(void)fprintf(stderr, "sluice: %s: resuming at byte %llu\n",
		    a->j->name, (unsigned long long)a->off);
	progress_start(&pr, a->j->name, a->j->size);
	r = sftp_get_stream(a->j->sftp, a->remote, a->part_fd, a->off, &head,
	    &sink, progress_cb, &pr, &got, why, whylen);
	progress_end(&pr);
	return r;
}

/* The last chunk, the digest against SHA256SUMS, then the plaintext in
 * place, durably. */
static int
finish(struct getage *a, uint64_t *plain_len, char *why, size_t whylen)
{
	uint8_t d[32];
	int r;

	if ((r = handoff_finish(a->ho, why, whylen)) != 0)
		return r;
	if ((r = age_opener_final(a->u, d, plain_len, why, whylen)) != 0) {
		name_why(a, why, whylen);
		return r;
	}
	if (sodium_memcmp(d, a->j->digest, 32) != 0)
		return sluice_why(why, whylen, SLUICE_EVERIFY, "%s: SHA-256 "
		    "does not match SHA256SUMS; discarded", a->j->plain);
	if (fsync(a->out_fd) != 0 || rename(a->tmp, a->dst) != 0 ||
	    files_sync_dir(a->j->outdir) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", a->dst,
		    strerror(errno));
	a->published = 1;
	(void)unlink(a->part);
	return 0;
}

/* Bytes that failed authentication are not resumed from. */
static int
part_refused(int r)
{
	return r == SLUICE_EVERIFY || r == SLUICE_EFORMAT;
}

static void
cleanup(struct getage *a, int r)
{
	struct stat st;

	handoff_free(a->ho);	/* the opening thread ends first */
	a->ho = NULL;
	if (!a->published && a->tmp[0] != '\0')
		(void)unlink(a->tmp);	/* never leave partial plaintext */
	interrupt_tmp(NULL);
	if (r != 0 && a->part_fd >= 0 && (part_refused(r) ||
	    (fstat(a->part_fd, &st) == 0 && st.st_size == 0)))
		(void)unlink(a->part);
	if (a->part_fd >= 0)
		(void)close(a->part_fd);
	if (a->out_fd >= 0)
		(void)close(a->out_fd);
	age_opener_free(a->u);
}

int
getage_run(const struct getage_job *j, uint64_t *plain_len, char *why,
    size_t whylen)
{
	struct getage a;
	int r;

	memset(&a, 0, sizeof(a));
	a.j = j;
	a.part_fd = a.out_fd = -1;
	if ((r = paths(&a, why, whylen)) != 0)
		return r;
	if ((r = open_files(&a, why, whylen)) == 0 &&
	    (r = transfer(&a, why, whylen)) == 0)
		r = finish(&a, plain_len, why, whylen);
	cleanup(&a, r);
	return r;
}
