#!/usr/bin/env bats
# make demo runs green: the README's second command, exactly as a newcomer
# types it (the build is already done by make check).

load test_helper

teardown() { common_teardown; }

@test "make demo: the data comes back and the stock tools open the backup" {
	# Its work dir under this test's own, so that the check below sees
	# this demo's processes and not those of a suite running beside it.
	# Its Redis runs as redis, which must be able to reach its dir.
	chmod 711 "$SCRATCH"
	run -0 --separate-stderr env RDBPIPE_BIN="$RDBPIPE_BIN" TMPDIR="$SCRATCH" \
		bash "$RDBPIPE_TOP/tests/demo.sh"
	assert_line --partial "== Done"
	refute_output --partial "demo: "
	# It stops everything it started.
	run pgrep -f "$SCRATCH/rp-demo"
	assert_failure
}
