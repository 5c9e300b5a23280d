#!/usr/bin/env python3
"""Staging throughput: a stock `sftp put` of one file to /stage/NIC/ (sealed by
the session as it arrives, recorded at CLOSE) against the same put to the
inbox, and against encrypting the file locally with `age -e` plus
`sha256sum` with the same durability (the output fsynced), in the same run
on the same machine; best of three each, reported as ratios. Not a test:
numbers vary by machine.

usage: bench/stage_upload.py [MiB]   (default 256)"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from harness import World, run, check  # noqa: E402
import deliver  # noqa: E402
import story  # noqa: E402


def timed(argv):
    t0 = time.monotonic()
    st, out, err = run(argv, timeout=3600)
    check(st == 0, "%s: %s%s" % (argv[0], out, err))
    return time.monotonic() - t0


def put(w, local, dest):
    path = w.path("batch-bench")
    with open(path, "w") as f:
        f.write("put %s %s\n" % (local, dest))
    return timed(["sftp"] + w.ssh_opts("olivia") + ["-b", path, "-P", str(w.port),
                                                    "olivia@127.0.0.1"])


def age_and_sum(w, local):
    """age -e to a file made durable, then sha256sum: what staging does."""
    out = w.path("local.age")
    t0 = time.monotonic()
    st, o, err = run(["age", "-e", "-R", w.pub("rita"), "-o", out, local], timeout=3600)
    check(st == 0, "age -e: " + err)
    fd = os.open(out, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    st, o, err = run(["sha256sum", local], timeout=3600)
    check(st == 0, "sha256sum: " + err)
    took = time.monotonic() - t0
    os.unlink(out)
    return took


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    w = World()
    try:
        deliver.live_world(w)
        local = w.path("bench.bin")
        with open(local, "wb") as f:
            for _ in range(mib):
                f.write(os.urandom(1 << 20))
        inbox = min(put(w, local, "/inbox/bench.bin") for _ in range(3))
        stage = min(put(w, local, "/stage/%s/bench-%d.bin" % (story.NIC, i)) for i in range(3))
        local_t = min(age_and_sum(w, local) for _ in range(3))
    finally:
        w.close()
    rate = lambda t: mib / t
    print("%d MiB: sftp put to /inbox %.0f MiB/s, to /stage %.0f MiB/s, "
          "age -e + sha256sum (fsync) %.0f MiB/s" % (mib, rate(inbox), rate(stage), rate(local_t)))
    print("ratios: /stage over /inbox %.2f (target <= 1.10); "
          "/stage over age -e + sha256sum %.2f" % (stage / inbox, stage / local_t))


if __name__ == "__main__":
    main()
