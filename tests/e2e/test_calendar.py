#!/usr/bin/env python3
"""A year of calendar with a fake clock: expiry reminders, the expiry notice
with the certificate request, certificate reminders, escalation and sanction,
and the certificate that lifts it; across restarts (SIGTERM and SIGKILL),
asserting exactly which messages exist at each step."""

import errno
import json
import os
import signal

from harness import main, eq, check, run
import mailbox
import story

NIC = story.NIC
RITA = "rita@orga.example"
STAFF = "root@localhost"
P = "[sluice] " + NIC


def step(w, day, expect, state, what):
    w.set_clock(day + "T09:00:00Z")
    # Any admin command runs the scheduler first (engine_tick per request).
    w.ok("audrey", "dashboard")
    eq(mailbox.summary(w), sorted(expect), "mail on %s (%s)" % (day, what))
    a = json.loads(w.ok("olivia", "--json", "agreement", "show", NIC))
    eq(a["state"], state, "state on " + day)
    return a


NIC2 = "NIC-654321-B2C3D"
DATA2 = b"id,outcome\n1,readmitted\n2,discharged\n"


def second_agreement(w):
    """A second live agreement of ORG-A (to 2027-12-31) with one released
    file: what the sanction withholds."""
    d = story.pki(w)
    doc = w.write("dsa2.txt", "DATA SHARING AGREEMENT " + NIC2 + "\r\nFollow-up study.\r\n")
    w.put("olivia", doc)
    w.ok("olivia", "agreement", "add", NIC2, "--org", story.ORG, "--title", "Follow-up",
         "--purpose", "Research", "--legal-basis", "Article 6(1)(e)", "--datasets", "HES-APC",
         "--starts", "2026-05-01", "--expires", "2027-12-31", "--document", "dsa2.txt")
    for party in ("applicant", "controller"):
        sig = w.path("dsa2.%s.p7s" % party)
        story.sign_doc(w, os.path.join(d, party), doc, sig)
        w.put("olivia", sig)
        w.ok("olivia", "agreement", "sign", NIC2, "--party", party,
             "--signature", os.path.basename(sig))
    w.put("olivia", w.write("second.csv", DATA2))
    xid = w.ok("olivia", "extract", "stage", NIC2, "second.csv", "--name", "second.csv").strip()
    w.ok("alan", "release", "approve", xid)


def get_second(w):
    """rita's sftp get of the second agreement's file: (status, text)."""
    st, out, err = w.sftp("rita", ["get /%s/second.csv.age %s" % (NIC2, w.path("second.csv.age"))])
    return st, out + err


