#!/usr/bin/env python3
"""Plaintext never rests (issue 15), against the real daemon.

Three extracts, each with a unique marker: one uploaded to /inbox/ with stock
sftp and staged from there, one put in /stage/NIC/ with stock sftp, one with
`sluicectl stage`; all released, downloaded by the recipient with stock sftp
and decrypted with stock age. Then a byte search of the whole data directory
(store, WAL, inbox, payloads, temporary files) finds no marker. An upload cut
before CLOSE leaves no file and no audit `ok`; a write out of order is
refused and nothing is kept; the inbox limit counts uploads under way; what
a crash leaves is swept at the next start, with a line each in the log."""

import hashlib
import os
import re
import secrets
import signal
import time

from harness import main, eq, check, run
import deliver
import story

NIC = story.NIC
LIMIT = 8 * 1024 * 1024         # [inbox] max_bytes, set in DIR/policy.conf below
MiB = 1024 * 1024


def marked(tag, rows):
    """rows of CSV with a unique marker in the middle and at the end, so it
    spans several 64 KiB chunks."""
    mark = ("SLUICE-MARKER-%s-%s" % (tag, secrets.token_hex(8))).encode()
    body = [b"%08d,%s,row\n" % (i, tag.encode()) for i in range(rows)]
    body.insert(rows // 2, b"00000000," + mark + b",middle\n")
    return mark, b"".join(body) + mark + b"\n"


def set_limit(w):
    pol = os.path.join(w.dir, "policy.conf")
    with open(pol) as f:
        text = f.read()
    text, n = re.subn(r"(?ms)^(\[inbox\].*?^max_bytes = )\d+$", r"\g<1>%d" % LIMIT, text)
    eq(n, 1, "[inbox] max_bytes in policy.conf")
    with open(pol, "w") as f:
        f.write(text)


def ctl(w, who, *args):
    argv = [w.tool("sluicectl"), "-H", "127.0.0.1", "-p", str(w.port), "-l", who,
            "-i", w.key(who), "-k", w.known_hosts] + list(args)
    return run(argv, env=dict(os.environ, HOME=w.tmp, XDG_CONFIG_HOME=w.path("xdg")))


def extract_row(w, name):
    """extract list --nic NIC's row for name, as a dict of its columns."""
    lines = w.ok("audrey", "extract", "list", "--nic", NIC).splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, l.split("\t"))) for l in lines[1:]]
    mine = [r for r in rows if r["name"] == name]
    eq(len(mine), 1, "extract list rows named " + name)
    return mine[0]


def show_sha(w, xid):
    out = w.ok("audrey", "extract", "show", xid)
    return re.search(r"^sha256: ([0-9a-f]{64})$", out, re.M).group(1)


def from_inbox(w, data):
    """Stock sftp put to /inbox/, listed with its plaintext size; then
    extract stage from the inbox, which removes the inbox file."""
    local = w.write("inbox.csv", data)
    st, out, err = w.sftp("olivia", ["put %s" % local, "ls -l inbox.csv"])
    eq(st, 0, "put to the inbox: " + err)
    check(re.search(r"\s%d\s+\w+\s+\d+\s+[\d:]+\s+inbox.csv" % len(data), out) is not None,
          "ls -l shows the plaintext size: " + out)
    # read back over SFTP: the owner's session decrypts it
    back = w.path("inbox.back")
    st, out, err = w.sftp("olivia", ["get inbox.csv %s" % back])
    eq(st, 0, "get from the inbox: " + err)
    with open(back, "rb") as f:
        eq(f.read() == data, True, "the inbox file read back")
    xid = w.ok("olivia", "extract", "stage", NIC, "inbox.csv").strip()
    eq(len(xid), 32, "extract id")
    check("inbox.csv" not in w.inbox_names("olivia"), "staged: gone from the inbox")
    return xid


def with_sftp(w, data):
    """Stock sftp put into /stage/NIC/: the extract list shows it."""
    local = w.write("sftp.csv", data)
    st, out, err = w.sftp("olivia", ["ls /stage", "put %s /stage/%s/" % (local, NIC)])
    eq(st, 0, "put to /stage: " + out + err)
    check(NIC in out, "ls /stage lists the agreement: " + out)
    row = extract_row(w, "sftp.csv")
    eq((row["plain_size"], row["staged_by"], row["status"]),
       (str(len(data)), "olivia", "staged"), "extract list of sftp.csv")
    return row["id"]


