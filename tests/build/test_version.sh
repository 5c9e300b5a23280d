#!/bin/sh
# --version of each tool: exit 0, nothing on stderr, one line naming the tool,
# the project's VERSION and the libraries it links, at the versions pkg-config
# found them (the run-time library is the one the build found).
# Usage: test_version.sh BUILD-DIR VERSION LIBSSH OPENSSL LIBSODIUM SQLITE
set -eu
[ $# -eq 6 ] || { echo "usage: test_version.sh BUILD-DIR VERSION LIBSSH OPENSSL LIBSODIUM SQLITE" >&2; exit 2; }
bin=$1 version=$2
libs="libssh $3, OpenSSL $4, libsodium $5"
status=0
check() {	# tool, the line it must print
	out=$("$bin/$1" --version 2>"$bin/version.err") && rc=0 || rc=$?
	err=$(cat "$bin/version.err")
	if [ "$rc" -ne 0 ] || [ -n "$err" ] || [ "$out" != "$2" ]; then
		echo "FAIL: $1 --version: exit $rc, stderr [$err]"
		echo "  got:  [$out]"
		echo "  want: [$2]"
		status=1
	else
		echo "ok: $out"
	fi
}
check sluiced "sluiced $version ($libs, SQLite $6)"
check sluice "sluice $version ($libs)"
check sluicectl "sluicectl $version ($libs)"
# Where the option may stand: after the global flags, and with a config file
# that would be refused (the version is shown without reading it).
bad=$bin/version-bad.conf
echo "no such key = 1" >"$bad"
check_args() {	# tool, the line, args...
	t=$1 want=$2; shift 2
	out=$("$bin/$t" "$@" 2>&1) && rc=0 || rc=$?
	[ "$rc" -eq 0 ] && [ "$out" = "$want" ] || {
		echo "FAIL: $t $*: exit $rc: [$out]"; status=1; }
}
check_args sluicectl "sluicectl $version ($libs)" -H example.invalid -F "$bad" --version
check_args sluice "sluice $version ($libs)" -p 2222 --version
rm -f "$bin/version.err" "$bad"
exit $status
