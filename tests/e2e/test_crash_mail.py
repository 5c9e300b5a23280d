#!/usr/bin/env python3
"""Crash consistency of mail delivery through sendmail (issue 16; the
design's words, docs/design.md sections 5 and 7: "nothing is lost, and
nothing is sent twice but a message sendmail was given when the engine
died", at-least-once with the same Message-ID).

For each way to cut (crash.py), four messages to staff, each an
organisation's DSPT warning: H is delivered alone while sendmail holds it
(call held until the test lets it go), and B and C are queued meanwhile;
let go, H is recorded sent and B and C go in one batch, B recorded sent and
C held in sendmail; D is queued. Then the cut, and the daemon runs again.
After each: integrity_check and `audit verify` pass; the new engine says C
was in delivery and sends C and D; H and B, recorded before the cut, never
go again. The cut sendmail, when it outlived the cut (engine, parent), is
let finish: the mailbox then holds C twice, the same bytes and Message-ID;
when it died with the daemon (all), once. Every other message exactly
once, every outbox row sent. Hours later, nothing more goes."""

import hashlib
import os
import re

from harness import main, eq, check
import crash
import deliver as D
import mailbox
import story

T0 = "2027-06-10T09:00:00Z"
DSPT = "2027-06-30"
TO = "root@localhost"
# Call N keeps its message as msg.N; while hold.N exists it waits for go.N
# (held.N made once it has the whole message), at most a minute; then it
# delivers: the message appended to delivered, done.N made.
FAKE = """#!/bin/sh
d='%s'
n=$(cat "$d/calls" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$d/calls"
cat > "$d/msg.$n"
if [ -e "$d/hold.$n" ]; then
	: > "$d/held.$n"
	i=0
	while [ ! -e "$d/go.$n" ]; do
		i=$((i + 1))
		[ "$i" -gt 1200 ] && exit 75
		sleep 0.05
	done
fi
cat "$d/msg.$n" >> "$d/delivered"
: > "$d/done.$n"
exit 0
"""


def sm(w, name):
    return w.path(os.path.join("sm", name))


def calls(w):
    try:
        with open(sm(w, "calls")) as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def touch(w, name):
    with open(sm(w, name), "w"):
        pass


def sent(w, key):
    """How many times the log says key was recorded sent."""
    return D.full_log(w).count("mail: sent %s to %s\n" % (key, TO))


def queue(w, org):
    """A DSPT warning for a new organisation (no recipient: it goes to
    staff); returns its dedupe key."""
    w.ok("olivia", "org", "add", org, "--name", org + " Ltd", "--type", "University")
    w.ok("olivia", "org", "dspt", org, "--status", "standards-met", "--expires", DSPT)
    return "dspt-30:%s:%s" % (org, DSPT)


def message_id(w, key):
    """The Message-ID every attempt of key carries: the outbox id and the
    key's hash (mail_send.c)."""
    (oid,), = crash.query(w, "SELECT id FROM outbox WHERE dedupe_key = ?", (key,))
    return "<sluice.%d.%s@localhost>" % (oid, hashlib.sha256(key.encode()).hexdigest()[:16])


def delivered(w):
    """The mailbox: each message sendmail delivered, in order."""
    try:
        with open(sm(w, "delivered"), "rb") as f:
            text = f.read().decode()
    except OSError:
        return []
    return re.split(r"(?m)^(?=Date: )", text)[1:]


def copies(w, key):
    mid = message_id(w, key)
    return [m for m in delivered(w) if "\nMessage-ID: %s\n" % mid in m]


def before_cut(w, how):
    """H delivered, then B, with C held in sendmail and D queued; returns
    the keys and the number of C's call."""
    base = calls(w)
    touch(w, "hold.%d" % (base + 1))
    h = queue(w, "ORG-%s-H" % how)
    crash.wait_for("H held", lambda: os.path.exists(sm(w, "held.%d" % (base + 1))))
    b, c = queue(w, "ORG-%s-B" % how), queue(w, "ORG-%s-C" % how)
    touch(w, "hold.%d" % (base + 3))
    touch(w, "go.%d" % (base + 1))
    crash.wait_for("C held", lambda: os.path.exists(sm(w, "held.%d" % (base + 3))))
    crash.wait_for("H and B recorded sent", lambda: sent(w, h) == 1 and sent(w, b) == 1)
    d = queue(w, "ORG-%s-D" % how)
    eq(crash.query(w, "SELECT dedupe_key, delivering, sent_at IS NOT NULL FROM outbox "
                   "WHERE dedupe_key IN (?, ?, ?, ?) ORDER BY id", (h, b, c, d)),
       [(h, 0, 1), (b, 0, 1), (c, 1, 0), (d, 0, 0)], how + ": the outbox before the cut")
    return (h, b, c, d), base + 3


def after_cut(w, how, keys, held):
    h, b, c, d = keys
    crash.wait_for("C and D sent again", lambda: sent(w, c) == 1 and sent(w, d) == 1)
    crash.consistent(w, how)
    log = D.full_log(w)
    eq([k for k in keys if "mail: %s to %s was in delivery when the engine stopped: it goes "
        "again (at-least-once)\n" % (k, TO) in log], [c], how + ": what the new engine resent")
    outlived = how != "all"
    if outlived:
        touch(w, "go.%d" % held)
        crash.wait_for("the cut sendmail done", lambda: os.path.exists(sm(w, "done.%d" % held)))
    else:
        check(not os.path.exists(sm(w, "done.%d" % held)), "all: the cut sendmail died")
    eq([len(copies(w, k)) for k in keys], [1, 1, 2 if outlived else 1, 1],
       how + ": copies of H, B, C, D in the mailbox")
    with open(sm(w, "msg.%d" % held)) as f:
        eq(copies(w, c)[0], f.read(), how + ": C as the cut call had it")
    eq(len(set(copies(w, c))), 1, how + ": every copy of C the same bytes")
    eq(calls(w), held + 2, how + ": sendmail calls (C again, then D)")
    eq(crash.query(w, "SELECT dedupe_key, attempts, delivering, sent_at IS NOT NULL FROM "
                   "outbox WHERE dedupe_key IN (?, ?, ?, ?) ORDER BY id", keys),
       [(k, 1, 0, 1) for k in keys], how + ": the outbox after")


def test(w):
    os.mkdir(w.path("sm"))
    mailbox.use_sendmail(w, FAKE % w.path("sm"))
    w.set_clock(T0)
    w.start()
    story.staff(w)
    story.organisation(w)   # ORG-A's DSPT warning, delivered at once
    crash.wait_for("ORG-A's warning sent", lambda: sent(w, "dspt-30:ORG-A:" + DSPT) == 1)
    for how, cut in crash.CUTS:
        keys, held = before_cut(w, how.upper())
        cut(w)
        after_cut(w, how, keys, held)
    runs = D.full_log(w).count("mail: delivering ")
    w.set_clock("2027-06-10T12:00:00Z")
    w.ok("audrey", "dashboard")
    eq(D.full_log(w).count("mail: delivering "), runs, "no delivery hours later")
    eq(crash.query(w, "SELECT count(*), count(sent_at) FROM outbox"), [(13, 13)],
       "every message queued was sent")
    eq(len(delivered(w)), 15, "the mailbox: 13 messages, C of engine and parent twice")


if __name__ == "__main__":
    main(test)
