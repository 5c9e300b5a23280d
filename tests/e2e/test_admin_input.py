#!/usr/bin/env python3
"""Bad input over the real admin channel (stock ssh) and the staff inbox over
stock sftp: each bad call answers the exact exit status and one-line reason,
and changes nothing in the store; four eyes; nobody grants themselves a role;
the inbox is private, name-checked and bounded by [inbox] max_bytes."""

import hashlib
import os
import re
import subprocess

from harness import main, eq, check, run
import story

LIMIT = 1048576         # [inbox] max_bytes, set in DIR/policy.conf below
NIC2 = "NIC-222222-BBBBB"
NICREF = ("a NIC reference is NIC-, six digits, -, five upper-case letters "
          "or digits (e.g. NIC-123456-A1B2C)")


def snapshot(w):
    """What the store holds, as staff see it."""
    return [w.ok("olivia", "--json", "org", "list"),
            w.ok("olivia", "--json", "agreement", "list"),
            w.ok("olivia", "--json", "release", "list"),
            w.ok("olivia", "register", "export", "--format", "json"),
            w.ok("olivia", "--json", "certificate", "list"),
            w.ok("olivia", "--json", "person", "list"),
            w.ok("olivia", "--json", "contract", "list"),
            w.ok("olivia", "--json", "signatory", "list"),
            w.ok("olivia", "--json", "extract", "list"),
            w.ok("audrey", "--json", "staff", "list")]


