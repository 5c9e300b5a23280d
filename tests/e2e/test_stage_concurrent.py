#!/usr/bin/env python3
"""The engine never waits for staging (issue 15): while a 1 GiB extract is
being staged (written to /stage/NIC/ by a paramiko client that holds the file
open halfway), another staff member's `dashboard` is answered and a
recipient's download of another release completes and decrypts; only then is
the staging finished, and its extract is recorded with the right size and
digest. An order of events, not a timing: the upload stays open until both
answers are in."""

import hashlib

from harness import main, eq, check
import deliver
import story

NIC = story.NIC
MIB = 1024 * 1024
SIZE = 1024 * MIB


def chunk(i):
    """MiB number i of the extract: distinct bytes, cheap to make."""
    return hashlib.sha256(b"%d" % i).digest() * (MIB // 32)


def stage_half(w):
    t = deliver.transport(w, "olivia")
    c = deliver.paramiko.SFTPClient.from_transport(t)
    f = c.open("/stage/%s/big.csv" % NIC, "wb")
    f.set_pipelined(True)
    digest = hashlib.sha256()
    for i in range(SIZE // MIB // 2):
        data = chunk(i)
        digest.update(data)
        f.write(data)
    f.flush()
    return t, f, digest


def test(w):
    deliver.live_world(w)
    t, f, digest = stage_half(w)
    # Half of it is in; the upload is open. The engine answers others.
    st, out, err = w.ssh("audrey", "dashboard")
    eq((st, err), (0, ""), "dashboard while staging")
    check("\nlive: 1\n" in out, "the dashboard: " + out[:300])
    deliver.sftp_download_works(w)
    check(f"big.csv" not in w.ok("audrey", "extract", "list", "--nic", NIC),
          "the extract is not recorded before its CLOSE")
    for i in range(SIZE // MIB // 2, SIZE // MIB):
        data = chunk(i)
        digest.update(data)
        f.write(data)
    f.close()
    t.close()
    lines = w.ok("audrey", "extract", "list", "--nic", NIC).splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, l.split("\t"))) for l in lines[1:]]
    big = [r for r in rows if r["name"] == "big.csv"]
    eq([(r["plain_size"], r["staged_by"]) for r in big], [(str(SIZE), "olivia")],
       "the staged extract")
    out = w.ok("audrey", "extract", "show", big[0]["id"])
    check("sha256: %s\n" % digest.hexdigest() in out, "its digest: " + out)


if __name__ == "__main__":
    main(test)
