#!/usr/bin/env python3
"""sluicectl against the real daemon: the same outputs and exit statuses as
plain ssh, uploads to the inbox, words with spaces and quotes kept exactly,
and an unknown host key refused."""

import json
import os

from harness import main, eq, check, run
import story

QUOTED = "It's a \"quoted\" title, with  two spaces and a \\ backslash"


def ctl(w, who, *args, known_hosts=None, key=None):
    argv = [w.tool("sluicectl"), "-H", "127.0.0.1", "-p", str(w.port), "-l", who,
            "-i", key or w.key(who), "-k", known_hosts or w.known_hosts] + list(args)
    env = dict(os.environ, HOME=w.tmp, XDG_CONFIG_HOME=w.path("xdg"))
    return run(argv, env=env)


def same_as_ssh(w):
    cases = [
        ("olivia", ["org", "list"], 0),
        ("olivia", ["agreement", "show", story.NIC], 0),
        ("olivia", ["--json", "agreement", "show", story.NIC], 0),
        ("olivia", ["agreement", "list", "--json"], 0),
        ("olivia", ["register", "export"], 0),
        ("alan", ["help"], 0),
        ("rita", ["status"], 0),
        ("olivia", ["release", "approve", "0123456789abcdef0123456789abcdef"], 1),
        ("rita", ["org", "list"], 1),
        ("olivia", ["agreement", "show", "NIC-12-AB"], 1),
        ("olivia", ["org", "list", "extra"], 2),
        ("olivia", ["frobnicate"], 2),
        ("olivia", ["org", "add"], 2),
    ]
    for who, words, status in cases:
        got = ctl(w, who, *words)
        eq(got, w.ssh(who, *words), "sluicectl vs ssh: %s %r" % (who, words))
        eq(got[0], status, "exit of %r" % words)
        if status != 0:
            eq((got[1], got[2].count("\n") >= 1), ("", True), "refusal output")
    st, out, err = ctl(w, "olivia", "--json", "org", "list")
    eq(st, 0, "--json before the command: " + err)
    eq(json.loads(out)["organisations"][0]["code"], story.ORG, "--json org list")
    # --json before the command words, among the flags, or after them: the
    # same one document as ssh's `org list --json`
    want = w.ssh("olivia", "org", "list", "--json")
    eq(want[0], 0, "ssh org list --json")
    for args in (["--json", "org", "list"], ["org", "list", "--json"]):
        eq(ctl(w, "olivia", *args), want, "sluicectl %r" % args)
    argv = [w.tool("sluicectl"), "-H", "127.0.0.1", "--json", "-p", str(w.port), "-l",
            "olivia", "-i", w.key("olivia"), "-k", w.known_hosts, "org", "list"]
    eq(run(argv, env=dict(os.environ, HOME=w.tmp, XDG_CONFIG_HOME=w.path("xdg"))), want,
       "--json among the flags")
    eq(ctl(w, "olivia", "--json", "org", "add"),
       (2, "", "too few arguments\nusage: org add CODE --name NAME [--type TYPE]\n"),
       "--json with a usage error")


def put(w):
    doc = w.write("notes.txt", b"line one\nline two\n")
    eq(ctl(w, "olivia", "put", doc),
       (0, "uploaded %s to /inbox/notes.txt (18 bytes)\n" % doc, ""), "put")
    eq(ctl(w, "olivia", "put", doc, "renamed.txt"),
       (0, "uploaded %s to /inbox/renamed.txt (18 bytes)\n" % doc, ""), "put NAME")
    st, out, err = w.sftp("olivia", ["get notes.txt %s" % w.path("back.txt")])
    eq(st, 0, "sftp get of the upload: " + err)
    with open(w.path("back.txt"), "rb") as f:
        eq(f.read(), b"line one\nline two\n", "bytes uploaded")
    eq(ctl(w, "olivia", "put", doc, "bad name"),
       (1, "", "sluicectl: put: /inbox/bad name: inbox file name refused: bad name: "
        "a name holds only letters, digits, '.', '_' and '-'\n"), "put a bad name")
    eq(ctl(w, "olivia", "put", doc, "a/b"),
       (2, "", 'sluicectl: put: "a/b" is not a plain file name\n'), "put a path")
    eq(ctl(w, "olivia", "put", w.path("missing")),
       (1, "", "sluicectl: put: cannot read %s as a regular file\n" % w.path("missing")),
       "put a missing file")
    eq(ctl(w, "olivia", "put")[0], 2, "put without FILE")


def words(w):
    # a word with quotes, spaces and a backslash arrives as one word, exactly
    eq(ctl(w, "olivia", "org", "add", "ORG-Q", "--name", QUOTED, "--type",
           "Charity")[0], 0, "org add with a quoted name")
    orgs = {o["code"]: o for o in json.loads(ctl(w, "olivia", "--json", "org", "list")[1])["organisations"]}
    eq(orgs["ORG-Q"]["name"], QUOTED, "name as typed")
    # an agreement title, the same way
    doc = w.write("dsa3.txt", "DATA SHARING AGREEMENT NIC-333333-CCCCC\n")
    eq(ctl(w, "olivia", "put", doc)[0], 0, "put dsa3.txt")
    st, out, err = ctl(w, "olivia", "agreement", "add", "NIC-333333-CCCCC", "--org",
                       story.ORG, "--title", QUOTED, "--purpose", "a; b && c | d $(e)",
                       "--legal-basis", "Article 6(1)(e)", "--datasets", "HES-APC",
                       "--starts", "2026-07-01", "--expires", "2026-12-31",
                       "--document", "dsa3.txt")
    eq(st, 0, "agreement add: " + err)
    a = json.loads(ctl(w, "olivia", "--json", "agreement", "show", "NIC-333333-CCCCC")[1])
    eq((a["title"], a["purpose"]), (QUOTED, "a; b && c | d $(e)"), "title and purpose")


def host_keys(w):
    empty = w.write("empty_known_hosts", "")
    st, out, err = ctl(w, "olivia", "org", "list", known_hosts=empty)
    eq((st, out), (255, ""), "unknown host key")
    check(err.startswith("sluicectl: host key for 127.0.0.1 is not known (SHA256:") and
          err.endswith("); add it to known_hosts or use -o StrictHostKeyChecking=accept-new\n"),
          "unknown host key: " + err)
    wrong = w.write("wrong_known_hosts", "[127.0.0.1]:%d %s\n" % (
        w.port, " ".join(w.publine("alan").split()[:2])))
    st, out, err = ctl(w, "olivia", "org", "list", known_hosts=wrong)
    eq((st, out), (255, ""), "changed host key: " + err)
    w.keygen("mallory")
    st, out, err = ctl(w, "mallory", "org", "list")
    eq((st, out), (255, ""), "unknown user key: " + err)


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    same_as_ssh(w)
    put(w)
    words(w)
    host_keys(w)
    st, out, err = run([w.tool("sluicectl"), "--help"])
    eq((st, out.startswith("usage: sluicectl [options] COMMAND [ARG...]\n")), (0, True), "--help")
    st, out, err = run([w.tool("sluicectl"), "-p", str(w.port)])
    eq((st, out, err.startswith("usage: sluicectl")), (2, "", True), "no command")


if __name__ == "__main__":
    main(test)
