/*
 * audit_anchor.h: the signed head of the audit log, kept outside the store
 * (docs/design.md section 7).
 *
 * The hash chain (audit.h) shows an entry edited, removed or reordered,
 * but not the newest entries removed from the end, nor a log rewritten
 * whole. So the engine keeps the chain's head - the newest entry's id and
 * hash - signed with an Ed25519 key that the store does not hold ([keys]
 * audit_key, default DIR/audit.key: a 32-byte seed, mode 0600, made by
 * sluiced init, or at start for a data directory made before there was
 * one), in DIR/audit.head, replaced in one step (temporary file, fsync,
 * rename) after every request and scheduler run that added entries, and
 * before the request's answer leaves. A crash may leave the head behind
 * the log, never ahead of it.
 *
 * A head is one line, one word, so a shell passes it without quotes:
 *
 *   sluice-audit-head-v1:<id>:<hash>:<signature>
 *
 * id the entry's number (decimal, no leading zero), hash its hash (64
 * lower-case hex), signature the Ed25519 signature (128 lower-case hex) of
 * the text before the last colon. `audit checkpoint` prints one for an
 * auditor to keep elsewhere; `audit verify --against` checks the log
 * against it.
 *
 * A log holds a head when it has entry <id> with that hash; a log shorter
 * than the head, or with another entry there, does not. At start the
 * engine checks the log against DIR/audit.head before it appends anything:
 * if the log does not hold it, the head is left as it is (so `audit verify`
 * keeps failing) and no longer moved, until someone who has looked removes
 * DIR/audit.head; the engine then anchors the log anew at its newest entry
 * and says so in the log and the audit log.
 */
#ifndef SLUICE_AUDIT_ANCHOR_H
#define SLUICE_AUDIT_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define AUDIT_HEAD_PREFIX	"sluice-audit-head-v1"
#define AUDIT_HEAD_FILE		"audit.head"
#define AUDIT_HEAD_MAX		256	/* a head line and its NUL */

struct audit_anchor;

struct audit_head {
	int64_t	 id;
	char	 hash[65];
};

/* What audit_anchor_verify() checked. */
struct audit_check {
	int64_t	 entries;	/* in the chain */
	int64_t	 head;		/* the entry the signed head names */
	int64_t	 kept;		/* the entry the kept head names; 0: none */
};

/* What audit_anchor_open() found. */
enum anchor_start {
	ANCHOR_HELD = 0,	/* the log holds its head */
	ANCHOR_NEW_KEY,		/* there was no key: one was made */
	ANCHOR_NO_HEAD,		/* the key was there, the head was not */
	ANCHOR_BROKEN,		/* the log does not hold its head: why says */
};

/* Makes a new key at key_path (which must not exist), mode 0600. */
int audit_key_create(const char *key_path)
    __attribute__((warn_unused_result));

/*
 * Opens the anchor of data directory dir: loads the key at key_path (it must
 * be a secret file, files.h; made when absent), then checks the log of s
 * against DIR/audit.head, and says in *how what it found (why: the reason,
 * for ANCHOR_BROKEN). Fails only when the key cannot be had.
 */
int audit_anchor_open(const char *dir, const char *key_path, struct store *s,
    struct audit_anchor **out, enum anchor_start *how, char *why,
    size_t whylen) __attribute__((warn_unused_result));
void audit_anchor_free(struct audit_anchor *a);	/* NULL is a no-op */

/* Outside any transaction: writes DIR/audit.head for the newest entry of s
 * if it moved since the last write. Refuses (SLUICE_EVERIFY, and writes no
 * head from then on) when the entry of the last head written is gone or
 * changed. */
int audit_anchor_update(struct audit_anchor *a, struct store *s)
    __attribute__((warn_unused_result));

/* The head line for the newest entry of s, signed now. */
int audit_anchor_line(const struct audit_anchor *a, struct store *s,
    char line[AUDIT_HEAD_MAX]) __attribute__((warn_unused_result));

/* Parses line (one trailing newline allowed) and checks its signature
 * with a's key; SLUICE_EFORMAT or SLUICE_EVERIFY with why. */
int audit_head_parse(const struct audit_anchor *a, const char *line,
    struct audit_head *h, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * The chain (audit_verify()), then its signed head: 0 with why = "audit
 * log intact: N entries; signed head at entry M", else SLUICE_EVERIFY with
 * the chain's reason or one of
 *   "no signed head: audit.head is missing"
 *   "the signed head (audit.head) is not a head line"
 *   "the signed head (audit.head) does not verify with the audit key"
 *   "audit log shorter than its signed head: the head names entry 60, the
 *    log ends at entry 57 (entries removed from the end?)"
 *   "audit entry 57 differs from its signed head (log rewritten?)".
 * With kept (a head line an auditor kept; NULL: none), the log must hold
 * it too: why ends "; it holds the kept head, entry K", or says "... the
 * kept head ..." where the above say "its signed head".
 */
int audit_anchor_verify(const struct audit_anchor *a, struct store *s,
    const char *kept, struct audit_check *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
