#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "sluice/error.h"
#include "sluice/version.h"
#include "cli.h"
#include "interrupt.h"

#define PROGRESS_BAR_WIDTH	24
#define PROGRESS_EVERY		0.25	/* seconds between redraws */

void
cli_conf_words(const char *confname, char *out, size_t outlen)
{
	char *path = ccfg_default_path(confname);

	if (path != NULL)
		(void)snprintf(out, outlen, "%s", path);
	else
		(void)snprintf(out, outlen, "none: neither XDG_CONFIG_HOME "
		    "nor HOME is set");
	free(path);
}

void
cli_global_usage(const char *confname, char *out, size_t outlen)
{
	char conf[512];

	cli_conf_words(confname, conf, sizeof(conf));
	(void)snprintf(out, outlen,
"  -F CONFIG       config file (default %s)\n"
"  -H HOST         server (default 127.0.0.1)\n"
"  -p PORT         port (default 2222)\n"
"  -l USER         user name on the server (default $USER)\n"
"  -i IDENTITY     SSH private key (default: agent, then ~/.ssh/id_*)\n"
"  -k KNOWN_HOSTS  known_hosts file (default ~/.ssh/known_hosts)\n"
"  -o StrictHostKeyChecking=yes|accept-new|no\n"
"                  unknown host keys: refuse (default), record, or accept\n"
"  --version       the version of the tool and its libraries\n", conf);
}

int
cli_version(const char *tool)
{
	char line[256];

	if (sluice_version_line(line, sizeof(line), tool, ssh_version(0),
	    NULL) != 0)
		return EXIT_REFUSED;
	return puts(line) == EOF ? EXIT_REFUSED : EXIT_OK;
}

struct cli_flag {
	const char	*key;
	const char	*value;
};

static int
cli_option(const char *arg, struct cli_flag *f, char *why, size_t whylen)
{
	static const char pfx[] = "host_key_checking=";
	enum host_key_checking h;

	f->key = "host_key_checking";
	f->value = arg;
	if (strncmp(arg, pfx, sizeof(pfx) - 1) == 0)
		f->value = arg + sizeof(pfx) - 1;
	if (hkc_parse(f->value, &h) != 0)
		return sluice_why(why, whylen, SLUICE_EUSAGE,
		    "unsupported option -o %s (only "
		    "StrictHostKeyChecking=yes|accept-new|no)", arg);
	return 0;
}

struct cli_flags {
	struct cli_flag	 f[16];
	size_t		 n;
	const char	*conf;		/* -F */
};

/* One global flag getopt returned, into fl. */
static int
one_flag(int ch, char **argv, struct cli_flags *fl, int *help, char *why,
    size_t whylen)
{
	const char *key;

	switch (ch) {
	case 'F': fl->conf = optarg; return 0;
	case 'h': *help = CLI_HELP; return 0;
	case 'V': *help = CLI_VERSION; return 0;
	case 'o': return cli_option(optarg, &fl->f[fl->n++], why, whylen);
	case 'H': key = "host"; break;
	case 'p': key = "port"; break;
	case 'l': key = "user"; break;
	case 'i': key = "identity"; break;
	case 'k': key = "known_hosts"; break;
	default:
		return sluice_why(why, whylen, SLUICE_EUSAGE,
		    "unknown or incomplete option %s", argv[optind - 1]);
	}
	fl->f[fl->n].key = key;
	fl->f[fl->n++].value = optarg;
	return 0;
}

/* The global flags, up to the first other word. */
static int
collect_flags(int argc, char **argv, struct cli_flags *fl, int *help,
    char *why, size_t whylen)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r;

	*help = 0;
	optind = 0;	/* GNU: a full reset, so the command may parse again */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+F:H:p:l:i:k:o:h", longopts,
	    NULL)) != -1) {
		if (fl->n == sizeof(fl->f) / sizeof(fl->f[0]))
			return sluice_why(why, whylen, SLUICE_EUSAGE,
			    "too many options");
		if ((r = one_flag(ch, argv, fl, help, why, whylen)) != 0)
			return r;
	}
	return 0;
}

/* The config file (-F, else the default one), then the flags over it. */
static int
apply_flags(const struct cli_flags *fl, const char *confname,
    struct ccfg *cfg, char *why, size_t whylen)
{
	const char *conf = fl->conf;
	char *defconf = NULL;
	size_t i;
	int r = 0;

	if (conf == NULL)
		conf = defconf = ccfg_default_path(confname);
	if (conf != NULL && (r = ccfg_load(cfg, conf, why, whylen)) != 0)
		goto out;
	for (i = 0; i < fl->n; i++)
		if ((r = ccfg_set(cfg, fl->f[i].key, fl->f[i].value, why,
		    whylen)) != 0) {
			if (r == SLUICE_ECONFIG)
				r = SLUICE_EUSAGE;
			goto out;
		}
out:
	free(defconf);
	return r;
}

