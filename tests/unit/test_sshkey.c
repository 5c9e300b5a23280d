/* test_sshkey.c: public key lines, fingerprints and private keys vs ssh-keygen. */
#include <check.h>
#include <libssh/libssh.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "sluice/error.h"
#include "sluice/sshkey.h"
#include "testutil.h"
#include "suite_run.h"

static char dir[64];

struct keyfile {
	const char	*name;
	const char	*type;	/* ssh-keygen -t */
	const char	*bits;	/* ssh-keygen -b, or NULL */
	enum sshkey_type expect;
	unsigned	 expect_bits;
};

static const struct keyfile keys[] = {
	{ "ed", "ed25519", NULL, SSHKEY_ED25519, 256 },
	{ "rsa", "rsa", "3072", SSHKEY_RSA, 3072 },
	{ "rsa2k", "rsa", "2048", SSHKEY_RSA, 2048 },
	{ "p256", "ecdsa", "256", SSHKEY_ECDSA_P256, 256 },
	{ "p384", "ecdsa", "384", SSHKEY_ECDSA_P384, 384 },
	{ "p521", "ecdsa", "521", SSHKEY_ECDSA_P521, 521 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int
make_keys(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const char *argv[] = { "ssh-keygen", "-q", "-t", keys[i].type,
		    "-N", "", "-C", "user@example test", "-f", path,
		    keys[i].bits ? "-b" : NULL, keys[i].bits, NULL };
		if (tu_path(path, sizeof(path), dir, keys[i].name) != 0 ||
		    tu_run(argv, NULL, NULL) != 0)
			return -1;
	}
	{
		const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519",
		    "-N", "secret pass", "-f", path, NULL };
		if (tu_path(path, sizeof(path), dir, "enc") != 0 ||
		    tu_run(argv, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

static char *
read_text(const char *name)
{
	char path[128];
	uint8_t *p;
	size_t n;

	ck_assert_int_eq(tu_path(path, sizeof(path), dir, name), 0);
	ck_assert_msg(tu_read_file(path, &p, &n) == 0, "cannot read %s", path);
	return (char *)p;
}

/* The SHA256:... field of `ssh-keygen -lf FILE`. */
static void
keygen_fingerprint(const char *name, char fp[SSHKEY_FP_SIZE])
{
	char path[128], out[128];
	const char *argv[] = { "ssh-keygen", "-l", "-E", "sha256", "-f", path,
	    NULL };
	char *text, *sp, *sp2;

	ck_assert_int_eq(tu_path(path, sizeof(path), dir, name), 0);
	ck_assert_int_eq(tu_path(out, sizeof(out), dir, "fp.out"), 0);
	ck_assert_msg(tu_run(argv, NULL, out) == 0, "ssh-keygen -l failed "
	    "or missing");
	text = read_text("fp.out");
	sp = strchr(text, ' ');
	ck_assert_ptr_nonnull(sp);
	sp2 = strchr(sp + 1, ' ');
	ck_assert_ptr_nonnull(sp2);
	ck_assert_uint_eq((size_t)(sp2 - sp - 1), SSHKEY_FP_SIZE - 1);
	memcpy(fp, sp + 1, SSHKEY_FP_SIZE - 1);
	fp[SSHKEY_FP_SIZE - 1] = '\0';
	free(text);
}

START_TEST(test_parse_each_type)
{
	char name[32], why[256], fp[SSHKEY_FP_SIZE], want[SSHKEY_FP_SIZE];
	struct sshkey_pub *k = NULL;
	char *text, *line = NULL;

	(void)snprintf(name, sizeof(name), "%s.pub", keys[_i].name);
	text = read_text(name);
	ck_assert_msg(sshkey_pub_parse(text, &k, why, sizeof(why)) == 0,
	    "%s: %s", name, why);
	ck_assert_int_eq(k->type, keys[_i].expect);
	ck_assert_uint_eq(k->bits, keys[_i].expect_bits);
	ck_assert_str_eq(k->comment, "user@example test");
	ck_assert_int_eq(sshkey_fingerprint(k->blob, k->bloblen, fp), 0);
	keygen_fingerprint(name, want);
	ck_assert_str_eq(fp, want);
	/* Formatting gives back the file's line. */
	ck_assert_int_eq(sshkey_pub_format(k, &line), 0);
	text[strcspn(text, "\n")] = '\0';
	ck_assert_str_eq(line, text);
	free(line);
	sshkey_pub_free(k);
	free(text);
}
END_TEST

START_TEST(test_acceptable)
{
	char why[256] = "";
	struct sshkey_pub *k = NULL;
	char *text;

	text = read_text("rsa2k.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &k, why, sizeof(why)), 0);
	ck_assert_int_eq(sshkey_acceptable(k, why, sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "RSA key of 2048 bits refused: at least 3072 bits "
	    "required (ed25519 preferred)");
	sshkey_pub_free(k);
	free(text);
	text = read_text("rsa.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &k, why, sizeof(why)), 0);
	ck_assert_int_eq(sshkey_acceptable(k, why, sizeof(why)), 0);
	sshkey_pub_free(k);
	free(text);
	text = read_text("ed.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &k, why, sizeof(why)), 0);
	ck_assert_int_eq(sshkey_acceptable(k, why, sizeof(why)), 0);
	sshkey_pub_free(k);
	free(text);
}
END_TEST

/* Re-encodes blob as a line of the given type word. */
static char *
line_of(const char *type, const uint8_t *blob, size_t n)
{
	size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	size_t tl = strlen(type);
	char *s = malloc(tl + 1 + b64);

	ck_assert_ptr_nonnull(s);
	memcpy(s, type, tl);
	s[tl] = ' ';
	sodium_bin2base64(s + tl + 1, b64, blob, n, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

static void
expect_refused(const char *line, int code, const char *reason)
{
	struct sshkey_pub *k = (void *)1;
	char why[256] = "";

	ck_assert_int_eq(sshkey_pub_parse(line, &k, why, sizeof(why)), code);
	ck_assert_ptr_null(k);
	ck_assert_str_eq(why, reason);
}

START_TEST(test_garbage)
{
	expect_refused("", SLUICE_EFORMAT,
	    "not a supported SSH public key type ()");
	expect_refused("ssh-ed25519", SLUICE_EFORMAT,
	    "public key line has no key data");
	expect_refused("ssh-ed25519 !!!!", SLUICE_EFORMAT,
	    "public key data is not valid base64");
	expect_refused("ssh-dss AAAAB3NzaC1kc3MAAACBAP", SLUICE_EFORMAT,
	    "not a supported SSH public key type (ssh-dss)");
	expect_refused("no-pty ssh-ed25519 AAAA", SLUICE_EFORMAT,
	    "not a supported SSH public key type (no-pty)");
	expect_refused("ssh-ed25519-cert-v01@openssh.com AAAA", SLUICE_EFORMAT,
	    "not a supported SSH public key type "
	    "(ssh-ed25519-cert-v01@openssh.com)");
	/* Non-canonical base64: the last character carries stray bits. */
	expect_refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP", SLUICE_EFORMAT,
	    "public key data is not valid base64");
}
END_TEST

START_TEST(test_blob_damage)
{
	struct sshkey_pub *ed = NULL, *rsa = NULL, *ec = NULL;
	char why[256], *text, *line;
	uint8_t buf[SSHKEY_BLOB_MAX + 8];

	text = read_text("ed.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &ed, why, sizeof(why)), 0);
	free(text);
	text = read_text("rsa.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &rsa, why, sizeof(why)), 0);
	free(text);
	text = read_text("p256.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &ec, why, sizeof(why)), 0);
	free(text);

	/* Truncated: the key is one byte short. */
	line = line_of("ssh-ed25519", ed->blob, ed->bloblen - 1);
	expect_refused(line, SLUICE_EFORMAT, "ssh-ed25519 key is not 32 bytes");
	free(line);
	/* Trailing bytes after a complete key. */
	memcpy(buf, ed->blob, ed->bloblen);
	buf[ed->bloblen] = 0;
	line = line_of("ssh-ed25519", buf, ed->bloblen + 1);
	expect_refused(line, SLUICE_EFORMAT, "key blob has 1 trailing bytes");
	free(line);
	/* The type word and the blob disagree. */
	line = line_of("ssh-ed25519", rsa->blob, rsa->bloblen);
	expect_refused(line, SLUICE_EFORMAT,
	    "key type ssh-ed25519 does not match the key data (ssh-rsa)");
	free(line);
	/* RSA modulus truncated: its declared length runs past the end. */
	line = line_of("ssh-rsa", rsa->blob, rsa->bloblen - 10);
	expect_refused(line, SLUICE_EFORMAT,
	    "ssh-rsa key has a malformed exponent or modulus");
	free(line);
	/* An ECDSA point moved off the curve. */
	memcpy(buf, ec->blob, ec->bloblen);
	buf[ec->bloblen - 1] ^= 1;
	line = line_of("ecdsa-sha2-nistp256", buf, ec->bloblen);
	expect_refused(line, SLUICE_EFORMAT, "ECDSA key point is not on its curve");
	free(line);
	/* Comment with a control character; two lines in one. */
	text = read_text("ed.pub");
	text[strcspn(text, "\n")] = '\0';
	line = malloc(strlen(text) + 8);
	ck_assert_ptr_nonnull(line);
	(void)snprintf(line, strlen(text) + 8, "%s\x01x", text);
	expect_refused(line, SLUICE_EFORMAT,
	    "key comment holds a control character");
	(void)snprintf(line, strlen(text) + 8, "%s\nx", text);
	expect_refused(line, SLUICE_EFORMAT,
	    "public key line holds more than one line");
	free(line);
	free(text);
	sshkey_pub_free(ed);
	sshkey_pub_free(rsa);
	sshkey_pub_free(ec);
}
END_TEST

START_TEST(test_accessors)
{
	struct sshkey_pub *ed = NULL, *rsa = NULL;
	char why[256], *text;
	uint8_t pk[32];
	EVP_PKEY *pkey = NULL;
	unsigned bits = 0;

	text = read_text("ed.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &ed, why, sizeof(why)), 0);
	free(text);
	text = read_text("rsa.pub");
	ck_assert_int_eq(sshkey_pub_parse(text, &rsa, why, sizeof(why)), 0);
	free(text);
	ck_assert_int_eq(sshkey_ed25519_pk(ed->blob, ed->bloblen, pk), 0);
	ck_assert_mem_eq(pk, ed->blob + ed->bloblen - 32, 32);
	ck_assert_int_eq(sshkey_ed25519_pk(rsa->blob, rsa->bloblen, pk),
	    SLUICE_EFORMAT);
	ck_assert_int_eq(sshkey_rsa_pkey(rsa->blob, rsa->bloblen, &pkey, &bits), 0);
	ck_assert_uint_eq(bits, 3072);
	ck_assert_int_eq(EVP_PKEY_get_bits(pkey), 3072);
	EVP_PKEY_free(pkey);
	ck_assert_int_eq(sshkey_rsa_pkey(ed->blob, ed->bloblen, &pkey, &bits),
	    SLUICE_EFORMAT);
	ck_assert_ptr_null(pkey);
	sshkey_pub_free(ed);
	sshkey_pub_free(rsa);
}
END_TEST

static void
priv_matches_pub(const char *name, enum sshkey_type type)
{
	char pubname[32], why[256] = "", *text, *pubtext;
	struct sshkey_priv *sk = NULL;
	struct sshkey_pub *pk = NULL;

	(void)snprintf(pubname, sizeof(pubname), "%s.pub", name);
	text = read_text(name);
	pubtext = read_text(pubname);
	ck_assert_msg(sshkey_priv_parse(text, strlen(text), &sk, why,
	    sizeof(why)) == 0, "%s: %s", name, why);
	ck_assert_int_eq(sshkey_pub_parse(pubtext, &pk, why, sizeof(why)), 0);
	ck_assert_int_eq(sk->type, type);
	ck_assert_uint_eq(sk->bloblen, pk->bloblen);
	ck_assert_mem_eq(sk->blob, pk->blob, pk->bloblen);
	ck_assert_str_eq(sk->comment, "user@example test");
	if (type == SSHKEY_ED25519)
		ck_assert_mem_eq(sk->ed25519_sk + 32, pk->blob + pk->bloblen - 32,
		    32);
	else
		ck_assert_ptr_nonnull(sk->rsa);
	sshkey_priv_free(sk);
	sshkey_pub_free(pk);
	free(text);
	free(pubtext);
}

START_TEST(test_private_keys)
{
	char why[256] = "", *text;
	struct sshkey_priv *sk = (void *)1;
	char *p;

	priv_matches_pub("ed", SSHKEY_ED25519);
	priv_matches_pub("rsa", SSHKEY_RSA);

	text = read_text("enc");
	ck_assert_int_eq(sshkey_priv_parse(text, strlen(text), &sk, why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_ptr_null(sk);
	ck_assert_str_eq(why, "private key is protected by a passphrase; remove "
	    "it first (ssh-keygen -p -N '' -f KEYFILE, on a copy)");
	free(text);

	text = read_text("p256");
	ck_assert_int_eq(sshkey_priv_parse(text, strlen(text), &sk, why,
	    sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "only ed25519 and RSA private keys are supported");
	free(text);

	/* One base64 character changed inside the private section. */
	text = read_text("ed");
	p = strstr(text, "\n") + 1 + 200;
	*p = *p == 'A' ? 'B' : 'A';
	ck_assert_int_eq(sshkey_priv_parse(text, strlen(text), &sk, why,
	    sizeof(why)), SLUICE_EFORMAT);
	free(text);

	ck_assert_int_eq(sshkey_priv_parse("hello", 5, &sk, why, sizeof(why)),
	    SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not an OpenSSH private key (no BEGIN OPENSSH "
	    "PRIVATE KEY line)");
}
END_TEST

/* A key as `sluiced init` writes the host key, with libssh (whose private
 * section is padded to 16 bytes, not ssh-keygen's 8), parses, and its .pub
 * loads as the same key. */
START_TEST(test_libssh_written_key)
{
	char path[128], pub[136], why[256] = "", *b64 = NULL, *text, line[256];
	struct sshkey_priv *sk = NULL;
	struct sshkey_pub *pk = NULL;
	ssh_key key = NULL;

	ck_assert_int_eq(tu_path(path, sizeof(path), dir, "libssh_ed"), 0);
	(void)snprintf(pub, sizeof(pub), "%s.pub", path);
	ck_assert_int_eq(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key), SSH_OK);
	ck_assert_int_eq(ssh_pki_export_privkey_file(key, NULL, NULL, NULL,
	    path), SSH_OK);
	ck_assert_int_eq(ssh_pki_export_pubkey_base64(key, &b64), SSH_OK);
	(void)snprintf(line, sizeof(line), "ssh-ed25519 %s host\n", b64);
	ck_assert_int_eq(tu_write_file(pub, line, strlen(line)), 0);
	text = read_text("libssh_ed");
	ck_assert_msg(sshkey_priv_parse(text, strlen(text), &sk, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_msg(sshkey_pub_load(pub, &pk, why, sizeof(why)) == 0, "%s",
	    why);
	ck_assert_uint_eq(sk->bloblen, pk->bloblen);
	ck_assert_mem_eq(sk->blob, pk->blob, pk->bloblen);
	ck_assert_str_eq(pk->comment, "host");
	sshkey_priv_free(sk);
	sshkey_pub_free(pk);
	ssh_string_free_char(b64);
	ssh_key_free(key);
	free(text);
}
END_TEST

/* sshkey_pub_load() names the file in its refusals. */
START_TEST(test_pub_load_refusals)
{
	char path[128], why[512] = "", want[600];
	struct sshkey_pub *pk = (void *)1;

	ck_assert_int_eq(tu_path(path, sizeof(path), dir, "absent.pub"), 0);
	ck_assert_int_eq(sshkey_pub_load(path, &pk, why, sizeof(why)),
	    SLUICE_ENOTFOUND);
	ck_assert_ptr_null(pk);
	(void)snprintf(want, sizeof(want), "%s: cannot read it", path);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(tu_path(path, sizeof(path), dir, "two.pub"), 0);
	ck_assert_int_eq(tu_write_file(path, "ssh-ed25519 AAAA\nx\n", 19), 0);
	ck_assert_int_eq(sshkey_pub_load(path, &pk, why, sizeof(why)),
	    SLUICE_EFORMAT);
	(void)snprintf(want, sizeof(want), "%s: public key line holds more "
	    "than one line", path);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(tu_write_file(path, "ssh-ed25519 A\0A\n", 16), 0);
	ck_assert_int_eq(sshkey_pub_load(path, &pk, why, sizeof(why)),
	    SLUICE_EFORMAT);
	(void)snprintf(want, sizeof(want), "%s: not a public key line", path);
	ck_assert_str_eq(why, want);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sshkey");
	TCase *tc = tcase_create("core");
	int status;

	if (tu_mkdtemp(dir) != 0 || make_keys() != 0) {
		fprintf(stderr, "test_sshkey: cannot make keys with ssh-keygen\n");
		tu_rmrf(dir);
		return 1;
	}
	tcase_add_loop_test(tc, test_parse_each_type, 0, (int)NKEYS);
	tcase_add_test(tc, test_acceptable);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_blob_damage);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_private_keys);
	tcase_add_test(tc, test_libssh_written_key);
	tcase_add_test(tc, test_pub_load_refusals);
	suite_add_tcase(s, tc);
	status = suite_run(s);
	tu_rmrf(dir);
	return status;
}
