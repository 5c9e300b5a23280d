#!/usr/bin/env python3
"""Issue 4: every stock client downloads /NIC/cohort.csv.age byte-exact and
it decrypts with stock age to the original extract; SHA256SUMS and its
minisign signature verify with files fetched by stock sftp and by paramiko.

Clients: OpenSSH sftp -b, scp (SFTP mode, OpenSSH 9), curl (libssh2; host
key checked twice: a known_hosts in its HOME and --hostpubsha256), lftp
(through ssh with our known_hosts), paramiko SFTPClient.get with and
without prefetch, and an explicitly prefetched SFTPFile."""

import base64
import hashlib
import os
import shlex

from harness import main, eq, check, run, need_tools
import deliver
from deliver import AGE, NIC
import story


def fetched(path):
    with open(path, "rb") as f:
        return f.read()


def decrypt_here(w, d, what):
    """d/cohort.csv.age -> d/cohort.csv, the original extract."""
    st, out, err = run(["age", "-d", "-i", w.key("rita"), "-o", os.path.join(d, "cohort.csv"),
                        os.path.join(d, "cohort.csv.age")])
    eq(st, 0, what + ": age -d: " + err)
    eq(fetched(os.path.join(d, "cohort.csv")), story.EXTRACT, what + ": decrypted extract")


def sftp_batch(w, want):
    d = w.path("by-sftp")
    os.makedirs(d)
    st, out, err = w.sftp("rita", ["get %s %s/" % (AGE, d),
                                   "get /%s/SHA256SUMS %s/" % (NIC, d),
                                   "get /%s/SHA256SUMS.minisig %s/" % (NIC, d),
                                   "get /release.pub %s/" % d])
    eq(st, 0, "sftp -b: " + out + err)
    eq(fetched(os.path.join(d, "cohort.csv.age")), want, "sftp: bytes")
    decrypt_here(w, d, "sftp")
    deliver.verify_sums(w, d, "files fetched by sftp")


def scp(w, want):
    dst = w.path("by-scp.age")
    argv = ["scp"] + w.ssh_opts("rita") + ["-P", str(w.port),
                                          "rita@127.0.0.1:" + AGE, dst]
    st, out, err = run(argv)
    eq(st, 0, "scp: " + out + err)
    eq(fetched(dst), want, "scp: bytes")
    deliver.decrypts_to(w, "rita", dst, story.EXTRACT, "scp")


def curl(w, want):
    st, out, err = run(["curl", "-V"])
    check(st == 0 and " sftp" in out.splitlines()[2], "curl has no sftp: " + out)
    # curl reads ~/.ssh/known_hosts (libssh2 checks "[127.0.0.1]:port"
    # entries) and also pins the SHA-256 of the host key.
    home = w.path("curl-home")
    os.makedirs(os.path.join(home, ".ssh"), 0o700)
    with open(w.known_hosts) as f, open(os.path.join(home, ".ssh", "known_hosts"), "w") as g:
        g.write(f.read())
    pin = base64.b64encode(hashlib.sha256(deliver.host_key_blob(w)).digest()).decode()
    dst = w.path("by-curl.age")
    env = dict(os.environ, HOME=home)
    st, out, err = run(["curl", "-sS", "--fail", "-u", "rita:", "--key", w.key("rita"),
                        "--pubkey", w.pub("rita"), "--hostpubsha256", pin,
                        "-o", dst, "sftp://127.0.0.1:%d%s" % (w.port, AGE)], env=env)
    eq(st, 0, "curl: " + out + err)
    eq(fetched(dst), want, "curl: bytes")
    deliver.decrypts_to(w, "rita", dst, story.EXTRACT, "curl")
    # A wrong pin is refused: the check above is a real one.
    bad = base64.b64encode(b"\0" * 32).decode()
    st, out, err = run(["curl", "-sS", "-u", "rita:", "--key", w.key("rita"),
                        "--pubkey", w.pub("rita"), "--hostpubsha256", bad,
                        "-o", w.path("bad-curl"), "sftp://127.0.0.1:%d%s" % (w.port, AGE)],
                       env=env)
    check(st != 0 and not os.path.exists(w.path("bad-curl")),
          "curl with a wrong host key pin: %d %s" % (st, err))


def lftp(w, want):
    dst = w.path("by-lftp.age")
    ssh = " ".join(shlex.quote(a) for a in ["ssh", "-a", "-x"] + w.ssh_opts("rita"))
    script = "set sftp:connect-program %s; set net:max-retries 1; get %s -o %s; bye" % (
        shlex.quote(ssh), AGE, dst)
    st, out, err = run(["lftp", "-e", script, "sftp://rita:@127.0.0.1:%d" % w.port],
                       stdin=None, timeout=60)
    eq(st, 0, "lftp: " + out + err)
    eq(fetched(dst), want, "lftp: bytes")
    deliver.decrypts_to(w, "rita", dst, story.EXTRACT, "lftp")


def paramiko_clients(w, want):
    t, c = deliver.client(w, "rita")
    d = w.path("by-paramiko")
    os.makedirs(d)
    try:
        for prefetch in (True, False):
            dst = w.path("by-paramiko-%s.age" % prefetch)
            c.get(AGE, dst, prefetch=prefetch)
            eq(fetched(dst), want, "paramiko get prefetch=%s: bytes" % prefetch)
            deliver.decrypts_to(w, "rita", dst, story.EXTRACT,
                                "paramiko get prefetch=%s" % prefetch)
        f = c.open(AGE, "rb")
        size = f.stat().st_size
        eq(size, len(want), "paramiko stat size")
        f.prefetch(size)
        got = f.read()
        f.close()
        eq(got, want, "paramiko SFTPFile.prefetch: bytes")
        for name in ("SHA256SUMS", "SHA256SUMS.minisig"):
            c.get("/%s/%s" % (NIC, name), os.path.join(d, name))
        c.get("/release.pub", os.path.join(d, "release.pub"))
        c.get(AGE, os.path.join(d, "cohort.csv.age"))
    finally:
        c.close()
        t.close()
    decrypt_here(w, d, "paramiko")
    deliver.verify_sums(w, d, "files fetched by paramiko")
    with open(os.path.join(w.dir, "release.pub"), "rb") as f:
        eq(fetched(os.path.join(d, "release.pub")), f.read(), "/release.pub is DIR/release.pub")


def test(w):
    need_tools("scp", "curl", "lftp")
    deliver.live_world(w)
    # The reference bytes: what the first client got, checked to decrypt.
    # Every other client must get exactly these bytes (the header is
    # deterministic per recipient).
    d = w.path("ref")
    os.makedirs(d)
    st, out, err = w.sftp("rita", ["get %s %s/" % (AGE, d)])
    eq(st, 0, "sftp -b: " + out + err)
    want = fetched(os.path.join(d, "cohort.csv.age"))
    check(want.startswith(b"age-encryption.org/v1\n-> ssh-ed25519 "), "age header")
    sftp_batch(w, want)
    scp(w, want)
    curl(w, want)
    lftp(w, want)
    paramiko_clients(w, want)
    # Each download was audited as completed, with its size.
    done = deliver.pick(deliver.audit(w), actor="rita", action="download", outcome="ok")
    details = "%s: %d bytes, range 0-%d, completed" % (AGE, len(want), len(want))
    check(len(done) >= 9, "completed downloads audited: %d" % len(done))
    check(any(e["details"] == details for e in done), "audit of a full download: " +
          repr([e["details"] for e in done]))


if __name__ == "__main__":
    main(test)
