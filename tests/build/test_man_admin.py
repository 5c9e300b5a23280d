#!/usr/bin/env python3
"""sluice-admin(7) documents exactly the admin commands of the one table in
daemon/engine/admin/admin.c: each row's usage is an item's head as mandoc
renders it, and the item says `Roles:` with the row's roles.

The rows are read with a small C tokenizer (strings with adjacent literals
joined, braces, commas), so layout changes in the table do not blind it.
Usage: test_man_admin.py SOURCE-DIR"""

import re
import subprocess
import sys

ROLE_WORDS = [("ADMIN_ANYONE", "anyone"), ("STAFF", "staff"), ("OP", "operator"),
              ("AP", "approver"), ("AU", "auditor"), ("AD", "admin"),
              ("ROLE_RECIPIENT", "recipient")]
ROLE_MACROS = {"OP": ["OP"], "AP": ["AP"], "AU": ["AU"], "AD": ["AD"],
               "STAFF": ["STAFF"], "ROLE_OPERATOR": ["OP"], "ROLE_APPROVER": ["AP"],
               "ROLE_AUDITOR": ["AU"], "ROLE_ADMIN": ["AD"],
               "ROLE_RECIPIENT": ["ROLE_RECIPIENT"], "ADMIN_ANYONE": ["ADMIN_ANYONE"]}

failures = []


def fail(what):
    failures.append(what)


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
    """[(name, roles expression, usage)] of admin_rows[]."""
    start = admin_c.find("admin_rows[] =")
    end = admin_c.find("};", start)
    if start < 0 or end < 0:
        fail("admin.c: no admin_rows[] table")
        return []
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
        table.append((f[0][0][1], roles, f[6][0][1]))
    return table


def role_words(roles):
    names = []
    for r in roles:
        if r not in ROLE_MACROS:
            fail("admin.c: unknown role macro %s (teach this test its word)" % r)
            continue
        names += ROLE_MACROS[r]
    return ", ".join(w for m, w in ROLE_WORDS if m in names)


def items(page):
    """[(head source line, body text)] of the .It Cm items under .Sh COMMANDS."""
    out, inside, cur = [], False, None
    for line in page.splitlines():
        if line.startswith(".Sh"):
            inside = line == ".Sh COMMANDS"
        if not inside:
            continue
        if line.startswith((".It", ".El", ".Ss")) and cur is not None:
            out.append(cur)
            cur = None
        if line.startswith(".It Cm "):
            cur = (line, [])
        elif cur is not None:
            cur[1].append(line)
    return [(h, "\n".join(b)) for h, b in out]


def rendered(heads):
    """Each head rendered by mandoc as a line of text, in order."""
    doc = [".Dd January 1, 2026", ".Dt X 7", ".Os", ".Sh NAME", ".Nm x", ".Nd x",
           ".Sh DESCRIPTION"]
    for h in heads:
        doc += [".Pp", "." + h[len(".It "):]]
    p = subprocess.run(["mandoc", "-T", "ascii", "-O", "width=1000"],
                       input="\n".join(doc) + "\n", capture_output=True, text=True, check=True)
    lines = [" ".join(l.split()) for l in re.sub(r".\x08", "", p.stdout).splitlines()]
    body = lines[lines.index("DESCRIPTION") + 1:] if "DESCRIPTION" in lines else []
    return [b for b in body if b][:len(heads)]    # one line each, then the footer


def main():
    src = sys.argv[1]
    with open(src + "/daemon/engine/admin/admin.c") as f:
        table = rows(f.read())
    with open(src + "/man/sluice-admin.7") as f:
        its = items(f.read())
    if len(table) < 10:
        fail("admin.c: %d rows found; is this check blind?" % len(table))
    heads = rendered([h for h, _ in its])
    if len(heads) != len(its):
        fail("mandoc rendered %d of %d item heads" % (len(heads), len(its)))
    page = {}
    for head, (_, body) in zip(heads, its):
        if head in page:
            fail("sluice-admin.7: %s documented twice" % head)
        page[head] = body
    for name, roles, usage in table:
        if usage not in page:
            fail("sluice-admin.7: no item `%s` (the usage of %s in admin.c)" % (usage, name))
            continue
        want = "Roles: %s." % role_words(roles)
        if want not in page[usage]:
            fail("sluice-admin.7: %s: should say `%s`" % (name, want))
    for head in sorted(set(page) - set(u for _, _, u in table)):
        fail("sluice-admin.7: item `%s` is no usage in admin.c's table" % head)
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("ok: %d admin commands documented with their usage and roles" % len(table))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
