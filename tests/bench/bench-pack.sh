#!/usr/bin/env bash
# rdb-pack against the stock pipeline (xz | age), on the shared bench RDB
# (tests/bench/dataset.sh).  Prints markdown tables: wall time, throughput,
# peak RSS (the sum over a pipeline's processes) and size.  Measures only.
set -eu
top=${RDBPIPE_TOP:?}
rdb=$("$top/tests/bench/dataset.sh")
work=$(mktemp -d /tmp/rp-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
rdb-pack --keygen -o "$work/key" 2>/dev/null
R=$(rdb-pack -y <"$work/key")
size=$(stat -L -c %s "$rdb")
# The comparisons run at the default preset.
P=${BENCH_PRESET:-1}
mib=$(awk -v s="$size" 'BEGIN { printf "%.0f", s / 1048576 }')

# run NAME CMD...: runs a pipeline of "|"-separated stages with each stage
# under /usr/bin/time; prints "secs rss_kib out_bytes"
run() {
	local out=$work/out stages="" i=0 t0 t1 rss=0 f
	shift
	IFS='|' read -ra parts <<<"$*"
	for p in "${parts[@]}"; do
		i=$((i + 1))
		stages+="${stages:+ | }/usr/bin/time -f %M -o $work/rss.$i $p"
	done
	sync
	t0=$(date +%s.%N)
	bash -c "$stages" <"$IN" >"$out"
	t1=$(date +%s.%N)
	for f in "$work"/rss.*; do rss=$((rss + $(tail -n 1 "$f"))); done
	rm -f "$work"/rss.*
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $rss $(stat -c %s "$out")"
	cp "$out" "$work/last"
}

row() {	# row LABEL secs rss size
	awk -v l="$1" -v t="$2" -v r="$3" -v o="$4" -v s="$size" 'BEGIN {
		printf "| %s | %.2f s | %.1f MB/s | %.1f MiB | %.1f MiB | %.3f |\n",
		    l, t, s / t / 1048576, r / 1024, o / 1048576, o / s }'
}

echo
echo "Input: $mib MiB RDB from tests/bench/dataset.sh, $(nproc) cores."
echo
echo "### Presets (rdb-pack, -T0, encrypted to one recipient)"
echo
echo "| command | wall | throughput | peak RSS | output | ratio |"
echo "|---|---|---|---|---|---|"
IN=$rdb
for p in ${BENCH_PRESETS:-0 1 3 6}; do
	set -- $(run x "rdb-pack -$p -T0 -r $R")
	row "rdb-pack -$p -T0" "$@"
done
set -- $(run x "rdb-pack -$P -T1 -r $R")
row "rdb-pack -$P -T1" "$@"

echo
echo "### Pack: rdb-pack against xz | age, same preset and threads"
echo
echo "| command | wall | throughput | peak RSS | output | ratio |"
echo "|---|---|---|---|---|---|"
for p in $P; do
	set -- $(run x "rdb-pack -$p -T0 -r $R"); row "rdb-pack -$p -T0 -r" "$@"
	set -- $(run x "xz -$p -T0 -c | age -r $R"); row "xz -$p -T0 \\| age -r" "$@"
	set -- $(run x "xz -$p -T0 -c"); row "xz -$p -T0 (no encryption)" "$@"
	set -- $(run x "rdb-pack -$p -T0 --no-encrypt"); row "rdb-pack -$p -T0 --no-encrypt" "$@"
done

echo
echo "### Unpack: rdb-pack -d against age -d | xz -d"
echo
echo "| command | wall | throughput | peak RSS | output | ratio |"
echo "|---|---|---|---|---|---|"
rdb-pack -$P -T0 -r "$R" <"$rdb" >"$work/packed"
xz -$P -T0 -c <"$rdb" | age -r "$R" >"$work/packed-stock"
IN=$work/packed
set -- $(run x "rdb-pack -d -T0 -i $work/key"); row "rdb-pack -d (rdb-pack's file)" "$@"
set -- $(run x "age -d -i $work/key | xz -d -T0"); row "age -d \\| xz -d -T0 (rdb-pack's file)" "$@"
IN=$work/packed-stock
set -- $(run x "rdb-pack -d -T0 -i $work/key"); row "rdb-pack -d (xz\\|age's file)" "$@"
set -- $(run x "age -d -i $work/key | xz -d -T0"); row "age -d \\| xz -d -T0 (xz\\|age's file)" "$@"

echo
echo "### Memory: peak RSS against input size (rdb-pack -$P -T0 -r)"
echo
echo "| input | peak RSS pack | peak RSS unpack |"
echo "|---|---|---|"
# Not an RDB (first byte changed), so both sizes take the same path: the
# RDB check itself holds a few bytes whatever the size.
for n in 16 256; do
	{ printf 'X'; tail -c +2 "$rdb" | head -c $((n * 1048576 - 1)); } >"$work/in$n"
	IN=$work/in$n
	set -- $(run x "rdb-pack -$P -T0 -r $R")
	cp "$work/last" "$work/in$n.age"
	pack=$2
	IN=$work/in$n.age
	set -- $(run x "rdb-pack -d -T0 -i $work/key")
	awk -v n="$n" -v a="$pack" -v b="$2" 'BEGIN { printf "| %d MiB | %.1f MiB | %.1f MiB |\n", n, a / 1024, b / 1024 }'
	rm -f "$work/in$n" "$work/in$n.age"
done
