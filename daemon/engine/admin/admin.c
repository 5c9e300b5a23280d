/* admin.c: the admin channel's one command table and its dispatcher;
 * contract in admin.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/vis.h"
#include "sluice/words.h"

#include "engine/admin/admin_int.h"
#include "engine/audit.h"

#define OP	ROLE_OPERATOR
#define AP	ROLE_APPROVER
#define AU	ROLE_AUDITOR
#define AD	ROLE_ADMIN
#define STAFF	(OP | AP | AU | AD)

/* The one table: a row per command, as Redis and tmux do it. */
const struct admin_row admin_rows[] = {
	{ "help", cmd_help, 0, 0, ADMIN_ANYONE, { { NULL, 0 } },
	    "help", "list the commands you may run", 0 },
	{ "status", cmd_status, 0, 0, STAFF | ROLE_RECIPIENT, { { NULL, 0 } },
	    "status", "your agreements, dates and what is due", 0 },
	{ "org add", cmd_org_add, 1, 1, OP,
	    { { "name", 1 }, { "type", 0 }, { NULL, 0 } },
	    "org add CODE --name NAME [--type TYPE]",
	    "register an organisation", 1 },
	{ "org dspt", cmd_org_dspt, 1, 1, OP,
	    { { "status", 1 }, { "expires", 1 }, { NULL, 0 } },
	    "org dspt CODE --status S --expires DATE",
	    "record an organisation's DSPT assessment", 1 },
	{ "org list", cmd_org_list, 0, 0, STAFF, { { NULL, 0 } },
	    "org list", "list organisations", 0 },
	{ "org show", cmd_org_show, 1, 1, STAFF, { { NULL, 0 } },
	    "org show CODE", "an organisation's contracts, DSPT, people, "
	    "signatories, agreements and sanction", 0 },
	{ "contract add", cmd_contract_add, 1, 1, OP,
	    { { "ref", 1 }, { "starts", 1 }, { "expires", 1 }, { NULL, 0 } },
	    "contract add CODE --ref REF --starts DATE --expires DATE",
	    "register a Data Sharing Framework Contract", 1 },
	{ "contract list", cmd_contract_list, 0, 0, STAFF,
	    { { "org", 0 }, { NULL, 0 } },
	    "contract list [--org CODE]",
	    "list Data Sharing Framework Contracts", 0 },
	{ "person add", cmd_person_add, 2, 2, OP,
	    { { "email", 1 }, { "key", 1 }, { "age-recipient", 0 },
	      { NULL, 0 } },
	    "person add CODE USER --email E --key \"SSH-PUBKEY\" "
	    "[--age-recipient age1...]",
	    "register a recipient of an organisation", 1 },
	{ "person list", cmd_person_list, 0, 0, STAFF,
	    { { "org", 0 }, { NULL, 0 } },
	    "person list [--org CODE]", "list recipients", 0 },
	{ "person disable", cmd_person_disable, 1, 1, OP,
	    { { "reason", 1 }, { NULL, 0 } },
	    "person disable USER --reason TEXT",
	    "stop a recipient's access, open downloads too", 1 },
	{ "person enable", cmd_person_enable, 1, 1, OP, { { NULL, 0 } },
	    "person enable USER", "restore a disabled recipient's access", 1 },
	{ "person key", cmd_person_key, 1, 1, OP,
	    { { "key", 1 }, { NULL, 0 } },
	    "person key USER --key \"SSH-PUBKEY\"",
	    "replace a recipient's login key", 1 },
	{ "person age-recipient", cmd_person_age_recipient, 2, 2, OP,
	    { { NULL, 0 } },
	    "person age-recipient USER age1...|none",
	    "set or clear the age key a recipient's files are encrypted to",
	    1 },
	{ "signatory add", cmd_signatory_add, 1, 1, OP | AD,
	    { { "cert", 1 }, { NULL, 0 } },
	    "signatory add CODE|controller --cert INBOX-FILE",
	    "pin a signatory certificate", 1 },
	{ "signatory list", cmd_signatory_list, 0, 1, STAFF, { { NULL, 0 } },
	    "signatory list [CODE|controller]",
	    "list pinned signatory certificates", 0 },
	{ "signatory revoke", cmd_signatory_revoke, 2, 2, OP | AD,
	    { { "reason", 1 }, { NULL, 0 } },
	    "signatory revoke CODE|controller SERIAL --reason TEXT",
	    "revoke a pinned certificate: it verifies no more signatures", 1 },
	{ "agreement add", cmd_agreement_add, 1, 1, OP,
	    { { "org", 1 }, { "title", 1 }, { "purpose", 1 },
	      { "legal-basis", 1 }, { "datasets", 1 }, { "starts", 1 },
	      { "expires", 1 }, { "document", 1 } },
	    "agreement add NIC --org CODE --title TEXT --purpose TEXT "
	    "--legal-basis TEXT --datasets A,B --starts DATE --expires DATE "
	    "--document INBOX-FILE",
	    "register a Data Sharing Agreement and its document", 1 },
	{ "agreement sign", cmd_agreement_sign, 1, 1, OP,
	    { { "party", 1 }, { "signature", 1 }, { NULL, 0 } },
	    "agreement sign NIC --party applicant|controller "
	    "--signature INBOX-FILE",
	    "verify and record a party's CMS signature", 1 },
	{ "agreement extend", cmd_agreement_extend, 1, 1, OP,
	    { { "expires", 1 }, { "document", 1 }, { NULL, 0 } },
	    "agreement extend NIC --expires DATE --document INBOX-FILE",
	    "add a new version awaiting signatures", 1 },
	{ "agreement show", cmd_agreement_show, 1, 1, STAFF,
	    { { "version", 0 }, { NULL, 0 } },
	    "agreement show NIC [--version N]",
	    "show an agreement, its versions and which one governs", 0 },
	{ "agreement list", cmd_agreement_list, 0, 0, STAFF,
	    { { "state", 0 }, { NULL, 0 } },
	    "agreement list [--state S]", "list agreements", 0 },
	{ "agreement suspend", cmd_agreement_suspend, 1, 1, AP,
	    { { "reason", 1 }, { NULL, 0 } },
	    "agreement suspend NIC --reason TEXT",
	    "suspend a live agreement", 1 },
	{ "agreement resume", cmd_agreement_resume, 1, 1, AP, { { NULL, 0 } },
	    "agreement resume NIC", "resume a suspended agreement", 1 },
	{ "agreement terminate", cmd_agreement_terminate, 1, 1, AP,
	    { { "reason", 1 }, { NULL, 0 } },
	    "agreement terminate NIC --reason TEXT",
	    "end an agreement today; its certificate of deletion falls due", 1 },
	{ "extract stage", cmd_extract_stage, 2, 2, OP,
	    { { "name", 0 }, { NULL, 0 } },
	    "extract stage NIC INBOX-FILE [--name NAME]",
	    "encrypt an extract from the inbox; prints the extract id", 1 },
	{ "extract list", cmd_extract_list, 0, 0, STAFF,
	    { { "nic", 0 }, { NULL, 0 } },
	    "extract list [--nic NIC]", "list staged extracts", 0 },
	{ "extract show", cmd_extract_show, 1, 1, STAFF, { { NULL, 0 } },
	    "extract show EXTRACT-ID", "show an extract and its releases", 0 },
	{ "extract discard", cmd_extract_discard, 1, 1, OP, { { NULL, 0 } },
	    "extract discard EXTRACT-ID",
	    "delete an extract that was never released, and its payload", 1 },
	{ "release approve", cmd_release_approve, 1, 1, AP,
	    { { "max-downloads", 0 }, { "window-opens", 0 },
	      { "window-closes", 0 }, { NULL, 0 } },
	    "release approve EXTRACT-ID [--max-downloads N] "
	    "[--window-opens TIME] [--window-closes TIME]",
	    "release an extract (not one you staged) within its limits", 1 },
	{ "release revoke", cmd_release_revoke, 1, 1, AP,
	    { { "reason", 1 }, { NULL, 0 } },
	    "release revoke RELEASE-ID --reason TEXT", "revoke a release", 1 },
	{ "release list", cmd_release_list, 0, 0, STAFF,
	    { { "nic", 0 }, { NULL, 0 } },
	    "release list [--nic NIC]", "list releases", 0 },
	{ "certificate list", cmd_certificate_list, 0, 0, STAFF,
	    { { "nic", 0 }, { NULL, 0 } },
	    "certificate list [--nic NIC]",
	    "list deletion certificates received", 0 },
	{ "staff add", cmd_staff_add, 1, 1, AD,
	    { { "email", 1 }, { "key", 1 }, { "role", 1 }, { NULL, 0 } },
	    "staff add USER --email E --key \"SSH-PUBKEY\" --role R[,R]",
	    "add a staff member", 1 },
	{ "staff list", cmd_staff_list, 0, 0, AU | AD, { { NULL, 0 } },
	    "staff list", "list staff, their roles and whether active", 0 },
	{ "staff disable", cmd_staff_disable, 1, 1, AD,
	    { { "reason", 1 }, { NULL, 0 } },
	    "staff disable USER --reason TEXT",
	    "stop a staff member's access, in open connections too", 1 },
	{ "staff enable", cmd_staff_enable, 1, 1, AD, { { NULL, 0 } },
	    "staff enable USER", "restore a disabled staff member's access", 1 },
	{ "staff roles", cmd_staff_roles, 1, 1, AD,
	    { { "role", 1 }, { NULL, 0 } },
	    "staff roles USER --role R[,R]", "replace a staff member's roles",
	    1 },
	{ "staff key", cmd_staff_key, 1, 1, AD,
	    { { "key", 1 }, { NULL, 0 } },
	    "staff key USER --key \"SSH-PUBKEY\"",
	    "replace a staff member's login key", 1 },
	{ "audit verify", cmd_audit_verify, 0, 0, AU | AD,
	    { { "against", 0 }, { NULL, 0 } },
	    "audit verify [--against HEAD|INBOX-FILE]",
	    "check the audit log's hash chain, its signed head, and a head "
	    "kept elsewhere", 0 },
	{ "audit checkpoint", cmd_audit_checkpoint, 0, 0, AU | AD,
	    { { NULL, 0 } }, "audit checkpoint",
	    "print the audit log's signed head, to keep elsewhere", 0 },
	{ "audit export", cmd_audit_export, 0, 0, AU | AD,
	    { { "since", 0 }, { NULL, 0 } },
	    "audit export [--since TIME]",
	    "the audit log as JSON lines", 0 },
	{ "register export", cmd_register_export, 0, 0, STAFF,
	    { { "format", 0 }, { NULL, 0 } },
	    "register export [--format csv|json]",
	    "the Data Uses Register: agreements once signed", 0 },
	{ "dashboard", cmd_dashboard, 0, 0, STAFF, { { NULL, 0 } },
	    "dashboard", "counts by state, what expires, what is due", 0 },
};
const size_t admin_nrows = sizeof(admin_rows) / sizeof(admin_rows[0]);

