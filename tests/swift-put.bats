#!/usr/bin/env bats
# swift-put against a real one-node Swift: plain objects and Static Large
# Objects, what lands in Swift, and what is left when it fails.

load test_helper
load lib/swift_common

@test "usage errors exit 2 with the synopsis" {
	run -2 --separate-stderr swift-put </dev/null
	assert_equal "${stderr_lines[0]}" "swift-put: no OBJECT named"
	assert_equal "${stderr_lines[1]%% *}" "usage:"
	run -2 --separate-stderr swift-put -S 0 x </dev/null
	assert_equal "${stderr_lines[0]}" "swift-put: -S: the segment size must not be 0"
	run -2 --separate-stderr swift-put -m novalue x </dev/null
	assert_equal "${stderr_lines[0]}" "swift-put: -m: expected KEY=VALUE with a key of letters, digits, '-' and '_': 'novalue'"
	run -2 --separate-stderr swift-put --delete-after 1d --delete-at 2000000000 x </dev/null
	assert_equal "${stderr_lines[0]}" "swift-put: --delete-after and --delete-at do not go together"
	run -2 --separate-stderr swift-put --delete-at 1000000000 x </dev/null
	assert_equal "${stderr_lines[0]}" "swift-put: --delete-at: 1000000000 is in the past"
	run -2 --separate-stderr swift-put --delete-after 1w x </dev/null
	assert_equal "${stderr_lines[0]}" "swift-put: --delete-after: invalid duration '1w'"
	run -0 swift-put --help
	assert_line --index 0 --partial "usage: swift-put"
	run -0 swift-put --version
	assert_output "swift-put 0.1.0"
	assert_no_object "$C" x
}

@test "round trips at 0, 1, segment-1, segment, segment+1 bytes and 20 segments" {
	local n sizes="0 1 1048575 1048576 1048577 20971520"
	for n in $sizes; do
		mkdata "$n" "$T/in"
		run -0 --separate-stderr swift-put -S 1M "obj-$n" <"$T/in"
		assert_equal "$stderr" ""
		swift-get "obj-$n" >"$T/out"
		[ "$(sha "$T/out")" = "$(sha "$T/in")" ] || fail "size $n differs"
	done
	# One segment or less is one plain object; more is a large object
	# with a segment per MiB.
	[ "$(header "$C" obj-1048576 X-Static-Large-Object)" = "" ]
	[ "$(header "$C" obj-1048577 X-Static-Large-Object)" = True ]
	segs=$(listing "${C}_segments")
	[ "$(grep -c '^obj-1048577/slo/' <<<"$segs")" = 2 ]
	[ "$(grep -c '^obj-20971520/slo/' <<<"$segs")" = 20 ]
	[ "$(grep -c '^obj-1048576/' <<<"$segs")" = 0 ]
	grep -q '^obj-20971520/slo/[0-9]*\.[0-9]*/1048576/00000019$' <<<"$segs"
}

@test "a plain object carries its MD5 as ETag" {
	mkdata 1000 "$T/in"
	swift-put small <"$T/in"
	assert_equal "$(header "$C" small Etag)" "$(md5sum <"$T/in" | cut -d' ' -f1)"
	assert_equal "$(header "$C" small Content-Length)" 1000
}

@test "interop: swift download reads what swift-put wrote, plain and large" {
	mkdata 3500000 "$T/in"
	swift-put -S 1M big <"$T/in"
	head -c 5000 "$T/in" | swift-put small
	swift_cli download "$C" big -o "$T/big"
	swift_cli download "$C" small -o "$T/small"
	cmp "$T/in" "$T/big"
	cmp <(head -c 5000 "$T/in") "$T/small"
}

@test "interop: swift-get reads what swift upload --use-slo wrote, from a file and from stdin" {
	mkdata 3500000 "$T/in"
	(cd "$T" && swift_cli upload --use-slo --segment-size 1048576 "$C" in --object-name fromfile >/dev/null)
	swift_cli upload --use-slo --segment-size 1048576 "$C" - --object-name fromstdin <"$T/in" >/dev/null
	[ "$(header "$C" fromstdin X-Static-Large-Object)" = True ]
	swift-get fromfile | cmp - "$T/in"
	swift-get fromstdin | cmp - "$T/in"
}

@test "odd names: spaces, UTF-8, ?, #, % and / round trip and list as given" {
	local name
	mkdata 2200000 "$T/in"
	for name in 'a b' 'dir/ü ñ/日本' 'q?x=1&y' 'h#frag' 'p%20c%' '+plus;semi'; do
		swift-put -S 1M "$name" <"$T/in"
		swift-get "$name" | cmp - "$T/in"
		[ "$(status "$C" "$name")" = 200 ] || fail "$name not stored under its name"
	done
	run -0 swift-ls
	assert_output "$(printf '%s\n' '+plus;semi' 'a b' 'dir/ü ñ/日本' 'h#frag' 'p%20c%' 'q?x=1&y')"
}

