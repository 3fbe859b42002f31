#!/usr/bin/env bats
# rdb-install: options, validation before the server is touched, and the
# restore with AOF off, against a real redis-server 7.0.

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	snapshot_b 150
	dataset_a a 40
}

teardown() { common_teardown; }

@test "--help and --version; usage errors exit 2" {
	run -0 rdb-install --help
	assert_line --index 0 --partial "usage: rdb-install"
	run -0 rdb-install --version
	assert_output "rdb-install 0.1.0"
	run -2 --separate-stderr rdb-install --service x --start-cmd y
	assert_equal "${stderr_lines[0]}" "rdb-install: --service excludes --start-cmd and --stop-cmd"
	run -2 --separate-stderr rdb-install --timeout 0
	assert_equal "${stderr_lines[0]}" "rdb-install: --timeout: must be more than 0"
	run -2 --separate-stderr rdb-install a b
	assert_equal "${stderr_lines[0]}" "rdb-install: too many arguments"
}

@test "a missing config is refused" {
	run -1 --separate-stderr rdb-install -c "$T/nope.conf" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: config $T/nope.conf: No such file or directory"
}

@test "AOF off: B over A; the server holds exactly B, dump.rdb.old holds A" {
	rcli a SAVE >/dev/null
	cp "$RDIR/dump.rdb" "$T/a.rdb"
	cp "$RCONF" "$T/conf.before"
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-install: $RDIR/dump.rdb: restored $(redis_keys_in "$T/b.rdb") keys (RDB version 10)"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	cmp "$RDIR/dump.rdb.old" "$T/a.rdb"
	cmp "$RDIR/dump.rdb" "$T/b.rdb"
	cmp "$RCONF" "$T/conf.before"
	assert_no_file "$(journal_file "$RDIR")"
	assert_no_staged "$RDIR"
	# The .old of A is kept under a timestamped name by the next restore.
	rdb-install -q -c "$RCONF" "$T/a.rdb"
	[ "$(redis_digest a)" = "$A_DIGEST" ]
	cmp "$RDIR/dump.rdb.old" "$T/b.rdb"
	cmp "$RDIR"/dump.rdb.old.*Z "$T/a.rdb"
}

@test "AOF off from stdin, the server's dump missing before" {
	[ ! -e "$RDIR/dump.rdb" ]
	rdb-install -q -c "$RCONF" <"$T/b.rdb"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	assert_no_file "$RDIR/dump.rdb.old"
}

@test "as root the installed dump belongs to redis:redis; --owner and --no-chown" {
	[ "$(id -u)" = 0 ] || fail "this test needs root"
	rdb-install -q -c "$RCONF" "$T/b.rdb"
	[ "$(stat -c %U:%G "$RDIR/dump.rdb")" = redis:redis ]
	[ "$(stat -c %a "$RDIR/dump.rdb")" = 600 ]
	# The data dir must belong to the user the server runs as: given to
	# nobody, the server runs as nobody; with --no-chown, as root.  (The
	# server is stopped first: its user could not remove its pidfile from
	# a dir given away under it.)
	redis_stop a
	chown -R nobody:nogroup "$RDIR"
	rdb-install -q --owner nobody:nogroup -c "$RCONF" "$T/b.rdb"
	[ "$(stat -c %U:%G "$RDIR/dump.rdb")" = nobody:nogroup ]
	[ "$(ps -o user= -p "$(redis_pid a)")" = nobody ]
	redis_stop a
	chown root:root "$RDIR"
	rdb-install -q --no-chown -c "$RCONF" "$T/b.rdb"
	[ "$(stat -c %U:%G "$RDIR/dump.rdb")" = root:root ]
	[ "$(redis_digest a)" = "$B_DIGEST" ]
}

