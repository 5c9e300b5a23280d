#!/usr/bin/env python3
"""Issue 14, governance over the real admin channel (stock ssh, sftp, age,
openssl; paramiko where a download must stay open):

- every text listing starts with its header line, and JSON names people;
- staff list, person list, contract list, signatory list, org show, extract
  list/show, each exact;
- offboarding: a staff member disabled while connected through one SSH
  connection multiplexed with ControlMaster is refused on their next command
  over that same connection (the engine reads roles and the active flag at
  every request), a new login is refused, enable restores both;
- there is always an active admin; roles and keys are replaced, the old key
  refused at login and the new one working;
- a recipient disabled mid-download: the next READ is refused; person key and
  person age-recipient change what logs in and what decrypts;
- extract discard removes a never-released extract and its payload, never a
  released one; release approve's own limits (window, count) hold at the gate;
- agreement show lists every version; agreement terminate ends the governing
  version today, stops an open download, puts the certificate of deletion due,
  and a pending version can no longer revive it; signatory revoke.

Each step asserts exit status, stdout, stderr and the audit entry written."""

import errno
import hashlib
import json
import os
import shlex
import subprocess
import time

from harness import main, eq, check, run
import deliver  # first: it finds the interpreter that has paramiko
from deliver import AGE, NIC
import story

ORG = story.ORG
LIST_HEADERS = {
    ("org", "list"): "code\tname\ttype\tdspt\tdspt_expires\tsanctioned",
    ("contract", "list"): "org\tref\tstarts\texpires\tstatus",
    ("person", "list"): "user\torg\tstate\temail\tage_recipient\tfingerprint",
    ("signatory", "list"): "owner\tserial\tsubject\tnot_before\tnot_after\tstatus",
    ("agreement", "list"): "nic\tversion\tstate\torg\tstarts\texpires\ttitle",
    ("extract", "list"): "id\tnic\tname\tplain_size\tstaged_by\tstaged_at\tstatus",
    ("release", "list"): "id\tnic\tname\textract_id\tstaged_by\tapproved_by\t"
                         "approved_at\tstate",
    ("certificate", "list"): "id\tnic\tat\toutcome\tdetail",
    ("staff", "list"): "user\troles\tstate\temail\tfingerprint",
}


def fingerprint(w, keyname):
    st, out, err = run(["ssh-keygen", "-lf", w.pub(keyname)])
    check(st == 0, "ssh-keygen -lf: " + err)
    return out.split()[1]


def last_entry(w, **want):
    """The newest audit entry whose fields equal want's."""
    found = deliver.pick(deliver.audit(w), **want)
    check(found, "no audit entry %r" % want)
    return found[-1]


def audited(w, actor, action, subject, outcome, details):
    """The newest audit entry (before audrey's login to read the log) is
    this one."""
    entries = deliver.audit(w)
    eq((entries[-1]["actor"], entries[-1]["action"]), ("audrey", "login"), "the export")
    e = entries[-2]
    eq((e["actor"], e["action"], e["subject"], e["outcome"], e["details"]),
       (actor, action, subject, outcome, details), "the audit entry of " + action)


def download_closed(w, user, outcome, details):
    """Waits (bounded) for the session that a client just left to write its
    download entry, so it cannot land after the next command's; then checks
    it. The session writes it when it sees the connection gone."""
    for _ in range(100):
        got = [(e["outcome"], e["details"]) for e in deliver.audit(w)
               if e["actor"] == user and e["action"] == "download"]
        if got and got[-1] == (outcome, details):
            return
        time.sleep(0.1)
    eq(got[-1:], [(outcome, details)], "the download entry of " + user)


def ssh_as(w, user, keyname, *words):
    """One admin command as user, logging in with keyname's key."""
    line = " ".join(shlex.quote(x) for x in words)
    return run(["ssh"] + w.ssh_opts(keyname) + ["-p", str(w.port), "-l", user,
                                                "127.0.0.1", "--", line], input=b"")


