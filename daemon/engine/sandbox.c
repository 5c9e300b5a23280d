/* CLONE_NEW* */
#define _GNU_SOURCE
#include <sys/prctl.h>

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "engine/sandbox.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sysfilter.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

#define KILL_CLONE_FLAG(f)	SYSF_KILL_IF(clone, 0, SCMP_CMP_MASKED_EQ, f, f)

/* The engine's denylist: everything else is allowed. */
static const struct sysfilter_rule engine_rules[] = {
	/* Other processes' memory. */
	SYSF_KILL(ptrace),
	SYSF_KILL(process_vm_readv),
	SYSF_KILL(process_vm_writev),
	SYSF_KILL(kcmp),
	SYSF_KILL(pidfd_getfd),
	/* Mounts and namespaces. */
	SYSF_KILL(mount),
	SYSF_KILL(umount2),
	SYSF_KILL(pivot_root),
	SYSF_KILL(chroot),
	SYSF_KILL(open_tree),
	SYSF_KILL(move_mount),
	SYSF_KILL(fsopen),
	SYSF_KILL(fsconfig),
	SYSF_KILL(fsmount),
	SYSF_KILL(fspick),
	SYSF_KILL(mount_setattr),
	SYSF_KILL(unshare),
	SYSF_KILL(setns),
	KILL_CLONE_FLAG(CLONE_NEWNS),
	KILL_CLONE_FLAG(CLONE_NEWCGROUP),
	KILL_CLONE_FLAG(CLONE_NEWUTS),
	KILL_CLONE_FLAG(CLONE_NEWIPC),
	KILL_CLONE_FLAG(CLONE_NEWUSER),
	KILL_CLONE_FLAG(CLONE_NEWPID),
	KILL_CLONE_FLAG(CLONE_NEWNET),
	KILL_CLONE_FLAG(CLONE_NEWTIME),
	SYSF_ERRNO(clone3, ENOSYS),
	/* The kernel itself. */
	SYSF_KILL(kexec_load),
	SYSF_KILL(kexec_file_load),
	SYSF_KILL(init_module),
	SYSF_KILL(finit_module),
	SYSF_KILL(delete_module),
	SYSF_KILL(bpf),
	SYSF_KILL(perf_event_open),
	SYSF_KILL(userfaultfd),
	SYSF_KILL(keyctl),
	SYSF_KILL(add_key),
	SYSF_KILL(request_key),
	SYSF_KILL_IF(personality, 0, SCMP_CMP_NE, 0xffffffffu, 0),
	SYSF_ERRNO(io_uring_setup, ENOSYS),
	SYSF_ERRNO(io_uring_enter, ENOSYS),
	SYSF_ERRNO(io_uring_register, ENOSYS),
	/* The machine's administration. */
	SYSF_KILL(reboot),
	SYSF_KILL(swapon),
	SYSF_KILL(swapoff),
	SYSF_KILL(acct),
	SYSF_KILL(syslog),
	SYSF_KILL(settimeofday),
	SYSF_KILL(clock_settime),
	SYSF_KILL(clock_adjtime),
	SYSF_KILL(adjtimex),
	SYSF_KILL(sethostname),
	SYSF_KILL(setdomainname),
	SYSF_KILL(iopl),
	SYSF_KILL(ioperm),
	SYSF_KILL(open_by_handle_at),
	SYSF_KILL(quotactl),
	SYSF_KILL(uselib),
	SYSF_KILL(vhangup),
};

int
engine_sandbox_apply(void)
{
	char why[256] = "";
	int r;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		r = sluice_why(why, sizeof(why), SLUICE_EIO, "not dumpable: %s",
		    strerror(errno));
	else
		r = sysfilter_load(SCMP_ACT_ALLOW, engine_rules,
		    sizeof(engine_rules) / sizeof(engine_rules[0]), why,
		    sizeof(why));
	if (r != 0)
		log_errx("engine: sandbox: %s", why);
	return r;
}
