# Helpers for the rdb-install suites (loaded after test_helper).  Their
# servers run as redis over a redis-owned data dir, as on Debian: the
# setting rdb-install (root) is built for.
#
#   make_snapshot NAME N FILE   a throwaway server NAME with N-ish keys, its
#                               dump copied to FILE; sets SNAP_DIGEST
#   snapshot_b N                T, a scratch dir, and snapshot B in
#                               $T/b.rdb (N-ish keys); sets B_DIGEST
#   dataset_a NAME N [LINE]...  server NAME (config LINEs) with dataset A:
#                               N-ish keys and only-in-a; sets A_DIGEST
#   dir_state DIR               a listing with checksums of every file
#                               (what "not a file changed" compares)
#   stop_then SCRIPT <<EOF     writes SCRIPT, a --stop-cmd that stops the
#                               server of $RDIR and then runs the lines
#                               on stdin (what a hostile redis user does
#                               while it is down)
#   swap_staged SCRIPT TARGET   stop_then SCRIPT, the lines putting a
#                               symlink to TARGET in the place of each
#                               staging file or dir
#   untouched                   server a refused a restore before its stop:
#                               the same process (A_PID) serves A
#                               (A_DIGEST), the data dir and the config are
#                               as in $T/state.before and $T/conf.before

REDIS_USER=redis

# rdb-install keeps its journal (and the config's copy) in a state dir only
# root can write; each test has its own.
export RDB_INSTALL_STATE_DIR=$SCRATCH/state

# journal_file DIR: the journal rdb-install keeps for data dir DIR (named
# by a hash of its path, device and inode).
journal_file() {
	local d=$1 key
	key=$(printf '%s:%s:%s' "$(stat -c %d "$d")" "$(stat -c %i "$d")" "$d" |
		sha256sum | cut -c1-32) || fail "journal_file $d"
	echo "$RDB_INSTALL_STATE_DIR/$key.journal"
}

# conf_copy_file DIR: where the copy of the config edited for DIR is kept.
conf_copy_file() {
	local j
	j=$(journal_file "$1")
	echo "${j%.journal}.conf"
}

# assert_no_staged DIR: no staging file (.rdb-install.staged.*) is left.
assert_no_staged() {
	local f
	for f in "$1"/.rdb-install.staged.*; do
		[ ! -e "$f" ] || fail "a staging file is left: $f"
	done
}

# stop_then SCRIPT: writes SCRIPT, a --stop-cmd that shuts the server of
# $RDIR down (socket $RSOCK), waits for its process to exit, then runs the
# shell lines given on stdin.
stop_then() {
	cat >"$1" <<-EOF
	#!/bin/sh
	pid=\$(cat "$RDIR/redis.pid")
	redis-cli -s "$RSOCK" SHUTDOWN >/dev/null 2>&1
	while kill -0 "\$pid" 2>/dev/null; do sleep 0.02; done
	EOF
	cat >>"$1"
	chmod +x "$1"
}

swap_staged() {
	stop_then "$1" <<-EOF
	for f in "$RDIR"/.rdb-install.staged.*; do
		runuser -u redis -- rm -rf "\$f"
		runuser -u redis -- ln -s "$2" "\$f"
	done
	EOF
}

make_snapshot() {
	local name=$1 n=$2 out=$3
	redis_start "$name"
	redis_populate "$name" "$n"
	SNAP_DIGEST=$(redis_digest "$name")
	rcli "$name" SAVE >/dev/null
	cp "$(redis_dir "$name")/dump.rdb" "$out"
	redis_stop "$name"
}

snapshot_b() {
	T=$(scratch)
	make_snapshot b "$1" "$T/b.rdb"
	B_DIGEST=$SNAP_DIGEST
}

dataset_a() {
	local name=$1 n=$2
	shift 2
	redis_start "$name" "$@"
	redis_populate "$name" "$n"
	rcli "$name" SET only-in-a 1 >/dev/null
	A_DIGEST=$(redis_digest "$name")
}

dir_state() {
	(cd "$1" && find . -path ./redis.sock -prune -o -print0 | sort -z |
		xargs -0 -I{} sh -c 'if [ -f "{}" ]; then
			printf "%s %s %s\n" "{}" "$(stat -c %a:%U "{}")" "$(sha256sum <"{}" | cut -c1-16)"
		else printf "%s %s\n" "{}" "$(stat -c %F:%a "{}")"; fi')
}

untouched() {
	[ "$(redis_pid a)" = "$A_PID" ] || fail "the server was restarted"
	[ "$(redis_digest a)" = "$A_DIGEST" ] || fail "the server's data changed"
	dir_state "$RDIR" >"$T/state.after"
	diff "$T/state.before" "$T/state.after" || fail "the data dir changed"
	cmp "$RCONF" "$T/conf.before"
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
	redis_server_as "$(redis_dir "$name")/redis.conf" || fail "redis-server $name did not start"
	for i in $(seq 1 400); do
		[ "$(rcli "$name" INFO persistence 2>/dev/null | tr -d '\r' | sed -n 's/^loading://p')" = 0 ] && return 0
		sleep 0.025
	done
	fail "redis-server $name did not come back"
}
