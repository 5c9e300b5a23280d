#!/usr/bin/env python3
"""The recipients' client `sluice` against the real daemon, with exact
output and exit status: ls (a header line; --json before or after the
command), status (the server's, text and --json), get (pipelined download,
age decryption, minisign and SHA-256 checks; its summary as text or one
JSON document; a second get finds everything in place), get with a key the
files are not made for (stopped at the age header, nothing downloaded
beyond it), and the exit statuses: 1 for every refusal once connected
(the server's, a gate denial, a rejected certificate of deletion), 255 only
when no connection was made, 2 for usage."""

import json
import os

from harness import main, eq, check, run
import deliver
import story

NIC = story.NIC


def sluice(w, who, *args, key=None, known_hosts=None, port=None):
    argv = [w.tool("sluice"), "-H", "127.0.0.1", "-p", str(port or w.port), "-l", who,
            "-i", key or w.key(who), "-k", known_hosts or w.known_hosts] + list(args)
    env = dict(os.environ, HOME=w.tmp, XDG_CONFIG_HOME=w.path("xdg"))
    return run(argv, env=env)


def sizes(w):
    """The released files' sizes, as stock sftp fetched them."""
    d = w.path("ref")
    os.makedirs(d)
    st, out, err = w.sftp("rita", ["get /%s/%s %s/" % (NIC, n, d) for n in
                                   ("cohort.csv.age", "SHA256SUMS", "SHA256SUMS.minisig")]
                          + ["get /release.pub %s/" % d])
    eq(st, 0, "sftp get: " + out + err)
    return {n: os.path.getsize(os.path.join(d, n)) for n in os.listdir(d)}


def text_listing(entries):
    lines = ["%-48s %14s" % ("NAME", "SIZE")]
    for name, size in entries:
        lines.append(name + "/" if size is None else "%-48s %14d" % (name, size))
    return "\n".join(lines) + "\n"


def json_listing(path, entries):
    ents = [{"name": n, "type": "directory"} if s is None else
            {"name": n, "size": s, "type": "file"} for n, s in entries]
    return json.dumps({"entries": ents, "path": path}, separators=(",", ":"),
                      sort_keys=True) + "\n"


def listings(w, size):
    root = [("release.pub", size["release.pub"]), (NIC, None)]
    files = [("deletion-certificate", None), ("cohort.csv.age", size["cohort.csv.age"]),
             ("SHA256SUMS", size["SHA256SUMS"]),
             ("SHA256SUMS.minisig", size["SHA256SUMS.minisig"])]
    eq(sluice(w, "rita", "ls"), (0, text_listing(root), ""), "ls /")
    eq(sluice(w, "rita", "ls", NIC), (0, text_listing(files), ""), "ls NIC")
    eq(sluice(w, "rita", "--json", "ls"), (0, json_listing("/", root), ""), "--json ls")
    for args in (["--json", "ls", NIC], ["ls", NIC, "--json"], ["ls", "--json", NIC]):
        eq(sluice(w, "rita", *args), (0, json_listing("/" + NIC, files), ""), repr(args))


def status(w):
    st, out, err = w.ssh("rita", "status")
    eq((st, err), (0, ""), "ssh status")
    eq(out, "%s\tlive\t2026-05-01 to 2026-12-31\t1 files\tdeletion certificate due 2027-01-30\n"
       % NIC, "the server's status")
    eq(sluice(w, "rita", "status"), (0, out, ""), "sluice status is the server's")
    st, out, err = w.ssh("rita", "status", "--json")
    eq((st, err), (0, ""), "ssh status --json")
    eq(json.loads(out), {"agreements": [{"deletion_certificate_due": "2027-01-30",
                                         "expires": "2026-12-31", "files_released": 1,
                                         "nic": NIC, "starts": "2026-05-01", "state": "live"}],
                         "org": story.ORG, "sanctioned": False}, "status --json")
    eq(sluice(w, "rita", "--json", "status"), (0, out, ""), "sluice --json status")
    eq(sluice(w, "rita", "status", "--json"), (0, out, ""), "sluice status --json")