size_t
admin_command_count(void)
{
	return admin_nrows;
}

int
admin_command_get(size_t i, struct admin_command_info *info)
{
	if (i >= admin_nrows || info == NULL)
		return SLUICE_EINVAL;
	info->name = admin_rows[i].name;
	info->roles = admin_rows[i].roles;
	info->writes = admin_rows[i].writes;
	info->usage = admin_rows[i].usage;
	info->summary = admin_rows[i].summary;
	return 0;
}

/* The caller's roles as the table sees them (kind decides). */
static uint32_t
caller_roles(const struct admin_ctx *ctx)
{
	if (ctx->kind == ADMIN_CALLER_STAFF)
		return ctx->roles & STAFF;
	if (ctx->kind == ADMIN_CALLER_RECIPIENT)
		return ROLE_RECIPIENT;
	return 0;
}

int
admin_may_run(const struct admin_ctx *ctx, const struct admin_row *row)
{
	return row->roles == ADMIN_ANYONE ||
	    (row->roles & caller_roles(ctx)) != 0;
}

/* Where option name is in row's options. */
static int
opt_index(const struct admin_row *row, const char *name, size_t *k)
{
	for (*k = 0; *k < ADMIN_MAX_OPTS && row->opts[*k].name != NULL; (*k)++)
		if (strcmp(row->opts[*k].name, name) == 0)
			return 0;
	return SLUICE_ENOTFOUND;
}

