#!/usr/bin/env bats
# rdb-install runs as root over a data dir the redis user owns (750,
# redis:redis, the real redis-server running as redis), and that user is
# hostile: symlinks planted at every name rdb-install uses, swapped in
# during the run, a forged journal, a symlinked appendonlydir, hostile names
# in the config it may rewrite.  Each time the root-owned files outside keep
# their bytes, owner and mode, and rdb-install either finishes (B served)
# or refuses with a clear message (A served, nothing lost).

# rdbpipe: jobs 2
load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	[ "$(id -u)" = 0 ] || fail "this suite needs root"
	snapshot_b 40
	# Root's files outside, in a dir only root can enter.
	O=$T/outside
	mkdir -m 700 "$O" "$O/aofdir"
	echo precious >"$O/victim"
	chmod 640 "$O/victim"
	echo also >"$O/aofdir/file"
	outside_state >"$T/outside.before"
}

teardown() { common_teardown; }

# The bytes, owner and mode of everything outside.
outside_state() {
	set -o pipefail
	(cd "$O" && find . -print0 | sort -z | while IFS= read -r -d '' f; do
		if [ -f "$f" ] && [ ! -L "$f" ]; then
			printf '%s %s %s\n' "$f" "$(stat -c '%u %g %a' "$f")" "$(sha "$f")"
		else
			printf '%s %s %s\n' "$f" "$(stat -c '%u %g %a %F' "$f")" -
		fi
	done)
}

outside_intact() {
	outside_state >"$T/outside.after"
	diff "$T/outside.before" "$T/outside.after" || fail "a file outside changed"
}

# as_redis CMD...: the hostile user at work.
as_redis() { runuser -u redis -- "$@"; }

# start_a [CONFIG-LINE]...: A, running as redis, saved.
start_a() {
	dataset_a a 20 "$@"
	rcli a SAVE >/dev/null
	cp "$RDIR/dump.rdb" "$T/a.rdb"
	[ "$(ps -o user= -p "$(redis_pid a)")" = redis ]
}

# a_or_b STATUS: exit 0 means B is served, exit 1 that A is, rolled back.
a_or_b() {
	if [ "$1" = 0 ]; then
		[ "$(redis_digest a)" = "$B_DIGEST" ] || fail "exit 0 but B is not served"
	else
		[ "$1" = 1 ] || fail "exit $1"
		[[ "$stderr" == *"rdb-install: rolled back: the old data and config are in place again and the server is up"* ]] ||
			fail "not a clean refusal: $stderr"
		[ "$(redis_digest a)" = "$A_DIGEST" ] || fail "exit 1 but A is not served"
	fi
	[ "$(ps -o user= -p "$(redis_pid a)")" = redis ] || fail "the server does not run as redis"
}

@test "symlinks to root's file at every name rdb-install uses, AOF on: B served, nothing outside touched" {
	local n
	start_a "appendonly yes"
	# The names of this rdb-install (.old, the staging prefix) and those
	# of older ones (a journal, a config copy and temp files in the data
	# dir, a temp file beside the config).
	for n in dump.rdb.old appendonlydir.old appendonly.aof appendonly.aof.old \
	    dump.rdb.old.old .rdb-install.staged .rdb-install.staged.0000000000000000 \
	    .rdb-install.journal .rdb-install.journal.tmp .rdb-install.conf \
	    .rdb-install.conf.tmp redis.conf.rdb-install-tmp .redis.conf.rdb-install.; do
		as_redis ln -s "$O/victim" "$RDIR/$n"
	done
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	outside_intact
	a_or_b 0
	# The planted .old links were moved aside, not followed.
	[ -L "$RDIR/.rdb-install.journal" ]
	[ -L "$RDIR/appendonly.aof.old" ]
	[ -L "$RDIR"/appendonly.aof.old.*Z ]
	[ -L "$RDIR"/dump.rdb.old.*Z ]
	assert_no_staged "$RDIR"
}

@test "dump.rdb itself a symlink to root's file: B served, the file outside intact" {
	start_a
	as_redis rm "$RDIR/dump.rdb"
	as_redis ln -s "$O/victim" "$RDIR/dump.rdb"
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	outside_intact
	a_or_b 0
	[ -L "$RDIR/dump.rdb.old" ]
	[ "$(stat -c %U "$RDIR/dump.rdb")" = redis ]
}

