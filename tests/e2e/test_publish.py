#!/usr/bin/env python3
"""sluiced publish: the public site (index, register, dashboard, register.csv
and .json) from a store holding agreements in every state a command can
reach, read by headless Chromium (fails, never skips, when it is missing):
exactly the expected rows and numbers, hostile text shown as text, nothing
from another host, no personal data; screenshots at 1280 and 360 px kept in
SLUICE_BIN/test-artefacts/publish/; the site swapped in atomically."""

import html.parser
import json
import os
import re
import shutil

from harness import main, eq, check, run, BIN, Failure
import mailbox
import story

HOSTILE = "<script>alert(\"x\")</script> & 'q' \u202egpj.exe"
HOSTILE_SHOWN = "<script>alert(\"x\")</script> & 'q' [U+202E]gpj.exe"
NICS = {  # NIC: (title, starts, expires, state when published)
    story.NIC: ("Readmissions cohort study", "2026-05-01", "2026-12-31", "closed"),
    "NIC-200000-BBBBB": (HOSTILE, "2026-05-01", "2026-11-30", "expired"),
    "NIC-300000-CCCCC": ("Suspended study", "2026-05-01", "2027-12-31", "suspended"),
    "NIC-400000-DDDDD": ("Future study", "2027-02-01", "2027-03-15", "signed"),
    "NIC-600000-GGGGG": ("Live study", "2026-05-01", "2027-01-20", "live"),
    "NIC-700000-IIIII": ("Ended study", "2026-05-01", "2026-12-20", "expired"),
}
UNSIGNED = "NIC-500000-EEEEE"
ARTEFACTS = os.path.join(BIN, "test-artefacts", "publish")


def chromium():
    exe = shutil.which("chromium")
    if exe is None:
        raise Failure("e2e: chromium is missing (scripts/deps installs it)")
    return exe


def add_agreement(w, nic, title, starts, expires, sign=True):
    d = story.pki(w)
    doc = w.write(nic + ".txt", "DATA SHARING AGREEMENT " + nic + "\r\n")
    w.put("olivia", doc)
    w.ok("olivia", "agreement", "add", nic, "--org", story.ORG, "--title", title,
         "--purpose", "Research & \"evaluation\"", "--legal-basis", "Article 6(1)(e)",
         "--datasets", "HES-APC,SUS" if nic.endswith("C") else "HES-APC",
         "--starts", starts, "--expires", expires, "--document", nic + ".txt")
    for party in ("applicant", "controller") if sign else ():
        sig = w.path("%s.%s.p7s" % (nic, party))
        story.sign_doc(w, os.path.join(d, party), doc, sig)
        w.put("olivia", sig)
        w.ok("olivia", "agreement", "sign", nic, "--party", party,
             "--signature", os.path.basename(sig))


def build_world(w):
    w.start()
    story.staff(w)
    story.organisation(w)
    story.signatories(w)
    story.agreement(w)
    story.stage_and_approve(w)
    story.download(w)
    for nic, (title, starts, expires, _) in NICS.items():
        if nic != story.NIC:
            add_agreement(w, nic, title, starts, expires)
    w.ok("alan", "agreement", "suspend", "NIC-300000-CCCCC", "--reason", "audit")
    w.set_clock("2026-09-15T10:00:00Z")
    w.put("olivia", w.write("live.csv", b"a,b\n1,2\n"))
    xid = w.ok("olivia", "extract", "stage", "NIC-600000-GGGGG", "live.csv").strip()
    w.ok("alan", "release", "approve", xid)
    st, out, err = w.sftp("rita", ["get /NIC-600000-GGGGG/live.csv.age %s" % w.path("l.age")])
    check(st == 0, "download of the live study: " + out + err)
    w.set_clock("2027-01-02T09:00:00Z")
    w.ok("audrey", "dashboard")  # the scheduler's day: expiries, the sanction
    cert = mailbox.signed_cert(w, "deletion.p7m", mailbox.certdoc(destroyed="2027-01-02"))
    st, out = mailbox.put_cert(w, cert)
    eq(st, 0, "certificate of deletion: " + out)


def publish(w, out):
    st, o, err = run([w.sluiced(), "publish", "-d", w.dir, "--out", out,
                      "--fake-clock", w.clock])
    eq((st, o), (0, "published %s: index.html register.html dashboard.html "
                    "register.csv register.json\n" % out), "publish: " + err)


