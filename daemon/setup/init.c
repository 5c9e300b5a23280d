#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <sodium.h>

#include "engine/audit.h"
#include "payloads/payloads.h"
#include "setup/init.h"
#include "sluice/config.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/minisign.h"
#include "sluice/sshkey.h"
#include "store/store.h"

static int
fail(const char *what, const char *why)
{
	fprintf(stderr, "sluiced init: %s: %s\n", what, why);
	return 1;
}

/* DIR must be absent or an empty directory. */
static int
prepare_dir(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int used = 0;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return fail(dir, strerror(errno));
	if ((d = opendir(dir)) == NULL)
		return fail(dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			used = 1;
	closedir(d);
	if (used)
		return fail(dir, "directory is not empty; refusing to overwrite it");
	return chmod(dir, 0700) == 0 ? 0 : fail(dir, strerror(errno));
}

static int
subdirs(const char *dir)
{
	static const char *names[] = { "inbox", "uploads", "mail",
	    "mail/tmp", "mail/new", "mail/cur" };
	char path[4096];
	size_t i;

	if (payloads_setup(dir, path, sizeof(path)) != 0) {
		fprintf(stderr, "sluiced init: %s\n", path);
		return 1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (mkdir(path, 0700) != 0)
			return fail(path, strerror(errno));
	}
	return 0;
}

static int
host_key(const struct sluice_config *cfg)
{
	ssh_key key = NULL;
	char *b64 = NULL, pub[4096], line[4200];
	int r = 1;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, cfg->host_key) !=
	    SSH_OK || chmod(cfg->host_key, 0600) != 0 ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		fail(cfg->host_key, "cannot generate the host key");
		goto out;
	}
	(void)snprintf(pub, sizeof(pub), "%s.pub", cfg->host_key);
	(void)snprintf(line, sizeof(line), "ssh-ed25519 %s sluiced\n", b64);
	if (files_write_new(pub, line, strlen(line), 0644) != 0) {
		fail(pub, "cannot write");
		goto out;
	}
	printf("host key:        %s (public: %s)\n", cfg->host_key, pub);
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

	if (pub == NULL || sec == NULL || minisign_keygen(pub, sec) != 0) {
		fail("release key", "cannot generate");
		goto out;
	}
	if (files_write_new(cfg->release_key, sbuf_ptr(sec), sbuf_len(sec),
	    0600) != 0 || files_write_new(cfg->release_pub, sbuf_ptr(pub),
	    sbuf_len(pub), 0644) != 0) {
		fail(cfg->release_key, "cannot write");
		goto out;
	}
	printf("release key:     %s (public, for minisign -V: %s)\n",
	    cfg->release_key, cfg->release_pub);
	r = 0;
out:
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
		return fail(cfg->master_key, "cannot write");
	printf("master key:      %s (32 bytes, mode 0600)\n", cfg->master_key);
	return 0;
}

/* The admin's public key from key_path, acceptable, and its fingerprint;
 * the caller frees *k. */
static int
admin_pubkey(const char *key_path, struct sshkey_pub **k,
    char fp[SSHKEY_FP_SIZE])
{
	struct sbuf *b;
	char why[256] = "";
	int r = 1;

	*k = NULL;
	if ((b = sbuf_new()) == NULL || files_read(key_path, 16384, b) != 0 ||
	    sbuf_put_u8(b, 0) != 0) {
		fail(key_path, "cannot read the admin's public key");
		goto out;
	}
	if (sshkey_pub_parse((const char *)sbuf_ptr(b), k, why, sizeof(why)) != 0 ||
	    sshkey_acceptable(*k, why, sizeof(why)) != 0 ||
	    sshkey_fingerprint((*k)->blob, (*k)->bloblen, fp) != 0) {
		fail(key_path, why);
		goto out;
	}
	r = 0;
out:
	sbuf_free(b);
	return r;
}

/* Registers admin with key k in the new store, audited: one transaction. */
static int
admin_register(const struct sluice_config *cfg, const char *admin,
    const struct sshkey_pub *k, const char *fp)
{
	struct store *st = NULL;
	struct store_key sk;
	char why[256] = "", email[STORE_TEXT_MAX];
	int r = 1;

	/* The first admin's address until `staff` commands change it. */
	(void)snprintf(email, sizeof(email), "%s@localhost", admin);
	memset(&sk, 0, sizeof(sk));
	(void)snprintf(sk.type, sizeof(sk.type), "%s", sshkey_type_name(k->type));
	sk.blob = k->blob;
	sk.len = k->bloblen;
	(void)snprintf(sk.fingerprint, sizeof(sk.fingerprint), "%s", fp);
	if (store_open(cfg->store_path, &st, why, sizeof(why)) != 0) {
		fail(cfg->store_path, why);
		goto out;
	}
	if (store_begin(st) != 0 || staff_add(st, admin, email, &sk, ROLE_ADMIN, NULL,
	    why, sizeof(why)) != 0 || audit_append(st, "sluiced", "init", admin,
	    "ok", "data directory created; first admin registered", NULL) != 0 ||
	    store_commit(st) != 0) {
		store_rollback(st);
		fail("first admin", why[0] ? why : "store failure");
		goto out;
	}
	r = 0;
out:
	store_close(st);
	return r;
}

static int
first_admin(const struct sluice_config *cfg, const char *admin,
    const char *key_path)
{
	struct sshkey_pub *k = NULL;
	char why[256] = "", fp[SSHKEY_FP_SIZE];
	int r;

	if (name_check(admin, STORE_NAME_MAX - 1, why, sizeof(why)) != 0)
		return fail("--admin", why);
	if ((r = admin_pubkey(key_path, &k, fp)) == 0 &&
	    (r = admin_register(cfg, admin, k, fp)) == 0) {
		printf("store:           %s\n", cfg->store_path);
		printf("first admin:     %s (%s)\n", admin, fp);
	}
	sshkey_pub_free(k);
	return r;
}

int
init_run(const char *dir, const char *admin, const char *admin_key_path,
    int port, const char *listen)
{
	struct sluice_config cfg;
	char why[512];

	umask(077);
	if (prepare_dir(dir) != 0)
		return 1;
	if (config_write_defaults(dir, port == 0 ? CONFIG_DEFAULT_PORT : port,
	    listen, why, sizeof(why)) != 0)
		return fail("configuration", why);
	if (config_load(dir, &cfg, why, sizeof(why)) != 0)
		return fail("configuration", why);
	printf("data directory:  %s\n", dir);
	printf("configuration:   %s/%s, policy %s\n", dir, CONFIG_DAEMON_FILE,
	    cfg.policy_file);
	if (subdirs(dir) != 0 || host_key(&cfg) != 0 || release_key(&cfg) != 0 ||
	    master_key(&cfg) != 0 || first_admin(&cfg, admin, admin_key_path) != 0)
		return 1;
	printf("listening (on run): %s port %d\n", cfg.listen, (int)cfg.port);
	return 0;
}
