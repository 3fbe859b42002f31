#!/usr/bin/env bats
# contrib/redis-backup's retention, --list, metrics file and runs as a
# user other than root, on a real redis-server and a real Swift.

# rdbpipe: jobs 2
load test_helper
source "$RDBPIPE_TOP/tests/lib/backup.bash"

teardown() { common_teardown; }

setup() {
	swift_start
	redis_start src
	SRC_SOCK=$RSOCK SRC_DIR=$RDIR
	redis_populate src 100
	backup_env "$SRC_SOCK" test/src REDIS_BACKUP_RETENTION=1s \
		REDIS_BACKUP_KEEP=2
}

backup() { "$RDBPIPE_TOP/contrib/redis-backup" -c "$ENVF" "$@"; }

# Keys in every database, as the backup's metadata counts them.
all_keys() {
	rcli "$1" INFO keyspace | tr -d '\r' |
		sed -n 's/^db[0-9]*:keys=\([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s }'
}

# A small object under NAME, as a backup stores it.
plant() { echo "$2" | swift-put -q -m keys=5 -m redis-version=7.0.0 "$1"; }

@test "KEEP 2, RETENTION 1s: the newest 2 complete backups remain, old and unfinished cluster ones go; failed runs delete nothing" {
	local r1 r2 r3 before
	# A complete cluster backup (manifest), an unfinished one (none), a
	# name that is no backup: only the first two are retention's.
	plant test/src/2020-01-01T000000Z/aaa.rdb.zst.age a
	plant test/src/2020-01-01T000000Z/bbb.rdb.zst.age b
	plant test/src/2020-01-01T000000Z/manifest.json '{}'
	plant test/src/2020-01-02T000000Z/ccc.rdb.zst.age c
	plant test/src/notes.txt n
	r1=$(backup -q)
	# Two complete (r1 and the old cluster one): both kept; the
	# unfinished one, older than this run, is gone.
	run -0 swift-ls test/src/
	assert_output "$(printf '%s\n' test/src/2020-01-01T000000Z/{aaa.rdb.zst.age,bbb.rdb.zst.age,manifest.json} "$r1" test/src/notes.txt)"
	sleep 1 # object names carry the second
	r2=$(backup -q)
	sleep 1
	run -0 --separate-stderr backup
	r3=$output
	[[ $stderr == *"retention: deleting test/src/${r1:9:18} (complete, "* ]] || fail "$stderr"
	run -0 swift-ls test/src/
	assert_output "$(printf '%s\n' "$r2" "$r3" test/src/notes.txt)"
	# Retention is by policy; Swift-side expiry is opt-in.
	run -0 swift_cli stat database_backups "$r3"
	refute_output --partial "X-Delete-At"

	# --list: newest first, what the metadata says.
	run -0 --separate-stderr backup --list
	assert_equal "${#lines[@]}" 3
	assert_regex "${lines[0]}" '^TIME +BYTES +KEYS +REDIS +STATE +SHARDS +NAME$'
	assert_regex "${lines[1]}" "^[0-9-]{10} [0-9:]{8} +[1-9][0-9]* +$(all_keys src) +7\.[0-9.]+ +complete +- +$r3\$"
	assert_regex "${lines[2]}" " complete +- +$r2\$"

	redis_stop src
	# What a retention pass would delete: an unfinished cluster backup.
	plant test/src/2020-01-03T000000Z/ddd.rdb.zst.age d
	before=$(swift-ls test/src/)
	for _ in 1 2 3; do
		run -1 --separate-stderr backup -q
		assert_regex "$stderr" '^redis-backup: redis: '
		sleep 1
	done
	run -0 swift-ls test/src/
	assert_output "$before"
}

@test "--list shows a cluster backup's shards and an unfinished one as incomplete; nothing yet: the header" {
	# No container yet: no backups, not an error.
	run -0 --separate-stderr backup --list
	assert_regex "$output" '^TIME +BYTES +KEYS +REDIS +STATE +SHARDS +NAME$'
	assert_equal "$stderr" ""
	plant test/src/2026-01-01T000000Z/aaa.rdb.zst.age a
	plant test/src/2026-01-01T000000Z/bbb.rdb.zst.age b
	plant test/src/2026-01-01T000000Z/manifest.json '{}'
	plant test/src/2026-01-02T000000Z/ccc.rdb.zst.age c
	run -0 --separate-stderr backup --list
	assert_equal "${#lines[@]}" 3
	assert_regex "${lines[1]}" '^2026-01-02 00:00:00 +2 +5 +7\.0\.0 +incomplete +1  test/src/2026-01-02T000000Z/$'
	assert_regex "${lines[2]}" '^2026-01-01 00:00:00 +7 +10 +7\.0\.0 +complete +2  test/src/2026-01-01T000000Z/$'
	assert_equal "$stderr" ""
}

