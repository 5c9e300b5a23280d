/*
 * The virtual trees (docs/design.md section 6). Paths arrive canonical from the
 * session; they are resolved here as strings against the store and never
 * touch the host filesystem (a staff member's inbox files are rows too; their
 * names are restricted to a safe set).
 *
 * Recipient:  /release.pub, /<NIC>/, /<NIC>/<name>.age, /<NIC>/SHA256SUMS,
 *             /<NIC>/SHA256SUMS.minisig, /<NIC>/deletion-certificate/ (write-only)
 * Staff:      /inbox/ and the files in it (their plaintext sizes);
 * Operators:  /stage/ and in it /<NIC>/ (write-only) for every agreement
 *             extracts may be staged for: a file written there is staged.
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

#include "engine/sums.h"
#include "engine/engine_int.h"
#include "engine/vfs.h"
#include "gate.h"
#include "engine/extract.h"
#include "engine/inbox.h"
#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/log.h"

#define CERT_DIR	"deletion-certificate"

/* ---- replies --------------------------------------------------------- */

static int
put_attrs(struct sbuf *b, const struct vnode *n)
{
	int r;

	if ((r = sbuf_put_u32(b, n->type)) != 0 ||
	    (r = sbuf_put_u64(b, n->size)) != 0 ||
	    (r = sbuf_put_u32(b, n->mode)) != 0 ||
	    (r = sbuf_put_u32(b, (uint32_t)n->mtime)) != 0)
		return r;
	return 0;
}

static int
put_status(struct sbuf *rep, uint32_t status, const char *msg)
{
	int r;

	if ((r = sbuf_put_u32(rep, status)) != 0)
		return r;
	return sbuf_put_cstring(rep, msg);
}

/* ---- path splitting ------------------------------------------------------ */

