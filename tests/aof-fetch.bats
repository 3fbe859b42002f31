#!/usr/bin/env bats
# aof-fetch: the restore side of the continuous archive, on a real Swift and
# a real redis-server 7.  The archive is built here the way aof-archive
# writes it (ARCHIVE.md): a base that is a real server's RDB, chunks of RESP
# commands with #TS annotations and the trailer (tests/lib/aof-chunk.py),
# each packed by rdb-pack to an age key and uploaded by swift-put under its
# archive name.

load test_helper

teardown() { common_teardown; }

P=test/src
R=0123456789abcdef0123456789abcdef01234567
T0=1796191200 # 2026-12-02T06:00:00Z
BASE_OFF=1000

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
stamp() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }

# chunk START OPEN CLOSE SPEC: packs and uploads one chunk; sets END and
# CHUNK (its object name).  With FORGE_START set, the plaintext (and its
# trailer) is made for that start instead, under the name for START.
chunk() {
	local start=$1 open=$2 close=$3 spec=$4 plain=$SCRATCH/chunk.$1
	END=$(python3 "$RDBPIPE_TOP/tests/lib/aof-chunk.py" "$R" \
		"${FORGE_START:-$start}" "$plain" <<<"$spec")
	[ -z "${FORGE_START:-}" ] || END=$((start + END - FORGE_START))
	CHUNK=$P/archive/$R/$(printf '%020d-%020d' "$start" "$END").$(stamp "$open")-$(stamp "$close").aof.zst.age
	rdb-pack -q -r "$RECIPIENT" <"$plain" | swift-put -q "$CHUNK"
}

setup() {
	swift_start
	rdb-pack --keygen -o "$SCRATCH/key.txt" 2>/dev/null
	RECIPIENT=$(rdb-pack -y <"$SCRATCH/key.txt")
	# The base: a real server's SAVE.
	redis_start src
	rcli src SET base 1 >/dev/null
	rcli src SAVE >/dev/null
	BASE=$P/archive/$R/$(printf '%020d' $BASE_OFF).base.$(stamp $T0).rdb.zst.age
	SRC_RDB=$RDIR/dump.rdb
	rdb-pack -q -r "$RECIPIENT" <"$SRC_RDB" | swift-put -q "$BASE"
	# Three chunks: 06:00:01 to 06:00:07 covered.
	chunk $((BASE_OFF + 1)) $((T0 + 1)) $((T0 + 3)) "$((T0 + 1)) SELECT 1
$((T0 + 1)) SET k1 v1
$((T0 + 2)) SET k2 v2"
	C1=$CHUNK E1=$END
	chunk $((E1 + 1)) $((T0 + 3)) $((T0 + 6)) "$((T0 + 3)) SET k3 v3
$((T0 + 5)) SELECT 0
$((T0 + 5)) SET k5 v5"
	C2=$CHUNK E2=$END
	chunk $((E2 + 1)) $((T0 + 6)) $((T0 + 8)) "$((T0 + 6)) SET k6 v6
$((T0 + 7)) SELECT 2
$((T0 + 7)) SET k7 v7"
	C3=$CHUNK E3=$END
	export RDB_PACK_IDENTITY_FILE=$SCRATCH/key.txt
	mkdir "$SCRATCH/out"
}

# keys NAME: every key of every database, "DB:KEY" a line, sorted.
keys() {
	local db
	for db in 0 1 2 3; do
		rcli "$1" -n "$db" KEYS '*' | sed -n "/./s/^/$db:/p"
	done | sort
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
	run -0 tail -c 80 "$SCRATCH/out/x/appendonly.aof.1.incr.aof"
	assert_output --partial "#rdbpipe:$R:$((BASE_OFF + 1))-$E1"
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
