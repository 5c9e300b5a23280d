#!/usr/bin/env python3
"""Crash consistency during staging (issue 16): while an extract is being
written to /stage/NIC/, the daemon is cut each of three ways (crash.py:
SIGKILL of the engine, of the parent, of every process at once) and runs
again; after each, the store passes PRAGMA integrity_check, `audit verify`
agrees, no payload or temporary file is left, and no extract row names the
cut uploads. Then a full upload still stages."""

import hashlib
import os

from harness import main, eq, check
import crash
import deliver
import story

NIC = story.NIC
MIB = 1024 * 1024


def half_upload(w, name):
    """An upload to /stage/NIC/name, 8 MiB in and left open: the caller
    keeps the file object, whose collection would close it (a CLOSE)."""
    t = deliver.transport(w, "olivia")
    c = deliver.paramiko.SFTPClient.from_transport(t)
    f = c.open("/stage/%s/%s" % (NIC, name), "wb")
    for i in range(8):
        f.write(hashlib.sha256(b"%d" % i).digest() * (MIB // 32))
    f.flush()
    return t, f


def consistent(w, payloads_before, what):
    crash.consistent(w, what)
    eq(sorted(os.listdir(os.path.join(w.dir, "payloads"))), payloads_before,
       what + ": the payload area holds what it held before")
    names = [l.split("\t") for l in w.ok("audrey", "extract", "list", "--nic", NIC).splitlines()]
    check(not any(n.startswith("cut-") for row in names for n in row),
          what + ": no extract row for a cut upload")


def test(w):
    deliver.live_world(w)
    before = sorted(os.listdir(os.path.join(w.dir, "payloads")))
    for how, cut in crash.CUTS:
        t, f = half_upload(w, "cut-%s.csv" % how)
        cut(w)
        t.close()
        del f
        consistent(w, before, how)
    data = b"a,b\n" * 1000
    local = w.write("whole.csv", data)
    st, out, err = w.sftp("olivia", ["put %s /stage/%s/" % (local, NIC)])
    eq(st, 0, "a whole upload after the crashes: " + out + err)
    check("whole.csv" in w.ok("audrey", "extract", "list", "--nic", NIC), "it is staged")


if __name__ == "__main__":
    main(test)
