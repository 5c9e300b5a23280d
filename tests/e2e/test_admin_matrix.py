#!/usr/bin/env python3
"""Authorisation matrix over the real admin channel (stock ssh): every
command x every role -> allowed or denied, each denial with exit status 1,
the exact permission-denied line, and exactly one `refused` audit entry.

A command is called with no arguments: roles are checked before arity, so an
allowed call answers 0 (a read) or 2 (usage: arguments missing) and changes
nothing, and a denied call answers 1 whatever arguments it would need."""

import json
import re

from harness import main, eq, check
import story

OP, AP, AU, AD, RE = "operator", "approver", "auditor", "admin", "recipient"
STAFF = {OP, AP, AU, AD}
EVERYONE = STAFF | {RE}

# command -> (roles allowed, exit status of the bare call when allowed,
#             the role words of the permission-denied line)
TABLE = {
    "help":                 (EVERYONE, 0, None),
    "status":               (EVERYONE, 0, None),
    "org add":              ({OP}, 2, "role operator"),
    "org dspt":             ({OP}, 2, "role operator"),
    "org list":             (STAFF, 0, "a staff role"),
    "org show":             (STAFF, 2, "a staff role"),
    "contract add":         ({OP}, 2, "role operator"),
    "contract list":        (STAFF, 0, "a staff role"),
    "person add":           ({OP}, 2, "role operator"),
    "person list":          (STAFF, 0, "a staff role"),
    "person disable":       ({OP}, 2, "role operator"),
    "person enable":        ({OP}, 2, "role operator"),
    "person key":           ({OP}, 2, "role operator"),
    "person age-recipient": ({OP}, 2, "role operator"),
    "signatory add":        ({OP, AD}, 2, "role operator or admin"),
    "signatory list":       (STAFF, 0, "a staff role"),
    "signatory revoke":     ({OP, AD}, 2, "role operator or admin"),
    "agreement add":        ({OP}, 2, "role operator"),
    "agreement sign":       ({OP}, 2, "role operator"),
    "agreement extend":     ({OP}, 2, "role operator"),
    "agreement show":       (STAFF, 2, "a staff role"),
    "agreement list":       (STAFF, 0, "a staff role"),
    "agreement suspend":    ({AP}, 2, "role approver"),
    "agreement resume":     ({AP}, 2, "role approver"),
    "agreement terminate":  ({AP}, 2, "role approver"),
    "extract stage":        ({OP}, 2, "role operator"),
    "extract list":         (STAFF, 0, "a staff role"),
    "extract show":         (STAFF, 2, "a staff role"),
    "extract discard":      ({OP}, 2, "role operator"),
    "release approve":      ({AP}, 2, "role approver"),
    "release revoke":       ({AP}, 2, "role approver"),
    "release list":         (STAFF, 0, "a staff role"),
    "certificate list":     (STAFF, 0, "a staff role"),
    "staff add":            ({AD}, 2, "role admin"),
    "staff list":           ({AU, AD}, 0, "role auditor or admin"),
    "staff disable":        ({AD}, 2, "role admin"),
    "staff enable":         ({AD}, 2, "role admin"),
    "staff roles":          ({AD}, 2, "role admin"),
    "staff key":            ({AD}, 2, "role admin"),
    "audit verify":         ({AU, AD}, 0, "role auditor or admin"),
    "audit checkpoint":     ({AU, AD}, 0, "role auditor or admin"),
    "audit export":         ({AU, AD}, 0, "role auditor or admin"),
    "register export":      (STAFF, 0, "a staff role"),
    "dashboard":            (STAFF, 0, "a staff role"),
}

