#!/usr/bin/env bats
# rdb-install refuses a bad snapshot before the server is touched: the same
# server process keeps serving A and not a file in the data dir changes.

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	snapshot_b 100
	redis_start a
	redis_populate a 30
	rcli a SAVE >/dev/null
	A_DIGEST=$(redis_digest a)
	A_PID=$(redis_pid a)
	dir_state "$RDIR" >"$T/state.before"
	cp "$RCONF" "$T/conf.before"
}

# The free-space test mounts a tmpfs; a failure must not leave it behind.
teardown() {
	redis_stop_all
	umount "$(scratch)/small" 2>/dev/null || true
	common_teardown
}

# refused FILE MESSAGE: exit 1 with exactly MESSAGE, nothing changed
refused() {
	run -1 --separate-stderr rdb-install -c "$RCONF" "$1"
	assert_equal "$output" ""
	assert_equal "$stderr" "$2"
	untouched
}

# Redis's CRC-64-Jones, for hand-made files.
crc_fix() {
	python3 - "$1" <<'EOF'
import sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
crc = 0
for b in d[:-8]:
    crc ^= b
    for _ in range(8):
        crc = (crc >> 1) ^ (0x95ac9329ac4bc9b5 if crc & 1 else 0)
d[-8:] = crc.to_bytes(8, 'little')
open(p, 'wb').write(d)
EOF
}

@test "truncated input is refused, nothing changed" {
	size=$(stat -c %s "$T/b.rdb")
	head -c $((size / 2)) "$T/b.rdb" >"$T/half.rdb"
	refused "$T/half.rdb" "rdb-install: $T/half.rdb: truncated RDB: ends at offset $((size / 2)) before the EOF marker"
	head -c $((size - 1)) "$T/b.rdb" >"$T/short.rdb"
	run -1 rdb-install -c "$RCONF" "$T/short.rdb"
	untouched
}

@test "a flipped bit is refused, nothing changed" {
	cp "$T/b.rdb" "$T/flip.rdb"
	size=$(stat -c %s "$T/b.rdb")
	off=$((size - 20))
	printf "$(printf '\\%03o' $(( $(od -An -tu1 -j$off -N1 "$T/b.rdb") ^ 4 )))" |
		dd of="$T/flip.rdb" bs=1 seek=$off conv=notrunc status=none
	run -1 --separate-stderr rdb-install -c "$RCONF" "$T/flip.rdb"
	assert_equal "$output" ""
	[[ "$stderr" == "rdb-install: $T/flip.rdb: "* ]] || fail "$stderr"
	untouched
}

@test "empty and non-RDB input are refused, nothing changed" {
	: >"$T/empty"
	refused "$T/empty" "rdb-install: $T/empty: empty input: not an RDB file"
	head -c 5000 /dev/urandom >"$T/noise"
	run -1 --separate-stderr rdb-install -c "$RCONF" <"$T/noise"
	[[ "$stderr" == "rdb-install: <stdin>: not an RDB file"* ]] || fail "$stderr"
	untouched
	printf 'hello\n' >"$T/text"
	refused "$T/text" "rdb-install: $T/text: not an RDB file: too short"
}

@test "an RDB version newer than the server loads is refused" {
	cp "$T/b.rdb" "$T/v11.rdb"
	printf 'REDIS0011' | dd of="$T/v11.rdb" bs=1 conv=notrunc status=none
	crc_fix "$T/v11.rdb"
	refused "$T/v11.rdb" "rdb-install: $T/v11.rdb: RDB version 11 is newer than Redis 7.0.15 loads (10)"
}

