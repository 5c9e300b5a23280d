#define _GNU_SOURCE	/* O_DIRECT */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/dwrite.h"
#include "sluice/error.h"
#include "sluice/files.h"

#define BLOCK	(1024u * 1024)		/* one direct write */
#define ALIGN	4096u			/* of the buffer, offsets and sizes */

struct dwrite {
	int		 fd;
	int		 direct;	/* O_DIRECT is set on fd */
	int		 broken;
	uint8_t		*buf;		/* BLOCK + DWRITE_MAX_PIECE, aligned */
	size_t		 fill;
	uint64_t	 written, synced;
};

/* Sets or clears O_DIRECT on fd; 0, or -1 when the file system refuses. */
static int
set_direct(int fd, int on)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = on ? fl | O_DIRECT : fl & ~O_DIRECT;
	return fcntl(fd, F_SETFL, fl) == -1 ? -1 : 0;
}

int
dwrite_new(int fd, struct dwrite **out)
{
	struct dwrite *w;
	void *p = NULL;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return SLUICE_ENOMEM;
	if (posix_memalign(&p, ALIGN, BLOCK + DWRITE_MAX_PIECE) != 0) {
		free(w);
		return SLUICE_ENOMEM;
	}
	w->fd = fd;
	w->buf = p;
	w->direct = set_direct(fd, 1) == 0;
	*out = w;
	return 0;
}

uint8_t *
dwrite_room(struct dwrite *w, size_t n)
{
	if (w->broken || n > DWRITE_MAX_PIECE)
		return NULL;
	return w->buf + w->fill;
}

/* One direct write of buf[0..n): 0 when it took it all, 1 when the file
 * system refuses O_DIRECT for this file (EINVAL on the first block: no
 * O_DIRECT there, or a file not on a block boundary; nothing went out),
 * else an error. */
static int
put_direct(struct dwrite *w, size_t n)
{
	ssize_t k;

	do
		k = write(w->fd, w->buf, n);
	while (k == -1 && errno == EINTR);
	if (k >= 0 && (size_t)k == n)
		return 0;
	if (k == -1 && errno == EINVAL && w->written == 0 &&
	    set_direct(w->fd, 0) == 0)
		return 1;
	return SLUICE_EIO;
}

/* Writes buf[0..n): directly, else through the page cache for good. */
static int
put(struct dwrite *w, size_t n)
{
	int r = 1;

	if (w->direct && (r = put_direct(w, n)) < 0)
		return r;
	if (r == 1) {
		w->direct = 0;
		if ((r = files_write_all(w->fd, w->buf, n)) != 0)
			return r;
		files_writeback(w->fd, &w->synced, w->written + n);
	}
	w->written += n;
	return 0;
}

int
dwrite_commit(struct dwrite *w, size_t n)
{
	int r;

	if (w->broken || n > DWRITE_MAX_PIECE)
		return SLUICE_ESTATE;
	w->fill += n;
	if (w->fill < BLOCK)
		return 0;
	if ((r = put(w, BLOCK)) != 0) {
		w->broken = 1;
		return r;
	}
	w->fill -= BLOCK;
	memmove(w->buf, w->buf + BLOCK, w->fill);
	return 0;
}

int
dwrite_finish(struct dwrite *w)
{
	int r;

	if (w->broken)
		return SLUICE_ESTATE;
	w->broken = 1;		/* finished once */
	if (w->direct && set_direct(w->fd, 0) != 0)
		return SLUICE_EIO;
	w->direct = 0;
	if (w->fill == 0)
		return 0;
	if ((r = files_write_all(w->fd, w->buf, w->fill)) != 0)
		return r;
	w->written += w->fill;
	w->fill = 0;
	return 0;
}

void
dwrite_free(struct dwrite *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w);
}
