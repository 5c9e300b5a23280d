/*
 * admin_int.h: what the admin dispatcher (admin.c: the command table, and
 * admin_run() which parses a line and runs its row) shares with the command
 * handlers (org.c, orgshow.c, people.c, signatory.c, agreement.c,
 * agreement_show.c, release.c, extracts.c, report.c) and their shared steps
 * (call.c: reasons, text, the --json answer, lists, dates as text;
 * checks.c: input checks, option values, inbox reads, lookups). Not for
 * other modules.
 *
 * A handler gets one struct admin_call: the caller (ctx), its positional
 * arguments and option values already checked against its row, and either
 * c->json (then it sets c->result to one JSON object it owns) or not (then it
 * appends text to c->text). It returns 0 or a negative SLUICE_E* code with a
 * one-line reason in c->why (admin_fail()). The dispatcher has begun a store
 * transaction; it commits (with the audit entry) on 0 and rolls back
 * otherwise, so a handler never cleans up store changes itself.
 */
#ifndef SLUICE_ADMIN_INTERNAL_H
#define SLUICE_ADMIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/admin/admin.h"
#include "sluice/sshkey.h"

#define ADMIN_MAX_OPTS	10
#define ADMIN_WHY_MAX	512

struct admin_call;
typedef int (*admin_handler)(struct admin_call *c);

struct admin_opt {
	const char	*name;		/* without "--" */
	int		 required;
};

struct admin_row {
	const char	*name;		/* "agreement sign" */
	admin_handler	 run;
	int		 min_args, max_args;	/* positional */
	uint32_t	 roles;
	struct admin_opt opts[ADMIN_MAX_OPTS];	/* ends at name NULL */
	const char	*usage;
	const char	*summary;
	int		 writes;
};

struct admin_call {
	struct admin_ctx	*ctx;
	const struct admin_row	*row;
	char			**args;		/* positional, borrowed */
	int			 nargs;
	const char		*optv[ADMIN_MAX_OPTS];	/* by row->opts index */
	int			 json;
	json_t			*result;	/* --json: the answer */
	struct sbuf		*text;		/* text: the answer */
	/* --json, but the handler wrote the JSON answer to text itself, as
	 * emit_json() would have (an answer too long to build at once) */
	int			 json_text;
	char			 subject[128];	/* for the audit entry */
	char			 why[ADMIN_WHY_MAX];
	/* what a change did, as the audit entry's details (admin_change());
	 * empty: the details are the command line */
	char			 change[ADMIN_WHY_MAX];
	/* run once the change is committed, never after a rollback: work
	 * outside the store that must not happen unless the store changed
	 * (removing a discarded extract's payload); its argument is after_arg */
	void			(*after_commit)(struct admin_call *c);
	char			 after_arg[128];
	/* staff names by id, read once per call (admin_staff_name()) */
	struct staff_list	 staff_names;
	int			 staff_names_read;
};

/* The value of option name, or NULL when not given (admin.c). */
const char *admin_opt(const struct admin_call *c, const char *name);
/* Whether ctx's caller may run row (admin.c). */
int admin_may_run(const struct admin_ctx *ctx, const struct admin_row *row);
/* Why ctx's caller may not run the command name now, worded as the
 * dispatcher words it (the store's refusal, or "permission denied: 'NAME'
 * needs role R"); 0 when it may (admin.c). */
int admin_refusal(struct admin_ctx *ctx, const char *name, char *why,
    size_t whylen);

