#!/bin/sh
# The privilege split, enforced at link time: the parent and the session
# processes (libsluiced_session.a, with the IPC messages they share) must not
# call into the store, SQLite, the engine, the admin handlers, the payload
# area, the audit log or the master key's wrapping. A session process that is
# broken into then holds no code path to any of them.
# Usage: test_boundary.sh BUILD-DIR
set -eu
bin=${1:?usage: test_boundary.sh BUILD-DIR}
forbidden='^(sqlite3_|store_|st_|admin_|engine_|payloads_|audit_|extract_|mail_|schedule_|gate_|vfs_|init_)'
status=0
for lib in libsluiced_session.a libsluiced_ipc.a; do
	[ -f "$bin/$lib" ] || { echo "FAIL: $bin/$lib missing"; exit 1; }
	bad=$(nm -u "$bin/$lib" | awk '{print $2}' | grep -E "$forbidden" | sort -u || true)
	if [ -n "$bad" ]; then
		echo "FAIL: $lib calls across the boundary:"; echo "$bad"; status=1
	else
		echo "ok: $lib calls nothing of the store, SQLite or the engine"
	fi
done
# The check itself must be able to fail: the engine library does call them.
nm -u "$bin/libsluiced_engine.a" | awk '{print $2}' | grep -Eq '^sqlite3_|^store_' &&
	! nm -u "$bin/libsluiced_engine.a" | awk '{print $2}' | grep -q '^sqlite3_' ||
	{ echo "FAIL: the engine library should call the store, not SQLite"; status=1; }
nm -u "$bin/libsluiced_store.a" | awk '{print $2}' | grep -q '^sqlite3_' ||
	{ echo "FAIL: the store library shows no SQLite calls: the check is blind"; status=1; }
# The engine checks logins itself only with libssh's signature check wrapped
# (daemon/session/authwrap.h): sluiced carries libssh inside (no libssh.so)
# and the wrapper.
[ -x "$bin/sluiced" ] || { echo "FAIL: $bin/sluiced missing"; exit 1; }
if readelf -d "$bin/sluiced" | grep -q 'NEEDED.*libssh\.so'; then
	echo "FAIL: sluiced links libssh.so: the login proof wrapper is bypassed"
	status=1
elif ! nm "$bin/sluiced" | grep -q ' T __wrap_ssh_pki_signature_verify$'; then
	echo "FAIL: sluiced lacks the wrapper of libssh's signature check"
	status=1
else
	echo "ok: sluiced wraps libssh's signature check (static libssh)"
fi
exit $status
