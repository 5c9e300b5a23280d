/*
 * Key rotation (rotate.h; docs/design.md section 6).
 *
 * Both rotations run with the daemon stopped (the data directory's lock
 * says so) and in the same three steps, so a crash at any point leaves one
 * key in force and nothing lost:
 *   1. the new key is written beside the old one as KEY.new (fsync);
 *   2. one store transaction makes the change that needs it (the master
 *      key: every extract's file key wrapped again) and the audit entry
 *      "... key rotate" naming the new key's id: the commit point;
 *   3. KEY.new is renamed over KEY.
 * rotate_recover() finishes step 3 when the audit has the new key's entry
 * and removes KEY.new otherwise; the daemon runs it before it starts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/audit.h"
#include "engine/extract.h"
#include "engine/inbox.h"
#include "setup/rotate.h"
#include "setup/setup_fail.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/minisign.h"
#include "store/store.h"

#define KEYID_LEN	16	/* hex digits of a master key's id */
#define MASTER_ACTION	"master key rotate"
#define RELEASE_ACTION	"release key rotate"

struct rot {
	const struct sluice_config *cfg;
	struct store	*st;
	char		 why[1024];
};

static int
new_name(char *out, size_t outlen, const char *path)
{
	int n = snprintf(out, outlen, "%s.new", path);

	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

/* A master key's public id: the start of SHA-256 over a label and it. */
static void
master_id(const uint8_t key[32], char id[KEYID_LEN + 1])
{
	crypto_hash_sha256_state st;
	static const char label[] = "sluice-master-key-id-v1";
	uint8_t md[32];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)label, sizeof(label));
	crypto_hash_sha256_update(&st, key, 32);
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(id, KEYID_LEN + 1, md, KEYID_LEN / 2);
}

/* ---- the audit's word on a rotation -------------------------------------- */

struct audit_find {
	const char	*action;
	char		 want[64];
	int		 found;
};

static int
audit_names(void *arg, const struct audit_entry *e)
{
	struct audit_find *f = arg;

	if (strcmp(e->action, f->action) == 0 &&
	    strstr(e->details, f->want) != NULL)
		f->found = 1;
	return 0;
}

/* Whether the audit records the rotation to the key with id newid. */
static int
rotation_committed(struct store *st, const char *action, const char *newid,
    int *yes)
{
	struct audit_find f;
	int r;

	memset(&f, 0, sizeof(f));
	f.action = action;
	(void)snprintf(f.want, sizeof(f.want), "-> %s", newid);
	r = store_audit_each(st, 0, audit_names, &f);
	*yes = f.found;
	return r;
}

/* Step 3 for path (and a second file, the public key, when pair != NULL),
 * or its undoing. */
static int
finish_or_undo(const char *path, const char *pair, int committed)
{
	char n1[CONFIG_PATH_MAX + 8], n2[CONFIG_PATH_MAX + 8];
	const char *dir_end;
	char dir[CONFIG_PATH_MAX];

	if (new_name(n1, sizeof(n1), path) != 0 ||
	    (pair != NULL && new_name(n2, sizeof(n2), pair) != 0))
		return SLUICE_ETOOBIG;
	if (!committed) {
		(void)unlink(n1);
		if (pair != NULL)
			(void)unlink(n2);
		return 0;
	}
	if ((pair != NULL && access(n2, F_OK) == 0 && rename(n2, pair) != 0) ||
	    rename(n1, path) != 0)
		return SLUICE_EIO;
	dir_end = strrchr(path, '/');
	(void)snprintf(dir, sizeof(dir), "%.*s", dir_end != NULL ?
	    (int)(dir_end - path) : 1, dir_end != NULL ? path : ".");
	return files_sync_dir(dir) == 0 ? 0 : SLUICE_EIO;
}

/* ---- recovery ------------------------------------------------------------ */

static int
pending_master_id(const struct sluice_config *cfg, char id[KEYID_LEN + 1])
{
	char path[CONFIG_PATH_MAX + 8];
	uint8_t key[32];
	int r;

	if ((r = new_name(path, sizeof(path), cfg->master_key)) != 0)
		return r;
	if (access(path, F_OK) != 0)
		return SLUICE_ENOTFOUND;
	r = files_read_secret(path, key, sizeof(key));
	if (r == 0)
		master_id(key, id);
	sodium_memzero(key, sizeof(key));
	return r;
}

