/*
 * Uploads sealed as they arrive (engine_int.h, sealed_*): to a staff
 * member's /inbox/NAME, and an operator's /stage/NIC/NAME. The engine makes
 * a file key for the one file and the file the session writes; the session
 * seals the bytes with it (ipc.h, IPC_OPEN_SEAL) and reports the plaintext's
 * size and SHA-256 at CLOSE; only then, and only if the file is exactly the
 * payload of that size, is anything taken. A connection that ends first
 * leaves nothing.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/admin/admin.h"
#include "engine/engine_int.h"
#include "engine/inbox.h"
#include "engine/vfs.h"
#include "payloads/payloads.h"
#include "sluice/age.h"
#include "sluice/error.h"
#include "sluice/log.h"

/* Bytes the filesystem of DIR can take while it keeps reserve bytes free;
 * none when it cannot tell (an upload is then refused: never open). */
static uint64_t
disk_room(const char *dir, int64_t reserve)
{
	struct statvfs sv;
	uint64_t avail, keep = reserve > 0 ? (uint64_t)reserve : 0;

	if (statvfs(dir, &sv) != 0) {
		log_warnx("cannot tell the free space of %s: %s: uploads "
		    "refused", dir, strerror(errno));
		return 0;
	}
	avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return avail > keep ? avail - keep : 0;
}

static int upload_size(const struct open_file *of, uint64_t *size);

/* Bytes granted to the sealed uploads under way (all sessions) that are not
 * on the disk yet: they are spoken for, and not room for another grant. */
static uint64_t
outstanding(const struct engine *e)
{
	const struct open_file *of;
	uint64_t n = 0, size, g;
	size_t i, k;

	for (i = 0; i < e->nconns; i++)
		for (k = 0; k < CONN_MAX_OPENS; k++) {
			of = &e->conns[i]->opens[k];
			if ((of->kind != OPEN_INBOX_WRITE &&
			    of->kind != OPEN_STAGE_UPLOAD) || of->room_end == 0 ||
			    upload_size(of, &size) != 0)
				continue;
			g = age_payload_size(of->room_end);
			if (g > size && n <= UINT64_MAX - (g - size))
				n += g - size;
		}
	return n;
}

/* The disk's room less what is already granted. */
static uint64_t
free_room(struct engine *e)
{
	uint64_t room = disk_room(e->dir, e->cfg->policy.inbox_reserve_bytes);
	uint64_t held = outstanding(e);

	return room > held ? room - held : 0;
}

/* Audits an upload the disk's reserve refused; how says when ("" at OPEN,
 * " of N bytes" for the size the client gave, " at N bytes" as it grew). */
static void
room_audit(struct engine *e, const struct conn *c, const struct open_file *of,
    enum open_kind kind, const char *how)
{
	long long reserve = (long long)e->cfg->policy.inbox_reserve_bytes;

	if (kind == OPEN_STAGE_UPLOAD)
		engine_audit(e, c->who.user, "extract stage", of->nic,
		    "refused", "upload to /stage/%s/%s%s => less than the "
		    "reserve of %lld bytes would stay free", of->nic, of->name,
		    how, reserve);
	else
		engine_audit(e, c->who.user, "inbox put", of->name, "refused",
		    "upload to /inbox/%s%s => less than the reserve of %lld "
		    "bytes would stay free", of->name, how, reserve);
}

/* At OPEN: refused when the disk keeps no more than its reserve free, or
 * when the size the client gave would take it below. */
static int
room_at_open(struct engine *e, const struct conn *c, const struct open_file *of,
    enum open_kind kind, uint32_t *status, char *why, size_t whylen)
{
	uint64_t room = free_room(e);
	char how[40] = "";

	if (room > 0 && (of->expect == UINT64_MAX || of->expect <= room))
		return 0;
	if (room > 0)
		(void)snprintf(how, sizeof(how), " of %llu bytes",
		    (unsigned long long)of->expect);
	room_audit(e, c, of, kind, how);
	*status = FX_PERMISSION_DENIED;		/* a refusal, as inbox full */
	return sluice_why(why, whylen, SLUICE_EDENIED, SEALED_NO_ROOM);
}

