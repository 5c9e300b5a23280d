/*
 * sluicectl: the staff client. Runs admin commands on the server's exec
 * channel (the same as `ssh -p 2222 user@host 'agreement list'`) and uploads
 * files to the caller's /inbox/ over SFTP (the same as sftp's put).
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice/error.h"
#include "cli.h"
#include "conn.h"
#include "cmdline.h"

static const char usage_text[] =
"usage: sluicectl [options] COMMAND [ARG...]\n"
"       sluicectl [options] put FILE [NAME]\n"
"\n"
"Runs an admin COMMAND on the sluice server over SSH and exits with its\n"
"status: 0 done, 1 refused or invalid, 2 usage, 255 no connection.\n"
"The words are quoted so the server sees exactly the same words.\n"
"`put` uploads FILE to /inbox/NAME (default: FILE's base name), where\n"
"commands find it as INBOX-FILE.\n"
"\n"
"options:\n"
"%s"
"\n"
"Config: host, port, user, identity, known_hosts, host_key_checking in\n"
"%s (KEY = VALUE lines); flags win.\n"
"Examples:\n"
"  sluicectl org add RX1 --name 'Example Trust'\n"
"  sluicectl put dsa.txt && sluicectl agreement add NIC-123456-A1B2C ... \\\n"
"      --document dsa.txt\n"
"  sluicectl help\n";

static void
usage(FILE *f)
{
	char opts[2048], conf[512];

	cli_global_usage("sluicectl.conf", opts, sizeof(opts));
	cli_conf_words("sluicectl.conf", conf, sizeof(conf));
	(void)fprintf(f, usage_text, opts, conf);
}

static int
connect_or_die(const struct ccfg *cfg, struct conn **c)
{
	char why[512];

	if (conn_open(cfg, c, why, sizeof(why)) != 0) {
		(void)fprintf(stderr, "sluicectl: %s\n", why);
		return EXIT_CONN;
	}
	return 0;
}

static int
run_command(const struct ccfg *cfg, int argc, char **argv)
{
	struct conn *c = NULL;
	char *line = NULL, why[512];
	int status = EXIT_CONN;

	if (cmdline_join(argv, (size_t)argc, &line) != 0) {
		(void)fprintf(stderr, "sluicectl: out of memory\n");
		return EXIT_REFUSED;
	}
	if ((status = connect_or_die(cfg, &c)) != 0)
		goto out;
	if (conn_exec(c, line, STDOUT_FILENO, STDERR_FILENO, &status, why,
	    sizeof(why)) != 0) {
		(void)fprintf(stderr, "sluicectl: %s\n", why);
		status = EXIT_CONN;
	}
out:
	conn_free(c);
	free(line);
	return status;
}

static int
put_exit(int err)
{
	if (err == SLUICE_EIO || err == SLUICE_EPROTO)
		return EXIT_CONN;
	return EXIT_REFUSED;
}

static int
put_usage(int argc)
{
	int bad = argc < 2 || argc > 3;

	(void)fprintf(bad ? stderr : stdout,
	    "usage: sluicectl [options] put FILE [NAME]\n"
	    "Uploads FILE to /inbox/NAME (default: its base name).\n");
	return bad ? EXIT_USAGE : EXIT_OK;
}

/* The name FILE gets in /inbox/: NAME, else FILE's base name (of *copy,
 * which basename() may write into). */
static int
put_name(int argc, char **argv, char **copy, const char **name)
{
	if ((*copy = strdup(argv[1])) == NULL)
		return EXIT_REFUSED;
	*name = argc == 3 ? argv[2] : basename(*copy);
	if (**name == '\0' || strchr(*name, '/') != NULL ||
	    strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
		(void)fprintf(stderr, "sluicectl: put: \"%s\" is not a plain "
		    "file name\n", *name);
		return EXIT_USAGE;
	}
	return 0;
}

static int
open_regular(const char *path, int *fd, struct stat *st)
{
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		(void)fprintf(stderr, "sluicectl: put: cannot read %s as a "
		    "regular file\n", path);
		return EXIT_REFUSED;
	}
	return 0;
}

static int
sftp_or_die(const struct ccfg *cfg, struct conn **c, struct sftp_client **s)
{
	char why[512];
	int rc;

	if ((rc = connect_or_die(cfg, c)) != 0)
		return rc;
	if (conn_sftp(*c, s, why, sizeof(why)) != 0) {
		(void)fprintf(stderr, "sluicectl: %s\n", why);
		return EXIT_CONN;
	}
	return 0;
}

/* Sends fd to path, then says what was uploaded and the server's verdict. */
static int
upload(struct sftp_client *s, int fd, const char *file, const char *name,
    const char *path, off_t size)
{
	struct progress pr;
	char why[512], verdict[512];
	int r;

	progress_start(&pr, name, (uint64_t)size);
	r = sftp_put(s, fd, path, progress_cb, &pr, verdict, sizeof(verdict),
	    why, sizeof(why));
	progress_end(&pr);
	if (r != 0) {
		(void)fprintf(stderr, "sluicectl: put: %s\n", why);
		return put_exit(r);
	}
	(void)printf("uploaded %s to %s (%lld bytes)\n", file, path,
	    (long long)size);
	/* "Success" is the generic OK text, not a verdict on the file */
	if (verdict[0] != '\0' && strcmp(verdict, "Success") != 0)
		(void)printf("%s\n", verdict);
	return EXIT_OK;
}

static int
do_put(const struct ccfg *cfg, int argc, char **argv)
{
	struct sftp_client *s = NULL;
	struct conn *c = NULL;
	struct stat st;
	char *copy = NULL, path[4200];
	const char *name = NULL;
	int fd = -1, rc;

	if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0)
		return put_usage(argc);
	if ((rc = put_name(argc, argv, &copy, &name)) != 0 ||
	    (rc = open_regular(argv[1], &fd, &st)) != 0)
		goto out;
	(void)snprintf(path, sizeof(path), "/inbox/%s", name);
	if ((rc = sftp_or_die(cfg, &c, &s)) == 0)
		rc = upload(s, fd, argv[1], name, path, st.st_size);
out:
	sftp_client_free(s);
	conn_free(c);
	if (fd >= 0)
		(void)close(fd);
	free(copy);
	return rc;
}

static int
dispatch(const struct ccfg *cfg, int argc, char **argv, int next, int json)
{
	if (strcmp(argv[next], "put") == 0)
		return do_put(cfg, argc - next, argv + next);
	if (!json)
		return run_command(cfg, argc - next, argv + next);
	/* the word before the command is a flag or argv[0]: reuse its slot
	 * for the --json the server expects first */
	argv[next - 1] = "--json";
	return run_command(cfg, argc - next + 1, argv + next - 1);
}

int
main(int argc, char **argv)
{
	struct ccfg cfg;
	char why[512];
	int next, help, rc, json;

	if (ccfg_init(&cfg) != 0) {
		(void)fprintf(stderr, "sluicectl: out of memory\n");
		return EXIT_REFUSED;
	}
	json = cli_take_json(&argc, argv);
	if (cli_global(argc, argv, "sluicectl.conf", &cfg, &next, &help, why,
	    sizeof(why)) != 0) {
		(void)fprintf(stderr, "sluicectl: %s\n", why);
		rc = EXIT_USAGE;
	} else if (help == CLI_VERSION) {
		rc = cli_version("sluicectl");
	} else if (help || next >= argc) {
		usage(help ? stdout : stderr);
		rc = help ? EXIT_OK : EXIT_USAGE;
	} else
		rc = dispatch(&cfg, argc, argv, next, json);
	ccfg_clear(&cfg);
	return rc;
}