def login_refused(w, user, keyname, what):
    st, out, err = ssh_as(w, user, keyname, "help")
    eq((st, out), (255, ""), what)
    check("Permission denied (publickey)" in err, what + ": " + err)


def refused(fn, code, msgs, what):
    """fn() must raise IOError(code, one of msgs)."""
    try:
        fn()
    except IOError as e:
        check(e.errno == code and str(e.strerror) in msgs,
              "%s: got %r %r, want %r %r" % (what, e.errno, e.strerror, code, msgs))
        return
    raise deliver.Failure(what + ": not refused")


def signatory_facts(w, party):
    pem = os.path.join(story.pki(w), party + ".pem")
    facts = []
    for opt in ("-subject", "-serial"):
        st, out, err = run(["openssl", "x509", "-in", pem, "-noout", opt,
                            "-nameopt", "RFC2253"])
        check(st == 0, "openssl: " + err)
        facts.append(out.strip().split("=", 1)[1])
    return facts        # subject, serial


# ---- listings ---------------------------------------------------------------

def listings(w, xid):
    for words, header in LIST_HEADERS.items():
        who = "audrey"
        st, out, err = w.ssh(who, *words)
        eq((st, err, out.split("\n")[0]), (0, "", header), " ".join(words) + " header")
    eq(w.ssh("alan", "staff", "list"),
       (1, "", "permission denied: 'staff list' needs role auditor or admin\n"),
       "staff list as an approver")
    eq(w.ok("root", "staff", "list"), "\n".join([
        LIST_HEADERS[("staff", "list")],
        "abby\tapprover\tactive\tabby@nhs.example\t" + fingerprint(w, "abby"),
        "alan\tapprover\tactive\talan@nhs.example\t" + fingerprint(w, "alan"),
        "audrey\tauditor\tactive\taudrey@nhs.example\t" + fingerprint(w, "audrey"),
        "olivia\toperator,approver\tactive\tolivia@nhs.example\t" + fingerprint(w, "olivia"),
        "root\tadmin\tactive\troot@localhost\t" + fingerprint(w, "root")]) + "\n",
       "staff list")
    audited(w, "root", "staff list", "", "ok", "staff list")
    eq(w.ok("alan", "person", "list", "--org", ORG),
       LIST_HEADERS[("person", "list")] + "\nrita\tORG-A\tactive\trita@orga.example\t-\t"
       + fingerprint(w, "rita") + "\n", "person list")
    eq(w.ok("alan", "contract", "list"), LIST_HEADERS[("contract", "list")] +
       "\nORG-A\tDSFC-2026-0001\t2026-01-01\t2027-12-31\tin-force\n", "contract list")
    asub, aser = signatory_facts(w, "applicant")
    csub, cser = signatory_facts(w, "controller")
    eq(w.ok("audrey", "signatory", "list"), "\n".join([
        LIST_HEADERS[("signatory", "list")],
        "ORG-A\t%s\t%s\t2025-01-01\t2035-12-31\tvalid" % (aser, asub),
        "controller\t%s\t%s\t2025-01-01\t2035-12-31\tvalid" % (cser, csub)]) + "\n",
       "signatory list")
    eq(w.ok("audrey", "org", "show", ORG), "\n".join([
        "organisation ORG-A: Org A University (University)",
        "DSPT: standards-met until 2027-06-30",
        "sanction: none",
        "contract DSFC-2026-0001: 2026-01-01 to 2027-12-31, in-force",
        "recipient rita: active, rita@orga.example",
        "signatory %s: %s, valid 2025-01-01 to 2035-12-31, valid" % (aser, asub),
        "agreement %s: version 1, live, 2026-05-01 to 2026-12-31: "
        "Readmissions cohort study" % NIC]) + "\n", "org show")
    rel = json.loads(w.ok("audrey", "--json", "release", "list"))["releases"]
    eq([(r["extract_id"], r["staged_by"], r["approved_by"], r["revoked_by"]) for r in rel],
       [(xid, "olivia", "alan", "")], "release list JSON names people")
    ex = json.loads(w.ok("audrey", "--json", "extract", "list"))["extracts"]
    eq([(e["id"], e["name"], e["plain_size"], e["staged_by"], e["status"],
         e["sha256"]) for e in ex],
       [(xid, "cohort.csv", len(story.EXTRACT), "olivia", "released",
         hashlib.sha256(story.EXTRACT).hexdigest())], "extract list JSON")
    eq(w.ok("audrey", "extract", "list", "--nic", NIC),
       "%s\n%s\t%s\tcohort.csv\t%d\tolivia\t%s\treleased\n" % (
           LIST_HEADERS[("extract", "list")], xid, NIC, len(story.EXTRACT),
           ex[0]["staged_at"]), "extract list")


