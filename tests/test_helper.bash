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

# pack_keys: T, a scratch dir holding an age identity (key.txt, its
# recipient in R) and a passphrase file (pass.txt, mode 600), as the
# rdb-pack suites start each test.
pack_keys() {
	T=$(scratch)
	rdb-pack --keygen -o "$T/key.txt" 2>/dev/null
	R=$(rdb-pack -y <"$T/key.txt")
	printf 'correct horse battery staple\n' >"$T/pass.txt"
	chmod 600 "$T/pass.txt"
}

# assert_exit PID STATUS WHAT: the background job PID (WHAT) exits STATUS.
assert_exit() {
	local rc=0
	wait "$1" || rc=$?
	[ "$rc" -eq "$2" ] || fail "$3 exited $rc"
}

# Asserts a file does not exist.
assert_no_file() { [ ! -e "$1" ] || fail "expected no file: $1"; }

source "$RDBPIPE_TOP/tests/lib/redis.bash"
source "$RDBPIPE_TOP/tests/lib/swift.bash"
source "$RDBPIPE_TOP/tests/lib/keystone.bash"
