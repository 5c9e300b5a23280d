#!/usr/bin/env python3
"""[publish] dir: the engine keeps the public site current by itself. It
writes the site at start; a change (here an agreement signed) shows only once
a minute has passed since the last write, at the next tick (the fake clock
moves, and the next request runs the tick before it is answered); nothing
changed means no new write; a write that fails is logged and tried again a
minute later."""

import os
import re

from harness import main, eq, check, run
import story

HEAD = ("reference,title,organisation,organisation_type,datasets,legal_basis,"
        "purpose,start,end,state\r\n")


def configure(w, site):
    conf = os.path.join(w.dir, "sluiced.conf")
    with open(conf) as f:
        text = f.read()
    text = re.sub(r"(?m)^dir =$", "dir = " + site, text)
    with open(conf, "w") as f:
        f.write(text)


def csv(site):
    with open(os.path.join(site, "register.csv"), newline="") as f:
        return f.read()


def writes(w, site):
    return w.logtext(whole=True).count("publish: wrote %s\n" % site)


def test(w):
    site = w.path("site")
    configure(w, site)
    w.start()
    # The engine writes the site before it answers its first request.
    story.staff(w)
    eq(csv(site), HEAD, "the site at start: no agreement yet")
    eq(writes(w, site), 1, "one write at start")
    first = os.readlink(site)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    eq(csv(site), HEAD, "within the minute: the signed agreement is not shown yet")
    eq(writes(w, site), 1, "no second write within the minute")
    w.set_clock("2026-06-01T09:01:01Z")
    st, export, err = w.ssh("audrey", "register", "export", "--format", "csv")
    eq((st, err), (0, ""), "register export")
    check(story.NIC in export and export.startswith(HEAD), "the export has the agreement")
    eq(csv(site), export, "a minute later the site shows what register export shows")
    eq(writes(w, site), 2, "the second write")
    check(os.readlink(site) != first, "a new directory swapped in")
    # Nothing the site shows changed since: only logins, which it ignores...
    # but a login is audited, so the log grew: a write is allowed again, and
    # it writes the same register.
    w.set_clock("2026-06-01T09:02:02Z")
    w.ok("audrey", "status")
    eq(csv(site), export, "the same register")
    # A write that fails: WEBDIR replaced by a directory that is not ours.
    os.unlink(site)
    os.mkdir(site)
    with open(os.path.join(site, "keep"), "w") as f:
        f.write("x")
    w.set_clock("2026-06-01T09:03:03Z")
    w.ok("audrey", "status")
    check("publish: %s: exists and is not a link made by sluiced publish; remove it or "
          "name another (trying again in a minute)\n" % site in w.logtext(whole=True), "the failure logged")
    os.unlink(os.path.join(site, "keep"))
    os.rmdir(site)
    w.ok("audrey", "status")
    check(not os.path.exists(site), "no retry within the minute")
    w.set_clock("2026-06-01T09:04:04Z")
    w.ok("audrey", "status")
    eq(csv(site), export, "written again a minute after the failure")


if __name__ == "__main__":
    main(test)
