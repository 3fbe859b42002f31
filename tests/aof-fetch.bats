#!/usr/bin/env bats
# aof-fetch and redis-restore --list-times: the restore side of the
# continuous archive, on a real Swift and a real redis-server 7, from an
# archive built the way aof-archive writes it (tests/lib/pitr-archive.bash).

load test_helper

teardown() { common_teardown; }

source "$RDBPIPE_TOP/tests/lib/backup.bash"
source "$RDBPIPE_TOP/tests/lib/pitr-archive.bash"

setup() {
	swift_start
	archive_build
	export RDB_PACK_IDENTITY_FILE=$SCRATCH/key.txt
	mkdir "$SCRATCH/out"
}

# restored T NAME: fetches to T, truncates, starts a server on the dir and
# checks the files are what the contract names.
restored() {
	local dir=$SCRATCH/$2
	mkdir "$dir"
	run -0 --separate-stderr aof-fetch --to-time "$(iso "$1")" \
		--check-aof "$(command -v redis-check-aof)" -o "$dir/aof" $P
	assert_equal "$stderr" ""
	assert_output ""
	run -0 ls -A "$dir/aof"
	assert_output "$(printf '%s\n' appendonly.aof.1.base.rdb appendonly.aof.1.incr.aof appendonly.aof.manifest)"
	run -0 stat -c %a "$dir/aof"
	assert_output 700
	run -0 cat "$dir/aof/appendonly.aof.manifest"
	assert_output "$(printf 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i')"
	cmp "$SRC_RDB" "$dir/aof/appendonly.aof.1.base.rdb"
	redis_start "$2" "appendonly yes" "appenddirname aof"
}

# Nothing under out/: no DIR, no temporary dir beside it.
assert_no_dir() {
	run -0 ls -A "$SCRATCH/out"
	assert_output ""
}

usage_text() { aof-fetch --help; }

@test "--list-times: one line per base, FROM the base's time, TO the chain's last whole second" {
	run -0 --separate-stderr aof-fetch --list-times $P
	assert_equal "$stderr" ""
	assert_output "$R $BASE_OFF 2026-12-02T06:00:00Z 2026-12-02T06:00:07Z"
	# A second base with no chunk yet, and a gap in the first one's chain.
	local r2=fedcba9876543210fedcba9876543210fedcba98
	rdb-pack -q -r "$RECIPIENT" <"$SRC_RDB" |
		swift-put -q "$P/archive/$r2/$(printf '%020d' 5).base.$(stamp $((T0 + 9))).rdb.zst.age"
	swift-rm "$C2"
	run -0 --separate-stderr aof-fetch --list-times $P/
	assert_equal "$stderr" ""
	assert_output "$R $BASE_OFF 2026-12-02T06:00:00Z 2026-12-02T06:00:02Z (gap at offset $((E1 + 1)))
$r2 5 2026-12-02T06:00:09Z -"
}

@test "--to-time builds the appendonlydir; truncated, a server on it holds exactly the keys up to T" {
	restored $((T0 + 3)) r1
	run -0 keys r1
	assert_output "$(printf '%s\n' 0:base 1:k1 1:k2 1:k3)"
	restored $((T0 + 7)) r2
	run -0 keys r2
	assert_output "$(printf '%s\n' 0:base 0:k5 0:k6 1:k1 1:k2 1:k3 2:k7)"
	# Without --check-aof: the chunks opened by T, whole, trailers kept.
	run -0 aof-fetch --to-time "$(iso $((T0 + 2)))" -o "$SCRATCH/out/x" $P
	run -0 grep -c '^#rdbpipe:' "$SCRATCH/out/x/appendonly.aof.1.incr.aof"
	assert_output 1
	run -0 tail -c 100 "$SCRATCH/out/x/appendonly.aof.1.incr.aof"
	assert_output --partial "#rdbpipe:$R:$(printf '%020d-%020d' $((BASE_OFF + 1)) "$E1")"
}

