#!/usr/bin/env bats
# contrib/redis-backup and contrib/redis-restore, the operator's job, on a
# real redis-server and a real Swift: backup, restore into another server,
# failing stages, two runs at once.

load test_helper

# Redis runs as redis over its own data dir, as rdb-install (behind
# redis-restore) requires; its journal goes to this test's state dir.
REDIS_USER=redis
export RDB_INSTALL_STATE_DIR=$SCRATCH/state

teardown() { common_teardown; }

setup() {
	swift_start
	redis_start src "appendonly yes"
	SRC_SOCK=$RSOCK
	redis_populate src 300
	rdb-pack --keygen -o "$SCRATCH/key.txt" 2>/dev/null
	rdb-pack -y <"$SCRATCH/key.txt" >"$SCRATCH/recipients.txt"
	ENVF=$SCRATCH/redis-backup
	cat >"$ENVF" <<-EOF
	REDIS_SOCKET=$SRC_SOCK
	REDIS_BACKUP_PREFIX=test/src
	REDIS_BACKUP_RECIPIENTS_FILE=$SCRATCH/recipients.txt
	REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/key.txt
	REDIS_BACKUP_LOCK=$SCRATCH/backup.lock
	REDIS_BACKUP_RETENTION=1d
	EOF
	chmod 600 "$ENVF"
}

backup() { "$RDBPIPE_TOP/contrib/redis-backup" -c "$ENVF" "$@"; }
restore() { "$RDBPIPE_TOP/contrib/redis-restore" -c "$ENVF" "$@"; }

# Nothing under the prefix, and no segment left behind (a container
# never created holds nothing either).
assert_empty_listing() {
	run swift-ls "$@"
	if [ "$status" -ne 0 ]; then
		assert_output --regexp "^swift-ls: database_backups(_segments)?: container not found$"
	else
		assert_output ""
	fi
}
assert_nothing_stored() {
	assert_empty_listing test/src/
	assert_empty_listing -c database_backups_segments
}

# Keys in every database, as the backup's metadata counts them.
all_keys() {
	rcli "$1" INFO keyspace | tr -d '\r' |
		sed -n 's/^db[0-9]*:keys=\([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s }'
}

@test "redis-backup then redis-restore into a second server: the same DEBUG DIGEST" {
	local want object
	want=$(redis_digest src)
	run -0 --separate-stderr backup --verify
	object=$output
	assert_regex "$object" '^test/src/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z\.rdb\.xz\.age$'
	[[ $stderr == *"verified $object"* ]] || fail "no verify line: $stderr"
	run -0 swift-ls test/src/
	assert_output "$object"
	# The metadata says what is inside; retention is on the object.
	run -0 swift_cli stat database_backups "$object"
	assert_output --partial "Meta Keys: $(all_keys src)"
	assert_output --regexp "Meta Redis-Version: 7\."
	assert_output --partial "Meta Rdb-Version: 10"
	assert_output --regexp "X-Delete-At: [0-9]+"

	redis_start dst "appendonly yes"
	echo "REDIS_CONF=$RCONF" >>"$ENVF"
	rcli dst SET only-in-dst 1 >/dev/null
	run -0 restore
	[ "$(redis_digest dst)" = "$want" ] || fail "digest differs after restore"
	# The AOF is on and rewritten: a plain restart still holds the data.
	run -0 rcli dst CONFIG GET appendonly
	assert_line yes
	redis_stop dst
	redis-server "$RCONF"
	for _ in $(seq 100); do redis_ping dst && break; sleep 0.05; done
	[ "$(redis_digest dst)" = "$want" ] || fail "digest differs after a restart"
}

@test "redis-restore OBJECT restores that backup, not the newest; --dry-run changes nothing" {
	local first want
	want=$(redis_digest src)
	first=$(backup -q)
	rcli src FLUSHALL >/dev/null
	rcli src SET newer 1 >/dev/null
	sleep 1 # object names carry the second
	backup -q >/dev/null
	redis_start dst
	echo "REDIS_CONF=$RCONF" >>"$ENVF"
	rcli dst SET before 1 >/dev/null
	local before
	before=$(redis_digest dst)
	run -0 restore --dry-run "$first"
	[ "$(redis_digest dst)" = "$before" ] || fail "--dry-run changed the server"
	run -0 restore "$first"
	[ "$(redis_digest dst)" = "$want" ] || fail "not the named backup"
}

