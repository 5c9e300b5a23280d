#!/usr/bin/env python3
"""Issue 16, residual risk "the session chooses the identifier": the SSH
host key lives in the engine alone, which signs each key exchange's hash.
With the daemon run under strace (as root, its sessions sandboxed), asserted:

- stock ssh and sftp (known_hosts, StrictHostKeyChecking=yes) and paramiko
  (its host key compared) log in: the engine's signature of the exchange
  hash is the server's;
- of every process of the daemon, only the engine opens the host key's
  private file, once; the parent opens only its public half; no session
  process tries to open either;
- the host key's secret seed is nowhere in the readable memory of a live
  session (one past its key exchange but not logged in, one logged in) nor
  of the parent, which forks them, read through /proc/PID/mem. The same scan
  finds the seed in the engine's memory and the host key's public half in
  each session's, so a miss is not the scan failing to read;
- re-keying after the login is served, by paramiko (twice, then a command)
  and by stock sftp with RekeyLimit 64K (a 1 MiB put: many key exchanges,
  the bytes intact); no signature was refused (no audit entry);
- a host_key.pub that is not the private key's public half stops the
  engine at start with that reason, and the daemon gives up (status 1);
- a host key pair replaced while the daemon runs is not taken by an engine
  started again (its pair is not the key the parent has offered since it
  started): each start is refused with that reason, and the daemon gives up
  (status 1) rather than offer one key and sign with another."""

import base64
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess

from harness import Failure, World, check, eq, main, need_tools, run, wait_for
import deliver as D

HOST_KEY = "host_ed25519_key"
MAP_MAX = 1 << 30	# larger mappings are ASan's reserved shadow: skipped
CHUNK = 1 << 20


def sstring(b, off):
    n = struct.unpack(">I", b[off:off + 4])[0]
    return b[off + 4:off + 4 + n], off + 4 + n


def host_secret(w):
    """(seed, public key) of the host key: the openssh-key-v1 file read as
    PROTOCOL.key lays it out."""
    with open(os.path.join(w.dir, HOST_KEY)) as f:
        lines = f.read().strip().splitlines()
    b = base64.b64decode("".join(lines[1:-1]))
    eq(b[:15], b"openssh-key-v1\0", "host key magic")
    off = 15
    for _ in range(3):			# cipher, kdf, kdf options
        _, off = sstring(b, off)
    off += 4				# number of keys
    _, off = sstring(b, off)		# public blob
    sec, _ = sstring(b, off)
    o = 8				# check ints
    name, o = sstring(sec, o)
    eq(name, b"ssh-ed25519", "host key type")
    pk, o = sstring(sec, o)
    sk, o = sstring(sec, o)
    eq((len(pk), len(sk), sk[32:]), (32, 64, pk), "host key halves")
    return sk[:32], pk


def memory_holds(pid, needle):
    """Whether needle is in any readable mapping of process pid."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    mem = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
    try:
        for line in maps:
            span, perms = line.split()[:2]
            lo, hi = (int(x, 16) for x in span.split("-"))
            if perms[0] != "r" or hi - lo > MAP_MAX or line.endswith("[vvar]"):
                continue
            if region_holds(mem, lo, hi, needle):
                return True
    finally:
        os.close(mem)
    return False


def region_holds(mem, lo, hi, needle):
    tail = b""
    for at in range(lo, hi, CHUNK):
        try:
            got = os.pread(mem, min(CHUNK, hi - at), at)
        except OSError:		# a guard page, a mapping gone
            return False
        if needle in tail + got:
            return True
        tail = got[-(len(needle) - 1):]
    return False


def start_traced(w, trace):
    """w.start(), with the daemon under strace -f recording every open;
    returns the daemon's pid (strace's child)."""
    # LeakSanitizer cannot run under ptrace (the sanitizer build): off here
    # alone; every other test keeps it.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(o for o in (env.get("ASAN_OPTIONS"),
                                               "detect_leaks=0") if o)
    w.log = open(os.path.join(w.tmp, "sluiced.log"), "ab")
    w.proc = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, "-e",
                               "trace=open,openat,openat2", "-e", "signal=none",
                               w.sluiced(), "run", "-d", w.dir, "--fake-clock", w.clock],
                              stdout=w.log, stderr=w.log, env=env)
    return int(wait_for("the daemon to listen", lambda: listening(w), bound=20.0))


def listening(w):
    """The daemon's pid once it listens."""
    check(w.proc.poll() is None, "sluiced exited:\n" + w.logtext())
    m = re.search(r"sluiced\[(\d+)\]: .*listening on 127\.0\.0\.1:%d$" % w.port,
                  D.full_log(w), re.M)
    return m and m.group(1)


