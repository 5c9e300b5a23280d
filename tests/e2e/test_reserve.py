#!/usr/bin/env python3
"""The disk's free-space reserve, [inbox] reserve_bytes (issue 15).

The test reads the free space of its own file system (os.statvfs) and sets
the reserve around it, so the outcomes do not depend on the disk's size:

- reserve = free + 1 GiB: a stock `sftp put` to /inbox/ and to /stage/NIC/
  is refused at OPEN with the exact reason, audited exactly, and nothing is
  left in DIR/inbox or DIR/payloads;
- reserve = free - 1 GiB: an OPEN whose attrs give a size of 2 GiB is
  refused at OPEN (raw SFTP, and sluicectl stage, which gives it); uploads opened without one write their first 8 MiB step,
  then a 2 GiB file beside the data takes the room and the next write past
  the step is refused (the session asks the engine for each step): exact
  reason, exact audit entry, no `abandoned` entry, nothing left;
- reserve = 1 MiB: the same stock puts succeed;
- reserve_bytes = 64M: check-config and run refuse, with file and line."""

import os
import re
import struct

from harness import main, eq, check, run
import deliver as D
import story

NIC = story.NIC
MIB = 1024 * 1024
GIB = 1024 * MIB
STEP = 8 * MIB              # SEALED_ROOM_STEP: the room one IPC_ROOM grants
CHUNK = 128 * 1024          # bytes per raw WRITE
WHY = "not enough free space on the server for this upload"
WRITE = D.FXF_WRITE | D.FXF_CREAT | D.FXF_TRUNC
ATTR_SIZE = 0x1


def free_bytes(w):
    sv = os.statvfs(w.dir)
    return sv.f_bavail * sv.f_frsize


def policy_line(w, value):
    """Sets [inbox] reserve_bytes in DIR/policy.conf; returns its line
    number."""
    pol = os.path.join(w.dir, "policy.conf")
    with open(pol) as f:
        lines = f.read().split("\n")
    at = [i for i, l in enumerate(lines) if l.startswith("reserve_bytes = ")]
    eq(len(at), 1, "reserve_bytes lines in policy.conf")
    lines[at[0]] = "reserve_bytes = %s" % value
    with open(pol, "w") as f:
        f.write("\n".join(lines))
    return at[0] + 1


def restart_with(w, reserve):
    """Restarts the daemon with the reserve set to reserve bytes."""
    w.stop()
    policy_line(w, reserve)
    w.start()


def leftovers(w):
    return (sorted(os.listdir(os.path.join(w.dir, "inbox"))),
            sorted(os.listdir(os.path.join(w.dir, "payloads"))))


def refusals(w, last):
    """(actor, action, subject, outcome, details) of the upload entries
    since audit entry last."""
    return [(e["actor"], e["action"], e["subject"], e["outcome"], e["details"])
            for e in D.audit_since(w, last) if e["action"] in ("inbox put", "extract stage")]


def audited(path, how, reserve):
    return "upload to %s%s => less than the reserve of %d bytes would stay free" % (
        path, how, reserve)


def stock_puts_refused(w, local):
    """reserve = free + 1 GiB: both stock puts refused at OPEN."""
    reserve = free_bytes(w) + GIB
    restart_with(w, reserve)
    before, last = leftovers(w), D.last_audit_id(w)
    st, out, err = w.sftp("olivia", ["put %s" % local])
    eq((st, sorted(err.splitlines())),
       (1, ['dest open "/inbox/big.bin": Permission denied', "sluice: " + WHY]), "put to /inbox/")
    st, out, err = w.sftp("olivia", ["put %s /stage/%s/" % (local, NIC)])
    eq((st, sorted(err.splitlines())),
       (1, ['dest open "/stage/%s/big.bin": Permission denied' % NIC, "sluice: " + WHY]), "put to /stage/")
    eq(refusals(w, last),
       [("olivia", "inbox put", "big.bin", "refused", audited("/inbox/big.bin", "", reserve)),
        ("olivia", "extract stage", NIC, "refused",
         audited("/stage/%s/big.bin" % NIC, "", reserve))], "the refusals audited")
    eq(leftovers(w), before, "nothing left in DIR/inbox or DIR/payloads")
    check("big.bin" not in w.inbox_names("olivia"), "no inbox row")


def raw_open(r, path, size=None):
    """OPEN for writing, with a size in the attrs when given: (code, message)
    of a refusal, or the handle."""
    attrs = struct.pack(">IQ", ATTR_SIZE, size) if size is not None else struct.pack(">I", 0)
    typ, body = r.call(D.FXP_OPEN, D.sstr(path) + struct.pack(">I", WRITE) + attrs)
    return D.status_of(typ, body) if typ == D.FXP_STATUS else D.handle_of(typ, body)


def ctl(w, who, *args):
    argv = [w.tool("sluicectl"), "-H", "127.0.0.1", "-p", str(w.port), "-l", who,
            "-i", w.key(who), "-k", w.known_hosts] + list(args)
    return run(argv, env=dict(os.environ, HOME=w.tmp, XDG_CONFIG_HOME=w.path("xdg")))