int
sealed_room(struct engine *e, const struct conn *c, struct open_file *of,
    uint64_t want, uint64_t *end, char *why, size_t whylen)
{
	uint64_t room = free_room(e);
	uint64_t step = room < SEALED_ROOM_STEP ? room : SEALED_ROOM_STEP;
	char how[40];

	/* What the uploads wrote so far is no longer free, and what they were
	 * granted and did not write yet is spoken for (free_room()). */
	if (of->room_end <= UINT64_MAX - step && want <= of->room_end + step) {
		/* an inbox upload granted no further than its cap */
		of->room_end = of->cap - of->room_end < step ? of->cap :
		    of->room_end + step;
		*end = of->room_end;
		return 0;
	}
	(void)snprintf(how, sizeof(how), " at %llu bytes",
	    (unsigned long long)want);
	room_audit(e, c, of, of->kind, how);
	of->room_refused = 1;
	return sluice_why(why, whylen, SLUICE_EDENIED, SEALED_NO_ROOM);
}

/* The size of of's file on disk: 0, or non-zero when it cannot be read. */
static int
upload_size(const struct open_file *of, uint64_t *size)
{
	struct stat st;
	int r;

	r = of->kind == OPEN_STAGE_UPLOAD ? fstat(of->pn_fd, &st) :
	    stat(of->tmp_path, &st);
	if (r != 0)
		return SLUICE_EIO;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* The most of's file may hold on disk: the payload of its granted end. */
static uint64_t
granted_size(const struct open_file *of)
{
	uint64_t n = age_payload_size(of->room_end);

	return n == 0 || n > UINT64_MAX - SEALED_SLACK ? UINT64_MAX :
	    n + SEALED_SLACK;
}

/* The upload's path as the client named it. */
static void
upload_path(const struct open_file *of, char *out, size_t outlen)
{
	if (of->kind == OPEN_STAGE_UPLOAD)
		(void)snprintf(out, outlen, "/stage/%s/%s", of->nic, of->name);
	else
		(void)snprintf(out, outlen, "/inbox/%s", of->name);
}

int
sealed_overrun(struct engine *e, const struct conn *c, struct open_file *of,
    char *why, size_t whylen)
{
	char path[STORE_NIC_MAX + STORE_TEXT_MAX + 16];
	uint64_t size = 0, most = granted_size(of);

	if ((of->kind != OPEN_INBOX_WRITE && of->kind != OPEN_STAGE_UPLOAD) ||
	    of->overrun || upload_size(of, &size) != 0 || size <= most)
		return 0;
	of->overrun = 1;
	/* emptied now: the session may hold the file open after its drop */
	(void)(of->kind == OPEN_STAGE_UPLOAD ? ftruncate(of->pn_fd, 0) :
	    truncate(of->tmp_path, 0));
	upload_path(of, path, sizeof(path));
	engine_audit(e, c->who.user, of->kind == OPEN_STAGE_UPLOAD ?
	    "extract stage" : "inbox put", of->kind == OPEN_STAGE_UPLOAD ?
	    of->nic : of->name, "refused", "upload to %s => %llu bytes "
	    "written, past the %llu bytes its grant allows: session dropped",
	    path, (unsigned long long)size, (unsigned long long)most);
	return sluice_why(why, whylen, SLUICE_EDENIED, "upload to %s wrote "
	    "%llu bytes, past the %llu bytes its grant allows", path,
	    (unsigned long long)size, (unsigned long long)most);
}

void
sealed_inbox_ref(struct engine *e, const struct conn *c,
    struct inbox_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->st = e->st;
	ref->dir = e->dir;
	ref->master = e->master;
	ref->staff_id = c->who.id;
	ref->user = c->who.user;
}

/* Bytes written so far to c's user's other unfinished inbox uploads, in
 * any of their connections. */
static uint64_t
inflight(struct engine *e, const struct conn *c, const struct open_file *but)
{
	const struct open_file *of;
	struct stat st;
	uint64_t n = 0;
	size_t i, k;

	for (i = 0; i < e->nconns; i++) {
		if (e->conns[i]->who.kind != IDENTITY_STAFF ||
		    e->conns[i]->who.id != c->who.id)
			continue;
		for (k = 0; k < CONN_MAX_OPENS; k++) {
			of = &e->conns[i]->opens[k];
			if (of != but && of->kind == OPEN_INBOX_WRITE &&
			    stat(of->tmp_path, &st) == 0)
				n += (uint64_t)st.st_size;
		}
	}
	return n;
}

/* What c's user's inbox holds now, name aside (an upload of that name
 * replaces it): the files kept (*kept, when not NULL), and with the
 * uploads still under way but of (*bytes). */
static int
inbox_holds(struct engine *e, const struct conn *c, const struct open_file *of,
    uint64_t *kept, uint64_t *bytes)
{
	struct inbox_ref ref;
	int r;

	sealed_inbox_ref(e, c, &ref);
	if ((r = inbox_usage(&ref, of->name, bytes)) != 0)
		return r;
	if (kept != NULL)
		*kept = *bytes;
	*bytes += inflight(e, c, of);
	return 0;
}

/* ---- OPEN ------------------------------------------------------------------ */

/* An inbox upload refused for c's user's inbox limit: audited with
 * details, one reason for the client. */
static int
inbox_full(struct engine *e, const struct conn *c, const struct open_file *of,
    const char *details, uint32_t *status, char *why, size_t whylen)
{
	*status = FX_PERMISSION_DENIED;
	engine_audit(e, c->who.user, "inbox put", of->name, "refused", "%s",
	    details);
	return sluice_why(why, whylen, SLUICE_ETOOBIG,
	    "inbox full: the limit is %lld bytes",
	    (long long)e->cfg->policy.inbox_max_bytes);
}

/* An inbox upload: refused at once when the inbox is full already (with
 * the uploads under way), else capped at the room the files kept leave.
 * Not at the room the uploads under way leave as well: one of them may
 * yet be abandoned, and what they wrote reaches the disk a block at a
 * time; CLOSE counts them again (inbox_limit()). */
static int
inbox_open(struct engine *e, struct conn *c, struct open_file *of, int *fd,
    uint32_t *status, char *why, size_t whylen)
{
	int64_t limit = e->cfg->policy.inbox_max_bytes;
	uint64_t kept = 0, held = 0;
	char details[128];
	int r;

	if (limit > 0 && (r = inbox_holds(e, c, of, &kept, &held)) != 0)
		return sluice_why(why, whylen, r, "store failure");
	if (limit > 0 && held >= (uint64_t)limit) {
		(void)snprintf(details, sizeof(details),
		    "the inbox holds %llu bytes of its limit of %lld bytes",
		    (unsigned long long)held, (long long)limit);
		return inbox_full(e, c, of, details, status, why, whylen);
	}
	if ((r = room_at_open(e, c, of, OPEN_INBOX_WRITE, status, why,
	    whylen)) != 0)
		return r;
	if (inbox_tmp_create(e->dir, of->tmp_path, sizeof(of->tmp_path),
	    fd) != 0)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "cannot create the upload");
	of->kind = OPEN_INBOX_WRITE;
	of->cap = limit > 0 ? (uint64_t)limit - kept : UINT64_MAX;
	return 0;
}

