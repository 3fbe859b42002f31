#!/usr/bin/env bats
# rdb-install survives a crash at any step: run again it finishes the
# restore (B served), with --rollback it undoes it (A served); the server
# never comes up empty.  RDB_INSTALL_CRASH_AT=STEP is the test hook that
# makes it die by SIGKILL right after journaling STEP (common/restore.c).

# rdbpipe: jobs 2
load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

STEPS_AOF="staged stop aof-off move install start rewrite stop-rewritten aof-on restart verify"
STEPS_PLAIN="staged stop move install start verify"
# rdb-install --aof-dir, into a target with the AOF on and one with it off.
STEPS_AOFDIR_ON="staged stop move install start save verify"
STEPS_AOFDIR_OFF="staged stop conf-aof-on move install start save stop-saved conf-restore drop-aof restart verify"

setup() {
	snapshot_b 100
	B_KEYS=$(redis_keys_in "$T/b.rdb")
	INPUT=("$T/b.rdb")
}

# aofdir_b: B becomes an AOF dir (B's RDB as its base, one command in its
# incr file), the input of the restores.
aofdir_b() {
	mkdir "$T/aof"
	cp "$T/b.rdb" "$T/aof/appendonly.aof.1.base.rdb"
	printf '#TS:1796191200\r\n*3\r\n$3\r\nSET\r\n$7\r\naof-key\r\n$1\r\n1\r\n' \
		>"$T/aof/appendonly.aof.1.incr.aof"
	printf 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n' \
		>"$T/aof/appendonly.aof.manifest"
	redis_start_from bx "$T/b.rdb"
	rcli bx SET aof-key 1 >/dev/null
	B_DIGEST=$(redis_digest bx)
	B_KEYS=$(key_count bx)
	redis_stop bx
	INPUT=(--aof-dir "$T/aof")
}

teardown() { common_teardown; }

# fresh_a NAME [CONFIG-LINE]...: a server with dataset A
fresh_a() {
	local name=$1
	shift
	dataset_a "$name" 20 "$@"
	# On disk too, so that A survives the restarts with AOF off.
	rcli "$name" SAVE >/dev/null
	cp "$RCONF" "$T/conf.before"
}

# not_empty NAME: when the server answers, it holds A or B, never nothing.
not_empty() {
	local d
	redis_ping "$1" || return 0
	d=$(redis_digest "$1")
	[ "$d" = "$A_DIGEST" ] || [ "$d" = "$B_DIGEST" ] ||
		fail "$1 serves neither A nor B after the crash (digest $d)"
}

finished() {
	[ "$(redis_digest "$1")" = "$B_DIGEST" ] || fail "$1: B is not served"
	cmp "$RCONF" "$T/conf.before"
	assert_no_file "$(journal_file "$RDIR")"
	assert_no_file "$(conf_copy_file "$RDIR")"
}

undone() {
	[ "$(redis_digest "$1")" = "$A_DIGEST" ] || fail "$1: A is not served"
	cmp "$RCONF" "$T/conf.before"
	assert_no_file "$(journal_file "$RDIR")"
	assert_no_staged "$RDIR"
	assert_no_file "$(conf_copy_file "$RDIR")"
	assert_no_file "$RDIR/appendonlydir.old"
}

# crash_then MODE STEPS [CONFIG-LINE]...: for each step, crash there, then
# finish (MODE=finish) or roll back (MODE=rollback), then restart plainly.
crash_then() {
	local mode=$1 steps=$2 step n=0 name
	shift 2
	for step in $steps; do
		n=$((n + 1))
		name=a$n
		fresh_a "$name" "$@"
		RDB_INSTALL_CRASH_AT=$step run -137 rdb-install -q -c "$RCONF" "${INPUT[@]}"
		[ -f "$(journal_file "$RDIR")" ] || fail "$step: no journal"
		not_empty "$name"
		if [ "$mode" = finish ]; then
			run -0 --separate-stderr rdb-install -c "$RCONF"
			assert_equal "$stderr" "rdb-install: $RDIR/dump.rdb: the interrupted restore is finished: $B_KEYS keys"
			finished "$name"
			redis_restart "$name"
			finished "$name"
		else
			run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
			assert_equal "$stderr" "rdb-install: rolled back: the old data and config are in place again and the server is up"
			undone "$name"
			redis_restart "$name"
			undone "$name"
		fi
		redis_stop "$name"
	done
}

@test "AOF off: a crash at each step, then a plain run finishes: B" {
	crash_then finish "$STEPS_PLAIN"
}

@test "AOF off: a crash at each step, then --rollback: A" {
	crash_then rollback "$STEPS_PLAIN"
}

@test "AOF on: a crash at each step, then a plain run finishes: B" {
	crash_then finish "$STEPS_AOF" "appendonly yes"
}