def with_sluicectl(w, data):
    """sluicectl stage NIC FILE --name NAME prints the extract id."""
    local = w.write("ctl-local.csv", data)
    st, out, err = ctl(w, "olivia", "stage", NIC, local, "--name", "ctl.csv")
    eq((st, err), (0, ""), "sluicectl stage")
    xid = out.strip()
    eq(out, xid + "\n", "sluicectl stage prints the id alone")
    eq(extract_row(w, "ctl.csv")["id"], xid, "extract list shows it")
    # a name taken is refused before a byte is sent, with the command's words
    st, out, err = ctl(w, "olivia", "stage", NIC, local, "--name", "ctl.csv")
    eq((st, out, err), (1, "", "sluicectl: stage: /stage/%s/ctl.csv: %s already has an "
                        "extract named ctl.csv\n" % (NIC, NIC)), "a taken name")
    st, out, err = ctl(w, "alan", "stage", NIC, local)
    eq((st, out, err), (1, "", "sluicectl: stage: /stage/%s/ctl-local.csv: permission "
                        "denied: 'extract stage' needs role operator\n" % NIC),
       "an approver stages")
    return xid


def release_and_download(w, names, datas, xids):
    d = w.path("rita-download")
    os.makedirs(d, exist_ok=True)
    for xid, name, data in zip(xids, names, datas):
        eq(show_sha(w, xid), hashlib.sha256(data).hexdigest(), "recorded sha256 of " + name)
        w.ok("alan", "release", "approve", xid)
    st, out, err = w.sftp("rita", ["get /%s/%s.age %s/" % (NIC, n, d) for n in names])
    eq(st, 0, "rita's downloads: " + err)
    for name, data in zip(names, datas):
        deliver.decrypts_to(w, "rita", os.path.join(d, name + ".age"), data,
                            name + " decrypted with stock age")


def nowhere(w, marks, what):
    """No marker in any file under the data directory."""
    for root, dirs, files in os.walk(w.dir):
        for fn in files:
            path = os.path.join(root, fn)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                blob = f.read()
            for m in marks:
                check(m not in blob, "%s: marker %s found in %s" % (what, m.decode(), path))


def wait_audit(w, **want):
    """The first audit entry with want's fields, waiting for it (bounded)."""
    for _ in range(100):
        got = deliver.pick(deliver.audit(w), **want)
        if got:
            return got[0]
        time.sleep(0.1)
    check(False, "no audit entry %r" % (want,))


def cut_uploads(w):
    """Uploads whose connection ends before CLOSE leave nothing; a write out
    of order is refused and nothing of its upload is kept."""
    mark, data = marked("cut", 30000)
    t, c = deliver.client(w, "olivia")
    f1 = c.open("/inbox/cut.csv", "wb")
    f1.write(data)
    f1.flush()
    f2 = c.open("/stage/%s/cut.csv" % NIC, "wb")
    f2.write(data)
    f2.flush()
    t.close()               # neither file closed
    wait_audit(w, actor="olivia", action="inbox put", subject="cut.csv", outcome="abandoned")
    wait_audit(w, actor="olivia", action="extract stage", subject=NIC, outcome="abandoned")
    entries = deliver.audit(w)
    eq(deliver.pick(entries, subject="cut.csv", outcome="ok"), [], "no audit ok for the cut upload")
    check("cut.csv" not in w.inbox_names("olivia"), "the cut inbox upload is not kept")
    eq([f for f in w.inbox_files() if f.startswith(".")], [], "no upload file left")
    eq([f for f in os.listdir(os.path.join(w.dir, "payloads")) if f.endswith(".tmp")], [],
       "no payload left half written")
    eq([l for l in w.ok("audrey", "extract", "list", "--nic", NIC).splitlines()
        if "\tcut.csv\t" in l], [], "no extract of the cut upload")
    # out of order: refused at once, and the CLOSE takes nothing
    t, c = deliver.client(w, "olivia")
    f = c.open("/inbox/gap.csv", "wb")
    f.write(data[:1000])
    f.flush()
    f.seek(5000)
    try:
        f.write(data[5000:6000])
        f.flush()
        check(False, "a write out of order was taken")
    except IOError as e:
        check("uploads are sealed as they arrive: writes must come in order from "
              "offset 0 (no resuming)" in str(e), "the refusal: %s" % e)
    try:
        f.close()
    except IOError:
        pass
    c.close()
    t.close()
    check("gap.csv" not in w.inbox_names("olivia"), "the upload with a gap is not kept")
    return mark


