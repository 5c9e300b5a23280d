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


def penalty_entries(w, src):
    st, out, err = ssh_from(w, src, "audrey", "audit", "export")
    eq(st, 0, "audit export: " + err)
    return [e for e in map(json.loads, out.splitlines()) if e["action"] == "penalty"]


def one_penalty(w, reason):
    """Exactly one penalty line for 127.0.0.1, and one audit entry."""
    rx = r"penalty: 127\.0\.0\.1/32 refused for (\d+) s: %s$" % reason
    line = wait_log(w, rx, what="penalty line")
    refused_at_accept(w, QUIET, "127.0.0.1 in penalty")
    logs_in(w, OTHER, "another address during the penalty")
    eq(len([l for l in log(w).splitlines() if "penalty: 127.0.0.1" in l]), 1,
       "penalty lines for 127.0.0.1")
    secs = int(re.search(rx, line[0]).group(1))
    entries = penalty_entries(w, OTHER)
    eq([(e["actor"], e["subject"], e["outcome"], e["details"]) for e in entries],
       [("sluiced", "127.0.0.1/32", "deny",
         "%s: connections refused at accept for %d s" % (reason, secs))], "penalty audit")


def silent(w):
    w.set_conf(login_grace_time=600, noauth=10, exempt="")
    w.start()
    story.staff(w)
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


def test(w):
    silent(w)
    w2 = World()
    try:
        failed_logins(w2)
    except Exception:
        print("--- second daemon's log ---\n" + w2.logtext())
        raise
    finally:
        w2.close()


if __name__ == "__main__":
    main(test)
