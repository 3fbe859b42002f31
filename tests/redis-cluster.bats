#!/usr/bin/env bats
# contrib/redis-backup and contrib/redis-restore on a Redis Cluster: three
# masters of the real redis-server on loopback, the real test Swift.

# rdbpipe: jobs 2
load test_helper
source "$RDBPIPE_TOP/tests/lib/backup.bash"
# The nodes run as redis over redis-owned dirs, as Debian runs them: the
# restore (rdb-install, as root) works on nothing else.  Its journal is
# kept in the test's own state dir.
source "$RDBPIPE_TOP/tests/lib/restore.bash"
source "$RDBPIPE_TOP/tests/lib/cluster.bash"

teardown() { common_teardown; }

setup() {
	# The parsers alone need no cluster.
	case $BATS_TEST_DESCRIPTION in *"CLUSTER NODES text"*) return 0 ;; esac
	swift_start
	local conf=()
	case $BATS_TEST_DESCRIPTION in
	*"with a password"*)
		# rcli takes the password from REDISCLI_AUTH.
		export REDISCLI_AUTH=cluster-secret
		conf+=("requirepass cluster-secret") ;;
	esac
	cluster_start "${conf[@]}"
	cluster_populate
	backup_env "$(redis_dir n1)/redis.sock" test/cl \
		"REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/key.txt" \
		REDIS_BACKUP_RETENTION=1d 'REDIS_BACKUP_PACK_ARGS="-T1 -3"'
}

backup() { "$RDBPIPE_TOP/contrib/redis-backup" -c "$ENVF" "$@"; }

assert_nothing_stored() {
	run swift-ls test/cl/
	if [ "$status" -ne 0 ]; then
		assert_output --regexp "^swift-ls: database_backups: container not found$"
	else
		assert_output ""
	fi
	run swift-ls -c database_backups_segments
	if [ "$status" -ne 0 ]; then
		assert_output --regexp "^swift-ls: database_backups_segments: container not found$"
	else
		assert_output ""
	fi
}

