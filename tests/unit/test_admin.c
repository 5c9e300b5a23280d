/*
 * test_admin.c: the admin channel driven through admin_run() against a real
 * store in a temp dir. The store API is used directly only to seed the first
 * admin (as `sluiced init` does) and to read row counts and audit entries.
 */
#define _GNU_SOURCE	/* O_DIRECT */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sluice/age.h"
#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/sshkey.h"

#include "engine/admin/admin.h"
#include "engine/audit.h"
#include "engine/audit_anchor.h"
#include "engine/extract.h"
#include "engine/inbox.h"
#include "payloads/payloads.h"
#include "store/store.h"
#include "testutil.h"
#include "suite_run.h"

/* ---- the fixture --------------------------------------------------------- */

static char dir[64];
static struct store *st;
static struct audit_anchor *anchor;	/* the log's signed head */
static uint8_t master[32];
static const int64_t NOW = 1772323200;	/* 2026-03-01T00:00:00Z */

struct answer {
	int	 status;
	char	*out;
	char	*err;
};

static void
answer_free(struct answer *a)
{
	free(a->out);
	free(a->err);
	memset(a, 0, sizeof(*a));
}

static char *
sbuf_str(struct sbuf *b)
{
	char *s = malloc(sbuf_len(b) + 1);

	ck_assert_ptr_nonnull(s);
	if (sbuf_len(b) > 0)	/* an empty sbuf may have no storage */
		memcpy(s, sbuf_ptr(b), sbuf_len(b));
	s[sbuf_len(b)] = '\0';
	return s;
}

/* Non-zero: run_len() takes the answer in pieces of about this many bytes
 * (admin_ctx.spill), as the engine does, and joins them ahead of out. */
static size_t spill_at;
static size_t spills;

static int
spill_collect(void *arg, struct sbuf **text)
{
	struct sbuf *pieces = arg;
	int r;

	spills++;
	if ((r = sbuf_put(pieces, sbuf_ptr(*text), sbuf_len(*text))) == 0)
		sbuf_reset(*text);
	return r;
}

/* What run_len() answers on stdout: the pieces, then out. */
static char *
joined_out(struct sbuf *pieces, struct sbuf *out)
{
	ck_assert_int_eq(sbuf_put(pieces, sbuf_ptr(out), sbuf_len(out)), 0);
	return sbuf_str(pieces);
}

/* Runs line as user (looked up in the store; NULL or unknown: no roles). */
static struct answer
run_len(const char *user, const char *line, size_t len)
{
	struct admin_ctx ctx;
	struct identity id;
	struct answer a;
	struct sbuf *pieces = sbuf_new();

	memset(&ctx, 0, sizeof(ctx));
	memset(&a, 0, sizeof(a));
	if (spill_at != 0) {
		ctx.spill = spill_collect;
		ctx.spill_arg = pieces;
		ctx.spill_at = spill_at;
	}
	ctx.store = st;
	ctx.data_dir = dir;
	ctx.master_key = master;
	ctx.anchor = anchor;
	ctx.now = NOW;
	ctx.user = user;
	if (user != NULL && identity_by_user(st, user, &id) == 0) {
		ctx.kind = id.kind == IDENTITY_STAFF ? ADMIN_CALLER_STAFF :
		    ADMIN_CALLER_RECIPIENT;
		ctx.roles = id.roles;
		if (id.kind == IDENTITY_STAFF)
			ctx.staff_id = id.id;
		else {
			ctx.person_id = id.id;
			ctx.org = strdup(id.org);
		}
	}
	ctx.out = sbuf_new();
	ctx.err = sbuf_new();
	ck_assert_int_eq(admin_run(&ctx, line, len, &a.status), 0);
	a.out = joined_out(pieces, ctx.out);
	a.err = sbuf_str(ctx.err);
	sbuf_free(pieces);
	sbuf_free(ctx.out);
	sbuf_free(ctx.err);
	free((char *)(uintptr_t)ctx.org);
	return a;
}

static struct answer
run(const char *user, const char *line)
{
	return run_len(user, line, strlen(line));
}

/* Runs and asserts exit status and exact stderr. */
static void
expect(const char *user, const char *line, int status, const char *err)
{
	struct answer a = run(user, line);

	if (a.status != status || strcmp(a.err, err) != 0)
		ck_abort_msg("'%s' as %s: exit %d stderr '%s' (want %d '%s')",
		    line, user ? user : "(none)", a.status, a.err, status, err);
	answer_free(&a);
}

static void
ok(const char *user, const char *line)
{
	expect(user, line, 0, "");
}

/* The SSH wire blob of the ed25519 key made from a seed byte. */
static void
key_blob(uint8_t seedbyte, uint8_t blob[51])
{
	uint8_t seed[32], pk[32], sk[64];

	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(blob + 19, pk, 32);
}

/* An ssh-ed25519 public key line from a seed byte. */
static void
key_line(uint8_t seedbyte, char *out, size_t outlen)
{
	uint8_t blob[51];
	char b64[128];

	key_blob(seedbyte, blob);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
	    sodium_base64_VARIANT_ORIGINAL);
	(void)snprintf(out, outlen, "ssh-ed25519 %s test%u", b64, seedbyte);
}

/* The fingerprint sluice shows for that key ("SHA256:..."). */
static const char *
fpr(uint8_t seedbyte)
{
	static char fp[8][SSHKEY_FP_SIZE];
	static int next;
	uint8_t blob[51];
	char *out = fp[next++ % 8];

	key_blob(seedbyte, blob);
	ck_assert_int_eq(sshkey_fingerprint(blob, sizeof(blob), out), 0);
	return out;
}

/* Uploads p[0..n) to user's inbox as name, sealed as a session seals an
 * upload (age_seal_*) and taken as the engine takes it at CLOSE. */
static void
inbox_put(const char *user, const char *name, const void *p, size_t n)
{
	struct inbox_ref ref;
	struct identity id;
	struct age_seal *sl = NULL;
	uint8_t key[AGE_FILE_KEY_LEN], sha[32];
	char tmp[512], why[256] = "";
	uint64_t plain = 0;
	int fd;

	ck_assert_int_eq(identity_by_user(st, user, &id), 0);
	memset(&ref, 0, sizeof(ref));
	ref.st = st;
	ref.dir = dir;
	ref.master = master;
	ref.staff_id = id.id;
	ref.user = user;
	ck_assert_int_eq(inbox_tmp_create(dir, tmp, sizeof(tmp), &fd), 0);
	ck_assert_int_eq(age_file_key_new(key), 0);
	ck_assert_int_eq(age_seal_new(key, fd, &sl), 0);
	ck_assert_int_eq(age_seal_update(sl, p, n), 0);
	ck_assert_int_eq(age_seal_final(sl, sha, &plain, NULL), 0);
	age_seal_free(sl);
	close(fd);
	ck_assert_msg(inbox_commit(&ref, name, tmp, key, plain, sha, why,
	    sizeof(why)) == 0, "%s", why);
}

static void
add_staff(const char *user, uint8_t seed, const char *roles)
{
	char key[160], line[512];

	key_line(seed, key, sizeof(key));
	(void)snprintf(line, sizeof(line), "staff add %s --email %s@nhs.example "
	    "--key '%s' --role %s", user, user, key, roles);
	ok("root", line);
}

static const char DSA[] = "Data Sharing Agreement NIC-123456-A1B2C\n";

/* The audit key and the signed head, as `sluiced init` makes them; the
 * head then stays where it is (no engine moves it): behind the log. */
