#!/usr/bin/env python3
"""The bash completions in contrib/bash-completion/, run in bash with the
bash-completion library as an interactive shell would: sluicectl offers
exactly the admin table's command words (daemon/engine/admin/admin.c, read
by admin_table.py) and, for each command, exactly its options and --json;
sluice offers exactly the commands of client/sluice.c's table and get's
options. Usage: test_completion.py SOURCE-DIR"""

import os
import re
import subprocess
import sys

from admin_table import rows

LIBRARY = "/usr/share/bash-completion/bash_completion"

DRIVER = r'''
source %(lib)s
source %(src)s/contrib/bash-completion/sluice
source %(src)s/contrib/bash-completion/sluicectl
complete_line() {
	COMP_LINE=$1
	COMP_POINT=${#1}
	read -ra COMP_WORDS <<<"$1"
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	"$2" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	echo "${COMPREPLY[*]}"
}
while IFS= read -r line; do
	case $line in
	sluicectl*) complete_line "$line" _sluicectl ;;
	*) complete_line "$line" _sluice ;;
	esac
done
'''

failures = []


def complete(src, lines):
    """The words offered for each line, as sets."""
    if not os.path.exists(LIBRARY):
        sys.exit("FAIL: %s missing: bash-completion is not installed (scripts/deps)" % LIBRARY)
    p = subprocess.run(["bash", "-c", DRIVER % {"lib": LIBRARY, "src": src}],
                       input="\n".join(lines) + "\n", capture_output=True, text=True)
    out = p.stdout.split("\n")
    if p.returncode != 0 or len(out) < len(lines) or p.stderr:
        sys.exit("FAIL: bash exited %d: %s" % (p.returncode, p.stderr))
    return [set(o.split()) for o in out[:len(lines)]]


def expect(got, want, line):
    if got != want:
        failures.append("%r offers %s; want %s (missing %s, extra %s)" % (
            line, sorted(got), sorted(want), sorted(want - got), sorted(got - want)))


def sluice_commands(src):
    with open(src + "/client/sluice.c") as f:
        text = f.read()
    table = text[text.index("subcommands[] = {"):]
    table = table[:table.index("};")]
    names = re.findall(r'\{\s*"([a-z-]+)"\s*,\s*cmd_', table)
    if len(names) < 3:
        sys.exit("FAIL: client/sluice.c: no subcommands table found")
    return set(names)


def cases(src, table):
    """[(line, wanted words)]."""
    out = [("sluicectl ", set(r[0].split()[0] for r in table) | {"put"}),
           ("sluicectl -H h -p 2222 ", set(r[0].split()[0] for r in table) | {"put"}),
           ("sluicectl --", {"--help", "--json", "--version"}),
           ("sluicectl -o S", {"StrictHostKeyChecking=yes",
                               "StrictHostKeyChecking=accept-new", "StrictHostKeyChecking=no"})]
    groups = {}
    for name, _, _, _ in table:
        words = name.split()
        if len(words) == 2:
            groups.setdefault(words[0], set()).add(words[1])
    for g, subs in sorted(groups.items()):
        out.append(("sluicectl %s " % g, subs))
    for name, _, _, opts in table:
        out.append(("sluicectl -l ann %s X --" % name, set("--" + o for o in opts) | {"--json"}))
    out += [("sluicectl agreement sign NIC --party ", {"applicant", "controller"}),
            ("sluicectl staff roles ann --role ", {"operator", "approver", "auditor", "admin"}),
            ("sluice ", sluice_commands(src)),
            ("sluice get NIC --", {"--out", "--identity", "--release-key", "--json", "--help"}),
            ("sluice -F f --", {"--help", "--json", "--version"})]
    return out


def main():
    src = sys.argv[1]
    with open(src + "/daemon/engine/admin/admin.c") as f:
        table, problems = rows(f.read())
    failures.extend(problems)
    todo = cases(src, table)
    for (line, want), got in zip(todo, complete(src, [l for l, _ in todo])):
        expect(got, want, line)
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("ok: %d completions as the tables say" % len(todo))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