# The round trip, with the masters found as TOPO says (REDIS_BACKUP_CLUSTER_
# TOPOLOGY: auto, CLUSTER SHARDS on this Redis 7.0; nodes, CLUSTER NODES as
# before 7.0).
round_trip() {
	echo "REDIS_BACKUP_CLUSTER_TOPOLOGY=$TOPO" >>"$ENVF"
	local dir i node want=() stamp
	for i in 1 2 3; do
		want[i]=$(redis_digest "n$i")
		# Saves slow enough to be seen: at most 2 at once (the default).
		rcli "n$i" CONFIG SET rdb-key-save-delay 5000 >/dev/null
	done
	backup --verify >"$SCRATCH/out" 2>"$SCRATCH/err" &
	local pid=$! most=0 now pat
	# The snapshots running at once, counted by this run's rdb-snap
	# processes: a server's own save flag stays up a moment after its
	# reader has gone (a diskless sync's child ends on the next cron), so
	# it would count a finished one.
	pat="rdb-snap (-s $(redis_dir n1)/redis\.sock|-h 127\.0\.0\.1 -p (${PORT[2]}|${PORT[3]}) )"
	while kill -0 "$pid" 2>/dev/null; do
		# (pgrep exits 1, printing 0, when none runs)
		now=$(pgrep -fc "$pat") || [ "$?" -eq 1 ] || fail "pgrep failed"
		[ "$now" -le "$most" ] || most=$now
		sleep 0.05
	done
	wait "$pid" || fail "redis-backup failed: $(cat "$SCRATCH/err")"
	[ "$most" = 2 ] || fail "$most saves at once, not 2"
	for i in 1 2 3; do rcli "n$i" CONFIG SET rdb-key-save-delay 0 >/dev/null; done
	run -0 cat "$SCRATCH/out"
	dir=$output
	stderr=$(cat "$SCRATCH/err")
	assert_regex "$dir" '^test/cl/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z/$'
	[[ $stderr == *"verified the 3 shards under $dir"* ]] || fail "$stderr"
	if [ "$TOPO" = nodes ]; then
		[[ $stderr == *"redis-backup: finding the masters with CLUSTER NODES"* ]] || fail "$stderr"
	else
		[[ $stderr != *"CLUSTER NODES"* ]] || fail "$stderr"
	fi
	# One object per master, named by node id, and the manifest.
	run -0 swift-ls test/cl/
	assert_output "$(printf '%s\n' "${dir}${ID[1]}.rdb.zst.age" \
		"${dir}${ID[2]}.rdb.zst.age" "${dir}${ID[3]}.rdb.zst.age" \
		"${dir}manifest.json" | sort)"
	swift-get "${dir}manifest.json" >"$SCRATCH/manifest.json"
	stamp=${dir#test/cl/}
	run -0 jq -r '[.format, .version, .time, ."rdbpipe-version"] | @tsv' "$SCRATCH/manifest.json"
	assert_output "$(printf 'rdbpipe-redis-cluster-backup\t1\t%s\t%s' "${stamp%/}" \
		"$(rdb-pack --version | awk '{ print $2 }')")"
	run -0 jq -r '.shards[] | [."node-id", .address, (.slots | tostring), .keys,
		."rdb-version", .object, .size] | @tsv' "$SCRATCH/manifest.json"
	local slots=('' '[[0,5460]]' '[[5461,10922]]' '[[10923,16383]]') size
	local ranges=('' 0-5460 5461-10922 10923-16383)
	for i in 1 2 3; do
		size=$(swift-ls -l "${dir}${ID[i]}.rdb.zst.age" | awk '{ print $1 }')
		assert_line --index $((i - 1)) "$(printf '%s\t127.0.0.1:%s\t%s\t%s\t10\t%s\t%s' \
			"${ID[i]}" "${PORT[i]}" "${slots[i]}" "$(rcli "n$i" DBSIZE)" \
			"${ID[i]}.rdb.zst.age" "$size")"
	done

	for i in 1 2 3; do rcli "n$i" FLUSHALL >/dev/null; done
	# (Not $i: bats's run sets an i of its own.)
	for node in 1 2 3; do
		run -0 --separate-stderr restore_on "$node"
		[[ $stderr == *"cluster backup $dir: shard ${ID[node]} (slots ${ranges[node]})"* ]] ||
			fail "$stderr"
		if [ "$TOPO" = nodes ]; then
			[[ $stderr == *"redis-restore: reading the slot map with CLUSTER NODES"* ]] || fail "$stderr"
		fi
	done
	for i in 1 2 3; do
		cluster_ok "n$i" || fail "n$i: cluster_state not ok after the restore"
		[ "$(redis_digest "n$i")" = "${want[i]}" ] || fail "n$i: DEBUG DIGEST differs after the restore"
		# nodes.conf untouched: the node is the same member of the cluster.
		[ "$(rcli "n$i" CLUSTER MYID)" = "${ID[i]}" ] || fail "n$i: another node id"
	done
}

@test "a 3-master cluster: one redis-backup (2 masters at once), FLUSHALL everywhere, redis-restore on each node: every DEBUG DIGEST as before" {
	TOPO=auto round_trip
}

@test "the same round trip with the masters and slot maps from CLUSTER NODES (as before Redis 7.0): every DEBUG DIGEST as before" {
	TOPO=nodes round_trip
}

@test "a master killed mid-backup: exit 1 naming the node, nothing left in Swift" {
	echo "REDIS_BACKUP_PARALLEL=1" >>"$ENVF"
	# n3, the last in slot order, is slow to save: n1 and n2 are stored
	# by the time it goes away.
	rcli n3 CONFIG SET rdb-key-save-delay 20000 >/dev/null
	backup >"$SCRATCH/out" 2>"$SCRATCH/err" &
	local pid=$!
	redis_wait_saving n3 400
	run -0 swift-ls test/cl/
	assert_line --regexp "/${ID[1]}\.rdb\.zst\.age$"
	assert_line --regexp "/${ID[2]}\.rdb\.zst\.age$"
	rcli n3 SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	assert_exit "$pid" 1 redis-backup
	run cat "$SCRATCH/err"
	assert_output --partial "redis-backup: node ${ID[3]} (127.0.0.1:${PORT[3]}): backup failed at rdb-snap"
	assert_output --regexp "redis-backup: cluster backup failed: node ${ID[3]} \(127\.0\.0\.1:${PORT[3]}\); test/cl/[0-9T-]+Z/ removed"
	run cat "$SCRATCH/out"
	assert_output ""
	assert_nothing_stored
}

