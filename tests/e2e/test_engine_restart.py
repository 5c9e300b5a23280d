#!/usr/bin/env python3
"""The engine is supervised (issue 15): killed with SIGKILL, it is started
again by the parent, which ends the sessions that depended on it; a new
login works, the log says so and the new engine audits the restart. Mail it
was delivering through sendmail when it died is sent again by the new one
(at-least-once, docs/design.md section 7): the same bytes, then never
again. An engine that cannot start (its master key damaged) is tried with
back-off, then the parent gives up and exits 1 for systemd to act."""

import json
import os
import signal

from harness import main, eq, check
from crash import engine_pid, wait_for
import deliver as D
import mailbox
import story

T0 = "2027-06-10T09:00:00Z"
# A sendmail whose first call takes the message and then hangs until the
# test opens the gate; later calls deliver at once.
FAKE = """#!/bin/sh
d='%s'
n=$(cat "$d/calls" 2>/dev/null || echo 0)
n=$((n + 1))
cat > "$d/msg.$n"
echo "$n" > "$d/calls"
[ "$n" -eq 1 ] && read x < "$d/gate"
cat "$d/msg.$n" >> "$d/delivered"
exit 0
"""
KEY = "dspt-30:ORG-A:2027-06-30"


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def calls(w):
    try:
        with open(w.path("sm/calls")) as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def sendmail(w):
    os.mkdir(w.path("sm"))
    os.mkfifo(w.path("sm/gate"))
    mailbox.use_sendmail(w, FAKE % w.path("sm"))


def audit_restarts(w):
    out = w.ok("audrey", "audit", "export")
    return [json.loads(l) for l in out.splitlines() if '"action":"engine restart"' in l]


def test(w):
    sendmail(w)
    w.set_clock(T0)
    w.start()
    story.staff(w)
    old = wait_for("the engine's pid", lambda: engine_pid(w))
    # a session, open, holding its socket to this engine
    t, c = D.client(w, "olivia")
    eq(c.listdir("/inbox"), [], "olivia's inbox")
    held = D.session_pid(w, t)
    # `org dspt` queues a message; the worker's sendmail takes it and hangs
    story.organisation(w)
    wait_for("sendmail's first call", lambda: calls(w) == 1)

    os.kill(old, signal.SIGKILL)
    new = wait_for("a new engine", lambda: engine_pid(w) != old and engine_pid(w))
    log = D.full_log(w)
    warn = "sluiced[%d]: warning: [FAKE CLOCK] " % w.proc.pid
    check(warn + "engine %d killed by signal 9: ending the sessions; restarting it in "
          "100 ms\n" % old in log, "the death logged:\n" + log[-3000:])
    check(warn + "engine restarted: engine %d (the engine before killed by signal 9)\n" % new
          in log, "the restart logged:\n" + log[-3000:])
    # the session that held the dead engine's socket was ended
    wait_for("the old session ended", lambda: gone(held))
    wait_for("its client sees the end", lambda: not t.is_active())
    t.close()

    # a new login works, against the new engine
    eq(w.ok("root", "staff", "list").splitlines()[0].split("\t")[0], "user", "staff list header")
    rows = [{k: r[k] for k in ("actor", "action", "subject", "outcome", "details")}
            for r in audit_restarts(w)]
    eq(rows, [{"actor": "sluiced", "action": "engine restart", "subject": "",
               "outcome": "ok", "details": "the engine before killed by signal 9"}],
       "the restart in the audit log")

    # the message in delivery went again from the new engine, and went
    wait_for("the message sent", lambda: ("mail: sent %s to root@localhost" % KEY) in D.full_log(w))
    log = D.full_log(w)
    check("sluiced-engine[%d]: warning: [FAKE CLOCK] mail: %s to root@localhost was in "
          "delivery when the engine stopped: it goes again (at-least-once)\n" % (new, KEY)
          in log, "recovery logged")
    eq(calls(w), 2, "sendmail calls: the one cut short, the one after the restart")
    # the first sendmail outlived its worker, still waiting: let it finish
    fd = os.open(w.path("sm/gate"), os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, b"go\n")
    os.close(fd)
    with open(w.path("sm/msg.1"), "rb") as f1, open(w.path("sm/msg.2"), "rb") as f2:
        eq(f1.read(), f2.read(), "both attempts the same bytes (same Message-ID)")
    w.set_clock("2027-06-10T11:00:00Z")
    w.ok("audrey", "dashboard")
    eq(D.full_log(w).count("mail: delivering "), 2, "no third delivery")
    eq(calls(w), 2, "sendmail calls in the end")

    # a master key the engine cannot read: each new engine dies at once
    key = os.path.join(w.dir, "master.key")
    with open(key, "r+b") as f:
        f.truncate(31)
    os.kill(engine_pid(w), signal.SIGKILL)
    eq(w.proc.wait(60), 1, "the parent's exit status once it gives up")
    log = D.full_log(w)
    check("cannot read the 32-byte master key" in log, "the engine's reason logged")
    check("(the engine before exited with status 1)\n" in log, "a restart after a failure logged")
    check(warn.replace("warning: ", "error: ") + "the engine failed 5 times in a row (within 30 s "
          "of its start): giving up\n" in log, "giving up logged:\n" + log[-3000:])


if __name__ == "__main__":
    main(test)
