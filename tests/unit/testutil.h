/*
 * testutil.h: helpers shared by the crypto unit tests (header-only, so each
 * test stays one executable): temp dirs, files, and running stock tools
 * with posix_spawnp (never a shell). A tool that cannot be started makes
 * tu_run() return -1, so a test that needs it fails rather than skips.
 */
#ifndef SLUICE_TESTUTIL_H
#define SLUICE_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Removes a temp dir and everything in it (symbolic links not followed). */
static inline void
tu_rmrf(const char *dir)
{
	char path[512];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (dir == NULL || dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			tu_rmrf(path);
		else
			(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

static inline int
tu_mkdtemp(char out[64])
{
	(void)snprintf(out, 64, "/tmp/sluice-test-XXXXXX");
	return mkdtemp(out) == NULL ? -1 : 0;
}

static inline int
tu_path(char *out, size_t n, const char *dir, const char *name)
{
	int k = snprintf(out, n, "%s/%s", dir, name);

	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/*
 * Runs argv[0] (searched in PATH) with stdin from in_path and stdout to
 * out_path (either may be NULL: /dev/null). stderr goes to /dev/null unless
 * TU_VERBOSE is set. Returns the exit status, or -1 if it could not run.
 */
static inline int
tu_run(const char *const argv[], const char *in_path, const char *out_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in_path ? in_path : "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path :
	    "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (getenv("TU_VERBOSE") == NULL)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static inline int
tu_write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	const uint8_t *b = p;
	ssize_t k;

	if (fd < 0)
		return -1;
	while (n > 0) {
		if ((k = write(fd, b, n)) <= 0) {
			close(fd);
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return close(fd);
}

/* Reads a whole file into a malloc'd, NUL-terminated buffer. */
static inline int
tu_read_file(const char *path, uint8_t **out, size_t *n)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t k;

	*out = NULL;
	*n = 0;
	if (fd < 0 || fstat(fd, &sb) != 0 ||
	    (*out = malloc((size_t)sb.st_size + 1)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (got < (size_t)sb.st_size &&
	    (k = read(fd, *out + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)k;
	close(fd);
	(*out)[got] = '\0';
	*n = got;
	return got == (size_t)sb.st_size ? 0 : -1;
}

/* A file of n pseudo-random bytes (xorshift, seeded), for payload tests. */
static inline int
tu_pattern_file(const char *path, size_t n, uint32_t seed)
{
	uint8_t *b = malloc(n ? n : 1);
	uint32_t x = seed ? seed : 1;
	size_t i;
	int r;

	if (b == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	r = tu_write_file(path, b, n);
	free(b);
	return r;
}

/* 1 if the two files hold the same bytes. */
static inline int
tu_same_file(const char *a, const char *b)
{
	uint8_t *pa, *pb;
	size_t na, nb;
	int same;

	if (tu_read_file(a, &pa, &na) != 0 || tu_read_file(b, &pb, &nb) != 0)
		return 0;
	same = na == nb && memcmp(pa, pb, na) == 0;
	free(pa);
	free(pb);
	return same;
}

#endif
