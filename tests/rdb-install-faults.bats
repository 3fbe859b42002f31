#!/usr/bin/env bats
# rdb-install rolls back when a step after the stop fails: the old files
# and the original config come back and the server serves A again.

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	snapshot_b 100
}

teardown() { common_teardown; }

# start_a [CONFIG-LINE]...: A with data, its config and files noted.
start_a() {
	dataset_a a 30 "$@"
	rcli a SAVE >/dev/null
	cp "$RCONF" "$T/conf.before"
	cp "$RDIR/dump.rdb" "$T/a.rdb"
}

# A start command that fails (MODE "exit 1") or does nothing (MODE
# "exit 0") the first time it runs, and starts the server after that.
start_script() {
	cat >"$T/start.sh" <<-EOF
	#!/bin/sh
	if [ ! -e "$T/once" ]; then touch "$T/once"; $1; fi
	exec redis-server "$RCONF"
	EOF
	chmod +x "$T/start.sh"
}

# A is back: its data served, its config byte for byte, its dump, nothing
# of ours left.
a_is_back() {
	[ "$(redis_digest a)" = "$A_DIGEST" ] || fail "A is not served"
	cmp "$RCONF" "$T/conf.before"
	cmp "$RDIR/dump.rdb" "$T/a.rdb"
	assert_no_file "$RDIR/dump.rdb.old"
	assert_no_file "$RDIR/appendonlydir.old"
	assert_no_file "$(journal_file "$RDIR")"
	assert_no_staged "$RDIR"
	assert_no_file "$(conf_copy_file "$RDIR")"
}

@test "a start command that fails: rolled back, A served (AOF off)" {
	start_a
	start_script "exit 1"
	run -1 --separate-stderr rdb-install -c "$RCONF" --start-cmd "$T/start.sh" "$T/b.rdb"
	assert_equal "$output" ""
	assert_equal "${stderr_lines[0]}" "rdb-install: start: $T/start.sh: exit status 1"
	assert_equal "${stderr_lines[1]}" "rdb-install: rolled back: the old data and config are in place again and the server is up"
	a_is_back
}

@test "a start command that fails: rolled back, A served (AOF on)" {
	start_a "appendonly yes"
	cp -a "$RDIR/appendonlydir" "$T/aof.before"
	start_script "exit 1"
	run -1 --separate-stderr rdb-install -c "$RCONF" --start-cmd "$T/start.sh" "$T/b.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: start: $T/start.sh: exit status 1"
	a_is_back
	[ "$(rcli a CONFIG GET appendonly | tail -1)" = yes ]
	redis_restart a
	[ "$(redis_digest a)" = "$A_DIGEST" ]
}

@test "a server that never comes up: rolled back after --timeout, A served" {
	start_a "appendonly yes"
	start_script "exit 0"
	run -1 --separate-stderr rdb-install -c "$RCONF" --timeout 2 --start-cmd "$T/start.sh" "$T/b.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: start: $RSOCK not up after 2 s: connect $RSOCK: No such file or directory"
	assert_equal "${stderr_lines[1]}" "rdb-install: rolled back: the old data and config are in place again and the server is up"
	a_is_back
}

@test "the default start failing (redis-server exits): rolled back, A served" {
	start_a
	# redis-server refuses a config with an unknown directive only at
	# start; put one after A is up, as a broken edit would.
	echo "no-such-directive yes" >>"$RCONF"
	cp "$RCONF" "$T/conf.before"
	run -1 --separate-stderr rdb-install -c "$RCONF" --timeout 10 "$T/b.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: start: redis-server $RCONF: exit status 1; rollback failed: redis-server $RCONF: exit status 1"
	assert_equal "${stderr_lines[1]}" "rdb-install: the journal $(journal_file "$RDIR") is kept: fix the cause, then run rdb-install again to finish or with --rollback to undo"
	[ -f "$(journal_file "$RDIR")" ]
	# Once the config is fixed, --rollback finishes the undo.
	sed -i '/no-such-directive/d' "$RCONF"
	cp "$RCONF" "$T/conf.before"
	run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
	assert_equal "$stderr" "rdb-install: rolled back: the old data and config are in place again and the server is up"
	a_is_back
}

@test "an AOF rewrite that fails (the server cannot create appendonlydir): rolled back, A served" {
	[ "$(id -u)" = 0 ] || fail "this test needs root"
	# The server runs as redis; the data dir is redis's but read-only
	# (550), so only the server's own writes there fail: mkdir of
	# appendonlydir.
	chmod 755 "$T"
	D=$T/data R=$T/run
	mkdir -p "$D/appendonlydir" "$R"
	chown redis:redis "$D" "$D/appendonlydir" "$R"
	cat >"$T/redis.conf" <<-EOF
	port 0
	unixsocket $R/redis.sock
	dir $D
	pidfile $R/redis.pid
	logfile $R/redis.log
	daemonize yes
	save ""
	appendonly yes
	enable-debug-command yes
	EOF
	START="runuser -u redis -- redis-server $T/redis.conf"
	$START
	echo "$R" >>"$(scratch)/redis-instances"
	s() { redis-cli -s "$R/redis.sock" "$@"; }
	for i in $(seq 1 400); do [ "$(s PING 2>/dev/null)" = PONG ] && break; sleep 0.025; done
	for i in $(seq 1 50); do s SET "a$i" "$i" >/dev/null; done
	A=$(s DEBUG DIGEST)
	chmod 550 "$D"
	cp "$T/redis.conf" "$T/conf.before"
	run -1 --separate-stderr rdb-install -c "$T/redis.conf" --start-cmd "$START" "$T/b.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: rewrite: CONFIG SET appendonly yes on $R/redis.sock: ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs."
	assert_equal "${stderr_lines[1]}" "rdb-install: rolled back: the old data and config are in place again and the server is up"
	grep -q "Can't open or create append-only dir appendonlydir: Permission denied" "$R/redis.log"
	[ "$(s DEBUG DIGEST)" = "$A" ]
	[ "$(s CONFIG GET appendonly | tail -1)" = yes ]
	cmp "$T/redis.conf" "$T/conf.before"
	assert_no_file "$D/dump.rdb"
	assert_no_file "$D/appendonlydir.old"
	assert_no_file "$(journal_file "$D")"
}
