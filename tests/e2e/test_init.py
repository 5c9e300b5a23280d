#!/usr/bin/env python3
"""sluiced init, check-config and run's refusals: secret files 0600, a
non-empty directory refused, init all or nothing (a refused init leaves the
directory as it found it, reusable), a world-readable secret refused as sshd
does, a bad config value refused with FILE:LINE."""

import os
import re
import stat

from harness import main, eq, check, run


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def fingerprint(pub):
    st, out, err = run(["ssh-keygen", "-l", "-f", pub])
    check(st == 0, "ssh-keygen -l: " + err)
    return out.split()[1]


def summary(d, admin, fp, port):
    return ("data directory:  {d}\n"
            "configuration:   {d}/sluiced.conf, policy {d}/policy.conf\n"
            "host key:        {d}/host_ed25519_key (public: {d}/host_ed25519_key.pub)\n"
            "release key:     {d}/release.key (public, for minisign -V: {d}/release.pub)\n"
            "master key:      {d}/master.key (32 bytes, mode 0600)\n"
            "audit key:       {d}/audit.key (Ed25519, mode 0600; signs {d}/audit.head)\n"
            "store:           {d}/sluice.db\n"
            "first admin:     {a} ({fp})\n"
            "listening (on run): 127.0.0.1 port {p}\n").format(d=d, a=admin, fp=fp, p=port)


def refused(w, d, args, want, what):
    """init with args on d: exit 1, nothing on stdout, exactly want on stderr,
    and no trace left next to d either."""
    parent = os.path.dirname(d)
    before = sorted(os.listdir(parent))
    st, out, err = run([w.sluiced(), "init", "-d", d] + args)
    eq((st, out, err), (1, "", "sluiced: init: " + want + "\n"), what)
    eq(sorted(os.listdir(parent)), before, what + ": nothing left beside it")


def all_or_nothing(w):
    """Refused three ways (and once after the staging directory was made), a
    new directory does not appear and an empty one stays empty with its mode;
    then a good init in each works."""
    new = os.path.join(w.tmp, "new")
    empty = os.path.join(w.tmp, "empty")
    os.mkdir(empty, 0o751)
    os.chmod(empty, 0o751)
    pub, key = w.pub(w.admin), w.key(w.admin)
    missing = os.path.join(w.tmp, "missing.pub")
    for d in (new, empty):
        refused(w, d, ["--admin", "bad/name", "--admin-key", pub],
                "--admin: bad/name: a name holds only letters, digits, '.', '_' and '-'",
                "bad admin name")
        refused(w, d, ["--admin", "ann", "--admin-key", key],
                "--admin-key %s: this is a private key; give the public key (the .pub file)" % key,
                "a private key as --admin-key")
        refused(w, d, ["--admin", "ann", "--admin-key", missing],
                "--admin-key %s: No such file or directory" % missing,
                "a missing --admin-key file")
        refused(w, d, ["--admin", "ann", "--admin-key", pub, "--listen", "nowhere"],
                "configuration: listen nowhere: not an IPv4 or IPv6 address",
                "a bad --listen, found while building")
    eq(os.path.exists(new), False, "a refused init leaves no new directory")
    eq((os.listdir(empty), mode(empty)), ([], 0o751), "a refused init leaves an empty one empty")
    fp = fingerprint(pub)
    for d in (new, empty + "/"):
        st, out, err = run([w.sluiced(), "init", "-d", d, "--admin", "ann", "--admin-key", pub,
                            "--port", "2300"])
        eq((st, out, err), (0, summary(d.rstrip("/"), "ann", fp, 2300), ""), "init after refusals")
        eq(mode(d), 0o700, "data directory mode")
        eq(sorted(os.listdir(d)), ["audit.head", "audit.key", "empty", "host_ed25519_key",
                                   "host_ed25519_key.pub", "inbox", "mail", "master.key",
                                   "payloads", "policy.conf", "release.key", "release.pub",
                                   "sluice.db", "sluiced.conf", "uploads"],
           "what init makes")
        eq((os.listdir(os.path.join(d, "empty")), mode(os.path.join(d, "empty"))), ([], 0o755),
           "the sessions' sandbox directory")
        st, out, err = run([w.sluiced(), "check-config", "-d", d])
        eq((st, out), (0, "%s: configuration, policy and keys are usable\n" % d), "check-config")


def test(w):
    d = w.dir
    eq(w.init_output, summary(d, w.admin, fingerprint(w.pub(w.admin)), w.port), "init's summary")
    for name in ("master.key", "release.key", "host_ed25519_key", "sluice.db", "audit.key"):
        eq(mode(os.path.join(d, name)), 0o600, name + " mode")
    eq(mode(os.path.join(d, "audit.head")), 0o644, "audit.head mode")
    with open(os.path.join(d, "audit.key"), "rb") as f:
        eq(len(f.read()), 32, "audit key length")
    with open(os.path.join(d, "audit.head")) as f:
        check(re.fullmatch(r"sluice-audit-head-v1:1:[0-9a-f]{64}:[0-9a-f]{128}\n", f.read())
              is not None, "audit.head names entry 1, init's")
    eq(mode(d), 0o700, "data directory mode")
    with open(os.path.join(d, "master.key"), "rb") as f:
        eq(len(f.read()), 32, "master key length")
    with open(os.path.join(d, "release.pub")) as f:
        check(f.readline().startswith("untrusted comment: minisign public key "), "release.pub")
    st, out, err = run([w.sluiced(), "init", "-d", d, "--admin", "x", "--admin-key", w.pub(w.admin)])
    eq((st, out, err), (1, "", "sluiced: init: %s: directory is not empty; refusing to overwrite it\n"
                        % d), "init on a used directory")
    all_or_nothing(w)
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
