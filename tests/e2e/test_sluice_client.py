#!/usr/bin/env python3
"""The recipients' client `sluice` against the real daemon: ls, get
(pipelined download, age decryption, minisign and SHA-256 checks), a second
get that finds everything in place, and a gate denial's reason shown."""

import os

from harness import main, eq, check, run
import story


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    xid, rid = story.stage_and_approve(w)
    base = [w.tool("sluice"), "-H", "127.0.0.1", "-p", str(w.port), "-l", "rita",
            "-i", w.key("rita"), "-k", w.known_hosts]
    st, out, err = run(base + ["ls", story.NIC])
    eq(st, 0, "sluice ls: " + err)
    eq(sorted(l.split()[0] for l in out.splitlines()),
       ["SHA256SUMS", "SHA256SUMS.minisig", "cohort.csv.age", "deletion-certificate/"], "ls")
    outdir = w.path("got")
    get = base + ["get", story.NIC, "--out", outdir, "--release-key",
                  os.path.join(w.dir, "release.pub")]
    st, out, err = run(get)
    eq((st, out), (0, "cohort.csv: decrypted, %d bytes, SHA-256 verified\n"
                      "all 1 files of %s are in %s\n" % (len(story.EXTRACT), story.NIC, outdir)),
       "sluice get: " + err)
    check(err.startswith("sluice: SHA256SUMS signature verified"), "signature line: " + err)
    with open(os.path.join(outdir, "cohort.csv"), "rb") as f:
        eq(f.read() == story.EXTRACT, True, "decrypted bytes")
    eq(sorted(os.listdir(outdir)), ["cohort.csv"], "no partial or temporary files left")
    # The release is revoked: the client shows the gate's reason.
    w.ok("alan", "release", "revoke", rid, "--reason", "wrong cohort")
    st, out, err = run(base + ["ls", story.NIC])
    eq(st, 0, "ls after revocation")
    eq(sorted(l.split()[0] for l in out.splitlines()), ["deletion-certificate/"],
       "a revoked release is not listed")


if __name__ == "__main__":
    main(test)