def stop_traced(w, parent):
    """SIGTERM to the daemon (not to strace, which would let it go), then
    strace ends with it."""
    os.kill(parent, signal.SIGTERM)
    eq(w.proc.wait(30), 0, "strace's (the daemon's) exit status")
    w.proc = None
    w.log.close()


def pids(w, pattern):
    return sorted({int(p) for p in re.findall(pattern, D.full_log(w))})


def openers(trace, path):
    """The pids that tried to open exactly path, one entry per try."""
    with open(trace) as f:
        text = f.read()
    return sorted(int(m.group(1)) for m in re.finditer(
        r'(?m)^(\d+) +open\w*\((?:AT_FDCWD, )?"%s"' % re.escape(path), text))


def check_opens(w, trace, parent, sessions):
    engines = pids(w, r"sluiced-engine\[(\d+)\]")
    priv = os.path.join(w.dir, HOST_KEY)
    eq(len(engines), 1, "engines that ran")
    eq(openers(trace, priv), engines, "processes that opened the private key")
    eq(openers(trace, priv + ".pub"), sorted([parent] + engines),
       "processes that opened the public half (the parent; the engine, to "
       "check it)")
    check(len(sessions) >= 5 and parent not in sessions, "sessions %r" % sessions)
    eq([p for p in openers(trace, priv) + openers(trace, priv + ".pub")
        if p in sessions], [], "sessions that tried to open a host key file")


def check_memory(w, seed, pk, parent, sessions):
    engine = pids(w, r"sluiced-engine\[(\d+)\]")[0]
    check(memory_holds(engine, seed), "the scan does not find the seed in the "
          "engine, which holds it: the scan is broken")
    check(not memory_holds(parent, seed), "the parent holds the host key's seed")
    for what, pid in sessions:
        check(memory_holds(pid, pk), "the scan does not find the host key's "
              "public half in the %s session %d" % (what, pid))
        check(not memory_holds(pid, seed),
              "the %s session %d holds the host key's seed" % (what, pid))


def pre_auth_transport(w):
    """A paramiko transport past the key exchange, not logged in."""
    sock = socket.create_connection(("127.0.0.1", w.port), 10)
    t = D.paramiko.Transport(sock)
    t.get_security_options().key_types = ["ssh-ed25519"]
    t.start_client(timeout=10)
    eq(t.get_remote_server_key().asbytes(), D.host_key_blob(w), "daemon host key")
    return t


def exec_status(t, line):
    ch = t.open_session()
    ch.exec_command(line)
    return ch.recv_exit_status()


def paramiko_rekeys(w):
    t = D.transport(w, "root")
    try:
        for _ in range(2):
            t.renegotiate_keys()
        eq(exec_status(t, "help"), 0, "a command after two re-keys")
    finally:
        t.close()


def sftp_rekeys(w):
    """A 1 MiB put with RekeyLimit 64K: each key exchange in ssh -v's
    output; the inbox holds the bytes."""
    data = os.urandom(1 << 20)
    local = w.write("rekeyed.bin", data)
    batch = w.write("rekey.batch", "put %s rekeyed.bin\n" % local)
    opts = w.ssh_opts("root")
    at = opts.index("LogLevel=ERROR")	# ssh takes an option's first value
    del opts[at - 1:at + 1]
    st, out, err = run(["sftp", "-v"] + opts + ["-o", "LogLevel=DEBUG1", "-o",
                        "RekeyLimit=64K", "-b", batch, "-P", str(w.port),
                        "root@127.0.0.1"])
    eq(st, 0, "sftp put with RekeyLimit=64K: " + err[-2000:])
    kex = err.count("SSH2_MSG_KEXINIT sent")
    check(kex >= 4, "sftp made %d key exchanges for 1 MiB at 64K" % kex)
    eq(w.inbox_names("root"), ["rekeyed.bin"], "root's inbox")
    got = w.path("rekeyed.back")
    eq(w.sftp("root", ["get /inbox/rekeyed.bin %s" % got])[0], 0, "get back")
    with open(got, "rb") as f:
        check(f.read() == data, "the re-keyed upload came back changed")