# ---- staff ------------------------------------------------------------------

def mux_opts(control):
    return ["-o", "ControlMaster=auto", "-o", "ControlPath=" + control,
            "-o", "ControlPersist=60"]


def mux(w, who, control, *words):
    line = " ".join(shlex.quote(x) for x in words)
    return run(["ssh"] + w.ssh_opts(who) + mux_opts(control) +
               ["-p", str(w.port), "-l", who, "127.0.0.1", "--", line], input=b"")


def mux_ctl(w, who, control, op):
    return run(["ssh", "-F", "/dev/null", "-o", "ControlPath=" + control, "-O", op,
                "-p", str(w.port), "-l", who, "127.0.0.1"])


def logins(w, who):
    """who's successful logins so far, as audited."""
    return len(deliver.pick(deliver.audit(w), actor=who, action="login", outcome="ok"))


def offboarding(w):
    """olivia keeps one SSH connection (ControlMaster) open throughout."""
    control = w.path("cm-olivia")
    # the master: one connection, in the background, no command of its own
    p = subprocess.run(["ssh"] + w.ssh_opts("olivia") + mux_opts(control) +
                       ["-f", "-N", "-p", str(w.port), "-l", "olivia", "127.0.0.1"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    eq(p.returncode, 0, "ssh master for olivia")
    try:
        eq(mux_ctl(w, "olivia", control, "check")[0], 0, "master running")
        before = logins(w, "olivia")
        eq(mux(w, "olivia", control, "org", "list")[0], 0, "org list over the master")
        eq(w.ok("root", "staff", "disable", "olivia", "--reason", "left the organisation"),
           "staff member olivia disabled: left the organisation\n", "staff disable")
        audited(w, "root", "staff disable", "olivia", "ok", "disabled: left the organisation")
        # the same connection: refused at the next command
        eq(mux(w, "olivia", control, "org", "list"),
           (1, "", "user olivia is disabled\n"), "olivia's next command on the open connection")
        e = last_entry(w, actor="olivia", outcome="refused")
        eq((e["action"], e["details"]), ("org list", "org list => user olivia is disabled"),
           "the refusal is audited")
        eq(mux(w, "olivia", control, "--json", "staff", "list"),
           (1, "", "user olivia is disabled\n"), "and every command after")
        eq(mux_ctl(w, "olivia", control, "check")[0], 0, "the connection is still open")
        login_refused(w, "olivia", "olivia", "a new login of a disabled staff member")
        eq(w.ssh("root", "staff", "disable", "olivia", "--reason", "again"),
           (1, "", "staff member olivia is disabled already\n"), "disabled twice")
        eq(w.ok("root", "staff", "enable", "olivia"), "staff member olivia enabled\n",
           "staff enable")
        audited(w, "root", "staff enable", "olivia", "ok", "enabled")
        eq(mux(w, "olivia", control, "org", "list")[0], 0, "olivia again, same connection")
        # the master carried every command of olivia's: no new login
        eq(logins(w, "olivia"), before, "olivia's logins while the master was open")
        check("olivia\toperator,approver\tactive\t" in w.ok("audrey", "staff", "list"),
              "olivia is active again")
    finally:
        mux_ctl(w, "olivia", control, "exit")


def admins(w):
    eq(w.ssh("root", "staff", "disable", "root", "--reason", "leaving"),
       (1, "", "root is the last active admin\n"), "disabling the last admin")
    audited(w, "root", "staff disable", "root", "refused",
            "staff disable root --reason leaving => root is the last active admin")
    eq(w.ssh("root", "staff", "roles", "root", "--role", "auditor"),
       (1, "", "root is the last active admin\n"), "the last admin's admin role")
    eq(w.ssh("root", "staff", "roles", "root", "--role", "admin,auditor"),
       (1, "", "you cannot grant yourself auditor: nobody may grant themselves a role\n"),
       "granting oneself a role")
    w.keygen("ada")
    w.ok("root", "staff", "add", "ada", "--email", "ada@nhs.example", "--key",
         w.publine("ada"), "--role", "admin")
    eq(w.ssh("root", "staff", "disable", "root", "--reason", "leaving"),
       (1, "", "you cannot disable yourself\n"), "disabling oneself")
    # roles: the engine reads them at every request
    eq(w.ok("root", "staff", "roles", "abby", "--role", "approver,auditor"),
       "staff member abby: roles approver,auditor (were approver)\n", "staff roles")
    audited(w, "root", "staff roles", "abby", "ok", "roles: approver -> approver,auditor")
    eq(w.ssh("abby", "audit", "verify")[0], 0, "abby audits")
    eq(w.ok("ada", "staff", "roles", "abby", "--role", "approver"),
       "staff member abby: roles approver (were approver,auditor)\n", "staff roles back")
    eq(w.ssh("abby", "audit", "verify"),
       (1, "", "permission denied: 'audit verify' needs role auditor or admin\n"),
       "abby no longer audits")
    # a staff key replaced: the old one is refused at login, the new one works
    w.keygen("abby-new")
    old, new = fingerprint(w, "abby"), fingerprint(w, "abby-new")
    eq(w.ok("ada", "staff", "key", "abby", "--key", w.publine("abby-new")),
       "staff member abby: login key %s replaces %s\n" % (new, old), "staff key")
    audited(w, "ada", "staff key", "abby", "ok", "key: %s -> %s" % (old, new))
    login_refused(w, "abby", "abby", "abby's old key")
    eq(ssh_as(w, "abby", "abby-new", "status")[0], 0, "abby's new key")
    eq(w.ssh("ada", "staff", "key", "abby", "--key", w.publine("rita")),
       (1, "", "key is already registered to recipient rita\n"), "someone else's key")


# ---- recipients -------------------------------------------------------------

def recipient_disabled_mid_download(w):
    t, c = deliver.client(w, "rita")
    f = c.open(AGE, "rb")
    got = f.read(32768)
    eq(len(got), 32768, "first read")
    eq(w.ok("olivia", "person", "disable", "rita", "--reason", "left the project"),
       "recipient rita of ORG-A disabled: left the project\n", "person disable")
    audited(w, "olivia", "person disable", "rita", "ok", "disabled: left the project")
    refused(lambda: f.read(32768), errno.EACCES,
            ("rule 1 (recipient): the recipient is not active", "user rita is disabled"),
            "READ after person disable")
    t.close()
    download_closed(w, "rita", "deny",
                    "/NIC-123456-A1B2C/cohort.csv.age: 32768 bytes, range 0-32768, not completed")
    login_refused(w, "rita", "rita", "a disabled recipient's login")
    eq(w.ok("olivia", "person", "enable", "rita"), "recipient rita of ORG-A enabled\n",
       "person enable")
    audited(w, "olivia", "person enable", "rita", "ok", "enabled")
    deliver.sftp_download_works(w)


def person_key(w):
    w.keygen("rita-new")
    old, new = fingerprint(w, "rita"), fingerprint(w, "rita-new")
    eq(w.ok("olivia", "person", "key", "rita", "--key", w.publine("rita-new")),
       "recipient rita: login key %s replaces %s\n" % (new, old), "person key")
    audited(w, "olivia", "person key", "rita", "ok", "key: %s -> %s" % (old, new))
    login_refused(w, "rita", "rita", "rita's old key")
    d = w.path("rita-new-get")
    os.makedirs(d)
    st, out, err = run(["sftp"] + w.ssh_opts("rita-new") + [
        "-b", "-", "-P", str(w.port), "rita@127.0.0.1"],
        input=("get %s %s/\n" % (AGE, d)).encode())
    eq(st, 0, "sftp get with rita's new key: " + out + err)
    deliver.decrypts_to(w, "rita-new", os.path.join(d, "cohort.csv.age"), story.EXTRACT,
                        "a download for the new key")


def sftp_get_as(w, keyname, dest):
    os.makedirs(dest)
    st, out, err = run(["sftp"] + w.ssh_opts(keyname) + [
        "-b", "-", "-P", str(w.port), "rita@127.0.0.1"],
        input=("get %s %s/\n" % (AGE, dest)).encode())
    eq(st, 0, "sftp get: " + out + err)
    return os.path.join(dest, "cohort.csv.age")


def age_recipient(w):
    ident = w.path("rita-age.txt")
    st, out, err = run(["age-keygen", "-o", ident])
    check(st == 0, "age-keygen: " + err)
    st, rcpt, err = run(["age-keygen", "-y", ident])
    rcpt = rcpt.strip()
    eq(w.ok("olivia", "person", "age-recipient", "rita", rcpt),
       "recipient rita: files are encrypted to %s\n" % rcpt, "person age-recipient")
    audited(w, "olivia", "person age-recipient", "rita", "ok",
            "age recipient: none -> " + rcpt)
    eq(w.ok("olivia", "person", "list"), "%s\nrita\tORG-A\tactive\trita@orga.example\t"
       "%s\t%s\n" % (LIST_HEADERS[("person", "list")], rcpt, fingerprint(w, "rita-new")),
       "person list shows it")
    path = sftp_get_as(w, "rita-new", w.path("age-get"))
    st, out, err = run(["age", "-d", "-i", ident, "-o", path + ".csv", path])
    eq(st, 0, "age -d with the age identity: " + err)
    with open(path + ".csv", "rb") as f:
        eq(hashlib.sha256(f.read()).hexdigest(), hashlib.sha256(story.EXTRACT).hexdigest(),
           "decrypted with the age identity")
    st, out, err = run(["age", "-d", "-i", w.key("rita-new"), path])
    check(st != 0, "the SSH key no longer decrypts")
    eq(w.ssh("olivia", "person", "age-recipient", "rita", rcpt),
       (1, "", "recipient rita has that age recipient already\n"), "the same again")
    eq(w.ok("olivia", "person", "age-recipient", "rita", "none"),
       "recipient rita: files are encrypted to the login key\n", "back to the SSH key")
    path = sftp_get_as(w, "rita-new", w.path("age-get-2"))
    deliver.decrypts_to(w, "rita-new", path, story.EXTRACT, "the SSH key again")


# ---- extracts and releases --------------------------------------------------

def extracts(w, xid):
    w.put("olivia", w.write("draft.csv", "not,for,release\n"))
    draft = w.ok("olivia", "extract", "stage", NIC, "draft.csv").strip()
    payload = os.path.join(w.dir, "payloads", draft)
    check(os.path.exists(payload), "the draft's payload")
    j = json.loads(w.ok("audrey", "--json", "extract", "show", draft))
    eq((j["payload_size"], j["releases"]), (os.path.getsize(payload), []),
       "extract show JSON")
    eq(w.ok("audrey", "extract", "show", draft),
       "extract %s: draft.csv of %s\nplain size: 16 bytes\nsha256: %s\n"
       "payload size: %d bytes\nstaged by olivia at 2026-06-01T09:00:00Z\n"
       "status: staged\n" % (draft, NIC, hashlib.sha256(b"not,for,release\n").hexdigest(),
                              j["payload_size"]), "extract show")
    eq(w.ssh("olivia", "extract", "discard", xid),
       (1, "", "extract %s has been released: revoke the release instead\n" % xid),
       "discarding a released extract")
    eq(w.ok("olivia", "extract", "discard", draft),
       "extract %s discarded: draft.csv of %s, never released\n" % (draft, NIC),
       "extract discard")
    audited(w, "olivia", "extract discard", draft, "ok",
            "discarded draft.csv of %s (16 bytes, sha256 %s, staged by olivia), never released"
            % (NIC, hashlib.sha256(b"not,for,release\n").hexdigest()))
    check(not os.path.exists(payload), "the draft's payload is removed")
    eq([e["id"] for e in json.loads(w.ok("audrey", "--json", "extract", "list"))["extracts"]],
       [xid], "extract list after the discard")
    eq(w.ssh("audrey", "extract", "show", draft), (1, "", "unknown extract %s\n" % draft),
       "the discarded extract")


def release_limits(w):
    data = b"limited,rows\n" * 100
    xid, _ = deliver.stage(w, "limited.csv", data, approve=False)
    eq(w.ssh("alan", "release", "approve", xid, "--window-closes", "2026-05-01"),
       (1, "", "--window-closes 2026-05-01 is not in the future\n"), "a window in the past")
    out = w.ok("alan", "release", "approve", xid, "--max-downloads", "1",
               "--window-opens", "2026-06-02")
    rid = out.split(":")[0][len("release "):]
    eq(out, "release %s: limited.csv (%s, %d bytes, sha256 %s, staged by olivia)\n"
       % (rid, NIC, len(data), hashlib.sha256(data).hexdigest()), "release approve")
    audited(w, "alan", "release approve", xid, "ok",
            "release %s of limited.csv (%s): window 2026-06-02T00:00:00Z to open, "
            "at most 1 downloads" % (rid, NIC))
    path = "/%s/limited.csv.age" % NIC
    t, c = deliver.client(w, "rita", key=w.key("rita-new"))
    refused(lambda: c.open(path, "rb"), errno.EACCES,
            ("rule 7 (policy): the download window opens at 2026-06-02T00:00:00Z",),
            "before the window opens")
    t.close()
    w.set_clock("2026-06-02T09:00:00Z")
    t, c = deliver.client(w, "rita", key=w.key("rita-new"))
    with c.open(path, "rb") as f:
        f.read()
    refused(lambda: c.open(path, "rb"), errno.EACCES,
            ("rule 7 (policy): the download limit is reached (1 of 1)",),
            "a second download")
    t.close()


# ---- agreements and signatories ---------------------------------------------

def versions(w):
    doc = w.write("dsa-v2.txt", story.DOC + "Extended to 2027.\r\n")
    w.put("olivia", doc)
    w.ok("olivia", "agreement", "extend", NIC, "--expires", "2027-06-30",
         "--document", "dsa-v2.txt")
    sig = w.path("dsa-v2.applicant.p7s")
    story.sign_doc(w, os.path.join(story.pki(w), "applicant"), doc, sig)
    w.put("olivia", sig)
    w.ok("olivia", "agreement", "sign", NIC, "--party", "applicant", "--signature",
         os.path.basename(sig))
    text = w.ok("audrey", "agreement", "show", NIC)
    check(text.startswith("%s version 1: live\n" % NIC), "agreement show: " + text)
    check("\nversion 1: live, 2026-05-01 to 2026-12-31, signed by both parties, governs\n"
          "version 2: awaiting-signatures, 2026-05-01 to 2027-06-30, signed by the "
          "applicant only\n" in text, "the versions: " + text)
    v2 = w.ok("audrey", "agreement", "show", NIC, "--version", "2")
    check(v2.startswith("%s version 2: awaiting-signatures\n" % NIC), "version 2: " + v2)
    check("\nexpires: 2027-06-30\n" in v2 and "\ncontroller signature: none\n" in v2,
          "version 2's details: " + v2)
    j = json.loads(w.ok("audrey", "--json", "agreement", "show", NIC, "--version", "2"))
    eq((j["version"], j["governing_version"], [v["governs"] for v in j["versions"]]),
       (2, 1, [True, False]), "JSON of version 2")
    cs = w.path("dsa-v2.controller.p7s")
    story.sign_doc(w, os.path.join(story.pki(w), "controller"), doc, cs)
    w.put("olivia", cs)


def terminate(w):
    t, c = deliver.client(w, "rita", key=w.key("rita-new"))
    f = c.open(AGE, "rb")
    eq(len(f.read(32768)), 32768, "a download under way")
    eq(w.ok("alan", "agreement", "terminate", NIC, "--reason", "consent withdrawn"),
       "agreement %s terminated: version 1 expired as of 2026-06-02 (was to expire "
       "2026-12-31); certificate of deletion due by 2026-07-02\n" % NIC, "terminate")
    audited(w, "alan", "agreement terminate", NIC, "ok",
            "terminated version 1 (live): consent withdrawn; expires 2026-06-02, "
            "was 2026-12-31")
    refused(lambda: f.read(32768), errno.EACCES,
            ("rule 5 (agreement): the agreement is expired, not live",),
            "READ after terminate")
    t.close()
    eq(w.ssh("alan", "agreement", "terminate", NIC, "--reason", "again"),
       (1, "", "agreement %s version 1 is expired: only a signed, live or suspended "
        "agreement can be terminated\n" % NIC), "terminating twice")
    eq(w.ssh("olivia", "agreement", "sign", NIC, "--party", "controller", "--signature",
             "dsa-v2.controller.p7s"),
       (1, "", "agreement %s version 1 is expired: version 2 can no longer be signed\n"
        % NIC), "the pending version cannot revive it")
    show = w.ok("audrey", "agreement", "show", NIC)
    check("\ndeletion certificate: due (due 2026-07-02)\n" in show, "certificate due: " + show)
    reg = json.loads(w.ok("audrey", "register", "export", "--format", "json"))
    eq([(r["reference"], r["end"], r["state"]) for r in reg],
       [(NIC, "2026-06-02", "expired")], "the register")


def revoke_signatory(w):
    subject, serial = signatory_facts(w, "applicant")
    eq(w.ok("root", "signatory", "revoke", ORG, serial.lower(), "--reason",
            "key compromised"),
       "signatory %s of ORG-A revoked: %s verifies no more signatures\n" % (serial, subject),
       "signatory revoke")
    audited(w, "root", "signatory revoke", ORG, "ok",
            "revoked %s (%s): key compromised" % (serial, subject))
    eq(w.ok("alan", "signatory", "list", ORG),
       "%s\nORG-A\t%s\t%s\t2025-01-01\t2035-12-31\trevoked\n" % (
           LIST_HEADERS[("signatory", "list")], serial, subject), "signatory list")
    eq(w.ssh("olivia", "signatory", "revoke", ORG, serial, "--reason", "again"),
       (1, "", "signatory %s of ORG-A is already revoked\n" % serial), "revoked twice")


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    xid, rid = story.stage_and_approve(w)
    listings(w, xid)
    offboarding(w)
    admins(w)
    recipient_disabled_mid_download(w)
    person_key(w)
    age_recipient(w)
    extracts(w, xid)
    release_limits(w)
    versions(w)
    terminate(w)
    revoke_signatory(w)
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq(st, 0, "audit verify: " + err)


if __name__ == "__main__":
    main(test)
