/*
 * audit.h: the tamper-evident log (docs/design.md section 7).
 *
 * An append-only table (the schema's triggers refuse UPDATE and DELETE) whose
 * entries are chained: each carries prev_hash, the hash of the entry before
 * it ("0" x 64 for the first), and hash, the SHA-256 over an unambiguous
 * encoding of all its fields:
 *
 *   "sluice-audit-v1" then, each as u32 big-endian length + bytes:
 *   id (decimal), time (decimal), clock ("real"|"fake"), actor, action,
 *   subject, outcome, details, prev_hash
 *
 * So audit_verify() finds an edited entry (its hash no longer matches), a
 * removed one (a gap in the ids) and reordered ones (a prev_hash that does
 * not match the entry before). It cannot see the newest entries removed from
 * the end; an export kept elsewhere (audit_export) anchors that.
 *
 * Every entry says which clock stamped it: 'fake' when sluice_clock_is_fake().
 * Outcomes are short words: allow, deny, ok, refused, error.
 */
#ifndef SLUICE_AUDIT_H
#define SLUICE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "store/store.h"

#define AUDIT_ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Appends one entry stamped sluice_now(); subject and details may be NULL
 * (stored as ""). Runs in its own SAVEPOINT, so inside store_begin() the entry
 * commits or rolls back with the change it records. *id may be NULL. */
int audit_append(struct store *s, const char *actor, const char *action,
    const char *subject, const char *outcome, const char *details, int64_t *id)
    __attribute__((warn_unused_result));

/*
 * Walks the whole chain. 0 when intact (*count = entries checked);
 * SLUICE_EVERIFY with *first_bad = the first bad entry's id and why =
 * "audit entry 17: hash mismatch (edited?)",
 * "audit entry 17: prev_hash does not match entry 16 (removed or reordered?)",
 * "audit entry 17 is missing: entry 18 follows entry 16 (removed?)".
 * first_bad and count may be NULL.
 */
int audit_verify(struct store *s, int64_t *first_bad, int64_t *count,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The hash of e as stored (hex into out, 65 bytes), from its fields. */
int audit_entry_hash(const struct audit_entry *e, char out[65]);

/*
 * `audit export`: JSON lines, one object per entry with time >= since (0: all):
 * {"id":1,"time":"2026-01-02T03:04:05Z","epoch":1767323045,"clock":"real",
 *  "actor":"alice","action":"org add","subject":"RX1","outcome":"ok",
 *  "details":"...","prev_hash":"00..","hash":"ab.."}
 * Keys in that order, each line ending "\n". audit_export() appends to out;
 * audit_export_each() hands each line (with its "\n") to fn and stops on a
 * non-zero return.
 */
int audit_export(struct store *s, int64_t since, struct sbuf *out)
    __attribute__((warn_unused_result));
typedef int (*audit_line_fn)(void *arg, const char *line, size_t len);
int audit_export_each(struct store *s, int64_t since, audit_line_fn fn,
    void *arg) __attribute__((warn_unused_result));

#endif
