#!/usr/bin/env python3
"""Certificates of deletion uploaded with stock sftp: each kind of rejection
with its exact reason (in sftp's output and `certificate list`; the day's
first also in a mail to the uploader), then one accepted with its receipt. The certificate's Datasets
must be the agreement's as a set: some of them, or more, is rejected; the
same names in another order, spaced or repeated, are accepted."""

import json
import os

from harness import main, eq, check
import mailbox
import story

NIC = story.NIC
RITA = "rita@orga.example"
P = "[sluice] " + NIC


def cert_rows(w):
    """`certificate list` rows (a header line, if any, left out)."""
    return [l.split("\t") for l in w.ok("olivia", "certificate", "list").splitlines()
            if l[:1].isdigit()]


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    w.set_clock("2027-01-10T09:00:00Z")
    w.ok("audrey", "dashboard")
    expired = (RITA, P + " has expired: certificate of deletion due by 2027-01-30")
    eq(mailbox.summary(w), [expired],
       "mail before the certificates (no stale expiry reminders after the jump)")

    good = mailbox.certdoc(destroyed="2027-01-09", datasets="MHSDS, HES-APC, MHSDS")
    tampered = bytearray(open(mailbox.signed_cert(w, "t.p7m", good), "rb").read())
    tampered[-10] ^= 0x01           # inside the signature value
    garbage = w.write("garbage.p7m", b"this is not a certificate\n" * 4)
    cases = [
        ("orgb.p7m", mailbox.signed_cert(w, "orgb.p7m", good, signer="orgb"), None),
        ("wrongnic.p7m", mailbox.signed_cert(w, "wrongnic.p7m",
                                             mailbox.certdoc(nic="NIC-999999-ZZZZZ")), None),
        ("wrongorg.p7m", mailbox.signed_cert(w, "wrongorg.p7m",
                                             mailbox.certdoc(org="ORG-B")), None),
        ("future.p7m", mailbox.signed_cert(w, "future.p7m",
                                           mailbox.certdoc(destroyed="2027-01-11")), None),
        ("tampered.p7m", w.write("tampered.p7m", bytes(tampered)), None),
        ("garbage.p7m", garbage, None),
        ("partial.p7m", mailbox.signed_cert(w, "partial.p7m",
                                            mailbox.certdoc(datasets="HES-APC")), None),
        ("more.p7m", mailbox.signed_cert(w, "more.p7m",
                                         mailbox.certdoc(datasets="HES-APC,MHSDS,CSDS")), None),
    ]
    reasons = []
    for name, path, _ in cases:
        e, text = mailbox.sftp_put_status(w, path)
        reasons.append(text)
        eq(e, None, name + ": FX_FAILURE carries no errno")
    eq(reasons, [
        "signer certificate is not registered",
        "certificate of deletion is for NIC-999999-ZZZZZ, not NIC-123456-A1B2C",
        "certificate of deletion is from ORG-B, not ORG-A",
        "certificate of deletion says data was destroyed on 2027-01-11, which is in the future",
        "signature does not match the document",
        "not a CMS signature (unreadable DER)",
        "certificate of deletion names datasets HES-APC, not the agreement's HES-APC,MHSDS",
        "certificate of deletion names datasets HES-APC,MHSDS,CSDS, not the agreement's "
        "HES-APC,MHSDS",
    ], "the CLOSE status text of each rejected upload")
    # Stock sftp shows the failure code, and ssh prints our reason from the
    # channel's stderr.
    st, out = mailbox.put_cert(w, garbage)
    eq(st, 1, "stock sftp put of garbage")
    check("close remote: Failure" in out, "stock sftp output: " + out)
    check("sluice: not a CMS signature (unreadable DER)\n" in out, "stock sftp output: " + out)
    reasons.append(reasons[-3])

    lines = w.ok("olivia", "certificate", "list").splitlines()
    eq(lines[0], "id\tnic\tat\toutcome\tdetail", "certificate list header")
    listed = [l.split("\t") for l in lines[1:]]
    eq([r[1:] for r in listed], [[NIC, "2027-01-10T09:00:00Z", "rejected", t] for t in reasons],
       "certificate list")
    # One rejection mail a day per agreement: the day's first, with its
    # reason (each upload was told its own at CLOSE).
    rejected = [m for _, to, s, m in mailbox.messages(w)
                if s == P + ": certificate of deletion rejected"]
    eq(len(rejected), 1, "one rejection mail for the day")
    eq(str(rejected[0]["To"]), RITA, "rejection To")
    first = listed[0]
    check("(upload %s) was rejected:\n\n  %s\n" % (first[0], first[4])
          in rejected[0].get_content(), "rejection mail body:\n%s" % rejected[0].get_content())
    check("This is the first rejection of the day for this agreement; any more today\n"
          "are not mailed" in rejected[0].get_content(), "rejection mail says the rest are not mailed")

    st, out = mailbox.put_cert(w, mailbox.signed_cert(w, "deletion.p7m", good))
    eq(st, 0, "good certificate: " + out)
    row = cert_rows(w)[-1]
    eq(row[3:], ["accepted", "2027-01-09"], "accepted row")
    receipt = [m for _, to, s, m in mailbox.messages(w)
               if s == P + ": certificate of deletion accepted"]
    eq(len(receipt), 1, "one receipt")
    check("(receipt %s). The agreement is closed." % row[0] in receipt[0].get_content(),
          "receipt body:\n" + receipt[0].get_content())
    eq(json.loads(w.ok("olivia", "--json", "agreement", "show", NIC))["state"], "closed",
       "closed")
    # A second certificate for a closed agreement: refused, said so, mailed.
    eq(mailbox.sftp_put_status(w, mailbox.signed_cert(w, "again.p7m", good)),
       (None, "agreement NIC-123456-A1B2C is closed; a certificate of deletion closes an "
        "expired agreement"), "a certificate for a closed agreement")
    eq(len([1 for _, to, s, m in mailbox.messages(w)
            if s == P + ": certificate of deletion rejected"]), 1,
       "no second rejection mail that day")

if __name__ == "__main__":
    main(test)
