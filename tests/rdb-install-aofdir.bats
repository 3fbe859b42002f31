#!/usr/bin/env bats
# rdb-install --aof-dir: a Redis 7 multi-part AOF dir (a base RDB, incr
# files, a manifest; what aof-fetch builds, or a real server's
# appendonlydir) installed with every guarantee of an RDB restore, into a
# target with the AOF on and one with it off, against a real redis-server
# 7.0 running as redis over its own data dir.

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	T=$(scratch)
	make_fetched "$T/aof"
	dir_state "$T/aof" >"$T/src.before"
	make_target
}

teardown() { common_teardown; }

# resp ARG...: one command as the AOF holds it.
resp() {
	local a
	printf '*%d\r\n' "$#"
	for a in "$@"; do printf '$%d\r\n%s\r\n' "${#a}" "$a"; done
}

# make_fetched DIR: an AOF dir as aof-fetch writes it: the base is a
# server's SAVE, the incr the commands sent after it with #TS annotations
# and a trailer; the server that ran them gives the digest (B_DIGEST) and
# the key count (B_KEYS) a restore must reproduce.
make_fetched() {
	local d=$1
	redis_start src
	redis_populate src 30
	rcli src SAVE >/dev/null
	mkdir -p "$d"
	cp "$(redis_dir src)/dump.rdb" "$d/appendonly.aof.1.base.rdb"
	{
		printf '#TS:1796191200\r\n'
		resp SELECT 0
		resp SET after-base 1
		resp DEL str:1
		resp INCR int:2
		printf '#TS:1796191201\r\n'
		resp SELECT 5
		resp SET in-db5 x
		resp EXPIRE in-db5 3600
		resp MULTI
		resp SET tx 1
		resp EXEC
		printf '#rdbpipe:0123456789abcdef0123456789abcdef01234567:1-200\r\n'
	} >"$d/appendonly.aof.1.incr.aof"
	printf 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n' \
		>"$d/appendonly.aof.manifest"
	rcli src DEL str:1 >/dev/null
	rcli src INCR int:2 >/dev/null
	rcli src SET after-base 1 >/dev/null
	printf 'SELECT 5\nSET in-db5 x\nEXPIRE in-db5 3600\nSET tx 1\n' | rcli src >/dev/null
	B_DIGEST=$(redis_digest src)
	B_KEYS=$(key_count src)
	redis_stop src
}

# make_target [CONFIG-LINE]...: server a with dataset A (saved), the
# state of its data dir and config kept to compare.
make_target() {
	redis_start a "$@"
	redis_populate a 10
	rcli a SET only-in-a 1 >/dev/null
	rcli a SAVE >/dev/null
	A_DIGEST=$(redis_digest a)
	A_PID=$(redis_pid a)
	cp "$RDIR/dump.rdb" "$T/a.rdb"
	cp "$RCONF" "$T/conf.before"
	dir_state "$RDIR" >"$T/state.before"
}

# served: B is served, the config is as it was, nothing of ours is left.
served() {
	[ "$(redis_digest a)" = "$B_DIGEST" ] || fail "B is not served"
	[ "$(rcli a -n 5 GET in-db5)" = x ]
	[ "$(rcli a EXISTS after-base)" = 1 ]
	[ "$(rcli a EXISTS only-in-a)" = 0 ]
	cmp "$RCONF" "$T/conf.before"
	assert_no_file "$(journal_file "$RDIR")"
	assert_no_file "$(conf_copy_file "$RDIR")"
	assert_no_staged "$RDIR"
}

# refused MESSAGE [DIR]: exit 1 with exactly MESSAGE; refused before the
# stop, nothing changed (untouched), no journal left.
refused() {
	run -1 --separate-stderr rdb-install -c "$RCONF" --aof-dir "${2:-$T/aof}"
	assert_equal "$output" ""
	assert_equal "$stderr" "$1"
	untouched
	assert_no_file "$(journal_file "$RDIR")"
}

@test "AOF off: the AOF dir loaded once, saved, restarted without it: B, the config byte for byte" {
	run -0 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof"
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-install: $RDIR/dump.rdb: restored $B_KEYS keys from $T/aof (base RDB version 10), saved; AOF off as configured"
	served
	[ "$(rcli a CONFIG GET appendonly | tail -1)" = no ]
	assert_no_file "$RDIR/appendonlydir"
	[ "$(redis_keys_in "$RDIR/dump.rdb")" = "$B_KEYS" ]
	[ "$(stat -c %U:%G "$RDIR/dump.rdb")" = redis:redis ]
	# The old dump kept aside; the source dir not touched.
	cmp "$RDIR/dump.rdb.old" "$T/a.rdb"
	diff "$T/src.before" <(dir_state "$T/aof")
	redis_restart a
	served
}

