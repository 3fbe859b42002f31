#!/usr/bin/env bats
# aof-archive on a real redis-server 7.0 and a real Swift: the base and
# the chunks it stores, their plaintext as the stock tools read it, the
# chain across a kill -9 and a master restart, SIGTERM, usage errors, and
# a restore to a time by hand (Redis's own loader and redis-check-aof),
# against tests/lib/pitr-writer.py's oracle.

# rdbpipe: jobs 2
load test_helper

PITR=$RDBPIPE_TOP/tests/lib/pitr-writer.py
ARCH=test/src/archive

teardown() {
	if [ -n "${APID:-}" ] && pid_alive "$APID"; then kill -9 "$APID"; fi
	common_teardown
}

setup() {
	swift_start
	redis_start src "repl-ping-replica-period 1"
	SRC_SOCK=$RSOCK
	rdb-pack --keygen -o "$SCRATCH/key.txt" 2>/dev/null
	rdb-pack -y <"$SCRATCH/key.txt" >"$SCRATCH/recipients.txt"
	ALOG=$SCRATCH/archive.log
}

# Starts the archiver in the background (APID), its stderr in ALOG, and
# waits until it has N bases stored (default 1): writes after that are in
# the stream.
archive_start() {
	aof-archive -s "$SRC_SOCK" -R "$SCRATCH/recipients.txt" \
		--interval 1s "$@" test/src 2>>"$ALOG" &
	APID=$!
	wait_bases 1
}

wait_bases() {
	local i
	for i in $(seq 1 80); do
		[ "$(bases | wc -l)" -ge "$1" ] && return 0
		sleep 0.25
	done
	cat "$ALOG" >&2
	fail "no base $1 stored"
}

# Stops it with SIGTERM and checks that it exits 0.
archive_term() {
	local st=0
	kill -TERM "$APID"
	wait "$APID" || st=$?
	APID=
	[ "$st" = 0 ] || { cat "$ALOG" >&2; fail "aof-archive exited $st"; }
}

# The chunk names of the archive, in offset order.
chunks() { swift-ls "$ARCH/" | sed -n '/\.aof\./p'; }
bases() { swift-ls "$ARCH/" | sed -n '/\.base\./p'; }

# Waits (20 s at most) until a chunk of the master's current replication
# id (its newest base) reaches the master's offset now: everything written
# so far is stored.  (Names sort by replication id, not by time.)
wait_shipped() {
	local want i end dir info
	info=$(rcli src INFO replication | tr -d '\r')
	want=$(sed -n 's/^master_repl_offset://p' <<<"$info")
	dir=$ARCH/$(sed -n 's/^master_replid://p' <<<"$info")
	for i in $(seq 1 80); do
		end=$(chunks | sed -n "\\|^$dir/|p" | tail -n 1 |
			sed -n 's|.*/[0-9]*-0*\([0-9][0-9]*\)\..*|\1|p')
		[ -n "$end" ] && [ "$end" -ge "$want" ] && return 0
		sleep 0.25
	done
	cat "$ALOG" >&2
	chunks >&2
	fail "the archive did not reach offset $want (dir $dir, end $end)"
}

# Decrypts an object as the stock tools do: age -d -i key | zstd -d.
plain() { swift-get "$1" | age -d -i "$SCRATCH/key.txt" | zstd -q -d; }