@test "an interrupted run's segments are gone after the next success; a bad setting is refused before any upload" {
	local seg obj
	# Random values: a stream of several 1 KiB segments.
	rcli src SET big "$(head -c 30000 /dev/urandom | base64 -w0)" >/dev/null
	swift_fault_start
	echo "ST_AUTH=$ST_AUTH" >>"$ENVF"
	echo 'REDIS_BACKUP_PUT_ARGS="-S 1K"' >>"$ENVF"
	swift_fault 'delay 60 method=PUT path=_segments/.*/00000003$'
	setsid "$RDBPIPE_TOP/contrib/redis-backup" -c "$ENVF" -q >"$SCRATCH/out" 2>&1 &
	local pid=$!
	# Segment 3 is stored, its reply held: the run is mid-upload.
	for _ in $(seq 300); do
		swift-ls -c database_backups_segments test/src/ 2>/dev/null | grep -q '/00000003$' && break
		sleep 0.1
	done
	kill -9 -- -"$pid"
	wait "$pid" || true # killed: its status is not the point
	swift_fault_clear
	seg=$(swift-ls -c database_backups_segments test/src/ | head -n 1)
	[ -n "$seg" ] || fail "no segment left by the interrupted run"
	obj=${seg%%/slo/*}
	# No object: the container was never even made.
	run -1 --separate-stderr swift-ls test/src/
	assert_equal "$stderr" "swift-ls: database_backups: container not found"
	sleep 1 # object names carry the second
	# A bad setting fails before anything is stored or deleted.
	cp "$ENVF" "$SCRATCH/bad"
	echo REDIS_BACKUP_KEEP=0 >>"$SCRATCH/bad"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$SCRATCH/bad"
	assert_equal "$stderr" "redis-backup: REDIS_BACKUP_KEEP=0: a number of backups, 1 or more"
	sed -i '/^REDIS_BACKUP_KEEP=0$/d' "$SCRATCH/bad"
	echo REDIS_BACKUP_EXPIRE=1w >>"$SCRATCH/bad"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$SCRATCH/bad"
	assert_equal "$stderr" "redis-backup: REDIS_BACKUP_EXPIRE=1w: a duration such as 30d, 12h, 90m or 3600s"
	run -0 bash -c "swift-ls -c database_backups_segments test/src/ | grep -c '^$obj/'"
	[ "$output" -gt 0 ] || fail "the segments went with a refused run"
	run -0 --separate-stderr backup
	[[ $stderr == *"retention: deleting "*" segments of unfinished uploads"* ]] || fail "$stderr"
	run -0 swift-ls -c database_backups_segments test/src/
	refute_output --partial "$obj/"
	assert_output --partial "$(swift-ls test/src/)/slo/"
}

# The metrics file through Prometheus's own text parser (Debian's
# python3-prometheus-client: /usr/bin/python3's): "name value" a line.
prom() {
	/usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        assert f.type == "gauge" and f.documentation, f.name
        assert s.labels == {"prefix": "test/src"}, s.labels
        print(s.name, int(s.value))
' "$1"
}
metric() { prom "$SCRATCH/prom/redis_backup.prom" | sed -n "s/^$1 //p"; }

@test "the metrics file: success, then a failure that keeps the last success's time, size and keys" {
	local object t0 t1 ts
	mkdir -m 755 "$SCRATCH/prom"
	echo "REDIS_BACKUP_METRICS_FILE=$SCRATCH/prom/redis_backup.prom" >>"$ENVF"
	t0=$(date +%s)
	object=$(backup -q)
	t1=$(date +%s)
	run -0 prom "$SCRATCH/prom/redis_backup.prom"
	assert_equal "${#lines[@]}" 5
	assert_equal "$(metric redis_backup_last_run_success)" 1
	ts=$(metric redis_backup_last_success_timestamp_seconds)
	[ "$ts" -ge "$t0" ] && [ "$ts" -le "$t1" ] || fail "timestamp $ts not in [$t0, $t1]"
	[ "$(metric redis_backup_last_duration_seconds)" -le $((t1 - t0)) ] || fail "duration"
	assert_equal "$(metric redis_backup_last_size_bytes)" "$(swift-get --meta "$object" | sed -n 's/^bytes=//p')"
	assert_equal "$(metric redis_backup_last_keys)" "$(all_keys src)"
	assert_equal "$(stat -c %a "$SCRATCH/prom/redis_backup.prom")" 644
	local keys size
	keys=$(metric redis_backup_last_keys) size=$(metric redis_backup_last_size_bytes)

	redis_stop src
	sleep 1
	run -1 backup -q
	run -0 prom "$SCRATCH/prom/redis_backup.prom"
	assert_equal "$(metric redis_backup_last_run_success)" 0
	assert_equal "$(metric redis_backup_last_success_timestamp_seconds)" "$ts"
	assert_equal "$(metric redis_backup_last_keys)" "$keys"
	assert_equal "$(metric redis_backup_last_size_bytes)" "$size"
	# Written by rename: no temporary file is left beside it.
	run -0 ls -A "$SCRATCH/prom"
	assert_output redis_backup.prom
}

# Run as nobody with its own copies (the source tree may be closed to it).

@test "as nobody: local mode needs the redis group to read the dump; --sync needs only the network" {
	local nb=$SCRATCH/nb
	chmod 711 "$SCRATCH"
	redis_stop src
	# The dump as Debian's /var/lib/redis/dump.rdb: mode 640, group
	# redis (here by the dir's setgid bit); others reach only the socket.
	umask 027
	redis_start nbr "unixsocketperm 777"
	umask 022
	chgrp redis "$RDIR"
	chmod 2751 "$RDIR"
	redis_populate nbr 50
	mkdir -m 700 "$nb" "$nb/run" "$nb/bin"
	cp "$RDBPIPE_TOP/contrib/redis-backup" "$RDBPIPE_BIN"/{rdb-snap,rdb-pack,swift-put,swift-get,swift-ls,swift-rm} "$nb/bin/"
	cp "$SCRATCH/recipients.txt" "$nb/"
	cat >"$nb/env" <<-EOF
	REDIS_SOCKET=$RSOCK
	REDIS_BACKUP_PREFIX=test/nb
	REDIS_BACKUP_RECIPIENTS_FILE=$nb/recipients.txt
	REDIS_BACKUP_RETENTION=1s
	REDIS_BACKUP_KEEP=1
	EOF
	chmod 600 "$nb/env"
	chown -R nobody:nogroup "$nb"
	# nbk GROUPS [VAR=VALUE]...: redis-backup as nobody, in GROUPS too.
	nbk() {
		local g=$1
		shift
		setpriv --reuid=nobody --regid=nogroup $g env -u XDG_RUNTIME_DIR \
			XDG_RUNTIME_DIR="$nb/run" PATH="$nb/bin:$PATH" "$@" \
			redis-backup -c "$nb/env" -q
	}
	# Without the group the dump cannot be read.
	run -1 --separate-stderr nbk --clear-groups
	[[ $stderr == *"Permission denied"* ]] || fail "$stderr"
	[[ $stderr == *"redis-backup: backup failed at rdb-snap"* ]] || fail "$stderr"
	run -0 --separate-stderr nbk "--groups redis"
	local local_obj=$output
	assert_regex "$local_obj" '^test/nb/[0-9T-]+Z\.rdb\.zst\.age$'
	sleep 1 # object names carry the second
	# --sync reads the replication stream: no group, no file.
	run -0 --separate-stderr nbk --clear-groups REDIS_BACKUP_SNAP_ARGS=--sync
	local sync_obj=$output
	assert_regex "$sync_obj" '^test/nb/[0-9T-]+Z\.rdb\.zst\.age$'
	# Its retention ran too (KEEP 1): only the --sync backup is left.
	run -0 swift-ls test/nb/
	assert_output "$sync_obj"
	run -0 bash -c "set -o pipefail; swift-get '$sync_obj' | rdb-pack -t -q -i '$SCRATCH/key.txt'"
}

@test "retention: an archive base goes with its chunks once older than every backup kept; the newest base stays" {
	local r1 a=test/src/archive R1=0123456789abcdef0123456789abcdef01234567
	local R2=fedcba9876543210fedcba9876543210fedcba98 R3=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	local old_base=$a/$R1/00000000000000000100.base.20200101T000000Z.rdb.zst.age
	local old_chunk=$a/$R1/00000000000000000101-00000000000000000200.20200101T000000Z-20200101T000100Z.aof.zst.age
	local live_base=$a/$R1/00000000000000000300.base.20200101T010000Z.rdb.zst.age
	local live_chunk=$a/$R1/00000000000000000301-00000000000000000400.20200101T010000Z-20990101T000000Z.aof.zst.age
	local newest=$a/$R2/00000000000000000000.base.20200102T000000Z.rdb.zst.age
	local orphan=$a/$R3/00000000000000000005-00000000000000000009.20200101T000000Z-20200101T000001Z.aof.zst.age
	for o in "$old_base" "$old_chunk" "$live_base" "$live_chunk" "$newest" "$orphan"; do
		plant "$o" x
	done
	run -0 --separate-stderr backup
	r1=$output
	[[ $stderr == *"retention: deleting $a/$R1/00000000000000000100 (covers up to 20200101T000100Z, before the oldest backup kept)"* ]] || fail "$stderr"
	[[ $stderr == *"retention: deleting $a/orphan (covers up to 20200101T000001Z, "* ]] || fail "$stderr"
	run -0 swift-ls test/src/
	assert_output "$(printf '%s\n' "$r1" "$live_base" "$live_chunk" "$newest")"
}
