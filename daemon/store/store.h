/*
 * store.h: the register of sluice (docs/design.md section 7), behind one small
 * interface. SQLite now; nothing outside daemon/store/ knows that (struct
 * store is opaque and no other file includes sqlite3.h).
 *
 * Contract, for every function below unless it says otherwise:
 * - Returns 0 or a negative SLUICE_E* code; results go to out-parameters.
 *   SLUICE_EEXIST   a UNIQUE rule would be broken (a key registered twice, a
 *                   duplicate NIC+version, an outbox dedupe key seen before);
 *   SLUICE_ENOTFOUND no such row (a named org, user, agreement, ...);
 *   SLUICE_EINVAL   an argument is malformed, or a FOREIGN KEY/CHECK rule
 *                   would be broken (a contract for an unknown org);
 *   SLUICE_EDENIED  a rule the store keeps (four eyes on releases);
 *   SLUICE_ESTATE   not allowed in the row's current state (revoke twice);
 *   SLUICE_ESTORE   SQLite failed (disk, corruption, busy beyond the timeout).
 *   Functions taking `why, whylen` fill it with one line a user can read
 *   ("key is already registered to staff alice"); why may be NULL.
 * - Every change that touches more than one row runs in one transaction of its
 *   own (a SAVEPOINT, so it nests inside store_begin()). A caller groups a
 *   change with its audit entry by store_begin() ... store_commit(), or
 *   store_rollback() on any error.
 * - Structs in, structs out. A struct filled by a *_get() that owns heap
 *   memory (documents, CMS, free text) is released with its *_clear(); a list
 *   is released with its *_list_free(). Both accept NULL and zeroed structs,
 *   and leave the struct zeroed, so clearing twice is harmless.
 * - Times are int64_t seconds since the epoch (UTC), stored as INTEGER; 0
 *   means "never/none". Calendar dates are int32_t days since 1970-01-01
 *   (clock.h), stored as 'YYYY-MM-DD' TEXT so the file reads plainly; 0 means
 *   "none" where a date is optional (dspt_expires). Row ids are int64_t > 0.
 * - Text columns are UTF-8 without NULs; the *_MAX sizes below include the
 *   terminating NUL and longer input is refused with SLUICE_EINVAL.
 * - Digests are lower-case hex SHA-256 (64 characters).
 * - "now" for created_at/approved_at/... is sluice_now() unless a function
 *   takes an explicit time.
 * - A handle serves one thread. Its statements are prepared once and reused:
 *   a store_audit_each() callback may call other store functions but not
 *   store_audit_each() again (SLUICE_ESTATE).
 * - Names and NIC references are checked by domain.h's name_check() and
 *   nic_check() (refused with SLUICE_EINVAL and their reason). States and
 *   statuses are stored as domain.h's words, but for the DSPT status
 *   not-met, which schema version 1 stores as "standards-not-met".
 */
#ifndef SLUICE_STORE_H
#define SLUICE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/domain.h"
#include "gate.h"

struct store;

#define STORE_SCHEMA_VERSION	4	/* PRAGMA user_version this program writes */

#define STORE_NAME_MAX		65	/* org codes, user names (domain.h name_check) */
#define STORE_NIC_MAX		17	/* "NIC-123456-A1B2C" */
#define STORE_TEXT_MAX		257	/* names, emails, refs, reasons */
#define STORE_DN_MAX		1025	/* certificate subject, issuer */
#define STORE_SERIAL_MAX	129	/* certificate serial, hex */
#define STORE_HEX_MAX		65	/* a SHA-256 in hex */
#define STORE_KEYTYPE_MAX	33	/* "ssh-ed25519" */
#define STORE_FPR_MAX		97	/* "SHA256:<base64>" */
#define STORE_AGE_MAX		129	/* "age1..." */
#define STORE_EXTRACT_ID_MAX	65	/* lower-case hex, 32 from package.h */
#define STORE_INBOX_ID_MAX	33	/* 32 lower-case hex */
#define STORE_OUTCOME_MAX	17	/* audit outcome: allow, deny, ok, ... */
#define STORE_WRAPPED_MAX	128	/* wrapped file key bytes */
#define STORE_BLOB_MAX		(16u * 1024 * 1024)	/* documents, CMS, certs */

/* ---- open, close, transactions ------------------------------------------ */

/*
 * Opens (creating it with mode 0600 when absent) the SQLite store at path:
 * WAL, busy_timeout 5 s, foreign_keys ON, SQLITE_DBCONFIG_DEFENSIVE, then
 * applies the pending migrations, each in one transaction. Refuses with
 * SLUICE_ESTORE and a reason a store written by a newer program
 * ("store schema version 7 is newer than this program's 2; upgrade sluiced")
 * or a file that is not a store. *out is the caller's to store_close().
 */
