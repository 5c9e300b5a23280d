"""The whole story of an agreement, with stock tools; shared by the e2e test
(test_story.py) and scripts/demo (which prints each step)."""

import hashlib
import json
import os

from harness import check, eq, run, SRC

NIC = "NIC-123456-A1B2C"
ORG = "ORG-A"


def say(verbose, msg):
    if verbose:
        print("\n==> " + msg, flush=True)


def show(verbose, text):
    """Prints text, unless the demo's trace just printed it as a command's
    output."""
    import harness
    if harness.TRACE is not None and text and harness.TRACE.last is not None \
            and text.strip() in harness.TRACE.last:
        return
    if verbose and text:
        print(text.rstrip("\n"), flush=True)


def staff(w, verbose=False):
    say(verbose, "admin adds staff: olivia (operator and approver), alan and abby (approvers), audrey (auditor)")
    for who, role in (("olivia", "operator,approver"), ("alan", "approver"),
                      ("abby", "approver"), ("audrey", "auditor")):
        w.keygen(who)
        out = w.ok(w.admin, "staff", "add", who, "--email", who + "@nhs.example",
                   "--key", w.publine(who), "--role", role)
        show(verbose, out)


def organisation(w, verbose=False):
    say(verbose, "operator registers the organisation, its DSFC and DSPT, and a recipient")
    show(verbose, w.ok("olivia", "org", "add", ORG, "--name", "Org A University",
                       "--type", "University"))
    show(verbose, w.ok("olivia", "contract", "add", ORG, "--ref", "DSFC-2026-0001",
                       "--starts", "2026-01-01", "--expires", "2027-12-31"))
    show(verbose, w.ok("olivia", "org", "dspt", ORG, "--status", "standards-met",
                       "--expires", "2027-06-30"))
    w.keygen("rita")
    show(verbose, w.ok("olivia", "person", "add", ORG, "rita", "--email",
                       "rita@orga.example", "--key", w.publine("rita")))


def pki(w, verbose=False):
    pkidir = w.path("pki")
    if not os.path.exists(pkidir):
        st, out, err = run([os.path.join(SRC, "keys", "make-test-pki"), pkidir])
        check(st == 0, "make-test-pki: " + err)
    return pkidir


def sign_doc(w, cert, doc, out, attached=False):
    argv = [os.path.join(SRC, "keys", "sign-doc")]
    if attached:
        argv.append("--attached")
    st, o, err = run(argv + [cert + ".pem", cert + ".key", doc, out])
    check(st == 0, "sign-doc: " + err)


def signatories(w, verbose=False):
    say(verbose, "signatory certificates (made with openssl) are pinned: ORG-A's and the controller's")
    d = pki(w)
    w.put("olivia", os.path.join(d, "applicant.pem"))
    w.put("olivia", os.path.join(d, "controller.pem"))
    show(verbose, w.ok("olivia", "signatory", "add", ORG, "--cert", "applicant.pem"))
    show(verbose, w.ok("olivia", "signatory", "add", "controller", "--cert", "controller.pem"))


DOC = ("DATA SHARING AGREEMENT " + NIC + "\r\nBetween NHS England and Org A University.\r\n"
       "Datasets: HES-APC, MHSDS. Purpose: cohort study of readmissions.\r\n")


def agreement(w, verbose=False):
    say(verbose, "operator registers the agreement with its document; both parties sign it (openssl cms)")
    d = pki(w)
    doc = w.write("dsa.txt", DOC)
    w.put("olivia", doc)
    show(verbose, w.ok("olivia", "agreement", "add", NIC, "--org", ORG, "--title",
                       "Readmissions cohort study", "--purpose", "Research into readmissions",
                       "--legal-basis", "Article 6(1)(e), 9(2)(j)", "--datasets", "HES-APC,MHSDS",
                       "--starts", "2026-05-01", "--expires", "2026-12-31",
                       "--document", "dsa.txt"))
    for party, cert in (("applicant", "applicant"), ("controller", "controller")):
        sig = w.path("dsa.%s.p7s" % party)
        sign_doc(w, os.path.join(d, cert), doc, sig)
        w.put("olivia", sig)
        show(verbose, w.ok("olivia", "agreement", "sign", NIC, "--party", party,
                           "--signature", os.path.basename(sig)))
    out = w.ok("olivia", "--json", "agreement", "show", NIC)
    a = json.loads(out)
    show(verbose, w.ok("olivia", "agreement", "show", NIC))
    return a


EXTRACT = b"".join(b"%08d,patient-%06d,2026-0%d-1%d,readmitted\n" % (i, i * 7 % 999983, i % 9 + 1, i % 10)
                   for i in range(40000))


def stage_and_approve(w, verbose=False):
    say(verbose, "operator stages the extract (encrypted once); a different approver approves it")
    src = w.write("cohort.csv", EXTRACT)
    w.put("olivia", src)
    xid = w.ok("olivia", "extract", "stage", NIC, "cohort.csv", "--name", "cohort.csv").strip()
    show(verbose, "extract id: " + xid)
    st, out, err = w.ssh("olivia", "release", "approve", xid)
    show(verbose, "olivia (who staged it) tries to approve: exit %d: %s" % (st, err.strip()))
    eq((st, out, err), (1, "", "four eyes: you staged extract %s; another approver must approve it\n" % xid),
       "the stager's own approval")
    out = w.ok("alan", "release", "approve", xid)
    show(verbose, out)
    rid = out.split(":")[0][len("release "):]
    show(verbose, "release id: " + rid)
    eq(out, "release %s: cohort.csv (%s, %d bytes, sha256 %s, staged by olivia)\n"
       % (rid, NIC, len(EXTRACT), hashlib.sha256(EXTRACT).hexdigest()), "the release")
    check(rid.isdigit(), "release id: " + out)
    return xid, rid


