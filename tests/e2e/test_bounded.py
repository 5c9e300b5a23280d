#!/usr/bin/env python3
"""Issue 16, bounded inputs, an anchored audit log, the SSH offer:

- 30 garbage "certificates" of 1 MiB from one recipient in a day: the first
  10 refused at CLOSE with their reason, the other 20 refused at OPEN with the
  daily limit; the store keeps the bytes of the newest 3 only; one rejection
  mail; the next day one written past max_bytes is refused as it is written;
- user names with a newline and terminal escapes, and of 300 bytes: one log
  line each, escaped; one audit entry each with the escaped, bounded name;
  11 attempts on one connection: "too many attempts" is audited;
- the audit log's signed head: audit checkpoint, verify --against (a line or
  an inbox file), the last rows deleted behind the stopped daemon's back make
  audit verify fail with the exact reason, a kept head shows a rewrite;
- the SSH offer, exactly, with `ssh -vv`; group14 refused; stock sftp and the
  sluice client still work; legacy_ciphers adds AES-CTR for old clients."""

import hashlib
import json
import os
import re
import socket
import struct
import time

from harness import main, eq, check, run
import deliver as D
import mailbox
import story

NIC = story.NIC
P = "[sluice] " + NIC
MIB = 1024 * 1024
WRITE = D.FXF_WRITE | D.FXF_CREAT | D.FXF_TRUNC
LIMIT = ("daily limit reached: 10 certificates of deletion rejected today; upload "
         "again tomorrow (UTC)")


# ---- certificates of deletion ---------------------------------------------

def upload(r, name, data):
    """One upload over raw SFTP: (step, code, message) of the first refusal,
    ("close", 0, "") when all went through."""
    typ, body = r.call(D.FXP_OPEN, D.open_payload("/%s/deletion-certificate/%s" % (NIC, name),
                                                  WRITE))
    if typ == D.FXP_STATUS:
        return ("open",) + D.status_of(typ, body)
    h = D.handle_of(typ, body)
    step = "close"
    for off in range(0, len(data), 32768):
        st = D.status_of(*r.call(D.FXP_WRITE, D.sstr(h) + struct.pack(">Q", off) +
                                 D.sstr(data[off:off + 32768])))
        if st[0] != D.FX_OK:
            step = "write " + str(st)
            break
    return (step,) + D.status_of(*r.call(D.FXP_CLOSE, D.sstr(h)))


