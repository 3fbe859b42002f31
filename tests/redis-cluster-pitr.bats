#!/usr/bin/env bats
# Point-in-time restore of a Redis Cluster: one aof-archive per master,
# all under one PREFIX (each base says which slots it holds), then
# redis-restore --to-time on every master, on three masters of the real
# redis-server and the real test Swift.

load test_helper
source "$RDBPIPE_TOP/tests/lib/backup.bash"
# The nodes run as redis over redis-owned dirs, as rdb-install requires.
source "$RDBPIPE_TOP/tests/lib/restore.bash"
source "$RDBPIPE_TOP/tests/lib/cluster.bash"

S1=0-5460 S2=5461-10922 S3=10923-16383

teardown() {
	local i
	for i in 1 2 3; do archiver_stop "$i" || :; done
	common_teardown
}

setup() {
	swift_start
	# Each master pings its replicas each second, so a quiet archive
	# still closes a chunk each second, and sends the base at once.
	cluster_start "repl-ping-replica-period 1"
	cluster_populate
	backup_env "$(redis_dir n1)/redis.sock" test/cl \
		"REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/key.txt"
}

# archiver_start N: aof-archive on node N, one-second chunks, in the
# background; its messages go to $SCRATCH/archive.N.
archiver_start() {
	aof-archive -s "$(redis_dir "n$1")/redis.sock" -R "$SCRATCH/recipients.txt" \
		--interval 1s test/cl 2>>"$SCRATCH/archive.$1" &
	APID[$1]=$!
}

# archiver_stop N: SIGTERM, and it must exit 0.
archiver_stop() {
	[ -n "${APID[$1]:-}" ] || return 0
	kill -TERM "${APID[$1]}" 2>/dev/null && wait "${APID[$1]}"
	local rc=$?
	APID[$1]=
	return $rc
}

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# batch NAME: 30 keys NAME:i in each shard, each node writing its own
# (hash tags picked by their slot, as cluster_populate does).
batch() {
	local t slot node i
	local -A cmds=()
	for t in $(seq 0 29); do
		slot=$(rcli n1 CLUSTER KEYSLOT "{$1$t}")
		if [ "$slot" -le 5460 ]; then node=n1
		elif [ "$slot" -le 10922 ]; then node=n2
		else node=n3; fi
		cmds[$node]+="SET {$1$t}:$1 $t
"
	done
	for node in n1 n2 n3; do
		printf '%s' "${cmds[$node]}" | rcli "$node" | grep -qv '^OK$' &&
			fail "$node: errors writing batch $1"
	done
	return 0
}

# wait_covered T: until every shard's archive restores to T.
wait_covered() {
	local i s
	for i in $(seq 1 100); do
		for s in $S1 $S2 $S3; do
			aof-fetch --slots "$s" --list-times test/cl 2>/dev/null |
				awk -v t="$(iso "$1")" '$4 >= t { f = 1 } END { exit !f }' ||
				{ sleep 0.1; continue 2; }
		done
		return 0
	done
	fail "the archive never covered $(iso "$1")"
}

# keys N: node N's keys, sorted.
keys() { rcli "n$1" KEYS '*' | sort; }