@test "files from newer servers are refused for Debian's Redis 7.0 before the stop, naming both versions" {
	local v
	v=$(rcli a INFO server | tr -d '\r' | sed -n 's/^redis_version://p')
	refused "$FIXTURES/rdb-12/hfe-listpack-v12.rdb" \
		"rdb-install: $FIXTURES/rdb-12/hfe-listpack-v12.rdb: RDB version 12 is newer than Redis $v loads (10)"
	refused "$FIXTURES/rdb-12/synthetic-v13.rdb" \
		"rdb-install: $FIXTURES/rdb-12/synthetic-v13.rdb: RDB version 13 is newer than Redis $v loads (10)"
	refused "$FIXTURES/rdb-12/synthetic-valkey080.rdb" \
		"rdb-install: $FIXTURES/rdb-12/synthetic-valkey080.rdb: Valkey RDB version 80 cannot be loaded by Redis $v (only Valkey 9.0 and later load Valkey's own formats)"
}

@test "a Valkey VCS envelope is refused: nothing in it can be checked before the stop" {
	printf 'VCS\001\004\042\115\030\144\100' >"$T/vcs"
	head -c 5000 /dev/urandom >>"$T/vcs"
	refused "$T/vcs" "rdb-install: $T/vcs: a Valkey compressed stream (VCS envelope): rdb-install cannot check what is inside, so it does not install it"
}

@test "the checker beside the server's binary runs, not the first on PATH; --check-rdb overrides" {
	# A decoy redis-check-rdb first on PATH, which would pass anything
	# and leaves a mark when it runs (as the server's user).
	mkdir -p "$T/decoy" "$T/log"
	chmod 1777 "$T/log"
	printf '#!/bin/sh\necho "decoy $*" >>%s/log/decoy\nexit 0\n' "$T" >"$T/decoy/redis-check-rdb"
	chmod 755 "$T/decoy/redis-check-rdb"
	PATH=$T/decoy:$PATH refused "$FIXTURES/rdb/corrupt_empty_keys.rdb" \
		"rdb-install: redis-check-rdb rejects the snapshot: [offset 100] Unexpected EOF reading RDB file"
	[ ! -e "$T/log/decoy" ] || fail "the decoy on PATH ran: $(cat "$T/log/decoy")"
	# --check-rdb names the checker to run, and -v says which.
	run -0 --separate-stderr rdb-install -v -c "$RCONF" --check-rdb "$T/decoy/redis-check-rdb" "$T/b.rdb"
	[[ "$stderr" == *"rdb-install: checking with $T/decoy/redis-check-rdb"* ]] || fail "$stderr"
	run -0 cat "$T/log/decoy"
	assert_output --regexp "^decoy $RDIR/\.rdb-install\.staged\.[0-9a-f]{16}$"
	[ "$(redis_digest a)" = "$B_DIGEST" ] || fail "B was not restored"
}

@test "corrupt_empty_keys.rdb and corrupt_ziplist.rdb: refused by redis-check-rdb before the stop" {
	refused "$FIXTURES/rdb/corrupt_empty_keys.rdb" "rdb-install: redis-check-rdb rejects the snapshot: [offset 100] Unexpected EOF reading RDB file"
	run -1 --separate-stderr rdb-install -c "$RCONF" "$FIXTURES/rdb/corrupt_ziplist.rdb"
	assert_equal "$stderr" "rdb-install: redis-check-rdb rejects the snapshot: [offset 494] Internal error in RDB reading offset 0, function at rdb.c:2275 -> Hash ziplist integrity check failed."
	untouched
}

@test "every RDB of Redis's own that redis-check-rdb accepts installs and loads" {
	n=0
	for f in "$FIXTURES"/rdb/*.rdb; do
		redis-check-rdb "$f" >/dev/null 2>&1 || continue
		n=$((n + 1))
		keys=$(redis_keys_in "$f")
		run -0 --separate-stderr rdb-install -c "$RCONF" "$f"
		assert_equal "$stderr" "rdb-install: $RDIR/dump.rdb: restored $keys keys (RDB version $(head -c 9 "$f" | cut -c6- | sed 's/^0*//'))"
		[ "$(key_count a)" = "$keys" ] || fail "$f: $(key_count a) keys loaded, $keys in the file"
		cmp "$RDIR/dump.rdb" "$f"
	done
	[ "$n" = 6 ]
}