def ssh_words(w, who, words, timeout=60, quiet=True):
    """ssh with each word as its own argument (ssh joins them with spaces,
    so the server receives them unquoted) and bytes allowed; quiet=False
    lets ssh print its own errors."""
    opts = w.ssh_opts(who)
    if not quiet:
        i = opts.index("LogLevel=ERROR")
        del opts[i - 1:i + 1]
    argv = ["ssh"] + opts + ["-p", str(w.port), "-l", who,
                             "127.0.0.1", "--"] + list(words)
    p = subprocess.run(argv, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def agreement_args(nic, org="ORG-A", doc="dsa.txt"):
    return ["agreement", "add", nic, "--org", org, "--title", "t", "--purpose",
            "p", "--legal-basis", "l", "--datasets", "A", "--starts",
            "2026-01-01", "--expires", "2026-12-31", "--document", doc]


def setup(w):
    pol = os.path.join(w.dir, "policy.conf")
    with open(pol) as f:
        text = f.read()
    text, n = re.subn(r"(?ms)^(\[inbox\].*?^max_bytes = )\d+$", r"\g<1>%d" % LIMIT, text)
    eq(n, 1, "[inbox] max_bytes in policy.conf")
    with open(pol, "w") as f:
        f.write(text)
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    # a second agreement awaiting signatures, and a document nobody agreed
    doc2 = w.write("dsa2.txt", "DATA SHARING AGREEMENT " + NIC2 + "\n")
    w.put("olivia", doc2)
    w.ok("olivia", *agreement_args(NIC2, doc="dsa2.txt"))
    story.sign_doc(w, os.path.join(story.pki(w), "applicant"), doc2,
                   w.path("dsa2.applicant.p7s"))
    w.put("olivia", w.path("dsa2.applicant.p7s"))
    other = w.write("other.txt", "another document\n")
    story.sign_doc(w, os.path.join(story.pki(w), "applicant"), other,
                   w.path("other.p7s"))
    w.put("olivia", w.path("other.p7s"))


def bad_commands(w):
    before = snapshot(w)
    cases = [
        ("olivia", ["frobnicate"], 2, "unknown command 'frobnicate'; try 'help'\n"),
        ("olivia", ["org", "list", "extra"], 2, "too many arguments\nusage: org list\n"),
        ("olivia", ["org", "add"], 2,
         "too few arguments\nusage: org add CODE --name NAME [--type TYPE]\n"),
        ("olivia", ["org", "add", "ORG-B"], 2,
         "missing option --name\nusage: org add CODE --name NAME [--type TYPE]\n"),
        ("olivia", ["org", "list", "--bogus"], 2,
         "unknown option --bogus for 'org list'\nusage: org list\n"),
        ("olivia", ["org", "add", "ORG-B", "--name", "a", "--name", "b"], 2,
         "option --name given twice\nusage: org add CODE --name NAME [--type TYPE]\n"),
        ("olivia", ["org", "add", "'ORG-B", "--name", "x"], 2,
         "unbalanced single quote at offset 8\n"),
        ("olivia", ["org", "add", "ORG-B", "--name", "\"x"], 2,
         "unbalanced double quote at offset 21\n"),
        ("olivia", [b"org", b"add", b"ORG-B", b"--name", b"\xff\xfe"], 2,
         "invalid UTF-8 at offset 21\n"),
        ("olivia", ["contract", "add", "ORG-A", "--ref", "X", "--starts",
                    "2026-02-30", "--expires", "2027-01-01"], 1,
         "bad date for --starts '2026-02-30': expected YYYY-MM-DD, a real date\n"),
        ("olivia", ["agreement", "show", "NIC-12-AB"], 1,
         "bad NIC NIC-12-AB: " + NICREF + "\n"),
        ("olivia", agreement_args("NIC-12-AB"), 1, "bad NIC NIC-12-AB: " + NICREF + "\n"),
        ("olivia", agreement_args("NIC-111111-AAAAA", org="NOPE"), 1,
         "unknown organisation NOPE\n"),
        ("olivia", ["contract", "add", "NOPE", "--ref", "X", "--starts",
                    "2026-01-01", "--expires", "2027-01-01"], 1,
         "unknown organisation NOPE\n"),
        ("olivia", agreement_args(story.NIC), 1,
         "agreement %s exists already\n" % story.NIC),
        ("olivia", ["org", "add", "ORG-A", "--name", "dup"], 1,
         "organisation ORG-A exists already\n"),
        ("olivia", ["agreement", "sign", NIC2, "--party", "applicant",
                    "--signature", "other.p7s"], 1,
         "applicant signature refused: signature does not match the document\n"),
        ("olivia", ["agreement", "sign", NIC2, "--party", "controller",
                    "--signature", "dsa2.applicant.p7s"], 1,
         "controller signature refused: signer is a signatory of ORG-A, not of controller\n"),
        ("olivia", ["register", "export", "--format", "xml"], 1,
         "bad --format 'xml': expected csv or json\n"),
        # nobody grants themselves a role, under any name or key
        ("root", ["staff", "add", "root", "--email", "root@nhs.example", "--key",
                  "'%s'" % w.publine("root"), "--role", "admin,approver"], 1,
         "you cannot add yourself: nobody may grant themselves a role\n"),
        ("root", ["staff", "add", "root2", "--email", "root@nhs.example", "--key",
                  "'%s'" % w.publine("root"), "--role", "approver"], 1,
         "key is already registered to staff root\n"),
        ("olivia", ["staff", "add", "olivia", "--email", "o@nhs.example", "--key",
                    "'%s'" % w.publine("olivia"), "--role", "approver"], 1,
         "permission denied: 'staff add' needs role admin\n"),
        ("root", ["staff", "add", "olivia", "--email", "o@nhs.example", "--key",
                  "'%s'" % w.publine("root"), "--role", "admin"], 1,
         "user name olivia is taken by staff\n"),
        # the new commands: every refusal one line, nothing changed
        ("root", ["staff", "disable", "root", "--reason", "bye"], 1,
         "root is the last active admin\n"),
        ("root", ["staff", "roles", "olivia", "--role", "operator,boss"], 1,
         'bad --role: unknown role "boss" (roles: operator, approver, auditor, admin)\n'),
        ("root", ["staff", "enable", "olivia"], 1, "staff member olivia is active already\n"),
        ("root", ["staff", "disable", "rita", "--reason", "x"], 1,
         "rita is a recipient, not staff\n"),
        ("root", ["staff", "key", "olivia", "--key", "'%s'" % w.publine("rita")], 1,
         "key is already registered to recipient rita\n"),
        ("olivia", ["person", "disable", "rita"], 2,
         "missing option --reason\nusage: person disable USER --reason TEXT\n"),
        ("olivia", ["person", "age-recipient", "rita", "age1xyz"], 1, None),
        ("olivia", ["person", "enable", "nobody"], 1, "unknown recipient nobody\n"),
        ("olivia", ["org", "show", "NOPE"], 1, "unknown organisation NOPE\n"),
        ("olivia", ["signatory", "revoke", "ORG-A", "GG", "--reason", "x"], 1,
         "bad serial 'GG': expected hex digits, as openssl x509 -serial prints them\n"),
        ("olivia", ["extract", "discard", "0123456789abcdef0123456789abcdef"], 1,
         "unknown extract 0123456789abcdef0123456789abcdef\n"),
        ("alan", ["agreement", "terminate", NIC2, "--reason", "x"], 1,
         "agreement %s version 1 is awaiting-signatures: only a signed, live or "
         "suspended agreement can be terminated\n" % NIC2),
        ("alan", ["agreement", "terminate", story.NIC], 2,
         "missing option --reason\nusage: agreement terminate NIC --reason TEXT\n"),
        ("olivia", ["agreement", "show", story.NIC, "--version", "3"], 1,
         "agreement %s has no version 3 (the latest is 1)\n" % story.NIC),
        ("alan", ["release", "approve", "0123456789abcdef0123456789abcdef",
                  "--max-downloads", "many"], 1,
         "unknown extract 0123456789abcdef0123456789abcdef\n"),
    ]
    for who, words, status, err in cases:
        got = ssh_words(w, who, words)
        if err is None:     # a reason from a library: one line
            check(got[2].count("\n") == 1 and got[2].endswith("\n"),
                  "%s: %r: %r" % (who, words, got))
            err = got[2]
        eq(got, (status, "", err), "%s: %r" % (who, words))

    # a long line: past the splitter's 64 KiB but within one SSH packet
    words = ["org", "add", "ORG-B", "--name"] + ["x" * 50000] * 4
    line = " ".join(words)
    eq(ssh_words(w, "olivia", words),
       (2, "", "line too long (%d bytes, at most 65536)\n" % len(line)), "200 kB line")
    # 1 MiB: over libssh's 256 KiB packet limit, so the session ends at once
    # (exit 255, ssh's one line), no hang, and the daemon keeps working
    st, out, err = ssh_words(w, "olivia", ["org", "add", "ORG-B", "--name"] +
                             ["x" * 100000] * 11, timeout=30, quiet=False)
    eq((st, out, err.count("\n")), (255, "", 1), "1 MiB line: " + err)
    eq(snapshot(w), before, "store after bad input")


def four_eyes(w):
    w.keygen("sam")
    w.ok(w.admin, "staff", "add", "sam", "--email", "sam@nhs.example", "--key",
         w.publine("sam"), "--role", "operator,approver")
    w.put("sam", w.write("small.csv", "id,value\n1,2\n"))
    xid = w.ok("sam", "extract", "stage", story.NIC, "small.csv").strip()
    before = snapshot(w)
    eq(w.ssh("sam", "release", "approve", xid),
       (1, "", "four eyes: you staged extract %s; another approver must approve it\n" % xid),
       "stager approves")
    eq(snapshot(w), before, "store after the stager's approval")
    eq(w.ok("abby", "release", "approve", xid),
       "release 1: small.csv (%s, 13 bytes, sha256 %s, staged by sam)\n"
       % (story.NIC, hashlib.sha256(b"id,value\n1,2\n").hexdigest()), "the release")
    releases = w.ok("olivia", "release", "list").splitlines()
    eq(len(releases), 2, "releases: a header and one row")
    eq(releases[0], "id\tnic\tname\textract_id\tstaged_by\tapproved_by\tapproved_at\tstate",
       "release list header")
    row = releases[1].split("\t")
    eq(row[:6] + row[7:], ["1", story.NIC, "small.csv", xid, "sam", "abby", "active"],
       "the release")


def sftp_lines(w, who, batch):
    st, out, err = w.sftp(who, batch)
    return st, [l for l in out.splitlines() if not l.startswith("sftp> ")], err


def inbox(w):
    a = w.write("a.bin", os.urandom(700000))
    b = w.write("b.bin", os.urandom(500000))
    # abby (approver) uploads, lists and removes her own files
    eq(sftp_lines(w, "abby", ["pwd", "put %s" % a, "ls -1"]),
       (0, ["Remote working directory: /inbox", "a.bin"], ""), "abby's upload")
    eq(sftp_lines(w, "abby", ["rm a.bin", "ls -1"]), (0, [], ""), "abby's rm")
    eq(w.inbox_names("abby"), [], "abby's inbox in the store")
    check(not any(f.startswith(".upload-") for f in w.inbox_files()), "no upload left on disk")
    # names outside the safe set
    # stock sftp prints the server's reason too: ssh shows the channel's stderr
    safe = "a name holds only letters, digits, '.', '_' and '-'"
    for name, why in (("bad name", safe), (".hidden", "a name cannot start with '.' or '-'"),
                      ("-x", "a name cannot start with '.' or '-'"), ("a;b", safe)):
        st, lines, err = sftp_lines(w, "abby", ['put %s "%s"' % (a, name)])
        # two processes write these lines (ssh and sftp): their order may vary
        eq((st, sorted(err.splitlines())),
           (1, sorted(['sluice: inbox file name refused: %s: %s' % (name, why),
                       'dest open "/inbox/%s": Permission denied' % name])),
           "inbox name %r" % name)
    # the size limit: 700 kB fits, 700 kB + 500 kB does not: the second
    # put may write the room a.bin leaves, and no byte past it
    st, lines, err = sftp_lines(w, "abby", ["put %s" % a, "put %s" % b])
    eq((st, sorted(err.splitlines())),
       (1, ["close remote: Permission denied",
            "sluice: inbox full: the limit is 1048576 bytes",
            "sluice: upload too large for the limit",
            'write remote "/inbox/b.bin": Failure']), "over the limit")
    eq(sftp_lines(w, "abby", ["ls -1"]), (0, ["a.bin"], ""), "abby's inbox after")
    audit = w.ok("audrey", "audit", "export")
    ends = re.findall(r'"actor":"abby","action":"inbox put","subject":"b.bin",'
                      r'"outcome":"(\w+)","details":"an upload to byte (\d+), past the room '
                      r'of %d bytes the inbox\'s files left at OPEN"' % (LIMIT - 700000), audit)
    check(len(ends) == 1 and ends[0][0] == "refused" and
          LIMIT - 700000 < int(ends[0][1]) <= 500000, "inbox refusal audited: %r" % ends)
    check('"subject":"b.bin","outcome":"abandoned"' not in audit, "and not as abandoned")
    # another staff member's inbox is invisible
    st, lines, err = sftp_lines(w, "alan", ["ls -1 /inbox"])
    eq((st, lines), (0, []), "alan's inbox")
    st, lines, err = sftp_lines(w, "alan", ["get /inbox/a.bin %s" % w.path("x")])
    eq((st, err), (1, 'File "/inbox/a.bin" not found.\r\n'), "alan gets abby's file")
    # recipients never see any inbox
    st, lines, err = sftp_lines(w, "rita", ["ls -1 /"])
    eq((st, sorted(lines)), (0, sorted(["/" + NIC2, "/" + story.NIC, "/release.pub"])),
       "rita's root")
    for path in ("/inbox", "/inbox/a.bin", "/inbox/dsa.txt"):
        st, lines, err = sftp_lines(w, "rita", ["get %s %s" % (path, w.path("x"))])
        eq((st, err), (1, 'File "%s" not found.\r\n' % path), "rita gets " + path)


def test(w):
    setup(w)
    bad_commands(w)
    four_eyes(w)
    inbox(w)
    eq(w.ssh("audrey", "audit", "verify")[0], 0, "audit verify")


if __name__ == "__main__":
    main(test)
