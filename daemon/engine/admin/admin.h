/*
 * admin.h: the admin channel (docs/design.md section 6), run inside the engine,
 * which alone owns the store.
 *
 * A session sends the raw command line (IPC_ADMIN); the engine fills a
 * struct admin_ctx for the authenticated caller and calls admin_run(), which
 *   1. splits the line into words (words.h: POSIX-shell quoting, nothing
 *      expanded, nothing passed to a shell);
 *   2. takes out a leading global --json (also accepted among the options);
 *   3. finds the command in the one table (admin.c, a row per command: name
 *      words, handler, arity, roles, options, usage, summary, writes?) by the
 *      longest name match;
 *   4. checks the caller's roles BEFORE arity, options or any handler;
 *   5. parses `--name VALUE` options declared by the row, and the arity;
 *   6. runs the handler inside store_begin() ... store_commit(), with the
 *      command's audit entry (actor, action = command name, subject = the
 *      user, code or id acted on, outcome, details = what the change did
 *      when the handler says so, e.g. "disabled: left the organisation",
 *      else the command line; truncated and escaped) in the same
 *      transaction; any failure rolls the whole change back, and the
 *      refusal is then audited in a transaction of its own (details: the
 *      line, " => ", the reason);
 *   7. only once committed, runs what the handler left for after the
 *      commit (removing a discarded extract's payload), so a failure never
 *      leaves the store pointing at something already gone.
 * Every call, allowed or refused, leaves exactly one audit entry (outcome
 * "ok", "refused", "usage" or "error").
 *
 * Exit status: 0 done; 1 refused or invalid (one line on stderr saying why,
 * e.g. "permission denied: 'release approve' needs role approver");
 * 2 usage (a line saying what is wrong, then "usage: ..." on stderr).
 * A line the splitter refuses (unbalanced quote, NUL, non-UTF-8, too long)
 * is a usage error: exit 2, the splitter's reason on stderr.
 * Output is text, or with --json exactly one JSON document on stdout (errors
 * still go to stderr as one line).
 *
 * Roles (docs/design.md section 1): operator registers organisations, contracts,
 * people, signatories and agreements, manages recipients (disable, enable,
 * key, age recipient), stages and discards extracts; approver approves and
 * revokes releases and suspends, resumes and terminates agreements; auditor
 * reads everything and verifies/exports the audit log; admin manages staff
 * (add, disable, enable, roles, key) and trust anchors (signatory add and
 * revoke are open to operator and admin: signatories are trust anchors, but
 * registering them is everyday operator work). Every list/show, register
 * export and dashboard is open to all staff, but staff list, which only
 * admin and auditor see; audit verify/export to auditor and admin.
 * Recipients may run only status and help; help lists only what the caller
 * may run.
 *
 * Staff rules: there is always an active admin ("USER is the last active
 * admin" refuses disabling them or taking their admin role); nobody grants
 * themselves a role (staff add of oneself, staff roles adding to one's
 * own); nobody disables themselves ("you cannot disable yourself": another
 * admin records a departure). A command that changes something refuses to
 * change nothing ("staff member alan is disabled already").
 *
 * Text answers that list rows start with a header line: the column names,
 * tab-separated as the rows are. JSON names people by user name.
 */
#ifndef SLUICE_ADMIN_H
#define SLUICE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/config.h"
#include "store/store.h"

struct audit_anchor;

enum admin_caller_kind {
	ADMIN_CALLER_NONE = 0,		/* unknown: may run help only */
	ADMIN_CALLER_STAFF = 1,
	ADMIN_CALLER_RECIPIENT = 2,
};

struct payload_new;

/* An extract sealed as it arrived, by an upload to /stage/NIC/NAME (ipc.h:
 * IPC_OPEN_SEAL): its payload written but not committed, the file key it
 * was sealed under, and what the uploader's session measured. */
struct admin_sealed {
	struct payload_new	*pn;	/* NULL once the command took it */
	int			 fd;	/* pn's descriptor, for its length */
	const uint8_t		*key;	/* 16 bytes */
	uint64_t		 plain_size;
	uint8_t			 sha256[32];
};

