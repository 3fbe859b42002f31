# Loaded by every bats file (`load test_helper`): assertions, the programs
# under test on PATH, fixtures, and throwaway servers (tests/lib/*.bash).
bats_require_minimum_version 1.5.0
# A pipeline fails when any stage fails, not only the last: the first stage
# is usually the program under test.  (Set here, at file level, it holds in
# every test, setup and teardown; a `bash -c` string needs its own.)
set -o pipefail
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${RDBPIPE_BIN:?run the suites through make check (tests/run sets RDBPIPE_BIN)}"
: "${RDBPIPE_TOP:?run the suites through make check}"
PATH=$RDBPIPE_BIN:$PATH
FIXTURES=$RDBPIPE_TOP/tests/fixtures
export LC_ALL=C.UTF-8

# A short scratch dir per test (bats loads this file anew for each test):
# unix socket paths must stay under 108 bytes, which BATS_TEST_TMPDIR can
# exceed.  common_teardown stops the servers and removes it.
SCRATCH=$(mktemp -d /tmp/rp.XXXXXX)
scratch() { echo "$SCRATCH"; }

common_teardown() {
	redis_stop_all
	keystone_stop_all
	swift_stop_all
	[ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}

# sha256 of a file or of stdin
sha() { sha256sum "$@" | cut -d' ' -f1; }

# Asserts a file does not exist.
assert_no_file() { [ ! -e "$1" ] || fail "expected no file: $1"; }

source "$RDBPIPE_TOP/tests/lib/redis.bash"
source "$RDBPIPE_TOP/tests/lib/swift.bash"
source "$RDBPIPE_TOP/tests/lib/keystone.bash"
