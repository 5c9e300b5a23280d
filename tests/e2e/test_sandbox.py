#!/usr/bin/env python3
"""Issue 16: sandboxed sessions, an engine under its own filter, no inherited
descriptors. With the daemon run as root (as the tests are), asserted:

- a live session process, before authentication and after it, has in
  /proc/PID/status Seccomp 2, NoNewPrivs 1, no capabilities, every uid and
  gid the sluice user's (not 0) and no supplementary group; its root is
  DIR/empty; its descriptors are exactly /dev/null twice, the log, the
  client's TCP socket, its engine socket and (until it authenticates) its
  auth pipe; its limits are 0 processes, 0 core, and open files = highest
  descriptor + 1 + 1024;
- the engine has NoNewPrivs 1 and Seccomp 2;
- a descriptor the daemon inherited is closed in the parent and never
  reaches a session;
- a session killed by SIGSYS (what the seccomp filter does to a forbidden
  call; the filter's kills themselves are tests/unit/test_sandbox.c's) is
  logged once as "died of signal 31" and the daemon carries on: an admin
  command answers and a new session is sandboxed again;
- run as an unprivileged user, the daemon logs exactly one warning that
  sessions are not confined, and its sessions still have Seccomp 2 and
  NoNewPrivs 1, with root "/" and that user's uid."""

import os
import pwd
import re
import shutil
import signal
import socket

from harness import World, check, eq, main, wait_for
import deliver as D

USER = "sluice"
PASSED_FILES = 4 * 256	# session channels x SFTP handles (sandbox.c)


def proc_status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def proc_fds(pid):
    d = "/proc/%d/fd" % pid
    return {int(n): os.readlink(os.path.join(d, n)) for n in os.listdir(d)}


def proc_limit(pid, name):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith(name):
                return line[len(name):].split()[:2]
    return None


def logged_pid(w, pattern):
    m = re.findall(pattern, D.full_log(w))
    return int(m[-1]) if m else None


def banner_session(w):
    """A raw connection answered with the server's banner, so its session
    process is past its sandbox; returns (socket, session pid)."""
    s = socket.create_connection(("127.0.0.1", w.port), 10)
    s.sendall(b"SSH-2.0-sandbox-probe\r\n")
    got = b""
    while b"\n" not in got:
        chunk = s.recv(256)
        check(chunk, "connection closed before the server's banner")
        got += chunk
    check(got.startswith(b"SSH-2.0-"), "server banner: %r" % got[:40])
    tag = r"connection from 127\.0\.0\.1:%d: session (\d+)" % s.getsockname()[1]
    return s, wait_for("the session's log line", lambda: logged_pid(w, tag))


def fd_kind(target):
    return target.split(":")[0] if target.startswith(("socket:", "pipe:")) else target


def check_descriptors(w, pid, authed, what):
    """Before authentication: the auth pipe too, the highest descriptor the
    one the limit was set from."""
    if authed:
        # The session closes its auth pipe just after it answers the login.
        wait_for("the auth pipe to close", lambda: not any(
            t.startswith("pipe:") for t in proc_fds(pid).values()))
    fds = proc_fds(pid)
    log = os.path.join(w.tmp, "sluiced.log")
    eq([fds.get(0), fds.get(1), fds.get(2)], ["/dev/null", "/dev/null", log],
       what + ": descriptors 0-2")
    eq(sorted(fd_kind(t) for fd, t in fds.items() if fd > 2),
       ["socket", "socket"] if authed else ["pipe", "socket", "socket"],
       what + ": other descriptors")
    if not authed:
        n = str(max(fds) + 1 + PASSED_FILES)
        eq(proc_limit(pid, "Max open files"), [n, n], what + ": open files limit")


def check_sandboxed(w, pid, what, authed=False):
    """The session process pid, as root runs it."""
    pw = pwd.getpwnam(USER)
    check(pw.pw_uid != 0, "the sluice user is not root")
    st = proc_status(pid)
    eq((st["Seccomp"], st["NoNewPrivs"], st["CapEff"]), ("2", "1", "0" * 16),
       what + ": Seccomp, NoNewPrivs, CapEff")
    eq(st["Uid"].split(), [str(pw.pw_uid)] * 4, what + ": uids")
    eq(st["Gid"].split(), [str(pw.pw_gid)] * 4, what + ": gids")
    eq(st["Groups"], "", what + ": supplementary groups")
    eq(os.readlink("/proc/%d/root" % pid), os.path.realpath(os.path.join(w.dir, "empty")),
       what + ": root")
    check_descriptors(w, pid, authed, what)
    eq(proc_limit(pid, "Max processes"), ["0", "0"], what + ": processes limit")
    eq(proc_limit(pid, "Max core file size"), ["0", "0"], what + ": core limit")


