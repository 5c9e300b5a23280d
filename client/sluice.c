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
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/minisign.h"
#include "cli.h"
#include "conn.h"
#include "getage.h"
#include "getreport.h"
#include "interrupt.h"
#include "jsonw.h"
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
"  --json          ls, status and get's summary as one JSON document\n"
"                  (before or after the command)\n"
"\n"
"Config: %s\n"
"(host, port, user, identity, known_hosts, host_key_checking, release_key,\n"
"age_identity); flags win.\n"
"Exit status: 0 ok, 1 refused (by the server or a check), 2 usage,\n"
"255 no connection (connect, host key or login failed), 130 or 143\n"
"interrupted (SIGINT, SIGTERM: get leaves what it downloaded to resume).\n";

static const char usage_keygen[] =
"usage: sluice keygen [-o FILE]\n"
"Makes an age X25519 identity, writes it to FILE (default: age_identity\n"
"from the config, else %s;\n"
"never overwritten), and prints its age1... recipient for staff to register.\n";
static const char usage_ls[] =
"usage: sluice [options] ls [NIC] [--json]\n"
"Lists the agreements you may see, or the files of agreement NIC: a\n"
"header line, then NAME/ for a directory or NAME and SIZE for a file.\n"
"--json: {\"entries\":[{\"name\",\"size\",\"type\"}...],\"path\"}.\n";
static const char usage_get[] =
"usage: sluice [options] get NIC [--out DIR] [--identity FILE]\n"
"                               [--release-key FILE] [--json]\n"
"Downloads every file of /NIC/ into DIR (default ./NIC), resuming partial\n"
"downloads, checks SHA256SUMS.minisig with the release key (--release-key\n"
"or release_key from the config, pinned; else the server's /release.pub),\n"
"decrypts each NAME.age into DIR/NAME and checks it against SHA256SUMS.\n"
"The key that decrypts: --identity FILE (an age identity file, or an\n"
"OpenSSH ed25519/RSA private key), else age_identity from the config, else\n"
"the SSH key given with -i, else ~/.ssh/id_ed25519. Each NAME.age's\n"
"header is read first: if none of its stanzas is for that key, get stops\n"
"before downloading it. --json: one document at the end, {\"agreement\",\n"
"\"complete\",\"directory\",\"files\":[{\"bytes\",\"name\",\"outcome\",\n"
"\"reason\",\"verified\"}...]}.\n";
static const char usage_status[] =
"usage: sluice [options] status [--json]\n"
"Shows your agreements, their dates and what is due (the server's status;\n"
"--json: the server's JSON document).\n";
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

/*
 * Once connected, whatever stops a command is a refusal (1): the server's,
 * a check of ours, a transfer cut short. EXIT_CONN (255) is only for a
 * connection never made (session_open).
 */
static int
exit_for(int err)
{
	if (err == 0)
		return EXIT_OK;
	return err == SLUICE_EUSAGE ? EXIT_USAGE : EXIT_REFUSED;
}

/* The usage, with the real config file; EXIT_OK on stdout, else EXIT_USAGE. */
static int
usage(FILE *f)
{
	char opts[2048], conf[512];

	cli_global_usage("sluice.conf", opts, sizeof(opts));
	cli_conf_words("sluice.conf", conf, sizeof(conf));
	(void)fprintf(f, usage_text, opts, conf);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
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
show_help(const char *usage)
{
	(void)fputs(usage, stdout);
	return EXIT_OK;
}

static int
usage_error(const char *usage)
{
	(void)fputs(usage, stderr);
	return EXIT_USAGE;
}

/* 0 when arg is a NIC reference; else says so, for command cmd. */
static int
nic_arg(const char *cmd, const char *arg, const char *usage)
{
	if (nic_check(arg, NULL, 0) == 0)
		return 0;
	say("%s: \"%s\" is not a NIC reference (NIC-123456-A1B2C)", cmd, arg);
	return usage_error(usage);
}

/* The size of the regular file open at fd, at most SMALL_FILE_MAX. */
static int
small_size(int fd, size_t *size)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return SLUICE_EIO;
	if ((uint64_t)st.st_size > SMALL_FILE_MAX)
		return SLUICE_ETOOBIG;
	*size = (size_t)st.st_size;
	return 0;
}

/* Exactly n bytes from fd into buf. */
static int
read_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t rd;

	while (got < n) {
		if ((rd = read(fd, buf + got, n - got)) <= 0)
			return SLUICE_EIO;
		got += (size_t)rd;
	}
	return 0;
}

