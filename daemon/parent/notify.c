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

/* $NOTIFY_SOCKET as read by notify_ready(); "" when unset. */
static char notify_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* The socket's address from notify_socket; -1 when it is not a usable one. */
static int
notify_addr(struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(notify_socket);

	if (notify_socket[0] != '/' && notify_socket[0] != '@')
		return -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, notify_socket, n);
	if (sun->sun_path[0] == '@')
		sun->sun_path[0] = '\0';	/* the abstract namespace */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

static void
notify_send(const char *msg)
{
	struct sockaddr_un sun;
	socklen_t len;
	size_t n = strlen(msg);
	int fd = -1;

	if (notify_socket[0] == '\0')
		return;
	if (notify_addr(&sun, &len) != 0) {
		log_warnx("NOTIFY_SOCKET %s: not a socket path; %s not sent",
		    notify_socket, msg);
		return;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    len) != (ssize_t)n)
		log_warnx("cannot send %s to NOTIFY_SOCKET %s: %s", msg,
		    notify_socket, strerror(errno));
	if (fd != -1)
		close(fd);
}

void
notify_ready(void)
{
	const char *env = getenv("NOTIFY_SOCKET");

	if (env == NULL)
		return;
	if (strlen(env) >= sizeof(notify_socket))
		log_warnx("NOTIFY_SOCKET: longer than a socket path; "
		    "READY=1 not sent");
	else
		memcpy(notify_socket, env, strlen(env) + 1);
	(void)unsetenv("NOTIFY_SOCKET");
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}
