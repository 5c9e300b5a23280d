#!/usr/bin/env python3
"""Crash consistency during staging (issue 16): the whole daemon is killed
with SIGKILL while an extract is being written to /stage/NIC/, and the
engine alone is killed while another is; after each, the store passes
PRAGMA integrity_check, `audit verify` agrees, no payload or temporary file
is left, and no extract row names the cut uploads. Then a full upload still
stages."""

import hashlib
import os
import signal

from harness import main, eq, check, run
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


def engine_pid(w):
    pids = [int(l.split("sluiced-engine[")[1].split("]")[0])
            for l in w.logtext(whole=True).splitlines() if "sluiced-engine[" in l]
    return pids[-1]


def consistent(w, payloads_before, what):
    st, out, err = run(["sqlite3", "-readonly", os.path.join(w.dir, "sluice.db"),
                        "PRAGMA integrity_check"])
    eq((st, out), (0, "ok\n"), what + ": integrity_check " + err)
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq((st, err), (0, ""), what + ": audit verify")
    check(out.startswith("audit log intact: "), what + ": " + out)
    eq(sorted(os.listdir(os.path.join(w.dir, "payloads"))), payloads_before,
       what + ": the payload area holds what it held before")
    names = [l.split("\t") for l in w.ok("audrey", "extract", "list", "--nic", NIC).splitlines()]
    check(not any(n in ("cut1.csv", "cut2.csv") for row in names for n in row),
          what + ": no extract row for a cut upload")


def test(w):
    deliver.live_world(w)
    before = sorted(os.listdir(os.path.join(w.dir, "payloads")))
    t, f = half_upload(w, "cut1.csv")
    w.stop(signal.SIGKILL)
    t.close()
    del f
    w.start()
    consistent(w, before, "after SIGKILL of the daemon")
    t, f = half_upload(w, "cut2.csv")
    os.kill(engine_pid(w), signal.SIGKILL)
    t.close()
    del f
    for _ in range(200):
        if "engine restart" in w.ok("audrey", "audit", "export"):
            break
    consistent(w, before, "after SIGKILL of the engine")
    data = b"a,b\n" * 1000
    local = w.write("whole.csv", data)
    st, out, err = w.sftp("olivia", ["put %s /stage/%s/" % (local, NIC)])
    eq(st, 0, "a whole upload after the crashes: " + out + err)
    check("whole.csv" in w.ok("audrey", "extract", "list", "--nic", NIC), "it is staged")


if __name__ == "__main__":
    main(test)
