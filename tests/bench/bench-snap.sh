#!/usr/bin/env bash
# rdb-snap against the usual ways to take a snapshot: `redis-cli --rdb -`
# and `redis-cli BGSAVE; poll LASTSAVE; cat dump.rdb`.  Prints markdown
# tables: latency on a tiny database, then wall time and peak RSS on the
# shared bench RDB (tests/bench/dataset.sh).  Measures only.
set -eu
top=${RDBPIPE_TOP:?}
work=$(mktemp -d /tmp/rp-bsnap.XXXXXX)
tiny=$work/tiny
big=$work/big
cleanup() {
	"$top/tests/bench/dataset.sh" --stop "$big" 2>/dev/null || true
	[ -f "$tiny/redis.pid" ] && kill "$(cat "$tiny/redis.pid")" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
RUNS=${BENCH_SNAP_RUNS:-3}

now() { date +%s.%N; }

# median of the numbers on stdin
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# timed OUT CMD...: runs CMD under /usr/bin/time with stdout to OUT;
# prints "secs rss_kib"
timed() {
	local out=$1 t0 t1
	shift
	t0=$(now)
	/usr/bin/time -f %M -o "$work/rss" "$@" >"$out"
	t1=$(now)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $(tail -n 1 "$work/rss")"
}

# The classic script: LASTSAVE before, BGSAVE, poll LASTSAVE every 0.1 s,
# then cat the dump.
classic() {
	local sock=$1 dump=$2 before
	before=$(redis-cli -s "$sock" LASTSAVE)
	redis-cli -s "$sock" BGSAVE >/dev/null
	while [ "$(redis-cli -s "$sock" LASTSAVE)" = "$before" ]; do sleep 0.1; done
	cat "$dump"
}
export -f classic

# one LABEL DISKLESS CMD...: one timed run of CMD, with the server's
# repl-diskless-sync set to DISKLESS first ("-": leave it); appends
# "label, secs, rss, bytes" to $work/raw
one() {
	local label=$1 diskless=$2 t r
	shift 2
	[ "$diskless" = - ] ||
		redis-cli -s "$sock" CONFIG SET repl-diskless-sync "$diskless" >/dev/null
	sync
	read -r t r < <(timed "$work/out" "$@")
	printf '%s\t%s\t%s\t%s\n' "$label" "$t" "$r" "$(stat -c %s "$work/out")" >>"$work/raw"
	rm -f "$work/out"
}

row() {	# row LABEL secs rss size best
	awk -v l="$1" -v t="$2" -v r="$3" -v o="$4" -v b="$5" 'BEGIN {
		printf "| %s | %.2f s | %.2fx | %.1f MB/s | %.1f MiB |\n",
		    l, t, t / b, o / t / 1048576, r / 1024 }'
}

# --- latency on a tiny database -------------------------------------
mkdir -p "$tiny"
cat >"$tiny/redis.conf" <<EOF
port 0
unixsocket $tiny/redis.sock
unixsocketperm 700
dir $tiny
pidfile $tiny/redis.pid
logfile $tiny/redis.log
daemonize yes
save ""
appendonly no
repl-diskless-sync-delay 0
EOF
redis-server "$tiny/redis.conf"
for i in $(seq 1 100); do
	[ "$(redis-cli -s "$tiny/redis.sock" PING 2>/dev/null)" = PONG ] && break
	sleep 0.05
done
for i in $(seq 1 100); do echo "SET key:$i value-$i"; done |
	redis-cli -s "$tiny/redis.sock" >/dev/null

tiny_median() {
	local i t0 t1
	for i in $(seq 1 20); do
		t0=$(now)
		"$@" >/dev/null 2>&1
		t1=$(now)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
	done | median
}