def sized_open_refused(w):
    """A size given at OPEN over the room: raw SFTP, and sluicectl stage of
    a (sparse) 2 GiB file, which gives its size."""
    t, _ = D.client(w, "olivia")
    r = D.Raw(t)
    eq(raw_open(r, "/inbox/hint.bin", 2 * GIB), (D.FX_PERMISSION_DENIED, WHY), "a size over the room")
    r.close()
    t.close()
    huge = w.path("huge.bin")
    with open(huge, "wb") as f:
        f.truncate(2 * GIB)
    st, out, err = ctl(w, "olivia", "stage", NIC, huge)
    os.unlink(huge)
    eq((st, out, err), (1, "", "sluicectl: stage: /stage/%s/huge.bin: %s\n" % (NIC, WHY)),
       "sluicectl stage of 2 GiB")


def write_until(r, h, start, end):
    """Raw WRITEs of CHUNK bytes from start; the first that is not OK as
    (offset, code, message), or None when all up to end went through."""
    data = os.urandom(CHUNK)
    for off in range(start, end, CHUNK):
        st = D.status_of(*r.call(D.FXP_WRITE, D.sstr(h) + struct.pack(">Q", off) +
                                 D.sstr(data)))
        if st[0] != D.FX_OK:
            return (off,) + st
    return None


def ballast(w, n):
    """A file of n bytes allocated beside the data directory."""
    path = w.path("ballast")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.posix_fallocate(fd, 0, n)
    finally:
        os.close(fd)
    return path


def refused_as_they_grow(w):
    """reserve = free - 1 GiB: a size given at OPEN over the room is refused
    there; writes past the granted step are refused once the room is gone."""
    reserve = free_bytes(w) - GIB
    check(reserve >= MIB, "the test's file system has over 1 GiB free")
    restart_with(w, reserve)
    before, last = leftovers(w), D.last_audit_id(w)
    sized_open_refused(w)
    t, _ = D.client(w, "olivia")
    r = D.Raw(t)
    paths = ("/inbox/grow.bin", "/stage/%s/grow.bin" % NIC)
    hs = [raw_open(r, p) for p in paths]
    for h, p in zip(hs, paths):
        check(isinstance(h, bytes), "%s opened: %r" % (p, h))
        eq(write_until(r, h, 0, STEP), None, p + ": the first step written")
    ball = ballast(w, 2 * GIB)
    try:
        for h, p in zip(hs, paths):
            eq(write_until(r, h, STEP, 2 * STEP), (STEP, D.FX_PERMISSION_DENIED, WHY),
               p + ": the write past the step")
            eq(write_until(r, h, STEP, STEP + CHUNK),
               (STEP, D.FX_FAILURE, "this upload failed: close it and upload again"),
               p + ": broken")
            eq(D.status_of(*r.call(D.FXP_CLOSE, D.sstr(h))), (D.FX_PERMISSION_DENIED, WHY), p + ": CLOSE")
    finally:
        os.unlink(ball)
    r.close()
    t.close()
    at = " at %d bytes" % (STEP + CHUNK)
    eq(refusals(w, last),
       [("olivia", "inbox put", "hint.bin", "refused",
         audited("/inbox/hint.bin", " of %d bytes" % (2 * GIB), reserve)),
        ("olivia", "extract stage", NIC, "refused",
         audited("/stage/%s/huge.bin" % NIC, " of %d bytes" % (2 * GIB), reserve)),
        ("olivia", "inbox put", "grow.bin", "refused", audited(paths[0], at, reserve)),
        ("olivia", "extract stage", NIC, "refused", audited(paths[1], at, reserve))],
       "the refusals audited, and nothing abandoned")
    eq(leftovers(w), before, "nothing left in DIR/inbox or DIR/payloads")


def stock_puts_taken(w, local, data):
    """reserve = 1 MiB: the same puts go through."""
    restart_with(w, MIB)
    w.put("olivia", local)
    eq(w.inbox_names("olivia").count("big.bin"), 1, "big.bin in the inbox")
    st, out, err = w.sftp("olivia", ["put %s /stage/%s/" % (local, NIC)])
    eq((st, err), (0, ""), "put to /stage/")
    rows = [l.split("\t") for l in w.ok("audrey", "extract", "list", "--nic", NIC).splitlines()]
    head = rows[0]
    mine = [dict(zip(head, row)) for row in rows[1:] if dict(zip(head, row))["name"] == "big.bin"]
    eq([(m["plain_size"], m["status"]) for m in mine], [(str(len(data)), "staged")],
       "extract list shows big.bin")


def bad_value(w):
    """reserve_bytes = 64M: refused with its file and line."""
    w.stop()
    line = policy_line(w, "64M")
    want = "sluiced: %s/policy.conf:%d: reserve_bytes = 64M: not a whole number\n" % (w.dir, line)
    st, out, err = run([w.sluiced(), "check-config", "-d", w.dir])
    eq((st, out, err), (1, "", want), "check-config")
    st, out, err = run([w.sluiced(), "run", "-d", w.dir], timeout=20)
    eq((st, out, err), (1, "", want), "run refuses to start")


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    eq(story.agreement(w).get("state"), "live", "agreement state")
    data = os.urandom(3 * MIB + 17)
    local = w.write("big.bin", data)
    stock_puts_refused(w, local)
    refused_as_they_grow(w)
    stock_puts_taken(w, local, data)
    bad_value(w)


if __name__ == "__main__":
    main(test)