def download(w, verbose=False, who="rita"):
    say(verbose, "recipient downloads with stock sftp, decrypts with stock age, verifies with sha256sum and minisign")
    outdir = w.path("download-" + who)
    os.makedirs(outdir, exist_ok=True)
    st, out, err = w.sftp(who, ["ls -l /", "ls -l /%s" % NIC,
                                "get /%s/cohort.csv.age %s/" % (NIC, outdir),
                                "get /%s/SHA256SUMS %s/" % (NIC, outdir),
                                "get /%s/SHA256SUMS.minisig %s/" % (NIC, outdir),
                                "get /release.pub %s/" % outdir])
    show(verbose, out)
    check(st == 0, "sftp get: %s%s" % (out, err))
    st, out, err = run(["age", "-d", "-i", w.key(who), "-o", os.path.join(outdir, "cohort.csv"),
                        os.path.join(outdir, "cohort.csv.age")])
    check(st == 0, "age -d: " + err)
    with open(os.path.join(outdir, "cohort.csv"), "rb") as f:
        got = f.read()
    eq(hashlib.sha256(got).hexdigest(), hashlib.sha256(EXTRACT).hexdigest(), "decrypted extract")
    show(verbose, "age -d wrote cohort.csv, %d bytes; its first lines:\n%s" % (
        len(got), b"".join(got.splitlines(True)[:3]).decode()))
    st, out, err = run(["sha256sum", "-c", "SHA256SUMS"], cwd=outdir)
    eq((st, out), (0, "cohort.csv: OK\n"), "sha256sum -c")
    show(verbose, out)
    st, out, err = run(["minisign", "-Vm", "SHA256SUMS", "-p", os.path.join(w.dir, "release.pub")],
                       cwd=outdir)
    eq(st, 0, "minisign -V: " + out + err)
    show(verbose, out)
    return outdir


def refusals_and_offboarding(w, verbose=False):
    """An explained denial (the agreement suspended: the file stays listed,
    stock sftp prints the rule), then a recipient offboarded and restored."""
    say(verbose, "an approver suspends the agreement: the file is still listed, "
        "the download is refused and says why")
    w.ok("alan", "agreement", "suspend", NIC, "--reason", "breach under investigation")
    st, out, err = w.sftp("rita", ["ls -1 /%s" % NIC,
                                   "get /%s/cohort.csv.age %s" % (NIC, w.path("refused.age"))])
    show(verbose, out + err)
    check(st != 0 and "cohort.csv.age" in out, "sftp during suspension: " + out + err)
    check("sluice: rule 5 (agreement): the agreement is suspended, not live" in err,
          "stock sftp prints the rule: " + err)
    w.ok("alan", "agreement", "resume", NIC)
    say(verbose, "an operator disables the recipient who left: her key logs in to nothing")
    show(verbose, w.ok("olivia", "person", "disable", "rita", "--reason", "left the organisation"))
    st, out, err = w.sftp("rita", ["ls /"])
    show(verbose, err)
    check(st != 0 and "Permission denied" in err, "disabled login: " + err)
    show(verbose, w.ok("olivia", "person", "enable", "rita"))
    st, out, err = w.sftp("rita", ["ls -1 /%s" % NIC])
    check(st == 0 and "cohort.csv.age" in out, "enabled again: " + out + err)
    say(verbose, "she can download again")


def epilogue(w, verbose=False):
    """Fast-forward past expiry: the mails, a certificate of deletion signed
    by the organisation's signatory, the agreement closed."""
    import mailbox
    say(verbose, "fast-forward the fake clock: the scheduler sends reminders, then the expiry notice (DIR/mail/new)")
    seen = 0
    subjects = []
    for day in ("2026-10-02", "2026-12-01", "2026-12-24", "2027-01-02"):
        w.set_clock(day + "T09:00:00Z")
        state = w.ok("audrey", "agreement", "show", NIC).splitlines()[0]
        show(verbose, "%s: %s" % (day, state))
        msgs = mailbox.messages(w)
        for _, to, subject, _ in msgs[seen:]:
            subjects.append((to, subject))
            show(verbose, "  To: %-22s Subject: %s" % (to, subject))
        seen = len(msgs)
    say(verbose, "the organisation's signatory signs a certificate of deletion (openssl cms, attached); the recipient uploads it with sftp")
    text = mailbox.certdoc(destroyed="2027-01-02")
    show(verbose, text)
    local = mailbox.signed_cert(w, "deletion.p7m", text)
    st, out = mailbox.put_cert(w, local)
    check(st == 0, "certificate upload: " + out)
    show(verbose, out)
    out = w.ok("audrey", "agreement", "show", NIC)
    show(verbose, out.splitlines()[0])
    check(out.splitlines()[0].endswith(": closed"), "agreement closed: " + out)
    last = mailbox.messages(w)[-1]
    show(verbose, "  To: %-22s Subject: %s" % (last[1], last[2]))
    return subjects
