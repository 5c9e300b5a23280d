/*
 * OPEN, GATE, CLOSE, REMOVE: the engine hands the session a descriptor and
 * the bytes that precede it, and keeps, per open file, what the gate and the
 * audit need. Payload descriptors are read-only; uploads go to files the
 * engine created and judges at CLOSE.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/engine_int.h"
#include "engine/inbox.h"
#include "engine/vfs.h"
#include "payloads/payloads.h"
#include "sluice/error.h"
#include "sluice/log.h"

#define SSH_FXF_READ	0x01
#define SSH_FXF_WRITE	0x02

static void open_forget(struct open_file *of);

/* A free slot of c for node n, with a fresh id; NULL when all are taken. */
static struct open_file *
open_new(struct engine *e, struct conn *c, const struct vnode *n)
{
	struct open_file *of = NULL;
	size_t i;

	for (i = 0; i < CONN_MAX_OPENS && of == NULL; i++)
		if (c->opens[i].kind == OPEN_FREE)
			of = &c->opens[i];
	if (of == NULL)
		return NULL;
	memset(of, 0, sizeof(*of));
	of->id = ++e->next_open_id;
	snprintf(of->nic, sizeof(of->nic), "%s", n->nic);
	snprintf(of->name, sizeof(of->name), "%s", n->name);
	return of;
}

static struct open_file *
open_find(struct conn *c, uint64_t id)
{
	size_t i;

	for (i = 0; i < CONN_MAX_OPENS; i++)
		if (c->opens[i].kind != OPEN_FREE && c->opens[i].id == id)
			return &c->opens[i];
	return NULL;
}

static int
open_reply(struct sbuf *rep, uint32_t status, const char *msg, uint64_t id,
    uint32_t flags, uint64_t size, const struct sbuf *prefix, uint64_t fdoff)
{
	int r;

	if ((r = sbuf_put_u32(rep, status)) != 0 ||
	    (r = sbuf_put_cstring(rep, msg)) != 0 ||
	    (r = sbuf_put_u64(rep, id)) != 0 ||
	    (r = sbuf_put_u32(rep, flags)) != 0 ||
	    (r = sbuf_put_u64(rep, size)) != 0 ||
	    (r = sbuf_put_string(rep, prefix == NULL ? NULL : sbuf_ptr(prefix),
	    prefix == NULL ? 0 : sbuf_len(prefix))) != 0 ||
	    (r = sbuf_put_u64(rep, fdoff)) != 0)
		return r;
	return 0;
}

static int
open_refuse(struct sbuf *rep, uint32_t status, const char *msg)
{
	return open_reply(rep, status, msg, 0, 0, 0, NULL, 0);
}

/* A fresh certificate upload file in DIR/uploads (what a crash leaves
 * there is swept at start); tmp_path gets its name. */
static int
upload_file(struct engine *e, struct open_file *of, int *fd)
{
	char area[sizeof(of->tmp_path)];
	int n;

	n = snprintf(area, sizeof(area), "%s/uploads", e->dir);
	if (n < 0 || (size_t)n >= sizeof(area))
		return SLUICE_ETOOBIG;
	return upload_tmp_create(area, of->tmp_path, sizeof(of->tmp_path), fd);
}

static int
open_download(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, const struct sbuf *prefix, struct sbuf *rep, int *fd)
{
	struct download d;
	int r;

	if ((r = payloads_open(e->dir, n->extract_id, fd)) != 0) {
		log_warnx("payload of extract %s is missing", n->extract_id);
		return open_refuse(rep, FX_FAILURE, "payload unavailable");
	}
	memset(&d, 0, sizeof(d));
	d.release_id = n->release_id;
	d.person_id = c->who.id;
	(void)snprintf(d.gate, sizeof(d.gate), "allow");
	if ((r = download_add(e->st, &d, &of->download_id)) != 0)
		return r;
	of->kind = OPEN_DOWNLOAD;
	of->release_id = n->release_id;
	engine_audit(e, c->who.user, "download open", of->name, "allow",
	    "/%s/%s release %lld", n->nic, n->name, (long long)n->release_id);
	return open_reply(rep, FX_OK, "", of->id, IPC_OPEN_GATED, n->size, prefix,
	    0);
}

