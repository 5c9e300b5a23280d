/*
 * exitcode.h: how a session process ended, told to the parent by its exit
 * status (as OpenSSH's sshd-session tells sshd). The parent penalises the
 * source of a session that ended before authenticating (parent/penalty.h);
 * an authenticated session earns nothing, whatever its status.
 */
#ifndef SLUICE_EXITCODE_H
#define SLUICE_EXITCODE_H

enum session_exit {
	SESSION_EXIT_OK = 0,		/* authenticated, ended cleanly */
	SESSION_EXIT_ERROR = 1,		/* authenticated, ended on an error */
	SESSION_EXIT_NOAUTH = 2,	/* left before trying to authenticate */
	SESSION_EXIT_AUTHFAIL = 3,	/* offered credentials, none accepted */
	SESSION_EXIT_GRACE = 4,		/* login_grace_time ran out */
	SESSION_EXIT_PROTOCOL = 5,	/* sent an SSH banner, broke the key
					 * exchange */
};

#endif
