"""The admin command table of daemon/engine/admin/admin.c, read with a small
C tokenizer (strings with adjacent literals joined, braces, commas), so that
layout changes in the table do not blind the tests that use it
(test_man_admin.py, test_completion.py)."""

import re


def tokens(text):
    """C tokens: ('s', joined string), ('p', punctuation), ('w', word)."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|([{},|()])|([A-Za-z0-9_]+)', text):
        if m.group(1) is not None:
            s = re.sub(r"\\(.)", r"\1", m.group(1))
            if out and out[-1][0] == "s":
                out[-1] = ("s", out[-1][1] + s)
            else:
                out.append(("s", s))
        elif m.group(2) is not None:
            out.append(("p", m.group(2)))
        else:
            out.append(("w", m.group(3)))
    return out


def rows(admin_c):
    """[(name, [role macros], usage, [options])] of admin_rows[], and a list
    of problems (a missing table, a row of another shape)."""
    problems = []
    fail = problems.append
    start = admin_c.find("admin_rows[] =")
    end = admin_c.find("};", start)
    if start < 0 or end < 0:
        fail("admin.c: no admin_rows[] table")
        return [], problems
    toks = tokens(admin_c[admin_c.find("{", start) + 1:end])
    found, depth, fields, cur = [], 0, [], []
    for t in toks:
        if t == ("p", "{"):
            depth += 1
            if depth == 1:
                fields, cur = [], []
                continue
        elif t == ("p", "}"):
            depth -= 1
            if depth == 0:
                fields.append(cur)
                found.append(fields)
                continue
        elif t == ("p", ",") and depth == 1:
            fields.append(cur)
            cur = []
            continue
        if depth >= 1:
            cur.append(t)
    table = []
    for f in found:
        if len(f) < 8 or f[0][0][0] != "s" or f[6][0][0] != "s":
            fail("admin.c: a row not shaped {name, handler, min, max, roles, opts, "
                 "usage, summary, writes}: %r" % (f[:1],))
            continue
        roles = [t[1] for t in f[4] if t[0] == "w"]
        opts = [t[1] for t in f[5] if t[0] == "s"]
        table.append((f[0][0][1], roles, f[6][0][1], opts))
    if len(table) < 10:
        fail("admin.c: %d rows found; is this check blind?" % len(table))
    return table, problems
