#!/usr/bin/env python3
"""Issue 4: a hostile SFTP client, speaking raw SFTP v3 packets over a
paramiko channel. Asserted:

- paths with "..", "//", "/./", trailing slashes, NUL bytes, 2000 bytes,
  non-UTF-8, host paths: REALPATH stays inside "/", nothing outside the
  virtual tree opens (exact status and reason), the ones that normalise to
  the extract open that extract and nothing else;
- malformed packets: a length past the limit, zero and short packets, a
  request before INIT, a second INIT end the channel; a string length past
  the packet end answers BAD_MESSAGE; unknown types answer OP_UNSUPPORTED;
  a READ larger than 261120 bytes is clamped to 261120;
- 10,000 OPENs in one session: a bounded number of handles, the rest refused
  with a reason, and the session still works after closing them;
- handles are per session: session A's handle bytes in session B are
  invalid (or name B's own file), never A's extract;
- REMOVE, RENAME, MKDIR, RMDIR, SETSTAT, FSETSTAT, SYMLINK: permission
  denied; writes outside deletion-certificate/: permission denied;
- afterwards the daemon lives, logged no crash (nor sanitizer report), and a
  fresh stock sftp download decrypts."""

import struct

from harness import main, eq, check
import deliver as D
from deliver import (AGE, NIC, Raw, sstr, status_of, handle_of, data_of, open_payload,
                     read_payload)

MAX_READ = 261120
WRITE = D.FXF_WRITE | D.FXF_CREAT | D.FXF_TRUNC


def expect_status(r, typ, payload, want, what):
    rtyp, body = r.call(typ, payload)
    check(rtyp == D.FXP_STATUS, "%s: reply %d %r, want status %r" % (what, rtyp, body[:64], want))
    eq(status_of(rtyp, body), want, what)


def reference(w):
    t, c = D.client(w, "rita")
    with c.open(AGE, "rb") as f:
        want = f.read()
    with c.open("/release.pub", "rb") as f:
        pub = f.read()
    c.close()
    t.close()
    return want, pub


def hostile_paths(w, r, want):
    nf = (D.FX_NO_SUCH_FILE, "no such file")
    escaping = {
        "/../../etc/passwd": nf,
        "/%s/../../etc" % NIC: nf,
        "../../../../etc/passwd": nf,
        "/%s/../../../../../../etc/shadow" % NIC: nf,
        "/%s/..//..//./etc/passwd" % NIC: nf,
        "/%s\\..\\..\\etc\\passwd" % NIC: nf,
        "/%s/%%2e%%2e/%%2e%%2e/etc/passwd" % NIC: nf,
        "/proc/self/environ": nf,
        w.dir + "/master.key": nf,
        w.dir + "/payloads": nf,
        "/%s/cohort.csv.age\0" % NIC: (D.FX_NO_SUCH_FILE, "path contains a NUL byte"),
        "/%s/cohort.csv.age\0.txt" % NIC: (D.FX_NO_SUCH_FILE, "path contains a NUL byte"),
        "/" + "a" * 2000: (D.FX_NO_SUCH_FILE, "path longer than 1024 bytes"),
        "/%s/" % NIC + "../" * 700 + "etc": (D.FX_NO_SUCH_FILE, "path longer than 1024 bytes"),
        b"/\xff\xfe": (D.FX_NO_SUCH_FILE, "path is not valid UTF-8"),
        b"/%s/\xc0\xae\xc0\xae/\xc0\xae\xc0\xae/etc" % NIC.encode():
            (D.FX_NO_SUCH_FILE, "path is not valid UTF-8"),
    }
    for p, st in escaping.items():
        what = repr(p)[:70]
        typ, body = r.call(D.FXP_REALPATH, sstr(p))
        if typ == D.FXP_NAME:
            n = struct.unpack(">I", body[4:8])[0]
            name = body[8:8 + n].decode()
            check(name.startswith("/") and ".." not in name.split("/") and "//" not in name,
                  "REALPATH %s -> %r" % (what, name))
        else:
            eq(status_of(typ, body), st, "REALPATH " + what)
        for typ in (D.FXP_STAT, D.FXP_LSTAT, D.FXP_OPENDIR):
            expect_status(r, typ, sstr(p), st, "%d %s" % (typ, what))
        expect_status(r, D.FXP_OPEN, open_payload(p), st, "OPEN " + what)
        expect_status(r, D.FXP_OPEN, open_payload(p, WRITE),
                      st if st != nf else (D.FX_PERMISSION_DENIED,
                                           "read-only: uploads go in /<NIC>/deletion-certificate/"),
                      "OPEN for writing " + what)
    # These normalise to the extract itself: they open it, and only it.
    for p in ("//%s//cohort.csv.age" % NIC, "/./%s/./cohort.csv.age" % NIC,
              "/%s/cohort.csv.age/" % NIC, "/%s/../../%s/cohort.csv.age" % (NIC, NIC),
              "%s/deletion-certificate/../cohort.csv.age" % NIC):
        h = handle_of(*r.call(D.FXP_OPEN, open_payload(p)))
        eq(data_of(*r.call(D.FXP_READ, read_payload(h, 0, 4096))), want[:4096], "READ " + p)
        expect_status(r, D.FXP_CLOSE, sstr(h), (D.FX_OK, "Success"), "CLOSE " + p)