# docs/design.md section 6, the admin channel's list (and `status` for recipients)
DESIGN = """org add, org dspt, org list, org show, contract add, contract list,
person add, person list, person disable, person enable, person key,
person age-recipient, signatory add, signatory list, signatory revoke,
agreement add, agreement sign, agreement extend, agreement show, agreement list,
agreement suspend, agreement resume, agreement terminate, extract stage,
extract list, extract show, extract discard, release approve, release revoke,
release list, certificate list, staff add, staff list, staff disable,
staff enable, staff roles, staff key, audit verify, audit checkpoint, audit export,
register export, dashboard, status"""

# the user who holds each role (root is the admin made by `sluiced init`)
WHO = {OP: "oscar", AP: "alan", AU: "audrey", AD: "root", RE: "rita"}


def help_names(text):
    """Command names in a help text: the leading lower-case words of each
    usage line (summary lines are indented)."""
    names = []
    for line in text.splitlines():
        if not line or line.startswith(" "):
            continue
        words = []
        for w in line.split():
            if not re.fullmatch(r"[a-z][a-z-]*", w):
                break
            words.append(w)
        names.append(" ".join(words))
    return names


def refusals(w):
    out = w.ok("audrey", "audit", "export")
    return [(e["actor"], e["action"]) for e in map(json.loads, out.splitlines())
            if e["outcome"] == "refused"]


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    w.keygen("oscar")           # an operator and nothing else (olivia also approves)
    w.ok("root", "staff", "add", "oscar", "--email", "oscar@nhs.example",
         "--key", w.publine("oscar"), "--role", "operator")
    w.keygen("mallory")         # a key the daemon has never seen

    # the table is the whole command set: admin's help plus docs/design.md
    admin_help = help_names(w.ok("root", "help"))
    design = {n.strip() for n in DESIGN.replace("\n", " ").split(",")}
    eq(set(admin_help) | design | {"help"}, set(TABLE), "commands known")
    for role, who in WHO.items():
        names = help_names(w.ok(who, "help"))
        eq(names, [c for c in TABLE if role in TABLE[c][0]],
           "help as %s lists what %s may run" % (who, role))

    before = refusals(w)
    want_refused = []
    for cmd, (allowed, bare, words) in TABLE.items():
        for role, who in WHO.items():
            st, out, err = w.ssh(who, *cmd.split())
            what = "%s as %s (%s)" % (cmd, who, role)
            if role in allowed:
                eq(st, bare, what + ": exit")
                check("permission denied" not in err, what + ": " + err)
                if bare == 2:
                    check(err.endswith("\nusage: %s\n" % next(
                        i for i in usage_lines(w) if i.startswith(cmd + " "))),
                        what + ": usage line: " + err)
            else:
                eq((st, out, err),
                   (1, "", "permission denied: '%s' needs %s\n" % (cmd, words)),
                   what)
                want_refused.append((who, cmd))
        # an unknown key never reaches the channel: ssh fails to authenticate
        st, out, err = w.ssh("mallory", *cmd.split())
        eq(st, 255, "%s with an unknown key" % cmd)
        check("Permission denied (publickey)" in err, "unknown key: " + err)

    after = refusals(w)
    eq(after[:len(before)], before, "earlier refusals kept")
    new = after[len(before):]
    mallory = [r for r in new if r[0] == "mallory"]
    eq(sorted(r for r in new if r[0] != "mallory"), sorted(want_refused),
       "one refused audit entry per denial")
    eq(len(want_refused), 123, "denials in the matrix")
    eq(len(want_refused), sum(len(set(WHO) - allowed) for allowed, _, _ in TABLE.values()),
       "denials: every role a command does not allow")
    eq(mallory, [("mallory", "login")] * len(TABLE),
       "unknown key: one refused login per attempt, no command ran")
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq(st, 0, "audit verify after the matrix: " + err)


_usage = []


def usage_lines(w):
    """The usage lines of every command, from root's and olivia's help."""
    if not _usage:
        for who in ("root", "olivia", "alan"):
            _usage.extend(l for l in w.ok(who, "help").splitlines()
                          if l and not l.startswith(" "))
    return _usage


if __name__ == "__main__":
    main(test)
