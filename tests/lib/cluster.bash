# A Redis Cluster of three masters of the real redis-server on loopback,
# and redis-restore on one of its nodes (redis-cluster.bats,
# redis-cluster-pitr.bats).  Needs test_helper and restore_on needs ENVF.

# Three masters, n1 n2 n3, with the slots 0-5460, 5461-10922 and
# 10923-16383.
# PORT[i] and ID[i] are node i's.  Arguments: config lines for each.
cluster_start() {
	local i
	for i in 1 2 3; do
		PORT[i]=$(cluster_port)
		redis_start "n$i" "port ${PORT[i]}" "bind 127.0.0.1" \
			"cluster-enabled yes" "cluster-config-file nodes.conf" \
			"cluster-node-timeout 15000" "repl-diskless-sync-delay 0" "$@"
	done
	# What redis-cli --cluster create does, with the slots in this order.
	rcli n1 CLUSTER ADDSLOTSRANGE 0 5460 >/dev/null
	rcli n2 CLUSTER ADDSLOTSRANGE 5461 10922 >/dev/null
	rcli n3 CLUSTER ADDSLOTSRANGE 10923 16383 >/dev/null
	rcli n1 CLUSTER MEET 127.0.0.1 "${PORT[2]}" >/dev/null
	rcli n1 CLUSTER MEET 127.0.0.1 "${PORT[3]}" >/dev/null
	for i in 1 2 3; do
		ID[i]=$(rcli "n$i" CLUSTER MYID)
		cluster_ok "n$i" || fail "n$i: cluster_state not ok"
	done
}

# A free port whose cluster bus port (10000 higher) is free too.
cluster_port() {
	python3 -c '
import random, socket
while True:
	p = random.randrange(20000, 50000)
	try:
		for q in (p, p + 10000):
			s = socket.socket()
			s.bind(("127.0.0.1", q))
			s.close()
	except OSError:
		continue
	print(p)
	break'
}

cluster_ok() {
	local _
	for _ in $(seq 200); do
		rcli "$1" CLUSTER INFO | grep -q '^cluster_state:ok' && return 0
		sleep 0.05
	done
	return 1
}

# Keys of every type in every shard: hash tags picked by their slot, so
# that each node gets the keys it serves.
cluster_populate() {
	local t slot i tags=() node
	for t in $(seq 0 14); do tags+=("{t$t}"); done
	local -A cmds=()
	# Each tag's slot, in one call.
	t=0
	while read -r slot; do
		if [ "$slot" -le 5460 ]; then node=n1
		elif [ "$slot" -le 10922 ]; then node=n2
		else node=n3; fi
		for i in $(seq 1 20); do
			cmds[$node]+="SET ${tags[t]}:str:$i value-$i-$RANDOM
HSET ${tags[t]}:hash f$i v$i
RPUSH ${tags[t]}:list item$i
SADD ${tags[t]}:set m$i
ZADD ${tags[t]}:zset $i z$i
XADD ${tags[t]}:stream * n $i
"
		done
		cmds[$node]+="SET ${tags[t]}:expiring v EX 3600
"
		t=$((t + 1))
	done < <(for t in "${tags[@]}"; do echo "CLUSTER KEYSLOT $t"; done | rcli n1)
	for node in n1 n2 n3; do
		[ -n "${cmds[$node]:-}" ] || fail "$node: no tag of its slots"
		# Replies are counts, OK and stream ids: anything else is an
		# error (a MOVED would say the key is not the node's).
		printf '%s' "${cmds[$node]}" | rcli "$node" | grep -Ev '^([0-9]+|OK|[0-9]+-[0-9]+)$' &&
			fail "$node: errors filling it"
		[ "$(rcli "$node" DBSIZE)" -gt 0 ] || fail "$node holds no key"
	done
}

# restore_on N ARGS...: redis-restore with node N's socket and config.
restore_on() {
	local n=$1
	shift
	cp "$ENVF" "$SCRATCH/env.n$n"
	echo "REDIS_SOCKET=$(redis_dir "n$n")/redis.sock" >>"$SCRATCH/env.n$n"
	echo "REDIS_CONF=$(redis_dir "n$n")/redis.conf" >>"$SCRATCH/env.n$n"
	"$RDBPIPE_TOP/contrib/redis-restore" -c "$SCRATCH/env.n$n" "$@"
}
