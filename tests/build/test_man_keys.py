#!/usr/bin/env python3
"""sluiced.conf(5) documents exactly the keys lib/config.c accepts, each in
its [section], each with the default that `sluiced init` writes.

The keys are every row of every `struct key` table in lib/config.c; the
defaults are the `key = value` lines of the texts config_write_defaults()
writes (sluiced.conf's and the policy's), read section by section. In the
page, a key is an `.It Ic key` item under `.Ss [section]`, and its text
says `The default is` then `.Cm VALUE` or `.Pa VALUE` (or `empty`).
Usage: test_man_keys.py SOURCE-DIR"""

import re
import sys

failures = []


def fail(what):
    failures.append(what)


def accepted(config_c):
    """{(section, key)} from the `struct key` tables, comments removed."""
    text = re.sub(r"/\*.*?\*/", " ", config_c, flags=re.S)
    tables = re.findall(r"struct\s+key\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\}\s*;", text, re.S)
    keys = set()
    for name, body in tables:
        rows = re.findall(r'\{\s*"([a-z0-9_]+)"\s*,\s*"([a-z0-9_]+)"\s*,\s*K_[A-Z0-9_]+', body)
        if not rows:
            fail("lib/config.c: table %s: no rows found; is this check blind?" % name)
        keys.update(rows)
    if len(tables) < 2:
        fail("lib/config.c: %d struct key tables found, want sluiced.conf's and "
             "the policy's at least" % len(tables))
    return keys


def defaults(config_c):
    """{(section, key): value} from the default texts' lines, `"key = value\\n"`."""
    section, found = None, {}
    for line in config_c.splitlines():
        m = re.match(r'\s*"\[([a-z0-9_]+)\]\\n"', line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r'\s*"([a-z0-9_]+) =(?: ([^"%]*))?\\n"', line)
        if m and section is not None:
            found[(section, m.group(1))] = m.group(2) or ""
    return found


def documented(page):
    """{(section, key): text of its item} from the mdoc source."""
    items, section, key, body = {}, None, None, []

    def close():
        if key is not None:
            if (section, key) in items:
                fail("sluiced.conf.5: [%s] %s documented twice" % (section, key))
            items[(section, key)] = "\n".join(body)
    for line in page.splitlines():
        if line.startswith((".Ss", ".Sh", ".It", ".El")):
            close()
            key, body = None, []
        m = re.match(r"\.Ss \[([a-z0-9_]+)\]$", line)
        if m:
            section = m.group(1)
        elif line.startswith(".Sh"):
            section = None
        m = re.match(r"\.It Ic ([a-z0-9_]+)\b", line)
        if m and section is not None:
            key = m.group(1)
        elif key is not None:
            body.append(line)
    close()
    return items


def check_default(sk, text, want):
    m = re.search(r"The default is\n\.(?:Cm|Pa) (\S+?)(?: [.,;]|$)", text, re.M)
    if want == "":
        if "The default is empty" not in text:
            fail("sluiced.conf.5: [%s] %s: should say `The default is empty`" % sk)
    elif m is None:
        fail("sluiced.conf.5: [%s] %s: no `The default is` + .Cm/.Pa VALUE" % sk)
    elif m.group(1) != want:
        fail("sluiced.conf.5: [%s] %s: default %r, lib/config.c writes %r" % (sk + (m.group(1), want)))


def main():
    src = sys.argv[1]
    with open(src + "/lib/config.c") as f:
        config_c = f.read()
    with open(src + "/man/sluiced.conf.5") as f:
        page = f.read()
    keys, defs, items = accepted(config_c), defaults(config_c), documented(page)
    for sk in sorted(keys - set(items)):
        fail("sluiced.conf.5: [%s] %s is accepted by lib/config.c but not documented" % sk)
    for sk in sorted(set(items) - keys):
        fail("sluiced.conf.5: [%s] %s is documented but lib/config.c does not accept it" % sk)
    for sk in sorted(keys & set(items)):
        if "The default is" not in items[sk]:
            fail("sluiced.conf.5: [%s] %s: no default given" % sk)
        elif sk in defs:
            check_default(sk, items[sk], defs[sk])
    if len(defs) < len(keys) // 2:
        fail("lib/config.c: only %d default lines found for %d keys; is this check blind?"
             % (len(defs), len(keys)))
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("ok: %d keys in %d sections documented, %d defaults as init writes them"
              % (len(keys), len(set(s for s, _ in keys)), len(defs)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