int store_open(const char *path, struct store **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void store_close(struct store *s);			/* NULL is a no-op */
/* The schema version found on disk (after store_open: STORE_SCHEMA_VERSION). */
int store_schema_version(struct store *s, int *version);

/* One outer transaction (BEGIN IMMEDIATE). Not nestable: store_begin() inside
 * a begun transaction is SLUICE_ESTATE. */
int store_begin(struct store *s) __attribute__((warn_unused_result));
int store_commit(struct store *s) __attribute__((warn_unused_result));
int store_rollback(struct store *s);		/* a no-op outside a transaction */

/* ---- organisations, contracts (DSFC) ------------------------------------ */

struct org {
	int64_t		 id;
	char		 code[STORE_NAME_MAX];
	char		 name[STORE_TEXT_MAX];
	char		 type[STORE_TEXT_MAX];	/* free text, may be empty */
	enum dspt_status dspt;
	int32_t		 dspt_expires;		/* day; 0 = none */
	int		 sanctioned;		/* an overdue deletion certificate */
	int64_t		 created_at;
};
struct org_list { struct org *v; size_t n; };

/* Adds o (code, name, type; dspt starts DSPT_NONE, not sanctioned). The code
 * must pass name_check(). SLUICE_EEXIST if the code is taken. */
int org_add(struct store *s, const struct org *o, int64_t *id,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int org_get(struct store *s, const char *code, struct org *out);
int org_list(struct store *s, struct org_list *out);	/* by code */
void org_list_free(struct org_list *l);
int org_set_dspt(struct store *s, const char *code, enum dspt_status status,
    int32_t expires);
int org_set_sanctioned(struct store *s, const char *code, int sanctioned);

struct contract {
	int64_t	 id;
	int64_t	 org_id;
	char	 org[STORE_NAME_MAX];
	char	 ref[STORE_TEXT_MAX];
	int32_t	 starts, expires;		/* days, inclusive */
	int64_t	 created_at;
};
struct contract_list { struct contract *v; size_t n; };

/* SLUICE_EINVAL if starts > expires; SLUICE_ENOTFOUND for an unknown org;
 * SLUICE_EEXIST for a ref the org already has. */
int contract_add(struct store *s, const char *org, const char *ref,
    int32_t starts, int32_t expires, int64_t *id, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The org's contract covering day (starts <= day <= expires; of several, the
 * one that expires last), else SLUICE_ENOTFOUND. */
int contract_in_force(struct store *s, const char *org, int32_t day,
    struct contract *out);
/* The org's contracts (all orgs when org is NULL), by org, starts. */
int contract_list(struct store *s, const char *org, struct contract_list *out);
void contract_list_free(struct contract_list *l);

/* ---- identities: recipients (people), staff, their SSH keys -------------- */

/*
 * A login key as the SSH layer sees it. One key is one identity: the blob is
 * UNIQUE across staff and recipients. User names are unique across staff and
 * recipients too, so a user name names one identity.
 */
struct store_key {
	char		 type[STORE_KEYTYPE_MAX];	/* "ssh-ed25519" */
	const uint8_t	*blob;		/* SSH wire encoding of the public key */
	size_t		 len;
	char		 fingerprint[STORE_FPR_MAX];	/* "SHA256:..." */
};

struct person {
	int64_t	 id;
	int64_t	 org_id;
	char	 org[STORE_NAME_MAX];
	char	 user[STORE_NAME_MAX];
	char	 email[STORE_TEXT_MAX];
	int	 active;
	char	 age_recipient[STORE_AGE_MAX];	/* "" = none: use the SSH key */
	int64_t	 created_at;
};
struct person_list { struct person *v; size_t n; };

/* Adds an active recipient of org with one login key. age_recipient may be
 * NULL. SLUICE_EEXIST ("key is already registered to staff alice", "user
 * name bob is taken"), SLUICE_ENOTFOUND for an unknown org. */
int person_add(struct store *s, const char *org, const char *user,
    const char *email, const struct store_key *key, const char *age_recipient,
    int64_t *id, char *why, size_t whylen) __attribute__((warn_unused_result));
int person_get_by_id(struct store *s, int64_t id, struct person *out);
/* Marks the recipient named user active (active != 0) or not. SLUICE_ENOTFOUND
 * if no recipient has that name (a staff member's name included). */
int person_set_active(struct store *s, const char *user, int active);
/* Sets the recipient's age recipient; "" (or NULL) means none, stored as
 * person_add() stores an absent one (NULL, read back as ""). SLUICE_EINVAL
 * for one that does not look like an age recipient ("age1...") or is
 * STORE_AGE_MAX or longer; SLUICE_ENOTFOUND if no recipient is named user. */
int person_set_age_recipient(struct store *s, const char *user,
    const char *age);
/* Recipients of org (all when NULL), by org, user. */
int person_list(struct store *s, const char *org, struct person_list *out);
void person_list_free(struct person_list *l);

struct staff {
	int64_t	 id;
	char	 user[STORE_NAME_MAX];
	char	 email[STORE_TEXT_MAX];
	uint32_t roles;			/* ROLE_* bits; never ROLE_RECIPIENT */
	int	 active;
	int64_t	 created_at;
};
struct staff_list { struct staff *v; size_t n; };

/* Adds an active staff member with one login key. roles must be non-zero
 * staff roles (SLUICE_EINVAL otherwise). Errors as person_add(). */
int staff_add(struct store *s, const char *user, const char *email,
    const struct store_key *key, uint32_t roles, int64_t *id,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int staff_list(struct store *s, struct staff_list *out);	/* by user */
void staff_list_free(struct staff_list *l);
/* Marks the staff member named user active (active != 0) or not.
 * SLUICE_ENOTFOUND if no staff member has that name. Keeping an active admin
 * is the caller's rule (staff_count_active_admins()). */
int staff_set_active(struct store *s, const char *user, int active);
/* Replaces the staff member's ROLE_* bits (as stored: non-zero staff roles
 * only, else SLUICE_EINVAL). SLUICE_ENOTFOUND if no staff member has that
 * name. */
int staff_set_roles(struct store *s, const char *user, uint32_t roles);
/* *n = the active staff members whose roles include ROLE_ADMIN. */
int staff_count_active_admins(struct store *s, int64_t *n);

/* Whose a key is: a staff member's or a recipient's. */
enum identity_kind { IDENTITY_STAFF = 1, IDENTITY_RECIPIENT = 2 };

/* A stored key; blob is heap memory owned by the list. */
struct stored_key {
	int64_t	 id;
	char	 type[STORE_KEYTYPE_MAX];
	uint8_t	*blob;
	size_t	 len;
	char	 fingerprint[STORE_FPR_MAX];
	int64_t	 added_at;
};
struct key_list { struct stored_key *v; size_t n; };
/* The keys of one identity, oldest first (empty list if none). */
int key_list(struct store *s, enum identity_kind kind, int64_t owner_id,
    struct key_list *out);
void key_list_free(struct key_list *l);

/* Who a login key or user name belongs to (the login lookup). */
struct identity {
	enum identity_kind kind;
	int64_t	 id;			/* staff.id or person.id */
	char	 user[STORE_NAME_MAX];
	int64_t	 org_id;		/* recipients; 0 for staff */
	char	 org[STORE_NAME_MAX];	/* recipients; "" for staff */
	uint32_t roles;			/* staff roles, or ROLE_RECIPIENT */
	int	 active;
	char	 age_recipient[STORE_AGE_MAX];	/* recipients; may be "" */
	int64_t	 key_id;		/* identity_by_key(): the key matched */
	char	 key_type[STORE_KEYTYPE_MAX];
	char	 fingerprint[STORE_FPR_MAX];
};
/* SLUICE_ENOTFOUND if the key is nobody's. Inactive identities are returned
 * too (active = 0): refusing them is the caller's decision. */
int identity_by_key(struct store *s, const uint8_t *blob, size_t len,
    struct identity *out);
/* key_id/key_type/fingerprint are left empty. */
int identity_by_user(struct store *s, const char *user, struct identity *out);
/*
 * Makes blob (an SSH wire-format public key) the only login key of the
 * identity (staff or recipient) named user: its old keys are deleted and
 * this one added, with its type and fingerprint computed here as the admin
 * commands compute them for staff_add()/person_add() (sshkey.h), all in one
 * unit of work (a SAVEPOINT inside the caller's store_begin()). The key
 * policy (sshkey_acceptable()) is the caller's. Refusals leave the store
 * unchanged:
 *   SLUICE_EINVAL    "no usable key" (user NULL, or blob not an SSH key);
 *   SLUICE_ENOTFOUND "no user USER";
 *   SLUICE_EEXIST    "key is already registered to staff alice" (or
 *                    "recipient bob"), as staff_add()/person_add() say it,
 *                    also when it is already this user's own key.
 */
int identity_replace_key(struct store *s, const char *user,
    const uint8_t *blob, size_t len, char *why, size_t whylen);

/* ---- signatories (pinned X.509 certificates) ---------------------------- */

#define SIGNATORY_CONTROLLER	"controller"	/* owner of the data controller's */

struct signatory {
	int64_t	 id;
	int64_t	 org_id;			/* 0 = the controller */
	char	 owner[STORE_NAME_MAX];		/* org code or "controller" */
	uint8_t	*der;				/* heap; signatory_clear() */
	size_t	 der_len;
	char	 fingerprint[STORE_HEX_MAX];	/* SHA-256 of der, hex */
	char	 subject[STORE_DN_MAX];
	char	 issuer[STORE_DN_MAX];
	char	 serial[STORE_SERIAL_MAX];
	int64_t	 not_before, not_after;
	int64_t	 added_by;			/* staff id */
	int64_t	 added_at;
	int64_t	 revoked_at;			/* 0 = not revoked */
	int64_t	 revoked_by;			/* staff id; 0 = not revoked */
	char	 revoke_reason[STORE_TEXT_MAX];	/* "" = not revoked */
};
struct signatory_list { struct signatory *v; size_t n; };

/* Registers in->der for in->owner ("controller" or an org code). The store
 * computes the fingerprint itself (in->fingerprint is ignored); one
 * certificate serves one party only: SLUICE_EEXIST ("certificate is already
 * registered to NHSX") if the same DER is registered anywhere. */
int signatory_add(struct store *s, const struct signatory *in, int64_t *id,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int signatory_get(struct store *s, int64_t id, struct signatory *out);
/* owner: an org code, "controller", or NULL for all; by owner, id. */
int signatory_list(struct store *s, const char *owner,
    struct signatory_list *out);
void signatory_clear(struct signatory *sg);
void signatory_list_free(struct signatory_list *l);
/*
 * Revokes owner's (an org code or "controller") signatory whose certificate
 * serial is serial: hex as signatory_add() stored it (cms.h prints it
 * upper-case, as `openssl x509 -serial` without "serial="), matched in any
 * case. Should the owner have several certificates with that serial (from
 * different issuers), each one not yet revoked is revoked. at is when (> 0),
 * by the staff id (> 0), reason non-empty and shorter than STORE_TEXT_MAX.
 * Signatories added before schema version 2 have their serial stored already
 * (version 1 kept it), so every row can be matched. Refusals leave the store
 * unchanged:
 *   SLUICE_EINVAL    "bad revocation" (owner/serial NULL, at or by not > 0),
 *                    "a revocation needs a reason", "reason too long", or
 *                    an unknown staff id ("cannot revoke signatory: FOREIGN
 *                    KEY constraint failed");
 *   SLUICE_ENOTFOUND "no signatory SERIAL for OWNER";
 *   SLUICE_ESTATE    "signatory SERIAL of OWNER is already revoked".
 */
int signatory_revoke(struct store *s, const char *owner, const char *serial,
    int64_t at, int64_t by, const char *reason, char *why, size_t whylen);

/* ---- agreements (DSA), their versions and signatures -------------------- */

struct agreement {
	int64_t	 id;			/* one row per version */
	char	 nic[STORE_NIC_MAX];
	int	 version;		/* 1, 2, ... */
	int64_t	 org_id;
	char	 org[STORE_NAME_MAX];
	char	*title;			/* heap, NUL-terminated */
	char	*purpose;
	char	*legal_basis;
	char	*datasets;		/* "A,B" as given */
	int32_t	 starts, expires;	/* days, inclusive */
	enum agreement_state state;
	uint8_t	*document;		/* heap; NULL in lists (document_len set) */
	size_t	 document_len;
	char	 document_sha256[STORE_HEX_MAX];
	int64_t	 created_by;		/* staff id */
	int64_t	 created_at;
	int64_t	 state_changed_at;
};
struct agreement_list { struct agreement *v; size_t n; };

/*
 * Adds version 1 of a new agreement, in state awaiting-signatures (it arrives
 * with its document). Reads nic (nic_check()), org (code), title, purpose,
 * legal_basis, datasets, starts, expires, document/document_len, created_by;
 * ignores the rest (the store computes document_sha256). SLUICE_EEXIST if the
 * NIC exists, SLUICE_ENOTFOUND for an unknown org.
 */
int agreement_add(struct store *s, const struct agreement *a, int64_t *id,
    char *why, size_t whylen) __attribute__((warn_unused_result));
/*
 * Adds version N+1 of nic (N the latest) with a new expires and document,
 * every other field copied from version N, state awaiting-signatures.
 * SLUICE_ESTATE if version N is itself still draft or awaiting-signatures
 * (one pending version at a time); SLUICE_ENOTFOUND for an unknown NIC.
 */
int agreement_add_version(struct store *s, const char *nic, int32_t expires,
    const uint8_t *document, size_t document_len, int64_t by, int64_t *id,
    int *version, char *why, size_t whylen) __attribute__((warn_unused_result));
/* version 0 = the latest. */
int agreement_get(struct store *s, const char *nic, int version,
    struct agreement *out);
/* The version that governs nic now: the newest one that is signed, live,
 * suspended, expired or closed; if none is, the latest. */
int agreement_governing(struct store *s, const char *nic,
    struct agreement *out);

#define AGREEMENT_ANY_STATE	(-1)
#define AGREEMENT_LIST_GOVERNING 0x1	/* only each NIC's governing version */
/* Agreements in state (or AGREEMENT_ANY_STATE) of org (or NULL for all), by
 * nic, version. With AGREEMENT_LIST_GOVERNING the state filter applies to
 * the governing versions. Documents are not loaded. */
int agreement_list(struct store *s, int state, const char *org,
    unsigned flags, struct agreement_list *out);
/* Sets the stored state of one version (the engine checks the transition
 * with agreement_transition() first) and state_changed_at = now. */
int agreement_set_state(struct store *s, int64_t id,
    enum agreement_state state);
/* Ends one version early: state expired, expires = the given day,
 * state_changed_at = now (the engine checks the transition first and passes
 * max(today, starts)). SLUICE_EINVAL (no why) if expires is before the
 * version's starts (the schema's CHECK) or not a date; SLUICE_ENOTFOUND for
 * an unknown id. */
int agreement_end(struct store *s, int64_t agreement_id, int32_t expires);
void agreement_clear(struct agreement *a);
void agreement_list_free(struct agreement_list *l);

/* A verified signature of one party over one version's document. */
struct agreement_sig {
	int64_t	 id;
	int64_t	 agreement_id;
	enum party party;
	uint8_t	*cms;			/* heap; agreement_sig_clear() */
	size_t	 cms_len;
	int64_t	 signatory_id;
	int64_t	 signing_time;		/* from the CMS signingTime; 0 if absent */
	int64_t	 uploaded_by;		/* staff id */
	int64_t	 uploaded_at;
	int64_t	 verified_at;		/* when the engine verified it */
};
/* Reads agreement_id, party, cms, signatory_id, signing_time, uploaded_by,
 * verified_at (0 = now). SLUICE_EEXIST if that party has signed that
 * version already. */
int signature_add(struct store *s, const struct agreement_sig *in,
    int64_t *id, char *why, size_t whylen) __attribute__((warn_unused_result));
int signature_get(struct store *s, int64_t agreement_id, enum party party,
    struct agreement_sig *out);
void agreement_sig_clear(struct agreement_sig *g);

/* Suspensions: the reason and who, kept beside the state change (by 0 =
 * automatic, a sanction). */
int suspension_add(struct store *s, int64_t agreement_id, const char *reason,
    int64_t by, int64_t *id) __attribute__((warn_unused_result));
/* Lifts the open suspension of the agreement; SLUICE_ENOTFOUND if none. */
int suspension_lift(struct store *s, int64_t agreement_id, int64_t by);

/* ---- sealed inbox files ---------------------------------------------------- */

/* A staff member's inbox file as it rests: an age payload on disk named by
 * id (random, lower-case hex), its file key wrapped by the master key. One
 * row per (staff member, name). */
struct inbox_file {
	char	 id[STORE_INBOX_ID_MAX];
	int64_t	 staff_id;
	char	 name[STORE_NAME_MAX];
	uint64_t plain_size;
	char	 sha256[STORE_HEX_MAX];		/* of the plaintext */
	uint8_t	 wrapped_key[STORE_WRAPPED_MAX];
	size_t	 wrapped_len;
	int64_t	 uploaded_at;
};
struct inbox_file_list { struct inbox_file *v; size_t n; };

/* Records in (id, staff_id, name checked by name_check(), plain_size,
 * sha256, wrapped key; uploaded_at = now) in place of the staff member's
 * file of that name, if any: replaced gets its id then, else "". One
 * savepoint. */
int inbox_file_put(struct store *s, const struct inbox_file *in,
    char replaced[STORE_INBOX_ID_MAX], char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The staff member's file name; SLUICE_ENOTFOUND when there is none. */
int inbox_file_get(struct store *s, int64_t staff_id, const char *name,
    struct inbox_file *out);
/* The staff member's files by name; every staff member's with staff_id 0. */
int inbox_file_list(struct store *s, int64_t staff_id,
    struct inbox_file_list *out);
void inbox_file_list_free(struct inbox_file_list *l);
/* Forgets file id; SLUICE_ENOTFOUND when no row has it. */
int inbox_file_delete(struct store *s, const char *id);
/* File id's key wrapped anew (master-key rotation); SLUICE_ENOTFOUND when
 * no row has it. */
int inbox_file_set_wrapped(struct store *s, const char *id, const uint8_t *w,
    size_t len);

/* ---- extracts, releases, downloads -------------------------------------- */

struct extract {
	char	 id[STORE_EXTRACT_ID_MAX];	/* lower-case hex (package.h) */
	int64_t	 agreement_id;
	char	 nic[STORE_NIC_MAX];
	char	 name[STORE_NAME_MAX];		/* served as <name>.age */
	uint64_t plain_size;
	char	 sha256[STORE_HEX_MAX];		/* of the plaintext */
	uint64_t payload_size;
	uint8_t	 wrapped_key[STORE_WRAPPED_MAX];
	size_t	 wrapped_len;
	int64_t	 staged_by;			/* staff id */
	int64_t	 staged_at;
	char	 staged_by_user[STORE_NAME_MAX];	/* read: the stager's name */
};
struct extract_list { struct extract *v; size_t n; };

/* Reads id (chosen by the caller, as package_stage() named the payload),
 * agreement_id, name (name_check()), plain_size, sha256, payload_size,
 * wrapped_key/len, staged_by. Names are unique per NIC (one directory):
 * SLUICE_EEXIST otherwise. */
int extract_add(struct store *s, const struct extract *in,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int extract_get(struct store *s, const char *id, struct extract *out);
/* Extracts of nic (all when NULL), by nic, staged_at. */
int extract_list(struct store *s, const char *nic, struct extract_list *out);
void extract_list_free(struct extract_list *l);
/* Replaces the extract's wrapped file key (master-key rotation);
 * SLUICE_ENOTFOUND for no such extract. */
int extract_set_wrapped(struct store *s, const char *id, const uint8_t *w,
    size_t len) __attribute__((warn_unused_result));
/* *released = 1 if the extract has any release row, revoked or not (0 for
 * an id the store does not have). */
int extract_released(struct store *s, const char *id, int *released);
/*
 * Deletes the extract's row, only if it never had a release (revoked or
 * not: a release is history). The caller removes the payload file.
 * Refusals leave the store unchanged:
 *   SLUICE_EINVAL    "no extract id" (id NULL);
 *   SLUICE_ENOTFOUND "no extract ID";
 *   SLUICE_ESTATE    "extract ID has been released: revoke the release
 *                    instead".
 */
int extract_discard(struct store *s, const char *id, char *why, size_t whylen);

struct release {
	int64_t	 id;
	char	 extract_id[STORE_EXTRACT_ID_MAX];
	int64_t	 agreement_id;		/* of the extract */
	char	 nic[STORE_NIC_MAX];
	char	 name[STORE_NAME_MAX];	/* the extract's */
	int64_t	 staged_by;
	int64_t	 approved_by;
	int64_t	 approved_at;
	int64_t	 revoked_at;		/* 0 = not revoked */
	int64_t	 revoked_by;
	char	 revoke_reason[STORE_TEXT_MAX];
	/* per-release policy limits, fixed at approval; 0 = no limit */
	int64_t	 window_opens, window_closes;
	int64_t	 max_downloads;
};
struct release_list { struct release *v; size_t n; };
struct release_limits {
	int64_t	 window_opens, window_closes;
	int64_t	 max_downloads;
};

/*
 * Approves extract_id (limits may be NULL: none). Four eyes: an approver who
 * staged the extract is refused with SLUICE_EDENIED ("you staged this
 * extract; another approver must approve it"), here and again by a CHECK in
 * the schema. SLUICE_EEXIST if the extract has an active (unrevoked) release.
 */
int release_add(struct store *s, const char *extract_id, int64_t approver,
    const struct release_limits *limits, int64_t *id, char *why, size_t whylen)
    __attribute__((warn_unused_result));
int release_get(struct store *s, int64_t id, struct release *out);
/* SLUICE_ESTATE if already revoked. */
int release_revoke(struct store *s, int64_t id, int64_t by, const char *reason,
    char *why, size_t whylen) __attribute__((warn_unused_result));
/* Releases of nic (all when NULL), by id; active_only drops revoked ones. */
int release_list(struct store *s, const char *nic, int active_only,
    struct release_list *out);
void release_list_free(struct release_list *l);

struct download {
	int64_t	 id;
	int64_t	 release_id;
	int64_t	 person_id;
	uint64_t bytes;			/* bytes served so far */
	uint64_t first_offset, last_end;
	int	 completed;
	char	 gate[STORE_TEXT_MAX];	/* "allow" or the denial reason */
	int64_t	 at;			/* when the file was opened */
	int64_t	 updated_at;
};
/* Reads release_id, person_id, bytes, first_offset, last_end, completed,
 * gate; at = now. */
int download_add(struct store *s, const struct download *d, int64_t *id)
    __attribute__((warn_unused_result));
/* Progress of an open download. */
int download_update(struct store *s, int64_t id, uint64_t bytes,
    uint64_t first_offset, uint64_t last_end, int completed);
/* Downloads of release by person that the gate allowed (completed_only: and
 * that completed); this is what max_downloads limits. */
int download_count(struct store *s, int64_t release_id, int64_t person_id,
    int completed_only, int64_t *n);

/* ---- deletion certificates ---------------------------------------------- */

struct deletion_certificate {
	int64_t	 id;
	int64_t	 agreement_id;
	char	 nic[STORE_NIC_MAX];
	int64_t	 uploaded_by;		/* person id */
	uint8_t	*cms;			/* certificate_add() reads it; NULL in lists */
	size_t	 cms_len;
	int	 accepted;		/* 1 accepted, 0 rejected */
	char	 reason[STORE_TEXT_MAX];	/* why rejected, or "" */
	int32_t	 destroyed_on;		/* day from the certificate; 0 unknown */
	int64_t	 signatory_id;		/* 0 if none verified */
	int64_t	 at;
};
struct certificate_list { struct deletion_certificate *v; size_t n; };

/* Records one upload and its verdict (rejected ones too). Reads every field
 * but id, nic and at. */
int certificate_add(struct store *s, const struct deletion_certificate *c,
    int64_t *id, char *why, size_t whylen) __attribute__((warn_unused_result));
/* Certificates of nic (all when NULL), by id. */
int certificate_list(struct store *s, const char *nic,
    struct certificate_list *out);
void certificate_list_free(struct certificate_list *l);
/* *accepted = 1 if any version of the agreement's NIC has an accepted
 * certificate. */
int certificate_accepted(struct store *s, int64_t agreement_id, int *accepted);
/* *n = certificates uploaded by person_id and rejected at since or later
 * (cert_limits.c). */
int certificate_rejected_since(struct store *s, int64_t person_id,
    int64_t since, int64_t *n) __attribute__((warn_unused_result));
/* Empties the CMS of the rejected certificates of agreement_id but the
 * newest keep (their rows, verdicts and reasons stay). */
int certificate_prune_rejected(struct store *s, int64_t agreement_id,
    int64_t keep) __attribute__((warn_unused_result));

/* ---- outbox (mail queued exactly once) ---------------------------------- */

struct outbox_msg {
	int64_t	 id;
	char	 dedupe_key[STORE_TEXT_MAX];
	char	*to;			/* heap: comma-separated addresses */
	char	*subject;
	char	*body;
	int64_t	 created_at;
	int64_t	 next_attempt;
	int64_t	 attempts;
	int64_t	 sent_at;		/* 0 = not sent */
	char	 last_error[STORE_TEXT_MAX];
};
struct outbox_list { struct outbox_msg *v; size_t n; };

/* Queues a message once per dedupe_key ("expiry-30:NIC-123456-A1B2C:2"):
 * SLUICE_EEXIST if that key was queued before (sent or not), which is how a
 * scheduler that runs twice sends once. next_attempt = now. */
int outbox_enqueue(struct store *s, const char *dedupe_key, const char *to,
    const char *subject, const char *body, int64_t *id)
    __attribute__((warn_unused_result));
/* Unsent messages with next_attempt <= now, oldest first, at most limit
 * (0 = no limit). */
int outbox_due(struct store *s, int64_t now, size_t limit,
    struct outbox_list *out);
/* Both end a delivery (the message is no longer in delivery). */
int outbox_mark_sent(struct store *s, int64_t id, int64_t at);
/* attempts += 1, last_error = error, next_attempt as given. */
int outbox_mark_failed(struct store *s, int64_t id, const char *error,
    int64_t next_attempt);
/* Marks an unsent message in delivery (on = 1: outbox_due() no longer
 * lists it) or no longer (on = 0); SLUICE_ENOTFOUND when it is sent, or
 * already so. */
int outbox_set_delivering(struct store *s, int64_t id, int on)
    __attribute__((warn_unused_result));
/* The unsent messages in delivery, by id. */
int outbox_delivering(struct store *s, struct outbox_list *out);
void outbox_list_free(struct outbox_list *l);

/* ---- the gate's facts ---------------------------------------------------- */

/*
 * Fills f for person_id downloading release_id on day today: every field of
 * gate.h's struct gate_facts from the store. The agreement facts are those of
 * the governing version of the release's NIC (an extension signed later
 * governs the old extracts too); a signature counts when its row exists with
 * verified_at set. dspt_waived is left 0 (policy is the caller's); downloads
 * counts the allowed downloads so far (download_count(..., 0, ...)). An
 * unknown person leaves recipient_known 0; an unknown release is
 * SLUICE_ENOTFOUND.
 */
int store_gate_facts(struct store *s, int64_t person_id, int64_t release_id,
    int32_t today, struct gate_facts *f);

/* ---- audit rows (audit.c keeps the hash chain; see audit.h) -------------- */

struct audit_entry {
	int64_t	 id;			/* 1, 2, ... without gaps */
	int64_t	 time;
	int	 fake_clock;		/* stored as clock 'fake' / 'real' */
	char	*actor;			/* heap, NUL-terminated */
	char	*action;
	char	*subject;
	char	 outcome[STORE_OUTCOME_MAX];
	char	*details;
	char	 prev_hash[STORE_HEX_MAX];
	char	 hash[STORE_HEX_MAX];
};
/* Low level, for audit.c: in one unit of work (a SAVEPOINT inside
 * store_begin()), reads the newest entry, sets e->id to its id + 1 (1 for
 * the first) and e->prev_hash to its hash ("0" x 64 for the first), calls
 * hash(e, e->hash) and inserts e. So two appends never chain onto the same
 * predecessor. */
typedef int (*store_audit_hash_fn)(const struct audit_entry *e, char out[65]);
int store_audit_append(struct store *s, struct audit_entry *e,
    store_audit_hash_fn hash) __attribute__((warn_unused_result));
/* The newest entry, or SLUICE_ENOTFOUND when the log is empty. */
int store_audit_last(struct store *s, struct audit_entry *out);
int store_audit_get(struct store *s, int64_t id, struct audit_entry *out);
/* Calls fn for each entry with time >= since (0: all), in id order; stops
 * and returns fn's value when it is non-zero. e is valid during the call. */
typedef int (*store_audit_fn)(void *arg, const struct audit_entry *e);
int store_audit_each(struct store *s, int64_t since, store_audit_fn fn,
    void *arg);
void audit_entry_clear(struct audit_entry *e);

/* ---- backups (backup.c) -------------------------------------------------- */
/*
 * A backup is one SQLite file: a copy of the store made with SQLite's online
 * backup API (so the daemon may run), plus two tables of its own: the data
 * directory's key and configuration files (name, mode, bytes) and the
 * payloads (id, size, SHA-256 of the payload file). The file is made 0600:
 * it holds the master key.
 */
struct backup;
/* Copies s into a new file at path (SLUICE_EEXIST if there is one). */
int backup_create(struct store *s, const char *path, struct backup **out,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int backup_add_file(struct backup *b, const char *name, int mode,
    const uint8_t *data, size_t len) __attribute__((warn_unused_result));
int backup_add_payload(struct backup *b, const char *id, uint64_t size,
    const char *sha256) __attribute__((warn_unused_result));
/* Commits what was added and closes b (freed whatever the outcome). */
int backup_finish(struct backup *b, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* Opens a backup to restore from it (read-only). */
int backup_open(const char *path, struct backup **out, char *why,
    size_t whylen) __attribute__((warn_unused_result));
typedef int (*backup_file_fn)(void *arg, const char *name, int mode,
    const uint8_t *data, size_t len);
int backup_each_file(struct backup *b, backup_file_fn fn, void *arg);
typedef int (*backup_payload_fn)(void *arg, const char *id, uint64_t size,
    const char *sha256);
int backup_each_payload(struct backup *b, backup_payload_fn fn, void *arg);
/* Writes the store it holds, without the backup's own tables, to path (a
 * new file). */
int backup_restore_store(struct backup *b, const char *path, char *why,
    size_t whylen) __attribute__((warn_unused_result));
/* Closes b, rolling back anything not finished; NULL is fine. */
void backup_close(struct backup *b);

/* ---- what the published pages read (published.c) ------------------------ */

/*
 * Opens the store at path for reading only (sluiced publish, while the
 * daemon may be running: WAL lets a reader in beside the writer): never
 * created, never migrated, PRAGMA query_only, busy_timeout as store_open().
 * SLUICE_ESTORE with a reason for a missing file, a file that is not a
 * store, or a store whose schema version is not this program's ("store
 * schema version 1 is not this program's 2; run sluiced once to migrate
 * it"). Every reading function works on it; a writing one fails with
 * SLUICE_ESTORE. *out is the caller's to store_close().
 */
int store_open_readonly(const char *path, struct store **out, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* How many things happened in one UTC calendar month. */
struct month_count {
	char	 month[8];		/* "YYYY-MM" */
	int64_t	 n;
};
struct month_count_list { struct month_count *v; size_t n; };

/* Per month from since to before until, oldest first; months with none are
 * left out. Releases count by approved_at, revoked ones included;
 * downloads count the ones the gate allowed that completed, by when the
 * file was opened. */
int store_releases_by_month(struct store *s, int64_t since, int64_t until,
    struct month_count_list *out);
int store_downloads_by_month(struct store *s, int64_t since, int64_t until,
    struct month_count_list *out);
void month_count_list_free(struct month_count_list *l);

#endif
