#!/bin/sh
# contrib/sluiced.service passes `systemd-analyze verify` with no output: its
# ExecStart binary (the build's sluiced, put in its place in a copy of the
# unit) and its Documentation= pages (the project's, on a MANPATH of their
# own) resolve, and every key and value is one systemd knows. The command
# line it runs is one sluiced accepts (not a usage error).
# Usage: test_unit.sh SOURCE-DIR BUILD-DIR
set -eu
src=${1:?usage: test_unit.sh SOURCE-DIR BUILD-DIR}
bin=${2:?usage: test_unit.sh SOURCE-DIR BUILD-DIR}
unit=$src/contrib/sluiced.service
for tool in systemd-analyze man; do
	command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps)"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
exec_start='ExecStart=/usr/sbin/sluiced run -d /var/lib/sluice'
grep -qx "$exec_start" "$unit" || { echo "FAIL: the unit does not say $exec_start"; exit 1; }
sed "s|^ExecStart=/usr/sbin/sluiced |ExecStart=$bin/sluiced |" "$unit" >"$tmp/sluiced.service"
for page in "$src"/man/*.[1-9]; do
	sect=${page##*.}
	mkdir -p "$tmp/man/man$sect"
	cp "$page" "$tmp/man/man$sect/"
done
out=$(cd "$tmp" && MANPATH=$tmp/man systemd-analyze verify ./sluiced.service 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
	echo "FAIL: systemd-analyze verify: exit $rc"; echo "$out"; status=1
else
	echo "ok: systemd-analyze verify is silent"
fi
# The unit's own command line, on a directory that does not exist: refused
# for the directory (exit 1), not for its words (exit 2).
out=$("$bin/sluiced" run -d "$tmp/no-such-dir" 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 1 ] || ! printf '%s\n' "$out" | grep -q "$tmp/no-such-dir/sluiced.conf"; then
	echo "FAIL: sluiced run -d DIR: exit $rc: $out"; status=1
else
	echo "ok: sluiced takes the unit's command line"
fi
exit $status