@test "Redis stopped mid-run: exit 1 naming rdb-snap, nothing left in Swift" {
	# A slow save keeps rdb-snap waiting while the server goes away.
	rcli src CONFIG SET rdb-key-save-delay 20000 >/dev/null
	backup >"$SCRATCH/out" 2>"$SCRATCH/err" &
	local pid=$!
	for _ in $(seq 200); do
		rcli src INFO persistence | grep -q 'rdb_bgsave_in_progress:1' && break
		sleep 0.05
	done
	rcli src SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ] || fail "redis-backup exited $rc"
	run cat "$SCRATCH/err"
	assert_output --partial "redis-backup: backup failed at rdb-snap"
	assert_nothing_stored
}

@test "a bad recipient: exit 1 naming rdb-pack, nothing left in Swift" {
	echo 'REDIS_BACKUP_PACK_ARGS="-r age1notarecipient"' >>"$ENVF"
	run -1 --separate-stderr backup
	[[ $stderr == *"redis-backup: backup failed at rdb-pack"* ]] || fail "$stderr"
	assert_nothing_stored
}

@test "Swift refusing every write: exit 1 naming swift-put, nothing left in Swift" {
	swift_fault_start
	swift_fault 'status 503 count=forever method=PUT'
	echo 'REDIS_BACKUP_PUT_ARGS="--retries 1"' >>"$ENVF"
	echo "ST_AUTH=$ST_AUTH" >>"$ENVF"
	run -1 --separate-stderr backup
	[[ $stderr == *"redis-backup: backup failed at swift-put"* ]] || fail "$stderr"
	swift_fault_clear
	assert_nothing_stored
}

@test "two runs at once: the second refuses, or with --wait waits and succeeds" {
	rcli src CONFIG SET rdb-key-save-delay 3000 >/dev/null
	backup -q >"$SCRATCH/first" 2>"$SCRATCH/first.err" &
	local pid=$!
	for _ in $(seq 200); do
		rcli src INFO persistence | grep -q 'rdb_bgsave_in_progress:1' && break
		sleep 0.05
	done
	run -1 --separate-stderr backup -q
	assert_equal "$stderr" "redis-backup: another backup is running (lock $SCRATCH/backup.lock held); use --wait to wait for it"
	backup -q --wait >"$SCRATCH/second" 2>"$SCRATCH/second.err" &
	local pid2=$!
	rcli src CONFIG SET rdb-key-save-delay 0 >/dev/null
	wait "$pid" || fail "first run failed: $(cat "$SCRATCH/first.err")"
	wait "$pid2" || fail "second run failed: $(cat "$SCRATCH/second.err")"
	run -0 swift-ls test/src/
	assert_line "$(cat "$SCRATCH/first")"
	assert_line "$(cat "$SCRATCH/second")"
}

@test "an env file readable by others draws a warning" {
	chmod 644 "$ENVF"
	run -0 --separate-stderr backup --dry-run
	[[ $stderr == *"redis-backup: warning: $ENVF is readable by group or others"* ]] || fail "$stderr"
}

@test "redis-restore names the stage that failed: a wrong identity (rdb-pack), a missing config (rdb-install)" {
	local object
	object=$(backup -q)
	redis_start dst
	rcli dst SET keep me >/dev/null
	local before
	before=$(redis_digest dst)
	rdb-pack --keygen -o "$SCRATCH/other.txt" 2>/dev/null
	cp "$ENVF" "$SCRATCH/env2"
	echo "REDIS_CONF=$RCONF" >>"$SCRATCH/env2"
	echo "REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/other.txt" >>"$SCRATCH/env2"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$SCRATCH/env2"
	[[ $stderr == *"rdb-pack: no identity matched"* ]] || fail "$stderr"
	[[ $stderr == *"redis-restore: restore of $object failed at rdb-pack"* ]] || fail "$stderr"
	cp "$ENVF" "$SCRATCH/env3"
	echo "REDIS_CONF=$SCRATCH/no-such.conf" >>"$SCRATCH/env3"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$SCRATCH/env3"
	[[ $stderr == *"redis-restore: restore of $object failed at rdb-install"* ]] || fail "$stderr"
	[ "$(redis_digest dst)" = "$before" ] || fail "the server changed"
}