@test "every master restored to T between two write batches: each holds exactly its keys up to T" {
	local t i want=()
	for i in 1 2 3; do archiver_start "$i"; done
	batch a
	t=$(date +%s)
	# What each node holds at T (nothing is written in T + 1).
	for i in 1 2 3; do
		want[i]=$(redis_digest "n$i")
		keys "$i" >"$SCRATCH/want.$i"
	done
	while [ "$(date +%s)" -le $((t + 1)) ]; do sleep 0.05; done
	batch b
	wait_covered "$t"
	for i in 1 2 3; do archiver_stop "$i" || fail "aof-archive on n$i: exit $?"; done
	# One base per master under one PREFIX, each with its slots.
	run -0 aof-fetch --list-times test/cl
	assert_equal "$(awk '{ print $5, $6 }' <<<"$output" | sort)" "$(printf 'slots %s\n' $S1 $S2 $S3 | sort)"
	run -0 aof-fetch --slots 5461-10922 --list-times test/cl
	assert_equal "${#lines[@]}" 1
	assert_equal "$(awk '{ print $5, $6 }' <<<"$output")" "slots $S2"
	# redis-restore --list-times lists each shard's.
	run -0 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$ENVF" --list-times
	assert_equal "$(awk '{ print $6 }' <<<"$output" | sort)" "$(printf '%s\n' $S1 $S2 $S3 | sort)"
	for i in 1 2 3; do rcli "n$i" FLUSHALL >/dev/null; done
	for i in 1 2 3; do
		run -0 --separate-stderr restore_on "$i" -q --to-time "$(iso "$t")"
		assert_equal "$stderr" ""
	done
	for i in 1 2 3; do
		keys "$i" >"$SCRATCH/got.$i"
		diff "$SCRATCH/want.$i" "$SCRATCH/got.$i" || fail "n$i: not its keys at T"
		grep -q ':a$' "$SCRATCH/got.$i" || fail "n$i: no key of batch a"
		run ! grep ':b$' "$SCRATCH/got.$i"
		assert_equal "$(redis_digest "n$i")" "${want[i]}"
		assert_equal "$(rcli "n$i" CLUSTER MYID)" "${ID[i]}"
	done
	for i in 1 2 3; do cluster_ok "n$i" || fail "n$i: cluster_state not ok"; done
}

@test "a node whose slots no base holds, a node down: refused, named" {
	local t
	archiver_start 3
	t=$(date +%s)
	wait_covered_one() {
		local i
		for i in $(seq 1 100); do
			aof-fetch --slots "$S3" --list-times test/cl 2>/dev/null |
				awk -v t="$(iso "$t")" '$4 >= t { f = 1 } END { exit !f }' && return 0
			sleep 0.1
		done
		fail "never covered"
	}
	wait_covered_one
	archiver_stop 3 || fail "aof-archive: exit $?"
	# n1's slots have no archive.
	run -1 --separate-stderr restore_on 1 -q --to-time "$(iso "$t")"
	assert_equal "$stderr" "aof-fetch: test/cl/archive/: no base of slots $S1
redis-restore: restore to $(iso "$t") failed at aof-fetch (exit 1)"
	# n3 gave up a slot since: its archive is not this node's shard.
	rcli n3 CLUSTER DELSLOTS 16383 >/dev/null
	run -1 --separate-stderr restore_on 3 -q --to-time "$(iso "$t")"
	assert_equal "$stderr" "aof-fetch: test/cl/archive/: no base of slots 10923-16382
redis-restore: restore to $(iso "$t") failed at aof-fetch (exit 1)"
	# A node that is down cannot be asked its slots.
	redis_stop n2
	run -1 --separate-stderr restore_on 2 -q --to-time "$(iso "$t")"
	assert_equal "$stderr" "redis-restore: --to-time: the node is down (no answer on -s $(redis_dir n2)/redis.sock): its slots cannot be asked; start it first"
}

@test "aof-fetch --slots: bad ranges are usage errors; an archiver on a node without slots refuses" {
	run -2 --separate-stderr aof-fetch --slots 0-16384 --list-times test/cl
	assert_equal "${stderr_lines[0]}" "aof-fetch: --slots: bad slot ranges '0-16384': want N or N-M (0 to 16383), comma-separated"
	run -2 --separate-stderr aof-fetch --slots '' --list-times test/cl
	assert_equal "${stderr_lines[0]}" "aof-fetch: --slots: bad slot ranges '': no slot"
	run -2 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$ENVF" --to-time 2026-12-02T06:00:00Z --shard "${ID[1]}"
	assert_equal "${stderr_lines[0]}" "redis-restore: --to-time does not take --shard"
	rcli n3 CLUSTER DELSLOTSRANGE 10923 16383 >/dev/null
	run -1 --separate-stderr aof-archive -s "$(redis_dir n3)/redis.sock" --no-encrypt test/cl
	assert_equal "$stderr" "aof-archive: $(redis_dir n3)/redis.sock: cluster node ${ID[3]} serves no slot: nothing to archive"
	# Nothing stored (not even the container).
	run -1 swift-ls test/cl/
	assert_output "swift-ls: database_backups: container not found"
}
