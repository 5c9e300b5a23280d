/*
 * vfs.h: resolving a session's canonical path to a node of its virtual
 * tree (vfs.c), for the engine's file requests; STAT and READDIR are
 * answered in vfs.c itself.
 */
#ifndef SLUICE_ENGINE_VFS_H
#define SLUICE_ENGINE_VFS_H

#include "engine/engine_int.h"
#include "gate.h"

enum vnode_type { VNODE_ABSENT = 0, VNODE_FILE = 1, VNODE_DIR = 2 };

struct vnode {
	enum vnode_type	 type;
	uint64_t	 size;
	uint32_t	 mode;
	int64_t		 mtime;
	enum open_kind	 kind;		/* how OPEN serves it */
	int64_t		 release_id;	/* OPEN_DOWNLOAD */
	char		 extract_id[STORE_EXTRACT_ID_MAX];
	size_t		 prefix_len;	/* OPEN_DOWNLOAD: the age header */
	char		 nic[STORE_NIC_MAX];
	char		 name[STORE_TEXT_MAX];
};

/* Resolves path for the connection's identity; content (may be NULL) gets
 * static bytes or the age header. The gate is not asked: a released file
 * resolves whatever it says (OPEN asks it). SLUICE_EDENIED with why for a
 * staff inbox name outside the safe set. */
int vfs_resolve(struct engine *e, struct conn *c, const char *path,
    struct vnode *n, struct sbuf *content, char *why, size_t whylen);
/* The gate for release_id and c's recipient now, from the store's facts
 * (and c's key: one no longer the user's fails rule 1). */
int vfs_gate(struct engine *e, struct conn *c, int64_t release_id,
    struct gate_result *res);
int vfs_staff(struct engine *e, struct conn *c, const char *path,
    struct vnode *n);

#endif
