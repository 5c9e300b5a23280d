#!/usr/bin/env python3
"""systemd's Type=notify (contrib/sluiced.service): with NOTIFY_SOCKET set,
sluiced run sends READY=1 once it listens (a connection succeeds at once,
without retrying, and gets a session) and STOPPING=1 when SIGTERM ends it,
then exits 0; an abstract socket ("@name") works too; a NOTIFY_SOCKET that is no socket address is
logged and the daemon serves regardless."""

import os
import signal
import socket
import subprocess
import time

from harness import main, eq, check, Failure

WAIT = 30       # seconds: a bound on each wait, never a pause


def listener(address):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(address)
    s.settimeout(WAIT)
    return s


def start(w, notify):
    env = dict(os.environ, NOTIFY_SOCKET=notify)
    w.log = open(os.path.join(w.tmp, "sluiced.log"), "ab")
    w.proc = subprocess.Popen([w.sluiced(), "run", "-d", w.dir, "--fake-clock", w.clock],
                              stdout=w.log, stderr=w.log, env=env)


def receive(s, want, what):
    try:
        eq(s.recv(4096), want, what)
    except socket.timeout:
        raise Failure("%s: no %r within %d s" % (what, want, WAIT))


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return set(int(p) for p in f.read().split())


def new_session(w, before):
    """The process the parent forks for a new connection (bounded wait)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        new = children(w.proc.pid) - before
        if new:
            return new.pop()
        time.sleep(0.01)
    raise Failure("no session process appeared for the connection")


def gone(w, pid):
    """Waits (bounded) until the parent has reaped session pid."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if pid not in children(w.proc.pid):
            return
        time.sleep(0.01)
    raise Failure("session %d did not end when its client went" % pid)


def stop(w, s, what):
    w.proc.send_signal(signal.SIGTERM)
    receive(s, b"STOPPING=1", what + ": on SIGTERM")
    eq(w.proc.wait(WAIT), 0, what + ": exit status")
    w.proc = None
    w.log.close()


def ready_then_listening(w):
    path = os.path.join(w.tmp, "notify")
    s = listener(path)
    start(w, path)
    receive(s, b"READY=1", "path socket")
    before = children(w.proc.pid)
    c = socket.create_connection(("127.0.0.1", w.port), WAIT)  # once: no retry
    session = new_session(w, before)
    c.close()
    gone(w, session)
    stop(w, s, "path socket")
    s.close()


def abstract(w):
    name = "@sluice-notify-%d" % os.getpid()
    s = listener("\0" + name[1:])
    start(w, name)
    receive(s, b"READY=1", "abstract socket")
    stop(w, s, "abstract socket")
    s.close()


def listening(w):
    """Connects, retrying until the daemon listens (bounded)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        check(w.proc.poll() is None, "sluiced exited: " + w.logtext())
        try:
            socket.create_connection(("127.0.0.1", w.port), WAIT).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Failure("sluiced did not listen")


def not_a_socket(w):
    start(w, "relative/path")
    listening(w)
    w.proc.send_signal(signal.SIGTERM)
    eq(w.proc.wait(WAIT), 0, "bad NOTIFY_SOCKET: exit status")
    w.proc = None
    w.log.close()
    check("NOTIFY_SOCKET relative/path: not a socket path; READY=1 not sent" in w.logtext(),
          "bad NOTIFY_SOCKET logged: " + w.logtext())


def test(w):
    ready_then_listening(w)
    abstract(w)
    not_a_socket(w)


if __name__ == "__main__":
    main(test)