# Checks that the chunks of the base named $1 form a chain from its
# offset: each starts at the previous END + 1, no offset twice.
assert_chain() {
	local base=$1 dir off prev start end n=0 c
	dir=${base%/*}
	off=$(basename "$base" | cut -d. -f1)
	prev=$((10#$off))
	for c in $(chunks | sed -n "\\|^$dir/|p"); do
		c=$(basename "$c")
		start=$((10#$(echo "$c" | cut -d- -f1)))
		end=$((10#$(echo "$c" | cut -d. -f1 | cut -d- -f2)))
		[ "$start" = $((prev + 1)) ] || fail "chain broken at $c: want start $((prev + 1))"
		[ "$end" -ge "$start" ] || fail "bad range $c"
		prev=$end n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "no chunk under $dir"
}

@test "base and chunks appear under their names; the plaintext has #TS and the trailer, no PING" {
	local base replid c p last
	archive_start
	rcli src SET a 1 >/dev/null
	sleep 1.2
	rcli src SET b 2 >/dev/null
	rcli src SELECT 2 >/dev/null
	wait_shipped
	archive_term
	run -0 bases
	base=$output
	assert_regex "$base" "^$ARCH/[0-9a-f]{40}/[0-9]{20}\.base\.[0-9]{8}T[0-9]{6}Z\.rdb\.zst\.age$"
	replid=$(echo "$base" | cut -d/ -f4)
	for c in $(chunks); do
		assert_regex "$c" "^$ARCH/$replid/[0-9]{20}-[0-9]{20}\.[0-9]{8}T[0-9]{6}Z-[0-9]{8}T[0-9]{6}Z\.aof\.zst\.age$"
	done
	assert_chain "$base"
	# The base is the master's RDB, as redis-check-rdb reads it.
	plain "$base" >"$SCRATCH/base.rdb"
	run -0 redis-check-rdb "$SCRATCH/base.rdb"
	# All chunks together: the SETs, each chunk's own #TS and trailer.
	for c in $(chunks); do
		plain "$c" >"$SCRATCH/c"
		head -c 4 "$SCRATCH/c" | grep -q '^#TS:' || fail "$c does not open with #TS"
		last=$(tail -n 1 "$SCRATCH/c")
		p=$(basename "$c" | cut -d. -f1)
		assert_equal "$last" "#rdbpipe:$replid:$p"$'\r'
		cat "$SCRATCH/c" >>"$SCRATCH/all"
	done
	run -1 grep -ai ping "$SCRATCH/all"
	run -1 grep -ai replconf "$SCRATCH/all"
	grep -q $'^\\*3\r$' "$SCRATCH/all"
	run -0 grep -ac $'^a\r$' "$SCRATCH/all"
	assert_output 1
	run -0 grep -ac $'^#TS:[0-9]*\r$' "$SCRATCH/all"
	[ "$output" -ge 2 ] || fail "one #TS per chunk at least: $output"
}

@test "kill -9 then a restart: PSYNC goes on, the chain stays continuous, no offset twice" {
	local base st
	archive_start
	rcli src SET a 1 >/dev/null
	wait_shipped
	kill -9 "$APID"
	st=0
	wait "$APID" || st=$?
	assert_equal "$st" 137
	rcli src SET b 2 >/dev/null
	sleep 1
	archive_start -v
	rcli src SET c 3 >/dev/null
	wait_shipped
	archive_term
	run -0 bases
	base=$output
	[ "$(echo "$base" | wc -l)" = 1 ] || fail "a second base: $base"
	assert_chain "$base"
	run -1 grep "new base" <(sed 1d "$ALOG")
	grep -q "^aof-archive: resuming [0-9a-f]\{40\} at offset [0-9]*$" "$ALOG"
	grep -q "^aof-archive: continuing [0-9a-f]\{40\} at offset [0-9]*$" "$ALOG"
	for c in $(chunks); do plain "$c"; done >"$SCRATCH/all"
	for k in a b c; do
		run -0 grep -ac $'^'"$k"$'\r$' "$SCRATCH/all"
		assert_output 1
	done
}

@test "a master restart: a new base, said so, and its own chain" {
	archive_start
	rcli src SET a 1 >/dev/null
	wait_shipped
	redis_stop src
	redis_start src "repl-ping-replica-period 1"
	wait_bases 2
	rcli src SET after 1 >/dev/null
	wait_shipped
	archive_term
	grep -q "^aof-archive: lost the connection to $SRC_SOCK: " "$ALOG"
	grep -q "^aof-archive: new base [0-9a-f]\{40\} at offset [0-9]* (the master could not continue [0-9a-f]\{40\} at offset [0-9]*)$" "$ALOG"
	for b in $(bases); do assert_chain "$b"; done
}

@test "SIGTERM closes and uploads the current chunk, then exits 0" {
	archive_start --interval 1h
	rcli src SET last 1 >/dev/null
	sleep 0.5
	run -0 chunks
	assert_output ""
	archive_term
	run -0 chunks
	[ "$(echo "$output" | wc -l)" = 1 ] || fail "want one chunk: $output"
	plain "$output" | grep -aq $'^last\r$'
}

@test "usage errors exit 2 with the reason, and nothing is stored" {
	run -2 --separate-stderr aof-archive -s "$SRC_SOCK" --no-encrypt
	assert_equal "${stderr_lines[0]}" "aof-archive: no PREFIX named"
	run -2 --separate-stderr aof-archive --no-encrypt --interval 0 test/src
	assert_equal "${stderr_lines[0]}" "aof-archive: --interval: must be at least 1s"
	run -2 --separate-stderr aof-archive --no-encrypt --chunk-size 1 test/src
	assert_equal "${stderr_lines[0]}" "aof-archive: --chunk-size: 1 is not between 1K and 1G"
	run -2 --separate-stderr aof-archive --no-encrypt a b
	assert_equal "${stderr_lines[0]}" "aof-archive: unexpected argument 'b'"
	run -2 --separate-stderr aof-archive -s "$SRC_SOCK" -p 1 --no-encrypt test/src
	assert_equal "${stderr_lines[0]}" "aof-archive: -s does not go with -h or -p"
	# No recipient: refused as rdb-pack refuses.
	run -2 --separate-stderr env -u RDB_PACK_RECIPIENTS_FILE aof-archive -s "$SRC_SOCK" test/src
	assert_equal "${stderr_lines[0]}" "aof-archive: no recipient (-r, -R), passphrase (--passphrase-file) or --no-encrypt: refusing to write plaintext"
	assert_equal "$output" ""
	run -1 --separate-stderr swift-ls "$ARCH/"
	assert_equal "$stderr" "swift-ls: database_backups: container not found"
}

@test "RDB_PACK_RECIPIENTS_FILE is the default, --metrics-file is written atomically" {
	RDB_PACK_RECIPIENTS_FILE=$SCRATCH/recipients.txt \
		aof-archive -s "$SRC_SOCK" --interval 1s --metrics-file "$SCRATCH/m.prom" \
		test/src 2>>"$ALOG" &
	APID=$!
	wait_bases 1
	rcli src SET a 1 >/dev/null
	wait_shipped
	sleep 1.2
	archive_term
	run -0 cat "$SCRATCH/m.prom"
	assert_line --regexp '^aof_archive_shipped_offset [0-9]+$'
	assert_line --regexp '^aof_archive_received_offset [0-9]+$'
	assert_line --regexp '^aof_archive_lag_bytes [0-9]+$'
	assert_line --regexp '^aof_archive_lag_seconds [0-9]+$'
	assert_line --regexp '^aof_archive_last_chunk_time_seconds [0-9]{10}$'
	assert_line 'aof_archive_bases_total 1'
	assert_line 'aof_archive_up 0'
	run -0 ls -A "$SCRATCH"
	refute_output --partial .aof-archive-metrics.
}

@test "restore to a time by hand: age -d | zstd -d, the manifest, redis-check-aof, Redis's loader" {
	local base dir t
	archive_start
	python3 "$PITR" write --sock "$SRC_SOCK" --log "$SCRATCH/w.log" --seconds 9 >/dev/null
	wait_shipped
	archive_term
	base=$(bases)
	# A quiet second inside the window: (T + 1) % 4 == 0.
	t=$(($(head -n 1 "$SCRATCH/w.log" | cut -d' ' -f1) + 2))
	while [ $(((t + 1) % 4)) != 0 ]; do t=$((t + 1)); done
	dir=$SCRATCH/restored/appendonlydir
	mkdir -p "$dir"
	plain "$base" >"$dir/appendonly.aof.1.base.rdb"
	for c in $(chunks); do plain "$c"; done >"$dir/appendonly.aof.1.incr.aof"
	printf 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n' \
		>"$dir/appendonly.aof.manifest"
	run -0 redis-check-aof --truncate-to-timestamp "$t" "$dir/appendonly.aof.manifest"
	redis_start restored "appendonly yes"
	python3 "$PITR" expect --log "$SCRATCH/w.log" --time "$t" >"$SCRATCH/want"
	python3 "$PITR" dump --sock "$RSOCK" >"$SCRATCH/got"
	[ -s "$SCRATCH/want" ] || fail "nothing written by $t"
	run -0 diff "$SCRATCH/want" "$SCRATCH/got"
	# And something was written after T, so the cut mattered.
	[ "$(tail -n 1 "$SCRATCH/w.log" | cut -d' ' -f1)" -gt "$t" ]
}
