#!/bin/sh
# Every manual page is clean under `mandoc -T lint -W warning`: no output at
# all, exit 0. The five pages the project promises must all be there.
# Usage: test_man_lint.sh SOURCE-DIR
set -eu
src=${1:?usage: test_man_lint.sh SOURCE-DIR}
command -v mandoc >/dev/null || { echo "FAIL: mandoc is not installed (scripts/deps)"; exit 1; }
status=0
for page in sluice.1 sluicectl.1 sluiced.conf.5 sluice-admin.7 sluiced.8; do
	[ -f "$src/man/$page" ] || { echo "FAIL: man/$page missing"; status=1; }
done
for page in "$src"/man/*.[1-9]; do
	out=$(mandoc -T lint -W warning "$page" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		echo "FAIL: $(basename "$page"): exit $rc"; echo "$out"; status=1
	else
		echo "ok: $(basename "$page")"
	fi
done
# Every command of sluiced's and sluice's tables has its .Cm line in the
# page's SYNOPSIS.
synopsis_has() {	# page, command
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$src/man/$1" | grep -qx "\.Cm $2"
}
commands() {	# source file: the names in its table of commands
	sed -n "/$2\[\] = {/,/^};/p" "$1" | sed -n 's/^[[:space:]]*{ "\([a-z-]*\)",.*/\1/p'
}
for pair in "daemon/main.c commands sluiced.8" "client/sluice.c subcommands sluice.1"; do
	set -- $pair
	names=$(commands "$src/$1" "$2")
	[ -n "$names" ] || { echo "FAIL: no table $2[] found in $1"; status=1; }
	for name in $names; do
		synopsis_has "$3" "$name" || { echo "FAIL: $3: $1's command $name is not in the SYNOPSIS"; status=1; }
	done
	[ -n "$names" ] && echo "ok: $3 names every command of $1:" $names
done
exit $status
