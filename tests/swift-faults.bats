#!/usr/bin/env bats
# swift-put, swift-get and swift-rm through the suite's fault proxy
# (tests/lib/faultproxy.py): 503s, 429s, 401s and cut connections at
# chosen requests, with its request log as the proof of what was retried.

load test_helper
load lib/swift_common

setup_file() { swift_file_setup; }
teardown_file() { common_teardown; }
setup() {
	swift_test_setup
	swift_fault_start
	# The container exists, so that the logs hold no container creation.
	swift_curl "$C" -X PUT -o /dev/null
}
teardown() { common_teardown; }

# flog REGEX: the fault log lines matching REGEX (none is no error; an
# unreadable log or a bad REGEX is)
flog() {
	local log
	log=$(swift_fault_log) || fail "no fault log"
	grep -E "$1" <<<"$log" || [ $? = 1 ]
}

# statuses_are REGEX WANT: the statuses of the fault log lines matching
# REGEX, in order, each followed by a blank, are WANT
statuses_are() {
	assert_equal "$(flog "$1" | awk '{print $3}' | tr '\n' ' ')" "$2"
}

# retried_after NAME HTTP RULE WAIT: swift-put -v NAME of a few bytes
# meets status HTTP once (with the fault RULE: its Retry-After), says
# so and that it waits WAIT s (an ERE), and its second PUT stores it
retried_after() {
	local name=$1 http=$2 rule=$3 wait=$4
	echo hello >"$T/in"
	swift_fault "status $http $rule method=PUT path=/$C/$name\$"
	run -0 --separate-stderr swift-put -v "$name" <"$T/in"
	grep -qx "swift-put: PUT /v1/AUTH_test/$C/$name: $http" <<<"$stderr"
	grep -qxE "swift-put: PUT /v1/AUTH_test/$C/$name: retry 1 of 5 in $wait s" <<<"$stderr"
	statuses_are "PUT /v1/AUTH_test/$C/$name " "$http 201 "
}

# The id the next rule added will get (ids run on across tests).
next_rule() { cat "$SWIFT_HOME/fault.nextid"; }

@test "upload: 503s and a connection cut mid-segment are retried; the bytes are exact" {
	mkdata 3500000 "$T/in"
	swift_fault "status 503 count=2 method=PUT path=/${C}_segments/.*/00000001\$" \
		"drop-request 300000 method=PUT path=/${C}_segments/.*/00000002\$" \
		"status 500 method=PUT path=multipart-manifest=put"
	run -0 --separate-stderr swift-put -S 1M up <"$T/in"
	assert_equal "$stderr" ""
	swift-get up | cmp - "$T/in"
	statuses_are '^PUT .*/00000001 ' "503 503 201 "
	statuses_are '^PUT .*/00000002 ' "DROP 201 "
	statuses_are 'PUT .*multipart-manifest=put' "500 201 "
}

@test "upload: a plain PUT cut mid-body and a 408 are retried" {
	mkdata 500000 "$T/in"
	swift_fault "drop-request 100000 method=PUT path=/$C/plain\$" \
		"status 408 method=PUT path=/$C/plain\$"
	swift-put plain <"$T/in"
	swift-get plain | cmp - "$T/in"
	statuses_are "PUT /v1/AUTH_test/$C/plain " "DROP 408 201 "
}

@test "upload: 429 with Retry-After is honoured" {
	retried_after slow 429 retry-after=2 '2\.0'
}

@test "upload: 503 with Retry-After as an HTTP-date is honoured" {
	# The date has whole seconds: 4 s ahead is 3 or 4 s by the time
	# swift-put reads it, never the 1 s of the first backoff.
	retried_after later 503 retry-after-date=4 '[34]\.0'
}

@test "upload: a 401 mid-transfer re-authenticates once and goes on" {
	mkdata 3000000 "$T/in"
	swift_fault "status 401 method=PUT path=/${C}_segments/.*/00000001\$"
	swift-put -S 1M reauth <"$T/in"
	swift-get reauth | cmp - "$T/in"
	[ "$(flog '^GET /auth/v1.0 200' | wc -l)" -ge 2 ] || fail "no second authentication"
	statuses_are '^PUT .*/00000001 ' "401 201 "
}

