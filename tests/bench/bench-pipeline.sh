#!/usr/bin/env bash
# The whole backup and restore, on a redis-server loaded with the bench RDB
# (tests/bench/dataset.sh --serve) and the loopback test Swift
# (tests/lib/swift.bash): rdb-snap | rdb-pack | swift-put against the
# snapshot alone and against the stock pipelines, then where the time of
# one backup goes, then the restore's fetch and unpack.  Prints markdown
# tables; measures only.
set -eu
top=${RDBPIPE_TOP:?}
source "$top/tests/bench/lib.sh"
bench_init bench-pipeline
source "$top/tests/lib/swift.bash"
srv=$work/redis
trap '"$top/tests/bench/dataset.sh" --stop "$srv"; swift_stop_all; rm -rf "$work"' EXIT

sock=$("$top/tests/bench/dataset.sh" --serve "$srv")
rdb-pack --keygen -o "$work/key" 2>/dev/null
R=$(rdb-pack -y <"$work/key")
swift_start >/dev/null
swift_auth
C=bench
export SWIFT_CONTAINER=$C
auth="ST_AUTH=$ST_AUTH ST_USER=$ST_USER ST_KEY=$ST_KEY"
size=$(stat -c %s "$srv/dump.rdb")
rounds=${BENCH_PIPE_ROUNDS:-2}

# run CMD: one timed run of a shell string; prints "secs cpu_secs" (CPU of
# every process it ran, children included).
run() {
	local t0 t1
	sync
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$work/cpu" bash -o pipefail -c "$1" \
		</dev/null >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; fail "failed: $1"; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v f="$work/cpu" 'BEGIN {
		getline l <f; split(l, c, " "); printf "%.2f %.2f\n", b - a, c[1] + c[2] }'
}

# table LABEL CMD [LABEL CMD]...: one row per command with the median
# wall time and its CPU time (bench_table).
table() {
	bench_table '
	    { t[NR] = $1; c[NR] = $2 }
	    END { k = int((NR + 1) / 2)
		printf "| %s | %.2f s | %.2f s | %.1f MiB/s |\n",
		    l, t[k], c[k], s / t[k] / 1048576 }' "$@"
}

echo
echo "Input: a redis-server holding the bench RDB ($((size / 1048576)) MiB), $(nproc) cores,"
echo "one-node Swift on loopback; median of $rounds rounds (CPU: the median run's)."
echo
echo "### Backup: the whole pipeline against the snapshot alone"
echo
echo "| command | wall | CPU | RDB MiB/s |"
echo "|---|---|---|---|"
table \
	"rdb-snap > /dev/null (local: streams while the save runs)" "rdb-snap -q -s $sock" \
	"rdb-snap --no-follow > /dev/null (local: BGSAVE, then stream)" "rdb-snap -q --no-follow -s $sock" \
	"rdb-snap --sync > /dev/null (replication stream)" "rdb-snap -q --sync -s $sock" \
	"rdb-snap \\| rdb-pack -r \\| swift-put" "rdb-snap -q -s $sock | rdb-pack -q -r $R | swift-put -q -f -S 64M a" \
	"rdb-snap --no-follow \\| rdb-pack -r \\| swift-put" "rdb-snap -q --no-follow -s $sock | rdb-pack -q -r $R | swift-put -q -f -S 64M a2" \
	"rdb-snap --sync \\| rdb-pack -r \\| swift-put" "rdb-snap -q --sync -s $sock | rdb-pack -q -r $R | swift-put -q -f -S 64M b" \
	"rdb-snap \\| zstd -7 -T0 \\| age \\| swift-put" "rdb-snap -q -s $sock | zstd -q -7 -T0 | age -r $R | swift-put -q -f -S 64M c" \
	"rdb-snap \\| rdb-pack --xz -1 -r \\| swift-put (before)" "rdb-snap -q -s $sock | rdb-pack -q --xz -1 -r $R | swift-put -q -f -S 64M d" \
	"redis-cli --rdb - \\| xz -1 -T0 \\| age \\| swift upload (stock)" "redis-cli -s $sock --rdb - 2>/dev/null | xz -1 -T0 | age -r $R | $auth swift upload -q --use-slo -S $((64 << 20)) $C - --object-name e"

# Where one backup's time goes: each stage stamps the time it ends, and
# its CPU time.
stage() {	# stage NAME CMD...: runs CMD, then notes its end and CPU
	local name=$1
	shift
	/usr/bin/time -f '%U %S' -o "$work/cpu.$name" "$@"
	date +%s.%N >"$work/end.$name"
}
export -f stage
export work
echo
echo "### Where the time goes (one backup each; seconds from the start)"
echo
echo "| pipeline | snapshot ends | rdb-pack ends | swift-put ends | CPU snap / pack / put |"
echo "|---|---|---|---|---|"
for mode in "" "--sync"; do
	sync
	t0=$(date +%s.%N)
	bash -o pipefail -c "stage snap rdb-snap -q $mode -s $sock | stage pack rdb-pack -q -r $R | stage put swift-put -q -f -S 64M w"
	awk -v t0="$t0" -v m="${mode:-local}" -v w="$work" 'BEGIN {
		n = split("snap pack put", s, " ")
		for (i = 1; i <= n; i++) {
			getline e[i] <(w "/end." s[i]); getline l <(w "/cpu." s[i])
			split(l, c, " "); cpu[i] = c[1] + c[2]
		}
		printf "| %s | %.2f s | %.2f s | %.2f s | %.2f / %.2f / %.2f s |\n",
		    m, e[1] - t0, e[2] - t0, e[3] - t0, cpu[1], cpu[2], cpu[3] }'
done

echo
echo "### Restore: fetch and unpack to /dev/null"
echo
echo "| command | wall | CPU | RDB MiB/s |"
echo "|---|---|---|---|"
table \
	"swift-get \\| rdb-pack -d (zstd)" "swift-get -q a | rdb-pack -q -d -i $work/key" \
	"swift-get \\| rdb-pack -d (xz, before)" "swift-get -q d | rdb-pack -q -d -i $work/key" \
	"swift download \\| age -d \\| xz -d (stock)" "$auth swift download -q $C e -o - | age -d -i $work/key | xz -d -T0"
for o in a b c d e w; do swift-rm -q "$o" 2>/dev/null || true; done
