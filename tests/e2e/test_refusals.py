#!/usr/bin/env python3
"""Issue 14: every refusal says why, and who may act is read at every
request, in open connections too.

For each rule of the gate (docs/design.md section 2) the released file stays
listed whatever the gate says, and opening it is refused with the rule's
one-line reason: stock sftp prints it on stderr ("sluice: rule N (...): ..."
beside its own "Permission denied" line), paramiko gets it as the status
text, and the audit has one "download open" deny entry per refusal. Putting
the condition right serves the file again.

- rule 1: a recipient disabled while downloading is cut off at the next
  READ (stock sftp and paramiko); the same connection's listings and opens
  are then refused "user rita is disabled", a new login too; a replaced key
  ends the old key's downloads and requests alike;
- rule 2: the organisation's contract ran out; a new one is registered;
- rule 3: the DSPT falls to not-met; standards-met again;
- rule 4: an older agreement's certificate of deletion is overdue; it
  arrives and the sanction lifts;
- rule 5: the agreement is suspended; resumed;
- rule 6: the release is revoked between `ls` and `get` in one stock sftp
  session; approved again;
- rule 7: the download limit (policy max_count = 1) is reached; a fresh
  approval;
- staff: roles changed and a staff member disabled while connected: the
  next admin command on the same connection is judged by the new facts;
- a revoked signatory: what it signed before still serves; a new agreement
  signature or a certificate of deletion by it is refused."""

import errno
import os
import re
import shlex
import subprocess
import time

from harness import main, eq, check, run
import deliver  # first: it finds the interpreter that has paramiko
import paramiko
from paramiko.py3compat import long
from paramiko.sftp import CMD_CLOSE, CMD_READ, CMD_DATA
import mailbox
import story

NIC = story.NIC
ORG = story.ORG
AGE = "/%s/cohort.csv.age" % NIC
LISTED = ["SHA256SUMS", "SHA256SUMS.minisig", "cohort.csv.age", "deletion-certificate"]
NIC2 = "NIC-654321-B2C3D"


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


def lines(text):
    """stderr as sorted lines: ssh writes our line and sftp its own, from two
    processes, so their order is not fixed."""
    return sorted(l.rstrip("\r") for l in text.splitlines())


def bang(w, who, *words):
    """An sftp batch line running one admin command as who (stock ssh) in
    the middle of the sftp session."""
    line = " ".join(shlex.quote(x) for x in words)
    argv = ["ssh"] + w.ssh_opts(who) + ["-p", str(w.port), "-l", who, "127.0.0.1", "--", line]
    return "!" + " ".join(shlex.quote(x) for x in argv)


def raw_read(c, f, off, n):
    t, msg = c._request(CMD_READ, f.handle, long(off), int(n))
    eq(t, CMD_DATA, "READ reply")
    return msg.get_string()


def served(w, what, path=AGE):
    """A fresh paramiko session opens path and gets an age file."""
    t, c = deliver.client(w, "rita")
    with c.open(path, "rb") as f:
        eq(f.read(22), b"age-encryption.org/v1\n", what + ": served again")
    c.close()
    t.close()


# ---- the world --------------------------------------------------------------

def organisation(w):
    """ORG-A as story.organisation makes it, but its first contract ended
    yesterday (rule 2 is the first case)."""
    w.ok("olivia", "org", "add", ORG, "--name", "Org A University", "--type", "University")
    w.ok("olivia", "contract", "add", ORG, "--ref", "DSFC-2026-0001",
         "--starts", "2026-01-01", "--expires", "2026-05-31")
    w.ok("olivia", "org", "dspt", ORG, "--status", "standards-met", "--expires", "2027-06-30")
    w.keygen("rita")
    w.ok("olivia", "person", "add", ORG, "rita", "--email", "rita@orga.example",
         "--key", w.publine("rita"))


def world(w):
    w.start()
    story.staff(w)
    organisation(w)
    story.signatories(w)
    eq(story.agreement(w).get("state"), "live", "agreement state")
    return story.stage_and_approve(w)


# ---- one case per rule -------------------------------------------------------

