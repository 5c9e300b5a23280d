"""End-to-end harness: a real sluiced in a temporary directory on a loopback
port, driven with stock tools (ssh, sftp, age, minisign, openssl).

Every world is set up through real admin commands over ssh: the only thing
made outside the daemon is what a person would make (keys, documents,
signatures). Tests fail (never skip) when a tool is missing."""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("SLUICE_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("SLUICE_BIN", os.path.join(SRC, "build"))
TOOLS = ["ssh", "sftp", "ssh-keygen", "age", "minisign", "openssl", "sha256sum"]


def need_tools(*extra):
    missing = [t for t in TOOLS + list(extra) if shutil.which(t) is None]
    if missing:
        sys.exit("e2e: missing tools: %s (scripts/deps installs them)" % " ".join(missing))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# The demo sets this to a Trace: every command run() runs is then printed
# before its output, as a shell trace would show it.
TRACE = None


class Trace:
    """Prints each command as `$ argv` with the world's directory shown as
    $D and the ssh options every command shares shortened to -i KEY; then
    its output. last holds that output, so story.show() need not repeat it."""

    def __init__(self, world):
        self.w, self.last = world, None

    def word(self, a):
        return a.replace(self.w.tmp, "$D").replace(os.path.abspath(SRC) + "/", "")

    def short(self, argv):
        out, i = [], 0
        while i < len(argv):
            if argv[i] == "-F" and argv[i + 1] == "/dev/null":
                while argv[i] != "-i":
                    i += 1
            out.append(argv[i])
            i += 1
        line = out[-1] if out[0] == "ssh" and "--" in out else None
        if line is not None:
            out = out[:out.index("--")]
        words = [self.word(shlex.quote(a)) if "$" not in a else '"%s"' % self.word(a)
                 for a in out]
        return " ".join(words + ([line] if line is not None else []))

    def before(self, argv, kw):
        line = "$ " + self.short(argv)
        if "-b" in argv and argv[0] == "sftp":
            with open(argv[argv.index("-b") + 1]) as f:
                line += " <<EOF\n" + self.word(f.read()) + "EOF"
        if kw.get("cwd"):
            line = "$ cd %s\n%s" % (self.word(kw["cwd"]), line)
        print(line, flush=True)

    def after(self, st, out, err):
        text = out + err + ("(exit %d)\n" % st if st != 0 else "")
        if text:
            print(self.word(text).rstrip("\n"), flush=True)
        self.last = out


def run(argv, **kw):
    """Runs argv (no shell); returns (status, stdout, stderr) as text."""
    kw.setdefault("timeout", 120)
    if TRACE is not None:
        TRACE.before(argv, kw)
    p = subprocess.run(argv, capture_output=True, **kw)
    out = p.stdout.decode("utf-8", "replace") if isinstance(p.stdout, bytes) else p.stdout
    err = p.stderr.decode("utf-8", "replace") if isinstance(p.stderr, bytes) else p.stderr
    if TRACE is not None:
        TRACE.after(p.returncode, out, err)
    return p.returncode, out, err


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def eq(got, want, what=""):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


def wait_for(what, fn, bound=10.0):
    """fn() until it gives something true, checked every 50 ms for at most
    bound seconds (an event awaited, never a duration)."""
    end = time.monotonic() + bound
    while True:
        got = fn()
        if got:
            return got
        check(time.monotonic() < end, "waited in vain for " + what)
        time.sleep(0.05)


class World:
    """A daemon with a data directory, a fake clock and people's keys."""

    def __init__(self, now="2026-06-01T09:00:00Z", admin="root", legacy_ciphers=True):
        need_tools()
        self.tmp = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.dir = os.path.join(self.tmp, "data")
        self.keys = os.path.join(self.tmp, "keys")
        os.mkdir(self.keys, 0o700)
        self.clock = os.path.join(self.tmp, "clock")
        self.set_clock(now)
        self.port = free_port()
        self.proc = None
        self.admin = admin
        self.keygen(admin)
        st, out, err = run([self.sluiced(), "init", "-d", self.dir, "--admin", admin,
                            "--admin-key", self.pub(admin), "--port", str(self.port)])
        check(st == 0, "sluiced init failed: %s%s" % (out, err))
        self.init_output = out
        if legacy_ciphers:
            # paramiko 2.12 and curl on libssh2 1.10 (Debian 12's) have
            # neither AES-GCM, chacha20-poly1305 nor (curl) ETM MACs.
            self.replace_conf("legacy_ciphers = no", "legacy_ciphers = yes")
        with open(os.path.join(self.dir, "host_ed25519_key.pub")) as f:
            hostkey = " ".join(f.read().split()[:2])
        self.known_hosts = os.path.join(self.tmp, "known_hosts")
        with open(self.known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s\n" % (self.port, hostkey))
        # Many tests try wrong keys on purpose from this one address: exempt
        # it from per-source penalties (test_penalty.py clears this).
        self.set_conf(exempt="127.0.0.1")

    def set_conf(self, **values):
        """Sets keys of sluiced.conf (each key's one line), before start()."""
        path = os.path.join(self.dir, "sluiced.conf")
        with open(path) as f:
            text = f.read()
        for key, value in values.items():
            text, n = re.subn(r"(?m)^%s =.*$" % re.escape(key), "%s = %s" % (key, value), text)
            check(n == 1, "sluiced.conf has %d lines for %s" % (n, key))
        with open(path, "w") as f:
            f.write(text)

    def replace_conf(self, old, new, name="sluiced.conf"):
        """Replaces the line old of DIR/name (it must be there) by new."""
        path = os.path.join(self.dir, name)
        with open(path) as f:
            text = f.read()
        check(("\n" + old + "\n") in text, "%s has no line %r" % (name, old))
        with open(path, "w") as f:
            f.write(text.replace("\n" + old + "\n", "\n" + new + "\n", 1))

    def sluiced(self):
        return os.path.join(BIN, "sluiced")

    def tool(self, name):
        return os.path.join(BIN, name)

    def set_clock(self, when):
        tmp = self.clock + ".tmp"
        with open(tmp, "w") as f:
            f.write(when + "\n")
        os.rename(tmp, self.clock)

    def keygen(self, who, kind="ed25519"):
        path = os.path.join(self.keys, who)
        if not os.path.exists(path):
            argv = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", who, "-f", path]
            if kind == "rsa":
                argv[4:4] = ["-b", "3072"]
            st, out, err = run(argv)
            check(st == 0, "ssh-keygen: " + err)
        return path

    def key(self, who):
        return os.path.join(self.keys, who)

    def pub(self, who):
        return os.path.join(self.keys, who + ".pub")

    def publine(self, who):
        with open(self.pub(who)) as f:
            return f.read().strip()

    def start(self, extra=(), binary=None, **popen):
        """Runs the daemon (binary: another sluiced than the build's; popen:
        more subprocess.Popen arguments, such as pass_fds or user) and waits
        until it listens."""
        self.log = open(os.path.join(self.tmp, "sluiced.log"), "ab")
        self.proc = subprocess.Popen([binary or self.sluiced(), "run", "-d", self.dir,
                                      "--fake-clock", self.clock] + list(extra),
                                     stdout=self.log, stderr=self.log, **popen)
        for _ in range(200):
            if self.proc.poll() is not None:
                raise Failure("sluiced exited with %d:\n%s" % (self.proc.returncode, self.logtext()))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise Failure("sluiced did not listen:\n" + self.logtext())

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            st = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            st = self.proc.wait()
        self.proc = None
        self.log.close()
        return st

    def logtext(self, whole=False):
        """The daemon's log: its last 8000 characters, or all of it."""
        try:
            with open(os.path.join(self.tmp, "sluiced.log"), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return text if whole else text[-8000:]

    def ssh_opts(self, who):
        return ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=" + self.known_hosts,
                "-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR",
                "-i", self.key(who)]

    def ssh(self, who, *words, stdin=None):
        """Runs one admin command line as `who`; returns (status, out, err)."""
        # ssh sends one command line: quote each word as a person would.
        line = " ".join(shlex.quote(w) for w in words)
        argv = ["ssh"] + self.ssh_opts(who) + ["-p", str(self.port), "-l", who,
                                               "127.0.0.1", "--", line]
        return run(argv, input=stdin or b"")

    def ok(self, who, *words):
        st, out, err = self.ssh(who, *words)
        check(st == 0, "%s: %s -> %d: %s%s" % (who, " ".join(words), st, out, err))
        return out

    def sftp(self, who, batch):
        """Runs sftp -b with the given batch lines; returns (status, out, err)."""
        path = os.path.join(self.tmp, "batch")
        with open(path, "w") as f:
            f.write("\n".join(batch) + "\n")
        argv = ["sftp"] + self.ssh_opts(who) + ["-b", path, "-P", str(self.port),
                                                who + "@127.0.0.1"]
        return run(argv)

    def put(self, who, local, name=None):
        st, out, err = self.sftp(who, ["put %s %s" % (local, name or os.path.basename(local))])
        check(st == 0, "put %s: %s%s" % (local, out, err))

    def inbox_names(self, who):
        """The names in who's inbox, as the store records them (read-only:
        the files on disk are sealed and named by random ids)."""
        import sqlite3
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.dir, "sluice.db"),
                             uri=True)
        try:
            rows = db.execute("SELECT i.name FROM inbox_files i JOIN staff s "
                              "ON s.id = i.staff_id WHERE s.user = ? ORDER BY i.name",
                              (who,)).fetchall()
        finally:
            db.close()
        return [r[0] for r in rows]

    def inbox_files(self):
        """The files in DIR/inbox: one per inbox row, nothing else."""
        return sorted(os.listdir(os.path.join(self.dir, "inbox")))

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def path(self, name):
        return os.path.join(self.tmp, name)

    def close(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main(test, **world):
    """Runs test(World(**world)) and reports like a test runner; exit 1 on
    failure."""
    w = None
    try:
        w = World(**world)
        test(w)
    except Exception as e:  # a tool's exception fails the test too, and stops the daemon
        if not isinstance(e, Failure):
            import traceback
            traceback.print_exc()
        print("FAIL: %s" % e)
        if w is not None:
            print("--- daemon log ---\n" + w.logtext())
        if w is not None:
            w.close()
        print("0 passed, 1 failed")
        sys.exit(1)
    w.close()
    print("1 passed, 0 failed")
