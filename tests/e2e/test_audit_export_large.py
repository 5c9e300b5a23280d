#!/usr/bin/env python3
"""`audit export` of a log over 40 MiB (issue 15): the answer streams from
the engine in pieces, so no message size caps it. The log is grown before
the daemon starts by fill-audit (the engine's own audit_append(), so the
chain is real); the export, text and --json, holds every entry of the store
up to it, byte for byte, and `audit verify` agrees with the store."""

import json
import os
import sqlite3
import subprocess

from harness import main, eq, check, BIN
import story

COUNT = 700
BYTES = 64 * 1024    # details per entry: 700 x 64 KiB, about 44 MiB


def rows(w):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(w.dir, "sluice.db"), uri=True)
    try:
        return db.execute("SELECT id, actor, action, subject, outcome, details, "
                          "prev_hash, hash FROM audit ORDER BY id").fetchall()
    finally:
        db.close()


KEYS = ("id", "actor", "action", "subject", "outcome", "details", "prev_hash", "hash")


def same_as_store(w, entries, what):
    stored = rows(w)
    eq(len(entries) <= len(stored), True, what + ": no more entries than the store")
    got = [tuple(e[k] for k in KEYS) for e in entries]
    eq(got == stored[:len(entries)], True, what + ": the store's entries, in order")
    return stored


def test(w):
    st = subprocess.run([os.path.join(BIN, "fill-audit"), os.path.join(w.dir, "sluice.db"),
                         str(COUNT), str(BYTES)], capture_output=True, timeout=300)
    eq((st.returncode, st.stderr), (0, b""), "fill-audit")
    w.start()
    story.staff(w)
    out = w.ok("audrey", "audit", "export")
    check(len(out) > 40 * 1024 * 1024, "export of %d bytes, over 40 MiB" % len(out))
    lines = out.split("\n")
    eq(lines[-1], "", "the export ends with a newline")
    entries = [json.loads(l) for l in lines[:-1]]
    eq([e["id"] for e in entries], list(range(1, len(entries) + 1)), "ids 1..N")
    stored = same_as_store(w, entries, "text export")
    # the store holds the export's own entry (and nothing else) after it
    eq(len(stored), len(entries) + 1, "entries in the store after the export")
    eq((stored[-1][1], stored[-1][2], stored[-1][4]), ("audrey", "audit export", "ok"),
       "the export's own entry")
    eq(sum(1 for e in entries if e["action"] == "fill"), COUNT, "the filled entries")

    js = json.loads(w.ok("audrey", "--json", "audit", "export"))
    eq(list(js.keys()), ["entries"], "--json answer keys")
    eq(len(js["entries"]), len(stored) + 1, "--json: every entry up to its own login")
    same_as_store(w, js["entries"], "--json export")

    st, vout, verr = w.ssh("audrey", "audit", "verify")
    n = len(rows(w)) - 1    # verify's own entry follows it
    eq((st, vout, verr), (0, "audit log intact: %d entries; signed head at entry %d\n" % (n, n), ""),
       "audit verify")


if __name__ == "__main__":
    main(test)