@test "not enough free space: refused before staging" {
	[ "$(id -u)" = 0 ] || fail "this test needs root"
	mkdir "$T/small"
	mount -t tmpfs -o size=64k tmpfs "$T/small" || fail "cannot mount a tmpfs"
	chown redis:redis "$T/small"
	chmod 750 "$T/small"
	redis_stop a
	sed -e "s|^dir .*|dir $T/small|" "$RCONF" >"$T/small.conf"
	runuser -u redis -- redis-server "$T/small.conf"
	for i in $(seq 1 400); do redis_ping a && break; sleep 0.025; done
	pid=$(redis_pid a)
	head -c 200000 /dev/zero >"$T/zeros"
	run -1 --separate-stderr rdb-install -c "$T/small.conf" "$T/zeros"
	[[ "$stderr" == "rdb-install: free space: $T/small has "*", the restore needs 195.3 KiB" ]] || fail "$stderr"
	[ -z "$(ls -A "$T/small")" ]
	[ "$(redis_pid a)" = "$pid" ]
	rcli a PING
	# From a pipe the size is unknown: the disk fills while staging, and
	# the staged file is removed.
	redis_start big
	rcli big DEBUG POPULATE 5000 k 64 >/dev/null
	rcli big SAVE >/dev/null
	[ "$(stat -c %s "$(redis_dir big)/dump.rdb")" -gt 100000 ]
	run -1 --separate-stderr bash -c "cat '$(redis_dir big)/dump.rdb' | rdb-install -c '$T/small.conf'"
	[[ "$stderr" == "rdb-install: <stdin>: write $T/small/.rdb-install.staged."????????????????": No space left on device" ]] || fail "$stderr"
	[ -z "$(ls -A "$T/small")" ]
	[ "$(redis_pid a)" = "$pid" ]
	redis_stop a
}

@test "--dry-run prints the plan and changes nothing" {
	run -0 --separate-stderr rdb-install --dry-run -c "$RCONF" "$T/b.rdb"
	assert_line --index 0 "config: $RCONF"
	assert_line "data dir: $RDIR"
	assert_line "stop: SHUTDOWN"
	assert_line "link: $RDIR/dump.rdb -> $RDIR/dump.rdb.old"
	assert_line "install: $RDIR/.rdb-install.staged.XXXXXXXXXXXXXXXX -> $RDIR/dump.rdb, owner redis:redis"
	assert_line "start: redis-server $RCONF"
	assert_equal "$stderr" ""
	untouched
	run -1 --separate-stderr rdb-install --dry-run -c "$RCONF" "$FIXTURES/rdb/rdb-preamble.aof"
	untouched
}

# hostile_conf LINE...: a copy of A's config with LINEs appended (the redis
# user may write the config: CONFIG REWRITE, Debian's /etc/redis 2770).
hostile_conf() {
	cp "$RCONF" "$T/h.conf"
	printf '%s\n' "$@" >>"$T/h.conf"
}

@test "names from the config that are not plain file names are refused, nothing changed" {
	local line name value
	for line in "dbfilename ../x" "dbfilename /etc/passwd" 'dbfilename ""' \
	    "dbfilename ." "dbfilename .." "dbfilename a/b" \
	    "appenddirname ../etc" "appenddirname .." 'appenddirname ""' \
	    "appendfilename x/y" "appendfilename ." 'appendfilename "a\nb"'; do
		hostile_conf "$line"
		name=${line%% *} value=${line#* }
		value=${value#\"} value=${value%\"}
		[ "$value" != 'a\nb' ] || value='a?b'
		run -1 --separate-stderr rdb-install -c "$T/h.conf" "$T/b.rdb"
		assert_equal "$output" ""
		assert_equal "$stderr" "rdb-install: config $T/h.conf: $name '$value': not a plain file name"
		untouched
	done
}

@test "an include that is a FIFO is refused at once, not waited on" {
	mkfifo "$T/fifo"
	hostile_conf "include $T/fifo"
	run -1 --separate-stderr timeout 20 rdb-install -c "$T/h.conf" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: config $T/fifo: not a regular file"
	untouched
}