@test "upload: when a segment always fails, exit 1 after the retries, nothing left" {
	mkdata 3500000 "$T/in"
	swift_fault "status 503 count=forever method=PUT path=/${C}_segments/.*/00000002\$"
	run -1 --separate-stderr swift-put --retries 2 -S 1M doomed <"$T/in"
	[[ "$stderr" =~ ^"swift-put: PUT ${C}_segments/doomed/slo/"[0-9]+\.[0-9]+"/1048576/00000002: HTTP 503 after 3 tries"$ ]] ||
		fail "unexpected: $stderr"
	[ "$(flog '^PUT .*/00000002 ' | wc -l)" = 3 ]
	assert_no_object "$C" doomed
	assert_no_segments "$C"
	# The good segments were written, then deleted (the last one went up
	# beside the failing one: two are in flight); the failed one is
	# deleted too, in case a try stored it.
	assert_equal "$(flog "^DELETE /v1/AUTH_test/${C}_segments/doomed/slo/" | awk '{print $2, $3}' | sed 's|.*/||')" "$(printf '%s\n' '00000003 204' '00000002 404' '00000001 204' '00000000 204')"
}

@test "upload: two segments are in flight at once, and the manifest lists them in order" {
	mkdata 3500000 "$T/in"
	# Segment 1's answer is held 2 s: segment 2 goes up meanwhile, on a
	# connection of its own, and is answered first.  Segment 0 goes
	# alone (it may have to create the segments container).
	swift_fault "delay 2 method=PUT path=/${C}_segments/.*/00000001\$"
	swift-put -S 1M para <"$T/in"
	swift-get para | cmp - "$T/in"
	assert_equal "$(flog "^PUT /v1/AUTH_test/${C}_segments/" | awk '{print $2, $3}' | sed 's|.*/||' | tr '\n' ' ')" \
		"00000000 404 00000000 201 00000002 201 00000001 201 00000003 201 "
	swift_curl "$C/para?multipart-manifest=get" | python3 -c '
import json, sys
print(" ".join(e["name"].rsplit("/", 1)[1] for e in json.load(sys.stdin)))' >"$T/names"
	assert_equal "$(cat "$T/names")" "00000000 00000001 00000002 00000003"
}

@test "upload: a final PUT whose reply was lost is found stored, plain or large" {
	mkdata 500000 "$T/in"
	swift_fault "drop-reply method=PUT path=/$C/lost\$"
	run -0 --separate-stderr swift-put lost <"$T/in"
	assert_equal "$stderr" ""
	# The retry's If-None-Match: * meets the stored object: 412, then a
	# HEAD whose ETag is the one sent.
	assert_equal "$(flog "^(PUT|HEAD) /v1/AUTH_test/$C/lost " | awk '{print $1, $3}' | tr '\n' ' ')" \
		"HEAD 404 PUT DROP PUT 412 HEAD 200 "
	swift-get lost | cmp - "$T/in"
	mkdata 2500000 "$T/big"
	swift_fault "drop-reply method=PUT path=/$C/lostbig\\?multipart-manifest=put\$"
	run -0 --separate-stderr swift-put -S 1M lostbig <"$T/big"
	assert_equal "$stderr" ""
	swift-get lostbig | cmp - "$T/big"
	statuses_are "^PUT /v1/AUTH_test/$C/lostbig" "DROP 412 "
	# With -f there is no If-None-Match: the retry simply stores it again.
	swift_fault "drop-reply method=PUT path=/$C/lost\$"
	swift-put -f lost <"$T/big"
	swift-get lost | cmp - "$T/big"
}

@test "upload: a lost reply to a final PUT of another writer's object is still refused" {
	mkdata 500000 "$T/in"
	mkdata 400000 "$T/other"
	swift-put taken <"$T/other"
	# swift-put's early HEAD is answered 404 by the proxy; the PUT then
	# meets the object another writer stored: 412, and the HEAD shows an
	# ETag that is not ours.
	swift_fault "status 404 method=HEAD path=/$C/taken\$" \
		"drop-reply method=PUT path=/$C/taken\$"
	run -1 --separate-stderr swift-put taken <"$T/in"
	assert_equal "$stderr" "swift-put: $C/taken: already exists (use -f to overwrite)"
	swift-get taken | cmp - "$T/other"
}

