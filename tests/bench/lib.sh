# shellcheck shell=bash
# What the bench scripts share; sourced first, after setting top.
#
#   bench_init NAME   work, a scratch dir (the test libraries' SCRATCH
#                     too), and fail MESSAGE, which ends NAME with it
#   bench_table AWK LABEL CMD [LABEL CMD]...
#                     $rounds rounds of the commands in turn (so that a
#                     busy minute hurts them alike), each timed by the
#                     script's run CMD (one line, the time first); then
#                     one row per command: AWK reads its lines sorted by
#                     time, with l its label and s $size

bench_init() {
	bench_name=$1
	work=$(mktemp -d "/tmp/rp-$1.XXXXXX")
	SCRATCH=$work
}

scratch() { echo "$SCRATCH"; }
fail() { echo "$bench_name: $*" >&2; exit 1; }

# shellcheck disable=SC2154 # rounds and size are the script's
bench_table() {
	local awkprog=$1 _ i n args
	shift
	n=$(($# / 2))
	args=("$@")
	for _ in $(seq "$rounds"); do
		for i in $(seq 0 $((n - 1))); do
			run "${args[2 * i + 1]}" >>"$work/times.$i"
		done
	done
	for i in $(seq 0 $((n - 1))); do
		sort -n "$work/times.$i" |
			awk -v l="${args[2 * i]}" -v s="$size" "$awkprog"
		rm -f "$work/times.$i"
	done
}