const char *
admin_opt(const struct admin_call *c, const char *name)
{
	size_t k;

	return opt_index(c->row, name, &k) == 0 ? c->optv[k] : NULL;
}

/* ---- the audit line ------------------------------------------------------ */

/* The command line as audit details: vis.h's escape, cut after
 * ADMIN_AUDIT_LINE_MAX characters. */
static int
audit_line(const char *line, size_t len, struct sbuf *b)
{
	char v[VIS_SIZE(ADMIN_AUDIT_LINE_MAX)];
	size_t n;

	n = str_vis(v, sizeof(v), line, len, ADMIN_AUDIT_LINE_MAX, 0);
	return sbuf_put(b, v, n);
}

/* ---- the dispatcher ------------------------------------------------------ */

/* How many words of argv spell out the row name in full, or 0. */
static int
name_words(const char *name, char **argv, int argc)
{
	const char *p = name, *sp;
	int n;

	for (n = 0; n < argc; n++) {
		if ((sp = strchr(p, ' ')) == NULL)
			return strcmp(p, argv[n]) == 0 ? n + 1 : 0;
		if (strlen(argv[n]) != (size_t)(sp - p) ||
		    strncmp(p, argv[n], (size_t)(sp - p)) != 0)
			return 0;
		p = sp + 1;
	}
	return 0;
}