static void
anchor_setup(void)
{
	enum anchor_start how;
	char path[512], why[256] = "";

	(void)snprintf(path, sizeof(path), "%s/audit.key", dir);
	ck_assert_msg(audit_anchor_open(dir, path, st, &anchor, &how, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(how, ANCHOR_NEW_KEY);
	ck_assert_int_eq(audit_anchor_update(anchor, st), 0);
}

/* root (admin, seeded), oper (operator), opap (operator+approver),
 * appr (approver), aud (auditor), rcp (recipient of ORG-A), an agreement. */
static void
setup(void)
{
	char path[512], key[160], line[512];
	struct store_key sk;
	uint8_t seed[32], pk[32], skey[64], blob[51];
	int64_t id;

	ck_assert_int_eq(sodium_init() >= 0, 1);
	ck_assert_int_eq(tu_mkdtemp(dir), 0);
	(void)snprintf(path, sizeof(path), "%s/inbox", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/payloads", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/store.db", dir);
	ck_assert_int_eq(store_open(path, &st, NULL, 0), 0);
	/* the first admin, as `sluiced init` makes it */
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(pk, skey, seed);
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(blob + 19, pk, 32);
	memset(&sk, 0, sizeof(sk));
	(void)snprintf(sk.type, sizeof(sk.type), "ssh-ed25519");
	(void)snprintf(sk.fingerprint, sizeof(sk.fingerprint), "SHA256:root");
	sk.blob = blob;
	sk.len = sizeof(blob);
	ck_assert_int_eq(staff_add(st, "root", "root@nhs.example", &sk,
	    ROLE_ADMIN, &id, NULL, 0), 0);
	anchor_setup();
	add_staff("oper", 2, "operator");
	add_staff("opap", 3, "operator,approver");
	add_staff("appr", 4, "approver");
	add_staff("aud", 5, "auditor");
	ok("oper", "org add ORG-A --name 'Org A, Ltd' --type university");
	key_line(6, key, sizeof(key));
	(void)snprintf(line, sizeof(line), "person add ORG-A rcp --email "
	    "rcp@orga.example --key '%s'", key);
	ok("oper", line);
	inbox_put("oper", "dsa.txt", DSA, sizeof(DSA) - 1);
	inbox_put("opap", "dsa.txt", DSA, sizeof(DSA) - 1);
	ok("oper", "agreement add NIC-123456-A1B2C --org ORG-A --title "
	    "'Cancer \"outcomes\" study' --purpose Research --legal-basis "
	    "'Article 6(1)(e)' --datasets HES-APC,MHSDS --starts 2026-01-01 "
	    "--expires 2026-12-31 --document dsa.txt");
}

static void
teardown(void)
{
	audit_anchor_free(anchor);
	anchor = NULL;
	store_close(st);
	st = NULL;
	tu_rmrf(dir);
}

static int
count_outcome(void *arg, const struct audit_entry *e)
{
	const char *want = ((const char **)arg)[0];
	int64_t *n = (int64_t *)((void **)arg)[1];

	if (want == NULL || strcmp(e->outcome, want) == 0)
		(*n)++;
	return 0;
}

static int64_t
audit_count(const char *outcome)
{
	int64_t n = 0;
	void *arg[2] = { (void *)(uintptr_t)outcome, &n };

	ck_assert_int_eq(store_audit_each(st, 0, count_outcome, arg), 0);
	return n;
}

/* ---- authorisation matrix ------------------------------------------------ */

enum { O = 1, P = 2, U = 4, A = 8, R = 16, N = 32 };
static const struct {
	const char	*command;
	int		 allowed;	/* O operator, P approver, U auditor,
					   A admin, R recipient, N no roles */
	const char	*needs;
} matrix[] = {
	{ "help", O | P | U | A | R | N, NULL },
	{ "status", O | P | U | A | R, "a staff role or a recipient's key" },
	{ "org add", O, "role operator" },
	{ "org dspt", O, "role operator" },
	{ "org list", O | P | U | A, "a staff role" },
	{ "org show", O | P | U | A, "a staff role" },
	{ "contract add", O, "role operator" },
	{ "contract list", O | P | U | A, "a staff role" },
	{ "person add", O, "role operator" },
	{ "person list", O | P | U | A, "a staff role" },
	{ "person disable", O, "role operator" },
	{ "person enable", O, "role operator" },
	{ "person key", O, "role operator" },
	{ "person age-recipient", O, "role operator" },
	{ "signatory add", O | A, "role operator or admin" },
	{ "signatory list", O | P | U | A, "a staff role" },
	{ "signatory revoke", O | A, "role operator or admin" },
	{ "agreement add", O, "role operator" },
	{ "agreement sign", O, "role operator" },
	{ "agreement extend", O, "role operator" },
	{ "agreement show", O | P | U | A, "a staff role" },
	{ "agreement list", O | P | U | A, "a staff role" },
	{ "agreement suspend", P, "role approver" },
	{ "agreement resume", P, "role approver" },
	{ "agreement terminate", P, "role approver" },
	{ "extract stage", O, "role operator" },
	{ "extract list", O | P | U | A, "a staff role" },
	{ "extract show", O | P | U | A, "a staff role" },
	{ "extract discard", O, "role operator" },
	{ "release approve", P, "role approver" },
	{ "release revoke", P, "role approver" },
	{ "release list", O | P | U | A, "a staff role" },
	{ "certificate list", O | P | U | A, "a staff role" },
	{ "staff add", A, "role admin" },
	{ "staff list", U | A, "role auditor or admin" },
	{ "staff disable", A, "role admin" },
	{ "staff enable", A, "role admin" },
	{ "staff roles", A, "role admin" },
	{ "staff key", A, "role admin" },
	{ "audit verify", U | A, "role auditor or admin" },
	{ "audit checkpoint", U | A, "role auditor or admin" },
	{ "audit export", U | A, "role auditor or admin" },
	{ "register export", O | P | U | A, "a staff role" },
	{ "dashboard", O | P | U | A, "a staff role" },
};
static const struct { const char *user; int bit; } callers[] = {
	{ "oper", O }, { "appr", P }, { "aud", U }, { "root", A },
	{ "rcp", R }, { "nobody", N },
};

START_TEST(matrix_covers_table)
{
	struct admin_command_info info;
	size_t i, k;

	ck_assert_uint_eq(admin_command_count(),
	    sizeof(matrix) / sizeof(matrix[0]));
	for (i = 0; i < admin_command_count(); i++) {
		ck_assert_int_eq(admin_command_get(i, &info), 0);
		for (k = 0; k < sizeof(matrix) / sizeof(matrix[0]); k++)
			if (strcmp(matrix[k].command, info.name) == 0)
				break;
		ck_assert_msg(k < sizeof(matrix) / sizeof(matrix[0]),
		    "command %s not in the test matrix", info.name);
	}
}
END_TEST

START_TEST(authorisation_matrix)
{
	size_t i, k;
	int64_t before;
	char err[160];
	struct answer a;

	for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++)
		for (k = 0; k < sizeof(callers) / sizeof(callers[0]); k++) {
			before = audit_count("refused");
			/* no arguments: the role check comes before arity */
			a = run(callers[k].user, matrix[i].command);
			if (matrix[i].allowed & callers[k].bit) {
				ck_assert_msg(a.status != 1, "%s as %s: %d %s",
				    matrix[i].command, callers[k].user,
				    a.status, a.err);
				ck_assert_int_eq(audit_count("refused"),
				    before);
			} else {
				(void)snprintf(err, sizeof(err),
				    "permission denied: '%s' needs %s\n",
				    matrix[i].command, matrix[i].needs);
				ck_assert_int_eq(a.status, 1);
				ck_assert_str_eq(a.err, err);
				ck_assert_str_eq(a.out, "");
				ck_assert_int_eq(audit_count("refused"),
				    before + 1);
			}
			answer_free(&a);
		}
}
END_TEST

START_TEST(help_lists_only_what_caller_may_run)
{
	struct answer a = run("rcp", "help");

	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.out, "help\n    list the commands you may run\n"
	    "status\n    your agreements, dates and what is due\n");
	answer_free(&a);
	a = run("nobody", "help");
	ck_assert_str_eq(a.out, "help\n    list the commands you may run\n");
	answer_free(&a);
	a = run("aud", "help");
	ck_assert_ptr_nonnull(strstr(a.out,
	    "audit verify [--against HEAD|INBOX-FILE]\n"));
	ck_assert_ptr_null(strstr(a.out, "org add"));
	ck_assert_ptr_nonnull(strstr(a.out, "\nstaff list\n    list staff, "
	    "their roles and whether active\n"));
	ck_assert_ptr_null(strstr(a.out, "staff disable"));
	answer_free(&a);
	a = run("oper", "help");
	ck_assert_ptr_nonnull(strstr(a.out, "\nperson disable USER --reason "
	    "TEXT\n    stop a recipient's access, open downloads too\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "\nextract discard EXTRACT-ID\n"));
	ck_assert_ptr_null(strstr(a.out, "agreement terminate"));
	ck_assert_ptr_null(strstr(a.out, "staff list"));
	answer_free(&a);
	a = run("appr", "help");
	ck_assert_ptr_nonnull(strstr(a.out, "\nagreement terminate NIC "
	    "--reason TEXT\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "\nrelease approve EXTRACT-ID "
	    "[--max-downloads N] [--window-opens TIME] [--window-closes "
	    "TIME]\n"));
	answer_free(&a);
}
END_TEST

/* ---- four eyes ----------------------------------------------------------- */

START_TEST(four_eyes)
{
	struct answer a;
	char id[64], line[160], err[256];

	inbox_put("opap", "extract.csv", "a,b\n1,2\n", 8);
	a = run("opap", "extract stage NIC-123456-A1B2C extract.csv --name "
	    "cohort.csv");
	ck_assert_int_eq(a.status, 0);
	ck_assert_uint_eq(strlen(a.out), 33);
	(void)snprintf(id, sizeof(id), "%.32s", a.out);
	answer_free(&a);
	(void)snprintf(line, sizeof(line), "release approve %s", id);
	(void)snprintf(err, sizeof(err), "four eyes: you staged extract %s; "
	    "another approver must approve it\n", id);
	expect("opap", line, 1, err);
	a = run("appr", line);
	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.out, "release 1: cohort.csv (NIC-123456-A1B2C, 8 "
	    "bytes, sha256 492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e"
	    "1e8bc3b7470, staged by opap)\n");
	answer_free(&a);
	(void)snprintf(err, sizeof(err), "extract %s is released already\n",
	    id);
	expect("appr", line, 1, err);
}
END_TEST

/* ---- bad input leaves the store as it was -------------------------------- */

/* The fingerprints of an identity's keys, appended to b. */
static void
snap_keys(struct sbuf *b, enum identity_kind kind, int64_t id)
{
	struct key_list l = { NULL, 0 };
	size_t i;

	ck_assert_int_eq(key_list(st, kind, id, &l), 0);
	for (i = 0; i < l.n; i++)
		ck_assert_int_eq(sbuf_putf(b, " %s", l.v[i].fingerprint), 0);
	ck_assert_int_eq(sbuf_putf(b, "\n"), 0);
	key_list_free(&l);
}

/* Who may log in, with what roles and keys. */
static void
snap_people(struct sbuf *b)
{
	struct person_list pl = { NULL, 0 };
	struct staff_list sl = { NULL, 0 };
	size_t i;

	ck_assert_int_eq(person_list(st, NULL, &pl), 0);
	ck_assert_int_eq(staff_list(st, &sl), 0);
	for (i = 0; i < pl.n; i++) {
		ck_assert_int_eq(sbuf_putf(b, "person %s %d '%s'", pl.v[i].user,
		    pl.v[i].active, pl.v[i].age_recipient), 0);
		snap_keys(b, IDENTITY_RECIPIENT, pl.v[i].id);
	}
	for (i = 0; i < sl.n; i++) {
		ck_assert_int_eq(sbuf_putf(b, "staff %s %u %d", sl.v[i].user,
		    sl.v[i].roles, sl.v[i].active), 0);
		snap_keys(b, IDENTITY_STAFF, sl.v[i].id);
	}
	person_list_free(&pl);
	staff_list_free(&sl);
}

/* Signatories, extracts and releases, with what may revoke them. */
static void
snap_trust(struct sbuf *b)
{
	struct signatory_list gl = { NULL, 0 };
	struct extract_list el = { NULL, 0 };
	struct release_list rl = { NULL, 0 };
	size_t i;

	ck_assert_int_eq(signatory_list(st, NULL, &gl), 0);
	ck_assert_int_eq(extract_list(st, NULL, &el), 0);
	ck_assert_int_eq(release_list(st, NULL, 0, &rl), 0);
	for (i = 0; i < gl.n; i++)
		ck_assert_int_eq(sbuf_putf(b, "signatory %s %lld\n",
		    gl.v[i].serial, (long long)gl.v[i].revoked_at), 0);
	for (i = 0; i < el.n; i++)
		ck_assert_int_eq(sbuf_putf(b, "extract %s\n", el.v[i].id), 0);
	for (i = 0; i < rl.n; i++)
		ck_assert_int_eq(sbuf_putf(b, "release %lld %lld %lld %lld\n",
		    (long long)rl.v[i].id, (long long)rl.v[i].revoked_at,
		    (long long)rl.v[i].window_closes,
		    (long long)rl.v[i].max_downloads), 0);
	signatory_list_free(&gl);
	extract_list_free(&el);
	release_list_free(&rl);
}

/* A dump of what a refused command could have changed. */
static char *
snapshot(void)
{
	struct org_list ol = { NULL, 0 };
	struct agreement_list al = { NULL, 0 };
	struct contract_list cl = { NULL, 0 };
	struct person_list pl = { NULL, 0 };
	struct staff_list sl = { NULL, 0 };
	struct signatory_list gl = { NULL, 0 };
	struct extract_list el = { NULL, 0 };
	struct release_list rl = { NULL, 0 };
	struct sbuf *b = sbuf_new();
	size_t i;
	char *s;

	ck_assert_int_eq(org_list(st, &ol), 0);
	ck_assert_int_eq(agreement_list(st, AGREEMENT_ANY_STATE, NULL, 0, &al),
	    0);
	ck_assert_int_eq(contract_list(st, NULL, &cl), 0);
	ck_assert_int_eq(person_list(st, NULL, &pl), 0);
	ck_assert_int_eq(staff_list(st, &sl), 0);
	ck_assert_int_eq(signatory_list(st, NULL, &gl), 0);
	ck_assert_int_eq(extract_list(st, NULL, &el), 0);
	ck_assert_int_eq(release_list(st, NULL, 0, &rl), 0);
	for (i = 0; i < ol.n; i++)
		ck_assert_int_eq(sbuf_putf(b, "org %s %s %d %d\n", ol.v[i].code,
		    ol.v[i].name, ol.v[i].dspt, ol.v[i].dspt_expires), 0);
	for (i = 0; i < al.n; i++)
		ck_assert_int_eq(sbuf_putf(b, "ag %s %d %d %d\n", al.v[i].nic,
		    al.v[i].version, al.v[i].state, al.v[i].expires), 0);
	ck_assert_int_eq(sbuf_putf(b, "%zu %zu %zu %zu %zu %zu\n", cl.n, pl.n,
	    sl.n, gl.n, el.n, rl.n), 0);
	snap_people(b);
	snap_trust(b);
	s = sbuf_str(b);
	sbuf_free(b);
	org_list_free(&ol);
	agreement_list_free(&al);
	contract_list_free(&cl);
	person_list_free(&pl);
	staff_list_free(&sl);
	signatory_list_free(&gl);
	extract_list_free(&el);
	release_list_free(&rl);
	return s;
}

static const struct {
	const char	*user;
	const char	*line;
	int		 status;
	const char	*err;
} bad_input[] = {
	{ "oper", "frobnicate", 2, "unknown command 'frobnicate'; try 'help'\n" },
	{ "oper", "", 2, "no command; try 'help'\n" },
	{ "oper", "org add", 2, "too few arguments\n"
	    "usage: org add CODE --name NAME [--type TYPE]\n" },
	{ "oper", "org add X Y --name n", 2, "too many arguments\n"
	    "usage: org add CODE --name NAME [--type TYPE]\n" },
	{ "oper", "org add X", 2, "missing option --name\n"
	    "usage: org add CODE --name NAME [--type TYPE]\n" },
	{ "oper", "org add X --name", 2, "option --name needs a value\n"
	    "usage: org add CODE --name NAME [--type TYPE]\n" },
	{ "oper", "org add X --name a --name b", 2,
	    "option --name given twice\n"
	    "usage: org add CODE --name NAME [--type TYPE]\n" },
	{ "oper", "org add X --name a --colour red", 2,
	    "unknown option --colour for 'org add'\n"
	    "usage: org add CODE --name NAME [--type TYPE]\n" },
	{ "oper", "org add X --name 'Org X", 2,
	    "unbalanced single quote at offset 17\n" },
	{ "oper", "org add X --name \"Org", 2,
	    "unbalanced double quote at offset 17\n" },
	{ "oper", "org add X --name Org\\", 2,
	    "trailing backslash at offset 20\n" },
	{ "oper", "org add X --name Caf\xe9", 2,
	    "invalid UTF-8 at offset 20\n" },
	{ "oper", "org add ../X --name x", 1, "bad organisation code '../X': "
	    "../X: a name holds only letters, digits, '.', '_' and '-'\n" },
	{ "oper", "org add ORG-A --name dup", 1,
	    "organisation ORG-A exists already\n" },
	{ "oper", "contract add ORG-A --ref R1 --starts 2026-02-30 --expires "
	    "2027-01-01", 1, "bad date for --starts '2026-02-30': expected "
	    "YYYY-MM-DD, a real date\n" },
	{ "oper", "contract add ORG-A --ref R1 --starts 2027-02-01 --expires "
	    "2027-01-01", 1, "--starts 2027-02-01 is after --expires "
	    "2027-01-01\n" },
	{ "oper", "contract add NOPE --ref R1 --starts 2026-01-01 --expires "
	    "2027-01-01", 1, "unknown organisation NOPE\n" },
	{ "oper", "agreement add NIC-12 --org ORG-A --title t --purpose p "
	    "--legal-basis l --datasets A --starts 2026-01-01 --expires "
	    "2026-12-31 --document dsa.txt", 1, "bad NIC NIC-12: a "
	    "NIC reference is NIC-, six digits, -, five upper-case letters or "
	    "digits (e.g. NIC-123456-A1B2C)\n" },
	{ "oper", "agreement add NIC-654321-ZZZZZ --org NOPE --title t "
	    "--purpose p --legal-basis l --datasets A --starts 2026-01-01 "
	    "--expires 2026-12-31 --document dsa.txt", 1,
	    "unknown organisation NOPE\n" },
	{ "oper", "agreement add NIC-123456-A1B2C --org ORG-A --title t "
	    "--purpose p --legal-basis l --datasets A --starts 2026-01-01 "
	    "--expires 2026-12-31 --document dsa.txt", 1,
	    "agreement NIC-123456-A1B2C exists already\n" },
	{ "oper", "agreement add NIC-654321-ZZZZZ --org ORG-A --title t "
	    "--purpose p --legal-basis l --datasets A,,B --starts 2026-01-01 "
	    "--expires 2026-12-31 --document dsa.txt", 1, "bad --datasets "
	    "'A,,B': expected names separated by commas, e.g. HES-APC,MHSDS\n" },
	{ "oper", "agreement add NIC-654321-ZZZZZ --org ORG-A --title t "
	    "--purpose p --legal-basis l --datasets A --starts 2026-01-01 "
	    "--expires 2026-12-31 --document ../etc/passwd", 1,
	    "bad inbox file name '../etc/passwd': ../etc/passwd: a name holds "
	    "only letters, digits, '.', '_' and '-'\n" },
	{ "oper", "agreement add NIC-654321-ZZZZZ --org ORG-A --title t "
	    "--purpose p --legal-basis l --datasets A --starts 2026-01-01 "
	    "--expires 2026-12-31 --document missing.txt", 1,
	    "no file missing.txt in your inbox\n" },
	{ "oper", "person add ORG-A bob --email bob --key x", 1,
	    "bad email 'bob': expected local@domain.example\n" },
	{ "root", "staff add root --email r@x.example --key k --role admin", 1,
	    "you cannot add yourself: nobody may grant themselves a role\n" },
	{ "root", "staff add eve --email e@x.example --key 'ssh-ed25519 AAAA' "
	    "--role admin", 1, NULL },
	{ "appr", "agreement suspend NIC-123456-A1B2C --reason x", 1,
	    "agreement NIC-123456-A1B2C: cannot suspend an agreement that is "
	    "awaiting-signatures\n" },
	{ "appr", "release revoke 12x --reason r", 1,
	    "bad RELEASE-ID '12x': expected a positive number\n" },
	{ "appr", "release approve 00ff", 1, "unknown extract 00ff\n" },
	{ "aud", "audit export --since yesterday", 1, "bad --since "
	    "'yesterday': expected YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD\n" },
	/* staff */
	{ "root", "staff disable root --reason 'moving on'", 1,
	    "root is the last active admin\n" },
	{ "root", "staff roles root --role operator", 1,
	    "root is the last active admin\n" },
	{ "root", "staff disable nobody --reason x", 1,
	    "unknown staff member nobody\n" },
	{ "root", "staff disable rcp --reason x", 1,
	    "rcp is a recipient, not staff\n" },
	{ "root", "staff disable oper --reason ''", 1, "--reason is empty\n" },
	{ "root", "staff disable oper", 2, "missing option --reason\n"
	    "usage: staff disable USER --reason TEXT\n" },
	{ "root", "staff enable oper", 1, "staff member oper is active "
	    "already\n" },
	{ "root", "staff roles oper --role operator", 1, "staff member oper "
	    "has roles operator already\n" },
	{ "root", "staff roles oper --role recipient", 1, NULL },
	{ "root", "staff roles ../x --role operator", 1, "bad user name "
	    "'../x': ../x: a name holds only letters, digits, '.', '_' and "
	    "'-'\n" },
	{ "root", "staff key oper --key 'ssh-ed25519 AAAA'", 1, NULL },
	{ "root", "staff key rcp --key x", 1, "rcp is a recipient, not "
	    "staff\n" },
	/* recipients */
	{ "oper", "person disable oper --reason x", 1,
	    "oper is staff, not a recipient\n" },
	{ "oper", "person disable ghost --reason x", 1,
	    "unknown recipient ghost\n" },
	{ "oper", "person enable rcp", 1, "recipient rcp is active already\n" },
	{ "oper", "person age-recipient rcp none", 1,
	    "recipient rcp has no age recipient already\n" },
	{ "oper", "person age-recipient rcp age1nope", 1, NULL },
	{ "oper", "person age-recipient rcp", 2, "too few arguments\n"
	    "usage: person age-recipient USER age1...|none\n" },
	{ "oper", "person list --org NOPE", 1, "unknown organisation NOPE\n" },
	/* organisations, signatories */
	{ "aud", "org show NOPE", 1, "unknown organisation NOPE\n" },
	{ "aud", "contract list --org NOPE", 1, "unknown organisation NOPE\n" },
	{ "aud", "signatory list NOPE", 1, "unknown organisation NOPE\n" },
	{ "oper", "signatory revoke ORG-A 0A1B --reason x", 1,
	    "no signatory 0A1B for ORG-A\n" },
	{ "oper", "signatory revoke ORG-A xyz --reason x", 1, "bad serial "
	    "'xyz': expected hex digits, as openssl x509 -serial prints them\n" },
	{ "root", "signatory revoke NOPE 0A --reason x", 1,
	    "unknown organisation NOPE\n" },
	/* agreements */
	{ "appr", "agreement terminate NIC-123456-A1B2C --reason x", 1,
	    "agreement NIC-123456-A1B2C version 1 is awaiting-signatures: only "
	    "a signed, live or suspended agreement can be terminated\n" },
	{ "appr", "agreement terminate NIC-999999-ZZZZZ --reason x", 1,
	    "unknown agreement NIC-999999-ZZZZZ\n" },
	{ "appr", "agreement terminate NIC-123456-A1B2C --reason ''", 1,
	    "--reason is empty\n" },
	{ "aud", "agreement show NIC-123456-A1B2C --version 2", 1,
	    "agreement NIC-123456-A1B2C has no version 2 (the latest is 1)\n" },
	{ "aud", "agreement show NIC-123456-A1B2C --version 0", 1,
	    "bad --version '0': expected a positive number\n" },
	/* extracts and releases */
	{ "aud", "extract show 00ff", 1, "unknown extract 00ff\n" },
	{ "aud", "extract list --nic NIC-1", 1, "bad NIC NIC-1: a NIC "
	    "reference is NIC-, six digits, -, five upper-case letters or "
	    "digits (e.g. NIC-123456-A1B2C)\n" },
	{ "oper", "extract discard 00ff", 1, "unknown extract 00ff\n" },
};

START_TEST(bad_input_changes_nothing)
{
	const char *line = bad_input[_i].line;
	char *before, *after;
	int64_t audits = audit_count(NULL);
	struct audit_entry e;
	struct answer a;

	before = snapshot();
	a = run(bad_input[_i].user, line);
	after = snapshot();
	if (bad_input[_i].err != NULL)
		ck_assert_msg(strcmp(a.err, bad_input[_i].err) == 0,
		    "'%s': stderr '%s'", line, a.err);
	else	/* one line saying why */
		ck_assert_msg(a.err[0] != '\0' && strchr(a.err, '\n') ==
		    a.err + strlen(a.err) - 1, "'%s': stderr '%s'", line, a.err);
	ck_assert_int_eq(a.status, bad_input[_i].status);
	ck_assert_str_eq(a.out, "");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(audit_count(NULL), audits + 1);
	ck_assert_int_eq(store_audit_get(st, audits + 1, &e), 0);
	ck_assert_str_eq(e.actor, bad_input[_i].user);
	ck_assert_str_eq(e.outcome, a.status == 2 ? "usage" : "refused");
	audit_entry_clear(&e);
	answer_free(&a);
	free(before);
	free(after);
}
END_TEST

START_TEST(huge_and_binary_lines)
{
	size_t n = 1024 * 1024;
	char *line = malloc(n), *before, *after;
	struct answer a;

	ck_assert_ptr_nonnull(line);
	memset(line, 'a', n);
	before = snapshot();
	a = run_len("oper", line, n);
	ck_assert_int_eq(a.status, 2);
	ck_assert_str_eq(a.err, "line too long (1048576 bytes, at most 65536)\n");
	answer_free(&a);
	a = run_len("oper", "org list\0x", 10);
	ck_assert_int_eq(a.status, 2);
	ck_assert_str_eq(a.err, "NUL byte at offset 8\n");
	answer_free(&a);
	after = snapshot();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	free(line);
}
END_TEST

/* ---- outputs -------------------------------------------------------------- */

#define REGISTER_HEADER "reference,title,organisation,organisation_type," \
	"datasets,legal_basis,purpose,start,end,state\r\n"

/* An agreement awaiting signatures is not a data use yet: the register
 * lists it only once signed (agreement_sign_cms checks that side). */
START_TEST(register_csv_exact)
{
	struct answer a = run("aud", "register export");

	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.out, REGISTER_HEADER);
	answer_free(&a);
	a = run("aud", "register export --format json");
	ck_assert_str_eq(a.out, "[]\n");
	answer_free(&a);
}
END_TEST