@test "the staging file swapped for a symlink during the run: refused, rolled back, A served" {
	start_a
	swap_staged "$T/stop.sh" "$O/victim"
	run -1 --separate-stderr rdb-install -c "$RCONF" --timeout 20 --stop-cmd "$T/stop.sh" "$T/b.rdb"
	[[ "${stderr_lines[0]}" == "rdb-install: install: $RDIR/.rdb-install.staged."????????????????": not the staged file any more" ]] ||
		fail "$stderr"
	outside_intact
	a_or_b 1
	cmp "$RDIR/dump.rdb" "$T/a.rdb"
	assert_no_file "$(journal_file "$RDIR")"
}

@test "the AOF manifest swapped for a symlink at the second stop: root's file keeps its owner" {
	start_a "appendonly yes"
	stop_then "$T/stop.sh" <<-EOF
	[ -e "$T/once" ] || { touch "$T/once"; exit 0; }
	for f in "$RDIR"/appendonlydir/*; do
		runuser -u redis -- rm -f "\$f"
		runuser -u redis -- ln -s "$O/victim" "\$f"
	done
	runuser -u redis -- ln -s "$O/aofdir" "$RDIR/appendonlydir/sub"
	EOF
	run --separate-stderr rdb-install -c "$RCONF" --timeout 8 --stop-cmd "$T/stop.sh" "$T/b.rdb"
	echo "$stderr" >&2
	outside_intact
	a_or_b "$status"
}

@test "the config swapped for a symlink to root's file before it is put back: not written through, A recoverable" {
	start_a "appendonly yes"
	cp "$RCONF" "$T/conf.before"
	stop_then "$T/stop.sh" <<-EOF
	[ -e "$T/once" ] || { touch "$T/once"; exit 0; }
	runuser -u redis -- rm -f "$RCONF"
	runuser -u redis -- ln -s "$O/victim" "$RCONF"
	EOF
	run -1 --separate-stderr rdb-install -c "$RCONF" --timeout 8 --stop-cmd "$T/stop.sh" "$T/b.rdb"
	why="$RCONF: a symlink owned by uid $(id -u redis): not followed"
	assert_equal "${stderr_lines[0]}" "rdb-install: aof-on: $why; rollback failed: $why"
	outside_intact
	# The administrator puts the config back; the rollback then brings A.
	rm "$RCONF"
	cp "$T/conf.before" "$RCONF"
	run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
	outside_intact
	[ "$(redis_digest a)" = "$A_DIGEST" ]
	cmp "$RCONF" "$T/conf.before"
}

@test "a symlinked appendonlydir (AOF on) is moved aside, never entered; a rollback removes a dir without following links" {
	start_a "appendonly yes"
	cp -a "$RDIR/appendonlydir" "$T/aof.before"
	# Crashed once the rewrite made a new appendonlydir; the hostile
	# user plants links in it before the rollback removes it.
	RDB_INSTALL_CRASH_AT=stop-rewritten run -137 rdb-install -q -c "$RCONF" "$T/b.rdb"
	[ -d "$RDIR/appendonlydir" ] && [ ! -L "$RDIR/appendonlydir" ]
	as_redis ln -s "$O/aofdir" "$RDIR/appendonlydir/planted"
	as_redis ln -s "$O/victim" "$RDIR/appendonlydir/planted2"
	run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
	outside_intact
	[ "$(redis_digest a)" = "$A_DIGEST" ]
	diff -r "$RDIR/appendonlydir" "$T/aof.before"
	# The redis user points appendonlydir at root's dir: a restore moves
	# the link aside as a link, and the new AOF dir is a real one.
	as_redis mv "$RDIR/appendonlydir" "$RDIR/aof-real"
	as_redis ln -s "$O/aofdir" "$RDIR/appendonlydir"
	run -0 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	outside_intact
	[ -L "$RDIR/appendonlydir.old" ]
	[ -d "$RDIR/appendonlydir" ] && [ ! -L "$RDIR/appendonlydir" ]
	[ "$(stat -c %U:%G "$RDIR/appendonlydir")" = redis:redis ]
	a_or_b 0
}

@test "a forged journal: in the data dir it is ignored; in the state dir, not ours or not for this dir, refused" {
	start_a
	printf 'rdb-install 1\nconf %s\ndir %s\ndbfilename ../outside/victim\naof 1\naofdir ../outside\naoffile x\nkeys 1\nrdb_version 10\nwas_up 1\nchown 1 0 0\nedit %s\nconfcopy %s\nstep install\n' \
	    "$RCONF" "$RDIR" "$O/victim" "$O/victim" >"$T/forged"
	as_redis cp "$T/forged" "$RDIR/.rdb-install.journal"
	run -0 --separate-stderr rdb-install -c "$RCONF" --rollback
	assert_equal "${stderr_lines[0]}" "rdb-install: $RDIR/.rdb-install.journal: ignored: a journal in the data dir is not trusted (journals are kept in $RDB_INSTALL_STATE_DIR)"
	assert_equal "${stderr_lines[1]}" "rdb-install: $RDIR: no interrupted restore to roll back"
	assert_equal "${#stderr_lines[@]}" 2
	outside_intact
	as_redis rm "$RDIR/.rdb-install.journal"
	# A journal in the state dir that is not ours alone.
	J=$(journal_file "$RDIR")
	cp "$T/forged" "$J"
	chmod 644 "$J"
	run -1 --separate-stderr rdb-install -c "$RCONF" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: journal $J: not ours alone (uid 0, mode 644; want uid 0, 0600): move it away, check $RDIR by hand, then run rdb-install again"
	# Ours, but its values point outside: each is checked.
	chmod 600 "$J"
	sed -i 's/^rdb-install 1$/rdb-install 2/' "$J"
	run -1 --separate-stderr rdb-install -c "$RCONF" --rollback
	assert_equal "$stderr" "rdb-install: $J: no 'dirid' in the journal (the journal $J is kept: run rdb-install --rollback again)"
	printf 'rdb-install 2\ndir /etc\ndirid 1 2\n' >"$J"
	run -1 --separate-stderr rdb-install -c "$RCONF" --rollback
	assert_equal "$stderr" "rdb-install: journal $J: another data dir: move it away, check $RDIR by hand, then run rdb-install again (the journal $J is kept: run rdb-install --rollback again)"
	printf 'rdb-install 2\ndir %s\ndirid %s %s\ndbfilename ../outside/victim\naofdir a\naoffile b\nstaged .rdb-install.staged.0\naof 0\n' \
	    "$RDIR" "$(stat -c %d "$RDIR")" "$(stat -c %i "$RDIR")" >"$J"
	run -1 --separate-stderr rdb-install -c "$RCONF" --rollback
	assert_equal "$stderr" "rdb-install: journal $J: dbfilename '../outside/victim': not a plain file name (the journal $J is kept: run rdb-install --rollback again)"
	outside_intact
	[ "$(redis_digest a)" = "$A_DIGEST" ]
}

@test "hostile names in the config: dir /etc, a dir through the redis user's link, dbfilename ../x: refused, nothing touched" {
	start_a
	cp "$RCONF" "$T/conf.before"
	as_redis ln -s "$O" "$RDIR/out"
	as_redis mkdir "$RDIR/sub"
	as_redis ln -s "$RDIR/sub" "$RDIR/sub-link"
	for line in "dir /etc" "dir $RDIR/out" "dir $RDIR/sub-link/" "dbfilename ../outside/victim"; do
		cp "$RCONF" "$T/h.conf"
		echo "$line" >>"$T/h.conf"
		run -1 --separate-stderr rdb-install -c "$T/h.conf" "$T/b.rdb"
		case $line in
		"dir /etc") assert_equal "$stderr" "rdb-install: data dir /etc: owned by root, not by redis, the user the server runs as (see --owner)" ;;
		"dir $RDIR/out") assert_equal "$stderr" "rdb-install: dir $RDIR/out: $RDIR/out is a symlink owned by uid $(id -u redis): not followed" ;;
		"dir $RDIR/sub-link/") assert_equal "$stderr" "rdb-install: dir $RDIR/sub-link/: $RDIR/sub-link is a symlink owned by uid $(id -u redis): not followed" ;;
		*) assert_equal "$stderr" "rdb-install: config $T/h.conf: dbfilename '../outside/victim': not a plain file name" ;;
		esac
		outside_intact
	done
	for f in /etc/.rdb-install.staged*; do [ ! -e "$f" ] || fail "$f"; done
	[ "$(redis_digest a)" = "$A_DIGEST" ]
	cmp "$RCONF" "$T/conf.before"
}
