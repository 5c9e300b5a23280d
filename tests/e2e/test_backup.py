#!/usr/bin/env python3
"""sluiced backup while a download runs; restore into a new directory that
serves the same release; both key rotations (refused while the daemon runs)
leave old releases decryptable and verifiable, payloads untouched; an
interrupted rotation is resolved at start."""

import hashlib
import os
import re
import stat

from harness import main, eq, check, run
import deliver
import story
from deliver import AGE, NIC


def payload_digests(d):
    pdir = os.path.join(d, "payloads")
    out = {}
    for name in sorted(os.listdir(pdir)):
        with open(os.path.join(pdir, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def download(w, tag):
    """rita gets the release with stock sftp; returns the directory."""
    d = w.path("get-" + tag)
    os.makedirs(d)
    st, out, err = w.sftp("rita", ["get /%s/%s %s/" % (NIC, n, d) for n in
                                   ("cohort.csv.age", "SHA256SUMS", "SHA256SUMS.minisig")])
    eq(st, 0, tag + ": sftp get: " + out + err)
    deliver.decrypts_to(w, "rita", os.path.join(d, "cohort.csv.age"), story.EXTRACT, tag)
    return d


def minisign_ok(d, pub):
    st, out, err = run(["minisign", "-Vm", os.path.join(d, "SHA256SUMS"), "-p", pub])
    return st == 0


def backup_during_download(w, bak):
    t, c = deliver.client(w, "rita")
    f = c.open(AGE, "rb")
    eq(len(f.read(32768)), 32768, "first part of a download")
    st, out, err = run([w.sluiced(), "backup", "-d", w.dir, "--out", bak])
    eq((st, out, err), (0, "backup %s: the store, keys and configuration of %s, and 1 payload "
                           "listed with their digests (copy %s/payloads beside it)\n"
                        % (bak, w.dir, w.dir), ""), "backup while the daemon runs")
    eq(stat.S_IMODE(os.stat(bak).st_mode), 0o600, "the backup is 0600")
    rest = f.read()
    t.close()
    eq(32768 + len(rest), os.path.getsize(w.path("get-before/cohort.csv.age")),
       "the download went on to its end")
    st, out, err = run([w.sluiced(), "backup", "-d", w.dir, "--out", bak])
    eq((st, err), (1, "sluiced backup: %s: File exists\n" % bak), "a backup never overwrites")


def refused_while_running(w):
    lock = os.path.join(w.dir, "sluiced.lock")
    for cmd in ("rotate-master-key", "rotate-release-key"):
        st, out, err = run([w.sluiced(), cmd, "-d", w.dir])
        eq((st, out, err), (1, "", "sluiced %s: the daemon is running on %s (%s is held); "
                                   "stop it first\n" % (cmd, w.dir, lock)), cmd + " while running")


def restore(w, bak, new):
    old = w.dir
    st, out, err = run([w.sluiced(), "restore", "-d", new, "--from", bak, "--payloads", old])
    eq((st, out, err), (0, "restored %s into %s: the store, keys and configuration, and 1 "
                           "payload checked against the backup's digests\n" % (bak, new), ""),
       "restore")
    eq(payload_digests(new), payload_digests(old), "payloads restored")
    st, out, err = run([w.sluiced(), "restore", "-d", w.path("again"), "--from",
                        w.path("nothing.db"), "--payloads", old])
    eq(st, 1, "restore from a file that is not a backup")
    check(not os.path.exists(w.path("again")), "a failed restore leaves no directory")


def rotate(w):
    before = payload_digests(w.dir)
    with open(os.path.join(w.dir, "release.pub")) as f:
        oldpub = f.read()
    oldid = oldpub.split("\n")[0].split()[-1]
    st, out, err = run([w.sluiced(), "rotate-master-key", "-d", w.dir, "--fake-clock", w.clock])
    eq((st, out, err), (0, "master key rotated: 1 file key wrapped again, payloads "
                           "untouched; audited\n", ""), "rotate-master-key")
    st, out, err = run([w.sluiced(), "rotate-release-key", "-d", w.dir, "--fake-clock", w.clock])
    eq(st, 0, "rotate-release-key: " + err)
    m = re.fullmatch(r"release key rotated: ([0-9A-F]{16}) replaces %s; %s announces it; "
                     r"every SHA256SUMS is now signed by the new key; audited\n"
                     % (oldid, re.escape(os.path.join(w.dir, "release.pub"))), out)
    check(m is not None, "rotate-release-key output: " + out)
    newid = m.group(1)
    with open(os.path.join(w.dir, "release.pub")) as f:
        first = f.read().split("\n")[0]
    eq(first, "untrusted comment: sluice release key %s from 2026-06-01; replaces %s, which "
              "signs nothing after 2026-06-01" % (newid, oldid), "release.pub announces")
    eq(payload_digests(w.dir), before, "payloads untouched by either rotation")
    eq(sorted(n for n in os.listdir(w.dir) if n.endswith(".new")), [], "no .new left")
    old = w.write("old-release.pub", oldpub)
    return old, oldid, newid


def interrupted(w):
    """A rotation that died before its commit: its new key is removed at start."""
    with open(os.path.join(w.dir, "master.key.new"), "wb") as f:
        f.write(os.urandom(32))
    os.chmod(os.path.join(w.dir, "master.key.new"), 0o600)


def test(w):
    deliver.live_world(w)
    download(w, "before")
    bak = w.path("sluice.backup")
    backup_during_download(w, bak)
    refused_while_running(w)
    w.stop()
    new = w.path("restored")
    w.write("nothing.db", "not a backup")
    restore(w, bak, new)
    w.dir = new
    rotated = rotate(w)
    interrupted(w)
    w.start()
    check("sluiced: an interrupted master-key rotation was undone\n" in w.logtext(whole=True),
          "the interrupted rotation resolved at start")
    check(not os.path.exists(os.path.join(w.dir, "master.key.new")), "master.key.new removed")
    d = download(w, "after")
    check(minisign_ok(d, os.path.join(w.dir, "release.pub")), "the new key verifies SHA256SUMS")
    check(not minisign_ok(d, rotated[0]), "the old key no longer does")
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq((st, err), (0, ""), "audit verify on the restored, rotated store")
    check(out.startswith("audit log intact: "), "audit verify: " + out)
    got = [(e["actor"], e["action"], e["subject"], e["outcome"]) for e in deliver.audit(w)
           if e["action"].endswith("key rotate")]
    eq(got, [("sluiced", "master key rotate", "master.key", "ok"),
             ("sluiced", "release key rotate", "release.key", "ok")], "rotations audited")
    details = [e["details"] for e in deliver.audit(w) if e["action"] == "release key rotate"]
    eq(details, ["key %s -> %s; release.pub announces the change" % rotated[1:]], "details")


if __name__ == "__main__":
    main(test)
