#!/usr/bin/env python3
"""scripts/demo's main job: a daemon in a temporary directory and the whole
story of an agreement, with stock tools, printing each step."""

import os
import sys

from harness import World, Failure, run
import story


def main():
    w = World()
    try:
        print("==> sluiced init (a fresh data directory, keys, first admin 'root')")
        print(w.init_output.rstrip())
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
        print("open file://%s/index.html in a browser (removed when the demo ends, "
              "unless --keep)" % site)
        print("\ndemo: done; removing %s" % w.tmp)
    except Failure as e:
        print("demo: FAILED: %s\n--- daemon log ---\n%s" % (e, w.logtext()), file=sys.stderr)
        return 1
    finally:
        w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
