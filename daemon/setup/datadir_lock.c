/*
 * The data directory's lock (rotate.h): an exclusive flock on
 * DIR/sluiced.lock. The daemon takes it before it starts and holds it until
 * it exits (the kernel drops it if it dies); offline commands that change
 * keys take it too, so they never run beside the daemon.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "setup/rotate.h"
#include "sluice/error.h"

int
datadir_lock(const char *dir, int *fd, char *why, size_t whylen)
{
	char path[CONFIG_PATH_MAX + 16];
	int n;

	*fd = -1;
	n = snprintf(path, sizeof(path), "%s/sluiced.lock", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: path too "
		    "long", dir);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
		    strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	n = errno;
	(void)close(*fd);
	*fd = -1;
	if (n == EWOULDBLOCK)
		return sluice_why(why, whylen, SLUICE_ESTATE, "the daemon is "
		    "running on %s (%s is held); stop it first", dir, path);
	return sluice_why(why, whylen, SLUICE_EIO, "%s: %s", path,
	    strerror(n));
}

int
datadir_lock_wait(const char *dir, int seconds, int *fd, char *why,
    size_t whylen)
{
	int i, r;

	for (i = 0; (r = datadir_lock(dir, fd, why, whylen)) == SLUICE_ESTATE &&
	    i < seconds * 10; i++) {
		if (i == 0)
			fprintf(stderr, "sluiced: waiting up to %d s for %s/"
			    "sluiced.lock: a daemon's processes are still "
			    "stopping\n", seconds, dir);
		(void)usleep(100 * 1000);
	}
	return r;
}

void
datadir_unlock(int fd)
{
	if (fd != -1)
		(void)close(fd);
}