/* A small file (maybe a secret) in sodium_malloc'd memory, NUL-terminated. */
static int
read_small_file(const char *path, char **text, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	int fd, r;

	*text = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return SLUICE_ENOTFOUND;
	if ((r = small_size(fd, &size)) != 0)
		goto out;
	if ((buf = sodium_malloc(size + 1)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = read_exact(fd, buf, size)) != 0)
		goto out;
	buf[size] = '\0';
	*text = buf;
	*len = size;
	buf = NULL;
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

	memset(s, 0, sizeof(*s));
	if (conn_open(cfg, &s->conn, why, sizeof(why)) != 0) {
		say("%s", why);
		return EXIT_CONN;	/* no connection: connect, host key, login */
	}
	if (want_sftp && conn_sftp(s->conn, &s->sftp, why, sizeof(why)) != 0) {
		say("%s", why);
		return EXIT_REFUSED;
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

/* The comment lines an identity file starts with. */
static int
identity_head(const char *rcpt, char *head, size_t headlen)
{
	char created[32];
	int n;

	if (sluice_time_format(sluice_now(), created, sizeof(created)) != 0)
		(void)snprintf(created, sizeof(created), "unknown");
	n = snprintf(head, headlen, "# created: %s\n# public key: %s\n",
	    created, rcpt);
	return n < 0 || (size_t)n >= headlen ? -1 : n;
}

/* The identity file's bytes: a comment head, the identity, a line end;
 * fd is closed. */
static int
put_identity(int fd, const char *head, size_t headlen, const char *identity)
{
	int r = 0;

	if (files_write_all(fd, head, headlen) != 0 ||
	    files_write_all(fd, identity, strlen(identity)) != 0 ||
	    files_write_all(fd, "\n", 1) != 0 || fsync(fd) != 0)
		r = -1;
	if (close(fd) != 0)
		r = -1;
	return r;
}

/* Creates path, never over an existing file, or leaves nothing. */
static int
create_identity(const char *path, const char *head, size_t headlen,
    const char *identity)
{
	int fd, r;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	if ((r = put_identity(fd, head, headlen, identity)) != 0)
		(void)unlink(path);
	return r;
}

static int
write_identity(const char *path, const char *identity, const char *rcpt)
{
	char head[256];
	int n;

	n = identity_head(rcpt, head, sizeof(head));
	if (mkdir_parents(path) != 0 || n < 0)
		return -1;
	return create_identity(path, head, (size_t)n, identity);
}

/* keygen's usage, naming the real default file. */
static int
keygen_usage(FILE *f)
{
	char def[512];

	cli_conf_words("identity.txt", def, sizeof(def));
	(void)fprintf(f, usage_keygen, def);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* Where keygen writes: -o FILE, age_identity, else the default (*def). */
static int
keygen_path(const struct ccfg *cfg, int argc, char **argv, const char **path,
    char **def)
{
	*path = cfg->age_identity;
	if (argc == 3 && strcmp(argv[1], "-o") == 0)
		*path = argv[2];
	else if (argc != 1)
		return keygen_usage(stderr);
	if (*path == NULL && (*path = *def = ccfg_default_path("identity.txt")) ==
	    NULL) {
		say("keygen: no HOME; give -o FILE");
		return EXIT_USAGE;
	}
	return 0;
}

static int
cmd_keygen(const struct ccfg *cfg, int json, int argc, char **argv)
{
	char identity[AGE_IDENTITY_STRLEN + 1], rcpt[AGE_RECIPIENT_STRLEN + 1];
	char *def = NULL;
	const char *path = NULL;
	int rc;

	(void)json;		/* refused before: keygen has no --json */
	if (wants_help(argc, argv))
		return keygen_usage(stdout);
	if ((rc = keygen_path(cfg, argc, argv, &path, &def)) != 0)
		return rc;
	rc = EXIT_REFUSED;
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
is_dir(const struct sftp_dirent *e)
{
	return (e->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
	    S_ISDIR(e->attrs.perm);
}

/* A header line, then one line per entry: NAME/ for a directory. */
static void
print_listing(const struct sftp_dirent *e, size_t n)
{
	size_t i;

	(void)printf("%-48s %14s\n", "NAME", "SIZE");
	for (i = 0; i < n; i++)
		if (is_dir(&e[i]))
			(void)printf("%s/\n", e[i].name);
		else
			(void)printf("%-48s %14llu\n", e[i].name,
			    (unsigned long long)e[i].attrs.size);
}

/* {"entries":[{"name":N,"size":S,"type":"file"},{"name":D,
 * "type":"directory"}],"path":P}, one line. */
static void
print_listing_json(const char *path, const struct sftp_dirent *e, size_t n)
{
	size_t i;

	(void)fputs("{\"entries\":[", stdout);
	for (i = 0; i < n; i++) {
		(void)fputs(i == 0 ? "{" : ",{", stdout);
		jsonw_kv_str(stdout, "name", e[i].name, 1);
		if (!is_dir(&e[i]))
			jsonw_kv_u64(stdout, "size", e[i].attrs.size, 0);
		jsonw_kv_str(stdout, "type", is_dir(&e[i]) ? "directory" :
		    "file", 0);
		(void)fputc('}', stdout);
	}
	(void)fputc(']', stdout);
	jsonw_kv_str(stdout, "path", path, 0);
	(void)fputs("}\n", stdout);
}

static int
cmd_ls(const struct ccfg *cfg, int json, int argc, char **argv)
{
	struct session s;
	struct sftp_dirent *e = NULL;
	char path[64], why[512];
	size_t n = 0;
	int rc, r;

	if (wants_help(argc, argv))
		return show_help(usage_ls);
	if (argc > 2)
		return usage_error(usage_ls);
	if (argc == 2 && (rc = nic_arg("ls", argv[1], usage_ls)) != 0)
		return rc;
	(void)snprintf(path, sizeof(path), "/%s", argc == 2 ? argv[1] : "");
	if ((rc = session_open(cfg, 1, &s)) != 0)
		goto out;
	if ((r = sftp_list(s.sftp, path, &e, &n, why, sizeof(why))) != 0) {
		say("%s", why);
		rc = exit_for(r);
		goto out;
	}
	if (json)
		print_listing_json(path, e, n);
	else
		print_listing(e, n);
out:
	sftp_dirents_free(e, n);
	session_close(&s);
	return rc;
}

static int
cmd_status(const struct ccfg *cfg, int json, int argc, char **argv)
{
	struct session s;
	char why[512];
	int rc, status;

	if (wants_help(argc, argv))
		return show_help(usage_status);
	if (argc != 1)
		return usage_error(usage_status);
	if ((rc = session_open(cfg, 0, &s)) != 0) {
		session_close(&s);
		return rc;
	}
	if (conn_exec(s.conn, json ? "status --json" : "status", STDOUT_FILENO,
	    STDERR_FILENO, &status, why, sizeof(why)) != 0) {
		say("%s", why);
		status = EXIT_REFUSED;
	}
	session_close(&s);
	/* the server's status, but 255 only ever means no connection */
	return status == EXIT_CONN ? EXIT_REFUSED : status;
}

/* --- get ----------------------------------------------------------------- */

struct get_ctx {
	struct sftp_client	*sftp;
	const char		*nic;
	const char		*outdir;
	char			 defout[32];	/* ./NIC, when no --out */
	char			 state[4096];	/* OUT/.sluice-partial */
	struct age_identity	*id;
	struct sums		 sums;
	struct get_report	 report;
	int			 made_out;	/* OUT made by this get */
};

/* How fetch() gets a file. */
#define FETCH_RESUME	0x1u	/* go on from a partial copy */

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

/* 1 when the file open at fd hashes to digest. */
static int
fd_matches(int fd, const uint8_t digest[32])
{
	uint8_t d[32];

	return sha256_fd(fd, d) == 0 && sodium_memcmp(d, digest, 32) == 0;
}

/* 1 when path exists and hashes to digest; *size is its size. */
static int
have_verified(const char *path, const uint8_t digest[32], uint64_t *size)
{
	struct stat st;
	int fd, ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && fd_matches(fd, digest);
	*size = ok ? (uint64_t)st.st_size : 0;
	(void)close(fd);
	return ok;
}

/* The transfer itself, from off on, with progress on a terminal. */
static int
download(struct get_ctx *g, const char *remote, const char *name,
    uint64_t size, int fd, uint64_t off, char *why, size_t whylen)
{
	struct progress pr;
	uint64_t got = 0;
	int r;

	if (off > 0)
		(void)fprintf(stderr, "sluice: %s: resuming at byte %llu\n",
		    name, (unsigned long long)off);
	progress_start(&pr, name, size);
	r = sftp_get(g->sftp, remote, fd, off, progress_cb, &pr, &got, why,
	    whylen);
	progress_end(&pr);
	return r;
}

/*
 * Downloads /NIC/name into the state directory as name.part (resuming what
 * is there) and renames it to name once complete. A complete copy of the
 * right size is kept as it is.
 */
static int
fetch(struct get_ctx *g, const char *remote, const char *name, uint64_t size,
    unsigned how, char *local, size_t locallen, char *why, size_t whylen)
{
	int resume = (how & FETCH_RESUME) != 0;
	char part[4200];
	struct stat st;
	uint64_t off = 0;
	int fd = -1, r;

	if (path_join(local, locallen, g->state, name) != 0 ||
	    snprintf(part, sizeof(part), "%s.part", local) >= (int)sizeof(part))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", name);
	if (resume && stat(local, &st) == 0 && (uint64_t)st.st_size == size)
		return 0;
	if ((r = getage_open_part(part, resume, size, &fd, &off, why,
	    whylen)) != 0 ||
	    (r = download(g, remote, name, size, fd, off, why, whylen)) != 0)
		goto out;
	/* a small file is read and removed at once: no need to sync it */
	if ((resume && fsync(fd) != 0) || rename(part, local) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "%s: %s", local,
		    strerror(errno));
out:
	/* a refused file leaves no empty partial copy behind */
	if (r != 0 && fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0)
		(void)unlink(part);
	if (fd >= 0)
		(void)close(fd);
	return r;
}

/* Reads a fetched small file into memory; the local copy goes away. */
static int
take_fetched(const char *local, const char *name, char **text, size_t *len,
    char *why, size_t whylen)
{
	int r;

	r = read_small_file(local, text, len);
	(void)unlink(local);
	if (r != 0)
		return sluice_why(why, whylen, r, "%s: cannot read (%s)", name,
		    sluice_strerror(r));
	return 0;
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
	return take_fetched(local, name, text, len, why, whylen);
}

/* The release key's text: the pinned file, else the server's /release.pub. */
static int
release_key(struct get_ctx *g, const char *pinned, char **text, size_t *len,
    char *why, size_t whylen)
{
	int r;

	if (pinned == NULL) {
		(void)fprintf(stderr, "sluice: no pinned release key "
		    "(--release-key or release_key); trusting the server's "
		    "/release.pub\n");
		return fetch_small(g, "/release.pub", "release.pub", text, len,
		    why, whylen);
	}
	if ((r = read_small_file(pinned, text, len)) != 0)
		return sluice_why(why, whylen, r, "release key %s: %s", pinned,
		    sluice_strerror(r));
	return 0;
}

/* Checks the minisign signature sig over sums with the key in keytext. */
static int
check_sums_signature(const char *keytext, size_t keylen, const char *sums,
    size_t sumslen, const char *sig, size_t siglen, char *why, size_t whylen)
{
	struct minisign_pubkey pub;
	char trusted[512];
	int r;

	if ((r = minisign_pubkey_parse(keytext, keylen, &pub, why,
	    whylen)) != 0 ||
	    (r = minisign_verify(&pub, (const uint8_t *)sums, sumslen, sig,
	    siglen, trusted, sizeof(trusted), why, whylen)) != 0) {
		why_prefix(why, whylen, "SHA256SUMS.minisig: ");
		return r;
	}
	(void)fprintf(stderr, "sluice: SHA256SUMS signature verified "
	    "(trusted comment: %s)\n", trusted);
	return 0;
}

/* Checks SHA256SUMS.minisig with the pinned key, else the server's. */
static int
verify_sums(struct get_ctx *g, const char *pinned, const char *sums,
    size_t sumslen, char *why, size_t whylen)
{
	char *sig = NULL, *keytext = NULL, remote[64];
	size_t siglen = 0, keylen = 0;
	int r;

	(void)snprintf(remote, sizeof(remote), "/%s/SHA256SUMS.minisig", g->nic);
	if ((r = fetch_small(g, remote, "SHA256SUMS.minisig", &sig, &siglen,
	    why, whylen)) == 0 &&
	    (r = release_key(g, pinned, &keytext, &keylen, why, whylen)) == 0)
		r = check_sums_signature(keytext, keylen, sums, sumslen, sig,
		    siglen, why, whylen);
	if (sig != NULL)
		sodium_free(sig);
	if (keytext != NULL)
		sodium_free(keytext);
	return r;
}

/* A file done, into the report. */
static int
reported(struct get_ctx *g, const char *name, enum get_outcome outcome,
    uint64_t bytes, int verified, char *why, size_t whylen)
{
	if (getreport_done(&g->report, name, outcome, bytes, verified) != 0)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	return 0;
}

/* A released file that is not encrypted: checked, then moved into OUT. */
static int
place_plain(struct get_ctx *g, const char *local, const char *name,
    uint64_t size, const uint8_t *digest, char *why, size_t whylen)
{
	char dst[4200];
	int fd, ok;

	if (path_join(dst, sizeof(dst), g->outdir, name) != 0)
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", name);
	if (digest != NULL) {
		if ((fd = open(local, O_RDONLY | O_CLOEXEC)) < 0)
			return sluice_why(why, whylen, SLUICE_EIO, "%s: %s",
			    local, strerror(errno));
		ok = fd_matches(fd, digest);
		(void)close(fd);
		if (!ok) {
			(void)unlink(local);
			return sluice_why(why, whylen, SLUICE_EVERIFY, "%s: "
			    "SHA-256 does not match SHA256SUMS; discarded",
			    name);
		}
	}
	if (rename(local, dst) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", dst,
		    strerror(errno));
	return reported(g, name, GOT_DOWNLOADED, size, digest != NULL, why,
	    whylen);
}

/* A released NAME.age: downloaded, decrypted and checked in one pass
 * into OUT/NAME (getage.h). */
static int
get_age(struct get_ctx *g, const struct sftp_dirent *e, const char *plain,
    const uint8_t *digest, char *why, size_t whylen)
{
	struct getage_job j = { g->sftp, g->id, g->nic, e->name, plain,
	    g->state, g->outdir, e->attrs.size, digest };
	uint64_t plen = 0;
	int r;

	if ((r = getage_run(&j, &plen, why, whylen)) != 0)
		return r;
	return reported(g, plain, GOT_DECRYPTED, plen, 1, why, whylen);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The name a file is saved under (NAME for NAME.age) and its SHA256SUMS
 * digest, which an encrypted file must have. */
static int
plain_name(struct get_ctx *g, const char *name, int is_age, char *plain,
    size_t plainlen, const uint8_t **digest, char *why, size_t whylen)
{
	(void)snprintf(plain, plainlen, "%s", name);
	if (is_age)
		plain[strlen(plain) - 4] = '\0';
	*digest = sums_find(&g->sums, plain);
	if (is_age && *digest == NULL)
		return sluice_why(why, whylen, SLUICE_EVERIFY, "%s is not "
		    "listed in SHA256SUMS; not decrypted", plain);
	return 0;
}

static int
get_one(struct get_ctx *g, const struct sftp_dirent *e, char *why,
    size_t whylen)
{
	char plain[512], local[4200], dst[4200], remote[512];
	const uint8_t *digest;
	uint64_t size = 0;
	int is_age = ends_with(e->name, ".age"), r;

	if ((r = plain_name(g, e->name, is_age, plain, sizeof(plain), &digest,
	    why, whylen)) != 0)
		return r;
	if (path_join(dst, sizeof(dst), g->outdir, plain) != 0 ||
	    snprintf(remote, sizeof(remote), "/%s/%s", g->nic, e->name) >=
	    (int)sizeof(remote))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", e->name);
	if (digest != NULL && have_verified(dst, digest, &size))
		return reported(g, plain, GOT_ALREADY_HERE, size, 1, why,
		    whylen);
	if (is_age)
		return get_age(g, e, plain, digest, why, whylen);
	if ((r = fetch(g, remote, e->name, e->attrs.size, FETCH_RESUME,
	    local, sizeof(local), why, whylen)) != 0)
		return r;
	return place_plain(g, local, e->name, e->attrs.size, digest, why,
	    whylen);
}

/* The key to decrypt with: --identity, age_identity, -i, else
 * ~/.ssh/id_ed25519 (then malloc'd in *def). */
static int
identity_path(const struct ccfg *cfg, const char *flag, const char **path,
    char **def, char *why, size_t whylen)
{
	const char *home = getenv("HOME");
	size_t n;

	*path = flag != NULL ? flag : cfg->age_identity;
	if (*path == NULL)
		*path = cfg->identity;
	if (*path == NULL && home != NULL) {
		n = strlen(home) + sizeof("/.ssh/id_ed25519");
		if ((*def = malloc(n)) == NULL)
			return sluice_why(why, whylen, SLUICE_ENOMEM,
			    "out of memory");
		(void)snprintf(*def, n, "%s/.ssh/id_ed25519", home);
		*path = *def;
	}
	if (*path == NULL)
		return sluice_why(why, whylen, SLUICE_EUSAGE, "no key to "
		    "decrypt with: give --identity FILE or -i KEY");
	return 0;
}

static int
load_identity(const struct ccfg *cfg, const char *flag,
    struct age_identity **id, char *why, size_t whylen)
{
	char *def = NULL, *text = NULL, pfx[4200];
	const char *path = NULL;
	size_t len = 0;
	int r;

	if ((r = identity_path(cfg, flag, &path, &def, why, whylen)) != 0)
		goto out;
	if ((r = read_small_file(path, &text, &len)) != 0) {
		r = sluice_why(why, whylen, r, "cannot read identity %s (%s)",
		    path, sluice_strerror(r));
		goto out;
	}
	if ((r = age_identity_parse(text, len, id, why, whylen)) != 0) {
		(void)snprintf(pfx, sizeof(pfx), "identity %s: ", path);
		why_prefix(why, whylen, pfx);
	}
out:
	if (text != NULL)
		sodium_free(text);
	free(def);
	return r;
}

/* Fetches SHA256SUMS, checks its signature and parses it into g->sums. */
static int
get_sums(struct get_ctx *g, const char *pinned, const char *dir, char *why,
    size_t whylen)
{
	char remote[64], *sums = NULL;
	size_t slen = 0;
	int r;

	(void)snprintf(remote, sizeof(remote), "/%s/SHA256SUMS", g->nic);
	if ((r = fetch_small(g, remote, "SHA256SUMS", &sums, &slen, why,
	    whylen)) != 0) {
		if (r == SLUICE_ENOTFOUND)
			r = sluice_why(why, whylen, SLUICE_ENOTFOUND, "no "
			    "released files in %s/ (is the agreement live?)",
			    dir);
		return r;
	}
	if ((r = verify_sums(g, pinned, sums, slen, why, whylen)) == 0)
		r = sums_parse(sums, slen, &g->sums, why, whylen);
	sodium_free(sums);
	return r;
}

/* Entries of /NIC/ that are not released files. */
static int
not_released(const struct sftp_dirent *d)
{
	return ((d->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
	    !S_ISREG(d->attrs.perm)) ||
	    strcmp(d->name, "SHA256SUMS") == 0 ||
	    strcmp(d->name, "SHA256SUMS.minisig") == 0 ||
	    strcmp(d->name, "deletion-certificate") == 0;
}

/* What ends a whole get: the session, the gate, a key the files are not
 * made for. Anything else fails one file. */
static int
ends_get(int r)
{
	return r == SLUICE_EIO || r == SLUICE_EPROTO || r == SLUICE_EDENIED ||
	    r == SLUICE_ENOMEM;
}

/* One released file, its name checked first. A file that fails is said on
 * stderr and reported; what ends the get is left to the caller to say. */
static int
get_checked(struct get_ctx *g, const struct sftp_dirent *d, char *why,
    size_t whylen)
{
	int r;

	if (strchr(d->name, '/') != NULL || d->name[0] == '.')
		r = sluice_why(why, whylen, SLUICE_EFORMAT, "%s: refusing a "
		    "file name from the server", d->name);
	else if ((r = get_one(g, d, why, whylen)) == 0 || ends_get(r))
		return r;
	say("%s", why);
	if (getreport_failed(&g->report, d->name, why) != 0)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	return r;
}

/* Each released file; one that fails is counted, but a session, gate or
 * key that ends the get stops the lot. */
static int
get_files(struct get_ctx *g, const struct sftp_dirent *e, size_t n,
    char *why, size_t whylen)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if (!not_released(&e[i]) &&
		    (r = get_checked(g, &e[i], why, whylen)) != 0 && ends_get(r))
			return r;
	return 0;
}

/* The summary (text or JSON); a failed file makes the get fail. */
static int
get_summary(const struct get_ctx *g, const char *dir, char *why,
    size_t whylen)
{
	const struct get_report *t = &g->report;

	if (t->done == 0 && t->failed == 0)
		return sluice_why(why, whylen, SLUICE_ENOTFOUND, "no released "
		    "files in %s/", dir);
	getreport_end(t, g->nic, g->outdir);
	if (t->failed > 0)
		return sluice_why(why, whylen, SLUICE_EVERIFY, "%zu of %zu "
		    "files failed", t->failed, t->failed + t->done);
	return 0;
}

static int
get_all(struct get_ctx *g, const char *pinned, char *why, size_t whylen)
{
	struct sftp_dirent *e = NULL;
	char dir[64];
	size_t n = 0;
	int r;

	(void)snprintf(dir, sizeof(dir), "/%s", g->nic);
	if ((r = sftp_list(g->sftp, dir, &e, &n, why, whylen)) == 0 &&
	    (r = get_sums(g, pinned, dir, why, whylen)) == 0 &&
	    (r = get_files(g, e, n, why, whylen)) == 0)
		r = get_summary(g, dir, why, whylen);
	sftp_dirents_free(e, n);
	return r;
}

static int
get_parse(const struct ccfg *cfg, int argc, char **argv, struct get_ctx *g,
    const char **identity, const char **pinned)
{
	const struct cli_opt opts[] = {
		{ "out", &g->outdir, NULL },
		{ "identity", identity, NULL },
		{ "release-key", pinned, NULL },
	};
	int rc;

	*identity = NULL;
	*pinned = cfg->release_key;
	if (cli_opts(argc, argv, opts, sizeof(opts) / sizeof(opts[0])) != 0 ||
	    optind != argc - 1)
		return usage_error(usage_get);
	if ((rc = nic_arg("get", argv[optind], usage_get)) != 0)
		return rc;
	g->nic = argv[optind];
	if (g->outdir == NULL) {
		(void)snprintf(g->defout, sizeof(g->defout), "%s", g->nic);
		g->outdir = g->defout;
	}
	return 0;
}

/* OUT and OUT/.sluice-partial, where downloads wait until complete. */
static int
get_dirs(struct get_ctx *g)
{
	if (mkdir(g->outdir, 0700) == 0)
		g->made_out = 1;
	else if (errno != EEXIST)
		g->made_out = -1;
	if (g->made_out < 0 ||
	    path_join(g->state, sizeof(g->state), g->outdir,
	    ".sluice-partial") != 0 ||
	    (mkdir(g->state, 0700) != 0 && errno != EEXIST)) {
		say("get: cannot create %s: %s", g->outdir, strerror(errno));
		return EXIT_REFUSED;
	}
	return 0;
}

static int
get_run(struct get_ctx *g, const char *pinned)
{
	char why[1024];
	int r;

	r = get_all(g, pinned, why, sizeof(why));
	/* each only when empty: nothing partial left, nothing got */
	(void)rmdir(g->state);
	if (r != 0 && g->made_out)
		(void)rmdir(g->outdir);
	if (r != 0) {
		say("get: %s", why);
		return exit_for(r);
	}
	return EXIT_OK;
}

static int
cmd_get(const struct ccfg *cfg, int json, int argc, char **argv)
{
	struct get_ctx g;
	struct session s;
	const char *identity, *pinned;
	char why[1024];
	int rc, r;

	if (wants_help(argc, argv))
		return show_help(usage_get);
	memset(&g, 0, sizeof(g));
	memset(&s, 0, sizeof(s));
	g.report.json = json;
	if ((rc = get_parse(cfg, argc, argv, &g, &identity, &pinned)) != 0)
		return rc;
	if ((r = load_identity(cfg, identity, &g.id, why, sizeof(why))) != 0) {
		say("get: %s", why);
		return r == SLUICE_EUSAGE ? EXIT_USAGE : EXIT_REFUSED;
	}
	interrupt_install();
	if ((rc = get_dirs(&g)) == 0 && (rc = session_open(cfg, 1, &s)) == 0) {
		g.sftp = s.sftp;
		rc = get_run(&g, pinned);
	}
	session_close(&s);
	sums_clear(&g.sums);
	getreport_clear(&g.report);
	age_identity_free(g.id);
	return rc;
}

/* --- certify-deletion ---------------------------------------------------- */

struct certify_args {
	const char	*nic, *org, *datasets, *destroyed_on, *method, *copies;
	const char	*signatory, *cert, *key, *save;
	int		 dry_run;
};

/* Every value the certificate needs (and, to sign, the cert and key). */
static int
certify_complete(const struct certify_args *a)
{
	return a->org != NULL && a->datasets != NULL &&
	    a->destroyed_on != NULL && a->method != NULL && a->copies != NULL &&
	    a->signatory != NULL &&
	    (a->dry_run || (a->cert != NULL && a->key != NULL));
}

static int
certify_parse(int argc, char **argv, struct certify_args *a)
{
	const struct cli_opt opts[] = {
		{ "org", &a->org, NULL },
		{ "datasets", &a->datasets, NULL },
		{ "destroyed-on", &a->destroyed_on, NULL },
		{ "method", &a->method, NULL },
		{ "copies", &a->copies, NULL },
		{ "signatory", &a->signatory, NULL },
		{ "cert", &a->cert, NULL },
		{ "key", &a->key, NULL },
		{ "save", &a->save, NULL },
		{ "dry-run", NULL, &a->dry_run },
	};

	memset(a, 0, sizeof(*a));
	if (cli_opts(argc, argv, opts, sizeof(opts) / sizeof(opts[0])) != 0 ||
	    optind != argc - 1)
		return SLUICE_EUSAGE;
	a->nic = argv[optind];
	return certify_complete(a) ? 0 : SLUICE_EUSAGE;
}

/* The certificate's fields from the command line. */
static int
certify_doc(const struct certify_args *a, struct certdoc *d, char *why,
    size_t whylen)
{
	if (strlen(a->nic) >= sizeof(d->agreement) ||
	    strlen(a->org) >= sizeof(d->organisation))
		return sluice_why(why, whylen, SLUICE_EINVAL, "%s",
		    strlen(a->nic) >= sizeof(d->agreement) ? "bad NIC" :
		    "organisation code longer than 64 bytes");
	(void)snprintf(d->agreement, sizeof(d->agreement), "%s", a->nic);
	(void)snprintf(d->organisation, sizeof(d->organisation), "%s", a->org);
	if (sluice_date_parse(a->destroyed_on, &d->destroyed_on) != 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad "
		    "--destroyed-on date '%s' (expected YYYY-MM-DD)",
		    a->destroyed_on);
	if ((d->datasets = strdup(a->datasets)) == NULL ||
	    (d->method = strdup(a->method)) == NULL ||
	    (d->copies = strdup(a->copies)) == NULL ||
	    (d->signatory = strdup(a->signatory)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	return 0;
}

static int
certify_text(const struct certify_args *a, char **text, size_t *len,
    char *why, size_t whylen)
{
	struct certdoc d;
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = certify_doc(a, &d, why, whylen)) != 0 ||
	    (r = certdoc_format(&d, text, len, why, whylen)) != 0)
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

/* What parse makes of the file at path, or NULL. */
static void *
read_with(const char *path, void *(*parse)(BIO *))
{
	BIO *b;
	void *v;

	if ((b = BIO_new_file(path, "rb")) == NULL)
		return NULL;
	v = parse(b);
	BIO_free(b);
	return v;
}

/* A certificate, PEM or DER. */
static void *
read_cert(BIO *b)
{
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	if (x == NULL && BIO_reset(b) == 0) {
		ERR_clear_error();
		x = d2i_X509_bio(b, NULL);
	}
	return x;
}

static void *
read_key(BIO *b)
{
	return PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
}

/* The signatory's certificate and the private key that goes with it. */
static int
load_signer(const struct certify_args *a, X509 **x, EVP_PKEY **k, char *why,
    size_t whylen)
{
	if ((*x = read_with(a->cert, read_cert)) == NULL)
		return openssl_why(why, whylen, "cannot read the certificate");
	if ((*k = read_with(a->key, read_key)) == NULL)
		return openssl_why(why, whylen, "cannot read the private key");
	if (X509_check_private_key(*x, *k) != 1)
		return openssl_why(why, whylen, "the key does not match the "
		    "certificate");
	return 0;
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
	int n, r;

	*der = NULL;
	if ((r = load_signer(a, &x, &k, why, whylen)) != 0)
		goto out;
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

/* An unnamed temporary file under $TMPDIR, else /tmp. */
static int
unnamed_temp_fd(void)
{
	char tmp[4200];
	const char *dir = getenv("TMPDIR");
	int fd;

	(void)snprintf(tmp, sizeof(tmp), "%s/sluice-cert.XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if ((fd = mkstemp(tmp)) >= 0)
		(void)unlink(tmp);
	return fd;
}

/* --save FILE, else an unnamed temporary file. */
static int
cert_fd(const char *save)
{
	if (save != NULL)
		return open(save, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return unnamed_temp_fd();
}

/* A file holding the signed certificate, positioned at its start. */
static int
certify_file(const char *save, const uint8_t *der, size_t len, int *fd,
    char *why, size_t whylen)
{
	if ((*fd = cert_fd(save)) < 0)
		return sluice_why(why, whylen, SLUICE_EIO, "cannot write the "
		    "signed certificate: %s", strerror(errno));
	if (files_write_all(*fd, der, len) != 0 || fsync(*fd) != 0 ||
	    lseek(*fd, 0, SEEK_SET) != 0) {
		(void)close(*fd);
		*fd = -1;
		return sluice_why(why, whylen, SLUICE_EIO, "cannot write the "
		    "signed certificate: %s", strerror(errno));
	}
	return 0;
}

/* Signs text into a file (*fd) ready to upload. */
static int
certify_signed_file(const struct certify_args *a, const char *text,
    size_t len, int *fd)
{
	char why[1024];
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	if ((r = certify_sign(a, text, len, &der, &derlen, why,
	    sizeof(why))) == 0)
		r = certify_file(a->save, der, derlen, fd, why, sizeof(why));
	OPENSSL_free(der);
	if (r != 0) {
		say("certify-deletion: %s", why);
		return EXIT_REFUSED;
	}
	return 0;
}

/* Uploads the signed certificate and prints the server's verdict. */
static int
certify_upload(const struct ccfg *cfg, const char *nic, int fd)
{
	struct session s;
	char why[1024], verdict[1024], path[80];
	int rc, r;

	(void)snprintf(path, sizeof(path), "/%s/deletion-certificate/"
	    "certificate.p7m", nic);
	if ((rc = session_open(cfg, 1, &s)) != 0)
		goto out;
	if ((r = sftp_put(s.sftp, fd, path, NULL, NULL, verdict,
	    sizeof(verdict), why, sizeof(why))) != 0) {
		say("certify-deletion: %s", why);
		rc = exit_for(r);
		goto out;
	}
	(void)printf("%s\n", verdict[0] != '\0' ? verdict :
	    "certificate of deletion uploaded");
out:
	session_close(&s);
	return rc;
}

static int
cmd_certify(const struct ccfg *cfg, int json, int argc, char **argv)
{
	struct certify_args a;
	char *text = NULL, why[1024];
	size_t len = 0;
	int fd = -1, rc, r;

	(void)json;		/* refused before: no --json here */
	if (wants_help(argc, argv))
		return show_help(usage_certify);
	if (certify_parse(argc, argv, &a) != 0 || nic_check(a.nic, NULL, 0) != 0)
		return usage_error(usage_certify);
	if ((r = certify_text(&a, &text, &len, why, sizeof(why))) != 0) {
		say("certify-deletion: %s", why);
		return r == SLUICE_EINVAL || r == SLUICE_EFORMAT ? EXIT_USAGE :
		    EXIT_REFUSED;
	}
	if (a.dry_run) {
		(void)fwrite(text, 1, len, stdout);
		rc = EXIT_OK;
	} else if ((rc = certify_signed_file(&a, text, len, &fd)) == 0)
		rc = certify_upload(cfg, a.nic, fd);
	if (fd >= 0)
		(void)close(fd);
	free(text);
	return rc;
}

/* --- main ---------------------------------------------------------------- */

struct subcommand {
	const char	*name;
	int		(*run)(const struct ccfg *, int, int, char **);
	int		 json;		/* answers --json */
};

static const struct subcommand subcommands[] = {
	{ "keygen", cmd_keygen, 0 },
	{ "ls", cmd_ls, 1 },
	{ "get", cmd_get, 1 },
	{ "status", cmd_status, 1 },
	{ "certify-deletion", cmd_certify, 0 },
};

static const struct subcommand *
find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return &subcommands[i];
	return NULL;
}

/* Takes every --json out of a command's words (up to a "--"); 1 if any. */
static int
take_command_json(int *argc, char **argv)
{
	int i, j, json = 0, ended = 0;

	for (i = j = 1; i < *argc; i++) {
		if (!ended && strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if (strcmp(argv[i], "--") == 0)
			ended = 1;
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	*argc = j;
	return json;
}

/* The command, with --json before it (json) or among its words. */
static int
run_command(const struct subcommand *sc, const struct ccfg *cfg, int json,
    int argc, char **argv)
{
	if (take_command_json(&argc, argv))
		json = 1;
	if (json && !sc->json) {
		say("%s: --json is for ls, status and get", sc->name);
		return EXIT_USAGE;
	}
	return sc->run(cfg, json, argc, argv);
}

int
main(int argc, char **argv)
{
	const struct subcommand *sc;
	struct ccfg cfg;
	char why[512];
	int next, help, json, rc = EXIT_USAGE;

	if (sodium_init() < 0 || ccfg_init(&cfg) != 0) {
		(void)fprintf(stderr, "sluice: cannot initialise\n");
		return EXIT_REFUSED;
	}
	json = cli_take_json(&argc, argv);
	if (cli_global(argc, argv, "sluice.conf", &cfg, &next, &help, why,
	    sizeof(why)) != 0) {
		say("%s", why);
		goto out;
	}
	if (help == CLI_VERSION) {
		rc = cli_version("sluice");
		goto out;
	}
	if (help || next >= argc) {
		rc = usage(help ? stdout : stderr);
		goto out;
	}
	if ((sc = find_subcommand(argv[next])) == NULL) {
		say("unknown command \"%s\" (see sluice --help)", argv[next]);
		goto out;
	}
	rc = run_command(sc, &cfg, json, argc - next, argv + next);
out:
	ccfg_clear(&cfg);
	return rc;
}