@test "rm: a DELETE whose reply was lost is a success, plain or large" {
	echo x | swift-put gone
	mkdata 2500000 "$T/big"
	swift-put -S 1M gonebig <"$T/big"
	swift_fault "drop-reply method=DELETE path=/$C/gone\$" \
		"drop-reply method=DELETE path=/$C/gonebig\\?multipart-manifest=delete\$"
	run -0 --separate-stderr swift-rm gone gonebig
	assert_equal "$stderr" ""
	assert_no_object "$C" gone
	assert_no_object "$C" gonebig
	assert_no_segments "$C"
	# A bulk delete of a manifest already gone answers 200 with "Number
	# Not Found": 1 in its report.
	statuses_are "^DELETE /v1/AUTH_test/$C/gone" "DROP 404 DROP 200 "
}

# info_min BYTES: Swift's own /info with slo.min_segment_size set to BYTES,
# into $T/info.json
info_min() {
	curl -sf "$SWIFT_URL/info" | python3 -c '
import json, sys
i = json.load(sys.stdin)
i["slo"]["min_segment_size"] = int(sys.argv[1])
json.dump(i, sys.stdout)' "$1" >"$T/info.json"
}

@test "a cluster's min_segment_size above the segment size: exit 1 before any segment" {
	# Swift 2.30 publishes min_segment_size 1 and ignores a setting, so
	# the proxy answers /info with the real one, the limit raised.
	info_min 2097152
	swift_fault "status 200 count=forever method=GET path=^/info\$ body=$T/info.json"
	mkdata 3000000 "$T/in"
	run -1 --separate-stderr swift-put -S 1M small <"$T/in"
	assert_equal "$stderr" "swift-put: segment size 1.0 MiB is below the cluster's min_segment_size of 2.0 MiB"
	assert_no_object "$C" small
	assert_equal "$(flog '^PUT ')" ""
	# The default segment size names the option to set.
	info_min $((128 << 20))
	head -c $(((64 << 20) + 1)) /dev/zero >"$T/big"
	run -1 --separate-stderr swift-put big <"$T/big"
	assert_equal "$stderr" "swift-put: segment size 64.0 MiB is below the cluster's min_segment_size of 128.0 MiB (set -S)"
	assert_equal "$(flog '^PUT ')" ""
	# At the limit it goes through.
	info_min 2097152
	run -0 --separate-stderr swift-put -S 2M ok <"$T/in"
	swift-get ok | cmp - "$T/in"
	[ "$(flog '^GET /info ' | wc -l)" -eq 3 ]
}

@test "a cluster's max_file_size below the segment size: exit 1 before any segment" {
	swift_start $'[swift-constraints]\nmax_file_size = 2097152'
	mkdata 7000000 "$T/in"
	run -1 --separate-stderr swift-put -S 3M big <"$T/in"
	assert_equal "$stderr" "swift-put: segment size is above the cluster's max_file_size of 2097152 bytes"
	assert_no_object "$C" big
	assert_no_segments "$C"
	run -0 --separate-stderr swift-put -S 1M big <"$T/in"
	swift-get big | cmp - "$T/in"
}

@test "when Swift refuses everything, exit 1 with the status and the count of tries" {
	swift_fault "status 503 count=forever"
	run -1 --separate-stderr swift-put --retries 1 x </dev/null
	assert_equal "$stderr" "swift-put: v1 authentication: HTTP 503 after 2 tries"
	run -1 --separate-stderr swift-get --retries 0 x
	assert_equal "$stderr" "swift-get: v1 authentication: HTTP 503 after 1 try"
}

@test "download: a connection cut mid-object resumes with Range and If-Match, byte-exact" {
	local etag
	mkdata 3000000 "$T/in"
	swift-put plain <"$T/in"
	etag=$(md5sum <"$T/in" | cut -d' ' -f1)
	local id
	id=$(next_rule)
	swift_fault "drop-response 1000000 method=GET path=/$C/plain\$" \
		"drop-response 1500000 method=GET path=/$C/plain\$"
	swift-get plain >"$T/out"
	cmp "$T/out" "$T/in"
	assert_equal "$(flog "^GET /v1/AUTH_test/$C/plain ")" "$(printf '%s\n' \
		"GET /v1/AUTH_test/$C/plain DROP range=- if-match=\"$etag\" fault=$id" \
		"GET /v1/AUTH_test/$C/plain DROP range=bytes=1000000- if-match=\"$etag\" fault=$((id + 1))" \
		"GET /v1/AUTH_test/$C/plain 206 range=bytes=2500000- if-match=\"$etag\"")"
}

