#!/usr/bin/env python3
"""Issue 16: per-source limits and penalties, on a real daemon.

- 50 silent TCP connections held open from 127.0.0.1 (each a session process
  waiting for the client's banner): a login from 127.0.0.2 succeeds; held up
  to per_source_max_startups (100), the next one from 127.0.0.1 is closed at
  accept, logged once, while 127.0.0.2 still logs in. Closed, they earn
  127.0.0.1 a penalty ("left without authenticating"): one log line, one
  audit entry; 127.0.0.1 is then refused at accept (EOF before any byte,
  not even the SSH banner), 127.0.0.2 is not.
- 30 failed logins (a key nobody registered) from 127.0.0.1 put it in
  penalty ("failed authentication"): the next connection from it reads EOF
  before any byte, 127.0.0.2 still logs in, the log has exactly one penalty
  line for 127.0.0.1 and no line per refused connection, the audit one entry
  (actor sluiced, action penalty, subject 127.0.0.1/32, outcome deny).
- Other endings, each from its own address: four connections that send an
  SSH banner and then garbage ("broke the key exchange", 5 s each), two
  silent ones that wait out a login_grace_time of 1 s ("login grace time
  exceeded", 10 s each, and the server closes them): one penalty each.

No timing: the penalties configured here last a minute or more from their
start, and every wait is for an event (a log line), bounded."""

import json
import os
import re
import socket
import time

from harness import World, main, eq, check, run
import story

QUIET = "127.0.0.1"
OTHER = "127.0.0.2"