/* The staff member's own inbox file, read back: sealed on disk, so the
 * session gets its key and decrypts it as the client reads. */
static int
open_inbox_read(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, struct sbuf *rep, int *fd)
{
	struct inbox_ref ref;
	char why[256] = "";
	uint64_t plain = 0;
	int r;

	sealed_inbox_ref(e, c, &ref);
	if (inbox_open_sealed(&ref, n->name, fd, of->key, &plain, why,
	    sizeof(why)) != 0)
		return open_refuse(rep, FX_FAILURE, why);
	of->kind = OPEN_INBOX_READ;
	if ((r = open_reply(rep, FX_OK, "", of->id, IPC_OPEN_SEAL, plain,
	    NULL, 0)) == 0)
		r = sbuf_put_string(rep, of->key, sizeof(of->key));
	sodium_memzero(of->key, sizeof(of->key));
	return r;
}

/* A deletion certificate: written in plaintext (it is judged, and kept in
 * the store, whole) and never larger than the policy allows. */
static int
open_cert_upload(struct engine *e, struct open_file *of, struct sbuf *rep,
    int *fd)
{
	int64_t cap = e->cfg->policy.cert_max_bytes;

	if (upload_file(e, of, fd) != 0)
		return open_refuse(rep, FX_FAILURE, "cannot create the upload");
	of->kind = OPEN_CERT_UPLOAD;
	return open_reply(rep, FX_OK, "", of->id, IPC_OPEN_WRITE,
	    cap > 0 ? (uint64_t)cap : 0, NULL, 0);
}

/* An upload the session seals (sealed.c): the reply carries the file
 * key, and nothing else is written with it. */
static int
open_sealed(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, struct sbuf *rep, int *fd)
{
	char why[256] = "";
	uint64_t cap = 0;
	uint32_t status;
	int r;

	if (sealed_open(e, c, of, n, &cap, fd, &status, why,
	    sizeof(why)) != 0) {
		open_forget(of);
		return open_refuse(rep, status, why);
	}
	if ((r = open_reply(rep, FX_OK, "", of->id, IPC_OPEN_WRITE |
	    IPC_OPEN_SEAL, cap, NULL, 0)) != 0)
		return r;
	return sbuf_put_string(rep, of->key, sizeof(of->key));
}

static int
open_upload(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, struct sbuf *rep, int *fd)
{
	char why[256] = "";

	if (n->kind == OPEN_CERT_UPLOAD &&
	    engine_certificate_may_upload(e, c, n->nic, why, sizeof(why)) != 0)
		return open_refuse(rep, FX_PERMISSION_DENIED, why);
	if (n->kind == OPEN_CERT_UPLOAD)
		return open_cert_upload(e, of, rep, fd);
	return open_sealed(e, c, of, n, rep, fd);
}

/* Resolves path for OPEN: a staff member may create an absent inbox file
 * or /stage/NIC/NAME. */
static int
open_resolve(struct engine *e, struct conn *c, const char *path, int writing,
    struct vnode *n, struct sbuf *content, char *why, size_t whylen)
{
	int v, staff = c->who.kind == IDENTITY_STAFF;

	v = vfs_resolve(e, c, path, n, content, why, whylen);
	if (v == SLUICE_ENOTFOUND && writing && staff &&
	    (n->kind == OPEN_INBOX_READ || n->kind == OPEN_STAGE_UPLOAD))
		v = 0;
	if (staff && v == 0 && n->type == VNODE_ABSENT && !writing)
		v = SLUICE_ENOTFOUND;
	return v;
}

/* Why node n cannot be opened with pflags, or NULL. */
static const char *
mode_refusal(const struct vnode *n, uint32_t pflags, uint32_t *status)
{
	int writing = (pflags & SSH_FXF_WRITE) != 0;

	if (n->type == VNODE_DIR) {
		*status = FX_FAILURE;
		return "is a directory";
	}
	*status = FX_PERMISSION_DENIED;
	if ((writing && n->kind != OPEN_CERT_UPLOAD &&
	    n->kind != OPEN_INBOX_READ && n->kind != OPEN_STAGE_UPLOAD) ||
	    (!writing && n->kind == OPEN_CERT_UPLOAD) ||
	    (writing && (pflags & SSH_FXF_READ)))
		return writing ? "read-only file" : "write-only directory";
	return NULL;
}

