"""Shared by the SFTP delivery tests (issue 4): a world with a live agreement
and an approved extract, set up through real admin commands (story.py);
paramiko sessions whose host key is checked against the daemon's; raw SFTP
packets; the audit log as JSON lines."""

import base64
import hashlib
import json
import os
import re
import socket
import struct
import subprocess
import sys

try:
    import paramiko
except ImportError:
    # python3-paramiko installs into the system interpreter; a python3 earlier
    # on PATH (pyenv, venv) may not see it. Run under the system one then.
    SYSTEM_PY = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PY) and \
            os.path.exists(SYSTEM_PY) and not os.environ.get("SLUICE_REEXEC"):
        os.environ["SLUICE_REEXEC"] = "1"
        os.execv(SYSTEM_PY, [SYSTEM_PY] + sys.argv)
    sys.exit("e2e: python3-paramiko is missing (scripts/deps installs it)")

from harness import Failure, check, eq, run
import story

NIC = story.NIC
AGE = "/%s/cohort.csv.age" % NIC

# SFTP v3 packet types and status codes.
FXP_INIT, FXP_VERSION, FXP_OPEN, FXP_CLOSE, FXP_READ, FXP_WRITE = 1, 2, 3, 4, 5, 6
FXP_LSTAT, FXP_FSTAT, FXP_SETSTAT, FXP_FSETSTAT, FXP_OPENDIR = 7, 8, 9, 10, 11
FXP_READDIR, FXP_REMOVE, FXP_MKDIR, FXP_RMDIR, FXP_REALPATH = 12, 13, 14, 15, 16
FXP_STAT, FXP_RENAME, FXP_READLINK, FXP_SYMLINK = 17, 18, 19, 20
FXP_STATUS, FXP_HANDLE, FXP_DATA, FXP_NAME, FXP_ATTRS = 101, 102, 103, 104, 105
FXP_EXTENDED, FXP_EXTENDED_REPLY = 200, 201
FX_OK, FX_EOF, FX_NO_SUCH_FILE, FX_PERMISSION_DENIED, FX_FAILURE = 0, 1, 2, 3, 4
FX_BAD_MESSAGE, FX_OP_UNSUPPORTED = 5, 8
FXF_READ, FXF_WRITE, FXF_APPEND, FXF_CREAT, FXF_TRUNC, FXF_EXCL = 1, 2, 4, 8, 16, 32


def live_world(w):
    """Starts the daemon; staff, ORG-A, signatories, a live agreement and an
    approved cohort.csv; returns (extract id, release id)."""
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    a = story.agreement(w)
    eq(a.get("state"), "live", "agreement state")
    return story.stage_and_approve(w)


def stage(w, name, data, approve=True):
    """Stages data as NAME under NIC (and approves it); returns (xid, rid)."""
    w.put("olivia", w.write(name, data))
    xid = w.ok("olivia", "extract", "stage", NIC, name, "--name", name).strip()
    eq(len(xid), 32, "extract id of " + name)
    if not approve:
        return xid, None
    rid = str(json.loads(w.ok("alan", "--json", "release", "approve", xid))["release_id"])
    return xid, rid


def release_id(answer):
    """The release id in `release approve`'s answer ("4", or "release 4:
    ...")."""
    m = re.match(r"(?:release )?(\d+)\b", answer.strip())
    check(m is not None, "release approve answer: " + answer)
    return m.group(1)


def big_extract(mib):
    """mib MiB of text rows, different from story.EXTRACT."""
    row = b"%010d,big-row,0123456789abcdef0123456789abcdef\n"
    n = mib * 1024 * 1024 // len(row % 0)
    return b"".join(row % i for i in range(n))


def host_key_blob(w):
    with open(os.path.join(w.dir, "host_ed25519_key.pub")) as f:
        return base64.b64decode(f.read().split()[1])


def transport(w, who, key=None):
    """An authenticated paramiko Transport as `who` (key: path of the private
    key, default who's own); the daemon's host key is checked first."""
    sock = socket.create_connection(("127.0.0.1", w.port), 10)
    t = paramiko.Transport(sock)
    t.get_security_options().key_types = ["ssh-ed25519"]
    t.start_client(timeout=10)
    eq(t.get_remote_server_key().asbytes(), host_key_blob(w), "daemon host key")
    pkey = paramiko.Ed25519Key.from_private_key_file(key or w.key(who))
    t.auth_publickey(who, pkey)
    check(t.is_authenticated(), "%s not authenticated" % who)
    return t


def client(w, who, key=None):
    """(transport, SFTPClient) as who."""
    t = transport(w, who, key)
    return t, paramiko.SFTPClient.from_transport(t)


def local_port(t):
    return t.sock.getsockname()[1]