@test "an existing object is not overwritten without -f; -f overwrites" {
	mkdata 100 "$T/one"
	mkdata 2500000 "$T/two"
	swift-put obj <"$T/one"
	run -1 --separate-stderr swift-put -S 1M obj <"$T/two"
	assert_equal "$stderr" "swift-put: $C/obj: already exists (use -f to overwrite)"
	swift-get obj | cmp - "$T/one"
	assert_no_segments "$C"
	swift-put -f -S 1M obj <"$T/two"
	swift-get obj | cmp - "$T/two"
	swift-put -f obj <"$T/one"
	swift-get obj | cmp - "$T/one"
}

@test "-m sets X-Object-Meta-* on the object" {
	mkdata 2200000 "$T/in"
	swift-put -m color=blue -m Owner-Team=ops -S 1M meta <"$T/in"
	echo -n x | swift-put -m 'note=a b = c' plain
	assert_equal "$(header "$C" meta X-Object-Meta-Color)" blue
	assert_equal "$(header "$C" meta X-Object-Meta-Owner-Team)" ops
	assert_equal "$(header "$C" plain X-Object-Meta-Note)" "a b = c"
}

@test "--delete-after puts one X-Delete-At on the manifest and every segment" {
	local now at seg
	mkdata 3200000 "$T/in"
	now=$(date +%s)
	swift-put --delete-after 1h -S 1M exp <"$T/in"
	at=$(header "$C" exp X-Delete-At)
	[ "$at" -ge $((now + 3600)) ] && [ "$at" -le $(($(date +%s) + 3600)) ] ||
		fail "X-Delete-At $at is not an hour from $now"
	[ "$(count "${C}_segments")" = 4 ]
	for seg in $(listing "${C}_segments"); do
		assert_equal "$(header "${C}_segments" "$seg" X-Delete-At)" "$at"
	done
	echo small | swift-put --delete-at 4000000000 small
	assert_equal "$(header "$C" small X-Delete-At)" 4000000000
}

@test "after its expiry the object and its segments are gone" {
	local at
	mkdata 2200000 "$T/in"
	# Swift refuses an X-Delete-At in the past: a margin for a slow box.
	at=$(($(date +%s) + 8))
	swift-put --delete-at "$at" -S 1M soon <"$T/in"
	[ "$(count "${C}_segments")" = 3 ]
	# Wait until the expiry time has passed (Swift's clock is ours).
	while [ "$(date +%s)" -le "$at" ]; do sleep 0.2; done
	run -1 --separate-stderr swift-get soon
	assert_equal "$stderr" "swift-get: $C/soon: not found"
	assert_equal "$output" ""
	swift_expirer_pass
	assert_no_segments "$C"
}

@test "a stdin read error leaves no object" {
	run -1 --separate-stderr swift-put dir </
	assert_equal "$stderr" "swift-put: read <stdin>: Is a directory"
	assert_no_object "$C" dir
}

@test "SIGTERM mid-upload removes the segments written and leaves no object" {
	mkfifo "$T/fifo"
	# Three segments, then stdin stays open: swift-put waits for more.
	(head -c 3145728 /dev/urandom; exec sleep 60) >"$T/fifo" 3>&- &
	local feeder=$! rc=0
	swift-put -S 1M killed <"$T/fifo" 2>"$T/err" 3>&- &
	local pid=$! i
	for i in $(seq 1 600); do
		[ "$(count "${C}_segments")" -ge 2 ] && break
		sleep 0.05
	done
	[ "$(count "${C}_segments")" -ge 2 ] || fail "no segment appeared"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	kill "$feeder" 2>/dev/null || true
	assert_equal "$rc" 1
	assert_equal "$(cat "$T/err")" "swift-put: interrupted"
	assert_no_object "$C" killed
	assert_no_segments "$C"
}

@test "bad credentials: a clear message, no secret in it" {
	run -1 --separate-stderr env ST_KEY=wrongkey swift-put x </dev/null
	assert_equal "$stderr" "swift-put: v1 authentication: HTTP 401 (check ST_USER and ST_KEY)"
	run -1 --separate-stderr env -u ST_AUTH swift-put x </dev/null
	assert_equal "$stderr" "swift-put: no credentials: set ST_AUTH, ST_USER and ST_KEY, or OS_AUTH_URL and the other OS_* variables, or OS_STORAGE_URL and OS_AUTH_TOKEN"
	run -1 --separate-stderr env -u ST_KEY swift-put x </dev/null
	assert_equal "$stderr" "swift-put: ST_AUTH is set but ST_USER or ST_KEY is not"
}