def sftp_refused(w, why, listed, path=AGE, before=()):
    """Stock sftp: `ls` lists the file, `get` is refused with why."""
    local = w.path("refused.age")
    batch = ["ls -1 /" + NIC] + list(before) + ["get %s %s" % (path, local)]
    st, out, err = w.sftp("rita", batch)
    eq(st, 1, "sftp exit status: " + out + err)
    listing = "".join("/%s/%s\n" % (NIC, n) for n in listed)
    check(out.startswith("sftp> ls -1 /%s\n%s" % (NIC, listing)), "sftp ls output: " + out)
    check(out.endswith("sftp> get %s %s\n" % (path, local)), "sftp output: " + out)
    eq(lines(err), ['remote open "%s": Permission denied' % path, "sluice: " + why],
       "sftp's stderr")
    check(not os.path.exists(local), "nothing downloaded")


def paramiko_refused(w, why, listed, path=AGE, between=None):
    """paramiko: the listing has the file, the open is refused with why."""
    t, c = deliver.client(w, "rita")
    eq(sorted(c.listdir("/" + NIC)), listed, "paramiko listing")
    if between is not None:
        between()
    refused(lambda: c.open(path, "rb"), errno.EACCES, why, "paramiko open")
    check(c.stat(path).st_size > 0, "stat of a listed file")
    c.close()
    t.close()


def gate_case(w, why, listed=LISTED, path=AGE):
    """Both clients refused by why, and the audit has both opens."""
    mark = deliver.last_audit_id(w)
    sftp_refused(w, why, listed, path)
    paramiko_refused(w, why, listed, path)
    eq(denies(deliver.audit_since(w, mark)), [("rita", "download open", path, "deny", why)] * 2,
       "audit of the refusals")


def rule2_contract(w):
    gate_case(w, "rule 2 (contract): no Data Sharing Framework Contract in force on 2026-06-01")
    w.ok("olivia", "contract", "add", ORG, "--ref", "DSFC-2026-0002",
         "--starts", "2026-06-01", "--expires", "2027-12-31")
    served(w, "rule 2")


def rule3_dspt(w):
    w.ok("olivia", "org", "dspt", ORG, "--status", "not-met", "--expires", "2027-06-30")
    gate_case(w, "rule 3 (dspt): security assurance (DSPT) is not-met, standards-met is required")
    w.ok("olivia", "org", "dspt", ORG, "--status", "standards-met", "--expires", "2027-06-30")
    served(w, "rule 3")


def overdue_agreement(w):
    """NIC2 of ORG-A ran 2026-01-01..2026-03-31: signed now, it is expired
    at once and its certificate (due 2026-04-30) overdue: ORG-A sanctioned."""
    d = story.pki(w)
    doc = w.write("dsa2.txt", "DATA SHARING AGREEMENT " + NIC2 + "\r\nPilot study.\r\n")
    w.put("olivia", doc)
    w.ok("olivia", "agreement", "add", NIC2, "--org", ORG, "--title", "Pilot",
         "--purpose", "Research", "--legal-basis", "Article 6(1)(e)", "--datasets", "HES-APC",
         "--starts", "2026-01-01", "--expires", "2026-03-31", "--document", "dsa2.txt")
    for party in ("applicant", "controller"):
        sig = w.path("dsa2.%s.p7s" % party)
        story.sign_doc(w, os.path.join(d, party), doc, sig)
        w.put("olivia", sig)
        w.ok("olivia", "agreement", "sign", NIC2, "--party", party,
             "--signature", os.path.basename(sig))


def rule4_sanction(w):
    overdue_agreement(w)
    check("ORG-A is sanctioned" in w.ok("olivia", "agreement", "show", NIC), "sanctioned")
    gate_case(w, "rule 4 (sanction): the organisation is sanctioned: "
                 "a certificate of deletion is overdue")
    cert = mailbox.signed_cert(w, "nic2.p7m", mailbox.certdoc(nic=NIC2, datasets="HES-APC",
                                                              destroyed="2026-05-01"))
    st, out = mailbox.put_cert(w, cert, nic=NIC2)
    eq(st, 0, "NIC2's certificate: " + out)
    served(w, "rule 4")


def rule5_agreement(w):
    w.ok("alan", "agreement", "suspend", NIC, "--reason", "breach under investigation")
    gate_case(w, "rule 5 (agreement): the agreement is suspended, not live")
    w.ok("alan", "agreement", "resume", NIC)
    served(w, "rule 5")


def approve_again(w, xid):
    return deliver.release_id(w.ok("alan", "release", "approve", xid))