/* An upload to /stage/NIC/NAME: the checks `extract stage` makes, then a
 * payload being written. */
static int
stage_open(struct engine *e, struct conn *c, struct open_file *of, int *fd,
    uint32_t *status, char *why, size_t whylen)
{
	struct admin_ctx ctx;
	int r;

	engine_admin_caller(e, c, &ctx);
	if ((r = admin_may_stage(&ctx, of->nic, of->name, why, whylen)) != 0) {
		/* a refusal, as `extract stage` refuses; not a broken link */
		*status = r == SLUICE_ESTORE || r == SLUICE_ENOMEM ||
		    r == SLUICE_EIO ? FX_FAILURE : FX_PERMISSION_DENIED;
		engine_audit(e, c->who.user, "extract stage", of->nic,
		    "refused", "upload to /stage/%s/%s => %s", of->nic,
		    of->name, why);
		return r;
	}
	if ((r = room_at_open(e, c, of, OPEN_STAGE_UPLOAD, status, why,
	    whylen)) != 0 ||
	    (r = payloads_create(e->dir, &of->pn, &of->pn_fd, why,
	    whylen)) != 0)
		return r;
	if ((*fd = dup(of->pn_fd)) == -1)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "cannot create the upload");
	of->kind = OPEN_STAGE_UPLOAD;
	of->cap = UINT64_MAX;	/* the disk's room is granted as writes come */
	return 0;
}

int
sealed_open(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, uint64_t *cap, int *fd, uint32_t *status,
    char *why, size_t whylen)
{
	int r;

	*status = FX_FAILURE;
	*fd = -1;
	r = n->kind == OPEN_STAGE_UPLOAD ?
	    stage_open(e, c, of, fd, status, why, whylen) :
	    inbox_open(e, c, of, fd, status, why, whylen);
	if (r == 0 && (r = age_file_key_new(of->key)) != 0)
		(void)sluice_why(why, whylen, r, "cannot make a file key");
	if (r != 0) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		return r;
	}
	*cap = of->cap;
	return 0;
}

/* ---- CLOSE ----------------------------------------------------------------- */

/* The whole inbox, this upload and the others under way, within the
 * limit; an upload past it is refused and audited. */
