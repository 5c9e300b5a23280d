#!/usr/bin/env python3
"""After the story: the Data Uses Register as CSV (RFC 4180: CRLF, quoting)
and JSON, listing agreements once signed, the dashboard's exact counts, and `agreement show` naming both
signers (subject, issuer, serial, signing time) as openssl sees them."""

import calendar
import json
import os
import time

from harness import main, eq, check, run
import story

HEADER = ("reference,title,organisation,organisation_type,datasets,legal_basis,"
          "purpose,start,end,state\r\n")
ROW = {"reference": story.NIC, "title": "Readmissions cohort study",
       "organisation": "Org A University", "organisation_type": "University",
       "datasets": "HES-APC,MHSDS", "legal_basis": "Article 6(1)(e), 9(2)(j)",
       "purpose": "Research into readmissions", "start": "2026-05-01",
       "end": "2026-12-31", "state": "live"}
CSV_ROW = ('NIC-123456-A1B2C,Readmissions cohort study,Org A University,University,'
           '"HES-APC,MHSDS","Article 6(1)(e), 9(2)(j)",Research into readmissions,'
           '2026-05-01,2026-12-31,live\r\n')


def openssl(*args):
    st, out, err = run(["openssl"] + list(args))
    check(st == 0, "openssl %s: %s" % (" ".join(args), err))
    return out.strip()


def cert_facts(pem):
    subject = openssl("x509", "-in", pem, "-noout", "-subject", "-nameopt", "RFC2253")
    issuer = openssl("x509", "-in", pem, "-noout", "-issuer", "-nameopt", "RFC2253")
    serial = openssl("x509", "-in", pem, "-noout", "-serial")
    return (subject.split("=", 1)[1], issuer.split("=", 1)[1], serial.split("=", 1)[1])


def register(w):
    eq(w.ssh("audrey", "register", "export"), (0, HEADER + CSV_ROW, ""), "CSV")
    eq(w.ssh("audrey", "register", "export", "--format", "csv"),
       (0, HEADER + CSV_ROW, ""), "--format csv")
    st, out, err = w.ssh("olivia", "register", "export", "--format", "json")
    eq(st, 0, "json register: " + err)
    rows = json.loads(out)
    eq(rows, [ROW], "register JSON")
    eq(list(rows[0]), HEADER.strip().split(","), "JSON fields in CSV column order")
    st, out, err = w.ssh("olivia", "--json", "register", "export")
    eq(json.loads(out), {"register": [ROW]}, "--json register")


def dashboard(w):
    eq(w.ssh("audrey", "dashboard"), (0, "\n".join([
        "draft: 0", "awaiting-signatures: 0", "signed: 0", "live: 1", "suspended: 0",
        "expired: 0", "closed: 0", "expiring within 30 days: 0",
        "expiring within 90 days: 0", "deletion certificates due: 0",
        "deletion certificates overdue: 0", "releases awaiting approval: 0",
        "sanctioned organisations: none"]) + "\n", ""), "dashboard")
    st, out, err = w.ssh("audrey", "--json", "dashboard")
    eq(json.loads(out), {
        "by_state": {"draft": 0, "awaiting-signatures": 0, "signed": 0, "live": 1,
                     "suspended": 0, "expired": 0, "closed": 0},
        "certificates_due": 0, "certificates_overdue": 0, "expiring_30_days": 0,
        "expiring_90_days": 0, "releases_awaiting_approval": 0,
        "sanctioned_organisations": []}, "dashboard JSON")


def signers(w, a, t0, t1):
    pki = story.pki(w)
    text = w.ok("olivia", "agreement", "show", story.NIC)
    for party, owner in (("applicant", story.ORG), ("controller", "controller")):
        subject, issuer, serial = cert_facts(os.path.join(pki, party + ".pem"))
        s = a[party]
        eq((s["subject"], s["issuer"], s["serial"], s["owner"]),
           (subject, issuer, serial, owner), party + " signer")
        # openssl cms -sign stamped the real time while the story ran
        when = calendar.timegm(time.strptime(s["signing_time"], "%Y-%m-%dT%H:%M:%SZ"))
        check(t0 <= when <= t1, "%s signing time %s" % (party, s["signing_time"]))
        line = "%s signature: %s (issuer %s, serial %s, signed %s)" % (
            party, subject, issuer, serial, s["signing_time"])
        check(line in text.splitlines(), "agreement show: %r in\n%s" % (line, text))


def quoting(w):
    # a title with a quote and a comma: one field, quotes doubled
    doc = w.write("dsa4.txt", "DATA SHARING AGREEMENT NIC-444444-DDDDD\n")
    w.put("olivia", doc)
    w.ok("olivia", "agreement", "add", "NIC-444444-DDDDD", "--org", story.ORG,
         "--title", 'Said "hi", twice', "--purpose", "line one",
         "--legal-basis", "Art 6", "--datasets", "HES-APC", "--starts",
         "2026-07-01", "--expires", "2026-12-31", "--document", "dsa4.txt")
    # awaiting signatures, it is no data use yet: the register leaves it out
    eq(w.ssh("audrey", "register", "export"), (0, HEADER + CSV_ROW, ""),
       "register before NIC-444444-DDDDD is signed")
    eq(json.loads(w.ok("audrey", "register", "export", "--format", "json")), [ROW],
       "JSON register before NIC-444444-DDDDD is signed")
    pki = story.pki(w)
    for party in ("applicant", "controller"):
        sig = w.path("dsa4.%s.p7s" % party)
        story.sign_doc(w, os.path.join(pki, party), doc, sig)
        w.put("olivia", sig)
        w.ok("olivia", "agreement", "sign", "NIC-444444-DDDDD", "--party", party,
             "--signature", os.path.basename(sig))
    st, out, err = w.ssh("audrey", "register", "export")
    eq(out.split("\r\n")[2:],
       ['NIC-444444-DDDDD,"Said ""hi"", twice",Org A University,University,HES-APC,'
        'Art 6,line one,2026-07-01,2026-12-31,signed', ""], "quoted CSV row, once signed")
    eq(w.ssh("audrey", "--json", "dashboard")[1].count('"signed":1'), 1,
       "dashboard counts the new agreement")


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    t0 = int(time.time())
    a = story.agreement(w)
    t1 = int(time.time()) + 1
    story.stage_and_approve(w)
    story.download(w)
    register(w)
    dashboard(w)
    signers(w, a, t0, t1)
    quoting(w)


if __name__ == "__main__":
    main(test)
