/*
 * mail.h: the scheduler's messages (docs/design.md section 5) and their delivery.
 *
 * What is said (mail.c; when it is due is schedule.c's). Every message is
 * queued in the store's outbox under a dedupe key, and outbox_enqueue()
 * refuses a key seen before, so each is queued exactly once however often
 * the scheduler runs:
 *   expiry-<D>:<NIC>:<v>        D days before the governing version expires
 *   expired:<NIC>:<v>           the expiry notice and certificate request
 *   cert-reminder-<D>:<NIC>:<v> D days before the certificate is due
 *   overdue-staff:<NIC>:<v>     escalation to staff once it is overdue
 *   sanction:<NIC>:<v>          the notice of sanction to the organisation
 *   sanction-lifted:<ORG>:<n>   n = the audit entry of the lift
 *   dspt-30:<ORG>:<date>        the DSPT expires within 30 days
 *   dsfc-30:<ORG>:<ref>:<date>  a contract expires within 30 days, no successor
 *   cert-accepted:<NIC>:<id>    receipt for certificate <id>
 *   cert-rejected:<NIC>:<date>  the day's first rejection and its reason
 * A message caused by a fact (expiry, sanction, lift, certificate verdict)
 * is queued in the same transaction as that fact. Of several reminder days
 * already reached (a daemon that was down), only the nearest is sent.
 * Organisation mail goes to its active recipients' e-mail addresses
 * (signatories have none in the store); an organisation with none gets
 * staff instead, with a line saying so. Staff is cfg->staff_to, else every
 * active admin with an e-mail address.
 *
 * How it leaves (mail_send.c). Each message is RFC 5322 text with LF line
 * ends; Date is when it was queued and Message-ID comes from the outbox id
 * and the dedupe key, so a retry produces the same bytes. A Maildir gets
 * tmp/<name> (fsync) renamed into new/<name>, the name fixed by the outbox
 * id: a retry after a crash between the rename and outbox_mark_sent()
 * rewrites the same file (unless a reader has moved it to cur/ in that
 * window). sendmail is run by execve (no shell) as {sendmail, "-i", "--",
 * addresses...} with the message on stdin; exit 0 is delivered, anything
 * else (or no exit within MAIL_SENDMAIL_TIMEOUT seconds: killed) is a
 * failure. A crash after sendmail exits 0 and before outbox_mark_sent() sends
 * that message again: sendmail is at-least-once in that window (see
 * mail_worker.c below). A failure stays queued with backoff 1, 2, 4 ...
 * minutes, at most an hour.
 */
#ifndef SLUICE_MAIL_H
#define SLUICE_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/config.h"
#include "store/store.h"

struct engine;

#define MAIL_SENDMAIL_TIMEOUT	30	/* seconds before the child is killed */
#define MAIL_RUN_BUDGET		30	/* seconds of delivery per scheduler run */
#define MAIL_BATCH		32	/* messages tried per scheduler run */
#define MAIL_BACKOFF_MAX	3600	/* seconds */

/*
 * The messages. Each queues its message(s) inside the caller's transaction,
 * if any; a key queued before is not an error. The scheduler (schedule.c)
 * decides when each is due.
 */

/* The day a's certificate of deletion is due: the policy's days after the
 * last day of the agreement. */
int32_t mail_cert_due(const struct engine *e, const struct agreement *a);

/* The nearest expiry reminder day of a reached by today, if any. */
int mail_expiry_reminder(struct engine *e, const struct agreement *a,
    int32_t today) __attribute__((warn_unused_result));

/* The expiry notice of a (its governing version has just expired). */
int mail_expired(struct engine *e, const struct agreement *a)
    __attribute__((warn_unused_result));

/* The nearest certificate reminder day of a reached by today, if any. */
int mail_cert_reminder(struct engine *e, const struct agreement *a,
    int32_t today) __attribute__((warn_unused_result));

/* a's certificate is overdue: the escalation to staff and the notice of
 * sanction to the organisation. */
int mail_overdue(struct engine *e, const struct agreement *a)
    __attribute__((warn_unused_result));

/* o's sanction is lifted, by audit entry audit_id. */
int mail_sanction_lifted(struct engine *e, const struct org *o,
    int64_t audit_id) __attribute__((warn_unused_result));