@test "a slot in migration: the backup refuses and says why, nothing stored; --dry-run; a bad REDIS_BACKUP_PARALLEL; the manifest refused" {
	# The plan: the node given as configured, the others over --sync.
	run -0 --separate-stderr backup --dry-run
	assert_line --index 0 --regexp "^rdb-snap -s $(redis_dir n1)/redis.sock .*\| swift-put .* test/cl/[0-9T-]+Z/${ID[1]}\.rdb\.zst\.age$"
	assert_line --index 1 --regexp "^rdb-snap -h 127\.0\.0\.1 -p ${PORT[2]} --sync .*/${ID[2]}\.rdb\.zst\.age$"
	assert_line --index 2 --regexp "^rdb-snap -h 127\.0\.0\.1 -p ${PORT[3]} --sync .*/${ID[3]}\.rdb\.zst\.age$"
	assert_line --index 3 --regexp "^swift-put .* test/cl/[0-9T-]+Z/manifest\.json$"
	env_refused "REDIS_BACKUP_PARALLEL=0" "redis-backup: REDIS_BACKUP_PARALLEL=0: the number of masters to back up at once, 1 or more" backup
	echo "REDIS_BACKUP_PARALLEL=2" >>"$ENVF"
	echo "REDIS_BACKUP_CLUSTER_TOPOLOGY=sometimes" >>"$ENVF"
	run -1 --separate-stderr backup
	assert_output ""
	assert_equal "$stderr" "redis-backup: REDIS_BACKUP_CLUSTER_TOPOLOGY=sometimes: auto, shards or nodes"
	run -1 --separate-stderr restore_on 1
	assert_equal "$stderr" "redis-restore: REDIS_BACKUP_CLUSTER_TOPOLOGY=sometimes: auto, shards or nodes"
	echo "REDIS_BACKUP_CLUSTER_TOPOLOGY=auto" >>"$ENVF"
	assert_nothing_stored

	# The manifest cannot be stored: the shards go too.
	swift_fault_start
	swift_fault 'status 503 count=forever method=PUT path=/manifest\.json$'
	echo "ST_AUTH=$ST_AUTH" >>"$ENVF"
	echo 'REDIS_BACKUP_PUT_ARGS="--retries 1"' >>"$ENVF"
	run -1 --separate-stderr backup
	[[ $stderr =~ "redis-backup: cannot store test/cl/"[0-9T-]+"Z/manifest.json; test/cl/"[0-9T-]+"Z/ removed" ]] ||
		fail "$stderr"
	swift_fault_clear
	assert_nothing_stored

	rcli n1 CLUSTER SETSLOT 100 MIGRATING "${ID[2]}" >/dev/null
	run -1 --separate-stderr backup
	assert_equal "$stderr" "redis-backup: slot 100 migrating from ${ID[1]} to ${ID[2]}: refusing to back up the cluster: during a migration a slot's keys may be in two shards, so the backup could hold some twice and miss others; finish the migration (or set REDIS_BACKUP_CLUSTER_MIGRATING=allow)"
	assert_nothing_stored
}

