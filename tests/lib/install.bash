# Helpers for the rdb-install suites (loaded after test_helper).
#
#   make_snapshot NAME N FILE   a throwaway server NAME with N-ish keys, its
#                               dump copied to FILE; sets SNAP_DIGEST
#   dir_state DIR               a listing with checksums of every file
#                               (what "not a file changed" compares)

make_snapshot() {
	local name=$1 n=$2 out=$3
	redis_start "$name"
	redis_populate "$name" "$n"
	SNAP_DIGEST=$(redis_digest "$name")
	rcli "$name" SAVE >/dev/null
	cp "$(redis_dir "$name")/dump.rdb" "$out"
	redis_stop "$name"
}

dir_state() {
	(cd "$1" && find . -path ./redis.sock -prune -o -print0 | sort -z |
		xargs -0 -I{} sh -c 'if [ -f "{}" ]; then
			printf "%s %s %s\n" "{}" "$(stat -c %a:%U "{}")" "$(sha256sum <"{}" | cut -c1-16)"
		else printf "%s %s\n" "{}" "$(stat -c %F:%a "{}")"; fi')
}

# The keys a server holds, all databases.
key_count() {
	rcli "$1" INFO keyspace | sed -n 's/^db[0-9]*:keys=\([0-9]*\).*/\1/p' |
		awk '{s += $1} END {print s + 0}'
}

# The keys in an RDB file, as redis-check-rdb counts them.
redis_keys_in() {
	redis-check-rdb "$1" | sed -n 's/^\[info\] \([0-9]*\) keys read$/\1/p'
}

# Starts NAME again from its config (as a reboot would) and waits for it.
redis_restart() {
	local name=$1 i
	redis_stop "$name"
	redis-server "$(redis_dir "$name")/redis.conf" || fail "redis-server $name did not start"
	for i in $(seq 1 400); do
		[ "$(rcli "$name" INFO persistence 2>/dev/null | tr -d '\r' | sed -n 's/^loading://p')" = 0 ] && return 0
		sleep 0.025
	done
	fail "redis-server $name did not come back"
}