START_TEST(json_outputs)
{
	struct answer a = run("aud", "--json org list");
	json_t *j, *o;

	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_nonnull(j = json_loads(a.out, 0, NULL));
	o = json_array_get(json_object_get(j, "organisations"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "code")), "ORG-A");
	ck_assert_str_eq(json_string_value(json_object_get(o, "name")),
	    "Org A, Ltd");
	ck_assert_str_eq(json_string_value(json_object_get(o, "dspt")), "none");
	json_decref(j);
	answer_free(&a);
	a = run("aud", "agreement show NIC-123456-A1B2C --json");
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_nonnull(j = json_loads(a.out, 0, NULL));
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")),
	    "awaiting-signatures");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 1);
	ck_assert(json_is_null(json_object_get(j, "applicant")));
	json_decref(j);
	answer_free(&a);
	a = run("aud", "dashboard --json");
	ck_assert_ptr_nonnull(j = json_loads(a.out, 0, NULL));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "by_state"), "awaiting-signatures")), 1);
	json_decref(j);
	answer_free(&a);
	/* errors with --json stay one line on stderr */
	a = run("aud", "--json org add X --name y");
	ck_assert_int_eq(a.status, 1);
	ck_assert_str_eq(a.out, "");
	ck_assert_str_eq(a.err,
	    "permission denied: 'org add' needs role operator\n");
	answer_free(&a);
	a = run("rcp", "status --json");
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_nonnull(j = json_loads(a.out, 0, NULL));
	o = json_array_get(json_object_get(j, "agreements"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "nic")),
	    "NIC-123456-A1B2C");
	ck_assert_str_eq(json_string_value(json_object_get(o,
	    "deletion_certificate_due")), "2027-01-30");
	json_decref(j);
	answer_free(&a);
}
END_TEST