def expected_csv():
    head = ("reference,title,organisation,organisation_type,datasets,legal_basis,"
            "purpose,start,end,state\r\n")
    rows = []
    for nic in sorted(NICS):
        title, starts, expires, state = NICS[nic]
        if nic == story.NIC:
            rows.append('%s,%s,Org A University,University,"HES-APC,MHSDS","Article 6(1)(e), '
                        '9(2)(j)",Research into readmissions,%s,%s,%s\r\n'
                        % (nic, title, starts, expires, state))
            continue
        q = '"%s"' % title.replace('"', '""') if re.search('[,"]', title) else title
        ds = '"HES-APC,SUS"' if nic.endswith("C") else "HES-APC"
        rows.append('%s,%s,Org A University,University,%s,Article 6(1)(e),'
                    '"Research & ""evaluation""",%s,%s,%s\r\n' % (nic, q, ds, starts, expires, state))
    return head + "".join(rows)


class Dom(html.parser.HTMLParser):
    """Tables (by id or caption), their rows as lists of cell texts, every
    src/href, the script elements and list items of class sanctioned."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tables, self.links, self.scripts, self.items = {}, [], 0, []
        self.cur, self.cell, self.caption, self.li = None, None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.links += [v for k, v in attrs if k in ("src", "href")]
        if tag == "script":
            self.scripts += 1
        elif tag == "table":
            self.cur = {"id": a.get("id"), "rows": []}
        elif tag == "caption":
            self.caption = ""
        elif tag == "tr" and self.cur is not None:
            self.cur["rows"].append([])
        elif tag in ("td", "th") and self.cur is not None:
            self.cell = ""
        elif tag == "ul" and a.get("class") == "sanctioned":
            self.li = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self.cur["caption"], self.caption = self.caption, None
        elif tag in ("td", "th") and self.cell is not None:
            self.cur["rows"][-1].append(self.cell)
            self.cell = None
        elif tag == "table":
            self.tables[self.cur["id"] or self.cur["caption"]] = self.cur["rows"][1:]
            self.cur = None
        elif tag == "li" and self.li is not None and self.li.strip():
            self.items.append(self.li.strip())
            self.li = ""
        elif tag == "ul":
            self.li = None

    def handle_data(self, data):
        for attr in ("cell", "caption", "li"):
            if getattr(self, attr) is not None:
                setattr(self, attr, getattr(self, attr) + data)


def dump(path):
    st, out, err = run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=" + os.path.join(ARTEFACTS, "profile"),
                        "--dump-dom", "file://" + path], timeout=120)
    check(st == 0 and "</html>" in out, "chromium --dump-dom %s: %s" % (path, err[-2000:]))
    return out


def screenshots(site, page):
    for width, height in ((1280, 2400), (360, 2400)):
        png = os.path.join(ARTEFACTS, "%s-%d.png" % (page, width))
        if os.path.exists(png):
            os.unlink(png)
        st, out, err = run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                            "--user-data-dir=" + os.path.join(ARTEFACTS, "profile"),
                            "--screenshot=" + png, "--window-size=%d,%d" % (width, height),
                            "file://" + os.path.join(site, page + ".html")], timeout=120)
        with open(png, "rb") as f:
            eq(f.read(8), b"\x89PNG\r\n\x1a\n", "screenshot %s: %s" % (png, err[-500:]))


def check_register(d, rows_json):
    got = [(r[0], r[3], r[9]) for r in d.tables["register"]]
    want = [(nic, NICS[nic][0].replace("\u202e", "[U+202E]"), NICS[nic][3]) for nic in sorted(NICS)]
    eq(got, want, "register rows (NIC, title, state)")
    eq(d.scripts, 1, "register page: only its own script")
    check(UNSIGNED not in json.dumps(d.tables), "the unsigned agreement is absent")
    eq(sorted(k for k in d.tables if k != "register"), sorted(
        ["By state: " + s for s in ("closed", "expired", "live", "signed", "suspended")] +
        ["By organisation: Org A University", "By dataset: HES-APC", "By dataset: SUS",
         "By dataset: MHSDS"]), "group tables")
    eq([r[0] for r in d.tables["By state: expired"]], ["NIC-200000-BBBBB", "NIC-700000-IIIII"],
       "expired group")
    eq([r[0] for r in d.tables["By dataset: SUS"]], ["NIC-300000-CCCCC"], "SUS group")
    eq(len(rows_json), 6, "register.json rows")


def month_rows(releases):
    months = ["%04d-%02d" % ((2025 * 12 + 1 + i) // 12, (2025 * 12 + 1 + i) % 12 + 1)
              for i in range(24)]
    return [[m, str(releases.get(m, 0))] for m in reversed(months)]


def check_dashboard(d):
    eq(d.tables["Agreements in the register by state"],
       [["signed", "1"], ["live", "1"], ["suspended", "1"], ["expired", "2"], ["closed", "1"],
        ["all", "6"]], "by state")
    eq(d.tables["Signed, live or suspended agreements whose last day is"],
       [["within 30 days", "1"], ["within 90 days", "2"]], "ending soon")
    eq(d.tables["Expired agreements whose certificate of deletion is"],
       [["due", "1"], ["overdue", "1"]], "certificates")
    eq(d.items, ["ORG-A"], "sanctioned organisations")
    per_month = month_rows({"2026-06": 1, "2026-09": 1})
    eq(d.tables["Releases per month"], per_month, "releases per month")
    eq(d.tables["Downloads per month"], per_month, "downloads per month")
    eq(d.scripts, 0, "dashboard: no script")


def check_page_text(site, page, text):
    for bad in ("http://", "https://", "rita", "olivia", "alan", "audrey", "ssh-ed25519",
                "cohort.csv", "live.csv", "age1", ".example", "localhost"):
        check(bad not in text, "%s names %r" % (page, bad))
    check(re.search(r"[\w.+-]+@[\w-]+\.", text) is None, page + ": an e-mail address")
    d = Dom(text)
    for link in d.links:
        check("//" not in link and ":" not in link.split("#")[0], "%s links out: %r" % (page, link))
    return d


def check_site(w, site):
    with open(os.path.join(site, "register.json")) as f:
        rows_json = json.load(f)
    pages = {}
    for page in ("index", "register", "dashboard"):
        with open(os.path.join(site, page + ".html"), encoding="utf-8") as f:
            raw = f.read()
        check("\u202e" not in raw and "<script>alert" not in raw, page + ": hostile text raw")
        check_page_text(site, page, raw)
        pages[page] = check_page_text(site, page, dump(os.path.join(site, page + ".html")))
        check(re.search(r"Generated <time datetime=\"2027-01-02T09:00:00Z\">", raw), page + ": time")
        screenshots(site, page)
    check_register(pages["register"], rows_json)
    check(HOSTILE_SHOWN in [r[3] for r in pages["register"].tables["register"]], "hostile title as text")
    check_dashboard(pages["dashboard"])
    eq(sorted(l for l in pages["index"].links if not l.startswith("#")),
       sorted(["index.html", "register.html", "dashboard.html", "register.html",
               "dashboard.html", "register.csv", "register.json"]), "index links")


def check_atomic(w, site, first):
    """WEBDIR is a link swapped to a new directory; the old one is gone."""
    target = os.readlink(site)
    check(target.startswith(".site.20270102T090000Z.") and "/" not in target, "link " + target)
    check(target != first, "a new directory each time")
    check(not os.path.exists(os.path.join(os.path.dirname(site), first)), "old removed")
    eq(sorted(os.listdir(site)), ["dashboard.html", "index.html", "register.csv",
                                  "register.html", "register.json"], "files")
    busy = w.path("busy")
    os.mkdir(busy)
    w.write("busy/keep", "x")
    st, out, err = run([w.sluiced(), "publish", "-d", w.dir, "--out", busy])
    eq((st, out, err), (1, "", "sluiced publish: %s: exists and is not a link made by "
                                "sluiced publish; remove it or name another\n" % busy), "busy")
    st, out, err = run([w.sluiced(), "publish", "-d", w.dir])
    eq((st, err), (2, "sluiced publish: no output directory: give --out WEBDIR or set "
                      "[publish] dir in %s/sluiced.conf\n" % w.dir), "no --out")


def test(w):
    chromium()
    os.makedirs(ARTEFACTS, exist_ok=True)
    build_world(w)
    site = w.path("site")
    publish(w, site)
    first = os.readlink(site)
    # No agreement awaits signatures yet: the admin command writes the same bytes.
    with open(os.path.join(site, "register.csv"), newline="") as f:
        csv = f.read()
    eq(csv, expected_csv(), "register.csv")
    eq(w.ssh("audrey", "register", "export", "--format", "csv"), (0, csv, ""), "same CSV")
    with open(os.path.join(site, "register.json")) as f:
        eq(w.ssh("audrey", "register", "export", "--format", "json"), (0, f.read(), ""),
           "same JSON")
    # One awaiting its signatures, and a live one extended: neither shows.
    add_agreement(w, UNSIGNED, "Unsigned study", "2027-02-01", "2027-12-31", sign=False)
    w.put("olivia", w.write("g2.txt", "DATA SHARING AGREEMENT NIC-600000-GGGGG v2\r\n"))
    w.ok("olivia", "agreement", "extend", "NIC-600000-GGGGG", "--expires", "2027-06-30",
         "--document", "g2.txt")
    publish(w, site)
    with open(os.path.join(site, "register.csv"), newline="") as f:
        eq(f.read(), csv, "register.csv after an unsigned agreement and an extension")
    check_atomic(w, site, first)
    check_site(w, site)


if __name__ == "__main__":
    main(test)
