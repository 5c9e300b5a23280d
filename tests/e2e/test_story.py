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
    st, out, err = w.ssh("olivia", "release", "approve", xid)
    eq(st, 1, "stager approving")
    story.download(w)
    st, out, err = w.ssh("audrey", "audit", "verify")
    eq(st, 0, "audit verify: " + err)


if __name__ == "__main__":
    main(test)
