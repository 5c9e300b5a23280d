#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sluice/clock.h"
#include "sluice/log.h"
#include "sluice/vis.h"

static char	log_name[32] = "sluice";
static int	log_fd = -1;
static int	log_verbosity = LOG_LVL_INFO;

void
sluice_log_open(const char *name, int fd, int verbosity)
{
	(void)snprintf(log_name, sizeof(log_name), "%s", name);
	log_fd = fd;
	log_verbosity = verbosity;
}

static void __attribute__((format(printf, 3, 0)))
log_v(int lvl, const char *tag, const char *fmt, va_list ap)
{
	char msg[2048], line[4096], ts[32];
	size_t len;
	int n;

	if (log_fd == -1 || lvl > log_verbosity)
		return;
	if (sluice_time_format(sluice_now(), ts, sizeof(ts)) != 0)
		ts[0] = '\0';
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s%s", ts, log_name,
	    (long)getpid(), tag, sluice_clock_is_fake() ? "[FAKE CLOCK] " : "");
	if (n < 0 || (size_t)n >= sizeof(line) || vsnprintf(msg, sizeof(msg),
	    fmt, ap) < 0)
		return;
	/* One line whatever the message holds: outside text a caller did not
	 * escape cannot start a line of its own or drive the terminal. What
	 * callers escaped with str_vis() passes unchanged. */
	len = (size_t)n + str_vis(line + n, sizeof(line) - (size_t)n - 1, msg,
	    strlen(msg), SIZE_MAX, VIS_NOSLASH);
	line[len++] = '\n';
	(void)!write(log_fd, line, len);
}

#define LOGFN(fn, lvl, tag)					\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list ap;						\
	va_start(ap, fmt);					\
	log_v(lvl, tag, fmt, ap);				\
	va_end(ap);						\
}
LOGFN(log_errx, LOG_LVL_ERR, "error: ")
LOGFN(log_warnx, LOG_LVL_WARN, "warning: ")
LOGFN(log_info, LOG_LVL_INFO, "")
LOGFN(log_debug, LOG_LVL_DEBUG, "debug: ")
