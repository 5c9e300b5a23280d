/*
 * sluiced: init, run, check-config, publish, backup, restore and the key
 * rotations (docs/design.md section 6).
 *
 * run: the parent checks the data directory, forks the engine (which alone
 * opens the store and the keys; supervise.c starts it again if it dies),
 * then binds and serves, forking one session per connection (server.c).
 * SIGTERM ends it cleanly.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/engine.h"
#include "setup/init.h"
#include "setup/backup.h"
#include "setup/publish.h"
#include "setup/rotate.h"
#include "setup/version.h"
#include "ipc.h"
#include "parent/server.h"
#include "parent/supervise.h"
#include "session/sandbox.h"
#include "sluice/clock.h"
#include "sluice/config.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/log.h"
#include "sluice/sshkey.h"

#define USAGE \
"usage: sluiced init -d DIR --admin USER --admin-key FILE.pub [--port N] [--listen ADDR]\n" \
"       sluiced run -d DIR [--port N] [--listen ADDR] [--fake-clock FILE] [-v]\n" \
"       sluiced check-config -d DIR\n" \
"       sluiced publish -d DIR [--out WEBDIR] [--fake-clock FILE]\n" \
"       sluiced backup -d DIR --out FILE\n" \
"       sluiced restore -d NEWDIR --from FILE --payloads OLDDIR\n" \
"       sluiced rotate-master-key -d DIR [--fake-clock FILE]\n" \
"       sluiced rotate-release-key -d DIR [--fake-clock FILE]\n" \
"       sluiced --version\n"

struct main_opts {
	const char	*dir;
	const char	*admin;
	const char	*admin_key;
	const char	*listen;
	const char	*fake_clock;
	const char	*out;
	const char	*from;
	const char	*payloads;
	long		 port;
	int		 verbose;
};

static int
usage(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "sluiced: %s\n", msg);
	fputs(USAGE, stderr);
	return 2;
}

static int
parse_port(const char *s, long *port)
{
	char *end;

	errno = 0;
	*port = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *port < 1 || *port > 65535)
		return -1;
	return 0;
}

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "admin", required_argument, NULL, 'a' },
	{ "admin-key", required_argument, NULL, 'k' },
	{ "port", required_argument, NULL, 'p' },
	{ "listen", required_argument, NULL, 'l' },
	{ "fake-clock", required_argument, NULL, 'f' },
	{ "out", required_argument, NULL, 'o' },
	{ "from", required_argument, NULL, 'F' },
	{ "payloads", required_argument, NULL, 'P' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Takes one option: 0 to go on, else the exit status. */
static int
take_opt(int ch, struct main_opts *o)
{
	switch (ch) {
	case 'd': o->dir = optarg; break;
	case 'a': o->admin = optarg; break;
	case 'k': o->admin_key = optarg; break;
	case 'l': o->listen = optarg; break;
	case 'f': o->fake_clock = optarg; break;
	case 'o': o->out = optarg; break;
	case 'F': o->from = optarg; break;
	case 'P': o->payloads = optarg; break;
	case 'v': o->verbose++; break;
	case 'p':
		if (parse_port(optarg, &o->port) != 0)
			return usage("--port takes a number from 1 to 65535");
		break;
	case 'h':
		fputs(USAGE, stdout);
		exit(0);
	default:
		return usage(NULL);
	}
	return 0;
}

/* The options after the command word: 0, else the exit status. */
static int
parse_opts(int argc, char **argv, struct main_opts *o)
{
	int ch, r;

	memset(o, 0, sizeof(*o));
	optind = 2;
	while ((ch = getopt_long(argc, argv, "d:p:l:vh", longopts, NULL)) != -1)
		if ((r = take_opt(ch, o)) != 0)
			return r;
	if (optind != argc)
		return usage("unexpected argument");
	if (o->dir == NULL)
		return usage("-d DIR is required");
	return 0;
}

/* Refuses secret files others can read. The audit key may be absent (a
 * data directory made by an older init): the engine makes it. */
