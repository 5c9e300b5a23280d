#!/usr/bin/env python3
"""scripts/demo's main job: a daemon in a temporary directory and the whole
story of an agreement, with stock tools, printing each step."""

import os
import sys

import harness
from harness import World, Failure, run
import story


def main():
    keep = "--keep" in sys.argv[1:]
    if [a for a in sys.argv[1:] if a != "--keep"]:
        print("usage: scripts/demo [--keep]", file=sys.stderr)
        return 2
    w = World()
    harness.TRACE = harness.Trace(w)
    try:
        print("D=%s   # the demo's directory: data in $D/data, keys in $D/keys" % w.tmp)
        print("==> sluiced init (a fresh data directory, keys, first admin 'root')")
        print("$ sluiced init -d $D/data --admin root --admin-key $D/keys/root.pub "
              "--port %d" % w.port)
        print(w.init_output.rstrip())
        print("$ sluiced run -d $D/data --fake-clock $D/clock &")
        w.start()
        print("==> sluiced run on 127.0.0.1:%d (a fake clock set to %s, so the demo "
              "can fast-forward time)" % (w.port, open(w.clock).read().strip()))
        story.staff(w, True)
        story.organisation(w, True)
        story.signatories(w, True)
        story.agreement(w, True)
        story.stage_and_approve(w, True)
        story.download(w, True)
        story.refusals_and_offboarding(w, True)
        story.say(True, "the dashboard and the published register")
        story.show(True, w.ok("audrey", "dashboard"))
        story.show(True, w.ok("audrey", "register", "export", "--format", "csv"))
        if hasattr(story, "epilogue"):
            story.epilogue(w, True)
        story.say(True, "the audit log's hash chain verifies")
        story.show(True, w.ok("audrey", "audit", "verify"))
        story.say(True, "sluiced publish: the register and dashboard as a static site")
        site = w.path("site")
        st, out, err = run([w.sluiced(), "publish", "-d", w.dir, "--out", site,
                            "--fake-clock", w.clock])
        if st != 0:
            raise Failure("sluiced publish: " + err)
        story.show(True, out)
        print("open file://%s/index.html in a browser%s" % (
            site, "" if keep else " (removed when the demo ends; scripts/demo --keep keeps it)"))
        if keep:
            print("\ndemo: done; the daemon is stopped and %s is kept: its log is "
                  "$D/sluiced.log, its data $D/data" % w.tmp)
        else:
            print("\ndemo: done; removing %s" % w.tmp)
    except Failure as e:
        print("demo: FAILED: %s\n--- daemon log ---\n%s" % (e, w.logtext()), file=sys.stderr)
        return 1
    finally:
        harness.TRACE = None
        w.close(keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
