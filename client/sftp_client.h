/*
 * sftp_client.h: a small SFTP version 3 client (draft-ietf-secsh-filexfer-02),
 * framed by hand over any byte transport, so downloads keep many READ
 * requests in flight (libssh's own sftp_read waits for each reply).
 *
 * The transport (struct sftp_io) is a pair of blocking read/write callbacks:
 * conn.c binds it to an SSH channel, the tests to canned bytes. Every length
 * read from the server is bounded (SFTP_MAX_PACKET, SFTP_MAX_NAME,
 * SFTP_MAX_DIRENTS) before use. A server status other than OK becomes a
 * SLUICE_E* code (PERMISSION_DENIED -> SLUICE_EDENIED, NO_SUCH_FILE ->
 * SLUICE_ENOTFOUND, anything else SLUICE_EIO) with why set to
 * "PATH: <the server's message>", control characters replaced by '?', so a
 * gate denial's one-line reason reaches the user as the server wrote it.
 * A reply that breaks the protocol gives SLUICE_EPROTO. A server that
 * names limits@openssh.com in VERSION is asked for its limits, and READs
 * stay at or under its read length (libssh's server drops a session on a
 * longer one).
 */
#ifndef SLUICE_CLIENT_SFTP_CLIENT_H
#define SLUICE_CLIENT_SFTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define SFTP_MAX_PACKET		(256u * 1024 + 4096)	/* incoming, after the length */
#define SFTP_MAX_READ		261120u		/* per READ, or the server's
						   limits@openssh.com, if lower */
#define SFTP_READ_AHEAD		64		/* READs in flight */
#define SFTP_WRITE_CHUNK	65536u		/* bytes per WRITE */
#define SFTP_WRITE_AHEAD	16		/* WRITEs in flight */
#define SFTP_MAX_NAME		4096u		/* file names and messages */
#define SFTP_MAX_DIRENTS	100000u		/* entries in one listing */

/* Packet types and status codes of version 3. */
enum {
	SSH_FXP_INIT = 1, SSH_FXP_VERSION = 2, SSH_FXP_OPEN = 3,
	SSH_FXP_CLOSE = 4, SSH_FXP_READ = 5, SSH_FXP_WRITE = 6,
	SSH_FXP_LSTAT = 7, SSH_FXP_FSTAT = 8, SSH_FXP_OPENDIR = 11,
	SSH_FXP_READDIR = 12, SSH_FXP_REALPATH = 16, SSH_FXP_STAT = 17,
	SSH_FXP_STATUS = 101, SSH_FXP_HANDLE = 102, SSH_FXP_DATA = 103,
	SSH_FXP_NAME = 104, SSH_FXP_ATTRS = 105, SSH_FXP_EXTENDED = 200,
	SSH_FXP_EXTENDED_REPLY = 201,
};
enum {
	SSH_FX_OK = 0, SSH_FX_EOF = 1, SSH_FX_NO_SUCH_FILE = 2,
	SSH_FX_PERMISSION_DENIED = 3, SSH_FX_FAILURE = 4,
	SSH_FX_BAD_MESSAGE = 5, SSH_FX_NO_CONNECTION = 6,
	SSH_FX_CONNECTION_LOST = 7, SSH_FX_OP_UNSUPPORTED = 8,
};
#define SSH_FILEXFER_ATTR_SIZE		0x01u
#define SSH_FILEXFER_ATTR_UIDGID	0x02u
#define SSH_FILEXFER_ATTR_PERMISSIONS	0x04u
#define SSH_FILEXFER_ATTR_ACMODTIME	0x08u
#define SSH_FILEXFER_ATTR_EXTENDED	0x80000000u
#define SSH_FXF_READ	0x01u
#define SSH_FXF_WRITE	0x02u
#define SSH_FXF_CREAT	0x08u
#define SSH_FXF_TRUNC	0x10u

struct sftp_io {
	void	*ctx;
	/* Writes all n bytes, or returns a negative SLUICE_E*. */
	int	(*write)(void *ctx, const void *p, size_t n);
	/* Reads 1..n bytes (blocking); 0 at end of stream; negative on error. */
	long	(*read)(void *ctx, void *p, size_t n);
	void	(*close)(void *ctx);	/* may be NULL; frees ctx */
};