def rule6_release(w, xid, rid):
    """The release revoked between the listing and the open, in one
    session of each client."""
    why = "rule 6 (release): the release has been revoked"
    mark = deliver.last_audit_id(w)
    sftp_refused(w, why, LISTED, before=[bang(w, "alan", "release", "revoke", rid,
                                              "--reason", "wrong cohort")])
    rid = approve_again(w, xid)
    paramiko_refused(w, why, LISTED, between=lambda: w.ok(
        "alan", "release", "revoke", rid, "--reason", "wrong cohort again"))
    eq(denies(deliver.audit_since(w, mark)), [("rita", "download open", AGE, "deny", why)] * 2,
       "audit of the refusals")
    approve_again(w, xid)
    deliver.sftp_download_works(w)


def set_policy(w, section, key, value):
    """Restarts the daemon with policy.conf's [section] key = value."""
    w.stop()
    pol = os.path.join(w.dir, "policy.conf")
    with open(pol) as f:
        text = f.read()
    text, n = re.subn(r"(?ms)^(\[%s\].*?^%s = )\S*$" % (section, key), r"\g<1>%s" % value, text)
    eq(n, 1, "[%s] %s in policy.conf" % (section, key))
    with open(pol, "w") as f:
        f.write(text)
    w.start()


def rule7_policy(w):
    """A release approved while the policy allows one download each."""
    set_policy(w, "downloads", "max_count", "1")
    xid, rid = deliver.stage(w, "limited.csv", b"id,value\n1,limited\n")
    set_policy(w, "downloads", "max_count", "0")
    path = "/%s/limited.csv.age" % NIC
    served(w, "rule 7, the one download", path)
    gate_case(w, "rule 7 (policy): the download limit is reached (1 of 1)",
              sorted(LISTED + ["limited.csv.age"]), path)
    w.ok("alan", "release", "revoke", rid, "--reason", "a second copy was asked for")
    approve_again(w, xid)
    served(w, "rule 7", path)


# ---- rule 1: who the recipient is, at every request ---------------------------

BIG = "/%s/big.csv.age" % NIC
NOT_ACTIVE = "rule 1 (recipient): the recipient is not active"