/* Options before positionals: argv is compacted in place, and every word
 * must still be freed exactly once (ASan catches a double free here). */
START_TEST(options_before_positionals)
{
	struct answer a;

	ok("oper", "org add --name 'Org B' --type trust ORG-B");
	a = run("aud", "org list");
	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.out, "code\tname\ttype\tdspt\tdspt_expires\t"
	    "sanctioned\n"
	    "ORG-A\tOrg A, Ltd\tuniversity\tnone\t-\t-\n"
	    "ORG-B\tOrg B\ttrust\tnone\t-\t-\n");
	answer_free(&a);
	expect("oper", "org add --name x --type y A B", 2, "too many "
	    "arguments\nusage: org add CODE --name NAME [--type TYPE]\n");
}
END_TEST

START_TEST(audit_trail)
{
	struct answer a;
	struct audit_entry e;
	int64_t n = audit_count(NULL);

	expect("appr", "org add X --name y", 1,
	    "permission denied: 'org add' needs role operator\n");
	ck_assert_int_eq(store_audit_get(st, n + 1, &e), 0);
	ck_assert_str_eq(e.actor, "appr");
	ck_assert_str_eq(e.action, "org add");
	ck_assert_str_eq(e.outcome, "refused");
	ck_assert_str_eq(e.details, "org add X --name y => permission denied: "
	    "'org add' needs role operator");
	audit_entry_clear(&e);
	ok("oper", "org dspt ORG-A --status standards-met --expires 2027-03-31");
	ck_assert_int_eq(store_audit_get(st, n + 2, &e), 0);
	ck_assert_str_eq(e.action, "org dspt");
	ck_assert_str_eq(e.subject, "ORG-A");
	ck_assert_str_eq(e.outcome, "ok");
	audit_entry_clear(&e);
	a = run("aud", "audit verify");
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_nonnull(strstr(a.out, "audit log intact: "));
	answer_free(&a);
}
END_TEST

/* ---- staff and recipients ------------------------------------------------ */

/* Runs line, which must succeed, and asserts its exact stdout. */
static void
expect_out(const char *user, const char *line, const char *out)
{
	struct answer a = run(user, line);

	if (a.status != 0 || strcmp(a.err, "") != 0 || strcmp(a.out, out) != 0)
		ck_abort_msg("'%s' as %s: exit %d stderr '%s' stdout '%s' (want "
		    "'%s')", line, user, a.status, a.err, a.out, out);
	answer_free(&a);
}

/* The newest audit entry is this one. */
static void
expect_audit(const char *actor, const char *action, const char *subject,
    const char *outcome, const char *details)
{
	struct audit_entry e;

	ck_assert_int_eq(store_audit_last(st, &e), 0);
	ck_assert_str_eq(e.actor, actor);
	ck_assert_str_eq(e.action, action);
	ck_assert_str_eq(e.subject, subject);
	ck_assert_str_eq(e.outcome, outcome);
	ck_assert_str_eq(e.details, details);
	audit_entry_clear(&e);
}

/* A refusal: exit 1, its one line, nothing changed, one refused entry. */
static void
expect_refusal(const char *user, const char *line, const char *err)
{
	char *before = snapshot(), *after;
	int64_t n = audit_count("refused");

	expect(user, line, 1, err);
	after = snapshot();
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(audit_count("refused"), n + 1);
	free(before);
	free(after);
}

static int
active_of(const char *user)
{
	struct identity id;

	ck_assert_int_eq(identity_by_user(st, user, &id), 0);
	return id.active;
}

START_TEST(staff_list_exact)
{
	char want[1024];
	struct answer a;
	json_t *j, *o;

	(void)snprintf(want, sizeof(want), "user\troles\tstate\temail\t"
	    "fingerprint\n"
	    "appr\tapprover\tactive\tappr@nhs.example\t%s\n"
	    "aud\tauditor\tactive\taud@nhs.example\t%s\n"
	    "opap\toperator,approver\tactive\topap@nhs.example\t%s\n"
	    "oper\toperator\tactive\toper@nhs.example\t%s\n"
	    "root\tadmin\tactive\troot@nhs.example\tSHA256:root\n",
	    fpr(4), fpr(5), fpr(3), fpr(2));
	expect_out("aud", "staff list", want);
	expect_audit("aud", "staff list", "", "ok", "staff list");
	a = run("root", "staff list --json");
	ck_assert_ptr_nonnull(j = json_loads(a.out, 0, NULL));
	o = json_array_get(json_object_get(j, "staff"), 3);
	ck_assert_str_eq(json_string_value(json_object_get(o, "user")), "oper");
	ck_assert(json_is_true(json_object_get(o, "active")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "fingerprint")),
	    fpr(2));
	json_decref(j);
	answer_free(&a);
}
END_TEST

START_TEST(staff_disable_and_enable)
{
	struct answer a;

	expect_out("root", "staff disable oper --reason 'left the "
	    "organisation'", "staff member oper disabled: left the "
	    "organisation\n");
	expect_audit("root", "staff disable", "oper", "ok",
	    "disabled: left the organisation");
	ck_assert_int_eq(active_of("oper"), 0);
	a = run("aud", "staff list");
	ck_assert_ptr_nonnull(strstr(a.out, "\noper\toperator\tdisabled\t"));
	answer_free(&a);
	expect_refusal("root", "staff disable oper --reason again",
	    "staff member oper is disabled already\n");
	expect_audit("root", "staff disable", "oper", "refused",
	    "staff disable oper --reason again => staff member oper is "
	    "disabled already");
	expect_out("root", "staff enable oper", "staff member oper enabled\n");
	expect_audit("root", "staff enable", "oper", "ok", "enabled");
	ck_assert_int_eq(active_of("oper"), 1);
	expect_out("root", "--json staff disable aud --reason audit",
	    "{\"active\":false,\"org\":\"\",\"reason\":\"audit\",\"user\":"
	    "\"aud\"}\n");
}
END_TEST

/* There is always an active admin; nobody disables themselves. */
START_TEST(staff_admin_rules)
{
	add_staff("root2", 9, "admin");
	expect_refusal("root", "staff disable root --reason x",
	    "you cannot disable yourself\n");
	expect_out("root", "staff disable root2 --reason x",
	    "staff member root2 disabled: x\n");
	expect_refusal("root", "staff disable root --reason x",
	    "root is the last active admin\n");
	expect_refusal("root", "staff roles root --role auditor",
	    "root is the last active admin\n");
	expect_out("root", "staff enable root2", "staff member root2 "
	    "enabled\n");
	expect_refusal("root", "staff roles root --role admin,auditor",
	    "you cannot grant yourself auditor: nobody may grant themselves a "
	    "role\n");
	/* shedding one's own admin role, while another admin remains */
	expect_out("root2", "staff roles root --role auditor",
	    "staff member root: roles auditor (were admin)\n");
	expect_refusal("root2", "staff roles root2 --role operator",
	    "root2 is the last active admin\n");
	expect_refusal("root", "staff enable root2",
	    "permission denied: 'staff enable' needs role admin\n");
}
END_TEST

START_TEST(staff_roles_change)
{
	expect_out("root", "staff roles appr --role operator,approver",
	    "staff member appr: roles operator,approver (were approver)\n");
	expect_audit("root", "staff roles", "appr", "ok",
	    "roles: approver -> operator,approver");
	expect_out("appr", "org add ORG-C --name C", "organisation ORG-C "
	    "added\n");
	expect_out("root", "--json staff roles appr --role auditor",
	    "{\"previous_roles\":\"operator,approver\",\"roles\":\"auditor\","
	    "\"user\":\"appr\"}\n");
	expect("appr", "org add ORG-D --name D", 1,
	    "permission denied: 'org add' needs role operator\n");
}
END_TEST

START_TEST(staff_key_replaced)
{
	char key[160], line[512], want[256];
	uint8_t blob[51];
	struct identity id;

	key_line(20, key, sizeof(key));
	(void)snprintf(line, sizeof(line), "staff key oper --key '%s'", key);
	(void)snprintf(want, sizeof(want), "staff member oper: login key %s "
	    "replaces %s\n", fpr(20), fpr(2));
	expect_out("root", line, want);
	(void)snprintf(want, sizeof(want), "key: %s -> %s", fpr(2), fpr(20));
	expect_audit("root", "staff key", "oper", "ok", want);
	key_blob(20, blob);
	ck_assert_int_eq(identity_by_key(st, blob, sizeof(blob), &id), 0);
	ck_assert_str_eq(id.user, "oper");
	key_blob(2, blob);
	ck_assert_int_eq(identity_by_key(st, blob, sizeof(blob), &id),
	    SLUICE_ENOTFOUND);
	/* a key that is someone else's, or already this one */
	key_line(6, key, sizeof(key));
	(void)snprintf(line, sizeof(line), "staff key oper --key '%s'", key);
	expect_refusal("root", line, "key is already registered to recipient "
	    "rcp\n");
	key_line(20, key, sizeof(key));
	(void)snprintf(line, sizeof(line), "staff key oper --key '%s'", key);
	expect_refusal("root", line, "key is already registered to staff "
	    "oper\n");
}
END_TEST