@test "AOF on: installed under the target's names, loaded, dump.rdb saved too: B, still B after a restart" {
	redis_stop a
	make_target "appendonly yes" 'appendfilename "my aof"' "appenddirname \"aof dir\""
	cp -a "$RDIR/aof dir" "$T/aof.before"
	run -0 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof"
	assert_equal "$stderr" "rdb-install: $RDIR/aof dir: restored $B_KEYS keys from $T/aof (base RDB version 10)"
	served
	diff -r "$RDIR/aof dir.old" "$T/aof.before"
	[ "$(head -2 "$RDIR/aof dir/my aof.manifest")" = "$(printf 'file "my aof.1.base.rdb" seq 1 type b\nfile "my aof.1.incr.aof" seq 1 type i')" ]
	cmp "$RDIR/aof dir/my aof.1.base.rdb" "$T/aof/appendonly.aof.1.base.rdb"
	[ "$(stat -c %U:%G "$RDIR/aof dir" "$RDIR/aof dir/my aof.1.incr.aof" | sort -u)" = redis:redis ]
	[ "$(redis_keys_in "$RDIR/dump.rdb")" = "$B_KEYS" ]
	redis_restart a
	served
}

@test "a real server's appendonlydir (base, its incr after a rewrite and a restart) into AOF off: its exact data" {
	redis_start r "appendonly yes"
	redis_populate r 20
	rcli r BGREWRITEAOF >/dev/null
	sleep 0.5
	rcli r SET after-rewrite 1 >/dev/null
	redis_restart r
	rcli r SET after-restart 1 >/dev/null
	R_DIGEST=$(redis_digest r)
	redis_stop r
	cp -a "$(redis_dir r)/appendonlydir" "$T/real"
	RDIR=$(redis_dir a) RCONF=$(redis_dir a)/redis.conf
	run -0 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/real"
	[ "$(redis_digest a)" = "$R_DIGEST" ]
	[ "$(rcli a EXISTS after-restart)" = 1 ]
	cmp "$RCONF" "$T/conf.before"
	redis_restart a
	[ "$(redis_digest a)" = "$R_DIGEST" ]
}

@test "a bad manifest is refused before the stop, exact message, nothing changed" {
	M=$T/aof/appendonly.aof.manifest
	cp "$M" "$T/m"
	echo "file appendonly.aof.1.hist.rdb seq 0 type h" >>"$M"
	refused "rdb-install: $M: line 3: seq 0: not a number > 0"
	printf 'file ../../etc/passwd seq 1 type b\n' >"$M"
	refused "rdb-install: $M: line 1: not a plain file name"
	printf 'file appendonly.aof.1.incr.aof seq 1 type i\n' >"$M"
	refused "rdb-install: $M: no base file (type b)"
	cp "$T/m" "$M"
	touch "$T/aof/stray"
	refused "rdb-install: $T/aof/stray: not in the manifest appendonly.aof.manifest"
	rm "$T/aof/stray"
	cp "$M" "$T/aof/other.manifest"
	run -1 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof"
	[[ "$stderr" == "rdb-install: $T/aof: two manifests, "*" and "* ]] || fail "$stderr"
	untouched
	rm "$T/aof/other.manifest" "$M"
	refused "rdb-install: $T/aof: no manifest (*.manifest): not an AOF dir"
	refused "rdb-install: $T/nowhere: No such file or directory" "$T/nowhere"
}

@test "a corrupt or truncated incr file is refused by redis-check-aof, nothing changed" {
	I=$T/aof/appendonly.aof.1.incr.aof
	size=$(stat -c %s "$I")
	printf 'garbage\r\n' >>"$I"
	refused "rdb-install: redis-check-aof rejects the AOF: filename=appendonly.aof.1.incr.aof, size=$((size + 9)), ok_up_to=$size, ok_up_to_line=55, diff=9"
	truncate -s $((size - 60)) "$I"
	run -1 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof"
	[[ "$stderr" == "rdb-install: redis-check-aof rejects the AOF: filename=appendonly.aof.1.incr.aof, size=$((size - 60)), ok_up_to="* ]] || fail "$stderr"
	untouched
}

@test "a corrupt base is refused by the RDB check, nothing changed" {
	B=$T/aof/appendonly.aof.1.base.rdb
	size=$(stat -c %s "$B")
	head -c $((size / 2)) "$B" >"$T/half" && mv "$T/half" "$B"
	refused "rdb-install: $B: truncated RDB: ends at offset $((size / 2)) before the EOF marker"
	ln -sf /etc/passwd "$B"
	refused "rdb-install: $B: Too many levels of symbolic links"
}

@test "usage: --aof-dir with FILE, with stdin, with --rollback: exit 2" {
	run -2 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof" "$T/x.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: --aof-dir excludes FILE and - (stdin)"
	assert_equal "${stderr_lines[1]}" "usage: rdb-install [-c REDIS_CONF] [--owner USER:GROUP | --no-chown]"
	run -2 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof" -
	assert_equal "${stderr_lines[0]}" "rdb-install: --aof-dir excludes FILE and - (stdin)"
	run -2 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof" --rollback
	assert_equal "${stderr_lines[0]}" "rdb-install: --aof-dir excludes --rollback"
	untouched
}

