#!/usr/bin/env bats
# redis-restore --to-time end to end: the archive (tests/lib/pitr-archive.bash)
# restored into a running server through rdb-install --aof-dir, on a real
# Swift and a real redis-server 7.  Needs rdb-install's --aof-dir (issue 14).

load test_helper

# Redis runs as redis over its own data dir, as rdb-install requires; its
# journal goes to this test's state dir.
REDIS_USER=redis
export RDB_INSTALL_STATE_DIR=$SCRATCH/state

teardown() { common_teardown; }

source "$RDBPIPE_TOP/tests/lib/pitr-archive.bash"

setup() {
	swift_start
	archive_build
	redis_start dst "appendonly yes"
	rcli dst SET only-in-dst 1 >/dev/null
	ENVF=$SCRATCH/redis-backup
	cat >"$ENVF" <<-EOF
	REDIS_BACKUP_PREFIX=$P
	REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/key.txt
	REDIS_CONF=$RCONF
	EOF
	chmod 600 "$ENVF"
}

restore() { "$RDBPIPE_TOP/contrib/redis-restore" -c "$ENVF" "$@"; }

@test "redis-restore --to-time: the server holds exactly the keys up to each time, truncated by its own redis-check-aof" {
	local exe
	# The test servers are started by the name redis-server, which Redis
	# reports as executable beside its cwd (no such file): the checker
	# is then the one beside the redis-server on PATH.
	exe=$(rcli dst INFO server | tr -d '\r' | sed -n 's/^executable://p')
	[ ! -e "$exe" ] || fail "executable: $exe exists: the test no longer checks the fallback"
	exe=$(command -v redis-server)
	run -0 --separate-stderr restore --to-time 2026-12-02T06:00:03Z
	assert_equal "${stderr_lines[0]}" "redis-restore: fetching $P/archive/ as of 2026-12-02T06:00:03Z (truncated by ${exe%/*}/redis-check-aof)"
	run -0 keys dst
	assert_output "$(printf '%s\n' 0:base 1:k1 1:k2 1:k3)"
	run -0 restore -q --to-time 2026-12-02T06:00:07Z
	run -0 keys dst
	assert_output "$(printf '%s\n' 0:base 0:k5 0:k6 1:k1 1:k2 1:k3 2:k7)"
	# The AOF is on and rewritten: a plain restart holds the same.
	redis_stop dst
	redis_server_as "$RCONF"
	for _ in $(seq 100); do redis_ping dst && break; sleep 0.05; done
	run -0 keys dst
	assert_output "$(printf '%s\n' 0:base 0:k5 0:k6 1:k1 1:k2 1:k3 2:k7)"
}

@test "redis-restore --to-time --dry-run changes nothing" {
	local before
	before=$(redis_digest dst)
	run -0 restore -q --dry-run --to-time 2026-12-02T06:00:03Z
	[ "$(redis_digest dst)" = "$before" ] || fail "--dry-run changed the server"
}
