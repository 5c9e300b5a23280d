#!/bin/sh
# The clients' --help names the config file they really read without -F:
# $XDG_CONFIG_HOME/sluice/TOOL.conf, else $HOME/.config/sluice/TOOL.conf, else
# says that none is read; sluice keygen --help names its default identity
# file the same way. Exact lines, exit 0, nothing on stderr.
# Usage: test_help.sh BUILD-DIR
set -eu
bin=${1:?usage: test_help.sh BUILD-DIR}
status=0
has() {	# description, the exact line, command...
	what=$1 line=$2; shift 2
	out=$("$@" 2>"$bin/help.err") && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$bin/help.err" ] || ! printf '%s\n' "$out" | grep -qxF -- "$line"; then
		echo "FAIL: $what: exit $rc, stderr [$(cat "$bin/help.err")], no line [$line] in:"
		printf '%s\n' "$out"; status=1
	else
		echo "ok: $what"
	fi
}
for tool in sluice sluicectl; do
	has "$tool, XDG_CONFIG_HOME" "  -F CONFIG       config file (default /xdg/sluice/$tool.conf)" \
		env HOME=/home/h XDG_CONFIG_HOME=/xdg "$bin/$tool" --help
	has "$tool, HOME" "  -F CONFIG       config file (default /home/h/.config/sluice/$tool.conf)" \
		env -u XDG_CONFIG_HOME HOME=/home/h "$bin/$tool" --help
	has "$tool, neither" "  -F CONFIG       config file (default none: neither XDG_CONFIG_HOME nor HOME is set)" \
		env -u XDG_CONFIG_HOME -u HOME "$bin/$tool" --help
done
has "sluice, Config line" "Config: /xdg/sluice/sluice.conf" \
	env XDG_CONFIG_HOME=/xdg "$bin/sluice" --help
has "sluicectl, Config line" "/home/h/.config/sluice/sluicectl.conf (KEY = VALUE lines); flags win." \
	env -u XDG_CONFIG_HOME HOME=/home/h "$bin/sluicectl" --help
has "sluice keygen" "from the config, else /home/h/.config/sluice/identity.txt;" \
	env -u XDG_CONFIG_HOME HOME=/home/h "$bin/sluice" keygen --help
rm -f "$bin/help.err"
exit $status