@test "download: a large object resumes inside a segment; 503s on the manifest are retried" {
	local seg
	mkdata 3500000 "$T/in"
	swift-put -S 1M big <"$T/in"
	swift_fault "status 503 method=GET path=multipart-manifest=get" \
		"drop-response 700000 method=GET path=/${C}_segments/.*/00000001\$" \
		"drop-response 0 method=GET path=/${C}_segments/.*/00000002\$"
	swift-get big >"$T/out"
	cmp "$T/out" "$T/in"
	statuses_are 'multipart-manifest=get' "503 200 "
	assert_equal "$(flog '^GET .*/00000001 ' | awk '{print $3, $4}' | tr '\n' ' ')" "DROP range=- 206 range=bytes=700000- "
	assert_equal "$(flog '^GET .*/00000002 ' | awk '{print $3, $4}' | tr '\n' ' ')" "DROP range=- 200 range=- "
}

@test "download: the object replaced during a resumed transfer is an error, not a mix" {
	mkdata 3000000 "$T/in"
	mkdata 3000000 "$T/new"
	swift-put plain <"$T/in"
	# The first GET is cut, then every retry gets 503 until the object
	# has been replaced (straight to Swift) and the rules are cleared.
	local id
	id=$(($(next_rule) + 1))
	swift_fault "drop-response 1000000 method=GET path=/$C/plain\$" \
		"status 503 count=forever method=GET path=/$C/plain\$"
	swift-get --retries 20 plain >"$T/out" 2>"$T/err" 3>&- &
	local pid=$! rc=0 i
	for i in $(seq 1 600); do
		[ -n "$(flog "fault=$id\$")" ] && break
		sleep 0.05
	done
	[ -n "$(flog "fault=$id\$")" ] || fail "no retry seen"
	swift_cli upload "$C" "$T/new" --object-name plain >/dev/null
	swift_fault_clear
	wait "$pid" || rc=$?
	assert_equal "$rc" 1
	assert_equal "$(cat "$T/err")" "swift-get: GET $C/plain: the object changed during the transfer"
	assert_equal "$(flog "^GET /v1/AUTH_test/$C/plain " | tail -1 | awk '{print $3, $4}')" "412 range=bytes=1000000-"
}

@test "rm: a 503 on the DELETE is retried" {
	echo x | swift-put gone
	swift_fault "status 503 method=DELETE path=/$C/gone\$"
	run -0 --separate-stderr swift-rm gone
	assert_equal "$stderr" ""
	assert_no_object "$C" gone
	statuses_are "^DELETE /v1/AUTH_test/$C/gone " "503 204 "
}

@test "a token that expires during a slow upload is renewed" {
	swift_start $'[filter:tempauth]\ntoken_life = 2'
	(head -c 1048576 /dev/urandom; sleep 3; head -c 1048576 /dev/urandom
	 sleep 3; head -c 1000 /dev/urandom) >"$T/in.fifo.data" &
	wait
	# The same bytes, fed slowly: the token dies between segments.
	(head -c 1048576 "$T/in.fifo.data"; sleep 3
	 head -c 2097152 "$T/in.fifo.data" | tail -c 1048576; sleep 3
	 tail -c +2097153 "$T/in.fifo.data") |
		swift-put -v -S 1M slow 2>"$T/err" || { cat "$T/err"; false; }
	swift-get slow | cmp - "$T/in.fifo.data"
	grep -q "PUT /v1/AUTH_test/$C.*: 401$" "$T/err"
	[ "$(grep -c 'GET /auth/v1.0: 200' "$T/err")" -ge 2 ]
}

# /info is anyone's to read: it goes without the token, and what its reply
# says (a hostile or confused proxy's X-Auth-Token, X-Storage-Url) never
# becomes ours.
@test "/info's reply cannot replace the token or the storage URL" {
	curl -sf "$SWIFT_URL/info" >"$T/info.json"
	swift_fault "status 200 count=forever method=GET path=^/info\$ body=$T/info.json header=X-Auth-Token:AUTH_tkforged,X-Subject-Token:AUTH_tkforged,X-Storage-Url:http://127.0.0.1:1/v1/AUTH_forged"
	mkdata 2500000 "$T/in"
	run -0 --separate-stderr swift-put --retries 0 -S 1M big <"$T/in"
	assert_equal "$stderr" ""
	swift-get big | cmp - "$T/in"
	# /info was asked, and no request was refused for a forged token.
	statuses_are '^GET /info ' "200 "
	assert_equal "$(flog ' 401 ')" ""
	assert_equal "$(flog "^PUT /v1/AUTH_test/${C}_segments/.* 201 " | wc -l)" 3
}
