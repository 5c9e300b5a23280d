#!/usr/bin/env python3
"""sluiced init, check-config and run's refusals: secret files 0600, a
non-empty directory refused, a world-readable secret refused as sshd does,
a bad config value refused with FILE:LINE."""

import os
import stat

from harness import main, eq, check, run


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test(w):
    d = w.dir
    for name in ("master.key", "release.key", "host_ed25519_key", "sluice.db"):
        eq(mode(os.path.join(d, name)), 0o600, name + " mode")
    eq(mode(d), 0o700, "data directory mode")
    with open(os.path.join(d, "master.key"), "rb") as f:
        eq(len(f.read()), 32, "master key length")
    with open(os.path.join(d, "release.pub")) as f:
        check(f.readline().startswith("untrusted comment: minisign public key "), "release.pub")
    st, out, err = run([w.sluiced(), "init", "-d", d, "--admin", "x", "--admin-key", w.pub(w.admin)])
    eq((st, err), (1, "sluiced init: %s: directory is not empty; refusing to overwrite it\n" % d),
       "init on a used directory")
    st, out, err = run([w.sluiced(), "check-config", "-d", d])
    eq((st, out), (0, "%s: configuration, policy and keys are usable\n" % d), "check-config")
    os.chmod(os.path.join(d, "master.key"), 0o644)
    st, out, err = run([w.sluiced(), "check-config", "-d", d])
    eq((st, err), (1, "sluiced: refusing to start: %s/master.key: permissions 0644 are too open; "
                      "it holds a secret and must be 0600\n" % d), "world-readable master key")
    st, out, err = run([w.sluiced(), "run", "-d", d, "--port", str(w.port)], timeout=20)
    eq(st, 1, "run refuses a world-readable secret")
    check("permissions 0644 are too open" in err, "run says why: " + err)
    os.chmod(os.path.join(d, "master.key"), 0o600)
    with open(os.path.join(d, "policy.conf")) as f:
        lines = f.read().splitlines()
    at = next(i for i, l in enumerate(lines) if l.startswith("max_count"))
    lines[at] = "max_count = lots"
    with open(os.path.join(d, "policy.conf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    st, out, err = run([w.sluiced(), "check-config", "-d", d])
    eq((st, err), (1, "sluiced: %s/policy.conf:%d: max_count = lots: not a whole number\n"
                   % (d, at + 1)), "bad value with its line")
    st, out, err = run([w.sluiced(), "run"])
    eq(st, 2, "usage")
    check(err.startswith("sluiced: -d DIR is required\nusage: sluiced init"), "usage text: " + err)


if __name__ == "__main__":
    main(test)
