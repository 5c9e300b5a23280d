#!/usr/bin/env python3
"""sluice-admin(7) documents exactly the admin commands of the one table in
daemon/engine/admin/admin.c: each row's usage is an item's head as mandoc
renders it, and the item says `Roles:` with the row's roles.

The rows are read by admin_table.py.
Usage: test_man_admin.py SOURCE-DIR"""

import re
import subprocess
import sys

from admin_table import rows

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
        table, problems = rows(f.read())
    failures.extend(problems)
    with open(src + "/man/sluice-admin.7") as f:
        its = items(f.read())
    heads = rendered([h for h, _ in its])
    if len(heads) != len(its):
        fail("mandoc rendered %d of %d item heads" % (len(heads), len(its)))
    page = {}
    for head, (_, body) in zip(heads, its):
        if head in page:
            fail("sluice-admin.7: %s documented twice" % head)
        page[head] = body
    for name, roles, usage, _ in table:
        if usage not in page:
            fail("sluice-admin.7: no item `%s` (the usage of %s in admin.c)" % (usage, name))
            continue
        want = "Roles: %s." % role_words(roles)
        if want not in page[usage]:
            fail("sluice-admin.7: %s: should say `%s`" % (name, want))
    for head in sorted(set(page) - set(row[2] for row in table)):
        fail("sluice-admin.7: item `%s` is no usage in admin.c's table" % head)
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("ok: %d admin commands documented with their usage and roles" % len(table))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
