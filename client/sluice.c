/*
 * sluice: the recipients' client. Lists and downloads released extracts
 * over SFTP (many READs in flight, resumable), decrypts them with the
 * user's own key, checks SHA256SUMS and its minisign signature, shows
 * status over the exec channel, and builds, signs (CMS, attached) and
 * uploads certificates of deletion. Everything it does can be done with
 * stock sftp, ssh, age, minisign and openssl cms.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "sluice/age.h"
#include "sluice/certdoc.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#if __has_include("sluice/minisign.h")
#include "sluice/minisign.h"
#define HAVE_MINISIGN 1
#endif
#include "cli.h"
#include "conn.h"
#include "sums.h"

#define SMALL_FILE_MAX	(1024u * 1024)	/* SHA256SUMS, .minisig, release.pub */
#define IO_CHUNK	65536

static const char usage_text[] =
"usage: sluice [options] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  keygen [-o FILE]            make an age identity; print its age1 recipient\n"
"  ls [NIC]                    list your agreements, or the files of one\n"
"  get NIC [--out DIR] [--identity FILE] [--release-key FILE]\n"
"                              download, decrypt and verify an agreement's files\n"
"  status                      your agreements, their dates, what is due\n"
"  certify-deletion NIC ...    sign and upload a certificate of deletion\n"
"  COMMAND --help              help on one command\n"
"\n"
"options:\n"
"%s"
"\n"
"Config: ~/.config/sluice/sluice.conf (host, port, user, identity,\n"
"known_hosts, host_key_checking, release_key, age_identity); flags win.\n"
"Exit status: 0 ok, 1 refused, 2 usage, 255 connection failure.\n";

