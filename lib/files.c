#define _GNU_SOURCE	/* sync_file_range */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sluice/error.h"
#include "sluice/files.h"

int
files_read_fd(int fd, size_t max, struct sbuf *out)
{
	uint8_t buf[65536];
	size_t total = 0;
	ssize_t n;
	int r = 0;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0) {
			r = SLUICE_EIO;
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > max - total) {
			r = SLUICE_ETOOBIG;
			break;
		}
		total += (size_t)n;
		if ((r = sbuf_put(out, buf, (size_t)n)) != 0)
			break;
	}
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int
files_read(const char *path, size_t max, struct sbuf *out)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? SLUICE_ENOTFOUND : SLUICE_EIO;
	r = files_read_fd(fd, max, out);
	close(fd);
	return r;
}

int
files_read_secret(const char *path, uint8_t *buf, size_t len)
{
	struct sbuf *b;
	int r;

	if ((b = sbuf_new_secret()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read(path, len + 1, b)) == 0) {
		if (sbuf_len(b) != len)
			r = SLUICE_EFORMAT;
		else
			memcpy(buf, sbuf_ptr(b), len);
	}
	sbuf_free(b);
	return r == SLUICE_ETOOBIG ? SLUICE_EFORMAT : r;
}

/* One write(2), again after EINTR; *done is how much of p it took. */
static int
write_once(int fd, const uint8_t *p, size_t n, size_t *done)
{
	ssize_t w;

	do
		w = write(fd, p, n);
	while (w == -1 && errno == EINTR);
	if (w <= 0)
		return SLUICE_EIO;
	*done = (size_t)w;
	return 0;
}

int
files_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t done;
	int r;

	for (; n > 0; p += done, n -= done)
		if ((r = write_once(fd, p, n, &done)) != 0)
			return r;
	return 0;
}

/* data into path via path.tmp (made anew), fsync and rename. */
static int
write_via_tmp(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[4096];
	int fd, r, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return SLUICE_ETOOBIG;
	/* one left by a crash in the middle of a write */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    (mode_t)mode);
	if (fd == -1)
		return SLUICE_EIO;
	if ((r = files_write_all(fd, data, len)) == 0 && (fchmod(fd, (mode_t)mode) != 0 ||
	    fsync(fd) != 0))
		r = SLUICE_EIO;
	if (close(fd) != 0 && r == 0)
		r = SLUICE_EIO;
	if (r == 0 && rename(tmp, path) != 0)
		r = SLUICE_EIO;
	if (r != 0)
		(void)unlink(tmp);
	return r;
}

int
files_write_new(const char *path, const void *data, size_t len, unsigned mode)
{
	if (access(path, F_OK) == 0)
		return SLUICE_EEXIST;
	return write_via_tmp(path, data, len, mode);
}

int
files_write_replace(const char *path, const void *data, size_t len,
    unsigned mode)
{
	return write_via_tmp(path, data, len, mode);
}

int
files_check_secret(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return sluice_why(why, whylen, SLUICE_ENOTFOUND, "%s: %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "%s: not a regular file", path);
	if (st.st_uid != geteuid())
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "%s: owned by uid %u, not by the daemon's user", path,
		    (unsigned)st.st_uid);
	if ((st.st_mode & 077) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "%s: permissions %04o are too open; it holds a secret and "
		    "must be 0600", path, (unsigned)(st.st_mode & 07777));
	return 0;
}

#define WRITEBACK_EVERY	(8u * 1024 * 1024)

void
files_writeback(int fd, uint64_t *synced, uint64_t written)
{
	if (written < *synced || written - *synced < WRITEBACK_EVERY)
		return;
	(void)sync_file_range(fd, (off64_t)*synced,
	    (off64_t)(written - *synced), SYNC_FILE_RANGE_WRITE);
	*synced = written;
}

int
files_sync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return SLUICE_EIO;
	if (fsync(fd) != 0)
		r = SLUICE_EIO;
	close(fd);
	return r;
}
