#!/usr/bin/env bats
# rdb-snap against real redis-server 7.0 instances on unix sockets.

load test_helper

setup() {
	T=$(scratch)
}

teardown() { common_teardown; }

# snap NAME ARGS...: rdb-snap on NAME's socket into $T/out.rdb
snap() {
	local name=$1
	shift
	rdb-snap -s "$(redis_dir "$name")/redis.sock" "$@" >"$T/out.rdb"
}

# wait_until CMD...: polls CMD until it succeeds (a state, not a time)
wait_until() {
	local i
	for i in $(seq 1 2000); do
		"$@" && return 0
		sleep 0.01
	done
	fail "never happened: $*"
}

saving() { [ "$(rcli "$1" INFO persistence | tr -d '\r' | sed -n 's/^rdb_bgsave_in_progress://p')" = 1 ]; }
# bgsave_calls NAME N: BGSAVE was called N times; bgsave_failed NAME: and
# refused at least once
bgsave_stat() { rcli "$1" INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_bgsave://p' | tr , '\n' | sed -n "s/^$2=//p"; }
bgsave_calls() { [ "$(bgsave_stat "$1" calls)" = "$2" ]; }
bgsave_failed() { [ "$(bgsave_stat "$1" failed_calls)" -ge 1 ] 2>/dev/null; }
# slow_saves NAME KEYS DELAY: server NAME with KEYS keys of 1000 bytes,
# whose saves take DELAY microseconds a key
slow_saves() {
	redis_start "$1"
	rcli "$1" DEBUG POPULATE "$2" k 1000 >/dev/null
	rcli "$1" CONFIG SET rdb-key-save-delay "$3" >/dev/null
}
# kill_save NAME: fails NAME's running save (its child killed), the delay
# that kept it running set back to 0 first
kill_save() {
	rcli "$1" CONFIG SET rdb-key-save-delay 0 >/dev/null
	kill -9 "$(redis_child "$1")"
}
# exits PID RC ERRFILE [WHO]: background job PID ends with status RC, or
# the test fails showing its stderr
exits() {
	local rc=0
	wait "$1" || rc=$?
	[ "$rc" = "$2" ] || fail "${4:+$4 }exit $rc: $(cat "$3")"
}
rewriting() { [ "$(rcli "$1" INFO persistence | tr -d '\r' | sed -n 's/^aof_rewrite_in_progress://p')" = 1 ]; }

@test "local mode: the output loaded by an empty server gives back every type" {
	redis_start a
	redis_populate a
	run -0 --separate-stderr snap a
	assert_equal "$stderr" ""
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "--sync, diskless (EOF mark): the output gives back every type" {
	redis_start a "repl-diskless-sync yes" "repl-diskless-sync-delay 0"
	redis_populate a
	run -0 --separate-stderr snap a --sync
	assert_equal "$stderr" ""
	# The mark never reaches the output: the file ends with the CRC (the
	# RDB checker in rdb-pack refuses bytes after it).
	rdb-pack --no-encrypt <"$T/out.rdb" >/dev/null
	printf '0123456789abcdef0123456789abcdef01234567' >>"$T/out.rdb"
	run -1 --separate-stderr rdb-pack --no-encrypt <"$T/out.rdb"
	truncate -s -40 "$T/out.rdb"
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "--sync, disk-based (\$<len>): the output gives back every type" {
	redis_start a "repl-diskless-sync no"
	redis_populate a
	run -0 --separate-stderr snap a --sync
	assert_equal "$stderr" ""
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "local mode follows the save: streamed while the fork wrote, same bytes as the dump" {
	# A millisecond per key: the save takes about 3 s, long enough that
	# rdb-snap reads the temp file while the child writes it.
	slow_saves a 3000 1000
	run -0 --separate-stderr snap a -v
	assert_regex "${stderr_lines[0]}" '^rdb-snap: saved in [0-9.]+ s, streamed .* \(RDB version 10, 3000 keys, CRC64 checked\)$'
	assert_regex "${stderr_lines[1]}" '^rdb-snap: followed the save: [0-9]+ bytes streamed before it ended$'
	early=$(echo "${stderr_lines[1]}" | tr -dc 0-9)
	size=$(stat -c %s "$(redis_dir a)/dump.rdb")
	# Most of the dump went out before the save ended.
	[ $((early * 2)) -gt "$size" ] || fail "only $early of $size bytes early"
	cmp "$T/out.rdb" "$(redis_dir a)/dump.rdb"
	# --no-follow: today's wait-then-stream, the same bytes, no follow.
	run -0 --separate-stderr snap a -v --no-follow
	assert_equal "${#stderr_lines[@]}" 1
	cmp "$T/out.rdb" "$(redis_dir a)/dump.rdb"
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "a followed save killed mid-way: exit 1, and rdb-pack never seals the backup" {
	# 0.1 s per key: the save runs until it is killed.
	slow_saves a 2000 100000
	rdb-pack --keygen -o "$T/key.txt" 2>/dev/null
	R=$(rdb-pack -y <"$T/key.txt")
	mkfifo "$T/fifo"
	rdb-snap -s "$(redis_dir a)/redis.sock" >"$T/fifo" 2>"$T/err" &
	snappid=$!
	rdb-pack -r "$R" <"$T/fifo" >"$T/out.age" 2>"$T/packerr" &
	packpid=$!
	# rdb-snap holds the temp file open and has read (and sent) some.
	following() {
		local fd
		fd=$(ls -l "/proc/$snappid/fd" 2>/dev/null |
		    sed -n 's/.* \([0-9]*\) -> .*temp-[0-9]*\.rdb$/\1/p')
		[ -n "$fd" ] &&
		    [ "$(sed -n 's/^pos:[[:space:]]*//p' "/proc/$snappid/fdinfo/$fd")" -gt 0 ]
	}
	wait_until following
	kill_save a
	exits "$snappid" 1 "$T/err" rdb-snap
	assert_equal "$(cat "$T/err")" "rdb-snap: background save failed: Background saving terminated by signal 9"
	exits "$packpid" 1 "$T/packerr" rdb-pack
	assert_regex "$(cat "$T/packerr")" '^rdb-pack: <stdin>: '
	# What rdb-pack wrote is no complete age stream.
	run -1 --separate-stderr age -d -i "$T/key.txt" -o "$T/plain" "$T/out.age"
	run -1 --separate-stderr rdb-pack -d -i "$T/key.txt" <"$T/out.age"
	assert_regex "$stderr" '^rdb-pack: '
}

@test "five runs back to back each hold the key written just before" {
	redis_start a
	redis_populate a 20
	# (not $i: bats's run clobbers it)
	for k in 1 2 3 4 5; do
		rcli a SET "run-$k" "fresh-$k" >/dev/null
		run -0 --separate-stderr snap a
		assert_equal "$stderr" ""
		grep -q "fresh-$k" "$T/out.rdb" || fail "run $k shipped an old dump"
	done
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "a BGSAVE already running: rdb-snap waits and ships a newer save" {
	redis_start a
	redis_populate a 50
	# A second per key: the save runs until it is killed.
	rcli a CONFIG SET rdb-key-save-delay 1000000 >/dev/null
	rcli a BGSAVE >/dev/null
	saving a
	rcli a SET late-key written-after-the-save-started >/dev/null
	rdb-snap -s "$RSOCK" -v >"$T/out.rdb" 2>"$T/err" &
	pid=$!
	# rdb-snap asked, met the running save, and waits for it to end.
	wait_until bgsave_failed a
	kill_save a
	exits "$pid" 0 "$T/err"
	assert_regex "$(sed -n 1p "$T/err")" '^rdb-snap: saved in [0-9.]+ s, streamed .* \(RDB version 10, [0-9]+ keys, CRC64 checked\)$'
	assert_equal "$(sed -n 2p "$T/err")" "rdb-snap: waited for a save or AOF rewrite that was already running"
	redis_start_from b "$T/out.rdb"
	[ "$(rcli b GET late-key)" = written-after-the-save-started ]
	redis_same a b
}

@test "an AOF rewrite running: BGSAVE SCHEDULE, and the output is newer" {
	redis_start a "appendonly yes"
	redis_populate a 50
	rcli a CONFIG SET rdb-key-save-delay 1000000 >/dev/null
	rcli a BGREWRITEAOF >/dev/null
	rewriting a
	rcli a SET late-key after-the-rewrite-started >/dev/null
	rdb-snap -s "$RSOCK" -v >"$T/out.rdb" 2>"$T/err" &
	pid=$!
	# Scheduled, not refused: BGSAVE counted once, no failure.
	wait_until bgsave_calls a 1
	assert_equal "$(bgsave_stat a failed_calls)" 0
	kill_save a
	exits "$pid" 0 "$T/err"
	assert_equal "$(sed -n 2p "$T/err")" "rdb-snap: waited for a save or AOF rewrite that was already running"
	redis_start_from b "$T/out.rdb"
	[ "$(rcli b GET late-key)" = after-the-rewrite-started ]
	redis_same a b
}

@test "a failing BGSAVE: exit 1 with the server's reason from its log" {
	mkdir -p "$(redis_dir a)/data"
	redis_start a "dir $(redis_dir a)/data" 'save "3600 1"'
	redis_populate a 5
	# The server's working dir is gone: the temp file cannot be created.
	rmdir "$(redis_dir a)/data"
	run -1 --separate-stderr snap a
	assert_regex "$stderr" '^rdb-snap: background save failed: Failed opening the temp RDB file temp-[0-9]+\.rdb \(in server root dir unknown\) for saving: No such file or directory$'
	assert_equal "$output" ""
	[ ! -s "$T/out.rdb" ]
}

@test "a failing BGSAVE without a readable log: exit 1, says where to look" {
	mkdir -p "$(redis_dir a)/data"
	redis_start a "dir $(redis_dir a)/data" 'save "3600 1"' 'logfile ""'
	rmdir "$(redis_dir a)/data"
	run -1 --separate-stderr snap a
	assert_equal "$stderr" "rdb-snap: background save failed (rdb_last_bgsave_status:err; the server's log says why)"
}

@test "rename-command CONFIG \"\": the message names --dir and --dbfilename, and they work" {
	redis_start a 'rename-command CONFIG ""'
	redis_populate a 20
	run -1 --separate-stderr snap a
	assert_equal "$stderr" "rdb-snap: CONFIG GET dir: ERR unknown command 'CONFIG', with args beginning with: 'GET' 'dir'  (pass --dir and --dbfilename where CONFIG is renamed or denied)"
	run -0 --separate-stderr snap a --dir "$(redis_dir a)" --dbfilename dump.rdb
	assert_equal "$stderr" ""
	redis_start_from b "$T/out.rdb"
	redis_same a b
	# Without CONFIG, whether persistence is off cannot be told.
	run -1 --separate-stderr snap a --dir "$(redis_dir a)" --dbfilename dump.rdb --remove
	assert_regex "$stderr" "^rdb-snap: --remove: refused: cannot tell whether persistence is off: CONFIG GET save: ERR unknown command"
	[ -f "$(redis_dir a)/dump.rdb" ]
}

@test "--dir/--dbfilename naming a file that is not a good RDB: exit 1" {
	redis_start a
	redis_populate a 20
	rcli a SAVE >/dev/null
	mkdir "$T/other"
	head -c 300 "$(redis_dir a)/dump.rdb" >"$T/other/dump.rdb"
	run -1 --separate-stderr snap a --dir "$T/other"
	assert_regex "$stderr" "^rdb-snap: $T/other/dump.rdb: "
	cp "$(redis_dir a)/dump.rdb" "$T/other/dump.rdb"
	printf 'X' | dd of="$T/other/dump.rdb" bs=1 seek=200 conv=notrunc 2>/dev/null
	run -1 --separate-stderr snap a --dir "$T/other"
	assert_regex "$stderr" "^rdb-snap: $T/other/dump.rdb: "
}

@test "local mode where the dump is not on this host: exit 1, points to --sync" {
	redis_start a
	mkdir "$T/empty"
	run -1 --separate-stderr snap a --dir "$T/empty"
	assert_equal "$stderr" "rdb-snap: open $T/empty/dump.rdb: no such file (a server on another host? --sync reads the snapshot over the network)"
	assert_equal "$output" ""
}

@test "TCP: -h and -p, locally and with --sync" {
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	redis_start a "port $port" "bind 127.0.0.1" "repl-diskless-sync-delay 0"
	redis_populate a 20
	rdb-snap -h 127.0.0.1 -p "$port" >"$T/out.rdb"
	rdb-snap -h 127.0.0.1 -p "$port" --sync --timeout 30 >"$T/sync.rdb"
	redis_start_from b "$T/out.rdb"
	redis_same a b
	redis_start_from c "$T/sync.rdb"
	redis_same a c
}

@test "requirepass: REDISCLI_AUTH and --pass-file work; the password shows nowhere" {
	pw='s3cret-pass-4711'
	redis_start a "requirepass $pw"
	export REDISCLI_AUTH=$pw
	redis_populate a 20
	run -0 --separate-stderr snap a -v
	[[ "$stderr" != *"$pw"* ]]
	run -1 grep -qF "$pw" "$T/out.rdb"
	unset REDISCLI_AUTH
	printf '%s\n' "$pw" >"$T/pw"
	chmod 600 "$T/pw"
	run -0 --separate-stderr snap a --pass-file "$T/pw"
	assert_equal "$stderr" ""
	export REDISCLI_AUTH=$pw
	redis_start_from b "$T/out.rdb" "requirepass $pw"
	redis_same a b
}

@test "requirepass: a wrong or missing password is exit 1 with a clear message" {
	redis_start a "requirepass right-one"
	REDISCLI_AUTH=wrong-one run -1 --separate-stderr snap a
	assert_equal "$stderr" "rdb-snap: AUTH: WRONGPASS invalid username-password pair or user is disabled."
	[[ "$stderr" != *wrong-one* ]]
	run -1 --separate-stderr snap a
	assert_equal "$stderr" "rdb-snap: CONFIG GET dir: NOAUTH Authentication required. (pass --dir and --dbfilename where CONFIG is renamed or denied)"
	run -1 --separate-stderr snap a --sync
	assert_equal "$stderr" "rdb-snap: REPLCONF capa eof: NOAUTH Authentication required."
	printf 'wrong-one\n' >"$T/pw"
	chmod 644 "$T/pw"
	run -1 --separate-stderr snap a --pass-file "$T/pw"
	assert_equal "${stderr_lines[0]}" "rdb-snap: warning: $T/pw is readable by group or others"
	assert_equal "${stderr_lines[1]}" "rdb-snap: AUTH: WRONGPASS invalid username-password pair or user is disabled."
}

@test "an ACL user works, locally and with --sync; not in ps, not in environ" {
	pw='acl-pass-9876'
	acl=("user default on nopass ~* &* +@all" "user backup on >$pw ~* &* +@all")
	redis_start a "${acl[@]}"
	redis_populate a 50
	export REDISCLI_AUTH=$pw
	rdb-snap -s "$RSOCK" --user backup --sync >"$T/sync.rdb"
	rdb-snap -s "$RSOCK" --user backup >"$T/out.rdb"
	unset REDISCLI_AUTH
	redis_start_from b "$T/out.rdb"
	redis_same a b
	redis_start_from c "$T/sync.rdb"
	redis_same a c
	# A save that does not end: look at the running process.
	rcli a CONFIG SET rdb-key-save-delay 1000000 >/dev/null
	REDISCLI_AUTH=$pw rdb-snap -s "$(redis_dir a)/redis.sock" --user backup >"$T/out2.rdb" 2>"$T/err" &
	pid=$!
	wait_until saving a
	tr '\0' ' ' </proc/$pid/cmdline >"$T/cmdline"
	grep -q 'rdb-snap -s .* --user backup' "$T/cmdline"
	run -1 grep -qF "$pw" "$T/cmdline"
	run -1 grep -qaF "$pw" /proc/$pid/environ
	ps -eo args >"$T/ps"
	run -1 grep -qF "$pw" "$T/ps"
	kill -9 "$(redis_child a)"
	exits "$pid" 1 "$T/err"
	assert_equal "$(cat "$T/err")" "rdb-snap: background save failed: Background saving terminated by signal 9"
}

@test "an ACL user without CONFIG: the message names --dir and --dbfilename" {
	redis_start a "user default on nopass ~* &* +@all" \
		"user snap on >pw ~* &* +@all -config"
	REDISCLI_AUTH=pw run -1 --separate-stderr snap a --user snap
	assert_equal "$stderr" "rdb-snap: CONFIG GET dir: NOPERM this user has no permissions to run the 'config|get' command (pass --dir and --dbfilename where CONFIG is renamed or denied)"
	REDISCLI_AUTH=pw run -0 --separate-stderr snap a --user snap --dir "$(redis_dir a)" --dbfilename dump.rdb
	assert_equal "$stderr" ""
}

@test "server down or wrong socket: exit 1 at once" {
	run -1 --separate-stderr rdb-snap -s "$T/nope.sock"
	assert_equal "$stderr" "rdb-snap: connect $T/nope.sock: No such file or directory"
	assert_equal "$output" ""
	redis_start a
	kill -9 "$(redis_pid a)"
	while pid_alive "$(redis_pid a)"; do sleep 0.01; done
	run -1 --separate-stderr snap a
	assert_equal "$stderr" "rdb-snap: connect $(redis_dir a)/redis.sock: Connection refused"
	run -1 --separate-stderr snap a --sync
	assert_equal "$stderr" "rdb-snap: connect $(redis_dir a)/redis.sock: Connection refused"
	run -1 --separate-stderr rdb-snap -h 127.0.0.1 -p 1
	assert_equal "$stderr" "rdb-snap: connect 127.0.0.1:1: Connection refused"
}

@test "rdb-snap | head -c 10: exit 1 with one message" {
	redis_start a
	rcli a DEBUG POPULATE 100000 >/dev/null
	for mode in "" --sync; do
		{ rc=0; rdb-snap -s "$(redis_dir a)/redis.sock" $mode 2>"$T/err" || rc=$?
		  echo "$rc" >"$T/rc"; } | head -c 10 >"$T/head"
		rc=$(cat "$T/rc")
		[ "$rc" = 1 ] || fail "exit $rc"
		[ "$(cat "$T/err")" = "rdb-snap: write <stdout>: Broken pipe" ] || fail "$(cat "$T/err")"
		[ "$(head -c 5 "$T/head")" = REDIS ]
	done
}

@test "--remove deletes the dump when persistence is off" {
	redis_start a
	redis_populate a 20
	run -0 --separate-stderr snap a --remove
	assert_equal "$stderr" ""
	assert_no_file "$(redis_dir a)/dump.rdb"
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "--remove is refused when persistence is on, and nothing is saved" {
	redis_start a 'save "3600 1"'
	redis_populate a 20
	run -1 --separate-stderr snap a --remove
	assert_equal "$stderr" "rdb-snap: --remove: refused: persistence is on (save \"3600 1\", appendonly no), the dump is the server's own"
	assert_no_file "$(redis_dir a)/dump.rdb"
	[ ! -s "$T/out.rdb" ]
	redis_stop a
	redis_start c "appendonly yes"
	run -1 --separate-stderr snap c --remove
	assert_equal "$stderr" "rdb-snap: --remove: refused: persistence is on (save \"\", appendonly yes), the dump is the server's own"
	run -0 snap c
	[ -f "$(redis_dir c)/dump.rdb" ]
}

@test "persistence off and too little disk: refused with the numbers, before BGSAVE" {
	mkdir -p "$T/small"
	mount -t tmpfs -o size=256k tmpfs "$T/small" || fail "cannot mount a tmpfs (the suite runs as root)"
	redis_start a "dir $T/small"
	redis_populate a 200
	run -1 --separate-stderr snap a
	saves=$(rcli a INFO persistence | tr -d '\r' | sed -n 's/^rdb_saves://p')
	redis_stop a
	umount "$T/small"
	assert_regex "$stderr" "^rdb-snap: not enough free space in $T/small for the dump: [0-9.]+ KiB free, used_memory is [0-9.]+ MiB$"
	[ "$saves" = 0 ]
}

@test "--sync: a server that drops the link mid-transfer is exit 1" {
	redis_start a "repl-diskless-sync yes" "repl-diskless-sync-delay 0"
	redis_populate a 100
	rcli a CONFIG SET rdb-key-save-delay 1000000 >/dev/null
	rdb-snap -s "$RSOCK" --sync >"$T/out.rdb" 2>"$T/err" &
	pid=$!
	wait_until saving a
	# The fork holds a copy of the replica's socket: the link is down
	# once both ends of the server let go.
	rcli a CLIENT KILL TYPE replica >/dev/null
	kill -9 "$(redis_child a)"
	exits "$pid" 1 "$T/err"
	assert_regex "$(cat "$T/err")" '^rdb-snap: SYNC: the server closed the connection (before the RDB|after [0-9]+ bytes)$'
}

@test "--timeout ends a save that takes too long" {
	redis_start a
	redis_populate a 100
	rcli a CONFIG SET rdb-key-save-delay 100000 >/dev/null
	run -1 --separate-stderr snap a --timeout 1
	assert_equal "$stderr" "rdb-snap: timed out waiting for the save"
	run -1 --separate-stderr snap a --timeout 1 --sync
	assert_equal "$stderr" "rdb-snap: read SYNC: timed out"
}

@test "usage errors exit 2" {
	run -2 --separate-stderr rdb-snap --sync --remove
	assert_equal "${stderr_lines[0]}" "rdb-snap: --remove, --dir, --dbfilename and --no-follow are for local mode, not --sync"
	assert_equal "${stderr_lines[1]}" "usage: rdb-snap [-h HOST] [-p PORT] [-s SOCKET] [--user USER] [--pass-file FILE]"
	run -2 --separate-stderr rdb-snap --timeout soon
	assert_regex "${stderr_lines[0]}" "^rdb-snap: --timeout: "
	run -2 --separate-stderr rdb-snap -s x -p 6379
	assert_equal "${stderr_lines[0]}" "rdb-snap: -s does not go with -h or -p"
	run -2 --separate-stderr rdb-snap extra
	assert_equal "${stderr_lines[0]}" "rdb-snap: unexpected argument 'extra'"
}

@test "refuses to write to a terminal" {
	redis_start a
	run -1 script -qec "rdb-snap -s $(redis_dir a)/redis.sock" /dev/null
	assert_output --partial "rdb-snap: refusing to write binary data to a terminal"
}

@test "--progress draws on stderr; stdout stays the RDB alone" {
	redis_start a "repl-diskless-sync no"
	redis_populate a 20
	run -0 --separate-stderr snap a --progress
	assert_regex "$stderr" 'rdb-snap: [0-9.]+ KiB .* 100%'
	rdb-pack --no-encrypt <"$T/out.rdb" >/dev/null
	run -0 --separate-stderr snap a --sync --progress
	assert_regex "$stderr" 'rdb-snap: [0-9.]+ KiB .* 100%'
	rdb-pack --no-encrypt <"$T/out.rdb" >/dev/null
	run -0 --separate-stderr snap a --progress -q
	assert_equal "$stderr" ""
}
