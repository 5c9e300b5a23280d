/*
 * inbox.h: the staff inboxes, sealed at rest (docs/design.md section 7).
 *
 * An upload to /inbox/NAME is sealed by the uploader's session as it
 * arrives (an age payload under a file key the engine made for that one
 * upload: see ipc.h, IPC_OPEN_SEAL), so no byte of it rests in plaintext.
 * It lives as DIR/inbox/<id>, id 32 random hex digits and never a name a
 * user chose; the store's inbox_files row (store.h) says whose it is, its
 * name, its plaintext's size and SHA-256, and holds its file key wrapped by
 * the master key with the associated data
 *     "inbox:<id>:<staff id>:<name>:<plain size>:<sha256>"
 * so a wrapped key opens only the file, owner and name it was made for, and
 * the size and digest recorded at upload cannot change unnoticed.
 *
 * Nothing reads the bytes on disk but this module: inbox_read() decrypts a
 * file in memory (the one way commands read documents, signatures and
 * certificates), and inbox_take() hands a sealed extract to the payload
 * area without decrypting it (its file key wrapped again, the file itself
 * adopted by a hard link).
 */
#ifndef SLUICE_ENGINE_INBOX_H
#define SLUICE_ENGINE_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "engine/extract.h"
#include "sluice/buf.h"
#include "store/store.h"

/* One staff member's inbox, and what opens it. */
struct inbox_ref {
	struct store	*st;
	const char	*dir;		/* the data directory: files in DIR/inbox */
	const uint8_t	*master;	/* 32 bytes */
	int64_t		 staff_id;	/* the owner */
	const char	*user;		/* the owner's name, for the audit */
};

/* A new, empty upload file AREA/.upload-<random>.tmp, open for reading and
 * writing in *fd (the caller's); its path into path. The one form of an
 * upload's file name, in the inbox and in DIR/uploads (certificates). */
int upload_tmp_create(const char *area, char *path, size_t pathlen, int *fd)
    __attribute__((warn_unused_result));

/* upload_tmp_create() in DIR/inbox, made if absent. */
int inbox_tmp_create(const char *dir, char *path, size_t pathlen, int *fd)
    __attribute__((warn_unused_result));

/* Bytes of plaintext ref's inbox holds, but for the file named except
 * (NULL: none), which an upload of that name would replace. */
int inbox_usage(const struct inbox_ref *ref, const char *except,
    uint64_t *bytes) __attribute__((warn_unused_result));

/* Takes the finished upload at tmp_path, sealed under key from plain bytes
 * of plaintext whose SHA-256 is sha256, as ref's file name, in place of any
 * file of that name: refused (SLUICE_EINVAL, why) unless it is a whole
 * payload of that length. The file is made durable under its id, then its
 * row and the audit entry ("inbox put", name, "ok", "N bytes") commit in
 * one transaction, then the file it replaces is removed; on failure the
 * caller still owns (and removes) tmp_path. */
int inbox_commit(const struct inbox_ref *ref, const char *name,
    const char *tmp_path, const uint8_t key[16], uint64_t plain,
    const uint8_t sha256[32], char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* The plaintext of ref's file name, at most max bytes, decrypted in memory
 * and appended to plain (make it with sbuf_new_secret(); discard it on
 * failure). SLUICE_ENOTFOUND "no file X in your inbox", SLUICE_ETOOBIG
 * "X in your inbox is larger than N bytes", SLUICE_EVERIFY "X in your inbox
 * fails its integrity check" for a file altered on disk, one whose key does
 * not unwrap, or whose plaintext's digest is not the one recorded. */
int inbox_read(const struct inbox_ref *ref, const char *name, size_t max,
    struct sbuf *plain, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* ref's file name opened to be read back by its owner's session, which
 * decrypts it (age.h: age_unseal_*): *fd (the caller's) its sealed bytes,
 * key its file key (the caller wipes it), *plain its plaintext's size.
 * Refusals as inbox_read()'s; a file of the wrong length is refused. */
int inbox_open_sealed(const struct inbox_ref *ref, const char *name, int *fd,
    uint8_t key[16], uint64_t *plain, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Stages ref's file name as extract extract_id without decrypting it: out
 * gets the id, the size and digest recorded at upload and its file key
 * wrapped again under extract_id; the payload area adopts the file
 * (payloads_adopt()); its row is deleted, in the caller's transaction.
 * file_id gets the file's id: remove it with inbox_remove_file() once that
 * transaction has committed (a rollback leaves the inbox file as it was,
 * and the caller removes the payload extract_id). On failure nothing is
 * left behind. */
int inbox_take(const struct inbox_ref *ref, const char *name,
    const char *extract_id, struct staged_extract *out,
    char file_id[STORE_INBOX_ID_MAX], char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Removes ref's file name: its row, then its file. SLUICE_ENOTFOUND when
 * there is none. */
int inbox_delete(const struct inbox_ref *ref, const char *name);

/* Removes DIR/inbox/<id>; a failure is logged. */
void inbox_remove_file(const char *dir, const char *id);

/* Master-key rotation: every inbox file's key, wrapped by old_master,
 * wrapped again by new_master (the files untouched), inside the caller's
 * transaction; *n gets how many. SLUICE_EVERIFY if one does not unwrap. */
int inbox_rewrap_all(struct store *st, const uint8_t old_master[32],
    const uint8_t new_master[32], size_t *n)
    __attribute__((warn_unused_result));

/* Whether name is an upload file's (upload_tmp_create()). */
int inbox_is_tmp(const char *name);

#endif
