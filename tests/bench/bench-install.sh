#!/usr/bin/env bash
# rdb-install against the same seed procedure done by hand with redis-cli,
# on a dataset of BENCH_INSTALL_MB (default 256) MiB with AOF on.  Prints a
# markdown table: total wall time of each, Redis's own load and rewrite
# time inside it (from the server's log and INFO), and what is left: for
# the script, its polling; for rdb-install, staging, CRC64, redis-check-rdb
# and polling.
set -eu
mb=${BENCH_INSTALL_MB:-256}
T=$(mktemp -d /tmp/rp-bench.XXXXXX)
# rdb-install keeps its journal in a state dir of the bench's own.
export RDB_INSTALL_STATE_DIR=$T/state
trap 'redis-cli -s "$T/redis.sock" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; rm -rf "$T"' EXIT

cat >"$T/redis.conf" <<EOF
port 0
unixsocket $T/redis.sock
dir $T
pidfile $T/redis.pid
logfile $T/redis.log
daemonize yes
save ""
rdbcompression no
enable-debug-command yes
appendonly yes
EOF
cli() { redis-cli -s "$T/redis.sock" "$@"; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
field() { cli INFO persistence | tr -d '\r' | sed -n "s/^$1://p"; }
wait_up() {
	until [ "$(field loading 2>/dev/null)" = 0 ]; do sleep 0.1; done
}
wait_down() { while [ -e "$T/redis.pid" ] || [ -S "$T/redis.sock" ]; do sleep 0.1; done; }

# The snapshot: ~mb MiB of 1 KiB values.
redis-server "$T/redis.conf"
wait_up
[ "$(cli DEBUG POPULATE $((mb * 1024)) key 1024)" = OK ] || { echo "DEBUG POPULATE failed" >&2; exit 1; }
cli SAVE >/dev/null
mv "$T/dump.rdb" "$T/snap.rdb"
cli FLUSHALL >/dev/null
cli SET a-only 1 >/dev/null
size=$(du -m "$T/snap.rdb" | cut -f1)

# Redis's own time in its log from line mark on: the loads it reports,
# plus each AOF rewrite from "rewriting started" to "finished".
redis_secs() {
	tail -n +"$1" "$T/redis.log" | awk '
	function t(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
	/DB loaded from (disk|append only file): [0-9.]+ seconds/ {
		for (i = 1; i <= NF; i++) if ($i == "seconds") own += $(i - 1) }
	/Background append only file rewriting started/ { st = t($5) }
	/Background AOF rewrite finished successfully/ { if (st) own += t($5) - st; st = 0 }
	END { printf "%.2f", own }'
}

# The procedure by hand, as an operator's script would do it.
by_hand() {
	cli SHUTDOWN >/dev/null 2>&1 || true
	wait_down
	mv "$T/appendonlydir" "$T/appendonlydir.old.$1"
	cp "$T/snap.rdb" "$T/dump.rdb"
	sync "$T/dump.rdb"
	sed -i 's/^appendonly yes$/appendonly no/' "$T/redis.conf"
	redis-server "$T/redis.conf"
	wait_up
	cli CONFIG SET appendonly yes >/dev/null
	until [ "$(field aof_rewrite_in_progress)" = 0 ] &&
		[ "$(field aof_rewrite_scheduled)" = 0 ] &&
		[ -f "$T/appendonlydir/appendonly.aof.manifest" ]; do sleep 0.1; done
	cli SHUTDOWN >/dev/null 2>&1 || true
	wait_down
	sed -i 's/^appendonly no$/appendonly yes/' "$T/redis.conf"
	redis-server "$T/redis.conf"
	wait_up
}

echo "Dataset: $size MiB RDB ($((mb * 1024)) keys of 1 KiB), AOF on, $(nproc) CPUs."
echo
echo "| run | total s | Redis load + rewrite s | other s |"
echo "| --- | ---: | ---: | ---: |"
for round in 1 2; do
	mark=$(($(wc -l <"$T/redis.log") + 1))
	t0=$(now)
	by_hand "$round"
	t1=$(now)
	total=$(calc "$t1 - $t0")
	own=$(redis_secs "$mark")
	printf '| script with redis-cli | %.2f | %.2f | %.2f |\n' "$total" "$own" "$(calc "$total - $own")"
	rm -rf "$T"/appendonlydir.old* "$T"/dump.rdb.old*

	mark=$(($(wc -l <"$T/redis.log") + 1))
	t0=$(now)
	rdb-install -q --no-chown -c "$T/redis.conf" "$T/snap.rdb"
	t1=$(now)
	total=$(calc "$t1 - $t0")
	own=$(redis_secs "$mark")
	printf '| rdb-install | %.2f | %.2f | %.2f |\n' "$total" "$own" "$(calc "$total - $own")"
	rm -rf "$T"/appendonlydir.old* "$T"/dump.rdb.old*
done
t0=$(now)
redis-check-rdb "$T/snap.rdb" >/dev/null
t1=$(now)
printf '\nredis-check-rdb alone on the snapshot: %.2f s (rdb-install runs it before the stop).\n' "$(calc "$t1 - $t0")"