# A put refused at its first write past the inbox's room, then at CLOSE.
def past_room(name):
    return (1, ["close remote: Permission denied",
                "sluice: inbox full: the limit is %d bytes" % LIMIT,
                "sluice: upload too large for the limit",
                'write remote "/inbox/%s": Failure' % name])


def inbox_limit(w):
    """abby's inbox (limit 8 MiB): uploads under way count against the
    limit of another that closes, and fill the inbox for a new one; each
    upload may write the room the files kept leave. An upload under way
    counts with what has reached the disk: the session writes the sealed
    bytes in 1 MiB blocks, so up to 1 MiB and one chunk of it is not
    counted yet; the sizes below leave that margin."""
    size_two = 4 * MiB + MiB // 2
    two = w.write("two.bin", os.urandom(size_two))
    t, c = deliver.client(w, "abby")
    f = c.open("/inbox/one.bin", "wb")
    f.write(os.urandom(5 * MiB))            # under way: at least 4 MiB counted
    f.flush()
    st, out, err = w.sftp("abby", ["put %s" % two])
    eq((st, sorted(err.splitlines())),
       (1, ["close remote: Permission denied", "sluice: inbox full: the limit is %d bytes" % LIMIT]),
       "an upload while another is under way: refused at CLOSE")
    # two uploads of 5 MiB under way (at least 8 MiB counted): the inbox is
    # full at OPEN; the first closed is refused (5 MiB and at least 4 MiB
    # under way), the other kept
    g = c.open("/inbox/twin.bin", "wb")
    g.write(os.urandom(5 * MiB))
    g.flush()
    st, out, err = w.sftp("abby", ["put %s full.bin" % two])
    eq((st, sorted(err.splitlines())),
       (1, ['dest open "/inbox/full.bin": Permission denied',
            "sluice: inbox full: the limit is %d bytes" % LIMIT]),
       "full at OPEN with uploads under way")
    g.close()               # paramiko drops a refused CLOSE: see the audit
    f.close()
    eq(w.inbox_names("abby"), ["one.bin"], "the upload closed last kept")
    entries = deliver.audit(w)
    eq([e["details"] for e in deliver.pick(entries, actor="abby", action="inbox put",
                                           subject="two.bin", outcome="refused")],
       ["%d bytes would exceed the inbox limit of %d bytes" % (size_two, LIMIT)],
       "the refusal at CLOSE audited")
    eq([e["details"] for e in deliver.pick(entries, actor="abby", action="inbox put",
                                           subject="twin.bin", outcome="refused")],
       ["%d bytes would exceed the inbox limit of %d bytes" % (5 * MiB, LIMIT)],
       "the upload closed first refused")
    held = [re.fullmatch(r"the inbox holds (\d+) bytes of its limit of %d bytes" % LIMIT,
                         e["details"])
            for e in deliver.pick(entries, actor="abby", action="inbox put",
                                  subject="full.bin", outcome="refused")]
    check(len(held) == 1 and held[0] is not None and
          LIMIT <= int(held[0].group(1)) <= 10 * MiB + 64 * 1024,
          "the refusal at OPEN audited with what the uploads under way hold")
    # one.bin (5 MiB) kept: two uploads opened at once, 3 MiB of room each;
    # the first closed is kept, the second counted again at CLOSE with it
    g = c.open("/inbox/four.bin", "wb")
    f = c.open("/inbox/three.bin", "wb")
    f.write(os.urandom(2 * MiB))
    f.close()
    g.write(os.urandom(2 * MiB))
    g.close()               # paramiko drops a refused CLOSE: see the audit
    eq(w.inbox_names("abby"), ["one.bin", "three.bin"],
       "over the limit with another kept since OPEN: refused at CLOSE")
    c.close()
    t.close()
    # nothing under way: 7 MiB kept leaves 1 MiB, to the byte
    room = LIMIT - 7 * MiB
    five = w.write("five.bin", os.urandom(room + 1))
    st, out, err = w.sftp("abby", ["put %s" % five])
    eq((st, sorted(err.splitlines())), past_room("five.bin"),
       "one byte past the room")
    six = w.write("six.bin", os.urandom(room))
    st, out, err = w.sftp("abby", ["put %s" % six])
    eq((st, err), (0, ""), "an upload of the room exactly")
    st, out, err = w.sftp("abby", ["put %s seven.bin" % six])
    eq((st, sorted(err.splitlines())),
       (1, ['dest open "/inbox/seven.bin": Permission denied',
            "sluice: inbox full: the limit is %d bytes" % LIMIT]), "full: refused at OPEN")
    eq(w.inbox_names("abby"), ["one.bin", "six.bin", "three.bin"], "abby's inbox, full")
    entries = deliver.audit(w)
    eq([(e["subject"], e["details"]) for e in deliver.pick(entries, actor="abby",
                                                           action="inbox put",
                                                           outcome="refused")
        if e["subject"] not in ("two.bin", "twin.bin", "full.bin")],
       [("four.bin", "%d bytes would exceed the inbox limit of %d bytes" % (2 * MiB, LIMIT)),
        ("five.bin", "an upload to byte %d, past the room of %d bytes the inbox's files "
         "left at OPEN" % (room + 1, room)),
        ("seven.bin", "the inbox holds %d bytes of its limit of %d bytes" % (LIMIT, LIMIT))],
       "each refusal audited")
    eq(deliver.pick(entries, actor="abby", action="inbox put", outcome="abandoned"), [],
       "no refusal audited as abandoned")


