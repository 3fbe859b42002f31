#!/usr/bin/env bats
# contrib/redis-backup and contrib/redis-restore, the operator's job, on a
# real redis-server and a real Swift: backup, restore into another server,
# failing stages, two runs at once.

load test_helper
source "$RDBPIPE_TOP/tests/lib/backup.bash"
# Redis runs as redis over its own data dir, as rdb-install (behind
# redis-restore) requires; its journal goes to this test's state dir.
source "$RDBPIPE_TOP/tests/lib/restore.bash"

teardown() { common_teardown; }

setup() {
	swift_start
	redis_start src "appendonly yes"
	SRC_SOCK=$RSOCK
	redis_populate src 300
	backup_env "$SRC_SOCK" test/src \
		"REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/key.txt" \
		REDIS_BACKUP_RETENTION=1d
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
	echo REDIS_BACKUP_EXPIRE=1d >>"$ENVF"
	run -0 --separate-stderr backup --verify
	object=$output
	assert_regex "$object" '^test/src/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z\.rdb\.zst\.age$'
	# What the name says: zstd inside age, as the stock tools read it.
	swift-get "$object" | age -d -i "$SCRATCH/key.txt" >"$SCRATCH/inner"
	run -0 od -An -tx1 -N4 "$SCRATCH/inner"
	assert_output " 28 b5 2f fd"
	zstd -q -t "$SCRATCH/inner"
	[[ $stderr == *"verified $object"* ]] || fail "no verify line: $stderr"
	run -0 swift-ls test/src/
	assert_output "$object"
	# The metadata says what is inside; the opt-in expiry is on the object.
	run -0 swift_cli stat database_backups "$object"
	assert_output --partial "Meta Keys: $(all_keys src)"
	assert_output --regexp "Meta Redis-Version: 7\."
	assert_output --partial "Meta Rdb-Version: 10"
	assert_output --partial "Meta Rdb-Check: walked"
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

@test "--xz in REDIS_BACKUP_PACK_ARGS names the object .rdb.xz.age; restore takes the newest of either codec" {
	local xzobj zstobj old
	echo 'REDIS_BACKUP_PACK_ARGS="-T1 --xz -1"' >>"$ENVF"
	xzobj=$(backup -q)
	assert_regex "$xzobj" '^test/src/[0-9T-]+Z\.rdb\.xz\.age$'
	run -0 bash -c "set -o pipefail; swift-get '$xzobj' | age -d -i '$SCRATCH/key.txt' | xz -t"
	old=$(redis_digest src)
	rcli src SET newer 1 >/dev/null
	sleep 1 # object names carry the second
	echo 'REDIS_BACKUP_PACK_ARGS="--xz -T1 --zstd -3"' >>"$ENVF"
	zstobj=$(backup -q)
	assert_regex "$zstobj" '^test/src/[0-9T-]+Z\.rdb\.zst\.age$'
	run -0 swift-ls test/src/
	assert_output "$(printf '%s\n%s' "$xzobj" "$zstobj")"
	redis_start dst
	echo "REDIS_CONF=$RCONF" >>"$ENVF"
	run -0 restore
	[ "$(redis_digest dst)" = "$(redis_digest src)" ] || fail "not the newest (zstd) backup"
	run -0 restore "$xzobj"
	[ "$(redis_digest dst)" = "$old" ] || fail "not the xz backup"
}

@test "Redis stopped mid-run: exit 1 naming rdb-snap, nothing left in Swift" {
	# A slow save keeps rdb-snap waiting while the server goes away.
	rcli src CONFIG SET rdb-key-save-delay 20000 >/dev/null
	backup >"$SCRATCH/out" 2>"$SCRATCH/err" &
	local pid=$!
	redis_wait_saving src 200
	rcli src SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	assert_exit "$pid" 1 redis-backup
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
	redis_wait_saving src 200
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

@test "swift-put --meta-file: its lines become metadata at the end of the input; a bad line stores nothing" {
	printf 'rdb-version=12\nkeys=7\n' >"$SCRATCH/meta"
	echo hello | swift-put -m a=b --meta-file "$SCRATCH/meta" test/meta-ok
	run -0 swift_cli stat database_backups test/meta-ok
	assert_output --partial "Meta Rdb-Version: 12"
	assert_output --partial "Meta Keys: 7"
	assert_output --partial "Meta A: b"
	printf 'keys=7\nbad key=1\n' >"$SCRATCH/meta"
	run -1 --separate-stderr swift-put --meta-file "$SCRATCH/meta" test/meta-bad <<<hello
	assert_equal "$stderr" "swift-put: $SCRATCH/meta: line 2: expected KEY=VALUE with a new key of letters, digits, '-' and '_' (at most 90 in all)"
	printf 'a=c\n' >"$SCRATCH/meta"
	run -1 --separate-stderr swift-put -m a=b --meta-file "$SCRATCH/meta" test/meta-bad <<<hello
	assert_equal "$stderr" "swift-put: $SCRATCH/meta: line 1: expected KEY=VALUE with a new key of letters, digits, '-' and '_' (at most 90 in all)"
	run -1 --separate-stderr swift-put --meta-file "$SCRATCH/none" test/meta-bad <<<hello
	assert_equal "$stderr" "swift-put: $SCRATCH/none: No such file or directory"
	run -0 swift-ls test/
	refute_output --partial "meta-bad"
}

@test "rdb-snap --info-file: the RDB version and key count it checked" {
	rcli src SET a 1 >/dev/null
	rcli src SET b 2 >/dev/null
	rdb-snap -s "$SRC_SOCK" --info-file "$SCRATCH/info" >"$SCRATCH/dump.rdb"
	assert_equal "$(cat "$SCRATCH/info")" "rdb-version=10
keys=$(all_keys src)
rdb-check=walked"
}

# The env file is sourced by a root shell: a line in it is a command.
@test "an env file owned by another user or writable by group or others: exit 1, never read" {
	echo "touch '$SCRATCH/ran'" >>"$ENVF"
	chown nobody "$ENVF"
	run -1 --separate-stderr backup --dry-run
	assert_equal "$stderr" "redis-backup: $ENVF: owned by uid $(id -u nobody), not by root: refusing to read it"
	assert_equal "$output" ""
	run -1 --separate-stderr restore --dry-run
	assert_equal "$stderr" "redis-restore: $ENVF: owned by uid $(id -u nobody), not by root: refusing to read it"
	chown root "$ENVF"
	for mode in 620 602 660; do
		chmod "$mode" "$ENVF"
		run -1 --separate-stderr backup --dry-run
		assert_equal "$stderr" "redis-backup: $ENVF: writable by group or others: refusing to read it (chmod go-w)"
		run -1 --separate-stderr restore --dry-run
		assert_equal "$stderr" "redis-restore: $ENVF: writable by group or others: refusing to read it (chmod go-w)"
	done
	assert_no_file "$SCRATCH/ran"
}

@test "an env file in a dir others can write to, or owned by another user: exit 1, never read" {
	local d=$SCRATCH/etc
	mkdir "$d"
	cp -p "$ENVF" "$d/env"
	echo "touch '$SCRATCH/ran'" >>"$d/env"
	chmod 777 "$d"
	run -1 --separate-stderr backup -c "$d/env" --dry-run
	assert_equal "$stderr" "redis-backup: $d/env: its dir $d is writable by group or others: refusing to read it"
	chmod 770 "$d"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$d/env" --dry-run
	assert_equal "$stderr" "redis-restore: $d/env: its dir $d is writable by group or others: refusing to read it"
	chmod 700 "$d"
	chown nobody "$d"
	run -1 --separate-stderr backup -c "$d/env" --dry-run
	assert_equal "$stderr" "redis-backup: $d/env: its dir $d is owned by uid $(id -u nobody): refusing to read it"
	# A link in a safe dir to a file in an unsafe one: the file's dir counts.
	ln -s "$d/env" "$SCRATCH/link"
	run -1 --separate-stderr backup -c "$SCRATCH/link" --dry-run
	assert_equal "$stderr" "redis-backup: $SCRATCH/link: its dir $d is owned by uid $(id -u nobody): refusing to read it"
	assert_no_file "$SCRATCH/ran"
	# A sticky dir (as /tmp) keeps others from replacing root's file.
	chown root "$d"
	chmod 1777 "$d"
	run -0 --separate-stderr backup -c "$d/env" --dry-run
	assert_equal "$stderr" ""
	[ -e "$SCRATCH/ran" ]
}

@test "a lock dir others can write to (/run/lock, /tmp) or own is refused: exit 1" {
	local d
	for d in /run/lock /tmp; do
		env_refused "REDIS_BACKUP_LOCK=$d/redis-backup.lock" "redis-backup: lock dir $d: writable by group or others; set REDIS_BACKUP_LOCK to a file in a dir only root can write" backup --dry-run
		assert_equal "$output" ""
	done
	d=$SCRATCH/locks
	mkdir -m 700 "$d"
	chown nobody "$d"
	env_refused "REDIS_BACKUP_LOCK=$d/redis-backup.lock" "redis-backup: lock dir $d: owned by uid $(id -u nobody), not by root; set REDIS_BACKUP_LOCK to a file in a dir only root can write" backup --dry-run
	assert_no_file "$d/redis-backup.lock"
	env_refused "REDIS_BACKUP_LOCK=$SCRATCH/none/redis-backup.lock" "redis-backup: lock dir $SCRATCH/none: No such file or directory" backup --dry-run
	echo "REDIS_BACKUP_LOCK=$SCRATCH/link.lock" >>"$ENVF"
	ln -s "$SCRATCH/elsewhere" "$SCRATCH/link.lock"
	run -1 --separate-stderr backup --dry-run
	assert_equal "$stderr" "redis-backup: $SCRATCH/link.lock: a symbolic link: refusing it as the lock"
	assert_no_file "$SCRATCH/elsewhere"
}

@test "as root the default lock is in /run/rdbpipe, root's and mode 700" {
	sed -i '/^REDIS_BACKUP_LOCK=/d' "$ENVF"
	# (--wait: another pass of this suite may hold it for a moment)
	run -0 --separate-stderr backup --dry-run --wait
	assert_equal "$stderr" ""
	assert_equal "$(stat -c '%U %a %F' /run/rdbpipe)" "root 700 directory"
	# Held here, that lock stops a run.
	exec {fd}>>/run/rdbpipe/redis-backup.lock
	flock -w 60 "$fd"
	run -1 --separate-stderr backup --dry-run
	exec {fd}>&-
	assert_equal "$stderr" "redis-backup: another backup is running (lock /run/rdbpipe/redis-backup.lock held); use --wait to wait for it"
}

# Run as another user (nobody): its own env file and lock dir, or refused.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

@test "as another user: the lock in XDG_RUNTIME_DIR, which it must own and others not write" {
	local nb=$SCRATCH/nb
	chmod 711 "$SCRATCH"
	redis_start nbr "unixsocketperm 777"
	# (its dir is redis's, mode 750: open it to nobody for the socket)
	chmod 755 "$(redis_dir nbr)"
	mkdir -m 700 "$nb" "$nb/run" "$nb/open" "$nb/bin"
	# (copies: the source tree may be in a dir nobody cannot enter)
	cp "$RDBPIPE_TOP/contrib/redis-backup" "$RDBPIPE_BIN/rdb-pack" "$nb/bin/"
	chmod 777 "$nb/open"
	printf 'REDIS_SOCKET=%s\nREDIS_BACKUP_PREFIX=test/nb\n' "$RSOCK" >"$nb/env"
	chmod 600 "$nb/env"
	chown -R nobody:nogroup "$nb"
	nbk() { as_nobody env -u XDG_RUNTIME_DIR PATH="$nb/bin:$PATH" "$@" redis-backup -c "$nb/env" --dry-run; }
	run -0 --separate-stderr nbk XDG_RUNTIME_DIR="$nb/run"
	assert_equal "$stderr" ""
	assert_output --regexp "^rdb-snap -s $RSOCK --info-file [^ ]+ \| rdb-pack .* test/nb/[0-9T-]+Z\.rdb\.zst\.age$"
	assert_equal "$(stat -c %U "$nb/run/redis-backup.lock")" nobody
	run -1 --separate-stderr nbk
	assert_equal "$stderr" "redis-backup: no lock dir: set REDIS_BACKUP_LOCK, or XDG_RUNTIME_DIR to a dir only nobody can write"
	run -1 --separate-stderr nbk XDG_RUNTIME_DIR="$SCRATCH"
	assert_equal "$stderr" "redis-backup: lock dir $SCRATCH: owned by uid 0, not by nobody; set REDIS_BACKUP_LOCK to a file in a dir only nobody can write"
	run -1 --separate-stderr nbk XDG_RUNTIME_DIR="$nb/open"
	assert_equal "$stderr" "redis-backup: lock dir $nb/open: writable by group or others; set REDIS_BACKUP_LOCK to a file in a dir only nobody can write"
	# An env file of a third user is refused; root's is fine.
	chmod 644 "$nb/env"
	chown daemon "$nb/env"
	run -1 --separate-stderr nbk XDG_RUNTIME_DIR="$nb/run"
	assert_equal "$stderr" "redis-backup: $nb/env: owned by uid $(id -u daemon), not by root or nobody: refusing to read it"
	chown root "$nb/env"
	run -0 --separate-stderr nbk XDG_RUNTIME_DIR="$nb/run"
	assert_equal "$stderr" "redis-backup: warning: $nb/env is readable by group or others"
}
