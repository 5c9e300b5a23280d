/*
 * init.c: `sluiced init` (docs/design.md section 6), all or nothing.
 *
 * The inputs (admin name, admin key, target) are checked before anything is
 * made. The data directory is then built whole in a staging directory on the
 * same file system: a sibling of DIR when DIR does not exist (renamed into
 * place), or inside DIR when DIR is an empty directory (its entries moved up,
 * so DIR keeps its owner and its mount). On any failure the staging directory
 * is removed and DIR is as it was found; one line on stderr says why and
 * nothing is printed on stdout. Only a finished directory is described.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <sodium.h>

#include "engine/audit.h"
#include "engine/audit_anchor.h"
#include "payloads/payloads.h"
#include "setup/init.h"
#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/minisign.h"
#include "sluice/sshkey.h"
#include "store/store.h"

#define ADMIN_KEY_MAX	16384	/* a longer "public key" file is refused */
#define STAGING_TAG	".init-XXXXXX"

struct init_job {
	const char	*dir;		/* DIR as given, for reasons */
	const char	*admin;
	const char	*admin_key_path;
	int		 port;
	const char	*listen;
	char		 target[CONFIG_PATH_MAX];	/* DIR, no trailing '/' */
	int		 existed;	/* DIR was an empty directory */
	mode_t		 old_mode;	/* and its mode, restored on failure */
	char		 staging[CONFIG_PATH_MAX];
	struct sshkey_pub *key;
	char		 fp[SSHKEY_FP_SIZE];
	struct sluice_config cfg;	/* as loaded from the staging directory */
	struct sluice_config shown;	/* the same paths under DIR */
};

static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sluiced: init: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* dir/name into out; -1 if it does not fit. */
static int
join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int
not_dots(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

static void empty_dir(const char *);

/* Removes path and everything under it; symbolic links are not followed. */
void
init_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		empty_dir(path);
		(void)rmdir(path);
	} else
		(void)unlink(path);
}

/* Removes everything in dir, but not dir. */
static void
empty_dir(const char *dir)
{
	struct dirent **names = NULL;
	char sub[CONFIG_PATH_MAX];
	int i, n;

	if ((n = scandir(dir, &names, not_dots, NULL)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (join(sub, sizeof(sub), dir, names[i]->d_name) == 0)
			init_remove_tree(sub);
		free(names[i]);
	}
	free(names);
}

/*
 * Renames every entry of from, except one named skip, into to (the same file
 * system). 0, or the errno of the first failure; entries already moved stay.
 */
static int
move_entries(const char *from, const char *to, const char *skip)
{
	struct dirent **names = NULL;
	char a[CONFIG_PATH_MAX], b[CONFIG_PATH_MAX];
	int i, n, err = 0;

	if ((n = scandir(from, &names, not_dots, NULL)) < 0)
		return errno;
	for (i = 0; i < n; i++) {
		if (err == 0 && (skip == NULL || strcmp(names[i]->d_name, skip) != 0)) {
			if (join(a, sizeof(a), from, names[i]->d_name) != 0 ||
			    join(b, sizeof(b), to, names[i]->d_name) != 0)
				err = ENAMETOOLONG;
			else if (rename(a, b) != 0)
				err = errno;
		}
		free(names[i]);
	}
	free(names);
	return err;
}

static int
check_admin(const struct init_job *j)
{
	char why[256] = "";

	if (name_check(j->admin, STORE_NAME_MAX - 1, why, sizeof(why)) != 0)
		return fail("--admin: %s", why);
	return 0;
}

/* The key file whole into b, NUL-terminated. */
static int
read_key_file(const char *path, struct sbuf *b)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return fail("--admin-key %s: %s", path, strerror(errno));
	if ((r = files_read_fd(fd, ADMIN_KEY_MAX, b)) == 0)
		r = sbuf_put_u8(b, 0);
	close(fd);
	if (r != 0)
		return fail("--admin-key %s: cannot read it: %s", path,
		    sluice_strerror(r));
	return 0;
}

/* A PEM or OpenSSH private key, given where its public half belongs. */
static int
is_private_key(const char *text)
{
	return strncmp(text, "-----BEGIN ", 11) == 0 &&
	    strstr(text, "PRIVATE KEY-----") != NULL;
}