def check_engine(w):
    pid = wait_for("the engine's ready line",
                   lambda: logged_pid(w, r"sluiced-engine\[(\d+)\]: .*engine: ready"))
    st = proc_status(pid)
    eq((st["NoNewPrivs"], st["Seccomp"]), ("1", "2"), "engine NoNewPrivs, Seccomp")


def check_inherited_closed(w, secret):
    targets = proc_fds(w.proc.pid).values()
    check(secret not in targets, "the parent kept an inherited descriptor: %r" % targets)


def sigsys_session(w):
    s, pid = banner_session(w)
    os.kill(pid, signal.SIGSYS)
    line = "session %d died of signal %d" % (pid, signal.SIGSYS)
    wait_for("the parent's word of the dead session", lambda: line in D.full_log(w))
    eq(D.full_log(w).count(line), 1, "lines about the dead session")
    s.close()
    D.daemon_alive(w)
    st, out, err = w.ssh("root", "help")
    eq((st, err), (0, ""), "an admin command after the kill")
    check("staff add" in out, "help lists staff add: " + out)


def as_root(w):
    secret = w.write("inherited-secret", "not for sessions")
    fd = os.open(secret, os.O_RDONLY)
    try:
        w.start(pass_fds=(fd,))
    finally:
        os.close(fd)
    pw = pwd.getpwnam(USER)
    line = "sessions run as uid %d in %s" % (pw.pw_uid, os.path.join(w.dir, "empty"))
    check(line in D.full_log(w), "no line %r:\n%s" % (line, w.logtext()))
    check_inherited_closed(w, secret)
    check_engine(w)
    s, pid = banner_session(w)
    check_sandboxed(w, pid, "session before authentication")
    s.close()
    t = D.transport(w, "root")
    check_sandboxed(w, D.session_pid(w, t), "authenticated session", authed=True)
    t.close()
    sigsys_session(w)
    s, pid = banner_session(w)
    check_sandboxed(w, pid, "session after a kill")
    s.close()


def unprivileged():
    """The daemon run as the sluice user: one warning, the filter stays."""
    w = World()
    try:
        pw = pwd.getpwnam(USER)
        os.chmod(w.tmp, 0o711)
        os.chmod(w.clock, 0o644)
        for top, dirs, files in os.walk(w.dir):
            for name in [top] + [os.path.join(top, n) for n in dirs + files]:
                os.lchown(name, pw.pw_uid, pw.pw_gid)
        # a copy the sluice user can reach: the checkout may be where it
        # cannot (a clone in /root, mode 0700)
        binary = os.path.join(w.tmp, "sluiced")
        shutil.copy(w.sluiced(), binary)
        os.chmod(binary, 0o755)
        w.start(binary=binary, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        socks = [banner_session(w) for _ in range(2)]
        for s, pid in socks:
            st = proc_status(pid)
            eq((st["Seccomp"], st["NoNewPrivs"]), ("2", "1"), "unprivileged session")
            eq(st["Uid"].split(), [str(pw.pw_uid)] * 4, "unprivileged session uids")
            eq(os.readlink("/proc/%d/root" % pid), "/", "unprivileged session root")
            eq(proc_limit(pid, "Max processes"), ["0", "0"], "unprivileged processes limit")
            s.close()
        check_engine(w)
        warn = ("warning: [FAKE CLOCK] not running as root: sessions keep uid %d and "
                "are not confined to a directory; seccomp, no_new_privs and rlimits "
                "still apply" % pw.pw_uid)
        lines = [l for l in D.full_log(w).splitlines() if "not running as root" in l]
        eq([l.split("]: ", 1)[1] for l in lines], [warn], "the unprivileged warning")
        eq(w.ssh("root", "help")[0], 0, "an admin command, unprivileged")
    finally:
        w.close()


def test(w):
    as_root(w)
    unprivileged()
    log = D.full_log(w)
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer", "session sandbox:",
                "engine: sandbox:"):
        check(bad not in log, "daemon log has %r" % bad)


if __name__ == "__main__":
    main(test)