def sftp_cut_off(w):
    """A slow stock sftp download (one request in flight, 1000 kbit/s) of
    big.csv: rita is disabled while it runs; it stops at the next READ."""
    local = w.path("big-sftp.age")
    batch = w.write("batch-big", "get %s %s\n" % (BIG, local))
    argv = ["sftp"] + w.ssh_opts("rita") + ["-l", "1000", "-R", "1", "-b", batch,
                                            "-P", str(w.port), "rita@127.0.0.1"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(400):
        if os.path.exists(local) and os.path.getsize(local) > 0:
            break
        time.sleep(0.05)
    w.ok("olivia", "person", "disable", "rita", "--reason", "left")
    out, err = p.communicate(timeout=120)
    eq(p.returncode, 1, "stock sftp cut off: " + out.decode() + err.decode())
    eq(lines(err.decode()), ['read remote "%s" : Permission denied' % BIG, "sluice: " + NOT_ACTIVE],
       "stock sftp's stderr when cut off")
    return os.path.getsize(local)


def paramiko_cut_off(w, size):
    """rita's paramiko session: a download cut off by rule 1 at the first
    READ after `person disable`; then every request is refused."""
    t, c = deliver.client(w, "rita")
    f = c.open(BIG, "rb")
    got = bytearray()
    for _ in range(4):
        got += raw_read(c, f, len(got), 32768)
    w.ok("olivia", "person", "disable", "rita", "--reason", "left again")
    refused(lambda: raw_read(c, f, len(got), 32768), errno.EACCES, NOT_ACTIVE,
            "the first READ after person disable")
    f.close()
    why = "user rita is disabled"
    refused(lambda: c.listdir("/" + NIC), errno.EACCES, why, "listing when disabled")
    refused(lambda: c.stat(AGE), errno.EACCES, why, "stat when disabled")
    refused(lambda: c.open(AGE, "rb"), errno.EACCES, why, "open when disabled")
    c.close()
    t.close()
    check(len(got) < size, "served %d of %d" % (len(got), size))
    return len(got)


def rule1_recipient(w):
    data = deliver.big_extract(4)
    xid, rid = deliver.stage(w, "big.csv", data)
    mark = deliver.last_audit_id(w)
    n = sftp_cut_off(w)
    st, out, err = w.sftp("rita", ["ls /"])
    eq((st, err), (255, "rita@127.0.0.1: Permission denied (publickey).\r\n"
                        "Connection closed\r\n"), "a new login when disabled")
    w.ok("olivia", "person", "enable", "rita")
    m = paramiko_cut_off(w, len(data))
    why = "user rita is disabled"
    got = denies(deliver.audit_since(w, mark))
    fp = [e for e in got if e[1] == "login"]
    eq(len(fp), 1, "one refused login")
    check(re.fullmatch(r"from 127\.0\.0\.1:\d+: user rita is disabled", fp[0][4]) is not None,
          "login refusal: " + fp[0][4])
    eq([e for e in got if e[1] != "login"], [
        ("rita", "download stopped", "big.csv.age", "deny", "%s: %s" % (BIG, NOT_ACTIVE)),
        ("rita", "download", "big.csv.age", "deny",
         "%s: %d bytes, range 0-%d, not completed" % (BIG, n, n)),
        ("rita", "download stopped", "big.csv.age", "deny", "%s: %s" % (BIG, NOT_ACTIVE)),
        ("rita", "download", "big.csv.age", "deny",
         "%s: %d bytes, range 0-%d, not completed" % (BIG, m, m)),
        ("rita", "list", "/" + NIC, "deny", why),
        ("rita", "stat", AGE, "deny", why),
        ("rita", "download open", AGE, "deny", why),
    ], "audit of the disabled recipient")
    w.ok("olivia", "person", "enable", "rita")
    deliver.sftp_download_works(w)


def open_session_refused(w):
    """Stock sftp: rita disabled between two commands of one session."""
    mark = deliver.last_audit_id(w)
    st, out, err = w.sftp("rita", ["ls -1 /", bang(w, "olivia", "person", "disable", "rita",
                                                   "--reason", "left"), "ls -1 /"])
    eq(st, 1, "sftp exit status: " + out + err)
    check(out.startswith("sftp> ls -1 /\n/%s\n/%s\n/release.pub\n" % (NIC, NIC2)),
          "the first listing: " + out)
    # sftp's ls asks for the directory's attributes first: that is refused.
    eq(lines(err), ['Can\'t ls: "/" not found', "sluice: user rita is disabled"],
       "stock sftp's stderr when disabled")
    eq(denies(deliver.audit_since(w, mark)), [("rita", "stat", "/", "deny",
                                               "user rita is disabled")], "audit")
    w.ok("olivia", "person", "enable", "rita")


def key_replaced(w):
    """A new key for rita: the old key's open download stops by rule 1 and
    its other requests are refused; the new key works."""
    t, c = deliver.client(w, "rita")
    f = c.open(BIG, "rb")
    raw_read(c, f, 0, 32768)
    w.keygen("rita2")
    w.ok("olivia", "person", "key", "rita", "--key", w.publine("rita2"))
    refused(lambda: raw_read(c, f, 32768, 32768), errno.EACCES,
            "rule 1 (recipient): the key does not belong to a registered recipient",
            "READ with the replaced key")
    f.close()
    refused(lambda: c.listdir("/" + NIC), errno.EACCES, "key no longer registered to rita",
            "listing with the replaced key")
    c.close()
    t.close()
    st, out, err = w.sftp("rita", ["ls /"])
    eq(st, 255, "a login with the old key")
    t, c = deliver.client(w, "rita", key=w.key("rita2"))
    check("cohort.csv.age" in c.listdir("/" + NIC), "the new key lists")
    c.close()
    t.close()
    w.ok("olivia", "person", "key", "rita", "--key", w.publine("rita"))
    served(w, "the first key registered again")


# ---- staff: roles and the active flag, per command -----------------------------

def exec_on(t, line):
    """One admin command on an open transport: (status, out, err)."""
    ch = t.open_session()
    ch.settimeout(30)
    ch.exec_command(line)
    out = ch.makefile("rb").read().decode()
    err = ch.makefile_stderr("rb").read().decode()
    st = ch.recv_exit_status()
    ch.close()
    return st, out, err


def staff_refusals(w, xid):
    """abby (approver) keeps one connection open while root changes her
    roles, then disables her: her next command, listing, upload and
    removal on that connection are refused."""
    t = deliver.transport(w, "abby")
    st, out, err = exec_on(t, "release list")
    eq((st, err), (0, ""), "abby's release list")
    w.ok(w.admin, "staff", "roles", "abby", "--role", "auditor")
    eq(exec_on(t, "release approve " + xid), (1, "", "permission denied: 'release approve' "
                                              "needs role approver\n"), "after staff roles")
    c = paramiko.SFTPClient.from_transport(t)
    with c.open("/inbox/kept.txt", "wb") as f:
        f.write(b"kept\n")
    f = c.open("/inbox/late.txt", "wb")
    f.write(b"written before, closed after\n")
    f.flush()
    mark = deliver.last_audit_id(w)
    w.ok(w.admin, "staff", "disable", "abby", "--reason", "left the team")
    why = "user abby is disabled"
    eq(exec_on(t, "--json release list --nic " + NIC), (1, "", why + "\n"),
       "a command after staff disable")
    f._closed = True        # paramiko's close() swallows the CLOSE status
    refused(lambda: c._request(CMD_CLOSE, f.handle), errno.EACCES, why, "the upload's CLOSE")
    refused(lambda: c.listdir("/inbox"), errno.EACCES, why, "abby's inbox")
    refused(lambda: c.remove("/inbox/kept.txt"), errno.EACCES, why, "abby's rm")
    c.close()
    t.close()
    eq(w.inbox_names("abby"), ["kept.txt"], "abby's inbox")
    eq([f for f in w.inbox_files() if f.startswith(".upload-")], [], "no upload left on disk")
    eq([d for d in denies(deliver.audit_since(w, mark)) if d[0] == "abby"], [
        ("abby", "release list", "", "refused",
         "--json release list --nic %s => %s" % (NIC, why)),
        ("abby", "inbox put", "late.txt", "deny", why),
        ("abby", "list", "/inbox", "deny", why),
        ("abby", "inbox remove", "/inbox/kept.txt", "deny", why),
    ], "audit of abby's refusals")


# ---- a revoked signatory signs nothing new -----------------------------------

def revoked_signatory(w):
    """ORG-A's signatory certificate revoked: the live agreement it signed
    still serves; a new version's signature by it and a certificate of
    deletion signed by it are refused, saying why."""
    d = story.pki(w)
    st, out, err = run(["openssl", "x509", "-noout", "-serial", "-in",
                        os.path.join(d, "applicant.pem")])
    eq(st, 0, "openssl x509: " + err)
    serial = out.strip().split("=", 1)[1]
    w.ok("olivia", "signatory", "revoke", ORG, serial, "--reason", "left the organisation")
    served(w, "the agreement signed before the revocation")
    doc = w.write("dsa-v2.txt", story.DOC + "Extended to 2027-06-30.\r\n")
    w.put("olivia", doc)
    w.ok("olivia", "agreement", "extend", NIC, "--expires", "2027-06-30", "--document",
         "dsa-v2.txt")
    sig = w.path("dsa-v2.applicant.p7s")
    story.sign_doc(w, os.path.join(d, "applicant"), doc, sig)
    w.put("olivia", sig)
    eq(w.ssh("olivia", "agreement", "sign", NIC, "--party", "applicant", "--signature",
             os.path.basename(sig)),
       (1, "", "applicant signature refused: signer certificate is not registered\n"),
       "a new signature by the revoked signatory")
    cert = mailbox.signed_cert(w, "revoked.p7m", mailbox.certdoc())
    eq(mailbox.sftp_put_status(w, cert),
       (None, "signatory certificate %s of ORG-A was revoked on 2026-06-01: "
              "left the organisation" % serial), "a certificate signed by it")
    served(w, "the agreement after the refused signature")


def test(w):
    xid, rid = world(w)
    rid = deliver.release_id(rid)
    rule2_contract(w)
    rule3_dspt(w)
    rule4_sanction(w)
    rule5_agreement(w)
    rule6_release(w, xid, rid)
    rule7_policy(w)
    # These use the commands that manage people and staff (person disable,
    # person enable, person key, staff roles, staff disable).
    rule1_recipient(w)
    open_session_refused(w)
    key_replaced(w)
    staff_refusals(w, xid)
    revoked_signatory(w)
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq(st, 0, "audit verify: " + err)


if __name__ == "__main__":
    main(test)