@test "AOF on: a crash at each step, then --rollback: A" {
	crash_then rollback "$STEPS_AOF" "appendonly yes"
}

@test "--aof-dir, AOF on: a crash at each step, then a plain run finishes: B" {
	aofdir_b
	crash_then finish "$STEPS_AOFDIR_ON" "appendonly yes"
}

@test "--aof-dir, AOF on: a crash at each step, then --rollback: A" {
	aofdir_b
	crash_then rollback "$STEPS_AOFDIR_ON" "appendonly yes"
}

@test "--aof-dir, AOF off: a crash at each step, then a plain run finishes: B" {
	aofdir_b
	crash_then finish "$STEPS_AOFDIR_OFF"
}

@test "--aof-dir, AOF off: a crash at each step, then --rollback: A" {
	aofdir_b
	crash_then rollback "$STEPS_AOFDIR_OFF"
}

@test "a crash after the last step, the journal gone: B, nothing to finish or undo" {
	fresh_a a "appendonly yes"
	RDB_INSTALL_CRASH_AT=finished run -137 rdb-install -q -c "$RCONF" "$T/b.rdb"
	finished a
	run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
	assert_equal "$stderr" "rdb-install: $RDIR: no interrupted restore to roll back"
	finished a
	redis_restart a
	finished a
}

@test "kill -9 at random moments, then finish or roll back: never empty, A or B" {
	local round name delay
	# Six rounds: every step is crashed on purpose in the tests above;
	# these look for what a step boundary would not show.
	for round in $(seq 1 6); do
		name=r$round
		fresh_a "$name" "appendonly yes"
		rdb-install -q -c "$RCONF" "$T/b.rdb" 2>/dev/null &
		pid=$!
		delay=$((RANDOM % 3)).$((RANDOM % 10))
		echo "round $round: kill -9 after $delay s" >&2
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		st=0
		wait "$pid" || st=$?
		not_empty "$name"
		# Shown only when the test fails.
		echo "round $round: exit $st, journal: $(cat "$(journal_file "$RDIR")" 2>/dev/null)" >&2
		if [ "$st" = 0 ]; then
			# It finished before the kill.
			finished "$name"
		elif [ ! -f "$(journal_file "$RDIR")" ] &&
		    [ "$(redis_digest "$name")" = "$B_DIGEST" ]; then
			# Killed after its last step, the journal already gone
			# but the process not yet ended (a loaded machine makes
			# that window wide enough to hit): B, complete.
			finished "$name"
			run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
			assert_equal "$stderr" "rdb-install: $RDIR: no interrupted restore to roll back"
			finished "$name"
		elif [ $((round % 2)) = 0 ]; then
			run rdb-install -q -c "$RCONF" --rollback
			[ "$status" = 0 ] || fail "round $round: $output"
			# A kill before the journal leaves nothing to undo.
			undone "$name"
		elif [ -f "$(journal_file "$RDIR")" ]; then
			run rdb-install -q -c "$RCONF"
			[ "$status" = 0 ] || fail "round $round: $output"
		else
			# Killed before the journal: A untouched, and a new run
			# restores (and removes a half-staged file).
			[ "$(redis_digest "$name")" = "$A_DIGEST" ]
			rdb-install -q -c "$RCONF" "$T/b.rdb"
			assert_no_staged "$RDIR"
		fi
		if [ $((round % 2)) = 1 ]; then
			finished "$name"
		fi
		redis_restart "$name"
		[ "$(redis_digest "$name")" = "$A_DIGEST" ] ||
			[ "$(redis_digest "$name")" = "$B_DIGEST" ]
		redis_stop "$name"
	done
}

@test "a pending journal: a new run with a FILE finishes the old restore first" {
	fresh_a a "appendonly yes"
	RDB_INSTALL_CRASH_AT=rewrite run -137 rdb-install -q -c "$RCONF" "$T/b.rdb"
	run -0 --separate-stderr rdb-install -c "$RCONF" "$FIXTURES/rdb/encodings.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: $RDIR: finishing the interrupted restore first; $FIXTURES/rdb/encodings.rdb is not read"
	finished a
	run -0 --separate-stderr rdb-install --dry-run -c "$RCONF" "$T/b.rdb"
	refute_output --partial "interrupted"
}

@test "the lock: a run while another holds the data dir is refused at once" {
	fresh_a a
	run -1 --separate-stderr flock "$RDIR" rdb-install -c "$RCONF" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: $RDIR: another rdb-install is running"
	[ "$(redis_digest a)" = "$A_DIGEST" ]
	assert_no_staged "$RDIR"
}

@test "--rollback with nothing pending says so and exits 0" {
	fresh_a a
	run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
	assert_equal "$stderr" "rdb-install: $RDIR: no interrupted restore to roll back"
	[ "$(redis_digest a)" = "$A_DIGEST" ]
}
