#!/usr/bin/env python3
"""sluice get as one pass (issue 17), with exact output and exit status:

- resuming: a partial NAME.age.part left in OUT/.sluice-partial is read back
  and decrypted first, then the rest comes ("resuming at byte N"); the
  plaintext is the extract and nothing else is left in OUT;
- a partial whose bytes fail authentication: the file is refused with
  age's reason, the .part is removed and no plaintext is left; the next get
  starts over and succeeds;
- interrupted: SIGINT and SIGTERM (sent once the client is connected to a
  daemon that does not answer yet) end it with 130 and 143 and one line
  saying so; no temporary plaintext is left."""

import os
import signal
import subprocess
import time

from harness import main, eq, check, run
import deliver as D
import story

NIC = story.NIC
SIG_LINE = "sluice: SHA256SUMS signature verified (trusted comment: timestamp:"


def argv(w, outdir):
    return [w.tool("sluice"), "-H", "127.0.0.1", "-p", str(w.port), "-l", "rita",
            "-i", w.key("rita"), "-k", w.known_hosts, "get", NIC, "--out", outdir,
            "--release-key", os.path.join(w.dir, "release.pub")]


def env(w):
    return dict(os.environ, HOME=w.tmp, XDG_CONFIG_HOME=w.path("xdg"))


def sluice_get(w, outdir):
    return run(argv(w, outdir), env=env(w))


def reference(w):
    """The .age file as stock sftp gets it."""
    d = w.path("ref")
    os.makedirs(d)
    st, out, err = w.sftp("rita", ["get %s %s/" % (D.AGE, d)])
    eq(st, 0, "sftp get: " + out + err)
    with open(os.path.join(d, "cohort.csv.age"), "rb") as f:
        return f.read()


def with_part(w, name, data):
    """OUT with .sluice-partial/cohort.csv.age.part holding data."""
    outdir = w.path(name)
    os.makedirs(os.path.join(outdir, ".sluice-partial"))
    with open(os.path.join(outdir, ".sluice-partial", "cohort.csv.age.part"), "wb") as f:
        f.write(data)
    return outdir


def stderr_after_signature(err, what):
    first, _, rest = err.partition("\n")
    check(first.startswith(SIG_LINE), what + ": signature line: " + err)
    return rest


def done_line(outdir):
    return ("cohort.csv: decrypted, %d bytes, SHA-256 verified\n"
            "all 1 files of %s are in %s\n" % (len(story.EXTRACT), NIC, outdir))


def assert_plain(outdir, what):
    eq(sorted(os.listdir(outdir)), ["cohort.csv"], what + ": what is left in OUT")
    with open(os.path.join(outdir, "cohort.csv"), "rb") as f:
        check(f.read() == story.EXTRACT, what + ": decrypted bytes differ")


def resumed(w, age):
    cut = len(age) // 2 + 12345
    outdir = with_part(w, "resumed", age[:cut])
    st, out, err = sluice_get(w, outdir)
    eq((st, out), (0, done_line(outdir)), "resumed get: " + err)
    eq(stderr_after_signature(err, "resumed get"),
       "sluice: cohort.csv.age: resuming at byte %d\n" % cut, "resumed get: stderr")
    assert_plain(outdir, "resumed get")


def tampered(w, age):
    cut = len(age) // 2 + 12345
    bad = bytearray(age[:cut])
    bad[cut - 100] ^= 0x01       # inside chunk 12 of the payload
    outdir = with_part(w, "tampered", bytes(bad))
    st, out, err = sluice_get(w, outdir)
    eq((st, out), (1, ""), "get from a tampered partial: " + err)
    eq(stderr_after_signature(err, "tampered"),
       "sluice: cohort.csv.age: resuming at byte %d\n"
       "sluice: %s/cohort.csv.age: age payload chunk %d fails authentication\n"
       "sluice: get: 1 of 1 files failed\n" % (cut, NIC, chunk_of(age, cut - 100)),
       "tampered: stderr")
    eq(os.listdir(outdir), [], "tampered: nothing left (no .part, no plaintext)")
    st, out, err = sluice_get(w, outdir)
    eq((st, out), (0, done_line(outdir)), "get after the tampered partial: " + err)
    eq(stderr_after_signature(err, "after tampered"), "", "starts over: stderr")
    assert_plain(outdir, "after tampered")


def chunk_of(age, off):
    """The payload chunk holding file offset off."""
    hdr = age.index(b"\n---") + 1
    hdr = age.index(b"\n", hdr) + 1
    return (off - hdr - 16) // (65536 + 16)


def connected(w, pid):
    """True once process pid has a TCP connection established to the
    daemon's port."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            p = line.split()
            if p[3] == "01" and int(p[2].split(":")[1], 16) == w.port and p[9] in inodes:
                return True
    return False


def interrupted(w, sig, code):
    outdir = w.path("interrupted-%d" % sig)
    w.proc.send_signal(signal.SIGSTOP)      # the parent: no banner, no session
    try:
        p = subprocess.Popen(argv(w, outdir), env=env(w), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        for _ in range(1000):
            if p.poll() is not None or connected(w, p.pid):
                break
            time.sleep(0.01)
        check(p.poll() is None, "sluice get ended before it was connected")
        check(connected(w, p.pid), "sluice get never connected")
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
    finally:
        w.proc.send_signal(signal.SIGCONT)
    eq((p.returncode, out, err), (code, b"", b"sluice: interrupted; run it again to resume\n"),
       "get ended by signal %d" % sig)
    eq(os.listdir(outdir), [".sluice-partial"], "interrupted: no plaintext left")


def test(w):
    D.live_world(w)
    age = reference(w)
    resumed(w, age)
    tampered(w, age)
    interrupted(w, signal.SIGINT, 130)
    interrupted(w, signal.SIGTERM, 143)
    st, out, err = sluice_get(w, w.path("after"))
    eq((st, out), (0, done_line(w.path("after"))), "a get after the interruptions: " + err)


if __name__ == "__main__":
    main(test)