/* The row whose name words are the longest prefix of argv; *used = words. */
static const struct admin_row *
find_row(char **argv, int argc, int *used)
{
	const struct admin_row *best = NULL;
	size_t i;
	int n;

	*used = 0;
	for (i = 0; i < admin_nrows; i++) {
		if ((n = name_words(admin_rows[i].name, argv, argc)) > *used) {
			best = &admin_rows[i];
			*used = n;
		}
	}
	return best;
}

/* "role approver", "role operator or admin", "a staff role". */
static void
roles_words(uint32_t roles, char *out, size_t outlen)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ ROLE_OPERATOR, "operator" }, { ROLE_APPROVER, "approver" },
		{ ROLE_AUDITOR, "auditor" }, { ROLE_ADMIN, "admin" },
	};
	size_t i, n = 0, len;

	if ((roles & STAFF) == STAFF) {
		(void)snprintf(out, outlen, "%s", roles & ROLE_RECIPIENT ?
		    "a staff role or a recipient's key" : "a staff role");
		return;
	}
	(void)snprintf(out, outlen, "role");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(roles & names[i].bit))
			continue;
		len = strlen(out);
		(void)snprintf(out + len, outlen - len, "%s%s",
		    n == 0 ? " " : " or ", names[i].name);
		n++;
	}
}

/* Swap, not copy: argv still owns each word once. */
static void
take_positional(struct admin_call *c, char **argv, int i)
{
	char *t = argv[c->nargs];

	argv[c->nargs++] = argv[i];
	argv[i] = t;
}

