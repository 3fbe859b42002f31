#!/usr/bin/env bash
# The continuous archive's costs, on a real redis-server and the loopback
# test Swift: aof-archive's CPU and peak RSS at steady write rates; the
# master's throughput (redis-benchmark) with and without the archiver
# following it; and the time a restore to a second takes for a base plus
# N chunks (aof-fetch, then the server's own redis-check-aof truncation
# and its load of the appendonlydir).  Prints markdown tables; measures
# only.
set -eu
top=${RDBPIPE_TOP:?}
work=$(mktemp -d /tmp/rp-barch.XXXXXX)
SCRATCH=$work
scratch() { echo "$SCRATCH"; }
fail() { echo "bench-archive: $*" >&2; exit 1; }
source "$top/tests/lib/swift.bash"
arch=
cleanup() {
	[ -z "$arch" ] || kill "$arch" 2>/dev/null || true
	for d in "$work"/m "$work"/r; do
		[ -f "$d/redis.pid" ] && kill "$(cat "$d/redis.pid")" 2>/dev/null || true
	done
	swift_stop_all
	rm -rf "$work"
}
trap cleanup EXIT

# server DIR [CONFIG-LINE]...: a throwaway redis-server on DIR/redis.sock
server() {
	local d=$1 i
	shift
	mkdir -p "$d"
	printf '%s\n' "port 0" "unixsocket $d/redis.sock" "dir $d" \
		"pidfile $d/redis.pid" "logfile $d/redis.log" "daemonize yes" \
		'save ""' "$@" >"$d/redis.conf"
	redis-server "$d/redis.conf"
	for i in $(seq 1 200); do
		redis-cli -s "$d/redis.sock" PING >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "redis-server in $d did not start"
}

# cpu_ticks PID: user + system clock ticks so far
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

swift_start >/dev/null
swift_auth
rdb-pack --keygen -o "$work/key.txt" 2>/dev/null
rdb-pack -y <"$work/key.txt" >"$work/recipients"
server "$work/m" "repl-ping-replica-period 1" "repl-backlog-size 64mb"
M=$work/m/redis.sock
redis-cli -s "$M" DEBUG POPULATE 200000 key 100 >/dev/null

archiver_start() {
	aof-archive -s "$M" -R "$work/recipients" --interval "$1" -q bench/m 2>>"$work/arch.err" &
	arch=$!
	# Until the base is stored: the stream is then flowing.
	for _ in $(seq 1 300); do
		swift-ls bench/m/archive/ 2>/dev/null | grep -q '\.base\.' && return 0
		sleep 0.1
	done
	fail "no base stored: $(cat "$work/arch.err")"
}
archiver_stop() { kill -TERM "$arch" && wait "$arch"; arch=; }

# writer RATE SECS: RATE SETs of 100 bytes a second, in one pipelined
# batch a second, for SECS seconds.
writer() {
	python3 - "$M" "$1" "$2" <<-'EOF'
	import socket, sys, time
	sock, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	s = socket.socket(socket.AF_UNIX); s.connect(sock)
	v = b"x" * 100
	n = 0
	t0 = time.time()
	for sec in range(secs):
	    out = []
	    for _ in range(rate):
	        k = b"w:%d" % n
	        n += 1
	        out.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n" % (len(k), k, v))
	    s.sendall(b"".join(out))
	    # One "\n" a reply: a byte cannot be split between two reads.
	    got = 0
	    while got < rate:
	        got += s.recv(1 << 20).count(b"\n")
	    time.sleep(max(0, t0 + sec + 1 - time.time()))
	EOF
}

echo
echo "aof-archive following a master at steady write rates (SET, 100-byte values, 5 s chunks packed"
echo "with zstd + age and uploaded as they close, 20 s a rate; CPU counted until the last chunk is stored):"
echo
echo "| writes/s | stream MB/s | archiver CPU % | archiver peak RSS (MiB) |"
echo "|---:|---:|---:|---:|"
hz=$(getconf CLK_TCK)
archiver_start 5s
for rate in 1000 10000 50000; do
	o0=$(redis-cli -s "$M" INFO replication | tr -d '\r' | sed -n 's/^master_repl_offset://p')
	c0=$(cpu_ticks "$arch")
	t0=$(date +%s.%N)
	writer "$rate" 20
	t1=$(date +%s.%N)
	# The last chunk closes within the interval and is packed and stored:
	# its CPU counts too, over the seconds the writes took.
	sleep 6
	c1=$(cpu_ticks "$arch")
	o1=$(redis-cli -s "$M" INFO replication | tr -d '\r' | sed -n 's/^master_repl_offset://p')
	rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$arch/status")
	awk -v r="$rate" -v o="$((o1 - o0))" -v c="$((c1 - c0))" -v hz="$hz" \
	    -v a="$t0" -v b="$t1" -v rss="$rss" 'BEGIN {
		d = b - a
		printf "| %d | %.2f | %.1f | %.1f |\n", r, o / d / 1048576, 100 * c / hz / d, rss / 1024 }'
done
archiver_stop

echo
echo "The master's throughput, redis-benchmark -t set,incr,lpush -n 300000 -P 16 -q (one client set), without and with the archiver:"
echo
echo "| archiver | SET rps | INCR rps | LPUSH rps |"
echo "|---|---:|---:|---:|"
bench() {
	redis-benchmark -s "$M" -t set,incr,lpush -n 300000 -P 16 -r 100000 -d 100 -q 2>/dev/null |
		tr '\r' '\n' | awk -F'[: ]+' '/requests per second/ { r[$1] = $2 }
		END { printf "%s | %s | %s |\n", r["SET"], r["INCR"], r["LPUSH"] }'
}
for round in 1 2; do
	printf '| none (round %d) | %s\n' "$round" "$(bench)"
	archiver_start 60s
	printf '| following (round %d) | %s\n' "$round" "$(bench)"
	archiver_stop
done

echo
echo "Restore to a second: a base (200 000 keys) plus N one-second chunks of 2000 SETs each;"
echo "aof-fetch (download, decrypt, verify, build the dir), redis-check-aof --truncate-to-timestamp, then the load:"
echo
echo "| chunks | incr MiB | aof-fetch s | truncate s | load s | total s |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in 10 60; do
	swift-ls bench/m/archive/ | xargs -r swift-rm >/dev/null
	archiver_start 1s
	writer 2000 "$n"
	sleep 2
	archiver_stop
	t=$(($(date +%s) - 2))
	iso=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)
	rm -rf "$work/r" "$work/pitr"
	a=$(date +%s.%N)
	aof-fetch -i "$work/key.txt" --to-time "$iso" -o "$work/pitr" bench/m
	b=$(date +%s.%N)
	redis-check-aof --truncate-to-timestamp "$t" "$work/pitr/appendonly.aof.manifest" >/dev/null
	c=$(date +%s.%N)
	mkdir -p "$work/r"
	mv "$work/pitr" "$work/r/appendonlydir"
	server "$work/r" "appendonly yes"
	for _ in $(seq 1 600); do
		[ "$(redis-cli -s "$work/r/redis.sock" INFO persistence | tr -d '\r' | sed -n 's/^loading://p')" = 0 ] && break
		sleep 0.05
	done
	d=$(date +%s.%N)
	kill "$(cat "$work/r/redis.pid")"
	inc=$(stat -c %s "$work/r/appendonlydir/appendonly.aof.1.incr.aof")
	awk -v n="$n" -v i="$inc" -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
		printf "| %d | %.1f | %.2f | %.2f | %.2f | %.2f |\n", n, i / 1048576, b - a, c - b, d - c, d - a }'
done