# The refusals, with the slot maps read as TOPO says.
mismatch() {
	local dir before _ pre=
	echo "REDIS_BACKUP_CLUSTER_TOPOLOGY=$TOPO" >>"$ENVF"
	[ "$TOPO" = auto ] || pre=$'redis-restore: reading the slot map with CLUSTER NODES\n'
	# n4, a replica of n1.
	redis_start n4 "port $(cluster_port)" "bind 127.0.0.1" "cluster-enabled yes" \
		"cluster-config-file nodes.conf" "repl-diskless-sync-delay 0"
	rcli n4 CLUSTER MEET 127.0.0.1 "${PORT[1]}" >/dev/null
	for _ in $(seq 200); do
		rcli n4 CLUSTER NODES | grep -q "^${ID[1]} " && break
		sleep 0.05
	done
	run -0 rcli n4 CLUSTER REPLICATE "${ID[1]}"
	assert_output OK
	for _ in $(seq 200); do
		rcli n4 INFO replication | grep -q '^master_link_status:up' && break
		sleep 0.05
	done
	rcli n4 INFO replication | grep -q '^master_link_status:up' || fail "n4 never synced"
	# ... and known to n1 as its replica, in its shard.
	local id4
	id4=$(rcli n4 CLUSTER MYID)
	for _ in $(seq 200); do
		rcli n1 --json CLUSTER SHARDS | jq -e --arg id "$id4" \
			'.[] | select(.slots | length > 0) | .nodes[] | select(.id == $id and .role == "replica")' \
			>/dev/null && break
		sleep 0.05
	done
	dir=$(backup -q)
	# Masters only: three objects and the manifest, whichever the path.
	run -0 jq -c '[.shards[] | [."node-id", .slots]]' < <(swift-get -q "${dir}manifest.json")
	assert_output "[[\"${ID[1]}\",[[0,5460]]],[\"${ID[2]}\",[[5461,10922]]],[\"${ID[3]}\",[[10923,16383]]]]"
	run -0 swift-ls "$dir"
	assert_output "$(printf '%s\n' "$dir${ID[1]}.rdb.zst.age" "$dir${ID[2]}.rdb.zst.age" \
		"$dir${ID[3]}.rdb.zst.age" "${dir}manifest.json" | sort)"
	run -1 --separate-stderr restore_on 4
	assert_equal "$stderr" "${pre}redis-restore: this node ($id4) is a replica: restore the masters; a replica copies its master"
	# n1 no longer holds what the backup holds: a restore would show.
	rcli n1 FLUSHALL >/dev/null
	before=$(redis_digest n1)
	run -1 --separate-stderr restore_on 1 --shard "${ID[2]}"
	[[ $stderr == *"redis-restore: shard ${ID[2]} of $dir holds slots 5461-10922, but this node (${ID[1]}) serves 0-5460: refusing to restore: its keys would be in slots this node does not serve (move the slots first)"* ]] ||
		fail "$stderr"
	[[ $stderr == *"redis-restore: this cluster's slot map (node, address, slots):
  ${ID[1]} 127.0.0.1:${PORT[1]} 0-5460 (this node)"* ]] || fail "$stderr"
	[[ $stderr == *"redis-restore: the slot map of $dir:"*"  ${ID[3]} 127.0.0.1:${PORT[3]} 10923-16383"* ]] ||
		fail "$stderr"
	[ "$(redis_digest n1)" = "$before" ] || fail "n1 changed"
	# Slots moved: n1 no longer serves slot 0.
	rcli n1 CLUSTER DELSLOTS 0 >/dev/null
	run -1 --separate-stderr restore_on 1
	[[ $stderr == *"redis-restore: this node (${ID[1]}) serves slots 1-5460, which no shard of $dir holds: refusing to restore; the topology differs (see --shard in redis-restore(8))"* ]] ||
		fail "$stderr"
	[[ $stderr == *"  ${ID[1]} 127.0.0.1:${PORT[1]} 0-5460"* ]] || fail "no backup map: $stderr"
	[ "$(redis_digest n1)" = "$before" ] || fail "n1 changed"
}

@test "a mismatched topology is refused with both slot maps; --shard of another node too; a replica is left out and refused; nothing changes" {
	TOPO=auto mismatch
}

@test "the same refusals with the slot maps from CLUSTER NODES (as before Redis 7.0)" {
	TOPO=nodes mismatch
}

@test "a backup without its manifest is never restored: the newest complete one is; a node that is down needs --shard" {
	local first second want
	want=$(redis_digest n2)
	first=$(backup -q)
	rcli n2 FLUSHALL >/dev/null
	sleep 1 # names carry the second
	second=$(backup -q)
	[ "$first" != "$second" ] || fail "one name for two runs"
	swift-rm "${second}manifest.json"
	run -1 --separate-stderr restore_on 2 "$second"
	assert_equal "$stderr" "redis-restore: $second: no manifest.json (swift-get: database_backups/${second}manifest.json: not found): without its manifest a cluster backup is incomplete and never restored"
	run -0 --separate-stderr restore_on 2
	[[ $stderr == *"cluster backup $first: shard ${ID[2]}"* ]] || fail "$stderr"
	[ "$(redis_digest n2)" = "$want" ] || fail "n2: not the complete backup"

	# A node that is down: its slots cannot be asked, --shard names them.
	rcli n2 FLUSHALL >/dev/null
	redis_stop n2
	run -1 --separate-stderr restore_on 2 "$first"
	assert_equal "$stderr" "redis-restore: the node is down (no answer on -s $(redis_dir n2)/redis.sock): its slots cannot be asked; name its shard with --shard ID"
	run -0 --separate-stderr restore_on 2 --shard "${ID[2]:0:12}" "$first"
	[[ $stderr == *"redis-restore: warning: the node is down: installing shard ${ID[2]} (slots 5461-10922) as --shard says, unchecked"* ]] ||
		fail "$stderr"
	cluster_ok n2 || fail "n2: cluster_state not ok after the restore"
	[ "$(redis_digest n2)" = "$want" ] || fail "n2: not restored with the node down"
	[ "$(rcli n2 CLUSTER MYID)" = "${ID[2]}" ] || fail "n2: another node id"
}

@test "a cluster with a password: every master backed up with REDIS_PASS_FILE, a node restored" {
	printf 'cluster-secret\n' >"$SCRATCH/pass"
	chmod 600 "$SCRATCH/pass"
	echo "REDIS_PASS_FILE=$SCRATCH/pass" >>"$ENVF"
	local want dir
	want=$(redis_digest n3)
	# Every master asks for it: n2 and n3 took it over --sync.  From the
	# file only: not from this environment.
	unset REDISCLI_AUTH
	run -0 --separate-stderr backup
	dir=$output
	run -0 swift-ls "$dir"
	assert_output "$(printf '%s\n' "$dir${ID[1]}.rdb.zst.age" "$dir${ID[2]}.rdb.zst.age" \
		"$dir${ID[3]}.rdb.zst.age" "${dir}manifest.json" | sort)"
	REDISCLI_AUTH=cluster-secret rcli n3 FLUSHALL >/dev/null
	run -0 --separate-stderr restore_on 3
	export REDISCLI_AUTH=cluster-secret
	run -0 rcli n3 CLUSTER MYID
	assert_output "${ID[3]}"
	[ "$(redis_digest n3)" = "$want" ] || fail "n3: DEBUG DIGEST differs after the restore"
}

# What Redis 6.x says (ID ADDR FLAGS MASTER PING PONG EPOCH LINK SLOT...):
# a replica (of a), a master with a range and a single slot and a hostname
# (b), one importing a slot (c, its own line would say so), a failed master
# whose slots a replica took over (d: no slot), the node asked migrating
# one (a, myself), and a failed master that still serves a slot (e: listed,
# so that the backup fails rather than miss it), with CRLF line ends.
NODES6='07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002,host-b master - 0 1426238316232 2 connected 5461-10920 10921
292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383 [10922-<-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]
6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 master,fail - 1426238316232 1426238316232 5 disconnected
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]
aaaa3923021cf3ffec47632106199cb7f496ce01 10.0.0.9:30006@31006 master,fail - 1426238316232 1426238316232 6 disconnected 10922'

@test "CLUSTER NODES text of Redis 6.x: the masters redis-backup finds and the slot map redis-restore reads; a bad line refused" {
	run -0 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" --parse-cluster-nodes \
		< <(sed 's/$/\r/' <<<"$NODES6")
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\t%s\t%s\t%s\t%s\n' \
		e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1 30001 online 0-5460 \
		67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1 30002 online 5461-10920,10921-10921 \
		aaaa3923021cf3ffec47632106199cb7f496ce01 10.0.0.9 30006 fail 10922-10922 \
		292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1 30003 online 10923-16383)"

	run -0 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" --parse-cluster-nodes \
		e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca <<<"$NODES6"
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\t%s\t%s\t%s\t%s\n' \
		07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004 0-5460 replica '' \
		67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002 5461-10920,10921-10921 master '' \
		292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003 10923-16383 master '' \
		6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005 '' master '' \
		e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001 0-5460 master '(this node)' \
		aaaa3923021cf3ffec47632106199cb7f496ce01 10.0.0.9:30006 10922-10922 master '')"

	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" --parse-cluster-nodes \
		<<<"67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 0 2 connected 5461-x"
	assert_output ""
	assert_equal "$stderr" "redis-backup: CLUSTER NODES: cannot read it: line 1: not a slot: 5461-x"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" --parse-cluster-nodes x <<<"garbage"
	assert_output ""
	assert_equal "$stderr" "redis-restore: CLUSTER NODES: cannot read it: line 1: not a CLUSTER NODES line: garbage"
}