START_TEST(person_management)
{
	char want[512], line[512], key[160];
	char ident[AGE_IDENTITY_STRLEN + 1], rcpt[AGE_RECIPIENT_STRLEN + 1];

	(void)snprintf(want, sizeof(want), "user\torg\tstate\temail\t"
	    "age_recipient\tfingerprint\nrcp\tORG-A\tactive\trcp@orga.example\t"
	    "-\t%s\n", fpr(6));
	expect_out("aud", "person list", want);
	expect_out("aud", "person list --org ORG-A", want);
	expect_out("oper", "person disable rcp --reason 'contract ended'",
	    "recipient rcp of ORG-A disabled: contract ended\n");
	expect_audit("oper", "person disable", "rcp", "ok",
	    "disabled: contract ended");
	ck_assert_int_eq(active_of("rcp"), 0);
	expect_refusal("oper", "person disable rcp --reason x",
	    "recipient rcp is disabled already\n");
	expect_out("oper", "person enable rcp", "recipient rcp of ORG-A "
	    "enabled\n");
	expect_audit("oper", "person enable", "rcp", "ok", "enabled");
	key_line(21, key, sizeof(key));
	(void)snprintf(line, sizeof(line), "person key rcp --key '%s'", key);
	(void)snprintf(want, sizeof(want), "recipient rcp: login key %s "
	    "replaces %s\n", fpr(21), fpr(6));
	expect_out("oper", line, want);
	ck_assert_int_eq(age_keygen(ident, rcpt), 0);
	(void)snprintf(line, sizeof(line), "person age-recipient rcp %s", rcpt);
	(void)snprintf(want, sizeof(want), "recipient rcp: files are "
	    "encrypted to %s\n", rcpt);
	expect_out("oper", line, want);
	(void)snprintf(want, sizeof(want), "age recipient: none -> %s", rcpt);
	expect_audit("oper", "person age-recipient", "rcp", "ok", want);
	(void)snprintf(want, sizeof(want), "recipient rcp has that age "
	    "recipient already\n");
	expect_refusal("oper", line, want);
	(void)snprintf(want, sizeof(want), "user\torg\tstate\temail\t"
	    "age_recipient\tfingerprint\nrcp\tORG-A\tactive\trcp@orga.example\t"
	    "%s\t%s\n", rcpt, fpr(21));
	expect_out("aud", "person list", want);
	expect_out("oper", "person age-recipient rcp none", "recipient rcp: "
	    "files are encrypted to the login key\n");
	(void)snprintf(want, sizeof(want), "age recipient: %s -> none", rcpt);
	expect_audit("oper", "person age-recipient", "rcp", "ok", want);
}
END_TEST

/* ---- organisations -------------------------------------------------------- */

/* SQL injection: every value is bound, never built into SQL, so a hostile
 * name is stored and shown as the text it is and every table stays. */
START_TEST(sql_injection_is_text)
{
	ok("oper", "org add ORG-B --name \"x'); DROP TABLE orgs; --\" "
	    "--type \"u' OR '1'='1\"");
	expect_out("appr", "org show ORG-B", "organisation ORG-B: x'); DROP "
	    "TABLE orgs; -- (u' OR '1'='1)\nDSPT: none\nsanction: none\n"
	    "contracts: none\nrecipients: none\nsignatories: none\n"
	    "agreements: none\n");
	expect("appr", "org show \"ORG-A' OR '1'='1\"", 1,
	    "bad organisation code 'ORG-A' OR '1'='1': ORG-A' OR '1'='1: a "
	    "name holds only letters, digits, '.', '_' and '-'\n");
	ok("appr", "org show ORG-A");	/* the table is still there */
}
END_TEST

START_TEST(org_show_and_contracts)
{
	ok("oper", "contract add ORG-A --ref DSFC-1 --starts 2026-01-01 "
	    "--expires 2027-12-31");
	ok("oper", "contract add ORG-A --ref OLD --starts 2024-01-01 "
	    "--expires 2025-12-31");
	ok("oper", "org dspt ORG-A --status standards-met --expires "
	    "2027-03-31");
	ok("oper", "org add ORG-B --name 'Org B'");
	expect_out("aud", "contract list", "org\tref\tstarts\texpires\tstatus\n"
	    "ORG-A\tOLD\t2024-01-01\t2025-12-31\texpired\n"
	    "ORG-A\tDSFC-1\t2026-01-01\t2027-12-31\tin-force\n");
	expect_out("aud", "contract list --org ORG-B",
	    "org\tref\tstarts\texpires\tstatus\n");
	expect_out("appr", "org show ORG-A",
	    "organisation ORG-A: Org A, Ltd (university)\n"
	    "DSPT: standards-met until 2027-03-31\n"
	    "sanction: none\n"
	    "contract OLD: 2024-01-01 to 2025-12-31, expired\n"
	    "contract DSFC-1: 2026-01-01 to 2027-12-31, in-force\n"
	    "recipient rcp: active, rcp@orga.example\n"
	    "signatories: none\n"
	    "agreement NIC-123456-A1B2C: version 1, awaiting-signatures, "
	    "2026-01-01 to 2026-12-31: Cancer \"outcomes\" study\n");
	expect_audit("appr", "org show", "ORG-A", "ok", "org show ORG-A");
	expect_out("appr", "org show ORG-B", "organisation ORG-B: Org B\n"
	    "DSPT: none\nsanction: none\ncontracts: none\nrecipients: none\n"
	    "signatories: none\nagreements: none\n");
	expect_out("appr", "--json org show ORG-B", "{\"agreements\":[],"
	    "\"code\":\"ORG-B\",\"contracts\":[],\"dspt\":\"none\","
	    "\"dspt_expires\":\"\",\"name\":\"Org B\",\"people\":[],"
	    "\"sanctioned\":false,\"signatories\":[],\"type\":\"\"}\n");
}
END_TEST

/* ---- extracts and releases ------------------------------------------------ */

/* Stages data as name by user; the extract id into id. */
static void
stage(const char *user, const char *name, const char *data, char id[64])
{
	char line[256];
	struct answer a;

	inbox_put(user, name, data, strlen(data));
	(void)snprintf(line, sizeof(line), "extract stage NIC-123456-A1B2C %s",
	    name);
	a = run(user, line);
	ck_assert_msg(a.status == 0, "%s", a.err);
	ck_assert_uint_eq(strlen(a.out), 33);
	(void)snprintf(id, 64, "%.32s", a.out);
	answer_free(&a);
}

static void
payload_path(const char *id, char *out, size_t n)
{
	(void)snprintf(out, n, "%s/payloads/%s", dir, id);
}

START_TEST(extract_list_show_discard)
{
	char id[64], id2[64], line[256], want[1024], at[21], ap[21], path[256];
	struct extract e;
	struct release rl;
	struct stat sb;

	stage("opap", "cohort.csv", "a,b\n1,2\n", id);
	ck_assert_int_eq(extract_get(st, id, &e), 0);
	ck_assert_int_eq(sluice_time_format(e.staged_at, at, sizeof(at)), 0);
	(void)snprintf(want, sizeof(want), "id\tnic\tname\tplain_size\t"
	    "staged_by\tstaged_at\tstatus\n%s\tNIC-123456-A1B2C\tcohort.csv\t8"
	    "\topap\t%s\tstaged\n", id, at);
	expect_out("aud", "extract list", want);
	expect_out("aud", "extract list --nic NIC-123456-A1B2C", want);
	/* the release's own limits, checked before anything is stored */
	(void)snprintf(line, sizeof(line), "release approve %s --window-opens "
	    "soon", id);
	expect_refusal("appr", line, "bad --window-opens 'soon': expected "
	    "YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD\n");
	(void)snprintf(line, sizeof(line), "release approve %s --window-closes "
	    "2026-02-01", id);
	expect_refusal("appr", line, "--window-closes 2026-02-01 is not in "
	    "the future\n");
	(void)snprintf(line, sizeof(line), "release approve %s --window-opens "
	    "2026-05-01 --window-closes 2026-04-01", id);
	expect_refusal("appr", line, "the download window would close "
	    "(2026-04-01) before it opens (2026-05-01T00:00:00Z)\n");
	(void)snprintf(line, sizeof(line), "release approve %s "
	    "--max-downloads 0", id);
	expect_refusal("appr", line, "bad --max-downloads '0': expected a "
	    "positive number\n");
	(void)snprintf(line, sizeof(line), "release approve %s --json "
	    "--max-downloads 3 --window-closes 2026-04-01", id);
	(void)snprintf(want, sizeof(want), "{\"extract_id\":\"%s\","
	    "\"max_downloads\":3,\"name\":\"cohort.csv\",\"nic\":"
	    "\"NIC-123456-A1B2C\",\"plain_size\":8,\"release_id\":1,\"sha256\":"
	    "\"%s\",\"staged_by\":\"opap\",\"window_closes\":"
	    "\"2026-04-01T00:00:00Z\",\"window_opens\":\"2026-03-01T00:00:00Z\"}"
	    "\n", id, e.sha256);
	expect_out("appr", line, want);
	(void)snprintf(want, sizeof(want), "release 1 of cohort.csv "
	    "(NIC-123456-A1B2C): window 2026-03-01T00:00:00Z to "
	    "2026-04-01T00:00:00Z, at most 3 downloads");
	expect_audit("appr", "release approve", id, "ok", want);
	ck_assert_int_eq(release_get(st, 1, &rl), 0);
	ck_assert_int_eq(rl.max_downloads, 3);
	ck_assert_int_eq(rl.window_opens, NOW);
	ck_assert_int_eq(rl.window_closes, NOW + 31 * SLUICE_DAY);
	ck_assert_int_eq(sluice_time_format(rl.approved_at, ap, sizeof(ap)), 0);
	(void)snprintf(want, sizeof(want), "id\tnic\tname\textract_id\t"
	    "staged_by\tapproved_by\tapproved_at\tstate\n1\tNIC-123456-A1B2C\t"
	    "cohort.csv\t%s\topap\tappr\t%s\tactive\n", id, ap);
	expect_out("aud", "release list", want);
	(void)snprintf(want, sizeof(want), "{\"releases\":[{\"approved_at\":"
	    "\"%s\",\"approved_by\":\"appr\",\"extract_id\":\"%s\",\"id\":1,"
	    "\"max_downloads\":3,\"name\":\"cohort.csv\",\"nic\":"
	    "\"NIC-123456-A1B2C\",\"revoke_reason\":\"\",\"revoked_at\":\"\","
	    "\"revoked_by\":\"\",\"staged_by\":\"opap\",\"window_closes\":"
	    "\"2026-04-01T00:00:00Z\",\"window_opens\":\"2026-03-01T00:00:00Z\"}"
	    "]}\n", ap, id);
	expect_out("aud", "--json release list", want);
	(void)snprintf(line, sizeof(line), "extract show %s", id);
	(void)snprintf(want, sizeof(want), "extract %s: cohort.csv of "
	    "NIC-123456-A1B2C\nplain size: 8 bytes\nsha256: %s\npayload size: "
	    "%llu bytes\nstaged by opap at %s\nstatus: released\nrelease 1: "
	    "approved by appr at %s, window 2026-03-01T00:00:00Z to "
	    "2026-04-01T00:00:00Z, at most 3 downloads\n", id, e.sha256,
	    (unsigned long long)e.payload_size, at, ap);
	expect_out("aud", line, want);
	/* a released extract stays: its release is history */
	(void)snprintf(line, sizeof(line), "extract discard %s", id);
	(void)snprintf(want, sizeof(want), "extract %s has been released: "
	    "revoke the release instead\n", id);
	expect_refusal("oper", line, want);
	payload_path(id, path, sizeof(path));
	ck_assert_int_eq(stat(path, &sb), 0);
	ok("appr", "release revoke 1 --reason 'wrong file'");
	(void)snprintf(line, sizeof(line), "extract show %s", id);
	(void)snprintf(want, sizeof(want), "release 1: approved by appr at %s, "
	    "window 2026-03-01T00:00:00Z to 2026-04-01T00:00:00Z, at most 3 "
	    "downloads, revoked at ", ap);
	{
		struct answer a = run("aud", line);

		ck_assert_ptr_nonnull(strstr(a.out, "\nstatus: revoked\n"));
		ck_assert_ptr_nonnull(strstr(a.out, want));
		ck_assert_ptr_nonnull(strstr(a.out, " by appr: wrong file\n"));
		answer_free(&a);
	}
	/* one never released goes, its payload after the commit */
	stage("oper", "b.csv", "x\n", id2);
	ck_assert_int_eq(extract_get(st, id2, &e), 0);
	payload_path(id2, path, sizeof(path));
	ck_assert_int_eq(stat(path, &sb), 0);
	(void)snprintf(line, sizeof(line), "extract discard %s", id2);
	(void)snprintf(want, sizeof(want), "extract %s discarded: b.csv of "
	    "NIC-123456-A1B2C, never released\n", id2);
	expect_out("oper", line, want);
	(void)snprintf(want, sizeof(want), "discarded b.csv of NIC-123456-A1B2C"
	    " (2 bytes, sha256 %s, staged by oper), never released", e.sha256);
	expect_audit("oper", "extract discard", id2, "ok", want);
	ck_assert_int_eq(stat(path, &sb), -1);
	ck_assert_int_eq(extract_get(st, id2, &e), SLUICE_ENOTFOUND);
	(void)snprintf(want, sizeof(want), "unknown extract %s\n", id2);
	expect_refusal("oper", line, want);
}
END_TEST

