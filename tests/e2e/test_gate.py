#!/usr/bin/env python3
"""Issue 4: nothing is delivered unless the gate allows it, and the audit log
says why. Each case asserts what the recipient sees (listing, status code,
one-line reason) and the exact audit entries the daemon wrote:

- an extract staged but not approved: not listed, not in SHA256SUMS, open
  fails "no such file";
- revocation mid-download: the first READ after `release revoke` returns is
  refused (the engine bumps the shared generation), fewer bytes than the file
  were served, and the audit has "download stopped" and an incomplete
  "download"; a later open is refused by rule 6;
- another organisation's recipient: no ORG-A directory, paths fail;
- a staff key: its SFTP tree is /inbox only;
- an unknown key: login refused, audited with the key's fingerprint;
- a suspended agreement: its files still listed (a refusal is said at
  open, with its rule), refused by rule 5, served again after resume;
- expiry: after the fake clock passes `expires` and the scheduler runs, the
  agreement is expired, its directory lists no extract, open is refused."""

import errno
import json
import os

from harness import main, eq, check, run
import deliver  # first: it finds the interpreter that has paramiko
import paramiko
from paramiko.py3compat import long
from paramiko.sftp import CMD_READ, CMD_DATA
from deliver import AGE, NIC
import story

BIG = "/%s/big.csv.age" % NIC


def refused(fn, code, msg, what):
    """fn() must raise IOError(code, msg)."""
    try:
        fn()
    except IOError as e:
        eq((e.errno, str(e.strerror)), (code, msg), what)
        return
    raise deliver.Failure(what + ": not refused")


def denies(entries):
    return [(e["actor"], e["action"], e["subject"], e["outcome"], e["details"])
            for e in entries if e["outcome"] in ("deny", "refused")]


def raw_read(c, f, off, n):
    t, msg = c._request(CMD_READ, f.handle, long(off), int(n))
    eq(t, CMD_DATA, "READ reply")
    return msg.get_string()


def before_approval(w):
    deliver.stage(w, "early.csv", b"not,yet,approved\n", approve=False)
    mark = deliver.last_audit_id(w)
    t, c = deliver.client(w, "rita")
    eq(sorted(c.listdir("/" + NIC)), ["SHA256SUMS", "SHA256SUMS.minisig", "cohort.csv.age",
                                      "deletion-certificate"], "listing before approval")
    refused(lambda: c.open("/%s/early.csv.age" % NIC, "rb"), errno.ENOENT, "no such file",
            "open of an unapproved extract")
    refused(lambda: c.stat("/%s/early.csv.age" % NIC), errno.ENOENT, "no such file",
            "stat of an unapproved extract")
    with c.open("/%s/SHA256SUMS" % NIC) as f:
        sums = f.read().decode()
    check("early.csv" not in sums and "cohort.csv" in sums, "SHA256SUMS: " + sums)
    c.close()
    t.close()
    st, out, err = w.sftp("rita", ["get /%s/early.csv.age %s" % (NIC, w.path("early.age"))])
    check(st != 0 and not os.path.exists(w.path("early.age")), "sftp get: " + out + err)
    after = deliver.audit_since(w, mark)
    eq([e for e in after if "early" in e["details"] + e["subject"]], [],
       "audit entries about the unapproved extract")


def revoke_mid_download(w):
    data = deliver.big_extract(20)
    xid, rid = deliver.stage(w, "big.csv", data)
    t, c = deliver.client(w, "rita")
    f = c.open(BIG, "rb")
    size = f.stat().st_size
    check(size > len(data), "big.csv.age size %d" % size)
    got = bytearray()
    for _ in range(8):
        got += raw_read(c, f, len(got), 32768)
    mark = deliver.last_audit_id(w)
    w.ok("alan", "release", "revoke", rid, "--reason", "recipient left the project")
    why = "rule 6 (release): the release has been revoked"
    # The very first READ after the revocation is refused, and every later one.
    for _ in range(3):
        refused(lambda: raw_read(c, f, len(got), 32768), errno.EACCES, why,
                "READ after revocation")
    check(len(got) == 8 * 32768 and len(got) < size, "served %d of %d" % (len(got), size))
    f.close()
    refused(lambda: c.open(BIG, "rb"), errno.EACCES, why, "open after revocation")
    c.close()
    t.close()
    after = deliver.audit_since(w, mark)
    eq(denies(after), [
        ("rita", "download stopped", "big.csv.age", "deny", "%s: %s" % (BIG, why)),
        ("rita", "download", "big.csv.age", "deny",
         "%s: %d bytes, range 0-%d, not completed" % (BIG, len(got), len(got))),
        ("rita", "download open", BIG, "deny", why),
    ], "audit after revocation mid-download")
    eq(len(deliver.pick(after, actor="alan", action="release revoke", outcome="ok")), 1,
       "the revocation is audited")


