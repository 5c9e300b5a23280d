/*
 * test_admin.c: the admin channel driven through admin_run() against a real
 * store in a temp dir. The store API is used directly only to seed the first
 * admin (as `sluiced init` does) and to read row counts and audit entries.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin.h"
#include "engine/audit.h"
#include "engine/extract.h"
#include "store/store.h"
#include "testutil.h"

/* ---- the fixture --------------------------------------------------------- */

static char dir[64];
static struct store *st;
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

/* Runs line as user (looked up in the store; NULL or unknown: no roles). */
static struct answer
run_len(const char *user, const char *line, size_t len)
{
	struct admin_ctx ctx;
	struct identity id;
	struct answer a;

	memset(&ctx, 0, sizeof(ctx));
	memset(&a, 0, sizeof(a));
	ctx.store = st;
	ctx.data_dir = dir;
	ctx.master_key = master;
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
	a.out = sbuf_str(ctx.out);
	a.err = sbuf_str(ctx.err);
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

/* An ssh-ed25519 public key line from a seed byte. */
static void
key_line(uint8_t seedbyte, char *out, size_t outlen)
{
	uint8_t seed[32], pk[32], sk[64], blob[51];
	char b64[128];

	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(blob + 19, pk, 32);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
	    sodium_base64_VARIANT_ORIGINAL);
	(void)snprintf(out, outlen, "ssh-ed25519 %s test%u", b64, seedbyte);
}

static void
inbox_put(const char *user, const char *name, const void *p, size_t n)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/inbox/%s", dir, user);
	(void)mkdir(path, 0700);
	(void)snprintf(path, sizeof(path), "%s/inbox/%s/%s", dir, user, name);
	ck_assert_int_eq(tu_write_file(path, p, n), 0);
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
rm_tree(const char *d)
{
	const char *const argv[] = { "rm", "-rf", d, NULL };

	(void)tu_run(argv, NULL, NULL);
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	rm_tree(dir);
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
	{ "contract add", O, "role operator" },
	{ "person add", O, "role operator" },
	{ "signatory add", O | A, "role operator or admin" },
	{ "agreement add", O, "role operator" },
	{ "agreement sign", O, "role operator" },
	{ "agreement extend", O, "role operator" },
	{ "agreement show", O | P | U | A, "a staff role" },
	{ "agreement list", O | P | U | A, "a staff role" },
	{ "agreement suspend", P, "role approver" },
	{ "agreement resume", P, "role approver" },
	{ "extract stage", O, "role operator" },
	{ "release approve", P, "role approver" },
	{ "release revoke", P, "role approver" },
	{ "release list", O | P | U | A, "a staff role" },
	{ "certificate list", O | P | U | A, "a staff role" },
	{ "staff add", A, "role admin" },
	{ "audit verify", U | A, "role auditor or admin" },
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
	ck_assert_ptr_nonnull(strstr(a.out, "audit verify\n"));
	ck_assert_ptr_null(strstr(a.out, "org add"));
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
	ck_assert_str_eq(a.out, "1\n");
	answer_free(&a);
	(void)snprintf(err, sizeof(err), "extract %s is released already\n",
	    id);
	expect("appr", line, 1, err);
}
END_TEST

/* ---- bad input leaves the store as it was -------------------------------- */

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
	ck_assert_int_eq(sbuf_putf(b, "%zu %zu %zu %zu %zu %zu", cl.n, pl.n,
	    sl.n, gl.n, el.n, rl.n), 0);
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
};

START_TEST(bad_input_changes_nothing)
{
	const char *line = bad_input[_i].line;
	char *before, *after;
	int64_t audits = audit_count(NULL);
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

START_TEST(register_csv_exact)
{
	struct answer a = run("aud", "register export");

	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.out,
	    "reference,title,organisation,organisation_type,datasets,"
	    "legal_basis,purpose,start,end,state\r\n"
	    "NIC-123456-A1B2C,\"Cancer \"\"outcomes\"\" study\",\"Org A, Ltd\","
	    "university,\"HES-APC,MHSDS\",Article 6(1)(e),Research,2026-01-01,"
	    "2026-12-31,awaiting-signatures\r\n");
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
	ck_assert_str_eq(a.out, "ORG-A\tOrg A, Ltd\tuniversity\tnone\t-\t-\n"
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
	rm_tree(pki);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("admin");
	SRunner *sr;
	int failed;

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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
