#include <errno.h>
#include <stddef.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "ccfg.h"

struct ccfg_parse {
	struct ccfg	*c;
	char		*why;
	size_t		 whylen;
	int		 err;
};

int
ccfg_init(struct ccfg *c)
{
	const char *u = getenv("USER");

	memset(c, 0, sizeof(*c));
	c->port = 2222;
	c->hkc = HKC_YES;
	if ((c->host = strdup("127.0.0.1")) == NULL)
		return SLUICE_ENOMEM;
	if (u != NULL && *u != '\0' && (c->user = strdup(u)) == NULL)
		return SLUICE_ENOMEM;
	return 0;
}

void
ccfg_clear(struct ccfg *c)
{
	free(c->host);
	free(c->user);
	free(c->identity);
	free(c->known_hosts);
	free(c->release_key);
	free(c->age_identity);
	memset(c, 0, sizeof(*c));
}

/* "~/x" -> "$HOME/x"; anything else copied. */
static int
expand_home(const char *v, char **out)
{
	const char *home = getenv("HOME");
	size_t n;

	*out = NULL;
	if (strncmp(v, "~/", 2) != 0 || home == NULL) {
		*out = strdup(v);
		return *out == NULL ? SLUICE_ENOMEM : 0;
	}
	n = strlen(home) + strlen(v);	/* '~' makes room for the NUL */
	if ((*out = malloc(n)) == NULL)
		return SLUICE_ENOMEM;
	(void)snprintf(*out, n, "%s%s", home, v + 1);
	return 0;
}

/* The value as a new string; a path gets a leading ~ expanded. */
static int
value_copy(const char *v, int path, char **out)
{
	if (path)
		return expand_home(v, out);
	if ((*out = strdup(v)) == NULL)
		return SLUICE_ENOMEM;
	return 0;
}

static int
set_string(char **slot, const char *v, int path)
{
	char *s;
	int r;

	if ((r = value_copy(v, path, &s)) != 0)
		return r;
	free(*slot);
	*slot = s;
	return 0;
}

static int
set_port(struct ccfg *c, const char *v, char *why, size_t whylen)
{
	char *end;
	long long p;

	errno = 0;
	p = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || p < 1 || p > 65535)
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "port must be a number from 1 to 65535, not \"%s\"", v);
	c->port = (int)p;
	return 0;
}

const char *
hkc_name(enum host_key_checking h)
{
	switch (h) {
	case HKC_YES:		return "yes";
	case HKC_ACCEPT_NEW:	return "accept-new";
	case HKC_NO:		return "no";
	}
	return "yes";
}

int
hkc_parse(const char *s, enum host_key_checking *h)
{
	static const char pfx[] = "StrictHostKeyChecking=";

	if (strncasecmp(s, pfx, sizeof(pfx) - 1) == 0)
		s += sizeof(pfx) - 1;
	if (strcmp(s, "yes") == 0)
		*h = HKC_YES;
	else if (strcmp(s, "accept-new") == 0)
		*h = HKC_ACCEPT_NEW;
	else if (strcmp(s, "no") == 0 || strcmp(s, "off") == 0)
		*h = HKC_NO;
	else
		return SLUICE_EINVAL;
	return 0;
}

/* The settings that are strings; a path gets a leading ~ expanded. */
static const struct {
	const char	*key;
	size_t		 off;
	int		 path;
} string_keys[] = {
	{ "host",		offsetof(struct ccfg, host),		0 },
	{ "user",		offsetof(struct ccfg, user),		0 },
	{ "identity",		offsetof(struct ccfg, identity),	1 },
	{ "known_hosts",	offsetof(struct ccfg, known_hosts),	1 },
	{ "release_key",	offsetof(struct ccfg, release_key),	1 },
	{ "age_identity",	offsetof(struct ccfg, age_identity),	1 },
};

static int
set_hkc(struct ccfg *c, const char *value, char *why, size_t whylen)
{
	if (hkc_parse(value, &c->hkc) != 0)
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "host_key_checking must be yes, accept-new or no, "
		    "not \"%s\"", value);
	return 0;
}

static int
set_key(struct ccfg *c, const char *key, const char *value, char *why,
    size_t whylen)
{
	size_t i;

	for (i = 0; i < sizeof(string_keys) / sizeof(string_keys[0]); i++)
		if (strcmp(key, string_keys[i].key) == 0)
			return set_string((char **)(void *)((char *)c +
			    string_keys[i].off), value, string_keys[i].path);
	if (strcmp(key, "port") == 0)
		return set_port(c, value, why, whylen);
	if (strcmp(key, "host_key_checking") == 0)
		return set_hkc(c, value, why, whylen);
	return sluice_why(why, whylen, SLUICE_ECONFIG,
	    "unknown setting \"%s\"", key);
}

int
ccfg_set(struct ccfg *c, const char *key, const char *value, char *why,
    size_t whylen)
{
	int r;

	if (*value == '\0')
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "%s needs a value", key);
	if ((r = set_key(c, key, value, why, whylen)) == SLUICE_ENOMEM)
		(void)sluice_why(why, whylen, r, "out of memory");
	return r;
}

static int
ccfg_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct ccfg_parse *p = user;

	(void)section;
	if (p->err != 0)
		return 0;
	p->err = ccfg_set(p->c, name, value, p->why, p->whylen);
	return p->err == 0;
}

int
ccfg_load(struct ccfg *c, const char *path, char *why, size_t whylen)
{
	struct ccfg_parse p = { c, why, whylen, 0 };
	char reason[256] = "";
	FILE *f;
	int line;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return sluice_why(why, whylen, SLUICE_ECONFIG, "%s: %s", path,
		    strerror(errno));
	}
	p.why = reason;
	p.whylen = sizeof(reason);
	line = ini_parse_file(f, ccfg_handler, &p);
	(void)fclose(f);
	if (line == 0)
		return 0;
	if (p.err == 0)
		(void)snprintf(reason, sizeof(reason), "syntax error");
	return sluice_why(why, whylen, SLUICE_ECONFIG, "%s:%d: %s", path,
	    line, reason);
}

char *
ccfg_default_path(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *base, *mid;
	char *s;
	size_t n;

	if (xdg != NULL && *xdg != '\0') {
		base = xdg;
		mid = "/sluice/";
	} else if (home != NULL && *home != '\0') {
		base = home;
		mid = "/.config/sluice/";
	} else
		return NULL;
	n = strlen(base) + strlen(mid) + strlen(name) + 1;
	if ((s = malloc(n)) == NULL)
		return NULL;
	(void)snprintf(s, n, "%s%s%s", base, mid, name);
	return s;
}