/* Why OPEN of path is refused, or NULL; *status gets the SFTP status. v is
 * what resolving it gave; a gate's denial is audited. */
static const char *
open_refusal(struct engine *e, struct conn *c, const char *path,
    uint32_t pflags, int v, const struct vnode *n, const char *why,
    uint32_t *status)
{
	int staff = c->who.kind == IDENTITY_STAFF;

	*status = FX_PERMISSION_DENIED;
	/* A recipient writes only certificates: any other write is refused
	 * alike, whether or not the path exists (not "no such file"). */
	if ((pflags & SSH_FXF_WRITE) && !staff &&
	    (v != 0 || n->kind != OPEN_CERT_UPLOAD))
		return "read-only: uploads go in /<NIC>/deletion-certificate/";
	if (v == SLUICE_EDENIED) {
		engine_audit(e, c->who.user, staff ? "inbox open" :
		    "download open", path, "deny", "%s", why);
		return why;
	}
	*status = v == SLUICE_ENOTFOUND ? FX_NO_SUCH_FILE : FX_FAILURE;
	if (v != 0)
		return v == SLUICE_ENOTFOUND ? "no such file" : "failure";
	return mode_refusal(n, pflags, status);
}

/* The gate at OPEN of a released file: NULL when it allows, else its
 * one-line reason ("rule 2 (contract): ..."), audited. */
static const char *
gate_refusal(struct engine *e, struct conn *c, const char *path,
    const struct vnode *n, char *why, size_t whylen)
{
	struct gate_result g;

	vfs_gate(e, c, n->release_id, &g);
	if (g.rule == GATE_ALLOW)
		return NULL;
	engine_audit(e, c->who.user, "download open", path, "deny", "%s",
	    g.reason);
	(void)snprintf(why, whylen, "%s", g.reason);
	return why;
}

/* Serves the open file of for node n: an upload, a download, an inbox
 * file, or static bytes (content) in the reply. */
static int
open_serve(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, int writing, const struct sbuf *content,
    struct sbuf *rep, int *fd)
{
	if (writing)
		return open_upload(e, c, of, n, rep, fd);
	if (n->kind == OPEN_DOWNLOAD)
		return open_download(e, c, of, n, content, rep, fd);
	if (n->kind == OPEN_INBOX_READ)
		return open_inbox_read(e, c, of, n, rep, fd);
	of->kind = OPEN_STATIC;
	return open_reply(rep, FX_OK, "", of->id, 0, sbuf_len(content),
	    content, 0);
}

/* IPC_OPEN's request (ipc.h). */
struct open_req {
	char		*path;
	uint32_t	 pflags;
	uint64_t	 expect;	/* UINT64_MAX: the client gave no size */
};

static int
open_node(struct engine *e, struct conn *c, const struct open_req *q,
    struct sbuf *rep, int *fd)
{
	struct open_file *of;
	struct vnode n;
	struct sbuf *content;
	const char *refusal;
	char why[256] = "";
	uint32_t status;
	int r, v, writing = (q->pflags & SSH_FXF_WRITE) != 0;