/* argv[*i] is "--name": takes it and its value. */
static int
take_option(struct admin_call *c, char **argv, int argc, int *i)
{
	size_t k;

	if (opt_index(c->row, argv[*i] + 2, &k) != 0)
		return admin_fail(c, SLUICE_EUSAGE,
		    "unknown option %.64s for '%s'", argv[*i], c->row->name);
	if (c->optv[k] != NULL)
		return admin_fail(c, SLUICE_EUSAGE,
		    "option %s given twice", argv[*i]);
	if (*i + 1 >= argc)
		return admin_fail(c, SLUICE_EUSAGE,
		    "option %s needs a value", argv[*i]);
	(*i)++;
	c->optv[k] = argv[*i];
	return 0;
}

/* Arity and required options, once every word is taken. */
static int
check_args(struct admin_call *c)
{
	const struct admin_row *row = c->row;
	size_t k;

	if (c->nargs < row->min_args)
		return admin_fail(c, SLUICE_EUSAGE, "too few arguments");
	if (c->nargs > row->max_args)
		return admin_fail(c, SLUICE_EUSAGE, "too many arguments");
	for (k = 0; k < ADMIN_MAX_OPTS && row->opts[k].name != NULL; k++)
		if (row->opts[k].required && c->optv[k] == NULL)
			return admin_fail(c, SLUICE_EUSAGE,
			    "missing option --%s", row->opts[k].name);
	return 0;
}

/* Options and positional arguments for row from argv[0..argc). */
static int
parse_args(struct admin_call *c, char **argv, int argc)
{
	int i, r;

	c->args = argv;
	c->nargs = 0;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0')
			take_positional(c, argv, i);
		else if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if ((r = take_option(c, argv, argc, &i)) != 0)
			return r;
	}
	return check_args(c);
}

struct outcome {
	int		 status;	/* exit status */
	const char	*word;		/* audit outcome */
	const char	*action;	/* audit action */
};

/* Appends one audit entry in its own transaction (refusals, usage). */
static void
audit_alone(struct admin_ctx *ctx, const struct outcome *o,
    const char *subject, const char *details)
{
	const char *actor = ctx->user != NULL ? ctx->user : "(unknown)";

	if (store_begin(ctx->store) != 0) {
		log_warnx("admin: cannot audit %s by %s", o->action, actor);
		return;
	}
	if (audit_append(ctx->store, actor, o->action, subject, o->word,
	    details, NULL) != 0 || store_commit(ctx->store) != 0) {
		(void)store_rollback(ctx->store);
		log_warnx("admin: cannot audit %s by %s", o->action, actor);
	}
}

/* Details: the line, then the reason for a refusal. */
static int
details_text(struct sbuf *d, const char *line, size_t len, const char *why)
{
	int r;

	sbuf_reset(d);
	if ((r = audit_line(line, len, d)) != 0)
		return r;
	if (why != NULL && why[0] != '\0' && (r = sbuf_putf(d, " => %.400s",
	    why)) != 0)
		return r;
	return sbuf_put_u8(d, 0);
}

/* The --json answer: one compact line, keys sorted, written as the text
 * answer is (so one of any length goes in pieces). */
static int
emit_json(struct admin_call *c)
{
	if (c->result == NULL && (c->result = json_object()) == NULL)
		return SLUICE_ENOMEM;
	sbuf_reset(c->text);
	return admin_dump(c, c->result, JSON_COMPACT | JSON_SORT_KEYS);
}

static int
emit_result(struct admin_call *c)
{
	int r;

	if (c->json && !c->json_text && (r = emit_json(c)) != 0)
		return r;
	return sbuf_put(c->ctx->out, sbuf_ptr(c->text), sbuf_len(c->text));
}

/* The details of a change's audit entry: what the handler said it did
 * (escaped as the line is), else the command line already in d. */
static int
change_details(struct admin_call *c, struct sbuf *d)
{
	int r;

	if (c->change[0] == '\0')
		return 0;
	sbuf_reset(d);
	if ((r = audit_line(c->change, strlen(c->change), d)) != 0)
		return r;
	return sbuf_put_u8(d, 0);
}

