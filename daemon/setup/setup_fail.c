/*
 * setup_fail.c: an offline command's one-line refusal (setup_fail.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "setup/setup_fail.h"

int
setup_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluiced %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}