/* o's DSPT assessment expires within 30 days of today. */
int mail_dspt(struct engine *e, const struct org *o, int32_t today)
    __attribute__((warn_unused_result));

/* Contract k expires within 30 days of today and has no successor. */
int mail_contract(struct engine *e, const struct contract *k, int32_t today)
    __attribute__((warn_unused_result));

/* The receipt (dc->accepted) or the rejection with dc->reason for
 * certificate cert_id of a. The rejection goes to the uploader
 * (dc->uploaded_by) when it has an address. */
int mail_certificate(struct engine *e, const struct agreement *a,
    const struct deletion_certificate *dc, int64_t cert_id)
    __attribute__((warn_unused_result));

/* The delay after failure number attempts + 1 (attempts = failures so far). */
int64_t mail_backoff(int64_t attempts);

/* m as an RFC 5322 message from cfg->mail_from, appended to out.
 * SLUICE_EINVAL if a header value holds CR or LF. */
int mail_format(const struct sluice_config *cfg, const struct outbox_msg *m,
    struct sbuf *out) __attribute__((warn_unused_result));

/* One message into the Maildir dir (created 0700 with tmp/ new/ cur/ if
 * absent) under the name fixed by m->id and m->created_at. */
int mail_maildir_put(const char *dir, const struct outbox_msg *m,
    const uint8_t *msg, size_t len, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* One message through the sendmail program prog, killed after timeout
 * seconds; why gets "sendmail exited with status 75" and the like. */
int mail_sendmail_put(const char *prog, const struct outbox_msg *m,
    const uint8_t *msg, size_t len, int timeout, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* One message through cfg's transport (the whole delivery: formatted,
 * then into the Maildir or through sendmail, killed after timeout s). */
int mail_deliver_one(const struct sluice_config *cfg,
    const struct outbox_msg *m, int timeout, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The verdict on m, tried at now: marked sent, or failed (why) with its
 * backoff; logged either way. */
void mail_settle(struct store *st, const struct outbox_msg *m, int failed,
    const char *why, int64_t now);
/* When the next unsent message not in delivery is due; 0 when none is. */
int64_t mail_next_due(struct store *st);
/* sendmail's timeout for a message with left_ms of the run's budget left. */
int mail_timeout(int64_t left_ms);
/* In the calling process: tries the due messages (at most MAIL_BATCH,
 * MAIL_RUN_BUDGET seconds), marking each sent or failed with its backoff.
 * Returns when the next unsent message is due (0: none). The engine does
 * so for a Maildir only (mail_deliver()). */
int64_t mail_deliver_here(const struct sluice_config *cfg, struct store *st,
    int64_t now);

/*
 * mail_worker.c: delivery without the engine waiting.
 *
 * mail_deliver() starts delivering what is due at now and sets
 * e->next_mail to when to call it again (0: when a message is queued). A
 * Maildir is written in the engine (a local file written and fsync'd, as
 * the store's own commits are: mail_deliver_here()). sendmail, an outside
 * program given up to MAIL_SENDMAIL_TIMEOUT seconds a message, runs in a
 * worker process: the engine reads the due messages, marks each in
 * delivery in the store (outbox_set_delivering: outbox_due() skips it),
 * forks the worker with its copy of them and goes back to its loop. The
 * worker never touches the store (the SQLite handle it inherits is neither
 * used nor closed), wipes the keys, and reports a verdict per message on a
 * socket the engine polls (mail_worker_fd(), mail_worker_input()); the
 * engine marks each sent or failed. One worker at a time; when it ends, a
 * message it gave no verdict for is failed with its backoff, and what has
 * fallen due meanwhile goes out at once.
 *
 * Across an engine crash delivery is at-least-once, never lost: whether
 * sendmail took a message before the engine died cannot be known (sendmail
 * and the store cannot commit together), so mail_recover(), at the
 * engine's start, makes every message still in delivery due again, logged
 * as such; the same Message-ID lets a receiver see the repeat. A Maildir
 * retry rewrites the same file (see above), so there it is exactly once.
 */
void mail_deliver(struct engine *e, int64_t now);
int mail_worker_fd(const struct engine *e);
void mail_worker_input(struct engine *e);
void mail_recover(struct engine *e);
/* At the engine's stop: the worker is ended; its messages stay in
 * delivery for mail_recover(). */
void mail_stop(struct engine *e);

#endif
