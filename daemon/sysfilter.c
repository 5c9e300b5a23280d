#include <sys/prctl.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sluice/error.h"
#include "sysfilter.h"

/* One rule into ctx; libseccomp returns a negative errno. */
static int
add_rule(scmp_filter_ctx ctx, const struct sysfilter_rule *r)
{
	struct scmp_arg_cmp cmp = r->cmp;

	if (r->cmp_self)
		cmp.datum_a = (uint64_t)getpid();
	if (r->has_cmp)
		return seccomp_rule_add_array(ctx, r->action, r->nr, 1, &cmp);
	return seccomp_rule_add(ctx, r->action, r->nr, 0);
}

static int
add_rules(scmp_filter_ctx ctx, const struct sysfilter_rule *rules, size_t n,
    char *why, size_t whylen)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (rules[i].nr < 0)	/* not a call of this architecture */
			continue;
		if ((rc = add_rule(ctx, &rules[i])) != 0)
			return sluice_why(why, whylen, SLUICE_EIO,
			    "seccomp: rule %zu (call %d): %s", i, rules[i].nr,
			    strerror(-rc));
	}
	return 0;
}

int
sysfilter_load(uint32_t default_action, const struct sysfilter_rule *rules,
    size_t nrules, char *why, size_t whylen)
{
	scmp_filter_ctx ctx = NULL;
	int r, rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "no_new_privs: %s",
		    strerror(errno));
	if ((ctx = seccomp_init(default_action)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM,
		    "seccomp_init failed");
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) != 0) {
		r = sluice_why(why, whylen, SLUICE_EIO, "seccomp: %s",
		    strerror(-rc));
		goto out;
	}
	if ((r = add_rules(ctx, rules, nrules, why, whylen)) != 0)
		goto out;
	if ((rc = seccomp_load(ctx)) != 0)
		r = sluice_why(why, whylen, SLUICE_EIO, "seccomp_load: %s",
		    strerror(-rc));
out:
	seccomp_release(ctx);
	return r;
}
