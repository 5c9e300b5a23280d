/*
 * sysfilter.h: a seccomp filter made from a table of rules (libseccomp),
 * one home for what the session sandbox (session/sandbox.h, an allowlist)
 * and the engine (engine/sandbox.h, a denylist) both do: set no_new_privs,
 * then load a filter whose default action and rules are data.
 *
 * Each rule names one system call (SCMP_SYS(name)), the action taken when it
 * matches (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(e), SCMP_ACT_KILL_PROCESS) and at
 * most one condition on one argument; several rules for one call with the
 * same action match when any of them does. A call the native architecture
 * does not have (SCMP_SYS gives a negative number) is skipped. A call made
 * under another architecture's convention (x32, i386 on x86_64) kills the
 * process.
 */
#ifndef SLUICE_SYSFILTER_H
#define SLUICE_SYSFILTER_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

struct sysfilter_rule {
	int		 nr;		/* SCMP_SYS(name) */
	uint32_t	 action;	/* SCMP_ACT_* */
	int		 has_cmp;	/* 1: matches only if cmp holds */
	int		 cmp_self;	/* 1: cmp's datum_a is our pid */
	struct scmp_arg_cmp cmp;
};

/* Table entries: a call allowed, allowed when argument a OP x (SCMP_CMP_*;
 * y is the second datum of SCMP_CMP_MASKED_EQ: arg & x == y), allowed when
 * argument a is the caller's pid, failed with errno e, killed. */
#define SYSF_ALLOW(name)	{ SCMP_SYS(name), SCMP_ACT_ALLOW, 0, 0, { 0 } }
#define SYSF_ALLOW_IF(name, a, op, x, y) \
	{ SCMP_SYS(name), SCMP_ACT_ALLOW, 1, 0, { a, op, x, y } }
#define SYSF_ALLOW_SELF(name, a) \
	{ SCMP_SYS(name), SCMP_ACT_ALLOW, 1, 1, { a, SCMP_CMP_EQ, 0, 0 } }
#define SYSF_ERRNO(name, e) \
	{ SCMP_SYS(name), SCMP_ACT_ERRNO(e), 0, 0, { 0 } }
#define SYSF_KILL(name)	{ SCMP_SYS(name), SCMP_ACT_KILL_PROCESS, 0, 0, { 0 } }
#define SYSF_KILL_IF(name, a, op, x, y) \
	{ SCMP_SYS(name), SCMP_ACT_KILL_PROCESS, 1, 0, { a, op, x, y } }

/* Sets no_new_privs, then loads the filter: default_action for every call
 * no rule matches. For the calling thread only (sluiced is single-threaded).
 * 0, or SLUICE_EIO / SLUICE_ENOMEM with errno's words in why. */
int sysfilter_load(uint32_t default_action, const struct sysfilter_rule *rules,
    size_t nrules, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
