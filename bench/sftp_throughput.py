#!/usr/bin/env python3
"""Download throughput of sluiced against OpenSSH's own sshd + sftp-server,
measured in the same run on the same machine with the same client (stock
OpenSSH sftp), and reported as a ratio. Not a test: numbers vary by machine.

usage: bench/sftp_throughput.py [MiB]   (default 256; needs openssh-server:
scripts/deps does not install it, `apt-get install openssh-server` does)

Both servers run on loopback ports; sshd runs from a private config in a
temporary directory (no system service is touched)."""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from harness import World, free_port, run, check  # noqa: E402
import story  # noqa: E402

SSHD = "/usr/sbin/sshd"


def timed_get(argv):
    t0 = time.monotonic()
    st, out, err = run(argv, timeout=1800)
    check(st == 0, "sftp: %s%s" % (out, err))
    return time.monotonic() - t0


def openssh_server(w, path):
    d = w.path("sshd")
    os.makedirs(d, exist_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, "host")])
    shutil.copy(w.pub("rita"), os.path.join(d, "authorized_keys"))
    port = free_port()
    cfg = os.path.join(d, "sshd_config")
    with open(cfg, "w") as f:
        f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s/host\nAuthorizedKeysFile %s/authorized_keys\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                "StrictModes no\nPidFile %s/pid\nSubsystem sftp internal-sftp\n" % (port, d, d, d))
    os.makedirs("/run/sshd", exist_ok=True)
    p = subprocess.Popen([SSHD, "-D", "-e", "-f", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    with open(os.path.join(d, "host.pub")) as f:
        hk = " ".join(f.read().split()[:2])
    with open(w.known_hosts, "a") as f:
        f.write("[127.0.0.1]:%d %s\n" % (port, hk))
    return p, port


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    if not os.path.exists(SSHD):
        sys.exit("bench: %s not found (apt-get install openssh-server)" % SSHD)
    story.EXTRACT = os.urandom(mib * 1024 * 1024)
    w = World()
    sshd = None
    try:
        w.start()
        story.staff(w)
        story.organisation(w)
        story.signatories(w)
        story.agreement(w)
        story.stage_and_approve(w)
        src = w.path("cohort.csv")
        sshd, port = openssh_server(w, src)
        out = w.path("out")
        os.makedirs(out, exist_ok=True)
        base = ["sftp"] + w.ssh_opts("rita")
        results = {}
        for rnd in range(3):
            results.setdefault("sluiced", []).append(timed_get(
                base + ["-P", str(w.port), "rita@127.0.0.1:/%s/cohort.csv.age" % story.NIC, out]))
            results.setdefault("openssh", []).append(timed_get(
                base + ["-P", str(port), "%s@127.0.0.1:%s" % (os.environ.get("USER", "root"), src), out]))
        best = {k: min(v) for k, v in results.items()}
        for k in ("openssh", "sluiced"):
            print("%-8s best of 3: %.2f s, %.0f MiB/s" % (k, best[k], mib / best[k]))
        print("ratio sluiced/openssh throughput: %.2f" % (best["openssh"] / best["sluiced"]))
    finally:
        if sshd is not None:
            sshd.terminate()
        w.close()


if __name__ == "__main__":
    main()