/* Inside the transaction: the handler, its audit entry, the commit. */
static int
handle_and_audit(struct admin_call *c, struct sbuf *d)
{
	struct admin_ctx *ctx = c->ctx;
	const char *actor = ctx->user != NULL ? ctx->user : "(unknown)";
	int r;

	if ((r = c->row->run(c)) != 0) {
		if (c->why[0] == '\0')
			(void)admin_fail(c, r, "%s", sluice_strerror(r));
		return r;
	}
	if ((r = change_details(c, d)) != 0 ||
	    (r = audit_append(ctx->store, actor, c->row->name, c->subject,
	    "ok", (const char *)sbuf_ptr(d), NULL)) != 0)
		return admin_fail(c, r, "cannot write the audit log; nothing "
		    "was changed");
	if ((r = store_commit(ctx->store)) != 0)
		return admin_fail(c, r, "store failure: cannot commit; "
		    "nothing was changed");
	return 0;
}

/* Runs the handler and its audit entry (details: the line, in d) in one
 * transaction; then, once committed, the handler's after_commit. */
static int
run_handler(struct admin_call *c, struct sbuf *d)
{
	int r;

	if ((r = store_begin(c->ctx->store)) != 0)
		return admin_fail(c, r, "store failure: cannot begin");
	if ((r = handle_and_audit(c, d)) != 0)
		(void)store_rollback(c->ctx->store);
	else if (c->after_commit != NULL)
		c->after_commit(c);
	return r;
}

struct run_state {
	struct admin_call	 call;
	char			**argv;
	int			 argc;
	struct sbuf		*details;
	struct outcome		 o;
};

/* A leading global --json, once or more; *skip = its words. */
static void
leading_json(struct admin_call *c, char **argv, int argc, int *skip)
{
	*skip = 0;
	while (*skip < argc && strcmp(argv[*skip], "--json") == 0) {
		c->json = 1;
		(*skip)++;
	}
}

/* The caller's roles, checked before arity, options or any handler. */
static int
check_roles(struct admin_call *c)
{
	char roles[96];

	if (admin_may_run(c->ctx, c->row))
		return 0;
	roles_words(c->row->roles, roles, sizeof(roles));
	return admin_fail(c, SLUICE_EDENIED,
	    "permission denied: '%s' needs %s", c->row->name, roles);
}

/* A caller the store no longer lets act is refused whatever the line, with
 * the store's reason; otherwise r stands. */
static int
refused_caller(struct admin_call *c, int r)
{
	if (c->ctx->refused == NULL)
		return r;
	return admin_fail(c, SLUICE_EDENIED, "%s", c->ctx->refused);
}

int
admin_refusal(struct admin_ctx *ctx, const char *name, char *why,
    size_t whylen)
{
	struct admin_call c;
	size_t i;
	int r;

	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	for (i = 0; i < admin_nrows && c.row == NULL; i++)
		if (strcmp(admin_rows[i].name, name) == 0)
			c.row = &admin_rows[i];
	if (c.row == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no command %s",
		    name);
	if ((r = refused_caller(&c, 0)) == 0)
		r = check_roles(&c);
	if (r != 0)
		(void)snprintf(why, whylen, "%s", c.why);
	return r;
}

/* Words, row, roles, options: everything before the handler. */
static int
prepare(struct run_state *st, const char *line, size_t len)
{
	struct admin_call *c = &st->call;
	int used, skip, r;

	if (words_split(line, len, &st->argc, &st->argv, c->why,
	    sizeof(c->why)) != 0)
		return refused_caller(c, SLUICE_EUSAGE);
	st->o.action = "(unknown command)";
	leading_json(c, st->argv, st->argc, &skip);
	if (skip == st->argc)
		return refused_caller(c, admin_fail(c, SLUICE_EUSAGE,
		    "no command; try 'help'"));
	if ((c->row = find_row(st->argv + skip, st->argc - skip, &used)) ==
	    NULL)
		return refused_caller(c, admin_fail(c, SLUICE_EUSAGE,
		    "unknown command '%.64s'; try 'help'", st->argv[skip]));
	st->o.action = c->row->name;
	if ((r = refused_caller(c, 0)) != 0 || (r = check_roles(c)) != 0 ||
	    (r = parse_args(c, st->argv + skip +
	    used, st->argc - skip - used)) != 0)
		return r;
	if (c->nargs > 0)
		admin_subject(c, c->args[0]);
	return 0;
}

