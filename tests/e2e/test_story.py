#!/usr/bin/env python3
"""The whole story end to end, asserting outputs, exit codes and audit."""

import json

from harness import main, eq, check
import story


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    a = story.agreement(w)
    eq(a.get("state"), "live", "state after both signatures")
    xid, rid = story.stage_and_approve(w)
    eq(len(xid), 32, "extract id")
    eq(rid, "1", "release id")
    story.download(w)
    story.refusals_and_offboarding(w)
    subjects = story.epilogue(w)
    eq(subjects, [("rita@orga.example", "[sluice] %s expires in %d days (last day 2026-12-31)"
                   % (story.NIC, d)) for d in (90, 30, 7)] +
       [("rita@orga.example", "[sluice] %s has expired: certificate of deletion due by 2027-01-30"
         % story.NIC)], "the mails of the demo's calendar")
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq(st, 0, "audit verify: " + err)
    check(out.startswith("audit log intact: "), "audit verify output: " + out)
    entries = [json.loads(l) for l in w.ok("audrey", "audit", "export").splitlines()]
    eq(entries[0]["action"], "init", "the first entry")
    check(all(e["clock"] == "fake" for e in entries[1:]), "every entry of the run says the clock is fake")
    seen = [(e["actor"], e["action"], e["outcome"]) for e in entries]
    for want in (("olivia", "release approve", "refused"), ("alan", "release approve", "ok"),
                 ("rita", "login", "ok"), ("rita", "download open", "allow"),
                 ("rita", "download", "ok")):
        check(want in seen, "audit has %r" % (want,))
    done = [e for e in entries if e["action"] == "download" and e["actor"] == "rita"]
    check(done[-1]["details"].endswith("completed"), "download completed: " + done[-1]["details"])


if __name__ == "__main__":
    main(test)