def no_refusals(w):
    rows = [json.loads(line) for line in w.ok(w.admin, "audit", "export").splitlines()]
    check(len(rows) > 5, "audit rows: %d" % len(rows))
    rows = [r for r in rows if r["action"] == "host key signature"]
    eq(rows, [], "host key signatures refused")
    check("host key signature refused" not in D.full_log(w), "a refusal in the log")


def traced(w):
    need_tools("strace")
    trace = w.path("opens.trace")
    seed, pk = host_secret(w)
    parent = start_traced(w, trace)
    eq(w.ssh("root", "help")[0], 0, "stock ssh with StrictHostKeyChecking")
    pre = pre_auth_transport(w)
    authed = D.transport(w, "root")
    try:
        sessions = [("pre-authentication", D.session_pid(w, pre)),
                    ("authenticated", D.session_pid(w, authed))]
        check_memory(w, seed, pk, parent, sessions)
    finally:
        pre.close()
        authed.close()
    paramiko_rekeys(w)
    sftp_rekeys(w)
    no_refusals(w)
    stop_traced(w, parent)
    check_opens(w, trace, parent, pids(w, r"connection from [\d.:]+: session (\d+)"))


def gives_up(w, line):
    """The daemon ends by itself with status 1, its log holding line."""
    try:
        st = w.proc.wait(60)
    except subprocess.TimeoutExpired:
        raise Failure("sluiced kept running:\n" + w.logtext())
    w.proc = None
    w.log.close()
    eq(st, 1, "sluiced's exit status")
    check(line in D.full_log(w), "no line %r:\n%s" % (line, w.logtext()))
    check("giving up" in D.full_log(w), "no giving up:\n" + w.logtext())
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        check(bad not in D.full_log(w), "daemon log has %r" % bad)


def mismatched_pub():
    """Another key's public half beside the host key: the engine refuses to
    start, the parent gives up."""
    w = World()
    try:
        other = w.keygen("other")
        with open(other + ".pub") as f, open(os.path.join(w.dir, HOST_KEY + ".pub"), "w") as g:
            g.write(f.read())
        w.start()
        gives_up(w, "engine: %s.pub is not the public half of the host key "
                 "beside it" % os.path.join(w.dir, HOST_KEY))
    finally:
        w.close()


def lifecycle(w):
    """The engines' own audit entries (actor sluiced), in order."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(w.dir, "sluice.db"), uri=True)
    try:
        return db.execute("SELECT action, outcome FROM audit WHERE actor = 'sluiced' "
                          "AND action IN ('start', 'stop', 'engine restart') "
                          "ORDER BY id").fetchall()
    finally:
        db.close()


def replaced_while_running():
    """Another key pair put in place of the host key while the daemon runs,
    then the engine killed: the engines started again refuse the new key."""
    w = World()
    try:
        w.start()
        eq(w.ssh("root", "help")[0], 0, "a login before the key is replaced")
        other = w.keygen("other")
        for suffix in ("", ".pub"):
            shutil.copyfile(other + suffix, os.path.join(w.dir, HOST_KEY + suffix))
        os.chmod(os.path.join(w.dir, HOST_KEY), 0o600)
        engine = pids(w, r"sluiced-engine\[(\d+)\]: .*engine: ready")
        eq(len(engine), 1, "engines ready")
        os.kill(engine[0], signal.SIGKILL)
        gives_up(w, "engine: %s is not the host key sluiced has offered since "
                 "it started; restart sluiced to offer it"
                 % os.path.join(w.dir, HOST_KEY))
        eq(D.full_log(w).count("engine: ready"), 1,
           "engines ready (the first, before the key was replaced)")
        eq(lifecycle(w), [("start", "ok")],
           "the engines' starts and stops in the audit log: the first, "
           "killed; the refused ones never started")
    finally:
        w.close()


def test(w):
    traced(w)
    mismatched_pub()
    replaced_while_running()
    log = D.full_log(w)
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        check(bad not in log, "daemon log has %r" % bad)


if __name__ == "__main__":
    main(test)
