#!/usr/bin/env bash
# swift-put and swift-get against curl and python-swiftclient on the
# loopback test Swift (tests/lib/swift.bash): wall time, throughput and
# peak RSS for a 1 GiB stream (BENCH_SWIFT_SIZE to change it).  The input
# is the bench RDB (tests/bench/dataset.sh) when there is one, else random
# bytes.  Prints markdown tables; measures only.
set -eu
top=${RDBPIPE_TOP:?}
source "$top/tests/bench/lib.sh"
bench_init bench-swift
source "$top/tests/lib/swift.bash"
trap 'swift_stop_all; rm -rf "$work"' EXIT

size=${BENCH_SWIFT_SIZE:-1073741824}
seg=64M
in=$work/in
if [ -x "$top/tests/bench/dataset.sh" ] && rdb=$("$top/tests/bench/dataset.sh" 2>/dev/null) &&
	[ -s "$rdb" ]; then
	# Repeat the RDB up to the size: a backup stream of realistic bytes.
	while [ "$(stat -c %s "$in" 2>/dev/null || echo 0)" -lt "$size" ]; do
		cat "$rdb" >>"$in"
	done
	truncate -s "$size" "$in"
	what="the bench RDB repeated"
else
	head -c "$size" /dev/urandom >"$in"
	what="random bytes"
fi
swift_start >/dev/null
swift_auth
C=bench

# run CMD: runs CMD (a shell string, stdin from $in, stdout discarded)
# under /usr/bin/time; prints "secs rss_kib"
run() {
	local t0 t1
	sync
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$work/rss" bash -c "$1" <"$in" >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; fail "failed: $1"; }
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $(tail -n 1 "$work/rss")"
}

# A loopback Swift on a shared 2-core VM varies by 10-20% from one run to
# the next: each command runs $rounds times, the commands of a table in
# turn (so that a slow minute hurts all of them alike), and the table
# shows the median time and the largest RSS.
rounds=${BENCH_SWIFT_ROUNDS:-3}

# table LABEL CMD [LABEL CMD]...: the rounds, then one row per command
# (bench_table).
table() {
	bench_table '
	    { t[NR] = $1; if ($2 > r) r = $2 }
	    END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		printf "| %s | %.2f s | %.1f MiB/s | %.1f MiB |\n",
		    l, m, s / m / 1048576, r / 1024 }' "$@"
}

# Removes an object and its segments between runs, so Swift's disk does not
# fill up.
clean() { swift-rm -q "$1" 2>/dev/null || true; }

auth="ST_AUTH=$ST_AUTH ST_USER=$ST_USER ST_KEY=$ST_KEY"
url=$SWIFT_STORAGE_URL/$C
hdr="X-Auth-Token: $SWIFT_TOKEN"
export SWIFT_CONTAINER=$C
swift_curl "$C" -X PUT -o /dev/null

echo
echo "Input: $((size / 1048576)) MiB of $what, $(nproc) cores, one-node Swift on loopback (tests/lib/swift.bash)."
echo "Segments of $seg for swift-put and swift upload; curl sends one chunked object."
echo
echo "### Upload from stdin (median of $rounds)"
echo
echo "| command | wall | throughput | peak RSS |"
echo "|---|---|---|---|"
# -f: each round replaces the object of the one before.
table "swift-put -S $seg" "swift-put -f -S $seg up" \
	"curl -T - (chunked, no segments, no ETag)" "curl -sf -T - -H '$hdr' '$url/curl'" \
	"swift upload --use-slo -S 64M (stdin)" "$auth swift upload --use-slo -S $((64 << 20)) $C - --object-name py"

echo
echo "### Download to stdout (median of $rounds)"
echo
echo "| command | wall | throughput | peak RSS |"
echo "|---|---|---|---|"
table "swift-get (MD5 per segment)" "swift-get up" \
	"curl (no check)" "curl -sf -H '$hdr' '$url/up'" \
	"swift download -o -" "$auth swift download $C up -o -"
clean up
clean curl
clean py