@test "a missing chunk: refused naming the offset, no DIR; an earlier time still restores" {
	swift-rm "$C2"
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:06Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: $P/archive/$R: no chunk starts at offset $((E1 + 1)) (chain ends at 2026-12-02T06:00:02Z); cannot restore to 2026-12-02T06:00:06Z"
	assert_output ""
	assert_no_dir
	restored $((T0 + 2)) r1
	run -0 keys r1
	assert_output "$(printf '%s\n' 0:base 1:k1 1:k2)"
}

@test "a chunk corrupted in Swift: refused naming the object, no DIR" {
	local f=$SCRATCH/c2
	swift-get "$C2" >"$f"
	# A byte of the encrypted payload changed, uploaded over it (Swift's
	# ETag then matches: only the age MAC can tell).
	printf '\x00' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 20)) conv=notrunc 2>/dev/null
	swift-put -q -f "$C2" <"$f"
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:06Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: database_backups/$C2: age payload: chunk 0 failed to authenticate (or the file is truncated)"
	assert_no_dir
}

@test "a chunk whose trailer does not match its name: refused naming the object" {
	swift-rm "$C3"
	FORGE_START=$((E3 + 1)) chunk $((E2 + 1)) $((T0 + 6)) $((T0 + 8)) "$((T0 + 6)) SET k6 v6"
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:07Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: database_backups/$CHUNK: its trailer is 01234567...:$((E3 + 1))-$((E3 + END - E2)): not this chunk"
	assert_no_dir
}

