#!/usr/bin/env bash
# make fuzz: builds every tests/fuzz/fuzz_*.c with libFuzzer (clang,
# -fsanitize=fuzzer,address,undefined) against common/*.c, seeds a corpus
# for each, and runs each target for FUZZ_SECONDS (default 600), one after
# the other (two cores).  Crashes land in build/fuzz/ as crash-*; the exec
# counts are printed at the end.
#
#   FUZZ_SECONDS=60 make fuzz            shorter runs
#   tests/fuzz/run.sh fuzz_unpack        one target
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
secs=${FUZZ_SECONDS:-600}
out=$top/build/fuzz
mkdir -p "$out"
make -s all >/dev/null
bin=$top/build/std/bin
pkgs=$(make -s --no-print-directory print-pkgs)
# shellcheck disable=SC2086
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -DRDBPIPE_VERSION=\"fuzz\" -Icommon -Itests/fuzz $(pkg-config --cflags $pkgs)"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $pkgs) -lpthread"

# The corpus, by target: for the age and unpack targets the testkit's age
# files and files rdb-pack and the stock tools make with the fuzz identity
# from Redis's own RDB files; for the RDB checker those RDB files; for the
# rest the hand-written seeds in tests/fuzz/seeds/<what>/.
seed_age() {
	local dir=$1 f i=0 key=$top/tests/fuzz/fuzz-key.txt r
	r=$("$bin/rdb-pack" -y <"$key")
	for f in tests/fixtures/age-testkit/*; do
		[ "$(basename "$f")" = README.md ] && continue
		grep -q '^compressed: zlib' "$f" && continue
		sed '1,/^$/d' "$f" >"$dir/kit-$(basename "$f")"
	done
	for f in $(rdb_files); do
		i=$((i + 1))
		"$bin/rdb-pack" -r "$r" <"$f" >"$dir/pack-$i.age"
		"$bin/rdb-pack" --no-encrypt <"$f" >"$dir/pack-$i.zst"
		"$bin/rdb-pack" --xz -r "$r" <"$f" >"$dir/pack-xz-$i.age"
		"$bin/rdb-pack" --xz --no-encrypt <"$f" >"$dir/pack-$i.xz"
		xz -c "$f" | age -r "$r" >"$dir/stock-$i.age"
		zstd -q -c "$f" | age -r "$r" >"$dir/stock-zst-$i.age"
	done
}

# Every RDB (and RDB-preamble AOF) fixture, whatever its folder.
rdb_files() {
	find tests/fixtures -type f \( -name '*.rdb' -o -name '*.aof' \) | sort
}

seed() {
	local t=$1 dir=$2 f
	mkdir -p "$dir"
	[ -n "$(ls -A "$dir")" ] && return 0
	case $t in
	fuzz_age_header|fuzz_unpack) seed_age "$dir" ;;
	fuzz_rdb)
		for f in $(rdb_files); do cp "$f" "$dir/"; done ;;
	*)
		cp tests/fuzz/seeds/"${t#fuzz_}"/* "$dir/" ;;
	esac
}

targets=${*:-$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')}
summary=
for t in $targets; do
	echo "fuzz: building $t"
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o "$out/$t" "tests/fuzz/$t.c" common/*.c $libs
	corpus=$out/corpus-$t
	seed "$t" "$corpus"
	echo "fuzz: running $t for $secs s"
	log=$out/$t.log
	set +e
	"$out/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/crash-$t-" -print_final_stats=1 \
		"$corpus" >"$log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -n 1)
	summary+="$t: exit $rc, $execs executions; $cov"$'\n'
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$log"
	fi
done
echo
printf '%s' "$summary"
! grep -q 'exit [1-9]' <<<"$summary"
