/* notify.c: READY=1 and STOPPING=1 for systemd; contract in notify.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parent/notify.h"
#include "sluice/log.h"

/* The address named by path; -1 when it is not a usable one. */
static int
notify_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun->sun_path))
		return -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	if (sun->sun_path[0] == '@')
		sun->sun_path[0] = '\0';	/* the abstract namespace */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

static void
notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	size_t n = strlen(msg);
	int fd;

	if (path == NULL || *path == '\0')
		return;
	if (notify_addr(path, &sun, &len) != 0) {
		log_warnx("NOTIFY_SOCKET %.200s: not a socket path; %s not sent",
		    path, msg);
		return;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    len) != (ssize_t)n)
		log_warnx("cannot send %s to NOTIFY_SOCKET %s: %s", msg, path,
		    strerror(errno));
	if (fd != -1)
		close(fd);
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}
