#!/usr/bin/env python3
"""Crash consistency during a download (issue 16). A recipient's stock
`sftp get` of a released 8 MiB extract is held mid-transfer (its link
stalls after 1 MiB: crash.HeldGet), then cut each of three ways (crash.py):
SIGKILL of the engine, of the daemon's parent, of every process of the
daemon. After each, the client has seen the connection lost and kept a
strict prefix of the file; PRAGMA integrity_check and `audit verify` pass;
every payload has its extract row and every row its payload; the cut
download's row says 0 bytes, not completed; the audit log holds exactly
what the design records of it (its `download open`, and a `download ...
not completed` entry only when the engine lived to see the session go: it
cannot know the bytes the session served, and says so); and a new
download of the same release completes with the right bytes, audited
`completed`."""

from harness import main, eq, check
import crash
import deliver as D
import story

NIC = story.NIC
AGE = "/%s/big.csv.age" % NIC
DATA = D.big_extract(8)
START = ("sluiced", "start", "clock", "ok",
         "FAKE CLOCK in use: time comes from a file, for tests only")
# What each cut adds to the audit log after the cut download's open.
AFTER = {
    "engine": [START, ("sluiced", "engine restart", "", "ok",
                       "the engine before killed by signal 9")],
    "parent": [("rita", "download", "big.csv.age", "ok",
                "%s: the session ended without closing it: bytes served unknown, "
                "not completed" % AGE),
               ("sluiced", "stop", "", "ok", "engine stopped"), START],
    "all": [START],
}


def view(e):
    """An audit entry's fields (a login's key and port left out)."""
    if e["action"] == "login":
        return (e["actor"], "login", e["outcome"])
    return (e["actor"], e["action"], e["subject"], e["outcome"], e["details"])


def opened():
    return [("rita", "login", "ok"),
            ("rita", "download open", "big.csv.age", "allow", "%s release 2" % AGE)]


def fresh_get(w, how):
    """A whole stock sftp get after the cut: its bytes, which decrypt to
    DATA."""
    local = w.path("whole-%s.age" % how)
    st, out, err = w.sftp("rita", ["get %s %s" % (AGE, local)])
    eq((st, err), (0, ""), how + ": the download after the restart")
    D.decrypts_to(w, "rita", local, DATA, how + ": the download after the restart")
    with open(local, "rb") as f:
        return f.read()


def cut_download(w, how, cut):
    mark = D.last_audit_id(w)
    local = w.path("cut-%s.age" % how)
    held = crash.HeldGet(w, "rita", AGE, local)
    cut(w)
    st, out = held.end()
    # the middle line is ssh's words for the loss, which depend on how it
    # noticed ("closed by remote host", "send disconnect: Broken pipe")
    lines = out.splitlines()
    eq((st, len(lines), lines[0], lines[-1]),
       (255, 3, "sftp> get %s %s" % (AGE, local), "Connection closed"),
       how + ": the cut sftp get: " + out)
    crash.consistent(w, how)
    eq(crash.query(w, "SELECT bytes, first_offset, last_end, completed, gate FROM downloads "
                   "ORDER BY id DESC LIMIT 1"), [(0, 0, 0, 0, "allow")],
       how + ": the cut download's row")
    whole = fresh_get(w, how)
    with open(local, "rb") as f:
        part = f.read()
    # most of the 1 MiB the link let through, and not all of the file
    check(1 << 19 <= len(part) < len(whole) and whole.startswith(part),
          "%s: the cut file is a strict prefix (%d of %d bytes)" % (how, len(part), len(whole)))
    got = [view(e) for e in D.audit_since(w, mark) if e["actor"] in ("rita", "sluiced")]
    eq(got, opened() + AFTER[how] + opened() + [
        ("rita", "download", "big.csv.age", "ok", "%s: %d bytes, range 0-%d, completed"
         % (AGE, len(whole), len(whole)))], how + ": the audit log since the cut get")


def test(w):
    D.live_world(w)
    rid = D.stage(w, "big.csv", DATA)[1]
    eq(rid, "2", "the big extract's release")
    for how, cut in crash.CUTS:
        cut_download(w, how, cut)
    eq(crash.query(w, "SELECT count(*), sum(completed) FROM downloads"), [(6, 3)],
       "downloads: three cut, three whole")


if __name__ == "__main__":
    main(test)
