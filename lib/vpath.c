#include <string.h>

#include "sluice/error.h"
#include "sluice/utf8.h"
#include "sluice/vpath.h"

int
vpath_utf8_valid(const uint8_t *p, size_t n)
{
	return utf8_valid(p, n);
}

static void
vpath_root(struct vpath *vp)
{
	vp->path[0] = '/';
	vp->path[1] = '\0';
	vp->len = 1;
	vp->ncomp = 0;
}

static void
vpath_pop(struct vpath *vp)
{
	if (vp->ncomp == 0)
		return;		/* ".." at the root stays at the root */
	vp->ncomp--;
	vp->len = vp->comp_off[vp->ncomp] - 1u;
	if (vp->len == 0)
		vp->len = 1;
	vp->path[vp->len] = '\0';
}

static int
vpath_push(struct vpath *vp, const uint8_t *c, size_t n, char *why,
    size_t whylen)
{
	size_t at = vp->ncomp == 0 ? 1 : vp->len + 1;

	if (vp->ncomp >= VPATH_MAX_DEPTH)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "path has more than %d components", VPATH_MAX_DEPTH);
	if (n > VPATH_MAX || at > VPATH_MAX - n)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "path longer than %d bytes", VPATH_MAX);
	if (vp->ncomp > 0)
		vp->path[vp->len] = '/';
	memcpy(vp->path + at, c, n);
	vp->comp_off[vp->ncomp] = (uint16_t)at;
	vp->comp_len[vp->ncomp] = (uint16_t)n;
	vp->ncomp++;
	vp->len = at + n;
	vp->path[vp->len] = '\0';
	return 0;
}

/* Applies the components of p[0..n) to vp. */
static int
vpath_walk(struct vpath *vp, const uint8_t *p, size_t n, char *why,
    size_t whylen)
{
	size_t i = 0, start, clen;
	int r;

	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		start = i;
		while (i < n && p[i] != '/')
			i++;
		clen = i - start;
		if (clen == 0 || (clen == 1 && p[start] == '.'))
			continue;
		if (clen == 2 && p[start] == '.' && p[start + 1] == '.') {
			vpath_pop(vp);
			continue;
		}
		if ((r = vpath_push(vp, p + start, clen, why, whylen)) != 0)
			return r;
	}
	return 0;
}

static int
vpath_check_bytes(const uint8_t *p, size_t n, char *why, size_t whylen)
{
	size_t i;

	if (n > VPATH_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "path longer than %d bytes", VPATH_MAX);
	if (memchr(p, '\0', n) != NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "path contains a NUL byte");
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return sluice_why(why, whylen, SLUICE_EINVAL,
			    "path contains a control character");
	if (!vpath_utf8_valid(p, n))
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "path is not valid UTF-8");
	return 0;
}

int
vpath_canon(struct vpath *vp, const char *cwd, const void *in, size_t inlen,
    char *why, size_t whylen)
{
	const uint8_t *p = in;
	int r;

	vpath_root(vp);
	if (in == NULL && inlen != 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no path");
	if (inlen > 0 && (r = vpath_check_bytes(p, inlen, why, whylen)) != 0)
		goto out;
	if (cwd != NULL && (inlen == 0 || p[0] != '/')) {
		if (cwd[0] != '/') {
			r = sluice_why(why, whylen, SLUICE_EINVAL,
			    "working directory is not absolute");
			goto out;
		}
		if ((r = vpath_walk(vp, (const uint8_t *)cwd, strlen(cwd),
		    why, whylen)) != 0)
			goto out;
	}
	r = inlen == 0 ? 0 : vpath_walk(vp, p, inlen, why, whylen);
out:
	if (r != 0)
		vpath_root(vp);
	return r;
}

int
vpath_component(const struct vpath *vp, size_t i, const char **p, size_t *n)
{
	if (i >= vp->ncomp)
		return SLUICE_EINVAL;
	*p = vp->path + vp->comp_off[i];
	*n = vp->comp_len[i];
	return 0;
}