echo
echo "### Latency on a tiny database (100 keys), median of 20 runs"
echo
echo "| command | median wall |"
echo "|---|---|"
printf '| rdb-snap | %.3f s |\n' "$(tiny_median rdb-snap -s "$tiny/redis.sock")"
printf '| rdb-snap --sync (diskless, delay 0) | %.3f s |\n' \
	"$(tiny_median rdb-snap -s "$tiny/redis.sock" --sync)"
printf '| redis-cli --rdb - (diskless, delay 0) | %.3f s |\n' \
	"$(tiny_median redis-cli -s "$tiny/redis.sock" --rdb -)"

# --- the big data set ---------------------------------------------------
sock=$("$top/tests/bench/dataset.sh" --serve "$big")
size=$(stat -c %s "$big/dump.rdb")
mib=$(awk -v s="$size" 'BEGIN { printf "%.0f", s / 1048576 }')
# The transfer, not a configured wait: no diskless delay.
redis-cli -s "$sock" CONFIG SET repl-diskless-sync-delay 0 >/dev/null

: >"$work/raw"
# Rounds of every command in turn, so that a busy moment on the machine
# does not fall on one command's runs only.
for round in $(seq 1 "$RUNS"); do
	one "rdb-snap" - rdb-snap -s "$sock"
	one "redis-cli BGSAVE; poll LASTSAVE; cat" - bash -c 'classic "$0" "$1"' "$sock" "$big/dump.rdb"
	one "rdb-snap --sync (diskless)" yes rdb-snap -s "$sock" --sync
	one "redis-cli --rdb - (diskless)" yes redis-cli -s "$sock" --rdb -
	one "rdb-snap --sync (disk)" no rdb-snap -s "$sock" --sync
	one "redis-cli --rdb - (disk)" no redis-cli -s "$sock" --rdb -
done 2>/dev/null
# per command: the median time, the largest peak RSS, the output size
cut -f1 "$work/raw" | awk '!seen[$0]++' | while read -r label; do
	t=$(awk -F'\t' -v l="$label" '$1 == l { print $2 }' "$work/raw" | median)
	r=$(awk -F'\t' -v l="$label" '$1 == l && $3 > m { m = $3 } END { print m }' "$work/raw")
	z=$(awk -F'\t' -v l="$label" '$1 == l { z = $4 } END { print z }' "$work/raw")
	printf '%s\t%s\t%s\t%s\n' "$label" "$t" "$r" "$z"
done >"$work/rows"

best=$(grep '^redis-cli' "$work/rows" | cut -f2 | sort -g | head -1)
echo
echo "### Snapshot of a $mib MiB data set (median of $RUNS runs, output to a file)"
echo
echo "Ratio: against the fastest redis-cli way ($best s); the runs of all six"
echo "commands alternate. Peak RSS: the snapshot process (for the classic"
echo "script: the largest of its processes)."
echo
echo "| command | wall | ratio | throughput | peak RSS |"
echo "|---|---|---|---|---|"
while IFS=$'\t' read -r label t rss sz; do
	row "$label" "$t" "$rss" "$sz" "$best"
done <"$work/rows"

# against the tool doing the same work
tof() { awk -F'\t' -v l="$1" '$1 == l { print $2 }' "$work/rows"; }
echo
echo "Against the same method:"
echo
awk -v a="$(tof rdb-snap)" -v b="$(tof "redis-cli BGSAVE; poll LASTSAVE; cat")" \
	'BEGIN { printf "- rdb-snap / (BGSAVE; poll LASTSAVE; cat): %.2fx\n", a / b }'
awk -v a="$(tof "rdb-snap --sync (diskless)")" -v b="$(tof "redis-cli --rdb - (diskless)")" \
	'BEGIN { printf "- rdb-snap --sync / redis-cli --rdb -, diskless: %.2fx\n", a / b }'
awk -v a="$(tof "rdb-snap --sync (disk)")" -v b="$(tof "redis-cli --rdb - (disk)")" \
	'BEGIN { printf "- rdb-snap --sync / redis-cli --rdb -, disk-based: %.2fx\n", a / b }'