def restart(w, sig):
    w.stop(sig)
    w.start()


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    a = story.agreement(w)
    eq(a["state"], "live", "state after both signatures")
    story.stage_and_approve(w)
    second_agreement(w)
    eq(get_second(w)[0], 0, "second agreement's file before any sanction")
    eq(mailbox.summary(w), [], "mail on 2026-06-01")

    mail = []
    step(w, "2026-10-01", mail, "live", "91 days before: nothing yet")
    mail.append((RITA, P + " expires in 90 days (last day 2026-12-31)"))
    step(w, "2026-10-02", mail, "live", "90 days")
    step(w, "2026-10-03", mail, "live", "the day after: nothing new")
    mail.append((RITA, P + " expires in 30 days (last day 2026-12-31)"))
    step(w, "2026-12-01", mail, "live", "30 days")
    restart(w, signal.SIGTERM)
    step(w, "2026-12-01", mail, "live", "after SIGTERM: nothing again")
    mail.append((RITA, P + " expires in 7 days (last day 2026-12-31)"))
    step(w, "2026-12-24", mail, "live", "7 days")
    step(w, "2026-12-31", mail, "live", "the last day")
    mail.append((RITA, P + " has expired: certificate of deletion due by 2027-01-30"))
    a = step(w, "2027-01-01", mail, "expired", "expired")
    eq(a["certificate"]["status"], "due", "certificate status")
    eq(a["certificate"]["due"], "2027-01-30", "certificate due")
    notice = [m for _, to, s, m in mailbox.messages(w) if "has expired" in s][0]
    body = notice.get_content()
    for want in ("Sluice-Deletion-Certificate: 1\n", "Agreement: " + NIC + "\n",
                 "Organisation: ORG-A\n", "Datasets: HES-APC,MHSDS\n",
                 "/" + NIC + "/deletion-certificate/", "by 2027-01-30"):
        check(want in body, "expiry notice lacks %r:\n%s" % (want, body))
    mail.append((RITA, P + ": certificate of deletion due in 7 days (by 2027-01-30)"))
    step(w, "2027-01-23", mail, "expired", "7 days before due")
    restart(w, signal.SIGKILL)
    step(w, "2027-01-23", mail, "expired", "after SIGKILL: nothing again")
    mail.append((RITA, P + ": certificate of deletion due in 1 day (by 2027-01-30)"))
    step(w, "2027-01-29", mail, "expired", "1 day before due")
    step(w, "2027-01-30", mail, "expired", "due today: not overdue yet")
    d = json.loads(w.ok("audrey", "--json", "dashboard"))
    eq(d["sanctioned_organisations"], [], "sanctioned before overdue")

    mail.append((STAFF, P + ": certificate of deletion overdue (due 2027-01-30); ORG-A sanctioned"))
    mail.append((RITA, "[sluice] ORG-A sanctioned: certificate of deletion for " + NIC + " overdue"))
    a = step(w, "2027-01-31", mail, "expired", "overdue")
    eq(a["certificate"]["status"], "overdue", "certificate status overdue")
    d = json.loads(w.ok("audrey", "--json", "dashboard"))
    eq(d["sanctioned_organisations"], ["ORG-A"], "sanctioned organisations")
    eq(d["certificates_overdue"], 1, "certificates overdue")
    check("ORG-A is sanctioned" in w.ok("olivia", "agreement", "show", NIC),
          "agreement show names the sanction")
    check("ORG-A is sanctioned: a certificate of deletion is overdue" in w.ok("rita", "status"),
          "the recipient's status names the sanction")
    check("1 deletion certificates overdue; 1 organisations sanctioned" in w.ok("audrey", "status"),
          "staff status: " + w.ok("audrey", "status"))
    st, out = get_second(w)
    eq(st, 1, "sanctioned sftp get exit")
    eq(mailbox.sftp_open(w, "rita", "/%s/second.csv.age" % NIC2),
       (errno.EACCES, "rule 4 (sanction): the organisation is sanctioned: "
                       "a certificate of deletion is overdue"),
       "sanctioned open: permission denied with rule 4's reason")
    restart(w, signal.SIGKILL)
    step(w, "2027-02-01", mail, "expired", "still overdue: nothing again")

    cert = mailbox.signed_cert(w, "deletion.p7m", mailbox.certdoc(destroyed="2027-01-20"))
    st, out = mailbox.put_cert(w, cert)
    eq(st, 0, "certificate put: " + out)
    mail.append((RITA, P + ": certificate of deletion accepted"))
    mail.append((RITA + "," + STAFF, "[sluice] ORG-A: sanction lifted"))
    step(w, "2027-02-01", mail, "closed", "certificate accepted")
    d = json.loads(w.ok("audrey", "--json", "dashboard"))
    eq(d["sanctioned_organisations"], [], "sanction lifted")
    eq(d["certificates_overdue"], 0, "nothing overdue")
    st, out = get_second(w)
    eq(st, 0, "get after the lift: " + out)
    st, out, err = run(["age", "-d", "-i", w.key("rita"), w.path("second.csv.age")])
    eq((st, out), (0, DATA2.decode()), "decrypted after the lift")
    lines = w.ok("olivia", "certificate", "list").splitlines()
    eq(len(lines), 2, "certificate list: a header and one row")
    check(lines[1].endswith("\taccepted\t2027-01-20"), "certificate list: " + lines[1])
    audit = [json.loads(l) for l in w.ok("audrey", "audit", "export").splitlines()]
    got = [(e["actor"], e["action"], e["subject"], e["outcome"]) for e in audit
           if e["action"] in ("org sanction", "org sanction lifted", "certificate upload")
           or (e["action"] == "agreement state" and e["subject"] == NIC
               and "expired" in e["details"])]
    eq(got, [("scheduler", "agreement state", NIC, "ok"),
             ("scheduler", "org sanction", "ORG-A", "ok"),
             ("rita", "certificate upload", NIC, "ok"),
             ("scheduler", "org sanction lifted", "ORG-A", "ok")], "audit entries")

    # DSPT (2027-06-30) within 30 days: the organisation and staff, once.
    mail.append((RITA + "," + STAFF, "[sluice] ORG-A: DSPT expires in 29 days (2027-06-30)"))
    step(w, "2027-06-01", mail, "closed", "DSPT")
    restart(w, signal.SIGTERM)
    step(w, "2027-06-02", mail, "closed", "DSPT: once")
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq(st, 0, "audit verify: " + err)


if __name__ == "__main__":
    main(test)
