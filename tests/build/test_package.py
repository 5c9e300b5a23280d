#!/usr/bin/env python3
"""The Debian package builds from a copy of the source tree with
`dpkg-buildpackage -b -us -uc`; lintian finds no error in it (its warnings
are printed); it holds exactly the expected files with the expected modes;
its postinst makes the `sluice` system user; and its programs work from the
package's own files: `sluiced --version` names the project's version,
`sluiced init` makes a data directory, and the unit's ExecStart command line
runs the daemon, which tells NOTIFY_SOCKET READY=1 and, on SIGTERM,
STOPPING=1, then exits 0.
Usage: test_package.py SOURCE-DIR VERSION"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

WAIT = 60   # seconds: a bound on each wait for the daemon, never a pause

FILES = {   # path in the package: mode
    "./lib/systemd/system/sluiced.service": "-rw-r--r--",
    "./usr/bin/sluice": "-rwxr-xr-x",
    "./usr/bin/sluicectl": "-rwxr-xr-x",
    "./usr/sbin/sluiced": "-rwxr-xr-x",
    "./usr/share/bash-completion/completions/sluice": "-rw-r--r--",
    "./usr/share/bash-completion/completions/sluicectl": "-rw-r--r--",
    "./usr/share/doc/sluice/README.md.gz": "-rw-r--r--",
    "./usr/share/doc/sluice/changelog.Debian.gz": "-rw-r--r--",
    "./usr/share/doc/sluice/copyright": "-rw-r--r--",
    "./usr/share/doc/sluice/design.md.gz": "-rw-r--r--",
    "./usr/share/man/man1/sluice.1.gz": "-rw-r--r--",
    "./usr/share/man/man1/sluicectl.1.gz": "-rw-r--r--",
    "./usr/share/man/man5/sluiced.conf.5.gz": "-rw-r--r--",
    "./usr/share/man/man7/sluice-admin.7.gz": "-rw-r--r--",
    "./usr/share/man/man8/sluiced.8.gz": "-rw-r--r--",
    "./usr/share/sluice/policy.conf": "-rw-r--r--",
}
ADDUSER = ("adduser --system --group --quiet --no-create-home \\\n"
           "\t\t\t--home /var/lib/sluice sluice")

failures = []


def fail(what):
    failures.append(what)
    print("FAIL: " + what, flush=True)


def run(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def source_files(src):
    """The tree as a clean checkout would have it, with uncommitted changes:
    tracked and untracked files git does not ignore; no build output."""
    st, out, err = run(["git", "-C", src, "ls-files", "-z", "--cached", "--others",
                        "--exclude-standard"])
    if st != 0:
        sys.exit("FAIL: git ls-files in %s: %s" % (src, err))
    skip = ("obj-", "debian/sluice/", "debian/.debhelper/", "debian/files",
            "debian/debhelper-build-stamp")
    return [f for f in out.split("\0") if f and not f.startswith(skip) and
            os.path.isfile(os.path.join(src, f))]


def build(src, tmp):
    tree = os.path.join(tmp, "sluice")
    for f in source_files(src):
        os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
        shutil.copy2(os.path.join(src, f), os.path.join(tree, f))
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=%d" % os.cpu_count())
    st, out, err = run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=tree, env=env)
    if st != 0:
        sys.exit("FAIL: dpkg-buildpackage -b -us -uc: exit %d\n%s" % (st, (out + err)[-6000:]))
    print("ok: dpkg-buildpackage -b -us -uc")


def lintian(changes):
    st, out, err = run(["lintian", "--display-info", "--pedantic", "--fail-on", "error",
                        changes])
    tags = [l for l in out.splitlines() if l[:2] in ("E:", "W:", "I:", "P:", "X:")]
    errors = [l for l in tags if l.startswith("E:")]
    for l in tags:
        print("lintian: " + l)
    if errors or st != 0:
        fail("lintian: exit %d, %d errors: %s" % (st, len(errors), err.strip()))
    else:
        print("ok: lintian: no errors, %d other tags (above)" % len(tags))


def contents(deb):
    st, out, err = run(["dpkg-deb", "-c", deb])
    if st != 0:
        sys.exit("FAIL: dpkg-deb -c: " + err)
    got = {}
    for line in out.splitlines():
        f = line.split()
        path = f[5]
        if not path.startswith(("./usr/", "./lib/systemd/")) and path not in ("./", "./lib/"):
            fail("package: %s is outside usr/ and lib/systemd/" % path)
        if not path.endswith("/"):
            got[path] = (f[0], f[1])
    for path in sorted(set(FILES) - set(got)):
        fail("package: %s missing" % path)
    for path in sorted(set(got) - set(FILES)):
        fail("package: %s not expected" % path)
    for path in sorted(set(FILES) & set(got)):
        if got[path] != (FILES[path], "root/root"):
            fail("package: %s is %s %s, want %s root/root" % ((path,) + got[path] + (FILES[path],)))
    print("ok: the package holds the %d expected files" % len(FILES))


def postinst(deb, tmp):
    ctl = os.path.join(tmp, "control")
    st, out, err = run(["dpkg-deb", "-e", deb, ctl])
    with open(os.path.join(ctl, "postinst")) as f:
        text = f.read()
    if ADDUSER not in text or 'getent passwd sluice' not in text:
        fail("postinst does not make the sluice system user:\n" + text)
    else:
        print("ok: postinst makes the sluice system user")


def exec_start(root):
    with open(os.path.join(root, "lib/systemd/system/sluiced.service")) as f:
        for line in f:
            if line.startswith("ExecStart="):
                return line[len("ExecStart="):].split()
    sys.exit("FAIL: the packaged unit has no ExecStart")


def notified(s, want, what):
    try:
        got = s.recv(4096)
    except socket.timeout:
        got = None
    if got != want:
        fail("%s: NOTIFY_SOCKET got %r, want %r" % (what, got, want))


def serve(root, tmp, data):
    """The unit's command line with the package's sluiced and our DIR."""
    argv = [os.path.join(root, a[1:]) if a == "/usr/sbin/sluiced" else
            data if a == "/var/lib/sluice" else a for a in exec_start(root)]
    path = os.path.join(tmp, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(WAIT)
    with open(os.path.join(tmp, "sluiced.log"), "wb") as log:
        p = subprocess.Popen(argv, stdout=log, stderr=log,
                             env=dict(os.environ, NOTIFY_SOCKET=path))
        notified(s, b"READY=1", "start")
        p.send_signal(signal.SIGTERM)
        notified(s, b"STOPPING=1", "SIGTERM")
        st = p.wait(WAIT)
    if st != 0:
        with open(os.path.join(tmp, "sluiced.log")) as f:
            fail("the unit's command line: exit %d\n%s" % (st, f.read()))
    else:
        print("ok: %s: READY=1, then STOPPING=1 and exit 0" % " ".join(exec_start(root)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def installed(deb, tmp, version):
    root = os.path.join(tmp, "root")
    run(["dpkg-deb", "-x", deb, root])
    sluiced = os.path.join(root, "usr/sbin/sluiced")
    st, out, err = run([sluiced, "--version"])
    if st != 0 or not out.startswith("sluiced %s (libssh " % version) or out.count("\n") != 1:
        fail("packaged sluiced --version: exit %d: %r %r" % (st, out, err))
    key = os.path.join(tmp, "ops")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
    data = os.path.join(tmp, "data")
    st, out, err = run([sluiced, "init", "-d", data, "--admin", "ops", "--admin-key",
                        key + ".pub", "--port", str(free_port())])
    if st != 0:
        return fail("packaged sluiced init: exit %d: %s" % (st, err))
    st, out, err = run([sluiced, "check-config", "-d", data])
    if st != 0:
        return fail("packaged sluiced check-config: exit %d: %s" % (st, err))
    print("ok: the packaged sluiced: --version, init, check-config")
    serve(root, tmp, data)


def main():
    src, version = sys.argv[1], sys.argv[2]
    for tool in ("dpkg-buildpackage", "lintian", "dpkg-deb", "git", "ssh-keygen"):
        if shutil.which(tool) is None:
            sys.exit("FAIL: %s is not installed (scripts/deps)" % tool)
    tmp = tempfile.mkdtemp(prefix="sluice-package-")
    try:
        build(src, tmp)
        debs = [f for f in os.listdir(tmp) if f.startswith("sluice_%s-" % version)]
        deb = [os.path.join(tmp, f) for f in debs if f.endswith(".deb")]
        changes = [os.path.join(tmp, f) for f in debs if f.endswith(".changes")]
        if len(deb) != 1 or len(changes) != 1:
            sys.exit("FAIL: want one sluice_%s-*.deb and .changes, got %s" % (version, debs))
        lintian(changes[0])
        contents(deb[0])
        postinst(deb[0], tmp)
        installed(deb[0], tmp, version)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