/* ---- agreement sign with real CMS signatures ------------------------------ */

static char pki[64];

static void
pki_file(const char *name, char *out, size_t n)
{
	ck_assert_int_eq(tu_path(out, n, pki, name), 0);
}

static void
inbox_copy(const char *user, const char *name, const char *from)
{
	uint8_t *p;
	size_t n;

	ck_assert_int_eq(tu_read_file(from, &p, &n), 0);
	inbox_put(user, name, p, n);
	free(p);
}

static void
sign_doc(const char *who, const char *doc, const char *out)
{
	char script[512], cert[256], key[256];
	const char *src = getenv("SLUICE_SRC");
	const char *argv[] = { script, cert, key, doc, out, NULL };

	ck_assert_ptr_nonnull(src);
	(void)snprintf(script, sizeof(script), "%s/keys/sign-doc", src);
	(void)snprintf(cert, sizeof(cert), "%s/%s.pem", pki, who);
	(void)snprintf(key, sizeof(key), "%s/%s.key", pki, who);
	ck_assert_int_eq(tu_run(argv, NULL, NULL), 0);
}

/* ---- sealed inboxes and sealed staging ----------------------------------- */

#define MARKER	"MARKER-7f3a9c-plaintext-never-rests"

static int
holds(const uint8_t *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Whether any regular file of d (not descending) holds needle. */
static int
dir_holds(const char *d, const char *needle)
{
	char path[512];
	struct dirent *de;
	uint8_t *p;
	size_t n;
	DIR *dd;
	int found = 0;

	ck_assert_ptr_nonnull(dd = opendir(d));
	while ((de = readdir(dd)) != NULL) {
		(void)snprintf(path, sizeof(path), "%s/%s", d, de->d_name);
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    de->d_name[1] == '.'))
			continue;
		if (tu_read_file(path, &p, &n) != 0)
			continue;
		found |= holds(p, n, needle);
		free(p);
	}
	closedir(dd);
	return found;
}