struct sftp_attrs {
	uint32_t	flags;		/* SSH_FILEXFER_ATTR_* present */
	uint64_t	size;
	uint32_t	uid, gid, perm, atime, mtime;
};

struct sftp_dirent {
	char			*name;
	char			*longname;
	struct sftp_attrs	 attrs;
};

/* Called as bytes arrive: done counts bytes of this transfer so far. */
typedef void (*sftp_progress_fn)(void *arg, uint64_t done);

struct sftp_client;

/* Takes ownership of io->ctx (closed with io->close on failure too), sends
 * INIT and checks the VERSION reply (3 or more; version 3 is spoken). */
int sftp_client_new(const struct sftp_io *io, struct sftp_client **out,
    char *why, size_t whylen) __attribute__((warn_unused_result));
void sftp_client_free(struct sftp_client *c);	/* NULL is a no-op */

/* The server's canonical form of path (e.g. "." -> "/inbox"); malloc'd. */
int sftp_realpath(struct sftp_client *c, const char *path, char **resolved,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int sftp_stat(struct sftp_client *c, const char *path, struct sftp_attrs *a,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Every entry of a directory but "." and "..", in the server's order.
 * Free with sftp_dirents_free(). */
int sftp_list(struct sftp_client *c, const char *path,
    struct sftp_dirent **ents, size_t *n, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void sftp_dirents_free(struct sftp_dirent *ents, size_t n);

/* Downloads path from offset on into fd (pwrite at the same offsets, so a
 * partial file resumes where it ends), SFTP_READ_AHEAD reads in flight, up
 * to end of file. *got counts the bytes received. */
int sftp_get(struct sftp_client *c, const char *path, int fd,
    uint64_t offset, sftp_progress_fn progress, void *arg, uint64_t *got,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * What sftp_get_checked() does with the start of a file before the rest, in
 * the same OPEN as the download (a server that counts downloads by OPEN
 * counts one). It reads from offset 0, a little at a time (4 KiB, then
 * doubling), until len says the head is all there (a non-zero length), the
 * file ends or max bytes are read; then check sees those bytes. A non-zero
 * return from check (with why set) stops the download there; otherwise the
 * bytes are written to fd at offset 0 if the local copy does not have them
 * yet, and the download goes on after them.
 */
struct sftp_head_check {
	size_t	 max;
	size_t	(*len)(void *arg, const uint8_t *p, size_t n);
	int	(*check)(void *arg, const uint8_t *p, size_t n, char *why,
		    size_t whylen);
	void	*arg;
};

/* sftp_get() with a look at the file's head first (head may be NULL). */
int sftp_get_checked(struct sftp_client *c, const char *path, int fd,
    uint64_t offset, const struct sftp_head_check *head,
    sftp_progress_fn progress, void *arg, uint64_t *got, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/*
 * Where sftp_get_stream() hands a file's bytes: every byte from offset 0
 * to the end, exactly once and in order, whether it came from the head,
 * from the local copy (a resumed download's first `offset` bytes, read back
 * from fd), or from the server (replies that come out of order are read
 * back from fd once the gap before them has filled). A non-zero return
 * from take (with why set) stops the download there; the file is left as
 * far as it came.
 */
struct sftp_sink {
	int	(*take)(void *arg, const uint8_t *p, size_t n, char *why,
		    size_t whylen);
	void	*arg;
	/* 1: take writes the bytes to fd itself (at their offset, those at
	 * or past the download's offset): sftp_get_stream then writes only
	 * the replies it cannot hand on yet (out of order). */
	int	 writes;
};

/* sftp_get_checked() that also hands every byte to sink (may be NULL); fd
 * must then be open for reading too. With a sink, progress is told how
 * far the bytes were handed on. */
int sftp_get_stream(struct sftp_client *c, const char *path, int fd,
    uint64_t offset, const struct sftp_head_check *head,
    const struct sftp_sink *sink, sftp_progress_fn progress, void *arg,
    uint64_t *got, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Uploads fd (from its start) to path (created or truncated), WRITEs
 * pipelined; the OPEN gives the server fd's size when it is a regular
 * file. The status message of the final CLOSE (the server's verdict
 * on the upload, possibly empty) goes to verdict either way. */
int sftp_put(struct sftp_client *c, int fd, const char *path,
    sftp_progress_fn progress, void *arg, char *verdict, size_t verdictlen,
    char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