def other_org(w):
    w.ok("olivia", "org", "add", "ORG-B", "--name", "Org B Trust", "--type", "NHS Trust")
    w.ok("olivia", "contract", "add", "ORG-B", "--ref", "DSFC-2026-0002",
         "--starts", "2026-01-01", "--expires", "2027-12-31")
    w.ok("olivia", "org", "dspt", "ORG-B", "--status", "standards-met", "--expires", "2027-06-30")
    w.keygen("bob")
    w.ok("olivia", "person", "add", "ORG-B", "bob", "--email", "bob@orgb.example",
         "--key", w.publine("bob"))
    t, c = deliver.client(w, "bob")
    eq(c.listdir("/"), ["release.pub"], "ORG-B's root")
    for p in (AGE, "/%s/SHA256SUMS" % NIC, "/%s/../%s/cohort.csv.age" % (NIC, NIC)):
        refused(lambda: c.open(p, "rb"), errno.ENOENT, "no such file", "ORG-B opens " + p)
        refused(lambda: c.stat(p), errno.ENOENT, "no such file", "ORG-B stats " + p)
    refused(lambda: c.listdir("/" + NIC), errno.ENOENT, "no such file", "ORG-B lists " + NIC)
    c.close()
    t.close()
    st, out, err = w.sftp("bob", ["get %s %s" % (AGE, w.path("bob.age"))])
    check(st != 0 and not os.path.exists(w.path("bob.age")), "bob's sftp get: " + out + err)


def staff_key(w):
    t, c = deliver.client(w, "olivia")
    eq(c.listdir("/"), ["inbox", "stage"], "staff root (an operator's: /stage too)")
    eq(c.normalize("."), "/inbox", "staff working directory")
    refused(lambda: c.open(AGE, "rb"), errno.ENOENT, "no such file", "staff opens the extract")
    refused(lambda: c.listdir("/" + NIC), errno.ENOENT, "no such file", "staff lists " + NIC)
    refused(lambda: c.open("../" + NIC + "/cohort.csv.age", "rb"), errno.ENOENT,
            "no such file", "staff opens ../NIC")
    c.close()
    t.close()


def unknown_key(w):
    w.keygen("eve")
    st, out, err = run(["ssh-keygen", "-lf", w.pub("eve")])
    fp = out.split()[1]
    mark = deliver.last_audit_id(w)
    try:
        deliver.transport(w, "eve")
        raise deliver.Failure("an unknown key logged in")
    except paramiko.AuthenticationException:
        pass
    try:
        deliver.transport(w, "rita", key=w.key("eve"))
        raise deliver.Failure("an unknown key logged in as rita")
    except paramiko.AuthenticationException:
        pass
    st, out, err = w.sftp("eve", ["ls /"])
    eq(st, 255, "sftp with an unknown key")
    after = deliver.audit_since(w, mark)
    refusals = deliver.pick(after, action="login", subject=fp, outcome="refused")
    eq(sorted(set(e["actor"] for e in refusals)), ["eve", "rita"], "refused logins by user")
    for e in refusals:
        check(e["details"].startswith("from 127.0.0.1:") and
              e["details"].endswith(": key is not registered"), "refusal: " + e["details"])
    eq([e for e in after if e["outcome"] == "ok" and e["action"] == "login" and
        e["subject"] == fp], [], "no login with the unknown key succeeded")


def suspended(w):
    w.ok("alan", "agreement", "suspend", NIC, "--reason", "breach under investigation")
    mark = deliver.last_audit_id(w)
    t, c = deliver.client(w, "rita")
    why = "rule 5 (agreement): the agreement is suspended, not live"
    refused(lambda: c.open(AGE, "rb"), errno.EACCES, why, "open while suspended")
    eq(sorted(c.listdir("/" + NIC)), ["SHA256SUMS", "SHA256SUMS.minisig", "cohort.csv.age",
                                      "deletion-certificate"], "listing while suspended")
    c.close()
    t.close()
    eq(denies(deliver.audit_since(w, mark)), [("rita", "download open", AGE, "deny", why)],
       "audit while suspended")
    w.ok("alan", "agreement", "resume", NIC)
    t, c = deliver.client(w, "rita")
    with c.open(AGE, "rb") as f:
        check(f.read(22) == b"age-encryption.org/v1\n", "served again after resume")
    c.close()
    t.close()


def expired(w):
    w.set_clock("2027-01-01T00:00:01Z")
    state = None
    for _ in range(50):    # the scheduler runs at the next request; bounded
        state = json.loads(w.ok("olivia", "--json", "agreement", "show", NIC)).get("state")
        if state == "expired":
            break
    eq(state, "expired", "agreement state after its expiry date")
    mark = deliver.last_audit_id(w)
    t, c = deliver.client(w, "rita")
    why = "rule 5 (agreement): the agreement is expired, not live"
    eq(c.listdir("/"), ["release.pub", NIC], "root after expiry (still listed)")
    eq(sorted(c.listdir("/" + NIC)), ["deletion-certificate"], "listing after expiry")
    refused(lambda: c.open(AGE, "rb"), errno.EACCES, why, "open after expiry")
    c.close()
    t.close()
    eq(denies(deliver.audit_since(w, mark)), [("rita", "download open", AGE, "deny", why)],
       "audit after expiry")


def test(w):
    deliver.live_world(w)
    before_approval(w)
    revoke_mid_download(w)
    other_org(w)
    staff_key(w)
    unknown_key(w)
    suspended(w)
    expired(w)
    # Nothing above served a byte of an extract it should not have: the only
    # completed downloads in the whole log are none (no client finished one).
    done = [e for e in deliver.audit(w) if e["action"] == "download" and
            e["details"].endswith(" completed") and "not completed" not in e["details"]]
    eq(done, [], "completed downloads")
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq(st, 0, "audit verify: " + err)


if __name__ == "__main__":
    main(test)
