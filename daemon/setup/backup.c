/*
 * `sluiced backup` and `sluiced restore` (backup.h; docs/design.md section 6).
 *
 * A backup holds the store (SQLite's online backup API: the daemon may run),
 * the data directory's keys and configuration, and the list of payloads with
 * their sizes and SHA-256 digests. Payloads are large, encrypted and never
 * change once written, so they are copied beside the backup (rsync, a
 * snapshot) rather than into it; a restore copies them from there and checks
 * each against the backup's list.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "payloads/payloads.h"
#include "setup/backup.h"
#include "setup/init.h"
#include "setup/setup_fail.h"
#include "sluice/config.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "store/store.h"

#define BACKUP_FILE_MAX	(1024 * 1024)	/* a key or configuration file */

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* ---- backup -------------------------------------------------------------- */

/* One key or configuration file into the backup, under its base name. */
static int
add_file(struct backup *b, const char *path, char *why, size_t whylen)
{
	struct sbuf *data;
	struct stat sb;
	int r;

	if ((data = sbuf_new()) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if (stat(path, &sb) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
		    strerror(errno));
	else if ((r = files_read(path, BACKUP_FILE_MAX, data)) != 0 ||
	    (r = backup_add_file(b, base_name(path), (int)(sb.st_mode & 0777),
	    sbuf_ptr(data), sbuf_len(data))) != 0)
		sluice_why(why, whylen, r, "%s: %s", path, sluice_strerror(r));
	sbuf_free(data);
	return r;
}

static int
add_files(struct backup *b, const struct sluice_config *cfg, char *why,
    size_t whylen)
{
	char conf[CONFIG_PATH_MAX + 16], hostpub[CONFIG_PATH_MAX + 8];
	const char *paths[] = { conf, cfg->policy_file, cfg->host_key, hostpub,
	    cfg->master_key, cfg->release_key, cfg->release_pub };
	size_t i;
	int r = 0;

	(void)snprintf(conf, sizeof(conf), "%s/%s", cfg->dir, "sluiced.conf");
	if (config_host_pub(cfg, hostpub, sizeof(hostpub)) != 0)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "%s.pub: path too long", cfg->host_key);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && r == 0; i++)
		r = add_file(b, paths[i], why, whylen);
	/* the audit key, once a daemon that has one has run */
	if (r == 0 && access(cfg->audit_key, F_OK) == 0)
		r = add_file(b, cfg->audit_key, why, whylen);
	return r;
}

/* Size and SHA-256 (hex) of everything in reads, written on to out too
 * unless out is -1. */
static int
digest_copy(int in, int out, uint64_t *size, char hex[65])
{
	crypto_hash_sha256_state st;
	uint8_t buf[65536], md[32];
	ssize_t n;

	*size = 0;
	crypto_hash_sha256_init(&st);
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (out != -1 && files_write_all(out, buf,
		    (size_t)n) != 0))
			return SLUICE_EIO;
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(hex, 65, md, sizeof(md));
	return 0;
}

struct payload_walk {
	const char	*dir;
	struct backup	*b;
	size_t		 n;
};

static int
list_payload(void *arg, const char *name, int committed)
{
	struct payload_walk *w = arg;
	char hex[65];
	uint64_t size;
	int fd, r;

	if (!committed)
		return 0;
	if ((r = payloads_open(w->dir, name, &fd)) != 0)
		return r;
	r = digest_copy(fd, -1, &size, hex);
	(void)close(fd);
	if (r == 0 && (r = backup_add_payload(w->b, name, size, hex)) == 0)
		w->n++;
	return r;
}

static int
backup_write(const struct sluice_config *cfg, const char *out, size_t *np)
{
	struct payload_walk w = { cfg->dir, NULL, 0 };
	struct store *st = NULL;
	char why[1024] = "";
	int r;

	if ((r = store_open_readonly(cfg->store_path, &st, why,
	    sizeof(why))) == 0 &&
	    (r = backup_create(st, out, &w.b, why, sizeof(why))) == 0) {
		if ((r = add_files(w.b, cfg, why, sizeof(why))) == 0 &&
		    (r = payloads_list(cfg->dir, list_payload, &w)) != 0)
			sluice_why(why, sizeof(why), r, "payloads: %s",
			    sluice_strerror(r));
		if (r == 0)
			r = backup_finish(w.b, why, sizeof(why));
		else
			backup_close(w.b);
		if (r != 0)
			(void)unlink(out);
	}
	store_close(st);
	*np = w.n;
	return r == 0 ? 0 : setup_fail("backup", "%s", why);
}

int
backup_run(const char *dir, const char *out)
{
	struct sluice_config cfg;
	char why[1024] = "";
	size_t n = 0;

	if (out == NULL)
		return setup_fail("backup", "give --out FILE (a new file)") + 1;
	if (config_load(dir, &cfg, why, sizeof(why)) != 0)
		return setup_fail("backup", "%s", why);
	if (backup_write(&cfg, out, &n) != 0)
		return 1;
	printf("backup %s: the store, keys and configuration of %s, and %zu "
	    "payload%s listed with their digests (copy %s/payloads beside it)\n",
	    out, dir, n, n == 1 ? "" : "s", dir);
	return 0;
}

