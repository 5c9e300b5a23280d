#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/error.h"
#include "cli.h"

const char cli_global_usage[] =
"  -F CONFIG       config file (default ~/.config/sluice/<tool>.conf)\n"
"  -H HOST         server (default 127.0.0.1)\n"
"  -p PORT         port (default 2222)\n"
"  -l USER         user name on the server (default $USER)\n"
"  -i IDENTITY     SSH private key (default: agent, then ~/.ssh/id_*)\n"
"  -k KNOWN_HOSTS  known_hosts file (default ~/.ssh/known_hosts)\n"
"  -o StrictHostKeyChecking=yes|accept-new|no\n"
"                  unknown host keys: refuse (default), record, or accept\n";

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

int
cli_global(int argc, char **argv, const char *confname, struct ccfg *cfg,
    int *next, int *help, char *why, size_t whylen)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_flag flags[16];
	const char *conf = NULL;
	char *defconf = NULL;
	size_t nflags = 0, i;
	int ch, r = 0;

	*help = 0;
	optind = 0;	/* GNU: a full reset, so the command may parse again */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+F:H:p:l:i:k:o:h", longopts,
	    NULL)) != -1) {
		if (nflags == sizeof(flags) / sizeof(flags[0]))
			return sluice_why(why, whylen, SLUICE_EUSAGE,
			    "too many options");
		switch (ch) {
		case 'F': conf = optarg; continue;
		case 'H': flags[nflags].key = "host"; break;
		case 'p': flags[nflags].key = "port"; break;
		case 'l': flags[nflags].key = "user"; break;
		case 'i': flags[nflags].key = "identity"; break;
		case 'k': flags[nflags].key = "known_hosts"; break;
		case 'o':
			if ((r = cli_option(optarg, &flags[nflags++], why,
			    whylen)) != 0)
				return r;
			continue;
		case 'h': *help = 1; continue;
		default:
			return sluice_why(why, whylen, SLUICE_EUSAGE,
			    "unknown or incomplete option %s",
			    argv[optind - 1]);
		}
		flags[nflags++].value = optarg;
	}
	*next = optind;
	if (conf == NULL)
		conf = defconf = ccfg_default_path(confname);
	if (conf != NULL && (r = ccfg_load(cfg, conf, why, whylen)) != 0)
		goto out;
	for (i = 0; i < nflags; i++)
		if ((r = ccfg_set(cfg, flags[i].key, flags[i].value, why,
		    whylen)) != 0) {
			if (r == SLUICE_ECONFIG)
				r = SLUICE_EUSAGE;
			goto out;
		}
out:
	free(defconf);
	return r;
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

static void
progress_show(struct progress *p, const struct timespec *now)
{
	char done[32], rate[32], total[32] = "";
	double secs = elapsed(&p->start, now);

	human((double)p->done, done, sizeof(done));
	human(secs > 0 ? (double)p->done / secs : 0, rate, sizeof(rate));
	if (p->total > 0) {
		human((double)p->total, total + 3, sizeof(total) - 3);
		memcpy(total, " / ", 3);
	}
	(void)fprintf(stderr, "\r%s: %s%s  %s/s   ", p->label, done, total,
	    rate);
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
	if (elapsed(&p->last, &now) >= 1.0)
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
}

void
progress_cb(void *arg, uint64_t done)
{
	progress_update(arg, done);
}