def garbage(i, n=MIB):
    return ((b"garbage certificate %02d\n" % i) * (n // 23 + 1))[:n]


def sql(w, query):
    st, out, err = run(["sqlite3", "-readonly", os.path.join(w.dir, "sluice.db"), query])
    eq(st, 0, "sqlite3: " + err)
    return out.strip()


def in_use(w):
    """Bytes of the store's pages in use (what is not on the free list)."""
    return int(sql(w, "PRAGMA page_size")) * (int(sql(w, "PRAGMA page_count")) -
                                              int(sql(w, "PRAGMA freelist_count")))


def rejection_mails(w):
    return [m for _, to, s, m in mailbox.messages(w)
            if s == P + ": certificate of deletion rejected"]


def cert_entries(w, last):
    return [(e["outcome"], e["details"]) for e in D.audit_since(w, last)
            if e["action"] == "certificate upload"]


def flood(w):
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    w.set_clock("2027-01-10T09:00:00Z")         # expired: a certificate is due
    w.ok("audrey", "dashboard")
    last = D.last_audit_id(w)
    before = os.path.getsize(os.path.join(w.dir, "sluice.db"))
    used = in_use(w)
    t = D.transport(w, "rita")
    r = D.Raw(t)
    got = [upload(r, "c%02d.p7m" % i, garbage(i)) for i in range(30)]
    want = [("close", D.FX_FAILURE, "not a CMS signature (unreadable DER)")] * 10 + \
        [("open", D.FX_PERMISSION_DENIED, LIMIT)] * 20
    eq(got, want, "30 garbage certificates of 1 MiB")
    t.close()
    used = in_use(w) - used
    check(used <= 3 * MIB + 64 * 1024, "pages in use grew by %d bytes" % used)
    grown = os.path.getsize(os.path.join(w.dir, "sluice.db")) - before
    check(grown <= 4 * MIB + 256 * 1024, "sluice.db grew by %d bytes" % grown)
    eq(sql(w, "SELECT count(*), sum(length(cms)), sum(length(cms) > 0) "
              "FROM deletion_certificates"), "10|%d|3" % (3 * MIB),
       "rows, bytes kept, rows with bytes")
    eq(sql(w, "SELECT group_concat(id, ' ') FROM deletion_certificates WHERE length(cms) > 0"),
       "8 9 10", "the newest three keep their bytes")
    details = ["not a CMS signature (unreadable DER) (1048576 bytes, sha256 %s)"
               % hashlib.sha256(garbage(i)).hexdigest() for i in range(10)]
    eq(cert_entries(w, last), [("refused", d) for d in details] +
       [("refused", LIMIT + " (further refusals today are not audited)")],
       "audit: each rejection with its size and digest, the limit once")
    mails = rejection_mails(w)
    eq(len(mails), 1, "one rejection mail for the day")
    check("(upload 1) was rejected:\n\n  not a CMS signature (unreadable DER)\n"
          in mails[0].get_content(), "rejection mail: " + mails[0].get_content())
    # the next day: written past max_bytes, refused as it is written
    w.set_clock("2027-01-11T09:00:00Z")
    last = D.last_audit_id(w)
    t = D.transport(w, "rita")
    r = D.Raw(t)
    big = garbage(30, MIB + 1)
    eq(upload(r, "big.p7m", big),
       ("write (4, 'upload too large for the limit')", D.FX_FAILURE,
        "certificate larger than 1048576 bytes"), "1 MiB + 1 byte")
    t.close()
    eq(cert_entries(w, last), [("refused", "certificate larger than 1048576 bytes (1048576 "
                                "bytes, sha256 %s)" % hashlib.sha256(big[:MIB]).hexdigest())],
       "audit of the upload past the limit")
    eq(sql(w, "SELECT count(*), sum(length(cms)) FROM deletion_certificates"),
       "11|%d" % (3 * MIB), "still three kept")
    eq(len(rejection_mails(w)), 2, "the new day's rejection mailed")


# ---- hostile user names ---------------------------------------------------

def try_login(w, user, key="rita", times=1):
    """Public-key attempts as user (any bytes) on one connection."""
    sock = socket.create_connection(("127.0.0.1", w.port), 10)
    t = D.paramiko.Transport(sock)
    t.start_client(timeout=10)
    pkey = D.paramiko.Ed25519Key.from_private_key_file(w.key(key))
    for _ in range(times):
        try:
            t.auth_publickey(user, pkey)
        except (D.paramiko.SSHException, EOFError, OSError):
            pass
        check(not t.is_authenticated(), "logged in as %r" % user)
    t.close()


def logins(w, last):
    return [(e["actor"], e["subject"], e["outcome"], re.sub(r":\d+:", ":PORT:", e["details"]))
            for e in D.audit_since(w, last) if e["action"] == "login" and
            e["outcome"] == "refused"]


def log_lines(w, needle):
    """The log lines holding needle, after "TIME sluiced[PID]: [FAKE CLOCK] "."""
    return [l.split(": [FAKE CLOCK] ", 1)[1] for l in D.full_log(w).splitlines() if needle in l]


def wait_log(w, text):
    """Waits (bounded) for a line holding text in the daemon's log."""
    for _ in range(400):
        if text in D.full_log(w):
            return
        time.sleep(0.05)
    check(False, "no log line %r:\n%s" % (text, w.logtext()))


def hostile_names(w):
    fp = D.audit(w)  # the fingerprint of rita's key, from her logins
    fp = [e["subject"] for e in fp if e["action"] == "login" and e["actor"] == "rita"][0]
    forged = "admin\n2027-01-11T09:00:00Z sluiced[1]: forged\x1b[2J\x1b[31m"
    check(len(forged.encode()) <= 64, "short enough to be shown whole")
    shown = "admin\\n2027-01-11T09:00:00Z sluiced[1]: forged\\x1b[2J\\x1b[31m"
    last = D.last_audit_id(w)
    try_login(w, forged)
    eq(logins(w, last), [(shown, fp, "refused",
                          "from 127.0.0.1:PORT: key is registered to another user")],
       "one audit entry, the name escaped")
    eq(log_lines(w, "admin\\n2027"), ['key refused for "%s": key is registered to another '
                                      'user' % shown], "one log line, escaped")
    check("forged" not in "".join(l for l in D.full_log(w).splitlines()
                                  if "admin\\n2027" not in l), "no forged line")
    check("\x1b" not in D.full_log(w), "no terminal escape in the log")

    long = "a" * 300
    cut = "a" * 64 + "...(300 bytes)"
    last = D.last_audit_id(w)
    try_login(w, long)
    eq(logins(w, last), [(cut, "publickey", "refused", "from 127.0.0.1:PORT: bad user name")],
       "a 300-byte user name: one audit entry, the name bounded")
    eq(log_lines(w, cut), ['refused publickey login for "%s": bad user name' % cut],
       "one log line, bounded")

    last = D.last_audit_id(w)
    try_login(w, "mallory", times=11)
    # the session reports the eleventh after the client heard its refusal:
    # its log line comes once the engine has audited it
    wait_log(w, 'refused publickey login for "mallory": too many attempts')
    got = logins(w, last)
    eq(got, [("mallory", fp, "refused", "from 127.0.0.1:PORT: key is registered to another "
              "user")] * 10 + [("mallory", "publickey", "refused",
                                "from 127.0.0.1:PORT: too many attempts")],
       "eleven attempts on one connection")
    check("audit: cannot append" not in D.full_log(w), "every refusal appended")


# ---- the anchored audit log -----------------------------------------------

HEAD = re.compile(r"sluice-audit-head-v1:(\d+):[0-9a-f]{64}:[0-9a-f]{128}\n")


def checkpoint(w):
    out = w.ok("audrey", "audit", "checkpoint")
    m = HEAD.fullmatch(out)
    check(m is not None, "checkpoint line: %r" % out)
    return out.strip(), int(m.group(1))


def head_file(w):
    with open(os.path.join(w.dir, "audit.head")) as f:
        text = f.read()
    m = HEAD.fullmatch(text)
    check(m is not None, "audit.head: %r" % text)
    return text.strip(), int(m.group(1))


def verify(w, *extra):
    return w.ssh("audrey", "audit", "verify", *extra)


def anchored(w):
    # Each command over ssh is two entries: the login, then the command.
    k1, n1 = checkpoint(w)
    last = D.last_audit_id(w)
    eq(n1, last - 2, "the checkpoint names its login, the entry before its own")
    st, out, err = verify(w, "--against", k1)
    eq((st, err), (0, ""), "verify --against the checkpoint")
    eq(out, "audit log intact: %d entries; signed head at entry %d; it holds the kept head, "
            "entry %d\n" % (last + 2, last + 2, n1), "verify --against output")
    eq(json.loads(w.ok("audrey", "--json", "audit", "verify", "--against", k1))["kept"], n1,
       "--json")
    w.put("audrey", w.write("kept.head", k1 + "\n"))
    eq(verify(w, "--against", "kept.head")[0], 0, "--against an inbox file")
    bad = k1[:-1] + ("0" if k1[-1] != "0" else "1")
    eq(verify(w, "--against", bad), (1, "", "the kept head does not verify with the audit key\n"),
       "a forged kept head")
    eq(verify(w, "--against", "sluice-audit-head-v1:1:00"),
       (1, "", "the kept head is not a head line (sluice-audit-head-v1:ENTRY:HASH:SIGNATURE)\n"),
       "a damaged kept head")
    k2, n2 = checkpoint(w)
    w.stop()
    _, h = head_file(w)
    eq(h, n2 + 2, "the head names the engine's stop, after the checkpoint's entry")
    # behind the daemon's back: the last five rows go
    st, out, err = run(["sqlite3", os.path.join(w.dir, "sluice.db"),
                        "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id > %d;" % (h - 5)])
    eq(st, 0, "sqlite3: " + err)
    w.start()
    why = ("audit log shorter than its signed head: the head names entry %d, the log ends at "
           "entry %d (entries removed from the end?)")
    # the start appended its finding and "start", the login its entry
    eq(verify(w), (1, "", why % (h, h - 2) + "\n"), "audit verify after the cut")
    # the engine has answered, so it has started, and said so
    check("audit: the log does not hold its signed head: %s; audit verify fails until this "
          "is explained (remove %s/audit.head to anchor the log anew)\n"
          % (why % (h, h - 5), w.dir) in w.logtext(whole=True), "said at start:\n" + w.logtext())
    eq(verify(w), (1, "", "audit entry %d differs from its signed head (log rewritten?)\n" % h),
       "audit verify once the log grew past the cut")
    eq(head_file(w)[1], h, "the head stays where it was")
    found = [e for e in D.audit(w) if e["action"] == "audit anchor"]
    eq([(e["id"], e["outcome"], e["details"]) for e in found],
       [(h - 4, "error", why % (h, h - 5))], "the finding audited")
    # someone looked: the head removed, the log anchored anew at start
    w.stop()
    os.unlink(os.path.join(w.dir, "audit.head"))
    w.start()
    st, out, err = verify(w)
    eq((st, err), (0, ""), "verify once anchored anew")
    check("audit.head is missing: the log is anchored anew at its newest entry"
          in w.logtext(whole=True), "re-anchoring said")
    eq(verify(w, "--against", k1)[0], 0, "the first kept head is still held")
    eq(verify(w, "--against", k2),
       (1, "", "audit entry %d differs from the kept head (log rewritten?)\n" % n2),
       "the second kept head shows the cut")


# ---- the SSH offer --------------------------------------------------------

def said_opts(w):
    """audrey's ssh options without LogLevel=ERROR, which would hide what
    ssh says of the negotiation."""
    opts = w.ssh_opts("audrey")
    i = opts.index("LogLevel=ERROR")
    return opts[:i - 1] + opts[i + 1:]


def offer(w, legacy):
    """The server's KEXINIT proposal as `ssh -vv` prints it."""
    st, out, err = run(["ssh", "-vv"] + said_opts(w) + ["-p", str(w.port), "-l", "audrey",
                                                        "127.0.0.1", "help"])
    eq(st, 0, "ssh help: " + err[-2000:])
    lines = [l.rstrip("\r") for l in err.split("debug2: peer server KEXINIT proposal", 1)[1]
             .splitlines()[1:9]]
    got = dict(l.split(": ", 2)[1:] for l in lines if l.startswith("debug2: "))
    ciphers = "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com"
    macs = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com"
    if legacy:
        ciphers += ",aes256-ctr,aes128-ctr"
        macs += ",hmac-sha2-256,hmac-sha2-512"
    eq([got.get(k) for k in ("KEX algorithms", "host key algorithms", "ciphers ctos",
                             "ciphers stoc", "MACs ctos", "MACs stoc")],
       ["curve25519-sha256,curve25519-sha256@libssh.org,kex-strict-s-v00@openssh.com",
        "ssh-ed25519", ciphers, ciphers, macs, macs], "the offer (legacy %s)" % legacy)


def refused(w, option, want):
    """ssh -o option fails with want. libssh may end a key exchange it
    refuses before its own offer has left (the client then says only
    "Connection closed by ..."): that, and only that, is tried again, a few
    times, until ssh reports the offer."""
    closed = "Connection closed by 127.0.0.1 port %d\r\n" % w.port
    for _ in range(5):
        st, out, err = run(["ssh"] + said_opts(w) + ["-o", option, "-p", str(w.port),
                                                     "-l", "audrey", "127.0.0.1", "help"])
        eq(st, 255, option + ": exit status")
        check(err in (want, closed), option + ": " + err)
        if err == want:
            return
    check(False, option + ": ssh never saw the offer")


def algorithms(w):
    offer(w, True)
    w.stop()
    w.replace_conf("legacy_ciphers = yes", "legacy_ciphers = no")
    w.start()
    offer(w, False)
    refused(w, "KexAlgorithms=diffie-hellman-group14-sha256",
            "Unable to negotiate with 127.0.0.1 port %d: no matching key exchange method "
            "found. Their offer: curve25519-sha256,curve25519-sha256@libssh.org,"
            "kex-strict-s-v00@openssh.com\r\n" % w.port)
    refused(w, "Ciphers=aes128-ctr",
            "Unable to negotiate with 127.0.0.1 port %d: no matching cipher found. Their "
            "offer: chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
            "aes128-gcm@openssh.com\r\n" % w.port)
    st, out, err = w.sftp("rita", ["ls /"])
    eq(st, 0, "stock sftp: " + out + err)
    check("/%s" % NIC in out, "sftp ls: " + out)
    st, out, err = run([w.tool("sluice"), "-H", "127.0.0.1", "-p", str(w.port), "-l", "rita",
                        "-i", w.key("rita"), "-k", w.known_hosts, "status"])
    eq(st, 0, "the sluice client: " + out + err)
    try:
        D.transport(w, "rita")
        check(False, "paramiko 2.12 connected without AES-GCM or chacha20")
    except D.paramiko.SSHException as e:
        eq(str(e), "Incompatible ssh server (no acceptable ciphers)", "paramiko 2.12")


def test(w):
    w.start()
    flood(w)
    hostile_names(w)
    anchored(w)
    algorithms(w)
    D.daemon_alive(w)


if __name__ == "__main__":
    main(test)
