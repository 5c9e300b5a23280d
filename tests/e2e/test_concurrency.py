#!/usr/bin/env python3
"""Issue 4: concurrency and interruption.

- 32 sessions download the extract at the same time (paramiko, one thread
  each, prefetching): every copy is byte-exact and the audit records 32
  completed downloads;
- a session process killed with SIGKILL mid-transfer: its client loses the
  connection, the parent reaps it (logged), the engine records the download
  as not completed, a session downloading alongside finishes byte-exact, and
  a later stock sftp download still decrypts;
- a resumed download: the first part fetched by paramiko, the rest by stock
  `sftp reget` (and, separately, by paramiko reading from the offset in a new
  session) gives a file age decrypts, because the header is deterministic."""

import io
import os
import signal
import threading
import time

from harness import main, eq, check, run
import deliver as D
from deliver import AGE
from paramiko.py3compat import long
from paramiko.sftp import CMD_READ, CMD_DATA
import story

N = 32


def raw_read(c, f, off, n):
    t, msg = c._request(CMD_READ, f.handle, long(off), int(n))
    eq(t, CMD_DATA, "READ reply")
    return msg.get_string()


def reference(w):
    t, c = D.client(w, "rita")
    with c.open(AGE, "rb") as f:
        want = f.read()
    c.close()
    t.close()
    return want


def concurrent(w, want):
    clients = [D.client(w, "rita") for _ in range(N)]   # logins one by one
    results = [None] * N
    start = threading.Barrier(N)

    def one(i):
        try:
            start.wait(30)
            buf = io.BytesIO()
            clients[i][1].getfo(AGE, buf, prefetch=True)
            results[i] = buf.getvalue()
        except Exception as e:  # reported below, with its index
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    mark = D.last_audit_id(w)
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for i, got in enumerate(results):
        check(isinstance(got, bytes), "download %d: %r" % (i, got))
        eq(len(got), len(want), "download %d: length" % i)
        check(got == want, "download %d: bytes differ" % i)
    for t, c in clients:
        c.close()
        t.close()
    # Bytes served may pass the size (paramiko's prefetch may ask twice
    # for a block); the range and completion are exact.
    tail = " bytes, range 0-%d, completed" % len(want)
    got = []
    # The engine writes each download's entry at CLOSE: poll until all are in.
    for _ in range(100):
        got = [e for e in D.pick(D.audit_since(w, mark), actor="rita", action="download")
               if e["details"].startswith(AGE + ": ") and e["details"].endswith(tail) and
               int(e["details"][len(AGE) + 2:-len(tail)]) >= len(want)]
        if len(got) >= N:
            break
        time.sleep(0.1)
    eq(len(got), N, "completed downloads audited")


def killed_mid_transfer(w, want):
    tv, cv = D.client(w, "rita")
    tb, cb = D.client(w, "rita")
    pid = D.session_pid(w, tv)
    check(pid != D.session_pid(w, tb), "two session processes")
    mark = D.last_audit_id(w)
    fv = cv.open(AGE, "rb")
    fb = cb.open(AGE, "rb")
    victim = bytearray()
    bystander = bytearray()
    for _ in range(4):
        victim += raw_read(cv, fv, len(victim), 32768)
        bystander += raw_read(cb, fb, len(bystander), 32768)
    os.kill(pid, signal.SIGKILL)
    try:
        for _ in range(100):
            victim += raw_read(cv, fv, len(victim), 32768)
        raise D.Failure("the killed session still serves")
    except (EOFError, OSError, D.paramiko.SSHException):
        pass
    eq(len(victim), 4 * 32768, "bytes the victim got")
    # The bystander goes on to the end, byte-exact.
    while len(bystander) < len(want):
        bystander += raw_read(cb, fb, len(bystander), 32768)
    fb.close()
    check(bytes(bystander) == want, "bystander's bytes")
    cb.close()
    tb.close()
    tv.close()
    reaped = "session %d died of signal 9" % pid
    for _ in range(100):
        if reaped in D.full_log(w):
            break
        time.sleep(0.1)
    check(reaped in D.full_log(w), "parent did not log: " + reaped)
    try:
        os.kill(pid, 0)
        raise D.Failure("session %d still exists" % pid)
    except ProcessLookupError:
        pass
    # The engine saw the session's socket close: the open is recorded as an
    # incomplete download (the session died before it could report bytes).
    stopped = []
    for _ in range(100):
        stopped = [e for e in D.pick(D.audit_since(w, mark), actor="rita", action="download")
                   if e["details"].endswith("not completed")]
        if stopped:
            break
        time.sleep(0.1)
    eq(len(stopped), 1, "incomplete downloads audited")
    D.daemon_alive(w)
    D.sftp_download_works(w)


def resumed(w, want):
    cut = len(want) // 2 + 12345
    t, c = D.client(w, "rita")
    with c.open(AGE, "rb") as f:
        first = f.read(cut)
    c.close()
    t.close()
    eq(len(first), cut, "first part")
    part = w.path("resumed.age")
    with open(part, "wb") as f:
        f.write(first)
    st, out, err = w.sftp("rita", ["reget %s %s" % (AGE, part)])
    eq(st, 0, "sftp reget: " + out + err)
    with open(part, "rb") as f:
        check(f.read() == want, "reget result differs")
    D.decrypts_to(w, "rita", part, story.EXTRACT, "sftp reget")
    # Again with paramiko reading from the offset in a new session.
    t, c = D.client(w, "rita")
    with c.open(AGE, "rb") as f:
        f.seek(cut)
        rest = f.read()
    c.close()
    t.close()
    part2 = w.path("resumed2.age")
    with open(part2, "wb") as f:
        f.write(first + rest)
    D.decrypts_to(w, "rita", part2, story.EXTRACT, "paramiko resume")


def test(w):
    D.live_world(w)
    want = reference(w)
    concurrent(w, want)
    killed_mid_transfer(w, want)
    resumed(w, want)
    log = D.full_log(w)
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        check(bad not in log, "daemon log has %r" % bad)


if __name__ == "__main__":
    main(test)