int
cli_global(int argc, char **argv, const char *confname, struct ccfg *cfg,
    int *next, int *help, char *why, size_t whylen)
{
	struct cli_flags fl;
	int r;

	memset(&fl, 0, sizeof(fl));
	if ((r = collect_flags(argc, argv, &fl, help, why, whylen)) != 0)
		return r;
	*next = optind;
	if (*help == CLI_VERSION)
		return 0;	/* a broken config does not hide the version */
	return apply_flags(&fl, confname, cfg, why, whylen);
}

int
cli_take_json(int *argc, char **argv)
{
	int i, j, json = 0;

	for (i = j = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		argv[j++] = argv[i];
		if (argv[i][0] != '-' || strcmp(argv[i], "--") == 0)
			break;		/* the command: the rest is its own */
		if (strlen(argv[i]) == 2 && strchr("FHpliko", argv[i][1]) !=
		    NULL && i + 1 < *argc)
			argv[j++] = argv[++i];	/* a flag's value */
	}
	for (i++; i < *argc; i++)
		argv[j++] = argv[i];
	argv[j] = NULL;
	*argc = j;
	return json;
}

/* getopt_long's table for opts: each option's val is its index + 1. */
static int
long_options(const struct cli_opt *opts, size_t nopts, struct option *lo,
    size_t lolen)
{
	size_t i;

	if (nopts >= lolen)
		return SLUICE_EINVAL;
	memset(lo, 0, lolen * sizeof(*lo));
	for (i = 0; i < nopts; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].value != NULL ? required_argument :
		    no_argument;
		lo[i].val = (int)i + 1;
	}
	return 0;
}

int
cli_opts(int argc, char **argv, const struct cli_opt *opts, size_t nopts)
{
	struct option lo[CLI_OPTS_MAX + 1];
	int ch;

	if (long_options(opts, nopts, lo, sizeof(lo) / sizeof(lo[0])) != 0)
		return SLUICE_EINVAL;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch < 1 || (size_t)ch > nopts)
			return SLUICE_EUSAGE;
		if (opts[ch - 1].value != NULL)
			*opts[ch - 1].value = optarg;
		else
			*opts[ch - 1].flag = 1;
	}
	return 0;
}

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
human(double v, char *out, size_t outlen)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	(void)snprintf(out, outlen, u == 0 ? "%.0f %s" : "%.1f %s", v,
	    units[u]);
}

/* "[#####.....]  45% " when the total is known. */
static void
progress_bar(const struct progress *p, char *out, size_t outlen)
{
	char bar[PROGRESS_BAR_WIDTH + 1];
	uint64_t done = p->done < p->total ? p->done : p->total;
	size_t fill, pct;

	out[0] = '\0';
	if (p->total == 0)
		return;
	pct = (size_t)(done * 100 / p->total);
	fill = (size_t)(done * PROGRESS_BAR_WIDTH / p->total);
	memset(bar, '#', fill);
	memset(bar + fill, '.', PROGRESS_BAR_WIDTH - fill);
	bar[PROGRESS_BAR_WIDTH] = '\0';
	(void)snprintf(out, outlen, "[%s] %3zu%% ", bar, pct);
}

static void
progress_show(struct progress *p, const struct timespec *now)
{
	char done[32], rate[32], total[32] = "", bar[PROGRESS_BAR_WIDTH + 16];
	double secs = elapsed(&p->start, now);

	human((double)p->done, done, sizeof(done));
	human(secs > 0 ? (double)p->done / secs : 0, rate, sizeof(rate));
	if (p->total > 0) {
		human((double)p->total, total + 3, sizeof(total) - 3);
		memcpy(total, " / ", 3);
	}
	progress_bar(p, bar, sizeof(bar));
	(void)fprintf(stderr, "\r%s: %s%s%s  %s/s   ", p->label, bar, done,
	    total, rate);
	interrupt_line(1);
	p->shown = 1;
	p->last = *now;
}

void
progress_start(struct progress *p, const char *label, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->enabled = isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	(void)clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

void
progress_update(struct progress *p, uint64_t done)
{
	struct timespec now;

	p->done = done;
	if (!p->enabled)
		return;
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed(&p->last, &now) >= PROGRESS_EVERY)
		progress_show(p, &now);
}

void
progress_end(struct progress *p)
{
	struct timespec now;

	if (!p->enabled || !p->shown)
		return;
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	progress_show(p, &now);
	(void)fputc('\n', stderr);
	interrupt_line(0);
}

void
progress_cb(void *arg, uint64_t done)
{
	progress_update(arg, done);
}