def full_log(w):
    with open(os.path.join(w.tmp, "sluiced.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def session_pid(w, t):
    """The daemon's session process serving transport t, from the log line
    "connection from 127.0.0.1:PORT: session PID"."""
    tag = "connection from 127.0.0.1:%d: session " % local_port(t)
    # the last such line: an earlier connection may have used the same port
    for line in reversed(full_log(w).splitlines()):
        if tag in line:
            return int(line.split(tag)[1].split()[0])
    raise Failure("no session pid for port %d in the log" % local_port(t))


def audit(w):
    """Every audit entry, as dicts, oldest first."""
    out = w.ok("audrey", "audit", "export")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def audit_since(w, last_id):
    return [e for e in audit(w) if e["id"] > last_id]


def last_audit_id(w):
    return audit(w)[-1]["id"]


def pick(entries, **want):
    """The entries whose fields equal want's."""
    return [e for e in entries if all(e.get(k) == v for k, v in want.items())]


def decrypts_to(w, who, age_path, want, what):
    """age -d -i who's key decrypts age_path to exactly want."""
    out = age_path + ".plain"
    st, o, err = run(["age", "-d", "-i", w.key(who), "-o", out, age_path])
    eq(st, 0, "%s: age -d: %s" % (what, err))
    with open(out, "rb") as f:
        got = f.read()
    eq(hashlib.sha256(got).hexdigest(), hashlib.sha256(want).hexdigest(),
       what + ": decrypted bytes")
    os.unlink(out)


def verify_sums(w, d, what):
    """sha256sum -c and minisign -V in directory d (cohort.csv there)."""
    st, out, err = run(["sha256sum", "-c", "SHA256SUMS"], cwd=d)
    eq((st, out), (0, "cohort.csv: OK\n"), what + ": sha256sum -c")
    st, out, err = run(["minisign", "-Vm", "SHA256SUMS", "-p", "release.pub"], cwd=d)
    eq(st, 0, what + ": minisign -V: " + out + err)
    check("Signature and comment signature verified" in out,
          what + ": minisign output: " + out)


class Raw:
    """Raw SFTP v3 over a paramiko channel: we frame every packet."""

    def __init__(self, t, init=True):
        self.t = t
        self.ch = t.open_session()
        self.ch.settimeout(20)
        self.ch.invoke_subsystem("sftp")
        self.next_id = 1
        if init:
            self.send_raw(struct.pack(">IBI", 5, FXP_INIT, 3))
            typ, body = self.recv()
            eq(typ, FXP_VERSION, "INIT answer")
            eq(struct.unpack(">I", body[:4])[0], 3, "SFTP version")

    def send_raw(self, data):
        self.ch.sendall(data)

    def packet(self, typ, payload):
        """A framed packet with a fresh request id; returns (bytes, id)."""
        rid = self.next_id
        self.next_id += 1
        body = struct.pack(">BI", typ, rid) + payload
        return struct.pack(">I", len(body)) + body, rid

    def send(self, typ, payload):
        data, rid = self.packet(typ, payload)
        self.send_raw(data)
        return rid

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.ch.recv(n - len(buf))
            if not chunk:
                raise EOFError("channel closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def recv(self):
        """(type, body after the type) of the next reply."""
        n = struct.unpack(">I", self.recv_exact(4))[0]
        data = self.recv_exact(n)
        return data[0], data[1:]

    def reply(self, rid):
        typ, body = self.recv()
        eq(struct.unpack(">I", body[:4])[0], rid, "reply id")
        return typ, body[4:]

    def call(self, typ, payload):
        return self.reply(self.send(typ, payload))

    def closed(self):
        """True when the daemon ended the channel (EOF or closed)."""
        try:
            self.ch.settimeout(10)
            return self.ch.recv(1) == b""
        except socket.timeout:
            return False
        except (EOFError, OSError):
            return True

    def close(self):
        self.ch.close()


def sstr(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def status_of(typ, body):
    """(code, message) of a STATUS reply body (after the id)."""
    eq(typ, FXP_STATUS, "reply type (want STATUS)")
    code = struct.unpack(">I", body[:4])[0]
    n = struct.unpack(">I", body[4:8])[0]
    return code, body[8:8 + n].decode("utf-8", "replace")


def handle_of(typ, body):
    eq(typ, FXP_HANDLE, "reply type (want HANDLE)")
    n = struct.unpack(">I", body[:4])[0]
    return body[4:4 + n]


def open_payload(path, pflags=FXF_READ):
    return sstr(path) + struct.pack(">II", pflags, 0)


def read_payload(handle, off, n):
    return sstr(handle) + struct.pack(">QI", off, n)


def data_of(typ, body):
    eq(typ, FXP_DATA, "reply type (want DATA)")
    n = struct.unpack(">I", body[:4])[0]
    return body[4:4 + n]


def daemon_alive(w):
    check(w.proc is not None and w.proc.poll() is None,
          "sluiced exited:\n" + w.logtext())


def sftp_download_works(w, who="rita"):
    """A fresh stock sftp session downloads and the file decrypts."""
    d = w.path("fresh-%s" % os.urandom(4).hex())
    os.makedirs(d)
    st, out, err = w.sftp(who, ["get %s %s/" % (AGE, d)])
    eq(st, 0, "fresh sftp get: " + out + err)
    decrypts_to(w, who, os.path.join(d, "cohort.csv.age"), story.EXTRACT,
                "fresh download")