@test "-v shows methods, paths and statuses but never the key or the token" {
	mkdata 2200000 "$T/in"
	swift_auth
	run -0 --separate-stderr swift-put -v -S 1M verbose <"$T/in"
	assert_equal "${stderr_lines[0]}" "swift-put: GET /auth/v1.0: 200"
	assert_equal "${stderr_lines[1]}" "swift-put: HEAD /v1/AUTH_test/$C/verbose: 404"
	assert_equal "${stderr_lines[-1]}" "swift-put: stored $C/verbose: 2.1 MiB in 3 segments"
	[[ "$stderr" != *testing* ]] || fail "the key is in the output"
	[[ "$stderr" != *AUTH_tk* ]] || fail "a token is in the output"
	grep -q "PUT /v1/AUTH_test/$C/verbose?multipart-manifest=put: 201" <<<"$stderr"
}

@test "a pre-authenticated OS_STORAGE_URL and OS_AUTH_TOKEN work; a refused token says so" {
	mkdata 2200000 "$T/in"
	swift_auth
	OS_STORAGE_URL=$SWIFT_STORAGE_URL OS_AUTH_TOKEN=$SWIFT_TOKEN \
		run -0 env -u ST_AUTH -u ST_USER -u ST_KEY swift-put -S 1M pre <"$T/in"
	OS_STORAGE_URL=$SWIFT_STORAGE_URL OS_AUTH_TOKEN=$SWIFT_TOKEN \
		env -u ST_AUTH swift-get pre | cmp - "$T/in"
	OS_STORAGE_URL=$SWIFT_STORAGE_URL OS_AUTH_TOKEN=AUTH_tkbogus \
		run -1 --separate-stderr env -u ST_AUTH swift-put pre2 <"$T/in"
	assert_equal "$stderr" "swift-put: HEAD $C/pre2: HTTP 401: the token in OS_AUTH_TOKEN was refused (pre-authenticated: cannot re-authenticate)"
	assert_no_object "$C" pre2
}

# 0.0.0.0 reaches this host's Swift yet is not a loopback address: it
# stands for a remote host here.
@test "credentials over plain http to a host off loopback: one warning, -q silences it" {
	mkdata 2500000 "$T/in"
	port=${SWIFT_URL##*:}
	export ST_AUTH=http://0.0.0.0:$port/auth/v1.0
	run -0 --separate-stderr swift-put -S 1M remote <"$T/in"
	assert_equal "$stderr" "swift-put: warning: sending credentials over plain http to 0.0.0.0"
	run -0 --separate-stderr swift-get remote
	assert_equal "$stderr" "swift-get: warning: sending credentials over plain http to 0.0.0.0"
	run -0 --separate-stderr swift-get -q remote
	assert_equal "$stderr" ""
	cmp <(swift-get -q remote) "$T/in"
	# A pre-authenticated token sent to such a storage URL warns too.
	token=$(curl -sf -D - -o /dev/null -H "X-Auth-User: $ST_USER" \
		-H "X-Auth-Key: $ST_KEY" "$SWIFT_AUTH_DIRECT" | tr -d '\r' |
		sed -n 's/^X-Auth-Token: *//Ip')
	run -0 --separate-stderr env -u ST_AUTH OS_AUTH_TOKEN="$token" \
		OS_STORAGE_URL="http://0.0.0.0:$port/v1/AUTH_test" swift-ls
	assert_equal "$stderr" "swift-ls: warning: sending credentials over plain http to 0.0.0.0"
	assert_output remote
	# On loopback: no warning.
	export ST_AUTH=$SWIFT_AUTH_DIRECT
	run -0 --separate-stderr swift-ls
	assert_equal "$stderr" ""
}

# The storage URL once stopped at 255 bytes; it may now be 4 KiB.  Long
# account names make long storage URLs.
@test "a storage URL past 255 bytes works; past 4 KiB it is refused" {
	long=$(head -c 300 /dev/zero | tr '\0' a)
	huge=$(head -c 4100 /dev/zero | tr '\0' b)
	swift_start "[swift-constraints]
max_account_name_length = 8192
[filter:tempauth]
user_${long}_tester = testing .admin
user_${huge}_tester = testing .admin"
	export ST_USER=$long:tester
	echo hello | swift-put obj
	run -0 swift-get obj
	assert_output hello
	run -0 swift-ls
	assert_output obj
	ST_USER=$huge:tester run -1 --separate-stderr swift-ls
	assert_equal "$stderr" "swift-ls: v1 authentication: the X-Storage-Url in the reply is longer than 4096 bytes"
}
