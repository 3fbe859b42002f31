#!/usr/bin/env bats
# rdb-install with appendonly yes: the seed procedure, and the trap it
# avoids, against a real redis-server 7.0 (appendonlydir and manifest) and a
# legacy single-file AOF as Redis 6 leaves it.

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	snapshot_b 150
	B_KEYS=$(redis_keys_in "$T/b.rdb")
}

teardown() { common_teardown; }

start_a_with_aof() {
	dataset_a a 40 "appendonly yes"
	[ -f "$RDIR/appendonlydir/appendonly.aof.manifest" ]
}

@test "the trap: dump.rdb copied in with AOF on is ignored, the server comes up with A or empty" {
	start_a_with_aof
	redis_stop a
	cp "$T/b.rdb" "$RDIR/dump.rdb"
	redis_restart a
	[ "$(redis_digest a)" = "$A_DIGEST" ] || fail "expected A from the AOF"
	redis_stop a
	mv "$RDIR/appendonlydir" "$RDIR/aside"
	cp "$T/b.rdb" "$RDIR/dump.rdb"
	redis_restart a
	[ "$(key_count a)" = 0 ] || fail "expected an empty server"
	# ... and the next save overwrites the snapshot with nothing.
	rcli a SAVE >/dev/null
	[ "$(redis_keys_in "$RDIR/dump.rdb")" = 0 ]
}

@test "AOF on: B over A; B served, still B after a plain restart, config byte-identical" {
	start_a_with_aof
	cp "$RCONF" "$T/conf.before"
	cp -a "$RDIR/appendonlydir" "$T/aof.before"
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-install: $RDIR/dump.rdb: restored $B_KEYS keys (RDB version 10), AOF rewritten"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	cmp "$RCONF" "$T/conf.before"
	[ "$(rcli a CONFIG GET appendonly | tail -1)" = yes ]
	diff -r "$RDIR/appendonlydir.old" "$T/aof.before"
	[ -f "$RDIR/appendonlydir/appendonly.aof.manifest" ]
	[ "$(stat -c %U:%G "$RDIR/appendonlydir")" = redis:redis ]
	redis_restart a
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	assert_no_file "$(journal_file "$RDIR")"
	assert_no_file "$(conf_copy_file "$RDIR")"
}

@test "AOF on, the appendonly line in an include with quotes and CRLF: restored, every byte kept" {
	redis_start a
	redis_populate a 20
	redis_stop a
	printf '# included\r\n  appendonly   "yes"  \r\nappendfilename "my aof"\r\n' >"$RDIR/inc.conf"
	echo "include $RDIR/inc.conf" >>"$RCONF"
	redis_restart a
	[ "$(rcli a CONFIG GET appendonly | tail -1)" = yes ]
	cp "$RCONF" "$T/conf.before"
	cp "$RDIR/inc.conf" "$T/inc.before"
	rdb-install -q -c "$RCONF" "$T/b.rdb"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	cmp "$RCONF" "$T/conf.before"
	cmp "$RDIR/inc.conf" "$T/inc.before"
	[ -f "$RDIR/appendonlydir/my aof.manifest" ]
	redis_restart a
	[ "$(redis_digest a)" = "$B_DIGEST" ]
}

@test "legacy single-file AOF (Redis 6): moved aside, B served, and it does not come back" {
	redis_start a "appendonly yes"
	redis_stop a
	rm -rf "$RDIR/appendonlydir"
	printf '*3\r\n$3\r\nSET\r\n$6\r\nlegacy\r\n$1\r\n1\r\n' >"$RDIR/appendonly.aof"
	cp "$RDIR/appendonly.aof" "$T/legacy.aof"
	cp "$RCONF" "$T/conf.before"
	# The server is down, as after an upgrade from Redis 6.
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	[ "$(rcli a EXISTS legacy)" = 0 ]
	cmp "$RDIR/appendonly.aof.old" "$T/legacy.aof"
	assert_no_file "$RDIR/appendonly.aof"
	cmp "$RCONF" "$T/conf.before"
	redis_restart a
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	[ "$(rcli a EXISTS legacy)" = 0 ]
}

@test "AOF on, a password from the config (requirepass), never in argv or messages" {
	redis_start a "appendonly yes" "requirepass s3cret-pw"
	export REDISCLI_AUTH=s3cret-pw
	redis_populate a 10
	unset REDISCLI_AUTH
	run -0 --separate-stderr rdb-install -v -c "$RCONF" "$T/b.rdb"
	[[ "$stderr" != *s3cret* ]] || fail "the password leaked: $stderr"
	export REDISCLI_AUTH=s3cret-pw
	[ "$(redis_digest a)" = "$B_DIGEST" ]
	# A wrong password from the environment: refused before anything.
	REDISCLI_AUTH=wrong run -1 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	[[ "$stderr" == "rdb-install: AUTH on $RSOCK: WRONGPASS"* ]] || fail "$stderr"
	[[ "$stderr" != *wrong* ]] || fail "the password leaked: $stderr"
	# No password at all: refused before staging.
	sed '/requirepass/d' "$RCONF" >"$T/nopass.conf"
	run -1 --separate-stderr env -u REDISCLI_AUTH rdb-install -c "$T/nopass.conf" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: INFO server on $RSOCK: NOAUTH Authentication required."
	assert_no_staged "$RDIR"
	[ "$(redis_digest a)" = "$B_DIGEST" ]
}
