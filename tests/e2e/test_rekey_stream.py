#!/usr/bin/env python3
"""Re-keys while a session streams: a client that re-keys in the middle of a
long admin answer, or of a download or an upload, keeps its connection and
gets every byte.

The host key's signature of a re-key is asked of the engine (IPC_HOSTSIGN)
from inside the session's write of the answer to the client, while the
engine is still sending that answer's pieces (IPC_ADMIN_DATA): the engine
takes the request then, its reply overtakes the rest of the answer, and the
session keeps the pieces that came first for the answer, in order. Before,
the session took the next piece for the signature: the export stopped at
2 MiB with exit status 255 ("the engine did not sign the key exchange").

Asserted, with stock ssh and sftp at RekeyLimit=256K: an `audit export` of
about 5 MiB exits 0 after many key exchanges and is byte for byte the
beginning of the next export (which adds only the first one's own entry
and the next login);
a 3 MiB put and its get back are intact; no signature was refused."""

import json
import os
import subprocess

from harness import main, eq, check, run, BIN
import story

COUNT = 80
BYTES = 64 * 1024    # details per entry: 80 x 64 KiB, about 5 MiB
REKEY = ["-o", "RekeyLimit=256K"]


def verbose_opts(w, who):
    """ssh_opts with LogLevel DEBUG1 (ssh takes an option's first value) and
    the re-key limit: each key exchange shows in stderr."""
    opts = w.ssh_opts(who)
    at = opts.index("LogLevel=ERROR")
    del opts[at - 1:at + 1]
    return opts + ["-o", "LogLevel=DEBUG1"] + REKEY


def rekeyed_export(w):
    argv = ["ssh"] + verbose_opts(w, "audrey") + ["-p", str(w.port), "-l", "audrey",
                                                  "127.0.0.1", "--", "audit export"]
    st, out, err = run(argv)
    tail = err[-2000:]
    eq(st, 0, "audit export with RekeyLimit=256K: " + tail)
    check("did not sign" not in w.logtext(True), "a signature failed:\n" + w.logtext())
    kex = err.count("SSH2_MSG_KEXINIT sent")
    check(kex >= 4, "ssh made %d key exchanges for %d bytes at 256K" % (kex, len(out)))
    return out


def export_streams(w):
    out = rekeyed_export(w)
    check(len(out) > 5 * 1000 * 1000, "export of %d bytes, about 5 MiB" % len(out))
    again = w.ok("audrey", "audit", "export")
    eq(again[:len(out)] == out, True, "the re-keyed export is the next one's beginning")
    rest = again[len(out):].split("\n")
    eq(rest[-1], "", "the next export ends with a newline")
    eq([(e["actor"], e["action"], e["outcome"]) for e in map(json.loads, rest[:-1])],
       [("audrey", "audit export", "ok"), ("audrey", "login", "ok")],
       "what the next export adds: the first one's entry, the next login")
    eq(sum(1 for l in out.split("\n")[:-1] if json.loads(l)["action"] == "fill"), COUNT,
       "the filled entries in the re-keyed export")


def transfers_stream(w):
    data = os.urandom(3 << 20)
    local = w.write("rekeyed.bin", data)
    back = w.path("rekeyed.back")
    batch = w.write("rekey.batch", "put %s rekeyed.bin\nget /inbox/rekeyed.bin %s\n"
                    % (local, back))
    st, out, err = run(["sftp"] + verbose_opts(w, "root") +
                       ["-b", batch, "-P", str(w.port), "root@127.0.0.1"])
    eq(st, 0, "sftp put and get with RekeyLimit=256K: " + err[-2000:])
    kex = err.count("SSH2_MSG_KEXINIT sent")
    check(kex >= 4, "sftp made %d key exchanges for 6 MiB at 256K" % kex)
    eq(w.inbox_names("root"), ["rekeyed.bin"], "root's inbox")
    with open(back, "rb") as f:
        check(f.read() == data, "the re-keyed upload came back changed")


def no_refusals(w):
    rows = [json.loads(l) for l in w.ok("audrey", "audit", "export").splitlines()]
    eq([r for r in rows if r["action"] == "host key signature"], [],
       "host key signatures refused")
    log = w.logtext(True)
    for bad in ("host key signature refused", "AddressSanitizer", "runtime error:"):
        check(bad not in log, "daemon log has %r" % bad)


def test(w):
    st = subprocess.run([os.path.join(BIN, "fill-audit"), os.path.join(w.dir, "sluice.db"),
                         str(COUNT), str(BYTES)], capture_output=True, timeout=300)
    eq((st.returncode, st.stderr), (0, b""), "fill-audit")
    w.start()
    story.staff(w)
    export_streams(w)
    transfers_stream(w)
    no_refusals(w)


if __name__ == "__main__":
    main(test)