@test "--dry-run --aof-dir: checked in full, the plan on stdout, nothing kept, the server never stopped" {
	run -0 --separate-stderr rdb-install -c "$RCONF" --dry-run --aof-dir "$T/aof"
	assert_equal "$stderr" ""
	assert_line "config: $RCONF"
	assert_line --regexp "^stage: $RDIR/[^ ]+XXXXXXXXXXXXXXXX/ \(mode 0700\), base and incr files as appendonly\.aof, check, redis-check-rdb, redis-check-aof \(done: the staged dir is removed again\)\$"
	assert_line "config: appendonly yes"
	assert_line "save: BGSAVE, wait for it ($RDIR/dump.rdb)"
	assert_line "config: appendonly no (the original bytes)"
	assert_line "remove: $RDIR/appendonlydir (the data is in $RDIR/dump.rdb)"
	untouched
	# A dir that would be refused is refused by the dry run too.
	printf 'garbage\r\n' >>"$T/aof/appendonly.aof.1.incr.aof"
	run -1 --separate-stderr rdb-install -c "$RCONF" --dry-run --aof-dir "$T/aof"
	assert_output ""
	[[ $stderr == "rdb-install: redis-check-aof rejects the AOF: "* ]] || fail "$stderr"
	untouched
}

# The hostile redis user (as tests/rdb-install-hostile.bats): root's files
# outside, in a dir only root enters, keep their bytes, owner and mode.
outside() {
	O=$T/outside
	mkdir -m 700 "$O" "$O/aofdir"
	echo precious >"$O/victim"
	echo also >"$O/aofdir/file"
	chmod 640 "$O/victim"
	outside_state >"$T/outside.before"
}

outside_state() {
	(cd "$O" && find . -printf '%p %U %G %m %y %s\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}

outside_intact() {
	outside_state >"$T/outside.after"
	diff "$T/outside.before" "$T/outside.after" || fail "a file outside changed"
}

as_redis() { runuser -u redis -- "$@"; }

@test "symlinks planted by the redis user at every name used, appendonlydir a link to root's dir: B, nothing outside touched" {
	local n
	[ "$(id -u)" = 0 ] || fail "this suite needs root"
	outside
	redis_stop a
	make_target "appendonly yes"
	as_redis mv "$RDIR/appendonlydir" "$RDIR/aof-real"
	as_redis ln -s "$O/aofdir" "$RDIR/appendonlydir"
	for n in appendonlydir.old dump.rdb.old .rdb-install.staged .rdb-install.staged.0000000000000000; do
		as_redis ln -s "$O/victim" "$RDIR/$n"
	done
	cp "$RCONF" "$T/conf.before"
	run -0 --separate-stderr rdb-install -c "$RCONF" --aof-dir "$T/aof"
	outside_intact
	served
	[ -L "$RDIR/appendonlydir.old" ]
	[ -d "$RDIR/appendonlydir" ] && [ ! -L "$RDIR/appendonlydir" ]
	[ "$(stat -c %U:%G "$RDIR/appendonlydir")" = redis:redis ]
	[ -L "$RDIR"/appendonlydir.old.*Z ]
	[ -L "$RDIR"/dump.rdb.old.*Z ]
}

@test "the staged AOF dir swapped for a link to root's dir at the stop: refused, rolled back, A; and a link in the source dir is not followed" {
	[ "$(id -u)" = 0 ] || fail "this suite needs root"
	outside
	swap_staged "$T/stop.sh" "$O/aofdir"
	run -1 --separate-stderr rdb-install -c "$RCONF" --timeout 20 --stop-cmd "$T/stop.sh" --aof-dir "$T/aof"
	[[ "${stderr_lines[0]}" == "rdb-install: install: $RDIR/.rdb-install.staged."????????????????": not the staged AOF dir any more" ]] ||
		fail "$stderr"
	assert_equal "${stderr_lines[1]}" "rdb-install: rolled back: the old data and config are in place again and the server is up"
	outside_intact
	[ "$(redis_digest a)" = "$A_DIGEST" ]
	cmp "$RCONF" "$T/conf.before"
	assert_no_file "$(journal_file "$RDIR")"
	assert_no_file "$RDIR/appendonlydir"
	# The incr file of the source dir a link to root's file: not read.
	A_PID=$(redis_pid a)
	dir_state "$RDIR" >"$T/state.before"
	rm "$T/aof/appendonly.aof.1.incr.aof"
	ln -s "$O/victim" "$T/aof/appendonly.aof.1.incr.aof"
	refused "rdb-install: $T/aof/appendonly.aof.1.incr.aof: Too many levels of symbolic links"
	outside_intact
}
