/*
 * log.h: the daemon's and tools' log lines. libsluice code may log, but the
 * program decides where lines go (sluice_log_open); until then nothing is
 * written, so the library never prints on its own. Each call writes one
 * line: the message passes through str_vis() (vis.h, backslashes left as
 * they are), so no text in it can start a line of its own or reach the
 * terminal as a control; callers escape outside text with str_vis() too,
 * which also bounds it.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

enum { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Send lines to fd (e.g. 2) tagged with name; verbosity is a LOG_LVL_*. */
void sluice_log_open(const char *name, int fd, int verbosity);
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