def staff_paths(w):
    t = D.transport(w, "olivia")
    r = Raw(t)
    nf = (D.FX_NO_SUCH_FILE, "no such file")
    for p in ("/inbox/../../etc/passwd", "../../../etc/passwd", "/inbox/../" + NIC,
              "../%s/cohort.csv.age" % NIC, AGE, "/inbox/a/b", w.dir + "/master.key",
              "/inbox/../../../inbox/../x"):
        for typ in (D.FXP_STAT, D.FXP_OPENDIR):
            expect_status(r, typ, sstr(p), nf, "staff %d %s" % (typ, p))
        expect_status(r, D.FXP_OPEN, open_payload(p), nf, "staff OPEN " + p)
    r.close()
    t.close()


def malformed(w, want):
    t = D.transport(w, "rita")
    # Each fatal case on its own channel: the daemon ends that channel.
    fatal = {
        "length past the limit": struct.pack(">IB", 0x7fffffff, D.FXP_OPEN),
        "zero length": struct.pack(">I", 0),
        "type only": struct.pack(">IB", 1, D.FXP_OPEN),
        "half an id": struct.pack(">IBH", 3, D.FXP_READ, 7),
        "second INIT": struct.pack(">IBI", 5, D.FXP_INIT, 3),
    }
    for what, data in fatal.items():
        r = Raw(t)
        r.send_raw(data)
        check(r.closed(), "channel still open after " + what)
        r.close()
    r = Raw(t, init=False)
    r.send_raw(struct.pack(">IBI", 5, D.FXP_OPEN, 1))
    check(r.closed(), "channel still open after a request before INIT")
    r.close()
    r = Raw(t)
    bad = (D.FX_BAD_MESSAGE, "malformed request")
    expect_status(r, D.FXP_OPEN, struct.pack(">I", 0xfffffff0) + b"/x", bad,
                  "string length past the packet")
    expect_status(r, D.FXP_OPEN, sstr(AGE), bad, "OPEN without pflags")
    expect_status(r, D.FXP_STAT, b"", bad, "STAT without a path")
    unsup = (D.FX_OP_UNSUPPORTED, "Operation unsupported")
    for typ in (0, 2, 21, 99, 101, 150, 255):
        expect_status(r, typ, b"whatever", unsup, "unknown type %d" % typ)
    expect_status(r, D.FXP_EXTENDED, sstr("posix-rename@openssh.com") + sstr("a") + sstr("b"),
                  unsup, "posix-rename@openssh.com")
    h = handle_of(*r.call(D.FXP_OPEN, open_payload(AGE)))
    expect_status(r, D.FXP_READ, sstr(h) + struct.pack(">I", 0), bad, "READ without a length")
    got = data_of(*r.call(D.FXP_READ, read_payload(h, 0, 0xffffffff)))
    eq(len(got), MAX_READ, "READ of 4 GiB clamped")
    eq(got, want[:MAX_READ], "clamped READ bytes")
    got = data_of(*r.call(D.FXP_READ, read_payload(h, len(want) - 10, 1000)))
    eq(got, want[-10:], "READ across the end")
    for off in (len(want), 2 ** 64 - 1):
        expect_status(r, D.FXP_READ, read_payload(h, off, 100), (D.FX_EOF, "End of file"),
                      "READ at %d" % off)
    expect_status(r, D.FXP_WRITE, sstr(h) + struct.pack(">Q", 0) + sstr(b"x"),
                  (D.FX_PERMISSION_DENIED, "file is read-only"), "WRITE to a download")
    expect_status(r, D.FXP_CLOSE, sstr(h), (D.FX_OK, "Success"), "CLOSE")
    inval = (D.FX_FAILURE, "invalid handle")
    for hb in (h, b"", b"\0\0\0\0", b"\xff" * 4, b"x" * 1000):
        expect_status(r, D.FXP_READ, read_payload(hb, 0, 10), inval, "READ on %r" % hb[:8])
        expect_status(r, D.FXP_CLOSE, sstr(hb), inval, "CLOSE on %r" % hb[:8])
    r.close()
    t.close()


