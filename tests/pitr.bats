#!/usr/bin/env bats
# Point-in-time restore end to end, on a real redis-server and a real
# Swift: aof-archive follows a master under a steady write load
# (tests/lib/pitr-writer.py, whose own log is the oracle), redis-restore
# --to-time brings a second server back to a chosen second, and the
# restored server must hold exactly what the writer had written by then.
# Between restores the archive lives through what a night brings: the
# master restarted, the archiver killed, Swift unreachable, a chunk lost.

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"
source "$RDBPIPE_TOP/tests/lib/backup.bash"

REDIS_USER=redis
export RDB_INSTALL_STATE_DIR=$SCRATCH/state
WRITER=$RDBPIPE_TOP/tests/lib/pitr-writer.py

teardown() {
	archiver_stop
	common_teardown
}

setup() {
	swift_start
	# The master pings its replicas each second, so a quiet archive still
	# closes a chunk each second; it keeps its data over a restart; and it
	# sends the base at once (Redis 7 waits 5 s for more replicas).
	redis_start src "appendonly yes" "repl-ping-replica-period 1" \
		"repl-diskless-sync-delay 0"
	SRC_SOCK=$RSOCK
	redis_start dst "appendonly yes"
	DST_SOCK=$RSOCK
	# redis-restore's settings: the restore goes to dst.
	backup_env "$DST_SOCK" test/src "REDIS_CONF=$RCONF" \
		"REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/key.txt"
	LOG=$SCRATCH/writes.log
	: >"$LOG"
	NEXT=0
}

restore() { "$RDBPIPE_TOP/contrib/redis-restore" -c "$ENVF" "$@"; }

# archiver_start: aof-archive on the master, one-second chunks, in the
# background; its messages go to $SCRATCH/archive.err.
archiver_start() {
	aof-archive -s "$SRC_SOCK" -R "$SCRATCH/recipients.txt" --interval 1s \
		--metrics-file "$SCRATCH/metrics.prom" test/src \
		2>>"$SCRATCH/archive.err" &
	ARCH_PID=$!
}

archiver_stop() {
	[ -n "${ARCH_PID:-}" ] || return 0
	kill -TERM "$ARCH_PID" 2>/dev/null && wait "$ARCH_PID"
	local rc=$?
	ARCH_PID=
	return $rc
}

# writes SECONDS: the writer's numbered keys for that long, continuing the
# numbering of the writes before.
writes() {
	NEXT=$(python3 "$WRITER" write --sock "$SRC_SOCK" --log "$LOG" \
		--seconds "$1" --start "$NEXT") || fail "pitr-writer failed"
}

# quiet_time: the latest second T <= now - 1 with (T + 1) % 4 == 0 (the
# writer never writes in second T + 1, so T's edge is sharp).
quiet_time() {
	local t=$(($(date +%s) - 1))
	echo $((t - (t + 1) % 4))
}

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# wait_covered T: until the archive's listing shows T restorable.
wait_covered() {
	local i
	for i in $(seq 1 150); do
		run aof-fetch -i "$SCRATCH/key.txt" --list-times test/src
		# TO is the chain's last whole second.
		if [ "$status" -eq 0 ] && awk -v t="$(iso "$1")" \
		    '$4 >= t { f = 1 } END { exit !f }' <<<"$output"; then
			return 0
		fi
		sleep 0.2
	done
	fail "the archive never covered $(iso "$1"): $output"
}

# restored_to T: redis-restore to T, then dst must hold what the writer's
# log says the master held at T.
restored_to() {
	wait_covered "$1"
	run --separate-stderr restore --to-time "$(iso "$1")"
	[ "$status" -eq 0 ] ||
		fail "redis-restore --to-time $(iso "$1"): exit $status: $stderr"
	python3 "$WRITER" expect --log "$LOG" --time "$1" >"$SCRATCH/want"
	python3 "$WRITER" dump --sock "$DST_SOCK" >"$SCRATCH/got"
	[ -s "$SCRATCH/want" ] || fail "nothing written by $(iso "$1")"
	diff "$SCRATCH/want" "$SCRATCH/got" ||
		fail "restored to $(iso "$1"): not the master's data at that second"
}

@test "steady writes: three restores inside the window, each exactly its second" {
	local t1 t2 t3
	archiver_start
	writes 5
	t1=$(quiet_time)
	writes 4
	t2=$(quiet_time)
	writes 4
	t3=$(quiet_time)
	[ "$t1" -lt "$t2" ] && [ "$t2" -lt "$t3" ] || fail "times $t1 $t2 $t3"
	restored_to "$t2"
	restored_to "$t1"
	restored_to "$t3"
	archiver_stop
}

# metric NAME OP N: the archiver's metric NAME (its Prometheus textfile)
# compares to N with test's OP.
metric() {
	local v
	v=$(awk -v n="$1" '$1 == n { print $2 }' "$SCRATCH/metrics.prom")
	[ -n "$v" ] && [ "$v" "$2" "$3" ] || fail "metric $1 is '$v', not $2 $3"
}

