"""Helpers for the scheduler's tests: the Maildir as a list of messages, the
certificate of deletion (docs/design.md section 5) made, signed and uploaded."""

import email
import email.policy
import json
import os
import re
import sys

from harness import check, eq, run, Failure
import story


def messages(w):
    """Every message in DIR/mail/new, by file name: (name, To, Subject, msg).
    Asserts the Maildir holds nothing half-written and each message's form."""
    root = os.path.join(w.dir, "mail")
    if not os.path.isdir(root):
        return []
    eq(sorted(os.listdir(os.path.join(root, "tmp"))), [], "maildir tmp/")
    out = []
    for name in sorted(os.listdir(os.path.join(root, "new"))):
        with open(os.path.join(root, "new", name), "rb") as f:
            raw = f.read()
        check(b"\r" not in raw, "%s: CR in a Maildir message" % name)
        check(re.fullmatch(rb"\d+\.M\d+P0\.sluice", name.encode()) is not None,
              "maildir file name " + name)
        m = email.message_from_bytes(raw, policy=email.policy.default)
        head = raw.split(b"\n\n", 1)[0].decode()
        eq([l.split(":", 1)[0] for l in head.split("\n")],
           ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
            "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted"], name + " headers")
        check("\nContent-Type: text/plain; charset=utf-8\n" in head, name + " Content-Type")
        eq(m["From"], "sluice@localhost", name + " From")
        eq(m["MIME-Version"], "1.0", name + " MIME-Version")
        eq(m["Content-Transfer-Encoding"], "8bit", name + " CTE")
        check(re.fullmatch(r"<sluice\.\d+\.[0-9a-f]{16}@localhost>", m["Message-ID"]) is not None,
              name + " Message-ID " + str(m["Message-ID"]))
        check(re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000",
                           m["Date"]) is not None, name + " Date " + str(m["Date"]))
        raw_h = dict(l.split(": ", 1) for l in head.split("\n"))
        out.append((name, raw_h["To"], raw_h["Subject"], m))
    return out


def summary(w):
    """The Maildir as a sorted list of (To, Subject)."""
    return sorted((to, subj) for _, to, subj, _ in messages(w))


def use_sendmail(w, script):
    """Mail goes through script (a shell script's text), written to
    TMP/sendmail and made executable, instead of the Maildir: set in
    sluiced.conf, before start(). Returns its path."""
    prog = w.write("sendmail", script)
    os.chmod(prog, 0o700)
    w.set_conf(transport="sendmail", sendmail=prog)
    return prog


def certdoc(nic=story.NIC, org=story.ORG, datasets="HES-APC,MHSDS",
            destroyed="2027-01-10"):
    return ("Sluice-Deletion-Certificate: 1\n"
            "Agreement: %s\n"
            "Organisation: %s\n"
            "Datasets: %s\n"
            "Destroyed-On: %s\n"
            "Method: secure erase of the analysis server's disks (NIST 800-88 purge)\n"
            "Copies: one working copy on srv-analytics-01 and one backup tape; all destroyed\n"
            "Signatory: Alice Applicant, Information Governance Lead\n"
            % (nic, org, datasets, destroyed))


def signed_cert(w, name, text, signer="applicant"):
    """text signed attached with the story PKI's signer; returns the local path."""
    d = story.pki(w)
    doc = w.write(name + ".txt", text)
    out = w.path(name)
    story.sign_doc(w, os.path.join(d, signer), doc, out, attached=True)
    return out


def put_cert(w, local, who="rita", nic=story.NIC):
    """sftp put into /NIC/deletion-certificate/; returns (status, out+err)."""
    st, out, err = w.sftp(who, ["put %s /%s/deletion-certificate/%s"
                                % (local, nic, os.path.basename(local))])
    return st, out + err


OPEN_SCRIPT = r"""
import json, sys, paramiko
host_keys, port, user, key, path = sys.argv[1:6]
c = paramiko.SSHClient()
c.load_host_keys(host_keys)
c.set_missing_host_key_policy(paramiko.RejectPolicy())
c.connect("127.0.0.1", port=int(port), username=user, key_filename=key,
          look_for_keys=False, allow_agent=False, timeout=20)
try:
    try:
        c.open_sftp().open(path, "rb").close()
        print(json.dumps([0, ""]))
    except IOError as e:
        print(json.dumps([e.errno, e.strerror]))
finally:
    c.close()
"""


def paramiko_python():
    """A python3 that has paramiko: this one, else the first on PATH."""
    cands = [sys.executable] + [os.path.join(d, "python3") for d in os.get_exec_path()]
    for exe in cands:
        if os.access(exe, os.X_OK) and run([exe, "-c", "import paramiko"])[0] == 0:
            return exe
    raise Failure("e2e: no python3 with paramiko (python3-paramiko; scripts/deps installs it)")


def sftp_open(w, who, path):
    """Opens path over SFTP as who, without the stat stock sftp does first
    (which hides the gate's words behind 'not found'): (errno, server text)."""
    st, out, err = run([paramiko_python(), "-c", OPEN_SCRIPT, w.known_hosts, str(w.port),
                        who, w.key(who), path])
    check(st == 0, "paramiko open: " + out + err)
    e, text = json.loads(out)
    return e, text


PUT_SCRIPT = r"""
import json, sys, paramiko
from paramiko.sftp import CMD_CLOSE
host_keys, port, user, key, local, remote = sys.argv[1:7]
c = paramiko.SSHClient()
c.load_host_keys(host_keys)
c.set_missing_host_key_policy(paramiko.RejectPolicy())
c.connect("127.0.0.1", port=int(port), username=user, key_filename=key,
          look_for_keys=False, allow_agent=False, timeout=20)
try:
    s = c.open_sftp()
    f = s.open(remote, "wb")
    f.write(open(local, "rb").read())
    f.flush()
    f._closed = True        # paramiko's close() swallows the CLOSE status
    try:
        s._request(CMD_CLOSE, f.handle)
        print(json.dumps([0, ""]))
    except IOError as e:
        print(json.dumps([e.errno, e.strerror or str(e)]))
finally:
    c.close()
"""


def sftp_put_status(w, local, who="rita", nic=story.NIC):
    """Uploads local into /NIC/deletion-certificate/ and returns the CLOSE
    status text the server answered (stock sftp prints only 'Failure')."""
    st, out, err = run([paramiko_python(), "-c", PUT_SCRIPT, w.known_hosts, str(w.port), who,
                        w.key(who), local, "/%s/deletion-certificate/%s"
                        % (nic, os.path.basename(local))])
    check(st == 0, "paramiko put: " + out + err)
    return tuple(json.loads(out))