@test "a chunk without a trailer, a base that is not an RDB: refused" {
	swift-rm "$C1"
	printf '#TS:%s\r\n*1\r\n$4\r\nPING\r\n' $((T0 + 1)) | rdb-pack -q -r "$RECIPIENT" | swift-put -q "$C1"
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:01Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: database_backups/$C1: no trailer (#rdbpipe:REPLID:START-END) at its end: not a whole chunk"
	assert_no_dir
	swift-rm "$BASE"
	echo 'not an rdb' | rdb-pack -q -r "$RECIPIENT" | swift-put -q "$BASE"
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:01Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: database_backups/$BASE: not an RDB file"
	assert_no_dir
}

@test "the wrong key: refused naming the base, no DIR" {
	rdb-pack --keygen -o "$SCRATCH/other.txt" 2>/dev/null
	run -1 --separate-stderr aof-fetch -i "$SCRATCH/other.txt" --to-time 2026-12-02T06:00:03Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: database_backups/$BASE: no identity matched"
	assert_no_dir
}

@test "T before any base, T past the archive, DIR already there: exact refusals" {
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T05:59:59Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: $P/archive: no base at or before 2026-12-02T05:59:59Z; cannot restore to it"
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:08Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: $P/archive/$R: the archive ends at 2026-12-02T06:00:07Z; cannot restore to 2026-12-02T06:00:08Z"
	assert_no_dir
	mkdir "$SCRATCH/out/aof"
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:03Z -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: $SCRATCH/out/aof: exists: refusing to write into it"
	run -0 ls -A "$SCRATCH/out"
	assert_output aof
}

@test "redis-check-aof failing: exit 1 with its last line, no DIR" {
	run -1 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:03Z --check-aof /bin/false -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: /bin/false: exit 1"
	assert_no_dir
}

@test "usage errors: exit 2, the complaint and the synopsis" {
	local u
	u=$(usage_text)
	run -2 --separate-stderr aof-fetch --list-times
	assert_equal "$stderr" "aof-fetch: no PREFIX named
$u"
	run -2 --separate-stderr aof-fetch $P
	assert_equal "$stderr" "aof-fetch: --list-times or --to-time T is needed
$u"
	run -2 --separate-stderr aof-fetch --list-times --to-time 2026-12-02T06:00:03Z $P
	assert_equal "$stderr" "aof-fetch: --list-times and --to-time do not go together
$u"
	run -2 --separate-stderr aof-fetch --to-time 2026-12-02T06:00:03Z $P
	assert_equal "$stderr" "aof-fetch: --to-time needs -o DIR
$u"
	run -2 --separate-stderr aof-fetch --to-time '2026-12-02 06:00:03' -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: --to-time: bad time '2026-12-02 06:00:03': want YYYY-MM-DDTHH:MM:SSZ
$u"
	run -2 --separate-stderr aof-fetch --list-times -o "$SCRATCH/out/aof" $P
	assert_equal "$stderr" "aof-fetch: -o and --check-aof go with --to-time
$u"
	run -2 --separate-stderr aof-fetch --list-times $P other
	assert_equal "$stderr" "aof-fetch: unexpected argument 'other'
$u"
	run -2 --separate-stderr aof-fetch --list-times /
	assert_equal "$stderr" "aof-fetch: empty PREFIX
$u"
	assert_no_dir
}

# redis-restore's side that needs no rdb-install --aof-dir (the restore
# itself: tests/redis-restore-pitr.bats).
restore_env() {
	ENVF=$SCRATCH/redis-backup
	cat >"$ENVF" <<-EOF
	REDIS_BACKUP_PREFIX=$P
	REDIS_BACKUP_IDENTITY_FILE=$SCRATCH/key.txt
	EOF
	chmod 600 "$ENVF"
}
restore() { "$RDBPIPE_TOP/contrib/redis-restore" -c "$ENVF" "$@"; }

@test "redis-restore --list-times: the prefix's archive, as aof-fetch lists it" {
	restore_env
	run -0 --separate-stderr restore --list-times
	assert_equal "$stderr" ""
	assert_output "$R $BASE_OFF 2026-12-02T06:00:00Z 2026-12-02T06:00:07Z"
	env_refused "REDIS_BACKUP_PREFIX=test/none" "redis-restore: no archive under test/none/archive/" restore --list-times
}

@test "redis-restore --to-time: usage errors exit 2; a missing chunk or a failing checker exits 1, the server untouched" {
	local u before
	restore_env
	u=$("$RDBPIPE_TOP/contrib/redis-restore" --help)
	run -2 --separate-stderr restore --to-time 2026-12-02
	assert_equal "$stderr" "redis-restore: --to-time: bad time '2026-12-02': want YYYY-MM-DDTHH:MM:SSZ
$u"
	run -2 --separate-stderr restore --to-time 2026-12-02T06:00:03Z $P/x.rdb.zst.age
	assert_equal "$stderr" "redis-restore: --to-time restores from the archive, not from OBJECT
$u"
	run -2 --separate-stderr restore --list-times --to-time 2026-12-02T06:00:03Z
	assert_equal "$stderr" "redis-restore: --to-time and --list-times do not go together
$u"
	run -2 --separate-stderr restore --to-time
	assert_equal "$stderr" "redis-restore: --to-time needs a time
$u"

	redis_start dst
	rcli dst SET only-in-dst 1 >/dev/null
	before=$(redis_digest dst)
	mkdir "$SCRATCH/tmp"
	export TMPDIR=$SCRATCH/tmp
	echo "REDIS_CONF=$RCONF" >>"$ENVF"
	swift-rm "$C2"
	run -1 --separate-stderr restore -q --to-time 2026-12-02T06:00:06Z
	assert_equal "$stderr" "aof-fetch: $P/archive/$R: no chunk starts at offset $((E1 + 1)) (chain ends at 2026-12-02T06:00:02Z); cannot restore to 2026-12-02T06:00:06Z
redis-restore: restore to 2026-12-02T06:00:06Z failed at aof-fetch (exit 1)"
	# The checker is the server's own, or REDIS_CHECK_AOF.
	echo "REDIS_CHECK_AOF=/bin/false" >>"$ENVF"
	run -1 --separate-stderr restore --to-time 2026-12-02T06:00:02Z
	assert_equal "$stderr" "redis-restore: fetching $P/archive/ as of 2026-12-02T06:00:02Z (truncated by /bin/false)
aof-fetch: /bin/false: exit 1
redis-restore: restore to 2026-12-02T06:00:02Z failed at aof-fetch (exit 1)"
	[ "$(redis_digest dst)" = "$before" ] || fail "the server changed"
	run -0 ls -A "$SCRATCH/tmp"
	assert_output ""
}