static const char usage_keygen[] =
"usage: sluice keygen [-o FILE]\n"
"Makes an age X25519 identity, writes it to FILE (default: age_identity\n"
"from the config, else ~/.config/sluice/identity.txt; never overwritten),\n"
"and prints its age1... recipient for staff to register.\n";
static const char usage_ls[] =
"usage: sluice [options] ls [NIC]\n"
"Lists the agreements you may see, or the files of agreement NIC.\n";
static const char usage_get[] =
"usage: sluice [options] get NIC [--out DIR] [--identity FILE]\n"
"                               [--release-key FILE]\n"
"Downloads every file of /NIC/ into DIR (default ./NIC), resuming partial\n"
"downloads, checks SHA256SUMS.minisig with the release key (--release-key\n"
"or release_key from the config, pinned; else the server's /release.pub),\n"
"decrypts each NAME.age into DIR/NAME and checks it against SHA256SUMS.\n"
"The key that decrypts: --identity FILE (an age identity file, or an\n"
"OpenSSH ed25519/RSA private key), else age_identity from the config, else\n"
"the SSH key given with -i, else ~/.ssh/id_ed25519.\n";
static const char usage_status[] =
"usage: sluice [options] status\n"
"Shows your agreements, their dates and what is due (the server's status).\n";
static const char usage_certify[] =
"usage: sluice [options] certify-deletion NIC --org CODE --datasets TEXT\n"
"           --destroyed-on YYYY-MM-DD --method TEXT --copies TEXT\n"
"           --signatory 'NAME, ROLE' --cert CERT.pem --key KEY.pem\n"
"           [--save FILE] [--dry-run]\n"
"Builds the certificate of deletion text, signs it as attached CMS with\n"
"the signatory's certificate and key (as `openssl cms -sign -nodetach\n"
"-binary -outform DER`), uploads it to /NIC/deletion-certificate/\n"
"certificate.p7m and prints the server's verdict. --save keeps a copy of\n"
"the signed certificate; --dry-run prints the text and uploads nothing.\n";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, prefixed with the program's name. */
static void
say(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("sluice: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

/* Puts prefix in front of the reason already in why. */
static void
why_prefix(char *why, size_t whylen, const char *prefix)
{
	size_t p = strlen(prefix), n;

	if (whylen == 0)
		return;
	n = strnlen(why, whylen - 1);
	if (p > whylen - 1)
		p = whylen - 1;
	if (n > whylen - 1 - p)
		n = whylen - 1 - p;
	memmove(why + p, why, n);
	memcpy(why, prefix, p);
	why[p + n] = '\0';
}

static int
exit_for(int err)
{
	switch (err) {
	case 0:			return EXIT_OK;
	case SLUICE_EIO:
	case SLUICE_EPROTO:	return EXIT_CONN;
	case SLUICE_EUSAGE:	return EXIT_USAGE;
	}
	return EXIT_REFUSED;
}

static int
nic_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 16 || strncmp(s, "NIC-", 4) != 0 || s[10] != '-')
		return 0;
	for (i = 4; i < 10; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	for (i = 11; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* "--help" anywhere among a command's words. */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int
read_small_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t rd;
	size_t got = 0;
	int fd, r = SLUICE_EIO;

	*text = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return SLUICE_ENOTFOUND;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if ((uint64_t)st.st_size > SMALL_FILE_MAX) {
		r = SLUICE_ETOOBIG;
		goto out;
	}
	if ((buf = sodium_malloc((size_t)st.st_size + 1)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		if ((rd = read(fd, buf + got, (size_t)st.st_size - got)) <= 0)
			goto out;
		got += (size_t)rd;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	buf = NULL;
	r = 0;
out:
	if (buf != NULL)
		sodium_free(buf);
	(void)close(fd);
	return r;
}

/* --- connection ---------------------------------------------------------- */

struct session {
	struct conn		*conn;
	struct sftp_client	*sftp;
};

static int
session_open(const struct ccfg *cfg, int want_sftp, struct session *s)
{
	char why[512];
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = conn_open(cfg, &s->conn, why, sizeof(why))) != 0) {
		say("%s", why);
		return EXIT_CONN;
	}
	if (want_sftp && (r = conn_sftp(s->conn, &s->sftp, why,
	    sizeof(why))) != 0) {
		say("%s", why);
		return EXIT_CONN;
	}
	return 0;
}

static void
session_close(struct session *s)
{
	sftp_client_free(s->sftp);
	conn_free(s->conn);
	memset(s, 0, sizeof(*s));
}

/* --- keygen -------------------------------------------------------------- */

static int
mkdir_parents(const char *path)
{
	char tmp[4096], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static int
write_identity(const char *path, const char *identity, const char *rcpt)
{
	char created[32], head[256];
	int fd, n, r = -1;

	if (sluice_time_format(sluice_now(), created, sizeof(created)) != 0)
		(void)snprintf(created, sizeof(created), "unknown");
	n = snprintf(head, sizeof(head), "# created: %s\n# public key: %s\n",
	    created, rcpt);
	if (mkdir_parents(path) != 0 || n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (write(fd, head, (size_t)n) == n &&
	    write(fd, identity, strlen(identity)) == (ssize_t)strlen(identity) &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0)
		r = 0;
	if (close(fd) != 0)
		r = -1;
	if (r != 0)
		(void)unlink(path);
	return r;
}

static int
cmd_keygen(const struct ccfg *cfg, int argc, char **argv)
{
	char identity[AGE_IDENTITY_STRLEN + 1], rcpt[AGE_RECIPIENT_STRLEN + 1];
	char *def = NULL;
	const char *path = cfg->age_identity;
	int rc = EXIT_REFUSED;

	if (wants_help(argc, argv)) {
		(void)fputs(usage_keygen, stdout);
		return EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[1], "-o") == 0)
		path = argv[2];
	else if (argc != 1) {
		(void)fputs(usage_keygen, stderr);
		return EXIT_USAGE;
	}
	if (path == NULL && (path = def = ccfg_default_path("identity.txt")) ==
	    NULL) {
		say("keygen: no HOME; give -o FILE");
		return EXIT_USAGE;
	}
	if (age_keygen(identity, rcpt) != 0) {
		say("keygen: cannot make a key");
		goto out;
	}
	if (write_identity(path, identity, rcpt) != 0) {
		say("keygen: cannot create %s: %s (an existing identity "
		    "is never overwritten)", path, strerror(errno));
		goto out;
	}
	(void)fprintf(stderr, "sluice: identity written to %s; give this "
	    "recipient to the data release team:\n", path);
	(void)printf("%s\n", rcpt);
	rc = EXIT_OK;
out:
	sodium_memzero(identity, sizeof(identity));
	free(def);
	return rc;
}

/* --- ls and status ------------------------------------------------------- */

static int
cmd_ls(const struct ccfg *cfg, int argc, char **argv)
{
	struct session s;
	struct sftp_dirent *e = NULL;
	char path[64], why[512];
	size_t n = 0, i;
	int rc, r;

	if (wants_help(argc, argv)) {
		(void)fputs(usage_ls, stdout);
		return EXIT_OK;
	}
	if (argc > 2 || (argc == 2 && !nic_ok(argv[1]))) {
		if (argc == 2)
			say("ls: \"%s\" is not a NIC reference "
			    "(NIC-123456-A1B2C)", argv[1]);
		(void)fputs(usage_ls, stderr);
		return EXIT_USAGE;
	}
	(void)snprintf(path, sizeof(path), "/%s", argc == 2 ? argv[1] : "");
	if ((rc = session_open(cfg, 1, &s)) != 0)
		return rc;
	if ((r = sftp_list(s.sftp, path, &e, &n, why, sizeof(why))) != 0) {
		say("%s", why);
		rc = exit_for(r);
		goto out;
	}
	for (i = 0; i < n; i++) {
		int dir = (e[i].attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
		    S_ISDIR(e[i].attrs.perm);

		if (dir)
			(void)printf("%s/\n", e[i].name);
		else
			(void)printf("%-48s %14llu\n", e[i].name,
			    (unsigned long long)e[i].attrs.size);
	}
out:
	sftp_dirents_free(e, n);
	session_close(&s);
	return rc;
}

static int
cmd_status(const struct ccfg *cfg, int argc, char **argv)
{
	struct session s;
	char why[512];
	int rc, status;

	if (wants_help(argc, argv)) {
		(void)fputs(usage_status, stdout);
		return EXIT_OK;
	}
	if (argc != 1) {
		(void)fputs(usage_status, stderr);
		return EXIT_USAGE;
	}
	if ((rc = session_open(cfg, 0, &s)) != 0)
		return rc;
	if (conn_exec(s.conn, "status", STDOUT_FILENO, STDERR_FILENO, &status,
	    why, sizeof(why)) != 0) {
		say("%s", why);
		status = EXIT_CONN;
	}
	session_close(&s);
	return status;
}

/* --- get ----------------------------------------------------------------- */

struct get_ctx {
	struct sftp_client	*sftp;
	const char		*nic;
	const char		*outdir;
	char			 state[4096];	/* OUT/.sluice-partial */
	struct age_identity	*id;
	struct sums		 sums;
};

static int
path_join(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s/%s", a, b);

	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

static int
sha256_fd(int fd, uint8_t digest[32])
{
	crypto_hash_sha256_state st;
	uint8_t buf[IO_CHUNK];
	ssize_t rd;
	off_t pos = 0;

	(void)crypto_hash_sha256_init(&st);
	for (;;) {
		if ((rd = pread(fd, buf, sizeof(buf), pos)) < 0) {
			if (errno == EINTR)
				continue;
			return SLUICE_EIO;
		}
		if (rd == 0)
			break;
		(void)crypto_hash_sha256_update(&st, buf, (size_t)rd);
		pos += rd;
	}
	(void)crypto_hash_sha256_final(&st, digest);
	return 0;
}

/* 1 when path exists and hashes to digest. */
static int
have_verified(const char *path, const uint8_t digest[32])
{
	uint8_t d[32];
	int fd, ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ok = sha256_fd(fd, d) == 0 && sodium_memcmp(d, digest, 32) == 0;
	(void)close(fd);
	return ok;
}

static int
fsync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return SLUICE_EIO;
	if (fsync(fd) != 0)
		r = SLUICE_EIO;
	(void)close(fd);
	return r;
}

/*
 * Downloads /NIC/name into the state directory as name.part (resuming what
 * is there) and renames it to name once complete. A complete copy of the
 * right size is kept as it is.
 */
static int
fetch(struct get_ctx *g, const char *remote, const char *name, uint64_t size,
    int resume, char *local, size_t locallen, char *why, size_t whylen)
{
	char part[4200];
	struct progress pr;
	struct stat st;
	uint64_t off = 0, got = 0;
	int fd = -1, r;

	if (path_join(local, locallen, g->state, name) != 0 ||
	    snprintf(part, sizeof(part), "%s.part", local) >= (int)sizeof(part))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", name);
	if (resume && stat(local, &st) == 0 && (uint64_t)st.st_size == size)
		return 0;
	if ((fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    fstat(fd, &st) != 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", part,
		    strerror(errno));
		goto out;
	}
	off = (uint64_t)st.st_size;
	if (!resume || off > size) {
		if (ftruncate(fd, 0) != 0) {
			r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", part,
			    strerror(errno));
			goto out;
		}
		off = 0;
	}
	if (off > 0)
		(void)fprintf(stderr, "sluice: %s: resuming at byte %llu\n",
		    name, (unsigned long long)off);
	progress_start(&pr, name, size);
	r = sftp_get(g->sftp, remote, fd, off, progress_cb, &pr, &got, why,
	    whylen);
	progress_end(&pr);
	if (r != 0)
		goto out;
	if (fsync(fd) != 0 || rename(part, local) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", local,
		    strerror(errno));
out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}

static int
fetch_small(struct get_ctx *g, const char *remote, const char *name,
    char **text, size_t *len, char *why, size_t whylen)
{
	char local[4200];
	int r;

	if ((r = fetch(g, remote, name, SMALL_FILE_MAX, 0, local, sizeof(local),
	    why, whylen)) != 0)
		return r;
	r = read_small_file(local, text, len);
	(void)unlink(local);
	if (r != 0)
		return sluice_why(why, whylen, r, "%s: cannot read (%s)", name,
		    sluice_strerror(r));
	return 0;
}

/* Checks SHA256SUMS.minisig with the pinned key, else the server's. */
static int
verify_sums(struct get_ctx *g, const char *pinned, const char *sums,
    size_t sumslen, char *why, size_t whylen)
{
#ifdef HAVE_MINISIGN
	struct minisign_pubkey pub;
	char *sig = NULL, *keytext = NULL, trusted[512], remote[64];
	size_t siglen = 0, keylen = 0;
	int r;



	(void)snprintf(remote, sizeof(remote), "/%s/SHA256SUMS.minisig", g->nic);
	if ((r = fetch_small(g, remote, "SHA256SUMS.minisig", &sig, &siglen,
	    why, whylen)) != 0)
		goto out;
	if (pinned != NULL) {
		if ((r = read_small_file(pinned, &keytext, &keylen)) != 0) {
			r = sluice_why(why, whylen, r, "release key %s: %s",
			    pinned, sluice_strerror(r));
			goto out;
		}
	} else {
		(void)fprintf(stderr, "sluice: no pinned release key "
		    "(--release-key or release_key); trusting the server's "
		    "/release.pub\n");
		if ((r = fetch_small(g, "/release.pub", "release.pub",
		    &keytext, &keylen, why, whylen)) != 0)
			goto out;
	}
	if ((r = minisign_pubkey_parse(keytext, keylen, &pub, why,
	    whylen)) != 0 ||
	    (r = minisign_verify(&pub, (const uint8_t *)sums, sumslen, sig,
	    siglen, trusted, sizeof(trusted), why, whylen)) != 0) {
		why_prefix(why, whylen, "SHA256SUMS.minisig: ");
		goto out;
	}
	(void)fprintf(stderr, "sluice: SHA256SUMS signature verified "
	    "(trusted comment: %s)\n", trusted);
out:
	if (sig != NULL)
		sodium_free(sig);
	if (keytext != NULL)
		sodium_free(keytext);
	return r;
#else
	(void)g;
	(void)pinned;
	(void)sums;
	(void)sumslen;
	return sluice_why(why, whylen, SLUICE_EVERIFY, "this build of sluice "
	    "cannot check minisign signatures; refusing to trust SHA256SUMS");
#endif
}

/* Decrypts the complete ciphertext into OUT/plain through a temporary
 * file that is renamed only after the SHA-256 matched. */
static int
decrypt_into(struct get_ctx *g, const char *cipher, const char *plain,
    const uint8_t digest[32], uint64_t *plain_len, char *why, size_t whylen)
{
	char tmp[4200], dst[4200];
	uint8_t d[32];
	int in = -1, out = -1, r;

	tmp[0] = '\0';
	if (path_join(dst, sizeof(dst), g->outdir, plain) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", g->outdir, plain) >=
	    (int)sizeof(tmp)) {
		tmp[0] = '\0';
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", plain);
	}
	if ((in = open(cipher, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = mkstemp(tmp)) < 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", plain,
		    strerror(errno));
		if (out < 0)
			tmp[0] = '\0';
		goto out;
	}
	if ((r = age_decrypt(in, out, g->id, d, plain_len, why, whylen)) != 0)
		goto out;
	if (sodium_memcmp(d, digest, 32) != 0) {
		r = sluice_why(why, whylen, SLUICE_EVERIFY, "%s: SHA-256 does "
		    "not match SHA256SUMS; discarded", plain);
		goto out;
	}
	if (fsync(out) != 0 || rename(tmp, dst) != 0 ||
	    fsync_dir(g->outdir) != 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", dst,
		    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
out:
	if (in >= 0)
		(void)close(in);
	if (out >= 0)
		(void)close(out);
	if (tmp[0] != '\0')
		(void)unlink(tmp);	/* never leave partial plaintext */
	return r;
}

/* A released file that is not encrypted: checked, then moved into OUT. */
static int
place_plain(struct get_ctx *g, const char *local, const char *name,
    const uint8_t *digest, char *why, size_t whylen)
{
	char dst[4200];
	uint8_t d[32];
	int fd, r;

	if (path_join(dst, sizeof(dst), g->outdir, name) != 0)
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", name);
	if (digest != NULL) {
		if ((fd = open(local, O_RDONLY | O_CLOEXEC)) < 0)
			return sluice_why(why, whylen, SLUICE_EIO, "%s: %s",
			    local, strerror(errno));
		r = sha256_fd(fd, d);
		(void)close(fd);
		if (r != 0 || sodium_memcmp(d, digest, 32) != 0) {
			(void)unlink(local);
			return sluice_why(why, whylen, SLUICE_EVERIFY, "%s: "
			    "SHA-256 does not match SHA256SUMS; discarded",
			    name);
		}
	}
	if (rename(local, dst) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", dst,
		    strerror(errno));
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
get_one(struct get_ctx *g, const struct sftp_dirent *e, char *why,
    size_t whylen)
{
	char plain[512], local[4200], dst[4200], remote[512];
	const uint8_t *digest;
	uint64_t plen = 0;
	int is_age = ends_with(e->name, ".age"), r;

	(void)snprintf(plain, sizeof(plain), "%s", e->name);
	if (is_age)
		plain[strlen(plain) - 4] = '\0';
	digest = sums_find(&g->sums, plain);
	if (is_age && digest == NULL)
		return sluice_why(why, whylen, SLUICE_EVERIFY, "%s is not "
		    "listed in SHA256SUMS; not decrypted", plain);
	if (path_join(dst, sizeof(dst), g->outdir, plain) != 0 ||
	    snprintf(remote, sizeof(remote), "/%s/%s", g->nic, e->name) >=
	    (int)sizeof(remote))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", e->name);
	if (digest != NULL && have_verified(dst, digest)) {
		(void)printf("%s: already here, SHA-256 verified\n", plain);
		return 0;
	}
	if ((r = fetch(g, remote, e->name, e->attrs.size, 1, local,
	    sizeof(local), why, whylen)) != 0)
		return r;
	if (!is_age) {
		if ((r = place_plain(g, local, e->name, digest, why, whylen)) != 0)
			return r;
		(void)printf("%s: %s\n", e->name, digest != NULL ?
		    "downloaded, SHA-256 verified" : "downloaded (not in "
		    "SHA256SUMS)");
		return 0;
	}
	if ((r = decrypt_into(g, local, plain, digest, &plen, why,
	    whylen)) != 0)
		return r;
	(void)unlink(local);
	(void)printf("%s: decrypted, %llu bytes, SHA-256 verified\n", plain,
	    (unsigned long long)plen);
	return 0;
}

static int
load_identity(const struct ccfg *cfg, const char *flag,
    struct age_identity **id, char *why, size_t whylen)
{
	char *def = NULL, *text = NULL, *home = getenv("HOME");
	const char *path = flag;
	size_t len = 0, n;
	int r;

	if (path == NULL)
		path = cfg->age_identity;
	if (path == NULL)
		path = cfg->identity;
	if (path == NULL && home != NULL) {
		n = strlen(home) + sizeof("/.ssh/id_ed25519");
		if ((def = malloc(n)) == NULL)
			return sluice_why(why, whylen, SLUICE_ENOMEM,
			    "out of memory");
		(void)snprintf(def, n, "%s/.ssh/id_ed25519", home);
		path = def;
	}
	if (path == NULL)
		return sluice_why(why, whylen, SLUICE_EUSAGE, "no key to "
		    "decrypt with: give --identity FILE or -i KEY");
	if ((r = read_small_file(path, &text, &len)) != 0) {
		r = sluice_why(why, whylen, r, "cannot read identity %s (%s)",
		    path, sluice_strerror(r));
		goto out;
	}
	if ((r = age_identity_parse(text, len, id, why, whylen)) != 0) {
		char pfx[4200];

		(void)snprintf(pfx, sizeof(pfx), "identity %s: ", path);
		why_prefix(why, whylen, pfx);
	}
out:
	if (text != NULL)
		sodium_free(text);
	free(def);
	return r;
}

static int
get_all(struct get_ctx *g, const struct ccfg *cfg, const char *pinned,
    char *why, size_t whylen)
{
	struct sftp_dirent *e = NULL;
	char dir[64], remote[64], *sums = NULL;
	size_t n = 0, i, slen = 0, done = 0;
	int r, failed = 0;

	(void)cfg;
	(void)snprintf(dir, sizeof(dir), "/%s", g->nic);
	if ((r = sftp_list(g->sftp, dir, &e, &n, why, whylen)) != 0)
		goto out;
	(void)snprintf(remote, sizeof(remote), "/%s/SHA256SUMS", g->nic);
	if ((r = fetch_small(g, remote, "SHA256SUMS", &sums, &slen, why,
	    whylen)) != 0) {
		if (r == SLUICE_ENOTFOUND)
			r = sluice_why(why, whylen, SLUICE_ENOTFOUND, "no "
			    "released files in %s/ (is the agreement live?)",
			    dir);
		goto out;
	}
	if ((r = verify_sums(g, pinned, sums, slen, why, whylen)) != 0 ||
	    (r = sums_parse(sums, slen, &g->sums, why, whylen)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct sftp_dirent *d = &e[i];

		if (((d->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
		    !S_ISREG(d->attrs.perm)) ||
		    strcmp(d->name, "SHA256SUMS") == 0 ||
		    strcmp(d->name, "SHA256SUMS.minisig") == 0 ||
		    strcmp(d->name, "deletion-certificate") == 0)
			continue;
		if (strchr(d->name, '/') != NULL || d->name[0] == '.') {
			say("%s: refusing a file name from the server",
			    d->name);
			failed++;
			continue;
		}
		if ((r = get_one(g, d, why, whylen)) != 0) {
			say("%s", why);
			if (r == SLUICE_EIO || r == SLUICE_EPROTO ||
			    r == SLUICE_EDENIED)
				goto out;	/* the session or the gate ended */
			failed++;
			continue;
		}
		done++;
	}
	r = 0;
	if (failed > 0)
		r = sluice_why(why, whylen, SLUICE_EVERIFY, "%zu of %zu files "
		    "failed", (size_t)failed, (size_t)failed + done);
	else if (done == 0)
		r = sluice_why(why, whylen, SLUICE_ENOTFOUND, "no released "
		    "files in %s/", dir);
	else
		(void)printf("all %zu files of %s are in %s\n", done, g->nic,
		    g->outdir);
out:
	if (sums != NULL)
		sodium_free(sums);
	sftp_dirents_free(e, n);
	return r;
}

static int
cmd_get(const struct ccfg *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "identity", required_argument, NULL, 'I' },
		{ "release-key", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct get_ctx g;
	struct session s;
	const char *identity = NULL, *pinned = cfg->release_key;
	char why[1024], defout[32];
	int ch, rc = EXIT_REFUSED, r;

	if (wants_help(argc, argv)) {
		(void)fputs(usage_get, stdout);
		return EXIT_OK;
	}
	memset(&g, 0, sizeof(g));
	memset(&s, 0, sizeof(s));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': g.outdir = optarg; break;
		case 'I': identity = optarg; break;
		case 'R': pinned = optarg; break;
		default:
			(void)fputs(usage_get, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !nic_ok(argv[optind])) {
		if (optind == argc - 1)
			say("get: \"%s\" is not a NIC reference "
			    "(NIC-123456-A1B2C)", argv[optind]);
		(void)fputs(usage_get, stderr);
		return EXIT_USAGE;
	}
	g.nic = argv[optind];
	if (g.outdir == NULL) {
		(void)snprintf(defout, sizeof(defout), "%s", g.nic);
		g.outdir = defout;
	}
	if ((r = load_identity(cfg, identity, &g.id, why, sizeof(why))) != 0) {
		say("get: %s", why);
		return r == SLUICE_EUSAGE ? EXIT_USAGE : EXIT_REFUSED;
	}
	if ((mkdir(g.outdir, 0700) != 0 && errno != EEXIST) ||
	    path_join(g.state, sizeof(g.state), g.outdir,
	    ".sluice-partial") != 0 ||
	    (mkdir(g.state, 0700) != 0 && errno != EEXIST)) {
		say("get: cannot create %s: %s", g.outdir, strerror(errno));
		goto out;
	}
	if ((rc = session_open(cfg, 1, &s)) != 0)
		goto out;
	g.sftp = s.sftp;
	if ((r = get_all(&g, cfg, pinned, why, sizeof(why))) != 0) {
		say("get: %s", why);
		rc = exit_for(r);
		goto out;
	}
	(void)rmdir(g.state);	/* only when nothing partial is left */
	rc = EXIT_OK;
out:
	session_close(&s);
	sums_clear(&g.sums);
	age_identity_free(g.id);
	return rc;
}

/* --- certify-deletion ---------------------------------------------------- */

struct certify_args {
	const char	*nic, *org, *datasets, *destroyed_on, *method, *copies;
	const char	*signatory, *cert, *key, *save;
	int		 dry_run;
};

static int
certify_parse(int argc, char **argv, struct certify_args *a)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "datasets", required_argument, NULL, 'd' },
		{ "destroyed-on", required_argument, NULL, 'D' },
		{ "method", required_argument, NULL, 'm' },
		{ "copies", required_argument, NULL, 'c' },
		{ "signatory", required_argument, NULL, 's' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "save", required_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': a->org = optarg; break;
		case 'd': a->datasets = optarg; break;
		case 'D': a->destroyed_on = optarg; break;
		case 'm': a->method = optarg; break;
		case 'c': a->copies = optarg; break;
		case 's': a->signatory = optarg; break;
		case 'C': a->cert = optarg; break;
		case 'K': a->key = optarg; break;
		case 'S': a->save = optarg; break;
		case 'n': a->dry_run = 1; break;
		default: return SLUICE_EUSAGE;
		}
	}
	if (optind != argc - 1)
		return SLUICE_EUSAGE;
	a->nic = argv[optind];
	if (a->org == NULL || a->datasets == NULL || a->destroyed_on == NULL ||
	    a->method == NULL || a->copies == NULL || a->signatory == NULL ||
	    (!a->dry_run && (a->cert == NULL || a->key == NULL)))
		return SLUICE_EUSAGE;
	return 0;
}

static int
certify_text(const struct certify_args *a, char **text, size_t *len,
    char *why, size_t whylen)
{
	struct certdoc d;
	int r;

	memset(&d, 0, sizeof(d));
	if (strlen(a->nic) >= sizeof(d.agreement) ||
	    strlen(a->org) >= sizeof(d.organisation))
		return sluice_why(why, whylen, SLUICE_EINVAL, "%s",
		    strlen(a->nic) >= sizeof(d.agreement) ? "bad NIC" :
		    "organisation code longer than 64 bytes");
	(void)snprintf(d.agreement, sizeof(d.agreement), "%s", a->nic);
	(void)snprintf(d.organisation, sizeof(d.organisation), "%s", a->org);
	if (sluice_date_parse(a->destroyed_on, &d.destroyed_on) != 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad "
		    "--destroyed-on date '%s' (expected YYYY-MM-DD)",
		    a->destroyed_on);
	if ((d.datasets = strdup(a->datasets)) == NULL ||
	    (d.method = strdup(a->method)) == NULL ||
	    (d.copies = strdup(a->copies)) == NULL ||
	    (d.signatory = strdup(a->signatory)) == NULL) {
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	if ((r = certdoc_format(&d, text, len, why, whylen)) != 0)
		goto out;
	/* The server would refuse a date in the future: say so now. */
	if ((r = certdoc_check(&d, a->nic, a->org, sluice_day_of(sluice_now()),
	    why, whylen)) != 0) {
		free(*text);
		*text = NULL;
	}
out:
	certdoc_clear(&d);
	return r;
}

static int
openssl_why(char *why, size_t whylen, const char *what)
{
	char e[256];
	unsigned long code = ERR_get_error();

	if (code != 0)
		ERR_error_string_n(code, e, sizeof(e));
	else
		(void)snprintf(e, sizeof(e), "no details");
	ERR_clear_error();
	return sluice_why(why, whylen, SLUICE_ECRYPTO, "%s (%s)", what, e);
}

static X509 *
load_cert(const char *path)
{
	BIO *b;
	X509 *x = NULL;

	if ((b = BIO_new_file(path, "rb")) == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (x == NULL && BIO_reset(b) == 0) {
		ERR_clear_error();
		x = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	BIO *b;
	EVP_PKEY *k = NULL;

	if ((b = BIO_new_file(path, "rb")) == NULL)
		return NULL;
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	return k;
}

/* Attached CMS over text, DER, as `openssl cms -sign -nodetach -binary`. */
static int
certify_sign(const struct certify_args *a, const char *text, size_t len,
    uint8_t **der, size_t *derlen, char *why, size_t whylen)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	BIO *in = NULL;
	CMS_ContentInfo *cms = NULL;
	unsigned char *p = NULL;
	int n, r = 0;

	*der = NULL;
	if ((x = load_cert(a->cert)) == NULL) {
		r = openssl_why(why, whylen, "cannot read the certificate");
		goto out;
	}
	if ((k = load_key(a->key)) == NULL) {
		r = openssl_why(why, whylen, "cannot read the private key");
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		r = openssl_why(why, whylen, "the key does not match the "
		    "certificate");
		goto out;
	}
	if (len > INT_MAX || (in = BIO_new_mem_buf(text, (int)len)) == NULL ||
	    (cms = CMS_sign(x, k, NULL, in, CMS_BINARY | CMS_NOSMIMECAP)) ==
	    NULL || (n = i2d_CMS_ContentInfo(cms, &p)) <= 0) {
		r = openssl_why(why, whylen, "signing failed");
		goto out;
	}
	*der = p;
	*derlen = (size_t)n;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	EVP_PKEY_free(k);
	X509_free(x);
	return r;
}

/* A file holding the signed certificate, positioned at its start. */
static int
certify_file(const char *save, const uint8_t *der, size_t len, int *fd,
    char *why, size_t whylen)
{
	char tmp[4200];
	const char *dir = getenv("TMPDIR");

	if (save != NULL)
		*fd = open(save, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	else {
		(void)snprintf(tmp, sizeof(tmp), "%s/sluice-cert.XXXXXX",
		    dir != NULL && *dir != '\0' ? dir : "/tmp");
		if ((*fd = mkstemp(tmp)) >= 0)
			(void)unlink(tmp);
	}
	if (*fd < 0)
		return sluice_why(why, whylen, SLUICE_EIO, "cannot write the "
		    "signed certificate: %s", strerror(errno));
	if (write(*fd, der, len) != (ssize_t)len || fsync(*fd) != 0 ||
	    lseek(*fd, 0, SEEK_SET) != 0) {
		(void)close(*fd);
		*fd = -1;
		return sluice_why(why, whylen, SLUICE_EIO, "cannot write the "
		    "signed certificate: %s", strerror(errno));
	}
	return 0;
}

static int
cmd_certify(const struct ccfg *cfg, int argc, char **argv)
{
	struct certify_args a;
	struct session s;
	char *text = NULL, why[1024], verdict[1024], path[80];
	uint8_t *der = NULL;
	size_t len = 0, derlen = 0;
	int fd = -1, rc = EXIT_REFUSED, r;

	memset(&s, 0, sizeof(s));
	if (wants_help(argc, argv)) {
		(void)fputs(usage_certify, stdout);
		return EXIT_OK;
	}
	if (certify_parse(argc, argv, &a) != 0 || !nic_ok(a.nic)) {
		(void)fputs(usage_certify, stderr);
		return EXIT_USAGE;
	}
	if ((r = certify_text(&a, &text, &len, why, sizeof(why))) != 0) {
		say("certify-deletion: %s", why);
		return r == SLUICE_EINVAL || r == SLUICE_EFORMAT ? EXIT_USAGE :
		    EXIT_REFUSED;
	}
	if (a.dry_run) {
		(void)fwrite(text, 1, len, stdout);
		rc = EXIT_OK;
		goto out;
	}
	if ((r = certify_sign(&a, text, len, &der, &derlen, why,
	    sizeof(why))) != 0 ||
	    (r = certify_file(a.save, der, derlen, &fd, why, sizeof(why))) != 0) {
		say("certify-deletion: %s", why);
		goto out;
	}
	(void)snprintf(path, sizeof(path), "/%s/deletion-certificate/"
	    "certificate.p7m", a.nic);
	if ((rc = session_open(cfg, 1, &s)) != 0)
		goto out;
	r = sftp_put(s.sftp, fd, path, NULL, NULL, verdict, sizeof(verdict),
	    why, sizeof(why));
	if (r != 0) {
		say("certify-deletion: %s", why);
		rc = exit_for(r);
		goto out;
	}
	(void)printf("%s\n", verdict[0] != '\0' ? verdict :
	    "certificate of deletion uploaded");
	rc = EXIT_OK;
out:
	session_close(&s);
	if (fd >= 0)
		(void)close(fd);
	OPENSSL_free(der);
	free(text);
	return rc;
}

/* --- main ---------------------------------------------------------------- */

struct subcommand {
	const char	*name;
	int		(*run)(const struct ccfg *, int, char **);
};

static const struct subcommand subcommands[] = {
	{ "keygen", cmd_keygen },
	{ "ls", cmd_ls },
	{ "get", cmd_get },
	{ "status", cmd_status },
	{ "certify-deletion", cmd_certify },
};

int
main(int argc, char **argv)
{
	struct ccfg cfg;
	char why[512];
	size_t i;
	int next, help, rc = EXIT_USAGE;

	if (sodium_init() < 0 || ccfg_init(&cfg) != 0) {
		(void)fprintf(stderr, "sluice: cannot initialise\n");
		return EXIT_REFUSED;
	}
	if (cli_global(argc, argv, "sluice.conf", &cfg, &next, &help, why,
	    sizeof(why)) != 0) {
		say("%s", why);
		goto out;
	}
	if (help || next >= argc) {
		(void)fprintf(help ? stdout : stderr, usage_text,
		    cli_global_usage);
		rc = help ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[next], subcommands[i].name) == 0)
			break;
	if (i == sizeof(subcommands) / sizeof(subcommands[0])) {
		say("unknown command \"%s\" (see sluice --help)",
		    argv[next]);
		goto out;
	}
	rc = subcommands[i].run(&cfg, argc - next, argv + next);
out:
	ccfg_clear(&cfg);
	return rc;
}
