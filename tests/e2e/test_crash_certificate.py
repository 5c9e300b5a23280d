#!/usr/bin/env python3
"""Crash consistency during the upload of a certificate of deletion (issue
16). The agreement has expired; the recipient's upload of a signed
certificate is held open half written (paramiko: half the bytes written,
no CLOSE), then cut each of three ways (crash.py). After each:
integrity_check and `audit verify` pass; nothing is left of the cut
upload: no file in DIR/uploads (the engine removes it when the session
goes, or, when the engine died with it, the sweep at the next start, with
a line in the log), no inbox file or inbox_files row, no certificate row;
the agreement is still expired; the audit log holds exactly what the
design records (the upload `abandoned` only when the engine lived to see
its session go). Then a whole upload with stock sftp is accepted and
closes the agreement."""

import json
import os

from harness import main, eq
import crash
import deliver as D
import mailbox
import story

NIC = story.NIC
START = ("sluiced", "start", "clock", "ok",
         "FAKE CLOCK in use: time comes from a file, for tests only")


def after(how, name):
    """What a cut adds to the audit log after the uploader's login."""
    if how == "engine":
        return [START, ("sluiced", "engine restart", "", "ok",
                        "the engine before killed by signal 9")]
    if how == "parent":
        return [("rita", "certificate upload", name, "abandoned",
                 "the connection ended before %s was closed; nothing was kept" % name),
                ("sluiced", "stop", "", "ok", "engine stopped"), START]
    return [START]


def view(e):
    """An audit entry's fields (a login's key and port left out)."""
    if e["action"] == "login":
        return (e["actor"], "login", e["outcome"])
    return (e["actor"], e["action"], e["subject"], e["outcome"], e["details"])


def uploads(w):
    return sorted(os.listdir(os.path.join(w.dir, "uploads")))


def state(w):
    return json.loads(w.ok("audrey", "--json", "agreement", "show", NIC))["state"]


def held_upload(w, data, name):
    """rita's upload of name, half of data written and left open: (the
    transport, the open file, the upload's file in DIR/uploads)."""
    t, c = D.client(w, "rita")
    f = c.open("/%s/deletion-certificate/%s" % (NIC, name), "wb")
    f.write(data[:len(data) // 2])
    f.flush()
    files = uploads(w)
    eq(len(files), 1, "the upload's file in DIR/uploads")
    eq(os.path.getsize(os.path.join(w.dir, "uploads", files[0])), len(data) // 2,
       "the bytes written so far")
    return t, f, files[0]


def cut_upload(w, how, cut, data, before):
    mark = D.last_audit_id(w)
    name = "cut-%s.p7m" % how
    t, f, tmp = held_upload(w, data, name)
    cut(w)
    t.close()
    del f
    crash.consistent(w, how)
    eq(uploads(w), [], how + ": DIR/uploads after the restart")
    eq((w.inbox_files(), crash.query(w, "SELECT id, name FROM inbox_files")), before,
       how + ": the inbox files and their rows")
    eq(crash.query(w, "SELECT count(*) FROM deletion_certificates"), [(0,)],
       how + ": certificate rows")
    eq(state(w), "expired", how + ": the agreement's state")
    swept = "sweep: removed unfinished certificate upload uploads/%s\n" % tmp
    eq(D.full_log(w).count(swept), 0 if how == "parent" else 1, how + ": the sweep's line")
    got = [view(e) for e in D.audit_since(w, mark) if e["actor"] in ("rita", "sluiced")]
    eq(got, [("rita", "login", "ok")] + after(how, name), how + ": the audit log since the cut")


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    w.set_clock("2027-01-10T09:00:00Z")
    eq(state(w), "expired", "the agreement's state before")
    local = mailbox.signed_cert(w, "deletion.p7m", mailbox.certdoc(destroyed="2027-01-09"))
    with open(local, "rb") as f:
        data = f.read()
    before = (w.inbox_files(), crash.query(w, "SELECT id, name FROM inbox_files"))
    for how, cut in crash.CUTS:
        cut_upload(w, how, cut, data, before)
    eq(mailbox.put_cert(w, local), (0, "sftp> put %s /%s/deletion-certificate/deletion.p7m\n"
                                    % (local, NIC)), "a whole upload after the crashes")
    eq(crash.query(w, "SELECT verdict, destroyed_on FROM deletion_certificates"),
       [("accepted", "2027-01-09")], "the certificate recorded")
    eq(state(w), "closed", "the agreement's state after")
    eq(uploads(w), [], "DIR/uploads at the end")
    crash.consistent(w, "at the end")


if __name__ == "__main__":
    main(test)
