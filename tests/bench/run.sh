#!/usr/bin/env bash
# make bench: runs every tests/bench/bench-*.sh in turn; each prints
# markdown tables on stdout.  The tables are also kept in build/bench.md.
# Benchmarks measure; they never pass or fail on a time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
export RDBPIPE_TOP=$top RDBPIPE_BIN=${RDBPIPE_BIN:-$top/build/std/bin}
export PATH=$RDBPIPE_BIN:$PATH
mkdir -p "$top/build"
out=$top/build/bench.md
: >"$out"
for b in "$top"/tests/bench/bench-*.sh; do
	[ -e "$b" ] || continue
	echo "## $(basename "$b" .sh)" | tee -a "$out"
	bash "$b" | tee -a "$out"
done
echo "tables written to $out"
