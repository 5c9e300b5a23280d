#!/usr/bin/env python3
"""Issue 17: a burst of recipients all get in, with the default limits.

64 stock `sftp` sessions as rita, all started at once from 127.0.0.1 (so all
unauthenticated at the same moment): each reads its commands from a pipe
that stays empty until every one of the 64 has authenticated, so all 64 are
connected at once and none can finish before the last gets in. Then each
lists the agreement's directory and downloads the released extract: all 64
exit 0 with the listing and the exact bytes; the daemon dropped nothing and
penalised nobody."""

import os
import re
import subprocess
import time

from harness import eq, check, main
import deliver as D

N = 64


def authenticated(w):
    return len(re.findall(r'"rita" authenticated \(recipient\)', D.full_log(w)))


def wait_authenticated(w, before, procs):
    """Bounded wait until N more of rita's sessions have authenticated."""
    for _ in range(1200):
        if authenticated(w) >= before + N:
            return
        for i, p in enumerate(procs):
            if p.poll() is not None:
                raise D.Failure("sftp %d ended before the burst was in: %d\n%s" % (
                    i, p.returncode, p.stderr.read().decode("utf-8", "replace")))
        time.sleep(0.1)
    raise D.Failure("%d of %d sessions authenticated" % (authenticated(w) - before, N))


def start_all(w):
    argv = ["sftp"] + w.ssh_opts("rita") + ["-b", "-", "-P", str(w.port), "rita@127.0.0.1"]
    return [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(N)]


def finish_all(w, procs):
    results = []
    for i, p in enumerate(procs):
        cmds = "ls -1 /%s\nget %s %s\n" % (D.NIC, D.AGE, w.path("burst-%d.age" % i))
        p.stdin.write(cmds.encode())
        p.stdin.close()
    for p in procs:
        # a few hundred bytes each way: reading one pipe after the other
        # cannot block the other
        out, err = p.stdout.read(), p.stderr.read()
        results.append((p.wait(300), out.decode("utf-8", "replace"),
                        err.decode("utf-8", "replace")))
    return results


def test(w):
    D.live_world(w)
    t, c = D.client(w, "rita")
    with c.open(D.AGE, "rb") as f:
        want = f.read()
    c.close()
    t.close()
    before = authenticated(w)
    procs = start_all(w)
    try:
        wait_authenticated(w, before, procs)
        results = finish_all(w, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for i, (st, out, err) in enumerate(results):
        eq(st, 0, "sftp %d exit status (%s)" % (i, err.strip()))
        check("cohort.csv.age" in out, "sftp %d listing: %r" % (i, out))
        with open(w.path("burst-%d.age" % i), "rb") as f:
            check(f.read() == want, "sftp %d: downloaded bytes" % i)
    log = D.full_log(w)
    check("dropping" not in log, "nothing dropped")
    check("penalty:" not in log, "nobody penalised")
    D.decrypts_to(w, "rita", w.path("burst-0.age"), D.story.EXTRACT, "a burst download")


if __name__ == "__main__":
    main(test)
