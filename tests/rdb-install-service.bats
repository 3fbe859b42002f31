#!/usr/bin/env bats
# rdb-install --service NAME on a machine without systemd: it drives the
# server through service(8) and an init script, as Debian's sysvinit
# compatibility does.  The init script is the suite's own, installed into
# /etc/init.d for the test only (the suites run as root) and removed after.

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	[ ! -d /run/systemd/system ] || fail "systemd runs here: this suite drives service(8) without it"
	snapshot_b 150
	redis_start a "appendonly yes"
	redis_populate a 40
	A_DIGEST=$(redis_digest a)
	SVC=rdbpipe-test-${SCRATCH##*.}
	# The log of what service(8) was asked, to show rdb-install used it.
	cat >"/etc/init.d/$SVC" <<-EOF
	#!/bin/sh
	echo "\$1" >>"$T/service.log"
	case "\$1" in
	start) exec redis-server "$RCONF" ;;
	stop)
		pid=\$(cat "$RDIR/redis.pid" 2>/dev/null) || exit 0
		kill "\$pid" 2>/dev/null || exit 0
		# Until it has exited (a zombie waits for PID 1 to reap it).
		while [ "\$(awk '{ print \$3 }' /proc/\$pid/stat 2>/dev/null)" != "" ] &&
		    [ "\$(awk '{ print \$3 }' /proc/\$pid/stat 2>/dev/null)" != Z ]; do
			sleep 0.05
		done ;;
	*) exit 3 ;;
	esac
	EOF
	chmod 755 "/etc/init.d/$SVC"
}

teardown() {
	rm -f "/etc/init.d/$SVC"
	common_teardown
}

@test "--service NAME: stop and start go through service(8); B served with AOF on" {
	cp "$RCONF" "$T/conf.before"
	run -0 rdb-install -q -c "$RCONF" --service "$SVC" "$T/b.rdb"
	[ "$(redis_digest a)" = "$B_DIGEST" ] || fail "not B"
	cmp "$RCONF" "$T/conf.before"
	# stop, start with AOF off, stop after the rewrite, start.
	run cat "$T/service.log"
	assert_output "$(printf '%s\n' stop start stop start)"
}

@test "--service NAME whose start fails: rolled back, A served through the same service" {
	sed -i 's|start) exec redis-server|start) [ -f "'"$T"'/started-once" ] \|\| { touch "'"$T"'/started-once"; exit 1; }; exec redis-server|' "/etc/init.d/$SVC"
	run -1 --separate-stderr rdb-install -q -c "$RCONF" --service "$SVC" "$T/b.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: start: service: exit status 1"
	assert_equal "${stderr_lines[1]}" "rdb-install: rolled back: the old data and config are in place again and the server is up"
	[ "$(redis_digest a)" = "$A_DIGEST" ] || fail "A not back"
}
