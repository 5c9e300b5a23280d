/*
 * ccfg.h: the clients' settings - where the server is and which keys to use -
 * read from an INI file (~/.config/sluice/sluicectl.conf or sluice.conf) and
 * then overridden by command-line flags.
 *
 * File format (no sections needed; '#' or ';' start comments):
 *   host = sluice.example.org      port = 2222        user = alice
 *   identity = ~/.ssh/id_ed25519   known_hosts = ~/.ssh/known_hosts
 *   host_key_checking = yes | accept-new | no
 *   release_key = ~/.config/sluice/release.pub      (sluice only)
 *   age_identity = ~/.config/sluice/identity.txt    (sluice only)
 * A leading "~/" means $HOME. Unknown keys and bad values are refused with
 * the line number. A missing file is not an error (defaults apply).
 */
#ifndef SLUICE_CLIENT_CCFG_H
#define SLUICE_CLIENT_CCFG_H

#include <stddef.h>

enum host_key_checking {
	HKC_YES = 0,		/* refuse unknown and changed keys (default) */
	HKC_ACCEPT_NEW,		/* record an unknown key; refuse a changed one */
	HKC_NO,			/* accept an unknown key without recording it */
};

struct ccfg {
	char	*host;		/* default "127.0.0.1" */
	int	 port;		/* default 2222 */
	char	*user;		/* default $USER */
	char	*identity;	/* NULL: agent, then the default keys */
	char	*known_hosts;	/* NULL: libssh's default (~/.ssh/known_hosts) */
	char	*release_key;
	char	*age_identity;
	enum host_key_checking hkc;
};

/* Fills c with the defaults; ccfg_clear() frees what it holds. */
int ccfg_init(struct ccfg *c) __attribute__((warn_unused_result));
void ccfg_clear(struct ccfg *c);

/* Reads path over c. SLUICE_ECONFIG with "FILE:LINE: reason" in why. */
int ccfg_load(struct ccfg *c, const char *path, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Sets one key as the file would ("port", "2222"); used for flags too. */
int ccfg_set(struct ccfg *c, const char *key, const char *value, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* "$XDG_CONFIG_HOME/sluice/NAME" or "$HOME/.config/sluice/NAME" (malloc'd),
 * or NULL when neither variable is set. */
char *ccfg_default_path(const char *name);

/* "yes", "accept-new", "no"; and the parser (also "StrictHostKeyChecking=X"). */
const char *hkc_name(enum host_key_checking h);
int hkc_parse(const char *s, enum host_key_checking *h);

#endif
