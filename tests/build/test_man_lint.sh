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
exit $status
