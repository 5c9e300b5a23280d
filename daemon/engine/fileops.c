/*
 * OPEN, GATE, CLOSE, REMOVE: the engine hands the session a descriptor and
 * the bytes that precede it, and keeps, per open file, what the gate and the
 * audit need. Payload descriptors are read-only; uploads go to files the
 * engine created and judges at CLOSE.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "engine/vfs.h"
#include "payloads/payloads.h"
#include "sluice/error.h"
#include "sluice/log.h"

#define SSH_FXF_READ	0x01
#define SSH_FXF_WRITE	0x02

static struct open_file *
open_slot(struct conn *c)
{
	size_t i;

	for (i = 0; i < CONN_MAX_OPENS; i++)
		if (c->opens[i].kind == OPEN_FREE)
			return &c->opens[i];
	return NULL;
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

/* A fresh upload file the session may write; tmp_path gets its name. */
static int
upload_file(struct engine *e, const char *dir, struct open_file *of, int *fd)
{
	uint8_t rnd[12];
	char hex[25];
	int n;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = snprintf(of->tmp_path, sizeof(of->tmp_path), "%s/.upload-%s.tmp",
	    dir != NULL ? dir : e->dir, hex);
	if (n < 0 || (size_t)n >= sizeof(of->tmp_path))
		return SLUICE_ETOOBIG;
	*fd = open(of->tmp_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	return *fd == -1 ? SLUICE_EIO : 0;
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

static int
open_inbox_read(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, struct sbuf *rep, int *fd)
{
	char dir[ENGINE_PATH_MAX];
	int dfd, r;

	if ((r = vfs_inbox_dir(e, c->who.user, dir, sizeof(dir))) != 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return SLUICE_EIO;
	*fd = openat(dfd, n->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (*fd == -1)
		return open_refuse(rep, FX_NO_SUCH_FILE, "no such file");
	of->kind = OPEN_INBOX_READ;
	return open_reply(rep, FX_OK, "", of->id, 0, n->size, NULL, 0);
}

/* The most a session may write: the certificate limit, or the inbox
 * limit (the engine checks the whole inbox again at CLOSE). */
static uint64_t
upload_cap(struct engine *e, enum open_kind kind)
{
	int64_t cap = kind == OPEN_CERT_UPLOAD ? e->cfg->policy.cert_max_bytes :
	    e->cfg->policy.inbox_max_bytes;

	return cap > 0 ? (uint64_t)cap : 0;
}

static int
open_upload(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, struct sbuf *rep, int *fd)
{
	char dir[ENGINE_PATH_MAX];
	int r, k;

	if (n->kind == OPEN_CERT_UPLOAD) {
		k = snprintf(dir, sizeof(dir), "%s/uploads", e->dir);
		of->kind = OPEN_CERT_UPLOAD;
	} else {
		if ((r = vfs_inbox_dir(e, c->who.user, dir, sizeof(dir))) != 0)
			return r;
		k = snprintf(of->final_path, sizeof(of->final_path), "%s/%s", dir,
		    n->name);
		of->kind = OPEN_INBOX_WRITE;
	}
	if (k < 0 || (size_t)k >= sizeof(dir))
		return SLUICE_ETOOBIG;
	if ((r = upload_file(e, dir, of, fd)) != 0) {
		of->kind = OPEN_FREE;
		return open_refuse(rep, FX_FAILURE, "cannot create the upload");
	}
	return open_reply(rep, FX_OK, "", of->id, IPC_OPEN_WRITE,
	    upload_cap(e, of->kind), NULL, 0);
}

static int
open_node(struct engine *e, struct conn *c, const char *path, uint32_t pflags,
    struct sbuf *rep, int *fd)
{
	struct open_file *of;
	struct vnode n;
	struct sbuf *content = NULL;
	char why[256] = "";
	int r, v, writing = (pflags & SSH_FXF_WRITE) != 0;

	if ((content = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	v = vfs_resolve(e, c, path, &n, content, why, sizeof(why));
	if (v == SLUICE_ENOTFOUND && writing && c->who.kind == IDENTITY_STAFF &&
	    n.kind == OPEN_INBOX_READ)
		v = 0;
	if (c->who.kind == IDENTITY_STAFF && v == 0 && n.type == VNODE_ABSENT &&
	    !writing)
		v = SLUICE_ENOTFOUND;
	/* A recipient writes only certificates: any other write is refused
	 * alike, whether or not the path exists (not "no such file"). */
	if (writing && c->who.kind != IDENTITY_STAFF &&
	    (v != 0 || n.kind != OPEN_CERT_UPLOAD)) {
		r = open_refuse(rep, FX_PERMISSION_DENIED,
		    "read-only: uploads go in /<NIC>/deletion-certificate/");
		goto out;
	}
	if (v == SLUICE_EDENIED) {
		engine_audit(e, c->who.user, c->who.kind == IDENTITY_STAFF ?
		    "inbox open" : "download open", path, "deny", "%s", why);
		r = open_refuse(rep, FX_PERMISSION_DENIED, why);
		goto out;
	}
	if (v != 0) {
		r = open_refuse(rep, v == SLUICE_ENOTFOUND ? FX_NO_SUCH_FILE :
		    FX_FAILURE, v == SLUICE_ENOTFOUND ? "no such file" : "failure");
		goto out;
	}
	if (n.type == VNODE_DIR) {
		r = open_refuse(rep, FX_FAILURE, "is a directory");
		goto out;
	}
	if ((writing && n.kind != OPEN_CERT_UPLOAD && n.kind != OPEN_INBOX_READ) ||
	    (!writing && n.kind == OPEN_CERT_UPLOAD) ||
	    (writing && (pflags & SSH_FXF_READ))) {
		r = open_refuse(rep, FX_PERMISSION_DENIED, writing ?
		    "read-only file" : "write-only directory");
		goto out;
	}
	if ((of = open_slot(c)) == NULL) {
		r = open_refuse(rep, FX_FAILURE, "too many open files");
		goto out;
	}
	memset(of, 0, sizeof(*of));
	of->id = ++e->next_open_id;
	snprintf(of->nic, sizeof(of->nic), "%s", n.nic);
	snprintf(of->name, sizeof(of->name), "%s", n.name);
	if (writing)
		r = open_upload(e, c, of, &n, rep, fd);
	else if (n.kind == OPEN_DOWNLOAD)
		r = open_download(e, c, of, &n, content, rep, fd);
	else if (n.kind == OPEN_INBOX_READ)
		r = open_inbox_read(e, c, of, &n, rep, fd);
	else {
		of->kind = OPEN_STATIC;
		r = open_reply(rep, FX_OK, "", of->id, 0, sbuf_len(content),
		    content, 0);
	}
out:
	sbuf_free(content);
	return r;
}

int
eng_open(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	char *path = NULL;
	uint32_t pflags;
	int r;

	if (sbuf_get_cstring(req, &path, 2048) != 0 ||
	    sbuf_get_u32(req, &pflags) != 0 || sbuf_len(req) != 0 ||
	    path[0] != '/') {
		r = SLUICE_EPROTO;
		goto out;
	}
	r = open_node(e, c, path, pflags, rep, fd);
out:
	free(path);
	return r;
}

int
eng_gate(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct open_file *of;
	struct gate_result g;
	uint64_t id;
	int r;

	(void)fd;
	if (sbuf_get_u64(req, &id) != 0 || sbuf_len(req) != 0 ||
	    (of = open_find(c, id)) == NULL || of->kind != OPEN_DOWNLOAD)
		return SLUICE_EPROTO;
	vfs_gate(e, c, of->release_id, &g);
	if (g.rule != GATE_ALLOW && !of->denied) {
		of->denied = 1;
		engine_audit(e, c->who.user, "download stopped", of->name, "deny",
		    "/%s/%s: %s", of->nic, of->name, g.reason);
	}
	if (g.rule != GATE_ALLOW && (r = sbuf_put_u32(rep, FX_PERMISSION_DENIED)) == 0)
		return sbuf_put_cstring(rep, g.reason);
	if ((r = sbuf_put_u32(rep, FX_OK)) != 0)
		return r;
	return sbuf_put_cstring(rep, "");
}

static int
close_download(struct engine *e, struct conn *c, struct open_file *of,
    uint64_t bytes, uint64_t lo, uint64_t hi, int eof)
{
	if (download_update(e->st, of->download_id, bytes, lo, hi, eof) != 0)
		log_warnx("download %lld: cannot record progress",
		    (long long)of->download_id);
	engine_audit(e, c->who.user, "download", of->name,
	    of->denied ? "deny" : "ok", "/%s/%s: %llu bytes, range %llu-%llu, %s",
	    of->nic, of->name, (unsigned long long)bytes, (unsigned long long)lo,
	    (unsigned long long)hi, eof ? "completed" : "not completed");
	return 0;
}

int
eng_close(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct open_file *of;
	uint64_t id, bytes, lo, hi;
	uint8_t eof;
	char why[256] = "";
	uint32_t refused = FX_FAILURE;
	int r = 0, v = 0;

	(void)fd;
	if (sbuf_get_u64(req, &id) != 0 || sbuf_get_u64(req, &bytes) != 0 ||
	    sbuf_get_u64(req, &lo) != 0 || sbuf_get_u64(req, &hi) != 0 ||
	    sbuf_get_u8(req, &eof) != 0 || sbuf_len(req) != 0 ||
	    (of = open_find(c, id)) == NULL)
		return SLUICE_EPROTO;
	switch (of->kind) {
	case OPEN_DOWNLOAD:
		close_download(e, c, of, bytes, lo, hi, eof);
		break;
	case OPEN_INBOX_WRITE:
		v = engine_inbox_commit(e, c, of, why, sizeof(why));
		/* over the policy limit is a refusal, not a failure: clients
		 * (sluicectl: exit 1) tell it apart from a broken link */
		if (v == SLUICE_ETOOBIG)
			refused = FX_PERMISSION_DENIED;
		break;
	case OPEN_CERT_UPLOAD:
		v = engine_certificate_upload(e, c, of, why, sizeof(why));
		break;
	default:
		break;
	}
	if (of->tmp_path[0] != '\0')
		(void)unlink(of->tmp_path);
	memset(of, 0, sizeof(*of));
	if ((r = sbuf_put_u32(rep, v == 0 ? FX_OK : refused)) != 0)
		return r;
	return sbuf_put_cstring(rep, why);
}

void
conn_close_all(struct engine *e, struct conn *c)
{
	size_t i;

	for (i = 0; i < CONN_MAX_OPENS; i++) {
		if (c->opens[i].kind == OPEN_DOWNLOAD)
			close_download(e, c, &c->opens[i], 0, 0, 0, 0);
		if (c->opens[i].tmp_path[0] != '\0')
			(void)unlink(c->opens[i].tmp_path);
		memset(&c->opens[i], 0, sizeof(c->opens[i]));
	}
}

int
eng_remove(struct engine *e, struct conn *c, struct sbuf *req,
    struct sbuf *rep, int *fd)
{
	struct vnode n;
	char *path = NULL, dir[ENGINE_PATH_MAX];
	int r, v, dfd;

	(void)fd;
	if (sbuf_get_cstring(req, &path, 2048) != 0 || sbuf_len(req) != 0) {
		r = SLUICE_EPROTO;
		goto out;
	}
	v = SLUICE_EDENIED;
	if (c->who.kind == IDENTITY_STAFF && vfs_staff(e, c, path, &n) == 0 &&
	    n.type == VNODE_FILE && n.kind == OPEN_INBOX_READ &&
	    vfs_inbox_dir(e, c->who.user, dir, sizeof(dir)) == 0) {
		v = SLUICE_EIO;
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			if (unlinkat(dfd, n.name, 0) == 0)
				v = 0;
			close(dfd);
		}
	}
	if ((r = sbuf_put_u32(rep, v == 0 ? FX_OK : v == SLUICE_EDENIED ?
	    FX_PERMISSION_DENIED : FX_FAILURE)) == 0)
		r = sbuf_put_cstring(rep, v == 0 ? "" : v == SLUICE_EDENIED ?
		    "permission denied: read-only" : "remove failed");
out:
	free(path);
	return r;
}
