#!/usr/bin/env python3
"""The sendmail transport: a program that fails three times (exit 75) then
succeeds delivers the message once, retried with backoff 1, 2, 4 minutes,
each attempt the same bytes (same Message-ID), argv without a shell. Each
attempt runs in a delivery worker, the engine answering meanwhile: the test
waits for the workers the daemon logs to be done before it counts."""

import os
import time

from harness import main, eq, check
import mailbox
import story

T0 = "2027-06-10T09:00:00Z"
FAKE = """#!/bin/sh
# A sendmail that fails three times (EX_TEMPFAIL) and then takes the message.
d='%s'
n=$(cat "$d/calls" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$d/calls"
echo "$*" >> "$d/argv"
cat > "$d/msg.$n"
[ "$n" -le 3 ] && exit 75
cat "$d/msg.$n" >> "$d/delivered"
exit 0
"""


def calls(w):
    try:
        with open(w.path("sm/calls")) as f:
            return int(f.read())
    except OSError:
        return 0


def log(w):
    with open(os.path.join(w.tmp, "sluiced.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def settled(w):
    """The number of delivery workers started, once each has ended (bounded
    wait). The engine logs a worker's start before it answers the request
    that started it, so none is missed."""
    for _ in range(1200):
        text = log(w)
        runs = text.count("mail: delivering ")
        if text.count("mail: delivery worker ") == runs:
            return runs
        time.sleep(0.05)
    raise AssertionError("delivery workers still running:\n" + log(w)[-4000:])


def at(w, when, want, what):
    w.set_clock(when)
    w.ok("audrey", "dashboard")
    eq(settled(w), want, "delivery workers at %s (%s)" % (when, what))
    eq(calls(w), want, "sendmail calls at %s (%s)" % (when, what))


def test(w):
    os.mkdir(w.path("sm"))
    mailbox.use_sendmail(w, FAKE % w.path("sm"))
    w.set_clock(T0)
    w.start()
    story.staff(w)
    # The DSPT expires 2027-06-30: within 30 days, so `org dspt` queues one
    # message to ORG-A (no recipient yet: staff, said so) and staff.
    story.organisation(w)
    eq(settled(w), 1, "one delivery worker")
    eq(calls(w), 1, "first attempt, when the message is queued")
    at(w, "2027-06-10T09:00:59Z", 1, "backoff: 1 minute not yet over")
    at(w, "2027-06-10T09:01:00Z", 2, "second attempt after 1 minute")
    at(w, "2027-06-10T09:02:59Z", 2, "backoff: 2 minutes not yet over")
    at(w, "2027-06-10T09:03:00Z", 3, "third attempt after 2 more minutes")
    at(w, "2027-06-10T09:06:59Z", 3, "backoff: 4 minutes not yet over")
    w.stop()
    w.start()
    at(w, "2027-06-10T09:07:00Z", 4, "fourth attempt (after a restart) succeeds")
    at(w, "2027-06-10T10:30:00Z", 4, "delivered: never again")
    at(w, "2027-06-11T10:30:00Z", 4, "the next day: still once")
    with open(w.path("sm/delivered"), "rb") as f:
        delivered = f.read()
    eq(delivered.count(b"\nMessage-ID: "), 1, "one message delivered")
    msgs = [open(w.path("sm/msg.%d" % i), "rb").read() for i in range(1, 5)]
    eq(msgs, [delivered] * 4, "every attempt the same bytes")
    check(b"\nSubject: [sluice] ORG-A: DSPT expires in 20 days (2027-06-30)\n" in delivered,
          "subject:\n" + delivered.decode())
    check(b"\nTo: root@localhost\n" in delivered, "To:\n" + delivered.decode())
    check(b"(No recipient of ORG-A has an e-mail address registered" in delivered,
          "the body says why staff got it")
    with open(w.path("sm/argv")) as f:
        eq(f.read(), "-i -- root@localhost\n" * 4, "sendmail argv")


if __name__ == "__main__":
    main(test)