static int
check_secrets(const struct sluice_config *cfg)
{
	const char *secrets[] = { cfg->host_key, cfg->master_key,
	    cfg->release_key, cfg->store_path, cfg->audit_key };
	char why[512];
	size_t i;
	int r;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		r = files_check_secret(secrets[i], why, sizeof(why));
		if (r == SLUICE_ENOTFOUND && secrets[i] == cfg->audit_key)
			continue;
		if (r != 0) {
			fprintf(stderr, "sluiced: refusing to start: %s\n", why);
			return 1;
		}
	}
	return 0;
}

/* Loads the config, with the command line's port and listen address, and
 * checks its secret files. */
static int
load_checked(const struct main_opts *o, struct sluice_config *cfg)
{
	char why[512];

	if (config_load(o->dir, cfg, why, sizeof(why)) != 0) {
		fprintf(stderr, "sluiced: %s\n", why);
		return 1;
	}
	if (o->port != 0)
		cfg->port = (int32_t)o->port;
	if (o->listen != NULL)
		(void)snprintf(cfg->listen, sizeof(cfg->listen), "%s", o->listen);
	return check_secrets(cfg);
}

static int
cmd_check_config(const struct main_opts *o)
{
	struct sluice_config cfg;

	if (load_checked(o, &cfg) != 0)
		return 1;
	printf("%s: configuration, policy and keys are usable\n", o->dir);
	return 0;
}

/* What the engine runs on (supervise.h's run). */
struct engine_args {
	const char		*dir;
	const struct sluice_config *cfg;
	struct ipc_shared	*sh;
	const struct sshkey_pub	*host;	/* the public half the parent offers */
};

static int
engine_run(void *arg, int ctl, const char *note)
{
	const struct engine_args *a = arg;

	return engine_main(a->dir, a->cfg, ctl, a->sh, a->host, note);
}

static int
fake_clock_setup(const struct main_opts *o)
{
	if (o->fake_clock == NULL)
		return 0;
	if (sluice_clock_set_fake(o->fake_clock) != 0) {
		fprintf(stderr, "sluiced: --fake-clock %s: not a readable "
		    "RFC 3339 UTC time\n", o->fake_clock);
		return 1;
	}
	log_warnx("FAKE CLOCK: time is read from %s; for tests only, "
	    "never in service", o->fake_clock);
	return 0;
}

/* The host key's public half, read once: the parent offers it, and every
 * engine it starts checks its private key against it. */
static int
host_pub_load(const char *path, struct sshkey_pub **out)
{
	char why[512] = "";

	if (sshkey_pub_load(path, out, why, sizeof(why)) == 0)
		return 0;
	log_errx("cannot load the host key's public half: %s", why);
	return -1;
}