static int
inbox_limit(struct engine *e, struct conn *c, struct open_file *of,
    uint64_t plain, uint32_t *status, char *why, size_t whylen)
{
	int64_t limit = e->cfg->policy.inbox_max_bytes;
	uint64_t held = 0;
	char details[128];

	if (limit <= 0)
		return 0;
	if (inbox_holds(e, c, of, NULL, &held) != 0)
		return sluice_why(why, whylen, SLUICE_ESTORE, "store failure");
	if (held <= (uint64_t)limit && plain <= (uint64_t)limit - held)
		return 0;
	(void)snprintf(details, sizeof(details),
	    "%llu bytes would exceed the inbox limit of %lld bytes",
	    (unsigned long long)plain, (long long)limit);
	return inbox_full(e, c, of, details, status, why, whylen);
}

static int
inbox_close(struct engine *e, struct conn *c, struct open_file *of,
    uint64_t plain, const uint8_t sha256[32], uint32_t *status, char *why,
    size_t whylen)
{
	struct inbox_ref ref;
	int r;

	/* past its cap only when the session lies: the engine's own check */
	if (plain > of->cap)
		return sealed_past_cap(e, c, of, plain, status, why, whylen);
	if ((r = inbox_limit(e, c, of, plain, status, why, whylen)) != 0)
		return r;
	sealed_inbox_ref(e, c, &ref);
	if ((r = inbox_commit(&ref, of->name, of->tmp_path, of->key, plain,
	    sha256, why, whylen)) != 0) {
		engine_audit(e, c->who.user, "inbox put", of->name, "refused",
		    "%s", why);
		return r;
	}
	of->tmp_path[0] = '\0';		/* taken */
	why[0] = '\0';
	return 0;
}

/* The first line of b, as the verdict. */
static void
first_line(const struct sbuf *b, char *why, size_t whylen)
{
	size_t n = sbuf_len(b);
	const char *nl = memchr(sbuf_ptr(b), '\n', n);

	if (nl != NULL)
		n = (size_t)(nl - (const char *)sbuf_ptr(b));
	(void)snprintf(why, whylen, "%.*s", (int)n, (const char *)sbuf_ptr(b));
}

/* `extract stage NIC NAME` for c's user, taking the sealed payload. */
static int
stage_close(struct engine *e, struct conn *c, struct open_file *of,
    uint64_t plain, const uint8_t sha256[32], uint32_t *status, char *why,
    size_t whylen)
{
	struct admin_sealed sl = { of->pn, of->pn_fd, of->key, plain, { 0 } };
	struct admin_ctx ctx;
	int exit_status = 1, r;

	memcpy(sl.sha256, sha256, sizeof(sl.sha256));
	engine_admin_caller(e, c, &ctx);
	if ((ctx.out = sbuf_new()) == NULL || (ctx.err = sbuf_new()) == NULL)
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	else if ((r = admin_stage_sealed(&ctx, of->nic, of->name, &sl,
	    &exit_status)) == 0)
		first_line(exit_status == 0 ? ctx.out : ctx.err, why, whylen);
	of->pn = sl.pn;
	if (of->pn == NULL)
		of->pn_fd = -1;		/* closed with the payload it served */
	if (r == 0 && exit_status != 0)
		r = SLUICE_EDENIED;
	*status = r == SLUICE_EDENIED ? FX_PERMISSION_DENIED : FX_FAILURE;
	if (ctx.changed)
		ipc_generation_bump(e->sh);
	sbuf_free(ctx.out);
	sbuf_free(ctx.err);
	return r;
}

int
sealed_close(struct engine *e, struct conn *c, struct open_file *of,
    uint64_t plain, const uint8_t sha256[32], uint32_t *status, char *why,
    size_t whylen)
{
	*status = FX_FAILURE;
	if (of->kind == OPEN_STAGE_UPLOAD)
		return stage_close(e, c, of, plain, sha256, status, why, whylen);
	return inbox_close(e, c, of, plain, sha256, status, why, whylen);
}

int
sealed_past_cap(struct engine *e, const struct conn *c,
    const struct open_file *of, uint64_t end, uint32_t *status, char *why,
    size_t whylen)
{
	char details[128];

	(void)snprintf(details, sizeof(details),
	    "an upload to byte %llu, past the room of %llu bytes the inbox's "
	    "files left at OPEN", (unsigned long long)end,
	    (unsigned long long)of->cap);
	return inbox_full(e, c, of, details, status, why, whylen);
}

void
sealed_forget(struct open_file *of)
{
	payloads_abandon(of->pn);
	of->pn = NULL;
	of->pn_fd = -1;
	sodium_memzero(of->key, sizeof(of->key));
}
