"""Shared by the crash-consistency tests (issue 16). An operation held open
is cut in one of three ways, and the daemon runs again on the same
directory:

- engine: SIGKILL of the engine; the parent ends the sessions and starts a
  new one (docs/design.md section 7, "The engine is supervised");
- parent: SIGKILL of the parent, then `sluiced run` again; the engine, its
  control socket gone, stops by itself;
- all: SIGKILL of every process of the daemon at once (a power cut, or
  systemd killing the unit's control group); nothing gets to clean up.

consistent() then checks what must hold after any of them."""

import os
import shlex
import signal
import sqlite3
import subprocess
import sys

import harness
from harness import check, eq, run
import deliver as D


def wait_for(what, cond):
    """cond()'s first true value (harness.wait_for), awaited for at most
    60 s: a restart under the sanitizer build can take seconds."""
    return harness.wait_for(what, cond, bound=60.0)


def engine_pid(w):
    """The engine that logged "engine: ready" last (0: none yet)."""
    tag = "] engine: ready"
    pids = [l.split("sluiced-engine[")[1].split("]")[0]
            for l in D.full_log(w).splitlines() if tag in l and "sluiced-engine[" in l]
    return int(pids[-1]) if pids else 0


def query(w, sql, args=()):
    """Rows of a read-only query of the store, beside the running daemon."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(w.dir, "sluice.db"), uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def proc_stat(pid):
    """(state, parent pid) of pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def descendants(root):
    """root and every process under it."""
    parent = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            s = proc_stat(int(name))
            if s is not None:
                parent[int(name)] = s[1]
    found, todo = [], [root]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(c for c, pp in parent.items() if pp == p)
    return found


def kill_engine(w):
    """SIGKILL of the engine; returns once the parent's new one is ready
    (it audited its restart before it said so)."""
    old = wait_for("the engine's pid", lambda: engine_pid(w))
    os.kill(old, signal.SIGKILL)
    return wait_for("a new engine", lambda: engine_pid(w) != old and engine_pid(w))


def kill_parent(w):
    """SIGKILL of the parent, then the daemon started again: its parent
    waits for DIR/sluiced.lock, which the old engine holds until it has
    stopped. Returns the new engine's pid, once it is ready."""
    old = wait_for("the engine's pid", lambda: engine_pid(w))
    w.stop(signal.SIGKILL)
    w.start()
    return wait_for("the new daemon's engine", lambda: engine_pid(w) != old and engine_pid(w))


def signal_gone_ok(pid, sig):
    """sig to pid, which may have ended since it was listed (a sendmail's
    short-lived child, a link that saw its daemon go)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_tree(root):
    """SIGSTOP to root and everything under it, each waited for (state T),
    until no process of the tree is left running: none forks or acts again.
    Returns their pids."""
    stopped = set()
    while True:
        todo = [p for p in descendants(root) if p not in stopped]
        if not todo:
            return stopped
        for p in todo:
            signal_gone_ok(p, signal.SIGSTOP)
            stopped.add(p)
        for p in todo:
            wait_for("process %d stopped" % p,
                     lambda: (proc_stat(p) or ("X",))[0] in ("T", "t", "Z", "X"))


def kill_all(w):
    """SIGKILL of every process of the daemon at once, then the daemon
    started again. Returns the new engine's pid, once it is ready."""
    old = wait_for("the engine's pid", lambda: engine_pid(w))
    pids = stop_tree(w.proc.pid)
    for p in pids:
        signal_gone_ok(p, signal.SIGKILL)
    w.stop(signal.SIGKILL)
    for p in pids:
        wait_for("process %d gone" % p, lambda: (proc_stat(p) or ("X",))[0] in ("Z", "X"))
    w.start()
    return wait_for("the new daemon's engine", lambda: engine_pid(w) != old and engine_pid(w))


STALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stall.py")


class HeldGet:
    """A stock `sftp get` of remote into local as who, held mid-transfer:
    its link (stall.py, its ProxyCommand) stalls once budget bytes have come
    from the daemon, well after the file was opened."""

    def __init__(self, w, who, remote, local, budget=1 << 20):
        tag = os.urandom(4).hex()
        self.mark, self.out = w.path("stall-" + tag), w.path("get-%s.out" % tag)
        batch = w.write("get-%s.batch" % tag, "get %s %s\n" % (remote, local))
        proxy = "ProxyCommand=" + " ".join(shlex.quote(a) for a in (
            sys.executable, STALL, "127.0.0.1", str(w.port), str(budget), self.mark))
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(["sftp"] + w.ssh_opts(who) + [
                "-o", proxy, "-b", batch, "-P", str(w.port), who + "@127.0.0.1"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.proxy = int(wait_for("the link stalled mid-transfer", self.stalled))

    def stalled(self):
        if self.proc.poll() is not None:
            raise D.Failure("sftp ended before its link stalled: %d: %s"
                            % (self.proc.returncode, open(self.out).read()))
        try:
            with open(self.mark) as f:
                return f.read()
        except OSError:
            return None

    def end(self):
        """The link lost: sftp's exit status and output. (The link may
        have ended already, had ssh written to a daemon that was gone.)"""
        signal_gone_ok(self.proxy, signal.SIGTERM)
        st = self.proc.wait(60)
        with open(self.out) as f:
            return st, f.read()


# Each way to cut, by name, as the tests run them.
CUTS = (("engine", kill_engine), ("parent", kill_parent), ("all", kill_all))


def consistent(w, what):
    """The store passes PRAGMA integrity_check and `audit verify`; every
    payload in DIR/payloads has an extract row and every extract row its
    payload (nothing half written)."""
    st, out, err = run(["sqlite3", "-readonly", os.path.join(w.dir, "sluice.db"),
                        "PRAGMA integrity_check"])
    eq((st, out), (0, "ok\n"), what + ": integrity_check " + err)
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq((st, err), (0, ""), what + ": audit verify")
    check(out.startswith("audit log intact: "), what + ": audit verify: " + out)
    eq(sorted(os.listdir(os.path.join(w.dir, "payloads"))),
       sorted(r[0] for r in query(w, "SELECT id FROM extracts")),
       what + ": payloads and extract rows")
