#!/usr/bin/env python3
"""A session the engine drops for a reason is killed by the parent
(IPC_END_SESSION, daemon/parent/endsession.h), against the real daemon.

olivia opens an upload to /inbox with paramiko and writes a little of it;
then the upload's file on disk grows far past its grant, as a session broken
into would make it grow through the descriptor it holds (the test extends
the file itself: a real session writes only what it was granted). The
engine's check of the grants drops the session; the session process, idle
and waiting for its client (it would never notice the end of its socket),
is killed with SIGKILL by the parent, which logs one line naming its pid and
the engine's reason. Asserted: the engine's and the parent's log lines
exactly, the pid gone, no "died of signal" line for it, the refusal
audited, the upload gone, and the daemon serving others (a put by abby
kept)."""

import os
import re

from harness import main, eq, check
from crash import wait_for
import deliver as D
import story

MiB = 1024 * 1024
PAST = 64 * MiB          # far past the first grant (8 MiB) and its slack
# what the first grant lets reach the disk: 8 MiB of plaintext sealed (its
# age payload) and 1 MiB of slack for the block under way
GRANT = 9439248


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def upload_file(w):
    """The one upload under way in DIR/inbox."""
    names = [f for f in w.inbox_files() if f.startswith(".upload-")]
    eq(len(names), 1, "uploads under way")
    return os.path.join(w.dir, "inbox", names[0])


def killed_line(w, pid):
    tag = "session %d killed: the engine dropped it: " % pid
    lines = [l.split(tag)[1] for l in D.full_log(w).splitlines() if tag in l]
    return lines[0] if len(lines) == 1 else None


def hostile_upload(w):
    t, c = D.client(w, "olivia")
    pid = D.session_pid(w, t)
    port = D.local_port(t)
    f = c.open("/inbox/hostile.csv", "wb")
    f.write(b"a,b\n" * 256)
    f.flush()                 # the session asked IPC_ROOM and wrote it
    path = upload_file(w)
    os.truncate(path, PAST)   # the hostile write past the grant
    why = wait_for("the parent's kill", lambda: killed_line(w, pid))
    eq(why, "upload to /inbox/hostile.csv wrote %d bytes, past the %d bytes its grant "
       "allows" % (PAST, GRANT), "the reason")
    log = D.full_log(w)
    check("engine: session 127.0.0.1:%d dropped: %s" % (port, why) in log,
          "the engine's drop line")
    wait_for("session %d gone" % pid, lambda: gone(pid))
    check("session %d died of signal" % pid not in D.full_log(w), "no second line")
    eq(len(re.findall(r"session %d killed" % pid, D.full_log(w))), 1, "one kill line")
    check(not os.path.exists(path), "the upload is removed")
    entries = D.pick(D.audit(w), actor="olivia", action="inbox put", subject="hostile.csv",
                     outcome="refused")
    eq(len(entries), 1, "the refusal audited")
    check(entries[0]["details"].endswith("its grant allows: session dropped"),
          "audit details: " + entries[0]["details"])
    t.close()


def test(w):
    w.start()
    story.staff(w)
    hostile_upload(w)
    eq("hostile.csv" in w.inbox_names("olivia"), False, "nothing kept of the upload")
    w.put("abby", w.write("after.csv", "x,y\n1,2\n"))
    eq(w.inbox_names("abby"), ["after.csv"], "the daemon still serves others")
    check("not a session of ours" not in D.full_log(w), "no refused kill")


if __name__ == "__main__":
    main(test)
