# The continuous archive as aof-archive writes it (ARCHIVE.md), built by
# hand for the restore-side suites (aof-fetch, redis-restore --to-time):
# a base that is a real server's RDB, chunks of RESP commands with #TS
# annotations and the trailer (tests/lib/aof-chunk.py), each packed by
# rdb-pack to an age key and uploaded by swift-put under its archive name.
# Needs swift_start first.

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

# archive_build: a base (a real server's SAVE, the server "src", SRC_RDB)
# and three chunks covering 06:00:01 to 06:00:07 (C1 C2 C3, ending at E1
# E2 E3), packed to a new age key ($SCRATCH/key.txt, RECIPIENT).
archive_build() {
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
}

# keys NAME: every key of every database, "DB:KEY" a line, sorted.
keys() {
	local db
	for db in 0 1 2 3; do
		rcli "$1" -n "$db" KEYS '*' | sed -n "/./s/^/$db:/p"
	done | sort
}

