#!/usr/bin/env python3
"""Issue 16: the engine checks each login's signature itself, with its own
code, from the signed request and signature the session passes on. Staff
with a key of every type sluice accepts log in with stock ssh (RSA with
rsa-sha2-256 and with rsa-sha2-512) and with paramiko; each login is
audited 'ok' once, no login is refused, and the log has no refused login
proof."""

import json
import socket

from harness import main, eq, check, run
import deliver  # brings paramiko, under the system python3 if need be

paramiko = deliver.paramiko

KEYS = [("edna", "ed25519", None), ("ecco", "ecdsa", "256"),
        ("ecka", "ecdsa", "384"), ("ecma", "ecdsa", "521"), ("rosa", "rsa", "3072")]


def keygen(w, who, kind, bits):
    argv = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", who, "-f", w.key(who)]
    if bits:
        argv[4:4] = ["-b", bits]
    st, out, err = run(argv)
    eq(st, 0, "ssh-keygen %s: %s" % (who, err))


def fingerprint(w, who):
    st, out, err = run(["ssh-keygen", "-l", "-f", w.pub(who)])
    eq(st, 0, "ssh-keygen -l: " + err)
    return out.split()[1]


def by_ssh(w, who, algs):
    """`audit verify` as who, offering only the signature algorithms algs."""
    argv = (["ssh"] + w.ssh_opts(who) + ["-o", "PubkeyAcceptedAlgorithms=" + algs,
                                         "-p", str(w.port), "-l", who, "127.0.0.1",
                                         "--", "audit verify"])
    st, out, err = run(argv)
    eq(st, 0, "%s over ssh with %s: %s" % (who, algs, err))
    check(out.startswith("audit log intact: "), "%s: audit verify said %r" % (who, out))


KEY_CLASS = {"ed25519": paramiko.Ed25519Key, "ecdsa": paramiko.ECDSAKey,
             "rsa": paramiko.RSAKey}


def by_paramiko(w, who, kind):
    sock = socket.create_connection(("127.0.0.1", w.port), 10)
    t = paramiko.Transport(sock)
    try:
        t.get_security_options().key_types = ["ssh-ed25519"]
        t.start_client(timeout=10)
        eq(t.get_remote_server_key().asbytes(), deliver.host_key_blob(w), "host key")
        t.auth_publickey(who, KEY_CLASS[kind].from_private_key_file(w.key(who)))
        check(t.is_authenticated(), "%s not authenticated by paramiko" % who)
        ch = t.open_session()
        ch.exec_command("audit verify")
        eq(ch.recv_exit_status(), 0, "%s over paramiko: audit verify" % who)
    finally:
        t.close()


def logins(w):
    """(actor, subject, outcome, details) of every login entry."""
    out = w.ok(w.admin, "audit", "export")
    rows = [json.loads(line) for line in out.splitlines()]
    return [(r["actor"], r["subject"], r["outcome"], r["details"].split(" as ")[-1])
            for r in rows if r["action"] == "login"]


def test(w):
    w.start()
    for who, kind, bits in KEYS:
        keygen(w, who, kind, bits)
        w.ok(w.admin, "staff", "add", who, "--email", who + "@nhs.example",
             "--key", w.publine(who), "--role", "auditor")
    want = []
    for who, kind, bits in KEYS:
        algs = {"ed25519": ["ssh-ed25519"], "rsa": ["rsa-sha2-256", "rsa-sha2-512"]}.get(
            kind, ["ecdsa-sha2-nistp" + (bits or "")])
        for alg in algs:
            by_ssh(w, who, alg)
        by_paramiko(w, who, kind)
        want += [(who, fingerprint(w, who), "ok", "staff")] * (len(algs) + 1)
    got = [e for e in logins(w) if e[0] != w.admin]
    eq(got, want, "login audit entries")
    check("login proof refused" not in w.logtext(whole=True), "a login proof was refused")


if __name__ == "__main__":
    main(test)
