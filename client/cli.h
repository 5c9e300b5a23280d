/*
 * cli.h: what sluice and sluicectl share on their command lines: the global
 * connection flags, the config file under them, exit codes, and progress
 * lines for long transfers.
 *
 * Global flags (before the command): -F CONFIG, -H HOST, -p PORT, -l USER,
 * -i IDENTITY, -k KNOWN_HOSTS, -o StrictHostKeyChecking=yes|accept-new|no
 * (also -o host_key_checking=...), -h/--help, --version. The config file is
 * read first; flags win. Nothing here prompts.
 */
#ifndef SLUICE_CLIENT_CLI_H
#define SLUICE_CLIENT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ccfg.h"

enum {
	EXIT_OK = 0,		/* done */
	EXIT_REFUSED = 1,	/* refused or invalid, reason on stderr */
	EXIT_USAGE = 2,		/* wrong usage */
	EXIT_CONN = 255,	/* could not connect or authenticate, as ssh */
};

/* What the global flags ask for besides a command, in cli_global()'s *help. */
enum { CLI_COMMAND = 0, CLI_HELP = 1, CLI_VERSION = 2 };

/* Parses the global flags of argv up to the first other word (*next is its
 * index), loads the config (the -F file, else ccfg_default_path(confname))
 * and applies the flags over it. SLUICE_EUSAGE or SLUICE_ECONFIG with why
 * set. *help is CLI_HELP for -h/--help, CLI_VERSION for --version (then no
 * config is read), else CLI_COMMAND. */
int cli_global(int argc, char **argv, const char *confname, struct ccfg *cfg,
    int *next, int *help, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Takes every --json out of the global flags before the command (getopt
 * would refuse it), so `TOOL --json COMMAND` works as `ssh HOST -- --json
 * COMMAND` does; argv[0..*argc) keeps the rest in order, NULL after it. The
 * command's own words are left alone. Returns 1 if there was one.
 */
int cli_take_json(int *argc, char **argv);

/* A command's long option (--name VALUE or --name): an option with a
 * value stores it in *value, one without sets *flag to 1. */
struct cli_opt {
	const char	 *name;
	const char	**value;
	int		 *flag;
};
#define CLI_OPTS_MAX	16

/* Parses a command's words argv[1..] with getopt_long (long options only;
 * at most CLI_OPTS_MAX). Afterwards optind is the first operand.
 * SLUICE_EUSAGE for an unknown option or a missing value. */
int cli_opts(int argc, char **argv, const struct cli_opt *opts, size_t nopts)
    __attribute__((warn_unused_result));

/* The global flags' usage lines, for --help texts, naming the config file
 * confname ("sluice.conf") read without -F as cli_conf_words() does. */
void cli_global_usage(const char *confname, char *out, size_t outlen);

/* Where confname is read from without -F: its real path under
 * $XDG_CONFIG_HOME/sluice/ or ~/.config/sluice/, or words saying that none
 * is read (neither variable set). */
void cli_conf_words(const char *confname, char *out, size_t outlen);

/* Prints the --version line of tool (include/sluice/version.h) on stdout;
 * returns the exit status. */
int cli_version(const char *tool);

/* Progress on stderr (a bar and a percentage when the total is known), at
 * most four times a second, only when stderr is a tty; while a line is
 * open, interrupt.h knows to end it. */
struct progress {
	int		 enabled;
	const char	*label;
	uint64_t	 total;		/* 0: unknown */
	uint64_t	 done;
	struct timespec	 start, last;
	int		 shown;
};
void progress_start(struct progress *p, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);
/* For sftp_get/sftp_put: arg is a struct progress. */
void progress_cb(void *arg, uint64_t done);

#endif