	if ((content = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	v = open_resolve(e, c, q->path, writing, &n, content, why, sizeof(why));
	refusal = open_refusal(e, c, q->path, q->pflags, v, &n, why, &status);
	if (refusal == NULL && !writing && n.kind == OPEN_DOWNLOAD)
		refusal = gate_refusal(e, c, q->path, &n, why, sizeof(why));
	if (refusal != NULL)
		r = open_refuse(rep, status, refusal);
	else if ((of = open_new(e, c, &n)) == NULL)
		r = open_refuse(rep, FX_FAILURE, "too many open files");
	else {
		of->expect = q->expect;
		r = open_serve(e, c, of, &n, writing, content, rep, fd);
	}
	sbuf_free(content);
	return r;
}

/* What an OPEN is, for the audit. */
static const char *
open_action(const struct conn *c, uint32_t pflags)
{
	if (c->who.kind == IDENTITY_STAFF)
		return "inbox open";
	return (pflags & SSH_FXF_WRITE) ? "certificate upload" :
	    "download open";
}

int
eng_open(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct open_req q = { NULL, 0, 0 };
	int r;

	if (sbuf_get_cstring(req, &q.path, 2048) != 0 ||
	    sbuf_get_u32(req, &q.pflags) != 0 ||
	    sbuf_get_u64(req, &q.expect) != 0 || sbuf_len(req) != 0 ||
	    q.path[0] != '/') {
		r = SLUICE_EPROTO;
		goto out;
	}
	if (c->refused[0] != '\0')
		r = open_refuse(rep, FX_PERMISSION_DENIED, conn_refusal(e, c,
		    open_action(c, q.pflags), q.path));
	else
		r = open_node(e, c, &q, rep, fd);
out:
	free(q.path);
	return r;
}

int
eng_gate_answer(struct sbuf *rep, int allow, const char *reason)
{
	int r;

	sbuf_reset(rep);
	if (allow) {
		if ((r = sbuf_put_u32(rep, FX_OK)) == 0 &&
		    (r = sbuf_put_cstring(rep, "")) == 0)
			return 0;
	} else if ((r = sbuf_put_u32(rep, FX_PERMISSION_DENIED)) == 0 &&
	    (r = sbuf_put_cstring(rep, reason)) == 0)
		return 0;
	/* Whatever failed, what goes back is a denial or nothing at all. */
	sbuf_reset(rep);
	if (!allow && sbuf_put_u32(rep, FX_PERMISSION_DENIED) == 0 &&
	    sbuf_put_cstring(rep, "access denied") == 0)
		return 0;
	sbuf_reset(rep);
	return r;
}

int
eng_gate(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct open_file *of;
	struct gate_result g;
	uint64_t id;
	int allow;

	(void)fd;
	if (sbuf_get_u64(req, &id) != 0 || sbuf_len(req) != 0 ||
	    (of = open_find(c, id)) == NULL || of->kind != OPEN_DOWNLOAD)
		return SLUICE_EPROTO;
	/* A gate that cannot read its facts answers a denial (vfs_gate). */
	(void)vfs_gate(e, c, of->release_id, &g);
	allow = g.rule == GATE_ALLOW;
	if (!allow && !of->denied) {
		of->denied = 1;
		engine_audit(e, c->who.user, "download stopped", of->name, "deny",
		    "/%s/%s: %s", of->nic, of->name, g.reason);
	}
	return eng_gate_answer(rep, allow, g.reason);
}

/* What the session reports at CLOSE: bytes served, the range, whether it
 * reached the end; for an upload whether the client closed it (commit),
 * and for a sealed one the plaintext's size and SHA-256. */
struct close_req {
	uint64_t	id;
	uint64_t	bytes;
	uint64_t	lo;
	uint64_t	hi;
	uint8_t		eof;
	uint8_t		commit;
	uint64_t	plain;
	uint8_t		sha256[32];
};

static int
get_close(struct sbuf *req, struct close_req *q)
{
	memset(q, 0, sizeof(*q));
	if (sbuf_get_u64(req, &q->id) != 0 ||
	    sbuf_get_u64(req, &q->bytes) != 0 ||
	    sbuf_get_u64(req, &q->lo) != 0 || sbuf_get_u64(req, &q->hi) != 0 ||
	    sbuf_get_u8(req, &q->eof) != 0)
		return SLUICE_EPROTO;
	return 0;
}

static int
sealed_kind(enum open_kind k)
{
	return k == OPEN_INBOX_WRITE || k == OPEN_STAGE_UPLOAD;
}

/* The rest of CLOSE, as of's kind has it (ipc.h). */
static int
get_close_upload(struct sbuf *req, const struct open_file *of,
    struct close_req *q)
{
	const uint8_t *p;
	size_t n;

	if (of->kind != OPEN_CERT_UPLOAD && !sealed_kind(of->kind))
		return sbuf_len(req) == 0 ? 0 : SLUICE_EPROTO;
	if (sbuf_get_u8(req, &q->commit) != 0 || q->commit > 1)
		return SLUICE_EPROTO;
	if (sealed_kind(of->kind)) {
		if (sbuf_get_u64(req, &q->plain) != 0 ||
		    sbuf_get_string_direct(req, &p, &n) != 0 || n != 32)
			return SLUICE_EPROTO;
		memcpy(q->sha256, p, n);
	}
	return sbuf_len(req) == 0 ? 0 : SLUICE_EPROTO;
}

/* A download whose session ended without closing it (killed, or cut off
 * with the parent): what it served is unknown, and the row keeps what
 * it had. */
static void
lost_download(struct engine *e, struct conn *c, const struct open_file *of)
{
	engine_audit(e, c->who.user, "download", of->name,
	    of->denied ? "deny" : "ok", "/%s/%s: the session ended without "
	    "closing it: bytes served unknown, not completed", of->nic,
	    of->name);
}

static void
close_download(struct engine *e, struct conn *c, struct open_file *of,
    const struct close_req *q)
{
	if (download_update(e->st, of->download_id, q->bytes, q->lo, q->hi,
	    q->eof) != 0)
		log_warnx("download %lld: cannot record progress",
		    (long long)of->download_id);
	engine_audit(e, c->who.user, "download", of->name,
	    of->denied ? "deny" : "ok", "/%s/%s: %llu bytes, range %llu-%llu, %s",
	    of->nic, of->name, (unsigned long long)q->bytes,
	    (unsigned long long)q->lo, (unsigned long long)q->hi,
	    q->eof ? "completed" : "not completed");
}

/* What an upload is, for the audit. */
static const char *
upload_action(const struct open_file *of)
{
	if (of->kind == OPEN_CERT_UPLOAD)
		return "certificate upload";
	return of->kind == OPEN_STAGE_UPLOAD ? "extract stage" : "inbox put";
}

/* An upload the connection left before CLOSE: nothing is taken
 * (open_forget() removes it), and the audit says so. */
static int
upload_abandoned(struct engine *e, struct conn *c, const struct open_file *of,
    char *why, size_t whylen)
{
	engine_audit(e, c->who.user, upload_action(of), of->kind ==
	    OPEN_STAGE_UPLOAD ? of->nic : of->name, "abandoned",
	    "the connection ended before %s was closed; nothing was kept",
	    of->name);
	return sluice_why(why, whylen, SLUICE_EIO, "upload abandoned");
}

/* An upload closed by a user the store no longer lets act: not taken
 * (open_forget() removes it), refused and audited. */
static int
upload_refused(struct engine *e, struct conn *c, const struct open_file *of,
    char *why, size_t whylen, uint32_t *refused)
{
	*refused = FX_PERMISSION_DENIED;
	return sluice_why(why, whylen, SLUICE_EDENIED, "%s",
	    conn_refusal(e, c, upload_action(of), of->name));
}

/* Ends of: records a download, judges an upload. Returns the upload's
 * refusal, with its SFTP status in *refused. */
static int
close_open(struct engine *e, struct conn *c, struct open_file *of,
    const struct close_req *q, char *why, size_t whylen, uint32_t *refused)
{
	*refused = FX_FAILURE;
	if (of->kind == OPEN_DOWNLOAD) {
		close_download(e, c, of, q);
		return 0;
	}
	if (of->kind != OPEN_CERT_UPLOAD && !sealed_kind(of->kind))
		return 0;
	if (!q->commit && of->room_refused) {
		/* refused for the disk's reserve, and audited then */
		*refused = FX_PERMISSION_DENIED;
		return sluice_why(why, whylen, SLUICE_EDENIED, SEALED_NO_ROOM);
	}
	if (!q->commit && of->kind == OPEN_INBOX_WRITE && q->hi > of->cap)
		/* its writes past the inbox's room were refused */
		return sealed_past_cap(e, c, of, q->hi, refused, why, whylen);
	if (!q->commit)
		return upload_abandoned(e, c, of, why, whylen);
	if (c->refused[0] != '\0')
		return upload_refused(e, c, of, why, whylen, refused);
	if (of->kind == OPEN_CERT_UPLOAD)
		return engine_certificate_upload(e, c, of, q->hi, why, whylen);
	return sealed_close(e, c, of, q->plain, q->sha256, refused, why,
	    whylen);
}

/* Frees the slot; an upload the engine did not take is removed. */
static void
open_forget(struct open_file *of)
{
	if (of->tmp_path[0] != '\0')
		(void)unlink(of->tmp_path);
	sealed_forget(of);
	memset(of, 0, sizeof(*of));
}

int
eng_close(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct open_file *of;
	struct close_req q;
	char why[256] = "";
	uint32_t refused;
	int r, v;

	(void)fd;
	if (get_close(req, &q) != 0 || (of = open_find(c, q.id)) == NULL ||
	    get_close_upload(req, of, &q) != 0)
		return SLUICE_EPROTO;
	v = close_open(e, c, of, &q, why, sizeof(why), &refused);
	open_forget(of);
	if ((r = sbuf_put_u32(rep, v == 0 ? FX_OK : refused)) != 0)
		return r;
	return sbuf_put_cstring(rep, why);
}

int
eng_room(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct open_file *of;
	char why[256] = "";
	uint64_t id, want, end = 0;
	int r, v;

	(void)fd;
	/* Only a sealed upload asks, not once refused, and not past its
	 * cap. */
	if (sbuf_get_u64(req, &id) != 0 || sbuf_get_u64(req, &want) != 0 ||
	    sbuf_len(req) != 0 || (of = open_find(c, id)) == NULL ||
	    !sealed_kind(of->kind) || of->room_refused || want > of->cap)
		return SLUICE_EPROTO;
	v = sealed_room(e, c, of, want, &end, why, sizeof(why));
	if ((r = sbuf_put_u32(rep, v == 0 ? FX_OK : FX_PERMISSION_DENIED)) != 0 ||
	    (r = sbuf_put_cstring(rep, why)) != 0)
		return r;
	return sbuf_put_u64(rep, end);
}

void
conn_close_all(struct engine *e, struct conn *c)
{
	char why[64];
	size_t i;

	for (i = 0; i < CONN_MAX_OPENS; i++) {
		if (c->opens[i].kind == OPEN_DOWNLOAD)
			lost_download(e, c, &c->opens[i]);
		else if ((c->opens[i].kind == OPEN_CERT_UPLOAD ||
		    sealed_kind(c->opens[i].kind)) &&
		    !c->opens[i].room_refused && !c->opens[i].overrun)
			(void)upload_abandoned(e, c, &c->opens[i], why,
			    sizeof(why));
		open_forget(&c->opens[i]);
	}
}

int
conn_overrun(struct engine *e, struct conn *c, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < CONN_MAX_OPENS; i++)
		if (sealed_kind(c->opens[i].kind) &&
		    sealed_overrun(e, c, &c->opens[i], why, whylen) != 0)
			return SLUICE_EDENIED;
	return 0;
}

/* Removes a file of the staff member's own inbox; SLUICE_EDENIED for any
 * other path or caller. */
static int
inbox_remove(struct engine *e, struct conn *c, const char *path)
{
	struct inbox_ref ref;
	struct vnode n;

	if (c->who.kind != IDENTITY_STAFF || vfs_staff(e, c, path, &n) != 0 ||
	    n.type != VNODE_FILE || n.kind != OPEN_INBOX_READ)
		return SLUICE_EDENIED;
	sealed_inbox_ref(e, c, &ref);
	return inbox_delete(&ref, n.name) == 0 ? 0 : SLUICE_EIO;
}

static int
remove_reply(struct sbuf *rep, uint32_t status, const char *msg)
{
	int r;

	if ((r = sbuf_put_u32(rep, status)) != 0)
		return r;
	return sbuf_put_cstring(rep, msg);
}

int
eng_remove(struct engine *e, struct conn *c, struct sbuf *req,
    struct sbuf *rep, int *fd)
{
	char *path = NULL;
	int r, v;

	(void)fd;
	if (sbuf_get_cstring(req, &path, 2048) != 0 || sbuf_len(req) != 0) {
		r = SLUICE_EPROTO;
		goto out;
	}
	if (c->refused[0] != '\0')
		r = remove_reply(rep, FX_PERMISSION_DENIED,
		    conn_refusal(e, c, "inbox remove", path));
	else if ((v = inbox_remove(e, c, path)) == 0)
		r = remove_reply(rep, FX_OK, "");
	else if (v == SLUICE_EDENIED)
		r = remove_reply(rep, FX_PERMISSION_DENIED,
		    "permission denied: read-only");
	else
		r = remove_reply(rep, FX_FAILURE, "remove failed");
out:
	free(path);
	return r;
}