/* The entries of d but . and .., counted. */
static int
dir_count(const char *d)
{
	struct dirent *de;
	DIR *dd;
	int n = 0;

	ck_assert_ptr_nonnull(dd = opendir(d));
	while ((de = readdir(dd)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(dd);
	return n;
}

/* The plaintext of extract id's payload, through its wrapped key. */
static void
expect_payload(const char *id, const char *want)
{
	uint8_t key[AGE_FILE_KEY_LEN];
	char path[256], dec[256], why[256] = "";
	struct extract e;
	uint8_t *p;
	size_t n;
	int in, out;

	ck_assert_int_eq(extract_get(st, id, &e), 0);
	ck_assert_int_eq(package_unwrap(master, id, e.wrapped_key,
	    e.wrapped_len, key), 0);
	payload_path(id, path, sizeof(path));
	(void)snprintf(dec, sizeof(dec), "%s/dec.out", dir);
	ck_assert_int_ge(in = open(path, O_RDONLY), 0);
	ck_assert_int_ge(out = open(dec, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_msg(age_payload_decrypt(in, out, key, NULL, NULL, why,
	    sizeof(why)) == 0, "%s", why);
	close(in);
	close(out);
	ck_assert_int_eq(tu_read_file(dec, &p, &n), 0);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert(memcmp(p, want, n) == 0);
	free(p);
	ck_assert_int_eq(unlink(dec), 0);
	ck_assert_uint_eq(e.plain_size, strlen(want));
	ck_assert_uint_eq(e.payload_size, age_payload_size(strlen(want)));
}

/* An inbox file rests sealed; staging it wraps its key again and hands
 * the very file to the payload area: the inbox is empty after, the
 * payload decrypts to what was uploaded, and no plaintext is on disk. */
START_TEST(stage_from_sealed_inbox)
{
	static const char data[] = "id,marker\n1," MARKER "\n";
	char id[64], inbox[256], area[256];
	struct inbox_file f;
	struct identity oper;

	(void)snprintf(inbox, sizeof(inbox), "%s/inbox", dir);
	(void)snprintf(area, sizeof(area), "%s/payloads", dir);
	inbox_put("oper", "cohort.csv", data, strlen(data));
	ck_assert_int_eq(identity_by_user(st, "oper", &oper), 0);
	ck_assert_int_eq(inbox_file_get(st, oper.id, "cohort.csv", &f), 0);
	ck_assert_uint_eq(f.plain_size, strlen(data));
	ck_assert(!dir_holds(inbox, MARKER));
	stage("oper", "cohort.csv", data, id);
	expect_audit("oper", "extract stage", id, "ok",
	    "extract stage NIC-123456-A1B2C cohort.csv");
	ck_assert_int_eq(inbox_file_get(st, oper.id, "cohort.csv", &f),
	    SLUICE_ENOTFOUND);
	ck_assert_int_eq(dir_count(inbox), 2);	/* both dsa.txt files */
	expect_payload(id, data);
	ck_assert(!dir_holds(area, MARKER));
	ck_assert(!dir_holds(inbox, MARKER));
	expect_refusal("oper", "extract stage NIC-123456-A1B2C cohort.csv "
	    "--name again.csv", "no file cohort.csv in your inbox\n");
}
END_TEST

/* Flips one bit of a file in the inbox directory. */
static void
flip(const char *file_id, size_t at)
{
	char path[512];
	uint8_t *p;
	size_t n;

	(void)snprintf(path, sizeof(path), "%s/inbox/%s", dir, file_id);
	ck_assert_int_eq(tu_read_file(path, &p, &n), 0);
	ck_assert_uint_gt(n, at);
	p[at] ^= 1;
	ck_assert_int_eq(tu_write_file(path, p, n), 0);
	free(p);
}

/* The one reader of inbox files refuses a file altered on disk, or one
 * put in another's place, with the same words; a too large one by size. */
START_TEST(inbox_read_refuses_tampering)
{
	struct inbox_ref ref;
	struct inbox_file a, b;
	struct identity oper;
	struct sbuf *plain = sbuf_new_secret();
	char why[256] = "", pa[512], pb[512];

	inbox_put("oper", "a.txt", DSA, sizeof(DSA) - 1);
	inbox_put("oper", "b.txt", DSA, sizeof(DSA) - 1);
	ck_assert_int_eq(identity_by_user(st, "oper", &oper), 0);
	memset(&ref, 0, sizeof(ref));
	ref.st = st;
	ref.dir = dir;
	ref.master = master;
	ref.staff_id = oper.id;
	ref.user = "oper";
	ck_assert_int_eq(inbox_read(&ref, "a.txt", 1024, plain, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(sbuf_len(plain), sizeof(DSA) - 1);
	ck_assert(memcmp(sbuf_ptr(plain), DSA, sizeof(DSA) - 1) == 0);
	sbuf_reset(plain);
	ck_assert_int_eq(inbox_read(&ref, "a.txt", 10, plain, why,
	    sizeof(why)), SLUICE_ETOOBIG);
	ck_assert_str_eq(why, "a.txt in your inbox is larger than 10 bytes");
	ck_assert_int_eq(inbox_file_get(st, oper.id, "a.txt", &a), 0);
	ck_assert_int_eq(inbox_file_get(st, oper.id, "b.txt", &b), 0);
	flip(a.id, 20);
	expect_refusal("oper", "agreement add NIC-654321-ZZZZZ --org ORG-A "
	    "--title t --purpose p --legal-basis l --datasets A --starts "
	    "2026-01-01 --expires 2026-12-31 --document a.txt",
	    "a.txt in your inbox fails its integrity check\n");
	/* b's bytes in a's place: sealed, but under another key */
	(void)snprintf(pa, sizeof(pa), "%s/inbox/%s", dir, a.id);
	(void)snprintf(pb, sizeof(pb), "%s/inbox/%s", dir, b.id);
	ck_assert_int_eq(rename(pb, pa), 0);
	sbuf_reset(plain);
	ck_assert_int_eq(inbox_read(&ref, "a.txt", 1024, plain, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "a.txt in your inbox fails its integrity check");
	expect_refusal("oper", "extract stage NIC-123456-A1B2C a.txt",
	    "a.txt in your inbox fails its integrity check\n");
	/* another staff member's inbox holds no a.txt */
	ref.staff_id = 1;
	ck_assert_int_eq(inbox_read(&ref, "a.txt", 1024, plain, why,
	    sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "no file a.txt in your inbox");
	sbuf_free(plain);
}
END_TEST

/* A new master key: every inbox file's key wrapped again, the files as
 * they were; the old key opens nothing more. */
START_TEST(inbox_keys_rewrapped)
{
	uint8_t newm[32];
	struct inbox_ref ref;
	struct identity oper;
	struct sbuf *plain = sbuf_new_secret();
	char why[256] = "";
	size_t n = 0;

	inbox_put("oper", "x.txt", DSA, sizeof(DSA) - 1);
	randombytes_buf(newm, sizeof(newm));
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(inbox_rewrap_all(st, master, newm, &n), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_uint_eq(n, 3);	/* oper's and opap's dsa.txt, x.txt */
	ck_assert_int_eq(identity_by_user(st, "oper", &oper), 0);
	memset(&ref, 0, sizeof(ref));
	ref.st = st;
	ref.dir = dir;
	ref.master = newm;
	ref.staff_id = oper.id;
	ref.user = "oper";
	ck_assert_msg(inbox_read(&ref, "x.txt", 1024, plain, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(sbuf_len(plain), sizeof(DSA) - 1);
	sbuf_reset(plain);
	ref.master = master;
	ck_assert_int_eq(inbox_read(&ref, "x.txt", 1024, plain, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(inbox_rewrap_all(st, master, newm, &n), SLUICE_EVERIFY);
	ck_assert_int_eq(store_rollback(st), 0);
	sbuf_free(plain);
}
END_TEST

/* A payload sealed as a session seals an upload to /stage/NIC/NAME. */
static struct payload_new *
sealed_payload(const char *data, uint8_t key[AGE_FILE_KEY_LEN],
    struct admin_sealed *sl)
{
	struct payload_new *pn = NULL;
	struct age_seal *seal = NULL;
	char why[256] = "";
	int fd;

	ck_assert_int_eq(payloads_create(dir, &pn, &fd, why, sizeof(why)), 0);
	ck_assert_int_eq(age_file_key_new(key), 0);
	ck_assert_int_eq(age_seal_new(key, fd, &seal), 0);
	ck_assert_int_eq(age_seal_update(seal, (const uint8_t *)data,
	    strlen(data)), 0);
	memset(sl, 0, sizeof(*sl));
	ck_assert_int_eq(age_seal_final(seal, sl->sha256, &sl->plain_size,
	    NULL), 0);
	age_seal_free(seal);
	sl->pn = pn;
	sl->fd = fd;
	sl->key = key;
	return pn;
}

/* Runs admin_stage_sealed() as user; the answer as run() gives it. */
static struct answer
stage_sealed_as(const char *user, const char *name, struct admin_sealed *sl)
{
	struct admin_ctx ctx;
	struct identity id;
	struct answer a;

	ck_assert_int_eq(identity_by_user(st, user, &id), 0);
	memset(&ctx, 0, sizeof(ctx));
	memset(&a, 0, sizeof(a));
	ctx.store = st;
	ctx.data_dir = dir;
	ctx.master_key = master;
	ctx.now = NOW;
	ctx.user = user;
	ctx.kind = ADMIN_CALLER_STAFF;
	ctx.roles = id.roles;
	ctx.staff_id = id.id;
	ctx.out = sbuf_new();
	ctx.err = sbuf_new();
	ck_assert_int_eq(admin_stage_sealed(&ctx, "NIC-123456-A1B2C", name, sl,
	    &a.status), 0);
	a.out = sbuf_str(ctx.out);
	a.err = sbuf_str(ctx.err);
	sbuf_free(ctx.out);
	sbuf_free(ctx.err);
	return a;
}

/* An upload sealed by its session becomes an extract as `extract stage`
 * makes one: roles, checks and audit entry of the command; a payload
 * whose length is not the one its plaintext gives is refused. */
START_TEST(stage_sealed_upload)
{
	static const char data[] = "sealed by the session " MARKER "\n";
	uint8_t key[AGE_FILE_KEY_LEN], sha[32];
	char id[64], why[256] = "", want[512], hexsha[65];
	struct admin_ctx ctx;
	struct admin_sealed sl;
	struct answer a;

	(void)sealed_payload(data, key, &sl);
	/* O_DIRECT left on by a session that skipped dwrite_finish() */
	ck_assert_int_eq(fcntl(sl.fd, F_SETFL, fcntl(sl.fd, F_GETFL) |
	    O_DIRECT), 0);
	a = stage_sealed_as("appr", "cohort.csv", &sl);
	ck_assert_int_eq(a.status, 1);
	ck_assert_str_eq(a.err, "permission denied: 'extract stage' needs "
	    "role operator\n");
	ck_assert_ptr_nonnull(sl.pn);	/* not taken: the caller drops it */
	answer_free(&a);
	a = stage_sealed_as("oper", "cohort.csv", &sl);
	ck_assert_msg(a.status == 0, "%s", a.err);
	ck_assert_ptr_null(sl.pn);
	ck_assert_uint_eq(strlen(a.out), 33);
	(void)snprintf(id, sizeof(id), "%.32s", a.out);
	answer_free(&a);
	crypto_hash_sha256(sha, (const uint8_t *)data, strlen(data));
	sodium_bin2hex(hexsha, sizeof(hexsha), sha, sizeof(sha));
	(void)snprintf(want, sizeof(want), "staged cohort.csv of "
	    "NIC-123456-A1B2C as it was uploaded to /stage/NIC-123456-A1B2C/"
	    "cohort.csv: %zu bytes, sha256 %s", strlen(data), hexsha);
	expect_audit("oper", "extract stage", id, "ok", want);
	expect_payload(id, data);
	/* the name is taken now; OPEN says so before anything is written */
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = st;
	ctx.user = "oper";
	ctx.kind = ADMIN_CALLER_STAFF;
	ctx.roles = ROLE_OPERATOR;
	ck_assert_int_eq(admin_may_stage(&ctx, "NIC-123456-A1B2C",
	    "cohort.csv", why, sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "NIC-123456-A1B2C already has an extract named "
	    "cohort.csv");
	ck_assert_int_eq(admin_may_stage(&ctx, "NIC-654321-ZZZZZ", "x.csv",
	    why, sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "unknown agreement NIC-654321-ZZZZZ");
	ck_assert_int_eq(admin_may_stage(&ctx, "NIC-123456-A1B2C", "x.csv",
	    why, sizeof(why)), 0);
	ctx.roles = ROLE_APPROVER;
	ck_assert_int_eq(admin_may_stage(&ctx, "NIC-123456-A1B2C", "x.csv",
	    why, sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "permission denied: 'extract stage' needs role "
	    "operator");
	/* a payload one byte short of what its plaintext gives */
	(void)sealed_payload(data, key, &sl);
	sl.plain_size++;
	a = stage_sealed_as("oper", "short.csv", &sl);
	ck_assert_int_eq(a.status, 1);
	(void)snprintf(want, sizeof(want), "staging short.csv failed: the "
	    "upload is not a whole sealed payload: %llu bytes for %zu bytes of "
	    "plaintext\n", (unsigned long long)age_payload_size(strlen(data)),
	    strlen(data) + 1);
	ck_assert_str_eq(a.err, want);
	ck_assert_ptr_null(sl.pn);
	answer_free(&a);
}
END_TEST

START_TEST(agreement_sign_cms)
{
	char script[512], path[256], docpath[256], sig[256];
	const char *src = getenv("SLUICE_SRC");
	const char *argv[] = { script, pki, NULL };
	struct answer a;

	ck_assert_ptr_nonnull(src);
	(void)snprintf(pki, sizeof(pki), "/tmp/sluice-pki-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pki));
	(void)snprintf(script, sizeof(script), "%s/keys/make-test-pki", src);
	ck_assert_int_eq(tu_run(argv, NULL, NULL), 0);
	pki_file("applicant.pem", path, sizeof(path));
	inbox_copy("oper", "applicant.pem", path);
	pki_file("controller.der", path, sizeof(path));
	inbox_copy("oper", "controller.der", path);
	pki_file("dsa.txt", docpath, sizeof(docpath));
	ck_assert_int_eq(tu_write_file(docpath, DSA, sizeof(DSA) - 1), 0);
	expect("oper", "signatory add ORG-A --cert applicant.pem", 0, "");
	expect("oper", "signatory add controller --cert controller.der", 0, "");
	expect("oper", "signatory add controller --cert applicant.pem", 1,
	    "certificate is already registered to ORG-A\n");
	/* a signer who is not pinned, and the wrong party */
	pki_file("stranger.sig", sig, sizeof(sig));
	sign_doc("stranger", docpath, sig);
	inbox_copy("oper", "stranger.sig", sig);
	expect("oper", "agreement sign NIC-123456-A1B2C --party applicant "
	    "--signature stranger.sig", 1, "applicant signature refused: "
	    "signer certificate is not registered\n");
	pki_file("app.sig", sig, sizeof(sig));
	sign_doc("applicant", docpath, sig);
	inbox_copy("oper", "app.sig", sig);
	expect("oper", "agreement sign NIC-123456-A1B2C --party controller "
	    "--signature app.sig", 1, "controller signature refused: signer "
	    "is a signatory of ORG-A, not of controller\n");
	a = run("oper", "agreement sign NIC-123456-A1B2C --party applicant "
	    "--signature app.sig");
	ck_assert_msg(a.status == 0, "%s", a.err);
	ck_assert_ptr_nonnull(strstr(a.out, "awaiting the controller"));
	answer_free(&a);
	expect("oper", "agreement sign NIC-123456-A1B2C --party applicant "
	    "--signature app.sig", 1, "the applicant has signed "
	    "NIC-123456-A1B2C version 1 already\n");
	pki_file("ctl.sig", sig, sizeof(sig));
	sign_doc("controller", docpath, sig);
	inbox_copy("oper", "ctl.sig", sig);
	a = run("oper", "agreement sign NIC-123456-A1B2C --party controller "
	    "--signature ctl.sig --json");
	ck_assert_msg(a.status == 0, "%s", a.err);
	ck_assert_ptr_nonnull(strstr(a.out, "\"state\":\"live\""));
	answer_free(&a);
	a = run("aud", "agreement show NIC-123456-A1B2C");
	ck_assert_ptr_nonnull(strstr(a.out, "NIC-123456-A1B2C version 1: live\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "controller signature: "));
	answer_free(&a);
	/* a signature over other bytes */
	inbox_put("oper", "dsa2.txt", "version 2\n", 10);
	ok("oper", "agreement extend NIC-123456-A1B2C --expires 2027-12-31 "
	    "--document dsa2.txt");
	expect("oper", "agreement sign NIC-123456-A1B2C --party applicant "
	    "--signature app.sig", 1, "applicant signature refused: "
	    "signature does not match the document\n");
	ok("appr", "agreement suspend NIC-123456-A1B2C --reason audit");
	ok("appr", "agreement resume NIC-123456-A1B2C");
	tu_rmrf(pki);
}
END_TEST

/* A fresh test PKI in pki. */
static void
make_pki(void)
{
	char script[512];
	const char *src = getenv("SLUICE_SRC");
	const char *argv[] = { script, pki, NULL };

	ck_assert_ptr_nonnull(src);
	(void)snprintf(pki, sizeof(pki), "/tmp/sluice-pki-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pki));
	(void)snprintf(script, sizeof(script), "%s/keys/make-test-pki", src);
	ck_assert_int_eq(tu_run(argv, NULL, NULL), 0);
}

/* who's signature over the bytes doc, into oper's inbox as name. */
static void
signed_by(const char *who, const char *doc, size_t len, const char *name)
{
	char docpath[256], sig[256];

	pki_file("doc.txt", docpath, sizeof(docpath));
	ck_assert_int_eq(tu_write_file(docpath, doc, len), 0);
	pki_file(name, sig, sizeof(sig));
	sign_doc(who, docpath, sig);
	inbox_copy("oper", name, sig);
}

/* Both signatories pinned and NIC-123456-A1B2C signed: live. */
static void
make_live(void)
{
	char path[256];

	make_pki();
	pki_file("applicant.pem", path, sizeof(path));
	inbox_copy("oper", "applicant.pem", path);
	pki_file("controller.pem", path, sizeof(path));
	inbox_copy("oper", "controller.pem", path);
	ok("oper", "signatory add ORG-A --cert applicant.pem");
	ok("oper", "signatory add controller --cert controller.pem");
	signed_by("applicant", DSA, sizeof(DSA) - 1, "app.sig");
	signed_by("controller", DSA, sizeof(DSA) - 1, "ctl.sig");
	ok("oper", "agreement sign NIC-123456-A1B2C --party applicant "
	    "--signature app.sig");
	ok("oper", "agreement sign NIC-123456-A1B2C --party controller "
	    "--signature ctl.sig");
}

/* The pinned signatory of owner. */
static void
pinned(const char *owner, struct signatory *sg)
{
	struct signatory_list l = { NULL, 0 };

	ck_assert_int_eq(signatory_list(st, owner, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	*sg = l.v[0];
	sg->der = NULL;
	signatory_list_free(&l);
}

static const char REGISTER_LIVE[] = "NIC-123456-A1B2C,\"Cancer \"\"outcomes\"\" "
    "study\",\"Org A, Ltd\",university,\"HES-APC,MHSDS\",Article 6(1)(e),"
    "Research,2026-01-01,%s,%s\r\n";

/* Answers taken in pieces (as the engine takes one past ADMIN_SPILL_AT,
 * here after every byte) join to the same bytes as one answer: the
 * register, --json answers and text lists alike. */
START_TEST(pieces_same_bytes)
{
	static const char *const lines[] = {
		"register export", "register export --format json",
		"--json register export", "agreement show NIC-123456-A1B2C",
		"--json agreement show NIC-123456-A1B2C", "org list",
		"--json org show ORG-A", "agreement list", "dashboard",
	};
	struct answer whole, parts;
	size_t i;

	make_live();
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		whole = run("aud", lines[i]);
		spill_at = 1;
		spills = 0;
		parts = run("aud", lines[i]);
		spill_at = 0;
		ck_assert_int_eq(whole.status, 0);
		ck_assert_int_eq(parts.status, 0);
		ck_assert_msg(spills >= 1, "%s: no pieces", lines[i]);
		ck_assert_str_eq(parts.out, whole.out);
		ck_assert_str_eq(parts.err, whole.err);
		answer_free(&whole);
		answer_free(&parts);
	}
}
END_TEST

START_TEST(agreement_versions_and_terminate)
{
	static const char DSA2[] = "Data Sharing Agreement v2\n";
	char want[1024];
	struct agreement ag;
	struct answer a;

	make_live();
	{
		char row[512];

		(void)snprintf(row, sizeof(row), REGISTER_LIVE, "2026-12-31",
		    "live");
		(void)snprintf(want, sizeof(want), "%s%s", REGISTER_HEADER,
		    row);
	}
	expect_out("aud", "register export", want);
	inbox_put("oper", "dsa2.txt", DSA2, sizeof(DSA2) - 1);
	ok("oper", "agreement extend NIC-123456-A1B2C --expires 2027-12-31 "
	    "--document dsa2.txt");
	signed_by("applicant", DSA2, sizeof(DSA2) - 1, "app2.sig");
	signed_by("controller", DSA2, sizeof(DSA2) - 1, "ctl2.sig");
	ok("oper", "agreement sign NIC-123456-A1B2C --party applicant "
	    "--signature app2.sig");
	a = run("aud", "agreement show NIC-123456-A1B2C");
	ck_assert_ptr_nonnull(strstr(a.out, "NIC-123456-A1B2C version 1: "
	    "live\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "\nversion 1: live, 2026-01-01 to "
	    "2026-12-31, signed by both parties, governs\nversion 2: "
	    "awaiting-signatures, 2026-01-01 to 2027-12-31, signed by the "
	    "applicant only\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "\ndeletion certificate: not yet "
	    "due (due 2027-01-30)\n"));
	answer_free(&a);
	a = run("aud", "agreement show NIC-123456-A1B2C --version 2");
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_eq(strstr(a.out, "NIC-123456-A1B2C version 2: "
	    "awaiting-signatures\norg: ORG-A\n"), a.out);
	ck_assert_ptr_nonnull(strstr(a.out, "\nexpires: 2027-12-31\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "\ncontroller signature: none\n"));
	ck_assert_ptr_null(strstr(a.out, "deletion certificate"));
	answer_free(&a);
	a = run("aud", "--json agreement show NIC-123456-A1B2C --version 2");
	ck_assert_ptr_nonnull(strstr(a.out, "\"governing_version\":1,"));
	ck_assert_ptr_nonnull(strstr(a.out, "\"versions\":[{\"applicant_signed"
	    "\":true,\"controller_signed\":true,\"expires\":\"2026-12-31\","
	    "\"governs\":true,\"starts\":\"2026-01-01\",\"state\":\"live\","
	    "\"version\":1},{\"applicant_signed\":true,\"controller_signed\":"
	    "false,\"expires\":\"2027-12-31\",\"governs\":false,\"starts\":"
	    "\"2026-01-01\",\"state\":\"awaiting-signatures\",\"version\":2}]"));
	ck_assert_ptr_null(strstr(a.out, "\"releases\""));
	answer_free(&a);
	/* terminate: the governing version expires today */
	expect_refusal("oper", "agreement terminate NIC-123456-A1B2C --reason x",
	    "permission denied: 'agreement terminate' needs role approver\n");
	expect_out("appr", "agreement terminate NIC-123456-A1B2C --reason "
	    "'consent withdrawn'", "agreement NIC-123456-A1B2C terminated: "
	    "version 1 expired as of 2026-03-01 (was to expire 2026-12-31); "
	    "certificate of deletion due by 2026-03-31\n");
	expect_audit("appr", "agreement terminate", "NIC-123456-A1B2C", "ok",
	    "terminated version 1 (live): consent withdrawn; expires "
	    "2026-03-01, was 2026-12-31");
	ck_assert_int_eq(agreement_get(st, "NIC-123456-A1B2C", 1, &ag), 0);
	ck_assert_int_eq(ag.state, AG_EXPIRED);
	ck_assert_int_eq(ag.expires, sluice_day_of(NOW));
	agreement_clear(&ag);
	expect_refusal("appr", "agreement terminate NIC-123456-A1B2C --reason "
	    "again", "agreement NIC-123456-A1B2C version 1 is expired: only a "
	    "signed, live or suspended agreement can be terminated\n");
	/* the pending version cannot bring it back */
	expect_refusal("oper", "agreement sign NIC-123456-A1B2C --party "
	    "controller --signature ctl2.sig", "agreement NIC-123456-A1B2C "
	    "version 1 is expired: version 2 can no longer be signed\n");
	{
		char row[512];

		(void)snprintf(row, sizeof(row), REGISTER_LIVE, "2026-03-01",
		    "expired");
		(void)snprintf(want, sizeof(want), "%s%s", REGISTER_HEADER,
		    row);
	}
	expect_out("aud", "register export", want);
	a = run("aud", "agreement show NIC-123456-A1B2C");
	ck_assert_ptr_nonnull(strstr(a.out, "\ndeletion certificate: due "
	    "(due 2026-03-31)\n"));
	answer_free(&a);
	tu_rmrf(pki);
}
END_TEST

START_TEST(signatory_list_and_revoke)
{
	struct signatory ap, ct;
	char want[8192], line[512], lower[STORE_SERIAL_MAX];
	size_t i;
	struct answer a;

	make_live();
	pinned("ORG-A", &ap);
	pinned("controller", &ct);
	(void)snprintf(want, sizeof(want), "owner\tserial\tsubject\tnot_before"
	    "\tnot_after\tstatus\nORG-A\t%s\t%s\t2025-01-01\t2035-12-31\tvalid\n"
	    "controller\t%s\t%s\t2025-01-01\t2035-12-31\tvalid\n", ap.serial,
	    ap.subject, ct.serial, ct.subject);
	expect_out("aud", "signatory list", want);
	(void)snprintf(want, sizeof(want), "owner\tserial\tsubject\tnot_before"
	    "\tnot_after\tstatus\ncontroller\t%s\t%s\t2025-01-01\t2035-12-31\t"
	    "valid\n", ct.serial, ct.subject);
	expect_out("aud", "signatory list controller", want);
	/* the serial in any case, as openssl prints it or not */
	for (i = 0; ap.serial[i] != '\0'; i++)
		lower[i] = (char)(ap.serial[i] >= 'A' && ap.serial[i] <= 'F' ?
		    ap.serial[i] + 32 : ap.serial[i]);
	lower[i] = '\0';
	(void)snprintf(line, sizeof(line), "signatory revoke ORG-A %s "
	    "--reason 'key compromised'", lower);
	(void)snprintf(want, sizeof(want), "signatory %s of ORG-A revoked: %s "
	    "verifies no more signatures\n", ap.serial, ap.subject);
	expect_out("root", line, want);
	(void)snprintf(want, sizeof(want), "revoked %s (%s): key compromised",
	    ap.serial, ap.subject);
	expect_audit("root", "signatory revoke", "ORG-A", "ok", want);
	(void)snprintf(want, sizeof(want), "owner\tserial\tsubject\tnot_before"
	    "\tnot_after\tstatus\nORG-A\t%s\t%s\t2025-01-01\t2035-12-31\t"
	    "revoked\n", ap.serial, ap.subject);
	expect_out("aud", "signatory list ORG-A", want);
	a = run("aud", "--json signatory list ORG-A");
	ck_assert_ptr_nonnull(strstr(a.out, "\"revoke_reason\":\"key "
	    "compromised\",\"revoked_at\":\"2026-03-01T00:00:00Z\","
	    "\"revoked_by\":\"root\""));
	ck_assert_ptr_nonnull(strstr(a.out, "\"added_by\":\"oper\""));
	answer_free(&a);
	(void)snprintf(want, sizeof(want), "signatory %s of ORG-A is already "
	    "revoked\n", lower);
	expect_refusal("oper", line, want);
	(void)snprintf(line, sizeof(line), "signatory revoke controller %s "
	    "--reason x", ap.serial);
	(void)snprintf(want, sizeof(want), "no signatory %s for controller\n",
	    ap.serial);
	expect_refusal("oper", line, want);
	a = run("aud", "org show ORG-A");
	(void)snprintf(want, sizeof(want), "\nsignatory %s: %s, valid "
	    "2025-01-01 to 2035-12-31, revoked\n", ap.serial, ap.subject);
	ck_assert_ptr_nonnull(strstr(a.out, want));
	answer_free(&a);
	tu_rmrf(pki);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("admin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, matrix_covers_table);
	tcase_add_test(tc, authorisation_matrix);
	tcase_add_test(tc, help_lists_only_what_caller_may_run);
	tcase_add_test(tc, four_eyes);
	tcase_add_loop_test(tc, bad_input_changes_nothing, 0,
	    (int)(sizeof(bad_input) / sizeof(bad_input[0])));
	tcase_add_test(tc, huge_and_binary_lines);
	tcase_add_test(tc, register_csv_exact);
	tcase_add_test(tc, json_outputs);
	tcase_add_test(tc, options_before_positionals);
	tcase_add_test(tc, audit_trail);
	tcase_add_test(tc, agreement_sign_cms);
	tcase_add_test(tc, staff_list_exact);
	tcase_add_test(tc, staff_disable_and_enable);
	tcase_add_test(tc, staff_admin_rules);
	tcase_add_test(tc, staff_roles_change);
	tcase_add_test(tc, staff_key_replaced);
	tcase_add_test(tc, person_management);
	tcase_add_test(tc, org_show_and_contracts);
	tcase_add_test(tc, sql_injection_is_text);
	tcase_add_test(tc, extract_list_show_discard);
	tcase_add_test(tc, agreement_versions_and_terminate);
	tcase_add_test(tc, pieces_same_bytes);
	tcase_add_test(tc, signatory_list_and_revoke);
	tcase_add_test(tc, stage_from_sealed_inbox);
	tcase_add_test(tc, inbox_read_refuses_tampering);
	tcase_add_test(tc, stage_sealed_upload);
	tcase_add_test(tc, inbox_keys_rewrapped);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