static void
server_opts_from(struct server_opts *so, const struct sluice_config *cfg,
    const char *host_pub, const struct main_opts *o)
{
	server_opts_default(so);
	so->listen_addr = cfg->listen;
	so->port = (uint16_t)cfg->port;
	so->host_pub = host_pub;
	so->login_grace_time = cfg->login_grace_time;
	so->max_sessions = cfg->max_sessions;
	limits_conf_from(&so->limits, cfg);
	so->idle_timeout = cfg->idle_timeout;
	so->legacy_ciphers = cfg->legacy_ciphers;
	so->log_verbosity = o->verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

/* The data directory's lock, held while the daemon runs, and any key
 * rotation a crash interrupted resolved first; -1 when it cannot run. */
static int
run_lock(const char *dir, const struct sluice_config *cfg)
{
	char why[1024];
	int fd;

	if (datadir_lock_wait(dir, 10, &fd, why, sizeof(why)) == 0 &&
	    rotate_recover(cfg, why, sizeof(why)) == 0)
		return fd;
	fprintf(stderr, "sluiced: %s\n", why);
	datadir_unlock(fd);
	return -1;
}

/* The first engine, kept alive by sup from here (supervise.h). */
static int
engine_launch(struct supervisor *sup, struct engine_args *ea,
    const char *dir, const struct sluice_config *cfg,
    const struct sshkey_pub *host)
{
	memset(sup, 0, sizeof(*sup));
	ea->dir = dir;
	ea->cfg = cfg;
	ea->host = host;
	sup->run = engine_run;
	sup->run_arg = ea;
	if ((ea->sh = ipc_shared_create()) == NULL ||
	    supervise_start(sup) != 0) {
		log_errx("cannot start the engine");
		return -1;
	}
	return 0;
}

/* The parent: the engine (kept alive by the supervisor, server.h), then
 * the listening socket and the sessions. */
static int
cmd_run(const struct main_opts *o)
{
	struct sluice_config cfg;
	struct server_opts so;
	struct engine_args ea;
	struct supervisor sup;
	struct sshkey_pub *host = NULL;
	char host_pub[CONFIG_PATH_MAX + 8];
	int r = -1, er = 0, lock = -1;

	sluice_log_open("sluiced", 2, o->verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (fake_clock_setup(o) != 0 || load_checked(o, &cfg) != 0 ||
	    config_host_pub(&cfg, host_pub, sizeof(host_pub)) != 0 ||
	    host_pub_load(host_pub, &host) != 0 ||
	    sandbox_prepare(cfg.sandbox_user, cfg.sandbox_chroot) != 0 ||
	    (lock = run_lock(o->dir, &cfg)) == -1 ||
	    engine_launch(&sup, &ea, o->dir, &cfg, host) != 0)
		goto out;
	server_opts_from(&so, &cfg, host_pub, o);
	so.host = host;
	so.engine = &sup;
	r = server_run(&so, sup.ctl, ea.sh);
	er = supervise_stop(&sup);
	log_info("stopped");
out:
	datadir_unlock(lock);
	sshkey_pub_free(host);
	return r == 0 && er == 0 ? 0 : 1;
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 ||
	    strcmp(arg, "help") == 0;
}

static int
cmd_init(const struct main_opts *o)
{
	if (o->admin == NULL || o->admin_key == NULL)
		return usage("init needs --admin USER and --admin-key FILE.pub");
	return init_run(o->dir, o->admin, o->admin_key, (int)o->port, o->listen);
}

/* The public site: a read-only look at the store, so the daemon may run. */
static int
cmd_publish(const struct main_opts *o)
{
	if (fake_clock_setup(o) != 0)
		return 1;
	return publish_run(o->dir, o->out);
}

static int
cmd_backup(const struct main_opts *o)
{
	return backup_run(o->dir, o->out);
}

static int
cmd_restore(const struct main_opts *o)
{
	return restore_run(o->from, o->payloads, o->dir);
}

static int
cmd_rotate_master(const struct main_opts *o)
{
	if (fake_clock_setup(o) != 0)
		return 1;
	return rotate_master_run(o->dir);
}

static int
cmd_rotate_release(const struct main_opts *o)
{
	if (fake_clock_setup(o) != 0)
		return 1;
	return rotate_release_run(o->dir);
}

static const struct command {
	const char	*name;
	int		(*fn)(const struct main_opts *);
} commands[] = {
	{ "init",		cmd_init },
	{ "run",		cmd_run },
	{ "check-config",	cmd_check_config },
	{ "publish",		cmd_publish },
	{ "backup",		cmd_backup },
	{ "restore",		cmd_restore },
	{ "rotate-master-key",	cmd_rotate_master },
	{ "rotate-release-key",	cmd_rotate_release },
};

static int
run_command(const char *name, const struct main_opts *o)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(o);
	return usage("unknown command");
}

int
main(int argc, char **argv)
{
	struct main_opts o;
	int r;

	sandbox_close_inherited();
	if (sodium_init() < 0) {
		fprintf(stderr, "sluiced: libsodium failed to initialise\n");
		return 1;
	}
	if (argc < 2)
		return usage(NULL);
	if (is_help(argv[1])) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return version_run();
	if ((r = parse_opts(argc, argv, &o)) != 0)
		return r;
	return run_command(argv[1], &o);
}