/* ---- restore ------------------------------------------------------------- */

static int
restore_file(void *arg, const char *name, int mode, const uint8_t *data,
    size_t len)
{
	const char *dir = arg;
	char path[CONFIG_PATH_MAX];
	int n;

	if (name == NULL || strchr(name, '/') != NULL || name[0] == '.' ||
	    strcmp(name, "sluice.db") == 0)
		return SLUICE_EFORMAT;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return SLUICE_ETOOBIG;
	return files_write_new(path, data, len, (unsigned)mode & 0600);
}

/* Copies from's payload id into the new area, checking size and digest. */
static int
copy_payload(const char *from, const char *dir, const char *id,
    uint64_t size, const char *sha256)
{
	struct payload_new *pn = NULL;
	char hex[65];
	uint64_t got;
	int in = -1, out, r;

	if ((r = payloads_open(from, id, &in)) != 0 ||
	    (r = payloads_create(dir, &pn, &out, NULL, 0)) != 0 ||
	    (r = digest_copy(in, out, &got, hex)) != 0)
		goto out;
	if (got != size || strcmp(hex, sha256) != 0) {
		r = SLUICE_EVERIFY;
		goto out;
	}
	r = payloads_commit(pn, id, NULL, 0);
	pn = NULL;
out:
	payloads_abandon(pn);
	if (in != -1)
		(void)close(in);
	return r;
}

/* The restored log anchored anew: its signed head, with the restored audit
 * key (one made if the backup had none). */
static int
restore_anchor(const char *dir, const char *db)
{
	struct sluice_config cfg;
	char why[1024] = "";

	if (config_load(dir, &cfg, why, sizeof(why)) != 0 ||
	    init_anchor(dir, cfg.audit_key, db, why, sizeof(why)) != 0)
		return setup_fail("restore", "the audit log's signed head: %s", why);
	return 0;
}

struct restore_job {
	const char	*from;		/* the backup file */
	const char	*payloads;	/* the data directory to copy from */
	const char	*dir;		/* the new data directory */
};

struct payload_copy {
	const struct restore_job *j;
	size_t			 n;
};

static int
restore_one_payload(void *arg, const char *id, uint64_t size,
    const char *sha256)
{
	struct payload_copy *c = arg;
	int r;

	if ((r = copy_payload(c->j->payloads, c->j->dir, id, size,
	    sha256)) != 0)
		return setup_fail("restore", "payload %s from %s: %s", id,
		    c->j->payloads, r == SLUICE_EVERIFY ? "size or digest "
		    "differs from the backup's list" : sluice_strerror(r));
	c->n++;
	return 0;
}

static int
restore_into(const struct restore_job *j, struct backup *b, size_t *np)
{
	struct payload_copy c = { j, 0 };
	char db[CONFIG_PATH_MAX], why[1024] = "";
	int r;

	if (init_subdirs(j->dir) != 0)
		return 1;
	if ((r = backup_each_file(b, restore_file, (void *)j->dir)) != 0)
		return setup_fail("restore", "%s: the backup's files: %s", j->from,
		    sluice_strerror(r));
	(void)snprintf(db, sizeof(db), "%s/sluice.db", j->dir);
	if (backup_restore_store(b, db, why, sizeof(why)) != 0)
		return setup_fail("restore", "the store: %s", why);
	if (restore_anchor(j->dir, db) != 0)
		return 1;
	if (backup_each_payload(b, restore_one_payload, &c) != 0)
		return 1;
	*np = c.n;
	return files_sync_dir(j->dir) == 0 ? 0 :
	    setup_fail("restore", "%s: cannot sync", j->dir);
}

int
restore_run(const char *from, const char *payloads, const char *dir)
{
	struct restore_job j = { from, payloads, dir };
	struct backup *b = NULL;
	char why[1024] = "";
	size_t n = 0;
	int r;

	if (from == NULL || payloads == NULL)
		return setup_fail("restore", "give --from FILE and --payloads DIR (the "
		    "data directory, or a copy of it, that holds payloads/)") + 1;
	if (mkdir(dir, 0700) != 0)
		return setup_fail("restore", "%s: %s (restore makes a new data "
		    "directory)", dir, strerror(errno));
	if (backup_open(from, &b, why, sizeof(why)) != 0)
		r = setup_fail("restore", "%s", why);
	else
		r = restore_into(&j, b, &n);
	backup_close(b);
	if (r != 0) {
		/* All or nothing: the new directory goes again. */
		init_remove_tree(dir);
		return 1;
	}
	printf("restored %s into %s: the store, keys and configuration, and "
	    "%zu payload%s checked against the backup's digests\n", from, dir,
	    n, n == 1 ? "" : "s");
	return 0;
}
