/* admin_util.c: input checks and inbox reads shared by the admin handlers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"

#define DEFAULT_CERT_DUE_DAYS	30	/* when the engine passes no policy */

int
admin_check_name(struct admin_call *c, const char *what, const char *s)
{
	char why[160];

	if (name_check(s, 64, why, sizeof(why)) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad %s '%.64s': %s", what,
		    s, why);
	return 0;
}

int
admin_check_nic(struct admin_call *c, const char *s)
{
	char why[256];

	/* nic_check's reason starts with the (printable) reference itself */
	if (nic_check(s, why, sizeof(why)) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad NIC %s", why);
	return 0;
}

int
admin_check_text(struct admin_call *c, const char *what, const char *s,
    size_t max)
{
	size_t n = strlen(s);

	if (n == 0)
		return admin_fail(c, SLUICE_EINVAL, "%s is empty", what);
	if (n >= max)
		return admin_fail(c, SLUICE_EINVAL,
		    "%s is too long (%zu bytes, at most %zu)", what, n,
		    max - 1);
	if (strchr(s, '\n') != NULL || strchr(s, '\t') != NULL)
		return admin_fail(c, SLUICE_EINVAL,
		    "%s must be one line", what);
	return 0;
}

static int
email_local_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr(".!#$%&'*+/=?^_`{|}~-", ch) !=
	    NULL;
}

static int
email_domain_ok(const char *d)
{
	const char *p;
	int label = 0, dots = 0;

	for (p = d; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			dots++;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
		label++;
	}
	return dots > 0 && label > 0;
}

/* Deliberately simple: one @, a plain local part, a dotted domain; no
 * quoting, comments or commas (the outbox joins addresses with commas). */
int
admin_check_email(struct admin_call *c, const char *s)
{
	const char *at = strchr(s, '@'), *p;
	size_t n = strlen(s);

	if (n < 3 || n > 254 || at == NULL || at == s ||
	    strchr(at + 1, '@') != NULL)
		goto bad;
	for (p = s; p < at; p++)
		if (!email_local_ok(*p))
			goto bad;
	if (!email_domain_ok(at + 1))
		goto bad;
	return 0;
 bad:
	return admin_fail(c, SLUICE_EINVAL,
	    "bad email '%.64s': expected local@domain.example", s);
}

int
admin_parse_date(struct admin_call *c, const char *what, const char *s,
    int32_t *day)
{
	if (sluice_date_parse(s, day) != 0)
		return admin_fail(c, SLUICE_EINVAL,
		    "bad date for %s '%.32s': expected YYYY-MM-DD, a real date",
		    what, s);
	return 0;
}

int
admin_parse_id(struct admin_call *c, const char *what, const char *s,
    int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	if (s[0] < '1' || s[0] > '9')
		goto bad;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		goto bad;
	*id = (int64_t)v;
	return 0;
 bad:
	return admin_fail(c, SLUICE_EINVAL, "bad %s '%.32s': expected a "
	    "positive number", what, s);
}

/* Opens DIR/inbox/<caller>/<name> without following any symlink on the
 * way, and only a regular file. */
int
admin_inbox_open(struct admin_call *c, const char *name, int *fd)
{
	struct admin_ctx *ctx = c->ctx;
	struct stat st;
	int dfd = -1, ifd = -1, ufd = -1, f = -1, r;

	*fd = -1;
	if ((r = admin_check_name(c, "inbox file name", name)) != 0)
		return r;
	if (ctx->user == NULL || ctx->data_dir == NULL)
		return admin_fail(c, SLUICE_ENOTFOUND, "you have no inbox");
	r = admin_fail(c, SLUICE_ENOTFOUND, "no file %s in your inbox", name);
	if ((dfd = open(ctx->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0 || (ifd = openat(dfd, "inbox", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0 || (ufd = openat(ifd, ctx->user,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (f = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		goto out;
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = admin_fail(c, SLUICE_EINVAL,
		    "%s in your inbox is not a regular file", name);
		goto out;
	}
	*fd = f;
	f = -1;
	r = 0;
	c->why[0] = '\0';
 out:
	if (f >= 0)
		close(f);
	if (ufd >= 0)
		close(ufd);
	if (ifd >= 0)
		close(ifd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

int
admin_inbox_read(struct admin_call *c, const char *name, size_t max,
    uint8_t **data, size_t *len)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd = -1, r;

	*data = NULL;
	*len = 0;
	if ((r = admin_inbox_open(c, name, &fd)) != 0)
		return r;
	/* one byte more than allowed tells "too big" from "exactly max" */
	if ((buf = malloc(max + 1)) == NULL) {
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	while (n <= max) {
		got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = admin_fail(c, SLUICE_EIO, "cannot read %s from "
			    "your inbox", name);
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		r = admin_fail(c, SLUICE_ETOOBIG, "%s in your inbox is larger "
		    "than %zu bytes", name, max);
		goto out;
	}
	if (n == 0) {
		r = admin_fail(c, SLUICE_EINVAL, "%s in your inbox is empty",
		    name);
		goto out;
	}
	*data = buf;
	*len = n;
	buf = NULL;
 out:
	free(buf);
	close(fd);
	return r;
}

void
admin_date(int32_t day, char out[11])
{
	if (day == 0 || sluice_date_format(day, out, 11) != 0)
		out[0] = '\0';
}

void
admin_time(int64_t t, char out[21])
{
	if (t == 0 || sluice_time_format(t, out, 21) != 0)
		out[0] = '\0';
}

int32_t
admin_today(const struct admin_call *c)
{
	return sluice_day_of(c->ctx->now);
}

int32_t
admin_cert_due_days(const struct admin_call *c)
{
	return c->ctx->policy != NULL ? c->ctx->policy->cert_due_days :
	    DEFAULT_CERT_DUE_DAYS;
}

int
admin_known_org(struct admin_call *c, const char *code, struct org *o)
{
	int r;

	if ((r = admin_check_name(c, "organisation code", code)) != 0)
		return r;
	if ((r = org_get(c->ctx->store, code, o)) == SLUICE_ENOTFOUND)
		return admin_fail(c, r, "unknown organisation %s", code);
	if (r != 0)
		return admin_fail(c, r, "store failure reading organisation");
	return 0;
}

int
admin_known_agreement(struct admin_call *c, const char *nic, int governing,
    struct agreement *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = admin_check_nic(c, nic)) != 0)
		return r;
	r = governing ? agreement_governing(c->ctx->store, nic, a) :
	    agreement_get(c->ctx->store, nic, 0, a);
	if (r == SLUICE_ENOTFOUND)
		return admin_fail(c, r, "unknown agreement %s", nic);
	if (r != 0)
		return admin_fail(c, r, "store failure reading agreement");
	return 0;
}
