#!/usr/bin/env bash
# swift-put and swift-get against curl and python-swiftclient on the
# loopback test Swift (tests/lib/swift.bash): wall time, throughput and
# peak RSS for a 1 GiB stream (BENCH_SWIFT_SIZE to change it).  The input
# is the bench RDB (tests/bench/dataset.sh) when there is one, else random
# bytes.  Prints markdown tables; measures only.
set -eu
top=${RDBPIPE_TOP:?}
work=$(mktemp -d /tmp/rp-bench-swift.XXXXXX)
SCRATCH=$work
scratch() { echo "$SCRATCH"; }
fail() { echo "bench-swift: $*" >&2; exit 1; }
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

row() {	# row LABEL secs rss
	awk -v l="$1" -v t="$2" -v r="$3" -v s="$size" 'BEGIN {
		printf "| %s | %.2f s | %.1f MB/s | %.1f MiB |\n",
		    l, t, s / t / 1048576, r / 1024 }'
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
echo "### Upload from stdin"
echo
echo "| command | wall | throughput | peak RSS |"
echo "|---|---|---|---|"
set -- $(run "swift-put -S $seg up")
row "swift-put -S $seg" "$@"
set -- $(run "curl -sf -T - -H '$hdr' '$url/curl'")
row "curl -T - (chunked, no segments, no ETag)" "$@"
set -- $(run "$auth swift upload --use-slo -S $((64 << 20)) $C - --object-name py")
row "swift upload --use-slo -S 64M (stdin)" "$@"

echo
echo "### Download to stdout"
echo
echo "| command | wall | throughput | peak RSS |"
echo "|---|---|---|---|"
set -- $(run "swift-get up")
row "swift-get (MD5 per segment)" "$@"
set -- $(run "curl -sf -H '$hdr' '$url/up'")
row "curl (no check)" "$@"
set -- $(run "$auth swift download $C up -o -")
row "swift download -o -" "$@"
clean up
clean curl
clean py
