#!/usr/bin/env bats
# The test Swift itself (tests/lib/swift.bash, faultproxy.py), proved with
# python-swiftclient's stock swift command so that the swift-* suites can
# trust what it answers.

load test_helper

setup() {
	T=$(scratch)
	swift_start
}

teardown() { common_teardown; }

@test "swift upload, stat and download round-trip a file" {
	head -c 3000000 /dev/urandom >"$T/f"
	cd "$T"
	run swift upload c f
	assert_success
	assert_output f
	run swift stat c f
	assert_success
	assert_line --regexp '^ +Content Length: 3000000$'
	assert_line --regexp "^ +ETag: $(md5sum <f | cut -d' ' -f1)\$"
	run swift download c f -o "$T/back"
	assert_success
	assert_equal "$(sha "$T/back")" "$(sha "$T/f")"
}

@test "the proxy and the backends run on free ports and stop by pid" {
	local pid name port
	[[ $SWIFT_URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
	assert_equal "$ST_AUTH" "$SWIFT_URL/auth/v1.0"
	run curl -sf "$SWIFT_URL/healthcheck"
	assert_output OK
	for name in memcached account container object proxy; do
		port=$(swift_port "$SWIFT_HOME" "$name")
		[ "$port" -gt 0 ]
		run ss -Hltn "sport = :$port"
		assert_output --partial "127.0.0.1:$port"
	done
	# a second instance beside the first
	local first=$SWIFT_HOME first_url=$SWIFT_URL
	swift_start
	[ "$SWIFT_HOME" != "$first" ]
	[ "$SWIFT_URL" != "$first_url" ]
	run swift stat
	assert_success
	swift_stop
	cp "$first/pids" "$T/pids"
	swift_stop "$first"
	assert_equal "$(wc -l <"$T/pids")" 6
	while read -r pid name; do
		if kill -0 "$pid" 2>/dev/null; then fail "$name ($pid) still runs"; fi
	done <"$T/pids"
	run curl -s -o /dev/null -w '%{http_code}' "$first_url/healthcheck"
	assert_output 000
}

@test "an SLO upload with --use-slo -S 1048576 comes back byte for byte" {
	head -c 5500000 /dev/urandom >"$T/big"
	cd "$T"
	run swift upload --use-slo -S 1048576 c big
	assert_success
	run swift stat c big
	assert_line --regexp '^ +X-Static-Large-Object: True$'
	assert_line --regexp '^ +Content Length: 5500000$'
	run swift list c_segments
	assert_equal "${#lines[@]}" 6
	swift download c big -o "$T/back"
	assert_equal "$(sha "$T/back")" "$(sha "$T/big")"
	# the manifest as stored: six segments with their etags
	swift_auth
	run swift_curl 'c/big?multipart-manifest=get'
	assert_equal "$(grep -o '"hash"' <<<"$output" | wc -l)" 6
}

@test "the proxy takes config overrides: token_life and slo limits" {
	swift_start $'[filter:tempauth]\ntoken_life = 7' \
		$'[filter:slo]\nmax_manifest_segments = 4'
	run curl -s "$SWIFT_URL/info"
	assert_output --regexp '"max_manifest_segments": *4'
	run curl -s -D - -o /dev/null -H 'X-Auth-User: test:tester' \
		-H 'X-Auth-Key: testing' "$ST_AUTH"
	assert_output --regexp $'X-Auth-Token-Expires: [1-7]\r'
	run grep -c '^token_life = 7$' "$SWIFT_HOME/proxy-server.conf"
	assert_output 1
}

@test "an object with X-Delete-After is gone for good after an expirer pass" {
	echo hello >"$T/e"
	cd "$T"
	swift upload -H 'X-Delete-After: 1' c e
	echo stays >"$T/keep"
	swift upload c keep
	swift_auth
	# A GET answers 404 as soon as the time has passed; the listing keeps
	# the name until the expirer deletes the object.
	local i
	for i in $(seq 1 300); do
		[ "$(swift_curl c/e -o /dev/null -w '%{http_code}')" = 404 ] && break
		sleep 0.2
	done
	assert_equal "$(swift_curl c/e -o /dev/null -w '%{http_code}')" 404
	run swift list c
	assert_output $'e\nkeep'
	swift_expirer_pass
	run swift list c
	assert_output keep
}

@test "the fault proxy answers 503 for the next N matching requests, then passes" {
	head -c 200000 /dev/urandom >"$T/f"
	cd "$T"
	swift upload c f
	swift_fault_start
	[[ $ST_AUTH == "$FAULT_URL/auth/v1.0" ]]
	swift_fault 'status 503 count=2 method=GET path=/c/f$'
	run --separate-stderr swift --retries 0 download c f -o "$T/back"
	assert_failure
	assert_equal "$stderr" "Error downloading object 'c/f': Object GET failed: $FAULT_URL/v1/AUTH_test/c/f 503 Service Unavailable   b'fault proxy: rule 1\n'"
	run swift --retries 1 download c f -o "$T/back"
	assert_success
	assert_equal "$(sha "$T/back")" "$(sha "$T/f")"
	run grep -c '^GET /v1/AUTH_test/c/f 503 range=- if-match=- fault=1$' "$SWIFT_HOME/fault.log"
	assert_output 2
	run grep -c '^GET /v1/AUTH_test/c/f 200 ' "$SWIFT_HOME/fault.log"
	assert_output 1
}

@test "the fault proxy drops a response after N body bytes; a Range request resumes" {
	head -c 300000 /dev/urandom >"$T/f"
	cd "$T"
	swift upload c f
	swift_fault_start
	swift_auth
	local url=$FAULT_URL/v1/AUTH_test/c/f etag
	etag=$(md5sum <"$T/f" | cut -d' ' -f1)
	swift_fault 'drop-response 100000 method=GET'
	run curl -s -o "$T/part" -H "X-Auth-Token: $SWIFT_TOKEN" "$url"
	assert_equal "$status" 18 # partial file
	assert_equal "$(stat -c %s "$T/part")" 100000
	curl -sf -o "$T/rest" -r 100000- -H "If-Match: $etag" \
		-H "X-Auth-Token: $SWIFT_TOKEN" "$url"
	assert_equal "$(cat "$T/part" "$T/rest" | sha)" "$(sha "$T/f")"
	run swift_fault_log
	assert_line "GET /v1/AUTH_test/c/f DROP range=- if-match=- fault=1"
	assert_line "GET /v1/AUTH_test/c/f 206 range=bytes=100000- if-match=$etag"
}

@test "the fault proxy cuts an upload mid-body; swift upload retries and the object is whole" {
	head -c 500000 /dev/urandom >"$T/f"
	cd "$T"
	swift_fault_start
	swift_fault 'drop-request 65536 method=PUT path=/c/f$'
	run swift upload c f
	assert_success
	assert_output 'f [after 2 attempts]'
	run grep -c '^PUT /v1/AUTH_test/c/f DROP .* fault=1$' "$SWIFT_HOME/fault.log"
	assert_output 1
	swift_cli download c f -o "$T/back"
	assert_equal "$(sha "$T/back")" "$(sha "$T/f")"
}

@test "the fault proxy refuses every PUT for good; nothing is written" {
	echo data >"$T/f"
	cd "$T"
	swift_cli post c
	swift_fault_start
	swift_fault 'status 503 count=forever method=PUT'
	run --separate-stderr swift --retries 2 upload c f
	assert_failure
	assert_equal "${stderr_lines[-1]}" "Object PUT failed: $FAULT_URL/v1/AUTH_test/c/f 503 Service Unavailable   b'fault proxy: rule 1\\n'"
	run grep -c '^PUT /v1/AUTH_test/c/f 503 .* fault=1$' "$SWIFT_HOME/fault.log"
	assert_output 3
	swift_fault_clear
	run swift list c
	assert_success
	assert_output ''
	run swift upload c f
	assert_success
}

@test "chunked and keep-alive requests pass through the fault proxy" {
	swift_fault_start
	swift_auth
	local url=$FAULT_URL/v1/AUTH_test
	head -c 150000 /dev/urandom >"$T/f"
	curl -sf -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" "$url/c"
	# chunked upload from a pipe, then two requests on one connection
	run curl -s -T - -H "X-Auth-Token: $SWIFT_TOKEN" -w '%{http_code}' \
		"$url/c/chunked" <"$T/f"
	assert_output 201
	run curl -sv -o "$T/b1" -H "X-Auth-Token: $SWIFT_TOKEN" "$url/c/chunked" \
		-o "$T/b2" "$url/c/chunked"
	assert_output --partial 'Re-using existing connection'
	assert_equal "$(sha "$T/b1")" "$(sha "$T/f")"
	run grep -c '^PUT /v1/AUTH_test/c/chunked 201' "$SWIFT_HOME/fault.log"
	assert_output 1
}

@test "the fault proxy answers 429 with Retry-After and 401 to a PUT waiting for 100-continue" {
	swift_fault_start
	swift_auth
	local url=$FAULT_URL/v1/AUTH_test/c
	head -c 2000000 /dev/urandom >"$T/f"
	curl -sf -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" "$url"
	swift_fault 'status 429 retry-after=1 method=GET' 'status 401 method=PUT path=/c/f$'
	run curl -s -D - -o /dev/null -H "X-Auth-Token: $SWIFT_TOKEN" "$url"
	assert_line --regexp $'^HTTP/1.1 429 Too Many Requests\r$'
	assert_line $'Retry-After: 1\r'
	run curl -s -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' \
		-H "X-Auth-Token: $SWIFT_TOKEN" -T "$T/f" "$url/f"
	assert_output 401
	run swift_fault_log
	assert_line "GET /v1/AUTH_test/c 429 range=- if-match=- fault=1"
	assert_line "PUT /v1/AUTH_test/c/f 401 range=- if-match=- fault=2"
	run curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $SWIFT_TOKEN" \
		-T "$T/f" "$url/f"
	assert_output 201
}

@test "Swift's own early answer to a big upload reaches the client through the fault proxy" {
	swift_fault_start
	head -c 5000000 /dev/urandom >"$T/f"
	# a bad token, no Expect: Swift answers 401 before reading the body
	run curl -s -o /dev/null -w '%{http_code}' -H 'Expect:' \
		-H 'X-Auth-Token: AUTH_tkbad' -T "$T/f" "$FAULT_URL/v1/AUTH_test/c/f"
	assert_output 401
	run swift_fault_log
	assert_output "PUT /v1/AUTH_test/c/f 401 range=- if-match=-"
}