/* Filled by the engine for one call; admin_run() borrows every pointer. */
struct admin_ctx {
	struct store		*store;
	const char		*data_dir;	/* DIR: inbox/, payloads/ */
	const struct sluice_policy *policy;	/* NULL: built-in defaults */
	const uint8_t		*master_key;	/* 32 bytes, for staging */
	/* the audit log's signed head (audit_anchor.h); NULL: none, audit
	 * verify checks the chain alone */
	const struct audit_anchor *anchor;
	/* the caller, as authenticated */
	const char		*user;
	enum admin_caller_kind	 kind;
	uint32_t		 roles;		/* ROLE_* bits (domain.h) */
	int64_t			 staff_id;	/* staff: staff.id, else 0 */
	int64_t			 person_id;	/* recipient: person.id, else 0 */
	const char		*org;		/* recipient: org code, else NULL */
	int64_t			 now;		/* sluice_now() at the call */
	/* non-NULL: the store no longer lets this caller act (disabled, or
	 * the key re-registered): every line is refused with this reason,
	 * audited as the command it names */
	const char		*refused;
	/* non-NULL: `extract stage NIC NAME` records this upload rather than
	 * an inbox file (admin_stage_sealed()) */
	struct admin_sealed	*sealed;
	/* answers, appended to */
	struct sbuf		*out;
	struct sbuf		*err;
	/* optional, for answers of any length: once an answer (text, or the
	 * --json document as it is written) passes ADMIN_SPILL_AT bytes,
	 * spill() takes *text (what is written so far, in order) and leaves
	 * an empty buffer in its place. The
	 * caller keeps the pieces and sends them ahead of out, and only if
	 * the command succeeds (exit status 0). */
	int			(*spill)(void *arg, struct sbuf **text);
	void			*spill_arg;
	/* the bytes that make a piece; 0: ADMIN_SPILL_AT (tests set less) */
	size_t			 spill_at;
	/* set by admin_run(): 1 when a writing command committed a change
	 * (the engine then bumps the gate generation) */
	int			 changed;
};

/* Largest inbox file read by a command (documents, signatures,
 * certificates); an extract staged from the inbox is never read. */
#define ADMIN_INBOX_MAX		(16u * 1024 * 1024)
/* An answer longer than this is handed to ctx->spill in pieces. */
#define ADMIN_SPILL_AT		(1024u * 1024)
/* Characters of the command line kept in an audit entry's details (vis.h
 * escapes them; a longer line ends "...(N bytes)"). */
#define ADMIN_AUDIT_LINE_MAX	512

/*
 * Runs one command line line[0..len) for ctx's caller. *exit_status is
 * always set (0, 1 or 2), and the answer is appended to ctx->out/ctx->err.
 * Returns 0 when an answer was produced (whatever its exit status);
 * SLUICE_EINVAL for a NULL ctx/out/err/exit_status, SLUICE_ENOMEM when the
 * answer itself could not be built (then *exit_status is 1).
 */
int admin_run(struct admin_ctx *ctx, const char *line, size_t len,
    int *exit_status) __attribute__((warn_unused_result));

/*
 * An upload to /stage/NIC/NAME: admin_may_stage() says at OPEN whether
 * ctx's caller may stage NAME under NIC (role operator; a known agreement
 * not expired or closed; a good name no extract of NIC has), with the
 * reason `extract stage` would give; admin_stage_sealed() records the
 * finished upload at CLOSE by running `extract stage NIC NAME` for the
 * caller as any command runs (roles, the same checks again, one
 * transaction with its audit entry), taking sealed->pn (set to NULL when
 * taken; the caller abandons it otherwise). Its answer is admin_run()'s:
 * the extract id on ctx->out.
 */
int admin_may_stage(struct admin_ctx *ctx, const char *nic, const char *name,
    char *why, size_t whylen);
int admin_stage_sealed(struct admin_ctx *ctx, const char *nic,
    const char *name, struct admin_sealed *sealed, int *exit_status)
    __attribute__((warn_unused_result));

/* The command table, read-only, for help texts and tests. */
struct admin_command_info {
	const char	*name;		/* "agreement sign" */
	uint32_t	 roles;		/* ROLE_* bits allowed; see ADMIN_ANYONE */
	int		 writes;
	const char	*usage;		/* "agreement sign NIC --party ..." */
	const char	*summary;
};
#define ADMIN_ANYONE	0xffffffffu	/* help: every caller, even unknown */
size_t admin_command_count(void);
/* i < admin_command_count(); fills info. */
int admin_command_get(size_t i, struct admin_command_info *info);

#endif
