#!/usr/bin/env python3
"""`register export` of a register over 64 MiB (issue 15): once built in one
buffer capped at 64 MiB, the answer now streams from the engine in pieces,
as `audit export` does. The store gets ROWS live agreements beside the
story's, each with fields as long as `agreement add` takes (4095 bytes, with
commas and quotes), written with the daemon stopped; the CSV, the
--format json array and the --json answer are then exactly the bytes the
register's rules give (RFC 4180 CSV with CRLF; JSON indented by 2 in column
order; compact JSON with sorted keys)."""

import json
import os
import sqlite3

from harness import main, eq, check
import story

ROWS = 4200
FIELD = 4095                # FREE_TEXT_MAX - 1: the longest `agreement add` takes
COLUMNS = ("reference", "title", "organisation", "organisation_type", "datasets",
           "legal_basis", "purpose", "start", "end", "state")


LETTERS = "abcdefghijklmnopqrstuvwxyz" * (FIELD // 26 + 2)


def text(tag, i):
    """A field of FIELD bytes with a comma and quotes, unique to row i."""
    head = '%s %d, "quoted" ' % (tag, i)
    return head + LETTERS[i % 26:i % 26 + FIELD - len(head)]


def nic(i):
    return "NIC-%06d-LARGE" % i


def fill(w):
    """ROWS live agreements like the story's, with long fields."""
    db = sqlite3.connect(os.path.join(w.dir, "sluice.db"))
    try:
        base = db.execute("SELECT org_id, document, document_sha256, created_by, created_at, "
                          "state_changed_at FROM agreements WHERE nic = ?",
                          (story.NIC,)).fetchone()
        check(base is not None, "the story's agreement")
        db.executemany(
            "INSERT INTO agreements (nic, version, org_id, title, purpose, legal_basis, "
            "datasets, starts, expires, state, document, document_sha256, created_by, "
            "created_at, state_changed_at) VALUES (?, 1, ?, ?, ?, ?, ?, '2026-05-01', "
            "'2026-12-31', 'live', ?, ?, ?, ?, ?)",
            ((nic(i), base[0], text("title", i), text("purpose", i), text("basis", i),
              text("datasets", i)) + tuple(base[1:]) for i in range(ROWS)))
        db.commit()
    finally:
        db.close()


def expected_rows(first):
    """The story's row (as the daemon gave it) and the filled ones, by NIC."""
    rows = [first] + [dict(zip(COLUMNS, (
        nic(i), text("title", i), first["organisation"], first["organisation_type"],
        text("datasets", i), text("basis", i), text("purpose", i), "2026-05-01",
        "2026-12-31", "live"))) for i in range(ROWS)]
    return sorted(rows, key=lambda r: r["reference"])


def csv_field(s):
    if any(ch in s for ch in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_text(rows):
    lines = [",".join(COLUMNS)] + [",".join(csv_field(r[k]) for k in COLUMNS) for r in rows]
    return "".join(l + "\r\n" for l in lines)


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    eq(story.agreement(w).get("state"), "live", "agreement state")
    small = json.loads(w.ok("audrey", "register", "export", "--format", "json"))
    eq(len(small), 1, "the story's register")
    eq(list(small[0].keys()), list(COLUMNS), "its columns, in order")
    w.stop()
    fill(w)
    w.start()
    rows = expected_rows(small[0])

    out = w.ok("audrey", "register", "export")
    check(len(out) > 64 * 1024 * 1024, "CSV of %d bytes, over 64 MiB" % len(out))
    eq(out == csv_text(rows), True, "the CSV, byte for byte")
    out = w.ok("audrey", "register", "export", "--format", "json")
    eq(out == json.dumps(rows, indent=2, ensure_ascii=False) + "\n", True,
       "--format json, byte for byte")
    out = w.ok("audrey", "--json", "register", "export")
    eq(out == json.dumps({"register": rows}, separators=(",", ":"), sort_keys=True,
                         ensure_ascii=False) + "\n", True, "--json, byte for byte")


if __name__ == "__main__":
    main(test)