def signature_line(err, what):
    first, _, rest = err.partition("\n")
    check(first.startswith("sluice: SHA256SUMS signature verified (trusted comment: "
                           "timestamp:") and first.endswith("\tagreement:%s\treleased:"
                                                            "2026-06-01T09:00:00Z)" % NIC),
          what + ": signature line: " + err)
    return rest


def get(w):
    release_key = os.path.join(w.dir, "release.pub")
    outdir = w.path("got")
    st, out, err = sluice(w, "rita", "get", NIC, "--out", outdir, "--release-key", release_key)
    eq((st, out), (0, "cohort.csv: decrypted, %d bytes, SHA-256 verified\n"
                      "all 1 files of %s are in %s\n" % (len(story.EXTRACT), NIC, outdir)),
       "sluice get: " + err)
    eq(signature_line(err, "get"), "", "get: stderr")
    with open(os.path.join(outdir, "cohort.csv"), "rb") as f:
        eq(f.read() == story.EXTRACT, True, "decrypted bytes")
    eq(sorted(os.listdir(outdir)), ["cohort.csv"], "no partial or temporary files left")
    summary = {"agreement": NIC, "complete": True, "directory": w.path("got-json"),
               "files": [{"bytes": len(story.EXTRACT), "name": "cohort.csv",
                          "outcome": "decrypted", "verified": True}]}
    doc = json.dumps(summary, separators=(",", ":"), sort_keys=True) + "\n"
    st, out, err = sluice(w, "rita", "--json", "get", NIC, "--out", w.path("got-json"),
                          "--release-key", release_key)
    eq((st, out), (0, doc), "get --json: " + err)
    eq(signature_line(err, "get --json"), "", "get --json: stderr")
    summary["files"][0]["outcome"] = "already here"
    doc = json.dumps(summary, separators=(",", ":"), sort_keys=True) + "\n"
    st, out, err = sluice(w, "rita", "get", NIC, "--json", "--out", w.path("got-json"),
                          "--release-key", release_key)
    eq((st, out), (0, doc), "get --json again: " + err)
    st, out, err = sluice(w, "rita", "get", NIC, "--out", outdir, "--release-key", release_key)
    eq((st, out), (0, "cohort.csv: already here, SHA-256 verified\n"
                      "all 1 files of %s are in %s\n" % (NIC, outdir)), "get again: " + err)


def wrong_key(w, size):
    """A key the files are not made for: get reads the age header first and
    stops there; the daemon served the header's first READ and no more."""
    release_key = os.path.join(w.dir, "release.pub")
    stranger = w.keygen("stranger")
    identity = w.path("age-identity.txt")
    st, out, err = sluice(w, "rita", "keygen", "-o", identity)
    eq((st, err), (0, "sluice: identity written to %s; give this recipient to the data "
                      "release team:\n" % identity), "keygen")
    check(out.startswith("age1") and len(out) == 63, "keygen prints the recipient: " + out)
    before = deliver.last_audit_id(w)
    for key, args in ((stranger, []), (identity, ["--json"])):
        outdir = w.path("nokey")
        st, out, err = sluice(w, "rita", "get", NIC, "--identity", key, "--out", outdir,
                              "--release-key", release_key, *args)
        eq((st, out), (1, ""), "get with a key the files are not for: " + err)
        eq(signature_line(err, "wrong key"),
           "sluice: get: no recipient stanza in %s/cohort.csv.age is for your key\n" % NIC,
           "the reason")
        eq(os.path.exists(outdir), False, "nothing left of the refused get")
    served = deliver.pick(deliver.audit_since(w, before), actor="rita", action="download")
    eq([e["details"] for e in served],
       ["/%s/cohort.csv.age: 4096 bytes, range 0-4096, not completed" % NIC] * 2,
       "only the header's READ was served (the file is %d bytes)" % size["cohort.csv.age"])