/* call.c: sets c->why and returns err. */
int admin_fail(struct admin_call *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies why from a store call, or a fallback when the store said nothing. */
int admin_store_fail(struct admin_call *c, int r, const char *store_why,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Hands c->text to ctx->spill once it has grown past ADMIN_SPILL_AT, so no
 * answer is capped by one buffer: admin_print() and admin_dump() call it;
 * a handler that writes to c->text itself calls it as it goes. */
int admin_spill(struct admin_call *c) __attribute__((warn_unused_result));
/* Appends a formatted line to c->text (the caller adds "\n"). */
int admin_print(struct admin_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes v to c->text as json_dumps(v, flags) would, then "\n", spilling
 * as it goes. */
int admin_dump(struct admin_call *c, const json_t *v, size_t flags)
    __attribute__((warn_unused_result));
void admin_subject(struct admin_call *c, const char *s);
/* What the change did, for the audit entry ("disabled: left the
 * organisation"). */
void admin_change(struct admin_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The user name of staff id, or "" for 0 or one the store does not know. */
const char *admin_staff_name(struct admin_call *c, int64_t id);
/* obj (stolen) becomes the --json answer; NULL is "out of memory". */
int admin_result(struct admin_call *c, json_t *obj);
/* The answer is obj: --json makes it c->result (stealing it), text prints
 * the formatted line then "\n" (and frees obj). */
int admin_answer(struct admin_call *c, json_t *obj, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends o (stolen) to the JSON array arr; NULL is "out of memory". */
int admin_append(struct admin_call *c, json_t *arr, json_t *o);
/* One row of a list: prints its text line, or (--json) appends an object to
 * arr; a row may also print or append nothing. */
typedef int (*admin_row_fn)(struct admin_call *c, json_t *arr,
    const void *row);
/* Answers a list of the n rows of v (each size bytes) through row(); --json
 * answers { key: [ ... ] }. As text, header (the column names, separated by
 * tabs as the rows are; NULL for none) comes first, rows or not. */
int admin_list(struct admin_call *c, const char *key, const char *header,
    const void *v, size_t n, size_t size, admin_row_fn row);

/* Date and time as text ("" for 0 where that means none). */
void admin_date(int32_t day, char out[11]);
void admin_time(int64_t t, char out[21]);
int32_t admin_today(const struct admin_call *c);
int32_t admin_cert_due_days(const struct admin_call *c);

/* checks.c. Input checks: each fills c->why with a reason naming what (e.g.
 * "NIC", "--starts") and returns SLUICE_EINVAL. */
int admin_check_name(struct admin_call *c, const char *what, const char *s);
int admin_check_nic(struct admin_call *c, const char *s);
int admin_check_text(struct admin_call *c, const char *what, const char *s,
    size_t max);
int admin_check_email(struct admin_call *c, const char *s);
int admin_parse_id(struct admin_call *c, const char *what, const char *s,
    int64_t *id);
/* The date given as option --name (YYYY-MM-DD). */
int admin_opt_date(struct admin_call *c, const char *name, int32_t *day);
/* --starts and --expires, the one not after the other. */
int admin_opt_period(struct admin_call *c, int32_t *starts,
    int32_t *expires);
/* The caller's inbox file, decrypted in memory (at most max bytes) into
 * a buffer the caller frees (inbox.h: inbox_read()). */
int admin_inbox_read(struct admin_call *c, const char *name, size_t max,
    uint8_t **data, size_t *len);
/* The caller's inbox file staged as extract_id without decrypting it
 * (inbox.h: inbox_take()); file_id to remove once committed. */
struct staged_extract;
int admin_inbox_take(struct admin_call *c, const char *name,
    const char *extract_id, struct staged_extract *st,
    char file_id[STORE_INBOX_ID_MAX]);
/* The organisation or agreement named, or a refusal "unknown organisation
 * X" / "unknown agreement NIC-..." (agreement: the governing version, or
 * the latest when governing is 0; the caller agreement_clear()s it). */
int admin_known_org(struct admin_call *c, const char *code, struct org *o);
int admin_known_agreement(struct admin_call *c, const char *nic,
    int governing, struct agreement *a);
/* The staff member or recipient named user, or a refusal "unknown staff
 * member X" / "X is a recipient, not staff" (and the other way round). */
int admin_known_staff(struct admin_call *c, const char *user,
    struct identity *id);
int admin_known_person(struct admin_call *c, const char *user,
    struct identity *id);
/* The extract named id, or a refusal "unknown extract X". */
int admin_known_extract(struct admin_call *c, const char *id,
    struct extract *e);
/* An age1... recipient (what names it in the reason); NULL passes. */
int admin_check_age_recipient(struct admin_call *c, const char *what,
    const char *s);
/* --role R[,R] as ROLE_* bits. */
int admin_opt_roles(struct admin_call *c, uint32_t *roles);
/* Whether the organisation is sanctioned (mail.c sets it). */
int admin_org_sanctioned(struct admin_call *c, const char *code);
/* --nic, checked when given (*nic NULL when not). */
int admin_opt_nic(struct admin_call *c, const char **nic);
/* An SSH public key line (option --key): parsed, acceptable, fingerprinted
 * into key, borrowing *pub's blob (the caller frees *pub). */
int admin_opt_key(struct admin_call *c, struct sshkey_pub **pub,
    struct store_key *key);

/* A signatory as JSON: owner, serial, subject, issuer, sha256, not_before,
 * not_after, status (valid, expired, not-yet-valid, revoked), added_by,
 * revoked_at, revoked_by, revoke_reason (signatory.c). */
json_t *admin_signatory_json(struct admin_call *c,
    const struct signatory *sg);

/* A release as JSON: id, nic, name, extract_id, staged_by, approved_by,
 * approved_at, revoked_at, revoked_by, revoke_reason, window_opens,
 * window_closes, max_downloads (release.c). */
json_t *admin_release_json(struct admin_call *c, const struct release *rl);

/* Handlers, by file. */
int cmd_help(struct admin_call *c);
int cmd_org_add(struct admin_call *c);
int cmd_org_dspt(struct admin_call *c);
int cmd_org_list(struct admin_call *c);
int cmd_org_show(struct admin_call *c);
int cmd_contract_list(struct admin_call *c);
int cmd_contract_add(struct admin_call *c);
int cmd_person_add(struct admin_call *c);
int cmd_person_list(struct admin_call *c);
int cmd_person_disable(struct admin_call *c);
int cmd_person_enable(struct admin_call *c);
int cmd_person_key(struct admin_call *c);
int cmd_person_age_recipient(struct admin_call *c);
int cmd_staff_add(struct admin_call *c);
int cmd_staff_list(struct admin_call *c);
int cmd_staff_disable(struct admin_call *c);
int cmd_staff_enable(struct admin_call *c);
int cmd_staff_roles(struct admin_call *c);
int cmd_staff_key(struct admin_call *c);
int cmd_signatory_add(struct admin_call *c);
int cmd_signatory_list(struct admin_call *c);
int cmd_signatory_revoke(struct admin_call *c);
int cmd_agreement_add(struct admin_call *c);
int cmd_agreement_sign(struct admin_call *c);
int cmd_agreement_extend(struct admin_call *c);
int cmd_agreement_show(struct admin_call *c);
int cmd_agreement_list(struct admin_call *c);
int cmd_agreement_suspend(struct admin_call *c);
int cmd_agreement_resume(struct admin_call *c);
int cmd_agreement_terminate(struct admin_call *c);
int cmd_extract_stage(struct admin_call *c);
int cmd_extract_list(struct admin_call *c);
int cmd_extract_show(struct admin_call *c);
int cmd_extract_discard(struct admin_call *c);
int cmd_release_approve(struct admin_call *c);
int cmd_release_revoke(struct admin_call *c);
int cmd_release_list(struct admin_call *c);
int cmd_certificate_list(struct admin_call *c);
int cmd_audit_verify(struct admin_call *c);
int cmd_audit_checkpoint(struct admin_call *c);
int cmd_audit_export(struct admin_call *c);
int cmd_register_export(struct admin_call *c);
int cmd_dashboard(struct admin_call *c);
int cmd_status(struct admin_call *c);

/* The table (admin.c). */
extern const struct admin_row admin_rows[];
extern const size_t admin_nrows;

#endif