/* Splits a canonical absolute path into at most 3 components. */
static int
split_path(const char *path, char comp[3][STORE_TEXT_MAX], size_t *n)
{
	const char *p = path, *slash;
	size_t len;

	*n = 0;
	if (path[0] != '/')
		return SLUICE_EINVAL;
	p++;
	while (*p != '\0') {
		if (*n == 3)
			return SLUICE_ENOTFOUND;
		slash = strchr(p, '/');
		len = slash == NULL ? strlen(p) : (size_t)(slash - p);
		if (len == 0 || len >= STORE_TEXT_MAX)
			return SLUICE_ENOTFOUND;
		memcpy(comp[*n], p, len);
		comp[*n][len] = '\0';
		(*n)++;
		p += len;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* ---- recipients ------------------------------------------------------ */

static int64_t
agreement_mtime(const struct agreement *a)
{
	return a->state_changed_at;
}

/* The gate for one release and this recipient, now; audited by callers. */
int
vfs_gate(struct engine *e, struct conn *c, int64_t release_id,
    struct gate_result *res)
{
	struct gate_facts f;
	int64_t now = sluice_now();
	int r;

	memset(&f, 0, sizeof(f));
	if ((r = store_gate_facts(e->st, c->who.id, release_id,
	    sluice_day_of(now), &f)) != 0) {
		res->rule = GATE_RELEASE;
		(void)snprintf(res->reason, sizeof(res->reason),
		    "rule 6 (release): release %lld not found", (long long)release_id);
		return r;
	}
	f.dspt_waived = e->cfg->policy.dspt_waived;
	/* Rule 1 is about the key: one replaced since the login is nobody's
	 * as far as this session goes. */
	if (c->key_lost)
		f.recipient_known = 0;
	gate_decide(&f, now, res);
	return 0;
}

/* The agreement of nic if this recipient's organisation holds it. */
static int
recipient_agreement(struct engine *e, struct conn *c, const char *nic,
    struct agreement *a)
{
	int r;

	if (nic_check(nic, NULL, 0) != 0)
		return SLUICE_ENOTFOUND;
	if ((r = agreement_governing(e->st, nic, a)) != 0)
		return r;
	if (a->org_id != c->who.org_id) {
		agreement_clear(a);
		return SLUICE_ENOTFOUND;
	}
	return 0;
}

/* The newest release of the extract named base (without .age) under nic. */
static int
find_release(struct engine *e, const char *nic, const char *base,
    struct release *out)
{
	struct release_list l;
	size_t i;
	int r, found = 0;

	memset(&l, 0, sizeof(l));
	if ((r = release_list(e->st, nic, 0, &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.v[i].name, base) != 0)
			continue;
		if (!found || l.v[i].id > out->id)
			*out = l.v[i];
		found = 1;
	}
	release_list_free(&l);
	return found ? 0 : SLUICE_ENOTFOUND;
}

/*
 * The releases listed in an agreement's directory, whatever the gate says
 * now (docs/design.md section 2: a denial is said at OPEN, with its rule):
 * those not revoked, while the agreement is live or suspended. An expired
 * or closed agreement lists none.
 */
static int
listed_releases(struct engine *e, const struct agreement *a,
    struct release_list *out)
{
	memset(out, 0, sizeof(*out));
	if (a->state != AG_LIVE && a->state != AG_SUSPENDED)
		return 0;
	return release_list(e->st, a->nic, 1, out);
}

/* Size of <name>.age for this recipient: header + payload. */
static int
download_header(struct engine *e, struct conn *c, const struct extract *x,
    struct sbuf *hdr, char *why, size_t whylen)
{
	struct key_list keys;
	int r;

	memset(&keys, 0, sizeof(keys));
	if (c->who.age_recipient[0] != '\0')
		return package_header(e->master, x->id, x->wrapped_key,
		    x->wrapped_len, c->who.age_recipient, NULL, 0, hdr, why, whylen);
	if ((r = key_list(e->st, IDENTITY_RECIPIENT, c->who.id, &keys)) != 0)
		return r;
	r = SLUICE_ENOTFOUND;
	if (keys.n > 0)
		r = package_header(e->master, x->id, x->wrapped_key,
		    x->wrapped_len, NULL, keys.v[0].blob, keys.v[0].len, hdr,
		    why, whylen);
	key_list_free(&keys);
	return r;
}

/* SHA256SUMS (sig = 0) or its signature (sig = 1): the listed files. */
static int
sums_file(struct engine *e, const struct agreement *a, int sig,
    struct sbuf *out)
{
	struct release_list l;
	struct sbuf *sums = NULL;
	int64_t newest;
	int r;

	if ((r = listed_releases(e, a, &l)) != 0)
		return r;
	if (!sig)
		r = sums_text(e, &l, out, &newest);
	else if ((sums = sbuf_new()) == NULL)
		r = SLUICE_ENOMEM;
	else if ((r = sums_text(e, &l, sums, &newest)) == 0)
		r = sums_sign(e, a->nic, sbuf_ptr(sums), sbuf_len(sums), newest,
		    out);
	sbuf_free(sums);
	release_list_free(&l);
	return r;
}

/* Sets the attributes only: callers keep nic/name they already set. */
static void
node_dir(struct vnode *n, int64_t mtime, uint32_t mode)
{
	n->size = 0;
	n->type = VNODE_DIR;
	n->mode = S_IFDIR | mode;
	n->mtime = mtime;
}

static void
node_file(struct vnode *n, uint64_t size, int64_t mtime, uint32_t mode)
{
	n->type = VNODE_FILE;
	n->size = size;
	n->mode = S_IFREG | mode;
	n->mtime = mtime;
}

static int
is_age_name(const char *name, char *base, size_t baselen)
{
	size_t n = strlen(name);

	if (n <= 4 || strcmp(name + n - 4, ".age") != 0 || n - 4 >= baselen)
		return 0;
	memcpy(base, name, n - 4);
	base[n - 4] = '\0';
	return 1;
}

/* /release.pub */
static int
release_pub_node(struct engine *e, struct vnode *n, struct sbuf *content)
{
	node_file(n, strlen(e->release_pub), 0, 0444);
	n->kind = OPEN_STATIC;
	return content == NULL ? 0 :
	    sbuf_put(content, e->release_pub, strlen(e->release_pub));
}

/* /<NIC>/deletion-certificate/ and the names in it, write-only. */
static int
cert_node(const struct agreement *a, char comp[][STORE_TEXT_MAX], size_t nc,
    struct vnode *n)
{
	if (nc == 2) {
		node_dir(n, agreement_mtime(a), 0333);
		return 0;
	}
	if (name_check(comp[2], STORE_NAME_MAX - 1, NULL, 0) != 0)
		return SLUICE_ENOTFOUND;
	node_file(n, 0, 0, 0200);
	n->kind = OPEN_CERT_UPLOAD;
	snprintf(n->name, sizeof(n->name), "%s", comp[2]);
	return 0;
}

/* /<NIC>/SHA256SUMS (sig = 0) and /<NIC>/SHA256SUMS.minisig (sig = 1). */
static int
sums_node(struct engine *e, const struct agreement *a, int sig,
    struct vnode *n, struct sbuf *content)
{
	struct sbuf *tmp;
	int r;

	if ((tmp = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sums_file(e, a, sig, tmp)) == 0) {
		node_file(n, sbuf_len(tmp), agreement_mtime(a), 0444);
		n->kind = OPEN_STATIC;
		if (content != NULL)
			r = sbuf_put(content, sbuf_ptr(tmp), sbuf_len(tmp));
	}
	sbuf_free(tmp);
	return r;
}

/* The download of x: this recipient's age header, then the payload. */
static int
download_fill(struct engine *e, struct conn *c, const struct release *rel,
    struct vnode *n, struct sbuf *content, char *why, size_t whylen)
{
	struct extract x;
	struct sbuf *hdr;
	int r;

	if ((r = extract_get(e->st, rel->extract_id, &x)) != 0)
		return r;
	if ((hdr = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = download_header(e, c, &x, hdr, why, whylen)) == 0) {
		node_file(n, sbuf_len(hdr) + x.payload_size, rel->approved_at,
		    0444);
		n->kind = OPEN_DOWNLOAD;
		n->prefix_len = sbuf_len(hdr);
		snprintf(n->extract_id, sizeof(n->extract_id), "%s", x.id);
		if (content != NULL)
			r = sbuf_put(content, sbuf_ptr(hdr), sbuf_len(hdr));
	}
	sbuf_free(hdr);
	return r;
}

/* /<NIC>/<name>.age, the newest release of that name, revoked or not:
 * named, it resolves, and OPEN asks the gate (fileops.c), which says why
 * a revoked one is refused. */
static int
download_node(struct engine *e, struct conn *c, const struct agreement *a,
    const char *name, struct vnode *n, struct sbuf *content, char *why,
    size_t whylen)
{
	char base[STORE_TEXT_MAX];
	struct release rel;

	if (!is_age_name(name, base, sizeof(base)) ||
	    find_release(e, a->nic, base, &rel) != 0)
		return SLUICE_ENOTFOUND;
	n->release_id = rel.id;
	snprintf(n->name, sizeof(n->name), "%s", name);
	return download_fill(e, c, &rel, n, content, why, whylen);
}

/* /<NIC>/ and below, for an agreement of this recipient's organisation. */
static int
agreement_node(struct engine *e, struct conn *c, const struct agreement *a,
    char comp[][STORE_TEXT_MAX], size_t nc, struct vnode *n,
    struct sbuf *content, char *why, size_t whylen)
{
	snprintf(n->nic, sizeof(n->nic), "%s", a->nic);
	if (nc == 1) {
		node_dir(n, agreement_mtime(a), 0555);
		return 0;
	}
	if (strcmp(comp[1], CERT_DIR) == 0)
		return cert_node(a, comp, nc, n);
	if (nc != 2)
		return SLUICE_ENOTFOUND;
	if (strcmp(comp[1], "SHA256SUMS") == 0)
		return sums_node(e, a, 0, n, content);
	if (strcmp(comp[1], "SHA256SUMS.minisig") == 0)
		return sums_node(e, a, 1, n, content);
	return download_node(e, c, a, comp[1], n, content, why, whylen);
}

/*
 * Resolves a recipient's path; content (if not NULL) receives static bytes
 * or the age header. The gate is not asked here: a released file resolves
 * whatever it would say, and OPEN asks it (fileops.c).
 */
static int
vfs_recipient(struct engine *e, struct conn *c, const char *path,
    struct vnode *n, struct sbuf *content, char *why, size_t whylen)
{
	char comp[3][STORE_TEXT_MAX];
	struct agreement a;
	size_t nc;
	int r;

	memset(&a, 0, sizeof(a));
	memset(n, 0, sizeof(*n));
	if (split_path(path, comp, &nc) != 0)
		return SLUICE_ENOTFOUND;
	if (nc == 0) {
		node_dir(n, 0, 0555);
		return 0;
	}
	if (nc == 1 && strcmp(comp[0], "release.pub") == 0)
		return release_pub_node(e, n, content);
	if (recipient_agreement(e, c, comp[0], &a) != 0)
		return SLUICE_ENOTFOUND;
	r = agreement_node(e, c, &a, comp, nc, n, content, why, whylen);
	agreement_clear(&a);
	return r;
}

/* Appends a recipient's directory listing (count-prefixed entries). */
static int
list_put(struct sbuf *b, uint32_t *count, const char *name,
    const struct vnode *n)
{
	int r;

	if ((r = sbuf_put_cstring(b, name)) != 0 || (r = put_attrs(b, n)) != 0)
		return r;
	(*count)++;
	return 0;
}

static int
list_root(struct engine *e, struct conn *c, struct sbuf *b, uint32_t *count)
{
	struct agreement_list l;
	struct vnode n;
	size_t i;
	int r;

	memset(&n, 0, sizeof(n));
	node_file(&n, strlen(e->release_pub), 0, 0444);
	if ((r = list_put(b, count, "release.pub", &n)) != 0)
		return r;
	memset(&l, 0, sizeof(l));
	if ((r = agreement_list(e->st, AGREEMENT_ANY_STATE, c->who.org,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++) {
		node_dir(&n, agreement_mtime(&l.v[i]), 0555);
		r = list_put(b, count, l.v[i].nic, &n);
	}
	agreement_list_free(&l);
	return r;
}

/* SHA256SUMS and its signature, listed when a file is. */
static int
list_sums(struct engine *e, const struct agreement *a, struct sbuf *b,
    uint32_t *count)
{
	static const char *const names[] = { "SHA256SUMS",
	    "SHA256SUMS.minisig" };
	struct vnode n;
	size_t i;
	int r = 0;

	for (i = 0; i < 2 && r == 0; i++) {
		memset(&n, 0, sizeof(n));
		if ((r = sums_node(e, a, (int)i, &n, NULL)) == 0)
			r = list_put(b, count, names[i], &n);
	}
	return r;
}

/* An agreement's directory: the certificate upload directory, the listed
 * releases as <name>.age, and their sums. */
static int
list_agreement(struct engine *e, struct conn *c, const struct agreement *a,
    struct sbuf *b, uint32_t *count)
{
	struct release_list l;
	struct vnode n;
	char name[STORE_TEXT_MAX];
	size_t i;
	int r;

	memset(&n, 0, sizeof(n));
	node_dir(&n, 0, 0333);
	if ((r = list_put(b, count, CERT_DIR, &n)) != 0)
		return r;
	if ((r = listed_releases(e, a, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++) {
		(void)snprintf(name, sizeof(name), "%s.age", l.v[i].name);
		memset(&n, 0, sizeof(n));
		if (download_fill(e, c, &l.v[i], &n, NULL, NULL, 0) == 0)
			r = list_put(b, count, name, &n);
	}
	if (r == 0 && l.n > 0)
		r = list_sums(e, a, b, count);
	release_list_free(&l);
	return r;
}

static int
list_recipient(struct engine *e, struct conn *c, const char *path,
    struct sbuf *b, uint32_t *count, char *why, size_t whylen)
{
	struct agreement a;
	struct vnode n;
	int r;

	if ((r = vfs_recipient(e, c, path, &n, NULL, why, whylen)) != 0)
		return r;
	if (n.type != VNODE_DIR)
		return SLUICE_EINVAL;
	if (strcmp(path, "/") == 0)
		return list_root(e, c, b, count);
	if (n.mode == (S_IFDIR | 0333))
		return 0;	/* deletion-certificate/: write-only */
	memset(&a, 0, sizeof(a));
	if ((r = recipient_agreement(e, c, n.nic, &a)) == 0)
		r = list_agreement(e, c, &a, b, count);
	agreement_clear(&a);
	return r;
}

/* ---- staff: /inbox and /stage --------------------------------------- */

/* /inbox/<name>: a file of the staff member's own inbox, as the store
 * records it (its plaintext's size; the file on disk is sealed), or
 * VNODE_ABSENT (with name and kind set, for an upload to create it). */
static int
inbox_node(struct engine *e, struct conn *c, const char *name,
    struct vnode *n)
{
	struct inbox_file f;
	int r;

	snprintf(n->name, sizeof(n->name), "%s", name);
	n->kind = OPEN_INBOX_READ;
	if ((r = inbox_file_get(e->st, c->who.id, name, &f)) ==
	    SLUICE_ENOTFOUND) {
		n->type = VNODE_ABSENT;
		return 0;
	}
	if (r == 0)
		node_file(n, f.plain_size, f.uploaded_at, 0600);
	return r;
}

static int
is_operator(const struct conn *c)
{
	return (c->who.roles & ROLE_OPERATOR) != 0;
}

/* The governing version of nic, if extracts may be staged for it. */
static int
stage_agreement(struct engine *e, const char *nic, struct agreement *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if (nic_check(nic, NULL, 0) != 0)
		return SLUICE_ENOTFOUND;
	if ((r = agreement_governing(e->st, nic, a)) == 0 &&
	    !package_may_stage(a->state))
		r = SLUICE_ENOTFOUND;
	return r;
}

/* /stage/<NIC>/<name>: a name to upload an extract to. Whoever asks, and
 * whatever the agreement: OPEN says why it may not be staged (the words
 * of `extract stage`). */
static int
stage_file_node(char comp[3][STORE_TEXT_MAX], struct vnode *n)
{
	if (nic_check(comp[1], NULL, 0) != 0)
		return SLUICE_ENOTFOUND;
	if (name_check(comp[2], STORE_NAME_MAX - 1, NULL, 0) != 0)
		return SLUICE_EFORMAT;	/* vfs_resolve says why */
	snprintf(n->nic, sizeof(n->nic), "%s", comp[1]);
	snprintf(n->name, sizeof(n->name), "%s", comp[2]);
	n->type = VNODE_ABSENT;
	n->kind = OPEN_STAGE_UPLOAD;
	return 0;
}

/* /stage and /stage/<NIC>, for operators: a write-only directory per
 * agreement that may have extracts staged. */
static int
stage_node(struct engine *e, struct conn *c, char comp[3][STORE_TEXT_MAX],
    size_t nc, struct vnode *n)
{
	struct agreement a;
	int r;

	if (nc == 3)
		return stage_file_node(comp, n);
	if (!is_operator(c))
		return SLUICE_ENOTFOUND;
	if (nc == 1) {
		node_dir(n, 0, 0700);
		return 0;
	}
	if ((r = stage_agreement(e, comp[1], &a)) != 0)
		return r;
	snprintf(n->nic, sizeof(n->nic), "%s", a.nic);
	node_dir(n, agreement_mtime(&a), 0300);
	agreement_clear(&a);
	return 0;
}

int
vfs_staff(struct engine *e, struct conn *c, const char *path,
    struct vnode *n)
{
	char comp[3][STORE_TEXT_MAX];
	size_t nc;

	memset(n, 0, sizeof(*n));
	if (split_path(path, comp, &nc) != 0)
		return SLUICE_ENOTFOUND;
	if (nc == 0) {
		node_dir(n, 0, 0555);
		return 0;
	}
	if (strcmp(comp[0], "stage") == 0)
		return stage_node(e, c, comp, nc, n);
	if (strcmp(comp[0], "inbox") != 0 || nc > 2)
		return SLUICE_ENOTFOUND;
	if (nc == 1) {
		node_dir(n, 0, 0700);
		return 0;
	}
	if (name_check(comp[1], STORE_NAME_MAX - 1, NULL, 0) != 0)
		return SLUICE_EFORMAT;	/* vfs_resolve says why */
	return inbox_node(e, c, comp[1], n);
}

/* The files of the staff member's inbox, with their plaintext sizes. */
static int
list_inbox(struct engine *e, struct conn *c, struct sbuf *b, uint32_t *count)
{
	struct inbox_file_list l = { NULL, 0 };
	struct vnode n;
	size_t i;
	int r;

	if ((r = inbox_file_list(e->st, c->who.id, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++) {
		memset(&n, 0, sizeof(n));
		node_file(&n, l.v[i].plain_size, l.v[i].uploaded_at, 0600);
		r = list_put(b, count, l.v[i].name, &n);
	}
	inbox_file_list_free(&l);
	return r;
}

/* /stage: the agreements extracts may be staged for, one directory each. */
static int
list_stage(struct engine *e, struct sbuf *b, uint32_t *count)
{
	struct agreement_list l;
	struct vnode n;
	size_t i;
	int r;

	memset(&l, 0, sizeof(l));
	if ((r = agreement_list(e->st, AGREEMENT_ANY_STATE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++) {
		if (!package_may_stage(l.v[i].state))
			continue;
		memset(&n, 0, sizeof(n));
		node_dir(&n, agreement_mtime(&l.v[i]), 0300);
		r = list_put(b, count, l.v[i].nic, &n);
	}
	agreement_list_free(&l);
	return r;
}

static int
list_staff(struct engine *e, struct conn *c, const char *path,
    struct sbuf *b, uint32_t *count)
{
	struct vnode n;
	int r;

	memset(&n, 0, sizeof(n));
	if (strcmp(path, "/") == 0) {
		node_dir(&n, 0, 0700);
		if ((r = list_put(b, count, "inbox", &n)) != 0 || !is_operator(c))
			return r;
		return list_put(b, count, "stage", &n);
	}
	if (strcmp(path, "/inbox") == 0)
		return list_inbox(e, c, b, count);
	if ((r = vfs_staff(e, c, path, &n)) != 0 || n.type != VNODE_DIR)
		return r != 0 ? r : SLUICE_ENOTFOUND;
	if (strcmp(path, "/stage") == 0)
		return list_stage(e, b, count);
	return 0;	/* /stage/NIC: write-only */
}

/* ---- request handlers: STAT, READDIR ----------------------------------- */

/* The request's one argument: an absolute path. */
static int
get_path(struct sbuf *req, char **path)
{
	if (sbuf_get_cstring(req, path, 2048) != 0)
		return SLUICE_EPROTO;
	if ((*path)[0] != '/' || sbuf_len(req) != 0) {
		free(*path);
		*path = NULL;
		return SLUICE_EPROTO;
	}
	return 0;
}

static uint32_t
status_of(int r)
{
	switch (r) {
	case 0:			return FX_OK;
	case SLUICE_ENOTFOUND:	return FX_NO_SUCH_FILE;
	case SLUICE_EDENIED:	return FX_PERMISSION_DENIED;
	default:		return FX_FAILURE;
	}
}

static const char *
status_text(int r, const char *why)
{
	if (why != NULL && why[0] != '\0')
		return why;
	switch (r) {
	case 0:			return "";
	case SLUICE_ENOTFOUND:	return "no such file";
	case SLUICE_EDENIED:	return "permission denied";
	default:		return "failure";
	}
}

/* A staff path whose name is outside the safe set: refused, saying why,
 * rather than "no such file". */
static int
name_refused(const char *path, char *why, size_t whylen)
{
	const char *base = strrchr(path, '/');
	char nwhy[200];

	(void)name_check(base != NULL ? base + 1 : path, STORE_NAME_MAX - 1,
	    nwhy, sizeof(nwhy));
	(void)snprintf(why, whylen, "%s name refused: %s",
	    strncmp(path, "/stage/", 7) == 0 ? "extract" : "inbox file", nwhy);
	return SLUICE_EDENIED;
}

int
vfs_resolve(struct engine *e, struct conn *c, const char *path,
    struct vnode *n, struct sbuf *content, char *why, size_t whylen)
{
	int r;

	if (c->who.kind != IDENTITY_STAFF)
		return vfs_recipient(e, c, path, n, content, why, whylen);
	if ((r = vfs_staff(e, c, path, n)) == 0 && n->type == VNODE_ABSENT)
		r = SLUICE_ENOTFOUND;
	if (r == SLUICE_EFORMAT)
		r = name_refused(path, why, whylen);
	return r;
}

int
eng_stat(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct vnode n;
	char *path = NULL, why[256] = "";
	int r, v;

	(void)fd;
	if ((r = get_path(req, &path)) != 0)
		return r;
	if (c->refused[0] != '\0')
		v = sluice_why(why, sizeof(why), SLUICE_EDENIED, "%s",
		    conn_refusal(e, c, "stat", path));
	else
		v = vfs_resolve(e, c, path, &n, NULL, why, sizeof(why));
	if (v == 0 && n.kind == OPEN_CERT_UPLOAD)
		v = SLUICE_ENOTFOUND;	/* uploads are write-only */
	if ((r = put_status(rep, status_of(v), status_text(v, why))) == 0) {
		if (v != 0)
			memset(&n, 0, sizeof(n));
		r = put_attrs(rep, &n);
	}
	free(path);
	return r;
}

/* The READDIR reply: the status, then the entries when v is 0. */
static int
readdir_reply(struct sbuf *rep, int v, const char *why,
    const struct sbuf *entries, uint32_t count)
{
	int r;

	if (v == SLUICE_EINVAL)
		v = SLUICE_ENOTFOUND;
	if ((r = put_status(rep, status_of(v), status_text(v, why))) != 0)
		return r;
	if (v != 0)
		count = 0;
	if ((r = sbuf_put_u32(rep, count)) == 0 && count > 0)
		r = sbuf_put(rep, sbuf_ptr(entries), sbuf_len(entries));
	return r;
}

int
eng_readdir(struct engine *e, struct conn *c, struct sbuf *req,
    struct sbuf *rep, int *fd)
{
	struct sbuf *entries = NULL;
	char *path = NULL, why[256] = "";
	uint32_t count = 0;
	int r, v;

	(void)fd;
	if ((r = get_path(req, &path)) != 0)
		return r;
	if ((entries = sbuf_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if (c->refused[0] != '\0')
		v = sluice_why(why, sizeof(why), SLUICE_EDENIED, "%s",
		    conn_refusal(e, c, "list", path));
	else if (c->who.kind == IDENTITY_STAFF)
		v = list_staff(e, c, path, entries, &count);
	else
		v = list_recipient(e, c, path, entries, &count, why, sizeof(why));
	r = readdir_reply(rep, v, why, entries, count);
out:
	sbuf_free(entries);
	free(path);
	return r;
}
