/*
 * config.h: sluiced's settings and its policy.
 *
 * Two INI files, read with inih: DIR/sluiced.conf (daemon settings) and the
 * policy file it names ([policy] file, default DIR/policy.conf). Every key
 * has a default (config_defaults()) and is documented, one comment line or
 * more above it, in the texts config_write_defaults() writes; the default
 * policy text is also policies/default.conf in the source tree, byte for byte.
 *
 * Refused, with a one-line reason "FILE:LINE: what is wrong": an unknown
 * section or key, a key set twice, a value that is not of its type or out of
 * its range (numbers are whole decimal numbers; booleans are yes or no; lists
 * are comma-separated), a syntax error, a line longer than 198 bytes. A file
 * that is not a regular file or is writable by everyone is refused whole.
 * Relative paths are resolved against DIR; the struct holds them resolved.
 *
 * The library keeps no state: a struct sluice_config is plain data, filled
 * in by the caller's call and owned by the caller (nothing to free).
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DAEMON_FILE	"sluiced.conf"
#define CONFIG_POLICY_FILE	"policy.conf"
#define CONFIG_DEFAULT_LISTEN	"127.0.0.1"
#define CONFIG_DEFAULT_PORT	2222
#define CONFIG_SANDBOX_USER	"sluice"	/* [sandbox] user */
#define CONFIG_SANDBOX_DIR	"empty"		/* [sandbox] chroot, in DIR */
#define CONFIG_PATH_MAX		1024	/* longer resolved paths are refused */
#define CONFIG_LIST_MAX		8	/* most values in a list of days */

enum mail_transport {
	MAIL_MAILDIR = 0,	/* one file per message in a Maildir */
	MAIL_SENDMAIL,		/* a sendmail-compatible program, no shell */
};

/* [server] max_startups, after OpenSSH's MaxStartups: from begin
 * connections not yet authenticated, a new one is dropped with probability
 * rate %, rising linearly to 100 % at full. */
struct config_startups {
	int32_t	 begin, rate, full;
};

/* [server] per_source_netblock: prefix lengths that make one source. */
struct config_netblock {
	int32_t	 v4, v6;
};

enum config_overflow {
	CONFIG_OVERFLOW_PERMISSIVE = 0,	/* forget the penalty ending soonest */
	CONFIG_OVERFLOW_DENY_ALL,	/* refuse every source not exempt */
};

/* [penalties]: seconds a source earns by how a session that never
 * authenticated ended (0: none), and how they add up. */
struct config_penalties {
	int32_t	 authfail, noauth, grace, protocol, crash;
	int32_t	 max, min;			/* seconds */
	int32_t	 max_sources;			/* penalty table entries */
	enum config_overflow overflow;
	char	 exempt[512];			/* networks, comma-separated */
};

struct sluice_policy {
	/* [reminders] expiry_days: days before expires, sorted descending */
	int32_t	 expiry_days[CONFIG_LIST_MAX];
	size_t	 n_expiry_days;
	/* [certificates] */
	int32_t	 cert_due_days;		/* due this many days after expires */
	int32_t	 cert_reminder_days[CONFIG_LIST_MAX];	/* before due, descending */
	size_t	 n_cert_reminder_days;
	int64_t	 cert_max_bytes;	/* largest certificate upload */
	int32_t	 cert_max_rejected_per_day;	/* per recipient */
	int32_t	 cert_rejected_kept;	/* rejected CMS kept, per agreement */
	/* [dspt] */
	int	 dspt_waived;		/* 1: gate rule 3 always holds */
	/* [downloads] */
	int32_t	 download_window_days;	/* after approval; 0: no window */
	int64_t	 download_max_count;	/* per recipient and file; 0: unlimited */
	/* [inbox] */
	int64_t	 inbox_max_bytes;	/* one staff member's /inbox/ in total */
	int64_t	 inbox_reserve_bytes;	/* free disk an upload must leave */
};

struct sluice_config {
	char	 dir[CONFIG_PATH_MAX];		/* DIR as given */
	/* [server] */
	char	 listen[64];			/* an IPv4 or IPv6 address */
	int32_t	 port;				/* 1..65535 */
	char	 host_key[CONFIG_PATH_MAX];
	int32_t	 login_grace_time;		/* seconds */
	int32_t	 max_sessions;
	struct config_startups max_startups;	/* unauthenticated at once */
	int32_t	 per_source_max_startups;	/* 0: no limit */
	struct config_netblock per_source_netblock;
	int32_t	 idle_timeout;			/* seconds; 0: never */
	int	 legacy_ciphers;		/* 1: AES-CTR, non-ETM MACs too */
	/* [store] */
	char	 store_path[CONFIG_PATH_MAX];
	/* [keys] */
	char	 master_key[CONFIG_PATH_MAX];
	char	 release_key[CONFIG_PATH_MAX];
	char	 release_pub[CONFIG_PATH_MAX];
	char	 audit_key[CONFIG_PATH_MAX];	/* signs DIR/audit.head */
	/* [mail] */
	enum mail_transport mail_transport;
	char	 maildir[CONFIG_PATH_MAX];
	char	 sendmail[CONFIG_PATH_MAX];	/* absolute */
	char	 mail_from[256];
	char	 staff_to[512];			/* addresses, comma-separated; may be "" */
	/* [policy] */
	char	 policy_file[CONFIG_PATH_MAX];
	struct sluice_policy policy;
	/* [publish] */
	char	 publish_dir[CONFIG_PATH_MAX];	/* resolved; "" = none */
	/* [penalties] */
	struct config_penalties penalties;
	/* [sandbox]: the session processes' user and directory, as root */
	char	 sandbox_user[33];		/* a user name, not root */
	char	 sandbox_chroot[CONFIG_PATH_MAX];	/* resolved */
};

/* Every field at its default, paths resolved against dir. SLUICE_ECONFIG if
 * dir is empty or a resolved path would be too long. */
int config_defaults(const char *dir, struct sluice_config *cfg,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Defaults, then DIR/sluiced.conf, then the policy file it names.
 * SLUICE_ECONFIG (or SLUICE_EIO when a file cannot be read) with a reason. */
int config_load(const char *dir, struct sluice_config *cfg,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Parse one already-open file over what cfg (or p) holds; name is used in
 * reasons only. The checks on the file itself (owner, mode) are
 * config_load()'s; these are for tests and fuzzing. */
int config_parse_daemon(FILE *fp, const char *name, struct sluice_config *cfg,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int config_parse_policy(FILE *fp, const char *name, struct sluice_policy *p,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Writes DIR/sluiced.conf (with listen and port) and DIR/policy.conf, each
 * mode 0644, refusing to overwrite either (SLUICE_EEXIST). listen NULL means
 * CONFIG_DEFAULT_LISTEN; port must be 1..65535. */
int config_write_defaults(const char *dir, int port, const char *listen,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The host key's public half, host_key + ".pub" (sluiced init writes it):
 * what the sessions announce, while the private half stays in the engine.
 * SLUICE_ETOOBIG when it does not fit out (CONFIG_PATH_MAX + 4 bytes do). */
int config_host_pub(const struct sluice_config *cfg, char *out, size_t outlen)
    __attribute__((warn_unused_result));

/* The default policy file, documented line by line (== policies/default.conf). */
const char *config_policy_text(void);

const char *mail_transport_name(enum mail_transport t);	/* "maildir" */

#endif