def exits(w):
    eq(sluice(w, "rita", "ls", "NIC-999999-ZZZZZ"),
       (1, "", "sluice: /NIC-999999-ZZZZZ: no such file\n"), "ls of an unknown agreement")
    eq(sluice(w, "rita", "--json", "keygen"),
       (2, "", "sluice: keygen: --json is for ls, status and get\n"), "--json where it is not")
    eq(sluice(w, "rita", "ls", "NIC-1"),
       (2, "", 'sluice: ls: "NIC-1" is not a NIC reference (NIC-123456-A1B2C)\n'
        "usage: sluice [options] ls [NIC] [--json]\n"
        "Lists the agreements you may see, or the files of agreement NIC: a\n"
        "header line, then NAME/ for a directory or NAME and SIZE for a file.\n"
        '--json: {"entries":[{"name","size","type"}...],"path"}.\n'), "a bad NIC is usage")
    empty = w.write("empty_known_hosts", "")
    st, out, err = sluice(w, "rita", "ls", known_hosts=empty)
    eq((st, out), (255, ""), "unknown host key")
    check(err.startswith("sluice: host key for 127.0.0.1 is not known (SHA256:"),
          "unknown host key: " + err)
    w.keygen("mallory")
    st, out, err = sluice(w, "mallory", "status")
    eq((st, out), (255, ""), "unknown user key: " + err)
    port = deliver_free_port()
    eq(sluice(w, "rita", "status", port=port),
       (255, "", "sluice: cannot connect to 127.0.0.1 port %d: Connection refused\n" % port),
       "no server")


def deliver_free_port():
    from harness import free_port
    return free_port()


def certify_refused(w):
    """The server rejects the certificate (the agreement is live): exit 1."""
    d = story.pki(w)
    st, out, err = sluice(w, "rita", "certify-deletion", NIC, "--org", story.ORG,
                          "--datasets", "HES-APC,MHSDS", "--destroyed-on", "2026-05-30",
                          "--method", "secure erase", "--copies", "one; destroyed",
                          "--signatory", "Alice Applicant, IG Lead",
                          "--cert", os.path.join(d, "applicant.pem"),
                          "--key", os.path.join(d, "applicant.key"))
    eq((st, out), (1, ""), "certify-deletion refused: " + err)
    eq(err, "sluice: certify-deletion: /%s/deletion-certificate/certificate.p7m: "
            "agreement %s is live; a certificate of deletion closes an expired agreement\n"
       % (NIC, NIC), "the server's reason")


def revoked(w, rid):
    w.ok("alan", "release", "revoke", rid, "--reason", "wrong cohort")
    eq(sluice(w, "rita", "ls", NIC), (0, text_listing([("deletion-certificate", None)]), ""),
       "a revoked release is not listed")
    st, out, err = sluice(w, "rita", "get", NIC, "--out", w.path("after"), "--release-key",
                          os.path.join(w.dir, "release.pub"))
    eq((st, out), (1, ""), "get after revocation: " + err)
    first, _, rest = err.partition("\n")
    # what is signed now is an empty SHA256SUMS
    eq(first, "sluice: SHA256SUMS signature verified (trusted comment: timestamp:0\t"
              "file:SHA256SUMS\tagreement:%s\treleased:1970-01-01T00:00:00Z)" % NIC,
       "the signature line")
    eq(rest, "sluice: get: no released files in /%s/\n" % NIC, "get after revocation")


def test(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    xid, rid = story.stage_and_approve(w)
    size = sizes(w)
    listings(w, size)
    status(w)
    get(w)
    wrong_key(w, size)
    exits(w)
    certify_refused(w)
    revoked(w, rid)


if __name__ == "__main__":
    main(test)