def log(w):
    with open(os.path.join(w.tmp, "sluiced.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def wait_log(w, pattern, count=1, what=""):
    """Waits (bounded) until pattern matches count lines of the log."""
    rx = re.compile(pattern)
    got = []
    for _ in range(600):
        got = [l for l in log(w).splitlines() if rx.search(l)]
        if len(got) >= count:
            return got
        time.sleep(0.05)
    raise AssertionError("%s: %d of %d log lines match %r\n%s" % (what, len(got), count,
                                                                pattern, log(w)[-4000:]))


def connect_from(w, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(30)
    s.connect(("127.0.0.1", w.port))
    return s


def refused_at_accept(w, src, what):
    """A connection from src reads EOF before any byte: not even a banner."""
    s = connect_from(w, src)
    try:
        eq(s.recv(256), b"", what + ": bytes before EOF")
    finally:
        s.close()


def ssh_from(w, src, who, *words):
    argv = ["ssh"] + w.ssh_opts(who) + ["-b", src, "-p", str(w.port), "-l", who,
                                        "127.0.0.1", "--", " ".join(words)]
    return run(argv)


def logs_in(w, src, what):
    st, out, err = ssh_from(w, src, w.admin, "help")
    eq(st, 0, "%s: login from %s: %s" % (what, src, err))
    check("staff" in out, "%s: help answered: %r" % (what, out[:200]))


def hold_silent(w, socks, n):
    """Opens connections from QUIET until n are held, each with its session."""
    while len(socks) < n:
        socks.append(connect_from(w, QUIET))
    for s in socks:
        wait_log(w, r"connection from 127\.0\.0\.1:%d: session \d+$" % s.getsockname()[1],
                 what="session of a silent connection")


def penalty_entries(w, src, subject):
    st, out, err = ssh_from(w, src, "audrey", "audit", "export")
    eq(st, 0, "audit export: " + err)
    return [e for e in map(json.loads, out.splitlines())
            if e["action"] == "penalty" and e["subject"] == subject]


def read_to_eof(s):
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            return got
        got += b


def one_penalty(w, reason):
    """Exactly one penalty line for 127.0.0.1, and one audit entry."""
    rx = r"penalty: 127\.0\.0\.1/32 refused for (\d+) s: %s$" % reason
    line = wait_log(w, rx, what="penalty line")
    refused_at_accept(w, QUIET, "127.0.0.1 in penalty")
    logs_in(w, OTHER, "another address during the penalty")
    eq(len([l for l in log(w).splitlines() if "penalty: 127.0.0.1" in l]), 1,
       "penalty lines for 127.0.0.1")
    secs = int(re.search(rx, line[0]).group(1))
    entries = penalty_entries(w, OTHER, "127.0.0.1/32")
    eq([(e["actor"], e["subject"], e["outcome"], e["details"]) for e in entries],
       [("sluiced", "127.0.0.1/32", "deny",
         "%s: connections refused at accept for %d s" % (reason, secs))], "penalty audit")


def silent(w):
    w.set_conf(login_grace_time=600, noauth=10, exempt="")
    w.start()
    story.staff(w)
    broken_kex(w, "127.0.0.4")
    socks = []
    try:
        hold_silent(w, socks, 50)
        logs_in(w, OTHER, "with 50 silent connections from 127.0.0.1")
        hold_silent(w, socks, 100)
        refused_at_accept(w, QUIET, "the 101st silent connection")
        wait_log(w, r"dropping 127\.0\.0\.1:\d+: per_source_max_startups reached "
                 r"\(\d+ sessions, 100 unauthenticated\)", what="the drop")
        logs_in(w, OTHER, "with 100 silent connections from 127.0.0.1")
    finally:
        for s in socks:
            s.close()
    one_penalty(w, "left without authenticating")
    eq(len([l for l in log(w).splitlines() if "dropping" in l]), 1, "dropping lines")


def broken_kex(w, src):
    """Four connections that send a banner, then bytes no packet starts with."""
    for _ in range(4):
        s = connect_from(w, src)
        s.sendall(b"SSH-2.0-probe\r\n" + b"\xff" * 64)
        check(read_to_eof(s).startswith(b"SSH-2.0-"), "the server's banner, then EOF")
        s.close()
    wait_log(w, r"penalty: %s/32 refused for \d+ s: broke the key exchange$"
             % re.escape(src), what="broken key exchanges")
    refused_at_accept(w, src, "after broken key exchanges")


def grace(w):
    """Two silent connections that wait out login_grace_time."""
    w.set_conf(login_grace_time=1)
    w.start()
    socks = [connect_from(w, "127.0.0.3") for _ in range(2)]
    for s in socks:
        check(read_to_eof(s).startswith(b"SSH-2.0-"), "banner, then the server's close")
        s.close()
    wait_log(w, r"penalty: 127\.0\.0\.3/32 refused for \d+ s: login grace time exceeded$",
             what="grace exceeded")
    refused_at_accept(w, "127.0.0.3", "after the grace time ran out")


def failed_logins(w):
    # Ten seconds a failure, active past a minute: it starts at the sixth
    # or seventh failure (the harness's probe of the port left a second) and
    # outlasts the checks.
    w.set_conf(authfail=10, min=60, exempt="")
    w.start()
    story.staff(w)
    w.keygen("mallory")
    denied = 0
    for i in range(30):
        argv = ["ssh"] + w.ssh_opts("mallory") + ["-b", QUIET, "-p", str(w.port),
                                                  "-l", w.admin, "127.0.0.1", "help"]
        st, out, err = run(argv)
        eq(st, 255, "failed login %d: %s" % (i, err))
        denied += "Permission denied (publickey)" in err
    check(6 <= denied < 30, "%d of 30 logins refused by the key, the rest at accept" % denied)
    one_penalty(w, "failed authentication")
    check("dropping" not in log(w), "no line per refused connection")


def another(fn):
    """fn on a daemon of its own."""
    w = World()
    try:
        fn(w)
    except Exception:
        print("--- %s's daemon log ---\n%s" % (fn.__name__, w.logtext()))
        raise
    finally:
        w.close()


def test(w):
    silent(w)
    another(failed_logins)
    another(grace)


if __name__ == "__main__":
    main(test)