@test "the default start runs redis-server as redis, never as root; so does redis-check-rdb" {
	[ "$(id -u)" = 0 ] || fail "this test needs root"
	# redis-check-rdb through a shim (--check-rdb) that notes who runs it.
	mkdir -m 755 "$T/shim" "$T/who"
	chown redis "$T/who"
	printf '#!/bin/sh
id -un >"%s/who/checker"
exec %s "$@"
' "$T" 	    "$(command -v redis-check-rdb)" >"$T/shim/redis-check-rdb"
	chmod 755 "$T/shim/redis-check-rdb"
	rdb-install -q --check-rdb "$T/shim/redis-check-rdb" -c "$RCONF" "$T/b.rdb"
	[ "$(cat "$T/who/checker")" = redis ]
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	[ "$(ps -o user= -p "$(redis_pid a)")" = redis ]
	[ "$(stat -c %U:%G "$RDIR/redis.pid")" = redis:redis ]
}

@test "a data dir not owned by the server's user, or writable by others, is refused" {
	[ "$(id -u)" = 0 ] || fail "this test needs root"
	chown root:root "$RDIR"
	run -1 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: data dir $RDIR: owned by root, not by redis, the user the server runs as (see --owner)"
	run -1 --separate-stderr rdb-install --owner nobody -c "$RCONF" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: data dir $RDIR: owned by root, not by nobody, the user the server runs as (see --owner)"
	chown redis:redis "$RDIR"
	chmod 757 "$RDIR"
	run -1 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: data dir $RDIR: writable by others (mode 757)"
	chmod 750 "$RDIR"
	[ "$(redis_digest a)" = "$A_DIGEST" ]
	assert_no_file "$RDIR/dump.rdb"
}

@test "--progress draws a meter while staging; -q and the default off a terminal stay quiet" {
	run -0 --separate-stderr rdb-install --progress -q -c "$RCONF" "$T/b.rdb"
	assert_equal "$stderr" ""
	run -0 --separate-stderr rdb-install --progress -c "$RCONF" "$T/b.rdb"
	[[ "$stderr" == *"rdb-install: "*"/s  0:00"* ]] || fail "no meter: $stderr"
	assert_equal "${stderr_lines[${#stderr_lines[@]} - 1]}" "rdb-install: $RDIR/dump.rdb: restored $(redis_keys_in "$T/b.rdb") keys (RDB version 10)"
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	[[ "$stderr" != *"/s  "* ]] || fail "a meter off a terminal: $stderr"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
}

@test "-v reports each step and rename, and no password" {
	run -0 --separate-stderr rdb-install -v -c "$RCONF" "$T/b.rdb"
	# The checker beside the binary the server runs from.
	assert_equal "${stderr_lines[0]}" "rdb-install: checking with $(dirname "$(command -v redis-server)")/redis-check-rdb"
	assert_equal "${stderr_lines[1]}" "rdb-install: staged $T/b.rdb: RDB version 10, $(redis_keys_in "$T/b.rdb") keys, framing and CRC64 good"
	assert_equal "$output" ""
	for s in stop move install start verify; do
		[[ "$stderr" == *"rdb-install: step: $s"* ]] || fail "no step $s: $stderr"
	done
	[[ "$stderr" == *"rdb-install: $RDIR/.rdb-install.staged."????????????????" -> $RDIR/dump.rdb"* ]] || fail "$stderr"
}

@test "daemonize no: the default start runs redis-server detached, and it stays up" {
	rcli a SAVE >/dev/null
	sed -i 's/^daemonize yes$/daemonize no/' "$RCONF"
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	# Not our child any more: it has its own session.
	pid=$(redis_pid a)
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
}

@test "a dir reached through root's own symlink is followed" {
	ln -s "$RDIR" "$T/data-link"
	cp "$RCONF" "$T/link.conf"
	echo "dir $T/data-link" >>"$T/link.conf"
	run -0 --separate-stderr rdb-install -c "$T/link.conf" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: $RDIR/dump.rdb: restored $(redis_keys_in "$T/b.rdb") keys (RDB version 10)"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
}