# bases: one line per base in the listing.
bases() {
	run -0 aof-fetch -i "$SCRATCH/key.txt" --list-times test/src
	printf '%s\n' "$output"
}

# chain_names: the chunk objects, in offset order, as START END NAME.
chain_names() {
	swift-ls test/src/archive/ |
		sed -n 's|^\(.*/\([0-9]\{20\}\)-\([0-9]\{20\}\)\.[^/]*\.aof\.[^/]*\)$|\2 \3 \1|p'
}

# assert_one_chain: every chunk starts where the one before ended: no gap,
# no offset archived twice.
assert_one_chain() {
	chain_names >"$SCRATCH/chain"
	awk 'NR > 1 && $1 + 0 != prev + 1 { print "chunk " $3 " does not follow " pn; bad = 1 }
	     { prev = $2 + 0; pn = $3 } END { exit bad }' "$SCRATCH/chain" ||
		fail "the chain is broken: $(cat "$SCRATCH/chain")"
	[ -s "$SCRATCH/chain" ] || fail "no chunk archived"
}

@test "the master restarted: a new base; restores on either side of it are exact" {
	local t1 t2
	archiver_start
	writes 5
	t1=$(quiet_time)
	redis_restart src
	writes 6
	t2=$(quiet_time)
	run -0 grep -c "^aof-archive: new base " "$SCRATCH/archive.err"
	assert_output 2
	run -0 bases
	assert_equal "${#lines[@]}" 2
	restored_to "$t1"
	restored_to "$t2"
	archiver_stop
}

@test "the archiver killed -9 and Swift cut off: PSYNC goes on, chunks wait, nothing lost or doubled" {
	local t1 t2 t3 t4 rc
	swift_fault_start
	archiver_start
	writes 4
	t1=$(quiet_time)
	kill -KILL "$ARCH_PID"
	rc=0
	wait "$ARCH_PID" || rc=$?
	[ "$rc" -eq 137 ] || fail "the archiver ended $rc, not by the KILL"
	ARCH_PID=
	writes 3
	archiver_start
	writes 3
	t2=$(quiet_time)
	# The network to Swift cut for writes: every upload's connection drops.
	swift_fault 'drop-request 0 count=forever method=PUT'
	writes 5
	t3=$(quiet_time)
	# The archiver says it is behind, once, and its metrics show the lag.
	run -0 grep -c "^aof-archive: falling behind: " "$SCRATCH/archive.err"
	assert_output 1
	metric aof_archive_lag_bytes -gt 0
	metric aof_archive_lag_seconds -ge 3
	swift_fault_clear
	writes 3
	t4=$(quiet_time)
	archiver_stop
	# One base only: the restart continued the stream.
	run -0 grep -c "^aof-archive: new base " "$SCRATCH/archive.err"
	assert_output 1
	# Chunk uploads were cut, and the same chunks went in later.
	run -0 swift_fault_log
	assert_output --regexp "PUT [^ ]*\.aof\.zst\.age DROP "
	assert_output --regexp "PUT [^ ]*\.aof\.zst\.age 201 "
	assert_one_chain
	restored_to "$t1"
	restored_to "$t2"
	restored_to "$t3"
	restored_to "$t4"
}

@test "a chunk deleted or corrupted: a later time is refused naming it, an earlier one works" {
	local t1 t2 lost start
	archiver_start
	writes 5
	t1=$(quiet_time)
	writes 5
	t2=$(quiet_time)
	archiver_stop
	# A chunk that opened after t1 + 1 and closed by t2: needed for t2 only.
	chain_names >"$SCRATCH/chain"
	lost=$(awk -v a="$(date -u -d "@$((t1 + 2))" +%Y%m%dT%H%M%SZ)" \
	    '{ split($3, p, "."); split(p[2], t, "-"); if (t[1] >= a) { print; exit } }' "$SCRATCH/chain")
	[ -n "$lost" ] || fail "no chunk after $t1: $(cat "$SCRATCH/chain")"
	read -r start _ lost <<<"$lost"
	swift-get "$lost" >"$SCRATCH/lost.obj"
	swift-rm "$lost"
	run -1 --separate-stderr restore --to-time "$(iso "$t2")"
	assert_output ""
	assert_regex "$stderr" "test/src/archive/[0-9a-f]{40}: no chunk starts at offset $((10#$start)) \(chain ends at [-0-9T:]+Z\); cannot restore to $(iso "$t2")"
	restored_to "$t1"
	# Back, one byte changed: age refuses it, and the restore names it.
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-20] ^= 1; sys.stdout.buffer.write(b)' "$SCRATCH/lost.obj" | swift-put "$lost"
	run -1 --separate-stderr restore --to-time "$(iso "$t2")"
	assert_output ""
	[[ $stderr == *"$lost"* ]] || fail "the corrupt chunk is not named: $stderr"
	restored_to "$t1"
}
