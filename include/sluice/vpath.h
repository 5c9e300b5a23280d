/*
 * vpath.h: canonical virtual paths for the SFTP tree.
 *
 * A client's path is length-delimited bytes, not a C string. vpath_canon()
 * joins it to an absolute cwd and resolves ".", "..", repeated and trailing
 * slashes, never climbing above "/". It refuses, with a one-line reason and
 * SLUICE_EINVAL: an embedded NUL, input or result over VPATH_MAX bytes,
 * bytes that are not strict UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF), C0 control characters and DEL, and more than
 * VPATH_MAX_DEPTH components. The result is "/" or "/a/b" (no trailing
 * slash), NUL-terminated, and split into its components for the engine.
 * Pure: no I/O, no allocation.
 */
#ifndef SLUICE_VPATH_H
#define SLUICE_VPATH_H

#include <stddef.h>
#include <stdint.h>

#define VPATH_MAX	1024
#define VPATH_MAX_DEPTH	64

struct vpath {
	char	 path[VPATH_MAX + 1];	/* canonical, NUL-terminated */
	size_t	 len;			/* strlen(path) */
	size_t	 ncomp;			/* 0 for "/" */
	uint16_t comp_off[VPATH_MAX_DEPTH];	/* into path */
	uint16_t comp_len[VPATH_MAX_DEPTH];
};

/* cwd must itself be canonical (NULL means "/"). On failure vp holds "/". */
int vpath_canon(struct vpath *vp, const char *cwd, const void *in, size_t inlen,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Component i (0-based) as a pointer into vp->path and its length. */
int vpath_component(const struct vpath *vp, size_t i, const char **p,
    size_t *n) __attribute__((warn_unused_result));

/* Strict UTF-8 check (also used for names coming from the engine). */
int vpath_utf8_valid(const uint8_t *p, size_t n);

#endif
