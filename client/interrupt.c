#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"

static volatile sig_atomic_t line_open;
static volatile sig_atomic_t tmp_set;
static char tmp_path[4200];

static void
say_raw(const char *s)
{
	(void)!write(STDERR_FILENO, s, strlen(s));
}

/* Only async-signal-safe calls here: write, unlink, _exit. */
static void
on_signal(int sig)
{
	if (line_open)
		say_raw("\n");
	if (tmp_set)
		(void)unlink(tmp_path);
	say_raw("sluice: interrupted; run it again to resume\n");
	_exit(128 + sig);
}

void
interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaddset(&sa.sa_mask, SIGINT);
	(void)sigaddset(&sa.sa_mask, SIGTERM);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

void
interrupt_tmp(const char *path)
{
	tmp_set = 0;
	if (path == NULL || strlen(path) >= sizeof(tmp_path))
		return;
	memcpy(tmp_path, path, strlen(path) + 1);
	tmp_set = 1;
}

void
interrupt_line(int open)
{
	line_open = open != 0;
}