def many_opens(w, pub):
    t = D.transport(w, "rita")
    r = Raw(t)
    handles, refusals = [], {}
    total = 10000
    for batch in range(total // 500):
        ids = []
        data = b""
        for _ in range(500):
            pkt, rid = r.packet(D.FXP_OPEN, open_payload("/release.pub"))
            data += pkt
            ids.append(rid)
        r.send_raw(data)
        for rid in ids:
            typ, body = r.reply(rid)
            if typ == D.FXP_HANDLE:
                handles.append(handle_of(typ, body))
            else:
                st = status_of(typ, body)
                refusals[st] = refusals.get(st, 0) + 1
    print("10,000 OPENs: %d handles, refusals %r" % (len(handles), refusals))
    check(1 <= len(handles) <= 256, "handles granted: %d" % len(handles))
    eq(len(set(handles)), len(handles), "distinct handles")
    eq(sum(refusals.values()) + len(handles), total, "every OPEN answered")
    check(all(k[0] == D.FX_FAILURE and k[1].startswith("too many open") for k in refusals),
          "refusals: %r" % refusals)
    # Every handle still reads its own file; then they all close.
    eq(data_of(*r.call(D.FXP_READ, read_payload(handles[-1], 0, 4096))), pub,
       "READ on the last handle")
    for h in handles:
        expect_status(r, D.FXP_CLOSE, sstr(h), (D.FX_OK, "Success"), "CLOSE")
    h = handle_of(*r.call(D.FXP_OPEN, open_payload(AGE)))
    expect_status(r, D.FXP_CLOSE, sstr(h), (D.FX_OK, "Success"), "CLOSE after 10,000 OPENs")
    r.close()
    t.close()


def other_session_handles(w, want, pub):
    ta = D.transport(w, "rita")
    a = Raw(ta)
    ha = handle_of(*a.call(D.FXP_OPEN, open_payload(AGE)))
    tb = D.transport(w, "rita")
    b = Raw(tb)
    inval = (D.FX_FAILURE, "invalid handle")
    expect_status(b, D.FXP_READ, read_payload(ha, 0, 4096), inval, "A's handle in B")
    expect_status(b, D.FXP_FSTAT, sstr(ha), inval, "FSTAT of A's handle in B")
    expect_status(b, D.FXP_CLOSE, sstr(ha), inval, "CLOSE of A's handle in B")
    hb = handle_of(*b.call(D.FXP_OPEN, open_payload("/release.pub")))
    typ, body = b.call(D.FXP_READ, read_payload(ha, 0, 4096))
    if hb == ha:   # the same slot and generation: B's own file, not A's
        eq(data_of(typ, body), pub, "A's handle bytes in B name B's file")
    else:
        eq(status_of(typ, body), inval, "A's handle in B after B opened a file")
    # A's handle is untouched by all that.
    eq(data_of(*a.call(D.FXP_READ, read_payload(ha, 0, 4096))), want[:4096], "A still reads")
    for r, t in ((a, ta), (b, tb)):
        r.close()
        t.close()


def tree_changes(w):
    t = D.transport(w, "rita")
    r = Raw(t)
    ro = D.FX_PERMISSION_DENIED
    deny = (ro, "not allowed in this tree")
    expect_status(r, D.FXP_REMOVE, sstr(AGE), (ro, "permission denied: read-only"), "REMOVE")
    expect_status(r, D.FXP_REMOVE, sstr("/../../etc/passwd"), (ro, "permission denied: read-only"),
                  "REMOVE /etc/passwd")
    expect_status(r, D.FXP_RENAME, sstr(AGE) + sstr("/%s/x.age" % NIC), deny, "RENAME")
    expect_status(r, D.FXP_MKDIR, sstr("/%s/d" % NIC) + struct.pack(">I", 0), deny, "MKDIR")
    expect_status(r, D.FXP_RMDIR, sstr("/" + NIC), deny, "RMDIR")
    expect_status(r, D.FXP_SETSTAT, sstr(AGE) + struct.pack(">II", 4, 0o777), deny, "SETSTAT")
    expect_status(r, D.FXP_SYMLINK, sstr("/%s/l" % NIC) + sstr("/etc/passwd"), deny, "SYMLINK")
    expect_status(r, D.FXP_READLINK, sstr(AGE), (D.FX_OP_UNSUPPORTED, "Operation unsupported"),
                  "READLINK")
    h = handle_of(*r.call(D.FXP_OPEN, open_payload(AGE)))
    expect_status(r, D.FXP_FSETSTAT, sstr(h) + struct.pack(">II", 4, 0o777), deny, "FSETSTAT")
    expect_status(r, D.FXP_CLOSE, sstr(h), (D.FX_OK, "Success"), "CLOSE")
    ro_msg = (ro, "read-only: uploads go in /<NIC>/deletion-certificate/")
    for p in (AGE, "/%s/new.txt" % NIC, "/new.txt", "/release.pub", "/%s/SHA256SUMS" % NIC,
              "/%s/SHA256SUMS.minisig" % NIC, "/%s/deletion-certificate" % NIC,
              "/%s/deletion-certificate/../evil" % NIC, "/%s/deletion-certificate/a/b" % NIC,
              "/NIC-999999-ZZZZZ/deletion-certificate/c.p7s", "/" + NIC):
        for flags in (D.FXF_WRITE, WRITE, D.FXF_WRITE | D.FXF_APPEND):
            expect_status(r, D.FXP_OPEN, open_payload(p, flags), ro_msg,
                          "OPEN %s for writing (%#x)" % (p, flags))
    # Inside deletion-certificate/ a write opens; junk is judged at CLOSE.
    cert = "/%s/deletion-certificate/junk.p7s" % NIC
    expect_status(r, D.FXP_OPEN, open_payload(cert), (ro, "write-only directory"),
                  "reading a certificate upload")
    h = handle_of(*r.call(D.FXP_OPEN, open_payload(cert, WRITE)))
    expect_status(r, D.FXP_WRITE, sstr(h) + struct.pack(">Q", 2 ** 40) + sstr(b"x"),
                  (D.FX_FAILURE, "upload too large for the limit"), "WRITE past the upload limit")
    expect_status(r, D.FXP_WRITE, sstr(h) + struct.pack(">Q", 0) + sstr(b"not a certificate"),
                  (D.FX_OK, "Success"), "WRITE of a certificate")
    expect_status(r, D.FXP_READ, read_payload(h, 0, 10),
                  (ro, "file is open for writing"), "READ of an upload")
    typ, body = r.call(D.FXP_CLOSE, sstr(h))
    eq(status_of(typ, body)[0], D.FX_FAILURE, "CLOSE of a junk certificate: %r" % (body,))
    r.close()
    t.close()


def test(w):
    D.live_world(w)
    want, pub = reference(w)
    t = D.transport(w, "rita")
    r = Raw(t)
    hostile_paths(w, r, want)
    r.close()
    t.close()
    staff_paths(w)
    malformed(w, want)
    many_opens(w, pub)
    other_session_handles(w, want, pub)
    tree_changes(w)
    D.daemon_alive(w)
    log = D.full_log(w)
    for bad in ("died of signal", "AddressSanitizer", "runtime error:", "LeakSanitizer"):
        check(bad not in log, "daemon log has %r" % bad)
    D.sftp_download_works(w)


if __name__ == "__main__":
    main(test)
