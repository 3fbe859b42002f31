#!/usr/bin/env bash
# The bench data set: an RDB of at least 256 MiB written by a real
# redis-server, holding every common type with values that compress the way
# application data does (JSON-ish records, words, numbers, some random
# base64).  Built once from a fixed seed and cached in tests/bench/data/.
#
#   dataset.sh              prints the path of the RDB (building it if needed)
#   dataset.sh --serve DIR  starts a redis-server loaded with it in DIR
#                           (socket DIR/redis.sock, TCP port 0); prints the socket
#   dataset.sh --stop DIR   stops that server
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
data=$top/tests/bench/data
rdb=$data/bench.rdb
min=$((256 * 1024 * 1024))

# serve DIR [RDB]: a server on DIR with the RDB as its dump
serve() {
	local dir=$1 i
	mkdir -p "$dir"
	[ -z "${2:-}" ] || cp "$2" "$dir/dump.rdb"
	cat >"$dir/redis.conf" <<-EOF
	port 0
	unixsocket $dir/redis.sock
	unixsocketperm 700
	dir $dir
	pidfile $dir/redis.pid
	logfile $dir/redis.log
	daemonize yes
	save ""
	appendonly no
	EOF
	redis-server "$dir/redis.conf"
	for i in $(seq 1 1200); do
		[ "$(redis-cli -s "$dir/redis.sock" PING 2>/dev/null)" = PONG ] &&
			[ "$(redis-cli -s "$dir/redis.sock" INFO persistence 2>/dev/null |
				tr -d '\r' | sed -n 's/^loading://p')" = 0 ] && return 0
		sleep 0.1
	done
	echo "dataset.sh: redis-server in $dir did not come up" >&2
	return 1
}

stop() {
	local pid
	pid=$(cat "$1/redis.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

# RESP for N records from a fixed seed: deterministic, so every machine
# benches the same bytes.
generate() {
	python3 - "$1" "$2" <<-'EOF'
	import base64, random, sys
	start, n = int(sys.argv[1]), int(sys.argv[2])
	rnd = random.Random(start)
	words = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet "
	         "kilo lima mike november oscar papa quebec romeo sierra tango "
	         "uniform victor whiskey xray yankee zulu redis backup swift "
	         "stream cluster replica primary shard region zone user order "
	         "cart item price total status active pending shipped").split()
	out = sys.stdout.buffer
	def cmd(*a):
	    b = [b"*%d\r\n" % len(a)]
	    for x in a:
	        x = x if isinstance(x, bytes) else str(x).encode()
	        b.append(b"$%d\r\n%s\r\n" % (len(x), x))
	    out.write(b"".join(b))
	def text(k):
	    return " ".join(rnd.choice(words) for _ in range(k))
	for i in range(start, start + n):
	    r = i % 10
	    if r < 5:
	        v = ('{"id":%d,"name":"%s","email":"user%d@example.com",'
	             '"score":%d,"tags":["%s"],"note":"%s","token":"%s"}' % (
	             i, text(2), rnd.randrange(10**7), rnd.randrange(10**6),
	             '","'.join(text(1) for _ in range(3)), text(rnd.randrange(5, 30)),
	             base64.b64encode(rnd.randbytes(24)).decode()))
	        cmd("SET", "user:%d" % i, v)
	    elif r < 7:
	        f = []
	        for j in range(8):
	            f += ["f%d" % j, text(rnd.randrange(1, 6)) if j % 2 else rnd.randrange(10**9)]
	        cmd("HSET", "order:%d" % i, *f)
	    elif r == 7:
	        cmd("RPUSH", "log:%d" % (i % 50000), *[text(6) for _ in range(6)])
	    elif r == 8:
	        cmd("ZADD", "rank:%d" % (i % 20000),
	            *sum([[rnd.randrange(10**6), "m%d" % rnd.randrange(10**6)] for _ in range(8)], []))
	    else:
	        cmd("SADD", "set:%d" % (i % 30000), *["s%d" % rnd.randrange(10**7) for _ in range(8)])
	EOF
}

build() {
	local dir i=0 batch=400000 size=0
	mkdir -p "$data"
	dir=$(mktemp -d /tmp/rp-dataset.XXXXXX)
	serve "$dir"
	while [ "$size" -lt "$min" ]; do
		generate "$i" "$batch" | redis-cli -s "$dir/redis.sock" --pipe >/dev/null
		i=$((i + batch))
		redis-cli -s "$dir/redis.sock" SAVE >/dev/null
		size=$(stat -c %s "$dir/dump.rdb")
		echo "dataset.sh: $i records, $((size / 1048576)) MiB" >&2
	done
	mv "$dir/dump.rdb" "$rdb.tmp"
	stop "$dir"
	rm -rf "$dir"
	mv "$rdb.tmp" "$rdb"
}

case "${1:-}" in
--serve)
	[ -f "$rdb" ] || build
	serve "$2" "$rdb"
	echo "$2/redis.sock" ;;
--stop)
	stop "$2" ;;
"")
	[ -f "$rdb" ] || build
	echo "$rdb" ;;
*)
	echo "usage: dataset.sh [--serve DIR | --stop DIR]" >&2
	exit 2 ;;
esac