/* The handler and its audit entry, once prepare() has passed. */
static int
execute(struct run_state *st, const char *line, size_t len)
{
	int r;

	if ((r = details_text(st->details, line, len, NULL)) != 0)
		return r;
	return run_handler(&st->call, st->details);
}

static void
answer_error(struct run_state *st, int r)
{
	struct admin_call *c = &st->call;
	int e;

	st->o.status = r == SLUICE_EUSAGE ? 2 : 1;
	st->o.word = r == SLUICE_EUSAGE ? "usage" :
	    (r == SLUICE_ESTORE || r == SLUICE_ENOMEM || r == SLUICE_EIO) ?
	    "error" : "refused";
	e = sbuf_putf(c->ctx->err, "%s\n", c->why);
	if (e == 0 && r == SLUICE_EUSAGE && c->row != NULL)
		e = sbuf_putf(c->ctx->err, "usage: %s\n", c->row->usage);
	if (e != 0)
		log_warnx("admin: cannot build the error answer");
}

/* A refusal r: its reason on stderr and an audit entry of its own. */
static int
refuse(struct run_state *st, int r, const char *line, size_t len,
    int *exit_status)
{
	struct admin_call *c = &st->call;

	if (c->why[0] == '\0')
		(void)admin_fail(c, r, "%s", sluice_strerror(r));
	answer_error(st, r);
	if ((r = details_text(st->details, line, len, c->why)) != 0)
		return r;
	audit_alone(c->ctx, &st->o, c->subject[0] != '\0' ? c->subject : NULL,
	    (const char *)sbuf_ptr(st->details));
	*exit_status = st->o.status;
	return 0;
}

static int
run_state_init(struct run_state *st, struct admin_ctx *ctx)
{
	memset(st, 0, sizeof(*st));
	ctx->changed = 0;
	st->call.ctx = ctx;
	st->o.action = "(unparsed)";
	st->o.word = "ok";
	if ((st->details = sbuf_new()) == NULL ||
	    (st->call.text = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	return 0;
}

static void
run_state_free(struct run_state *st)
{
	json_decref(st->call.result);
	staff_list_free(&st->call.staff_names);
	sbuf_free(st->call.text);
	sbuf_free(st->details);
	words_free(st->argv);
}

int
admin_stage_sealed(struct admin_ctx *ctx, const char *nic, const char *name,
    struct admin_sealed *sealed, int *exit_status)
{
	char line[128];
	int n, r;

	n = snprintf(line, sizeof(line), "extract stage %s %s", nic, name);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		*exit_status = 1;
		return SLUICE_EINVAL;
	}
	ctx->sealed = sealed;
	r = admin_run(ctx, line, (size_t)n, exit_status);
	ctx->sealed = NULL;
	return r;
}

int
admin_run(struct admin_ctx *ctx, const char *line, size_t len,
    int *exit_status)
{
	struct run_state st;
	int r;

	if (exit_status != NULL)
		*exit_status = 1;
	if (ctx == NULL || ctx->out == NULL || ctx->err == NULL ||
	    exit_status == NULL || ctx->store == NULL || line == NULL)
		return SLUICE_EINVAL;
	if ((r = run_state_init(&st, ctx)) != 0)
		goto out;
	if ((r = prepare(&st, line, len)) != 0 ||
	    (r = execute(&st, line, len)) != 0) {
		r = refuse(&st, r, line, len, exit_status);
		goto out;
	}
	ctx->changed = st.call.row->writes;
	if ((r = emit_result(&st.call)) == 0)
		*exit_status = 0;
 out:
	run_state_free(&st);
	return r;
}