def sweep(w, mark):
    """Leftovers a crash leaves, and an older version's plaintext inbox:
    swept at the next start, a line each."""
    w.stop()
    leftovers = {
        "payloads/" + "ab" * 16 + ".tmp": b"half a payload " + mark,
        "inbox/.upload-" + "cd" * 12 + ".tmp": b"half an upload " + mark,
        "inbox/" + "ef" * 16: b"a file no row names " + mark,
        "inbox/olivia/old.csv": b"plaintext of an older version " + mark,
    }
    os.makedirs(os.path.join(w.dir, "inbox", "olivia"), 0o700)
    for rel, data in leftovers.items():
        with open(os.path.join(w.dir, rel), "wb") as f:
            f.write(data)
    w.start()
    lines = ("sweep: removed half-written payload payloads/%s.tmp" % ("ab" * 16),
             "sweep: removed unfinished upload inbox/.upload-%s.tmp" % ("cd" * 12),
             "sweep: removed inbox file no row names, inbox/%s" % ("ef" * 16),
             "sweep: removed inbox/olivia/ (1 file an older version kept in plaintext)")
    # the engine sweeps as it starts, beside the listening parent: wait for
    # its lines (bounded), then for its answer to a command
    for _ in range(200):
        log = w.logtext(whole=True)
        if all(line in log for line in lines):
            break
        time.sleep(0.05)
    for line in lines:
        check(line in log, "the log says: " + line)
    w.ok("audrey", "extract", "list")
    for rel in leftovers:
        check(not os.path.exists(os.path.join(w.dir, rel)), rel + " swept")
    check(not os.path.exists(os.path.join(w.dir, "inbox", "olivia")), "legacy inbox swept")


def test(w):
    set_limit(w)
    deliver.live_world(w)
    marks, names, datas, xids = [], [], [], []
    for tag, name, how in (("inbox", "inbox.csv", from_inbox), ("sftp", "sftp.csv", with_sftp),
                           ("ctl", "ctl.csv", with_sluicectl)):
        mark, data = marked(tag, 20000)
        marks.append(mark)
        names.append(name)
        datas.append(data)
        xids.append(how(w, data))
    release_and_download(w, names, datas, xids)
    marks.append(cut_uploads(w))
    inbox_limit(w)
    nowhere(w, marks, "while running")
    sweep(w, marks[0])
    w.stop(signal.SIGTERM)
    nowhere(w, marks, "stopped")


if __name__ == "__main__":
    main(test)