static int
pending_release_id(const struct sluice_config *cfg, char id[17])
{
	struct minisign_key *k = NULL;
	struct minisign_pubkey pub;
	char path[CONFIG_PATH_MAX + 8];
	struct sbuf *text;
	int r;

	if ((r = new_name(path, sizeof(path), cfg->release_key)) != 0)
		return r;
	if (access(path, F_OK) != 0)
		return SLUICE_ENOTFOUND;
	if ((text = sbuf_new_secret()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read(path, 64 * 1024, text)) == 0 &&
	    (r = minisign_key_load((const char *)sbuf_ptr(text),
	    sbuf_len(text), &k, NULL, 0)) == 0) {
		minisign_key_public(k, &pub);
		minisign_keyid_hex(pub.keyid, id);
	}
	minisign_key_free(k);
	sbuf_free(text);
	return r;
}

/* One key's pending rotation finished or undone; *what says which. */
static int
recover_one(struct store *st, const char *action, const char *newid,
    const char *path, const char *pair, const char **what)
{
	int committed, r;

	if ((r = rotation_committed(st, action, newid, &committed)) != 0 ||
	    (r = finish_or_undo(path, pair, committed)) != 0)
		return r;
	*what = committed ? "finished" : "undone";
	return 0;
}

int
rotate_recover(const struct sluice_config *cfg, char *why, size_t whylen)
{
	struct store *st = NULL;
	const char *what = NULL;
	char mid[KEYID_LEN + 1], rid[17];
	int m, rl, r = 0;

	m = pending_master_id(cfg, mid);
	rl = pending_release_id(cfg, rid);
	if (m == SLUICE_ENOTFOUND && rl == SLUICE_ENOTFOUND)
		return 0;
	if ((r = store_open_readonly(cfg->store_path, &st, why, whylen)) != 0)
		return r;
	if (m == 0 && (r = recover_one(st, MASTER_ACTION, mid, cfg->master_key,
	    NULL, &what)) == 0)
		fprintf(stderr, "sluiced: an interrupted master-key rotation "
		    "was %s\n", what);
	if (r == 0 && rl == 0 && (r = recover_one(st, RELEASE_ACTION, rid,
	    cfg->release_key, cfg->release_pub, &what)) == 0)
		fprintf(stderr, "sluiced: an interrupted release-key rotation "
		    "was %s\n", what);
	store_close(st);
	if (r == 0 && ((m != 0 && m != SLUICE_ENOTFOUND) ||
	    (rl != 0 && rl != SLUICE_ENOTFOUND)))
		r = m != 0 && m != SLUICE_ENOTFOUND ? m : rl;
	if (r != 0)
		sluice_why(why, whylen, r, "an interrupted key rotation could "
		    "not be resolved: %s", sluice_strerror(r));
	return r;
}

/* ---- the master key ------------------------------------------------------ */

struct rewrap {
	const uint8_t	*old_key;
	const uint8_t	*new_key;
	size_t		 n;
};