/* The admin's public key, acceptable, and its fingerprint. */
static int
check_admin_key(struct init_job *j)
{
	const char *path = j->admin_key_path, *text;
	struct sbuf *b;
	char why[256] = "";
	int r = 1;

	/* Secret: the file may turn out to be a private key. */
	if ((b = sbuf_new_secret()) == NULL)
		return fail("out of memory");
	if (read_key_file(path, b) != 0)
		goto out;
	text = (const char *)sbuf_ptr(b);
	if (is_private_key(text))
		fail("--admin-key %s: this is a private key; give the public "
		    "key (the .pub file)", path);
	else if (sshkey_pub_parse(text, &j->key, why, sizeof(why)) != 0 ||
	    sshkey_acceptable(j->key, why, sizeof(why)) != 0 ||
	    sshkey_fingerprint(j->key->blob, j->key->bloblen, j->fp) != 0)
		fail("--admin-key %s: %s", path, why[0] ? why : "not usable");
	else
		r = 0;
out:
	sbuf_free(b);
	return r;
}

/* 0 if dir holds nothing. */
static int
check_empty(const char *dir)
{
	struct dirent **names = NULL;
	int i, n;

	if ((n = scandir(dir, &names, not_dots, NULL)) < 0)
		return fail("%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (n > 0)
		return fail("%s: directory is not empty; refusing to overwrite it",
		    dir);
	return 0;
}

/* DIR must be absent or an empty directory; j->existed says which. */
static int
check_target(struct init_job *j)
{
	struct stat st;
	size_t n;

	n = strlen(j->dir);
	if (n == 0 || n >= sizeof(j->target))
		return fail("-d: the directory's name is empty or too long");
	memcpy(j->target, j->dir, n + 1);
	while (n > 1 && j->target[n - 1] == '/')
		j->target[--n] = '\0';
	if (stat(j->target, &st) != 0) {
		if (errno != ENOENT)
			return fail("%s: %s", j->dir, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return fail("%s: exists and is not a directory", j->dir);
	j->existed = 1;
	j->old_mode = st.st_mode & 07777;
	return check_empty(j->target);
}

/*
 * The staging directory: DIR/.init-XXXXXX inside an empty DIR, else the
 * sibling PARENT/.BASE.init-XXXXXX.
 */
static int
make_staging(struct init_job *j)
{
	const char *slash = strrchr(j->target, '/');
	int base = slash == NULL ? 0 : (int)(slash - j->target) + 1, n;

	if (j->existed)
		n = snprintf(j->staging, sizeof(j->staging), "%s/%s",
		    j->target, STAGING_TAG);
	else
		n = snprintf(j->staging, sizeof(j->staging), "%.*s.%s%s",
		    base, j->target, j->target + base, STAGING_TAG);
	if (n < 0 || (size_t)n >= sizeof(j->staging))
		return fail("%s: the directory's name is too long", j->dir);
	if (mkdtemp(j->staging) == NULL) {
		j->staging[0] = '\0';
		return fail("%s: cannot create %s: %s", j->dir, j->existed ?
		    "files in it" : "it", strerror(errno));
	}
	return 0;
}

/* The empty directory sessions are confined to ([sandbox] chroot): 0755,
 * whatever the umask, and its owner's (root's, in service). */
static int
sandbox_dir(const char *dir)
{
	char path[CONFIG_PATH_MAX];

	if (join(path, sizeof(path), dir, CONFIG_SANDBOX_DIR) != 0 ||
	    mkdir(path, 0755) != 0 || chmod(path, 0755) != 0)
		return fail("cannot create %s/: %s", CONFIG_SANDBOX_DIR,
		    strerror(errno));
	return 0;
}

int
init_subdirs(const char *dir)
{
	static const char *names[] = { "inbox", "uploads", "mail",
	    "mail/tmp", "mail/new", "mail/cur" };
	char path[CONFIG_PATH_MAX], why[512];
	size_t i;

	if (payloads_setup(dir, why, sizeof(why)) != 0)
		return fail("the payload area: %s", why);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (join(path, sizeof(path), dir, names[i]) != 0 ||
		    mkdir(path, 0700) != 0)
			return fail("cannot create %s/: %s", names[i],
			    strerror(errno));
	return sandbox_dir(dir);
}

static int
host_key(const struct sluice_config *cfg)
{
	ssh_key key = NULL;
	char *b64 = NULL, pub[CONFIG_PATH_MAX + 8], line[4200];
	int r = 1;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, cfg->host_key) !=
	    SSH_OK || chmod(cfg->host_key, 0600) != 0 ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		fail("cannot generate the host key");
		goto out;
	}
	if (config_host_pub(cfg, pub, sizeof(pub)) != 0) {
		fail("host key path too long");
		goto out;
	}
	(void)snprintf(line, sizeof(line), "ssh-ed25519 %s sluiced\n", b64);
	if (files_write_new(pub, line, strlen(line), 0644) != 0) {
		fail("cannot write the host key's public half");
		goto out;
	}
	r = 0;
out:
	ssh_string_free_char(b64);
	ssh_key_free(key);
	return r;
}

static int
release_key(const struct sluice_config *cfg)
{
	struct sbuf *pub = sbuf_new(), *sec = sbuf_new_secret();
	int r = 1;

	if (pub == NULL || sec == NULL || minisign_keygen(pub, sec) != 0)
		fail("cannot generate the release key");
	else if (files_write_new(cfg->release_key, sbuf_ptr(sec), sbuf_len(sec),
	    0600) != 0 || files_write_new(cfg->release_pub, sbuf_ptr(pub),
	    sbuf_len(pub), 0644) != 0)
		fail("cannot write the release key");
	else
		r = 0;
	sbuf_free(pub);
	sbuf_free(sec);
	return r;
}

static int
master_key(const struct sluice_config *cfg)
{
	uint8_t key[32];
	int r;

	randombytes_buf(key, sizeof(key));
	r = files_write_new(cfg->master_key, key, sizeof(key), 0600);
	sodium_memzero(key, sizeof(key));
	if (r != 0)
		return fail("cannot write the master key");
	return 0;
}

/* The new store with the first admin, audited: one transaction. */
static int
admin_register(const struct init_job *j)
{
	struct store *st = NULL;
	struct store_key sk;
	char why[256] = "", email[STORE_TEXT_MAX];
	int r = 1;

	/* The first admin's address until `staff` commands change it. */
	(void)snprintf(email, sizeof(email), "%s@localhost", j->admin);
	memset(&sk, 0, sizeof(sk));
	(void)snprintf(sk.type, sizeof(sk.type), "%s",
	    sshkey_type_name(j->key->type));
	sk.blob = j->key->blob;
	sk.len = j->key->bloblen;
	(void)snprintf(sk.fingerprint, sizeof(sk.fingerprint), "%s", j->fp);
	if (store_open(j->cfg.store_path, &st, why, sizeof(why)) != 0) {
		fail("the store: %s", why);
		goto out;
	}
	if (store_begin(st) != 0 || staff_add(st, j->admin, email, &sk,
	    ROLE_ADMIN, NULL, why, sizeof(why)) != 0 || audit_append(st,
	    "sluiced", "init", j->admin, "ok",
	    "data directory created; first admin registered", NULL) != 0 ||
	    store_commit(st) != 0) {
		store_rollback(st);
		fail("first admin: %s", why[0] ? why : "store failure");
		goto out;
	}
	r = 0;
out:
	store_close(st);
	return r;
}

int
init_anchor(const char *dir, const char *key_path, const char *store_path,
    char *why, size_t whylen)
{
	struct audit_anchor *a = NULL;
	struct store *st = NULL;
	enum anchor_start how;
	int r;

	if ((r = store_open(store_path, &st, why, whylen)) == 0 &&
	    (r = audit_anchor_open(dir, key_path, st, &a, &how, why,
	    whylen)) == 0 && (r = audit_anchor_update(a, st)) != 0)
		sluice_why(why, whylen, r, "cannot write %s/%s", dir,
		    AUDIT_HEAD_FILE);
	audit_anchor_free(a);
	store_close(st);
	return r;
}

/* The audit key, and the signed head of the log admin_register() began. */
static int
audit_anchor_init(const struct init_job *j)
{
	char why[512] = "";

	if (audit_key_create(j->cfg.audit_key) != 0)
		return fail("cannot write the audit key");
	if (init_anchor(j->staging, j->cfg.audit_key, j->cfg.store_path, why,
	    sizeof(why)) != 0)
		return fail("the audit log's signed head: %s", why);
	return 0;
}

/* Every part of the data directory, in the staging directory. */
static int
build(struct init_job *j)
{
	char why[512] = "";

	if (config_write_defaults(j->staging, j->port, j->listen, why,
	    sizeof(why)) != 0 || config_load(j->staging, &j->cfg, why,
	    sizeof(why)) != 0)
		return fail("configuration: %s", why);
	if (init_subdirs(j->staging) != 0 || host_key(&j->cfg) != 0 ||
	    release_key(&j->cfg) != 0 || master_key(&j->cfg) != 0 ||
	    admin_register(j) != 0 || audit_anchor_init(j) != 0)
		return 1;
	if (files_sync_dir(j->staging) != 0)
		return fail("%s: cannot sync", j->dir);
	return 0;
}

/* The directory that holds DIR, into out. */
static void
parent_of(const char *target, char *out, size_t outlen)
{
	const char *slash = strrchr(target, '/');

	if (slash == NULL)
		(void)snprintf(out, outlen, ".");
	else if (slash == target)
		(void)snprintf(out, outlen, "/");
	else
		(void)snprintf(out, outlen, "%.*s", (int)(slash - target), target);
}

/* A new DIR: the staging directory renamed to it. */
static int
install_new(struct init_job *j)
{
	char parent[CONFIG_PATH_MAX];

	if (rename(j->staging, j->target) != 0)
		return fail("%s: %s", j->dir, strerror(errno));
	j->staging[0] = '\0';
	/* The new name on disk; if that fails DIR goes again. */
	parent_of(j->target, parent, sizeof(parent));
	if (files_sync_dir(parent) == 0)
		return 0;
	init_remove_tree(j->target);
	return fail("%s: cannot sync %s", j->dir, parent);
}

/*
 * An empty DIR: the staging directory's entries moved up into it, then the
 * staging directory removed. On failure DIR is emptied again, its mode back.
 */
static int
install_into(struct init_job *j)
{
	const char *base = j->staging + strlen(j->target) + 1;
	int err, r = 1;

	if (chmod(j->target, 0700) != 0)
		return fail("%s: %s", j->dir, strerror(errno));
	if ((err = move_entries(j->staging, j->target, NULL)) != 0) {
		(void)move_entries(j->target, j->staging, base);
		fail("%s: %s", j->dir, strerror(err));
	} else if (rmdir(j->staging) != 0 || files_sync_dir(j->target) != 0) {
		empty_dir(j->target);
		fail("%s: cannot sync", j->dir);
	} else
		r = 0;
	if (r == 0)
		j->staging[0] = '\0';
	else
		(void)chmod(j->target, j->old_mode);
	return r;
}

static void
print_summary(const struct init_job *j)
{
	const struct sluice_config *c = &j->shown;

	printf("data directory:  %s\n", j->target);
	printf("configuration:   %s/%s, policy %s\n", j->target, CONFIG_DAEMON_FILE,
	    c->policy_file);
	printf("host key:        %s (public: %s.pub)\n", c->host_key, c->host_key);
	printf("release key:     %s (public, for minisign -V: %s)\n",
	    c->release_key, c->release_pub);
	printf("master key:      %s (32 bytes, mode 0600)\n", c->master_key);
	printf("audit key:       %s (Ed25519, mode 0600; signs %s/%s)\n",
	    c->audit_key, j->target, AUDIT_HEAD_FILE);
	printf("store:           %s\n", c->store_path);
	printf("first admin:     %s (%s)\n", j->admin, j->fp);
	printf("listening (on run): %s port %d\n", j->cfg.listen,
	    (int)j->cfg.port);
}

/* Everything that can be refused before anything is made. */
static int
check_inputs(struct init_job *j)
{
	char why[512] = "";

	if (check_admin(j) != 0 || check_admin_key(j) != 0 ||
	    check_target(j) != 0)
		return 1;
	/* init writes the defaults, so the paths it made are these. */
	if (config_defaults(j->target, &j->shown, why, sizeof(why)) != 0)
		return fail("%s", why);
	return 0;
}

int
init_run(const char *dir, const char *admin, const char *admin_key_path,
    int port, const char *listen)
{
	struct init_job j;
	int r = 1;

	memset(&j, 0, sizeof(j));
	j.dir = dir;
	j.admin = admin;
	j.admin_key_path = admin_key_path;
	j.port = port == 0 ? CONFIG_DEFAULT_PORT : port;
	j.listen = listen;
	umask(077);
	if (check_inputs(&j) != 0 || make_staging(&j) != 0 || build(&j) != 0)
		goto out;
	if ((j.existed ? install_into(&j) : install_new(&j)) != 0)
		goto out;
	print_summary(&j);
	r = 0;
out:
	if (j.staging[0] != '\0')
		init_remove_tree(j.staging);
	sshkey_pub_free(j.key);
	return r;
}