static int
rewrap_all(struct store *st, const struct rewrap *w, size_t *n)
{
	struct extract_list l = { NULL, 0 };
	uint8_t out[PACKAGE_WRAPPED_LEN];
	size_t i, outlen, inbox;
	int r;

	/* the inbox files' keys too (engine/inbox.h); *n counts extracts */
	*n = 0;
	if ((r = inbox_rewrap_all(st, w->old_key, w->new_key, &inbox)) != 0 ||
	    (r = extract_list(st, NULL, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++) {
		if ((r = package_rewrap(w->old_key, w->new_key, l.v[i].id,
		    l.v[i].wrapped_key, l.v[i].wrapped_len, out,
		    &outlen)) == 0 &&
		    (r = extract_set_wrapped(st, l.v[i].id, out, outlen)) == 0)
			(*n)++;
	}
	sodium_memzero(out, sizeof(out));
	extract_list_free(&l);
	return r;
}

/* Step 2 for the master key: every file key wrapped again, and audited. */
static int
master_commit(struct rot *t, const struct rewrap *w, size_t *n)
{
	char details[160], oldid[KEYID_LEN + 1], newid[KEYID_LEN + 1];
	int r;

	master_id(w->old_key, oldid);
	master_id(w->new_key, newid);
	if ((r = store_begin(t->st)) != 0)
		return r;
	if ((r = rewrap_all(t->st, w, n)) == 0) {
		(void)snprintf(details, sizeof(details), "key %s -> %s; %zu file "
		    "keys wrapped again, payloads untouched", oldid, newid, *n);
		r = audit_append(t->st, "sluiced", MASTER_ACTION, "master.key",
		    "ok", details, NULL);
	}
	if (r == 0 && (r = store_commit(t->st)) == 0)
		return 0;
	store_rollback(t->st);
	return r;
}

static int
master_rotate(struct rot *t, size_t *n)
{
	uint8_t *keys;
	char path[CONFIG_PATH_MAX + 8];
	struct rewrap w;
	int r;

	if ((keys = sodium_malloc(64)) == NULL)
		return SLUICE_ENOMEM;
	w.old_key = keys;
	w.new_key = keys + 32;
	randombytes_buf(keys + 32, 32);
	if ((r = files_read_secret(t->cfg->master_key, keys, 32)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "%s: cannot read the "
		    "master key", t->cfg->master_key);
	else if ((r = new_name(path, sizeof(path), t->cfg->master_key)) != 0 ||
	    (r = files_write_new(path, keys + 32, 32, 0600)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "%s: cannot write the "
		    "new master key", path);
	else if ((r = master_commit(t, &w, n)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "the store: %s (the old "
		    "key stays)", sluice_strerror(r));
	if (r == 0 && (r = finish_or_undo(t->cfg->master_key, NULL, 1)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "cannot put the new key "
		    "in place; run the command again to finish");
	else if (r != 0)
		(void)finish_or_undo(t->cfg->master_key, NULL, 0);
	sodium_free(keys);
	return r;
}

/* ---- the release key ----------------------------------------------------- */

static int
key_id(const struct sbuf *sec, char id[17])
{
	struct minisign_key *k = NULL;
	struct minisign_pubkey pub;
	int r;

	if ((r = minisign_key_load((const char *)sbuf_ptr(sec), sbuf_len(sec),
	    &k, NULL, 0)) == 0) {
		minisign_key_public(k, &pub);
		minisign_keyid_hex(pub.keyid, id);
	}
	minisign_key_free(k);
	return r;
}

/* The new public key file: its comment says which key it replaces, and
 * from when. */
static int
announced_pub(const struct sbuf *pub, const char *oldid, const char *newid,
    struct sbuf *out)
{
	const char *p = (const char *)sbuf_ptr(pub);
	const char *nl = memchr(p, '\n', sbuf_len(pub));
	char day[16];

	if (nl == NULL || sluice_date_format(sluice_day_of(sluice_now()), day,
	    sizeof(day)) != 0)
		return SLUICE_EFORMAT;
	if (sbuf_putf(out, "untrusted comment: sluice release key %s from %s; "
	    "replaces %s, which signs nothing after %s\n", newid, day, oldid,
	    day) != 0)
		return SLUICE_ENOMEM;
	return sbuf_put(out, nl + 1, sbuf_len(pub) - (size_t)(nl + 1 - p));
}

static int
release_files(const struct sluice_config *cfg, const struct sbuf *sec,
    const struct sbuf *pub)
{
	char k[CONFIG_PATH_MAX + 8], p[CONFIG_PATH_MAX + 8];
	int r;

	if ((r = new_name(k, sizeof(k), cfg->release_key)) != 0 ||
	    (r = new_name(p, sizeof(p), cfg->release_pub)) != 0)
		return r;
	if ((r = files_write_new(k, sbuf_ptr(sec), sbuf_len(sec), 0600)) == 0 &&
	    (r = files_write_new(p, sbuf_ptr(pub), sbuf_len(pub), 0644)) != 0)
		(void)unlink(k);
	return r;
}

static int
release_commit(struct rot *t, const char *oldid, const char *newid)
{
	char details[128];
	int r;

	(void)snprintf(details, sizeof(details), "key %s -> %s; release.pub "
	    "announces the change", oldid, newid);
	if ((r = store_begin(t->st)) != 0)
		return r;
	if ((r = audit_append(t->st, "sluiced", RELEASE_ACTION, "release.key",
	    "ok", details, NULL)) == 0 && (r = store_commit(t->st)) == 0)
		return 0;
	store_rollback(t->st);
	return r;
}

static int
release_make(struct rot *t, struct sbuf *sec, struct sbuf *pub,
    char oldid[17], char newid[17])
{
	struct sbuf *old = sbuf_new_secret(), *raw = sbuf_new();
	int r;

	if (old == NULL || raw == NULL)
		r = SLUICE_ENOMEM;
	else if ((r = files_read(t->cfg->release_key, 64 * 1024, old)) != 0 ||
	    (r = key_id(old, oldid)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "%s: cannot read the "
		    "release key", t->cfg->release_key);
	else if ((r = minisign_keygen(raw, sec)) != 0 ||
	    (r = key_id(sec, newid)) != 0 ||
	    (r = announced_pub(raw, oldid, newid, pub)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "cannot make a new key");
	sbuf_free(old);
	sbuf_free(raw);
	return r;
}

static int
release_rotate(struct rot *t, char oldid[17], char newid[17])
{
	struct sbuf *sec = sbuf_new_secret(), *pub = sbuf_new();
	int r;

	if (sec == NULL || pub == NULL)
		r = SLUICE_ENOMEM;
	else if ((r = release_make(t, sec, pub, oldid, newid)) != 0)
		;
	else if ((r = release_files(t->cfg, sec, pub)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "cannot write the new "
		    "release key");
	else if ((r = release_commit(t, oldid, newid)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "the store: %s (the old "
		    "key stays)", sluice_strerror(r));
	if (r == 0 && (r = finish_or_undo(t->cfg->release_key,
	    t->cfg->release_pub, 1)) != 0)
		sluice_why(t->why, sizeof(t->why), r, "cannot put the new key "
		    "in place; run the command again to finish");
	else if (r != 0)
		(void)finish_or_undo(t->cfg->release_key, t->cfg->release_pub, 0);
	sbuf_free(sec);
	sbuf_free(pub);
	return r;
}

/* ---- the commands -------------------------------------------------------- */

/* The daemon stopped (its lock free), a pending rotation resolved, the
 * store open for writing. */
static int
rot_open(struct rot *t, const char *cmd, const char *dir,
    struct sluice_config *cfg, int *lock)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	if (config_load(dir, cfg, t->why, sizeof(t->why)) != 0 ||
	    datadir_lock(dir, lock, t->why, sizeof(t->why)) != 0 ||
	    rotate_recover(cfg, t->why, sizeof(t->why)) != 0 ||
	    store_open(cfg->store_path, &t->st, t->why, sizeof(t->why)) != 0)
		return setup_fail(cmd, "%s", t->why);
	return 0;
}

int
rotate_master_run(const char *dir)
{
	struct sluice_config cfg;
	struct rot t;
	size_t n = 0;
	int lock = -1, r;

	if ((r = rot_open(&t, "rotate-master-key", dir, &cfg, &lock)) == 0 &&
	    (r = master_rotate(&t, &n)) != 0)
		r = setup_fail("rotate-master-key", "%s", t.why);
	store_close(t.st);
	datadir_unlock(lock);
	if (r != 0)
		return 1;
	printf("master key rotated: %zu file key%s wrapped again, payloads "
	    "untouched; audited\n", n, n == 1 ? "" : "s");
	return 0;
}

int
rotate_release_run(const char *dir)
{
	struct sluice_config cfg;
	struct rot t;
	char oldid[17] = "", newid[17] = "";
	int lock = -1, r;

	if ((r = rot_open(&t, "rotate-release-key", dir, &cfg, &lock)) == 0 &&
	    (r = release_rotate(&t, oldid, newid)) != 0)
		r = setup_fail("rotate-release-key", "%s", t.why);
	store_close(t.st);
	datadir_unlock(lock);
	if (r != 0)
		return 1;
	printf("release key rotated: %s replaces %s; %s announces it; every "
	    "SHA256SUMS is now signed by the new key; audited\n", newid, oldid,
	    cfg.release_pub);
	return 0;
}
