#!/usr/bin/env bats
# swift-get against a real one-node Swift: what it verifies and how it
# fails.

load test_helper
load lib/swift_common

# segment N of OBJECT in the segments container
segment() { listing "${C}_segments" | grep "^$1/slo/" | sed -n "$(($2 + 1))p"; }

@test "usage errors exit 2" {
	run -2 --separate-stderr swift-get
	assert_equal "${stderr_lines[0]}" "swift-get: no OBJECT named"
	run -2 --separate-stderr swift-get a b
	assert_equal "${stderr_lines[0]}" "swift-get: unexpected argument 'b'"
	run -0 swift-get --version
	assert_output "swift-get 0.1.0"
}

@test "a missing object: exit 1, a message, nothing on stdout" {
	run -1 --separate-stderr swift-get nothing-here
	assert_equal "$stderr" "swift-get: $C/nothing-here: not found"
	assert_equal "$output" ""
	run -1 --separate-stderr swift-get -c no-such-container x
	assert_equal "$stderr" "swift-get: no-such-container/x: not found"
}

@test "--meta: the size, the time and the metadata, from a HEAD, no bytes; a missing object exits 1" {
	mkdata 3000 "$T/in"
	swift-put -S 1K -m redis-version=7.0.15 -m Keys=42 meta <"$T/in"
	run -0 --separate-stderr swift-get --meta meta
	assert_regex "${lines[1]}" '^last-modified=[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} '
	assert_equal "${lines[0]}" "bytes=3000"
	assert_equal "$(printf '%s\n' "${lines[@]:2}" | sort)" "keys=42
redis-version=7.0.15"
	assert_equal "$stderr" ""
	run -1 --separate-stderr swift-get --meta nothing-here
	assert_equal "$stderr" "swift-get: $C/nothing-here: not found"
	assert_equal "$output" ""
}

@test "refuses to write to a terminal" {
	echo x | swift-put tty
	run -1 script -qec "swift-get tty" /dev/null
	assert_output --partial "swift-get: refusing to write binary data to a terminal"
}

@test "a plain object whose bytes rotted on disk: exit 1 with both MD5s" {
	mkdata 5000 "$T/in"
	swift-put rot <"$T/in"
	corrupt_object "$C" rot
	run -1 --separate-stderr swift-get rot
	assert_equal "$stderr" "swift-get: $C/rot: MD5 mismatch at offset 0 (expected $(md5sum <"$T/in" | cut -d' ' -f1), got $(head -c1 "$T/in" | perl -pe '$_ ^= "\xff"' | cat - <(tail -c +2 "$T/in") | md5sum | cut -d' ' -f1))"
}

@test "a segment overwritten after the manifest: exit 1 naming its offset" {
	local seg
	mkdata 3145728 "$T/in"
	swift-put -S 1M big <"$T/in"
	seg=$(segment big 1)
	# Same size, different bytes: only the ETag can tell.
	mkdata 1048576 "$T/other"
	swift_cli upload "${C}_segments" "$T/other" --object-name "$seg" >/dev/null
	run -1 --separate-stderr bash -c 'swift-get big >"$1"' - "$T/out"
	assert_equal "$stderr" "swift-get: $C/big: segment 1 at offset 1048576 (${C}_segments/$seg) has changed since the manifest was written"
	# What came out before it is the exact first segment.
	cmp "$T/out" <(head -c 1048576 "$T/in")
}

@test "a segment that rotted on disk: exit 1 naming its offset and both MD5s" {
	local seg want
	mkdata 3145728 "$T/in"
	swift-put -S 1M big <"$T/in"
	seg=$(segment big 2)
	corrupt_object "${C}_segments" "$seg"
	want=$(tail -c +2097153 "$T/in" | md5sum | cut -d' ' -f1)
	run -1 --separate-stderr bash -c 'swift-get big >/dev/null'
	[[ "$stderr" == "swift-get: $C/big: segment 2 at offset 2097152: MD5 mismatch (expected $want, got "*")" ]] ||
		fail "unexpected: $stderr"
}

@test "a missing segment: exit 1 naming its offset" {
	local seg
	mkdata 2500000 "$T/in"
	swift-put -S 1M big <"$T/in"
	seg=$(segment big 0)
	swift_cli delete "${C}_segments" "$seg" >/dev/null
	run -1 --separate-stderr swift-get big
	assert_equal "$stderr" "swift-get: $C/big: segment 0 at offset 0 (${C}_segments/$seg) is missing"
	assert_equal "$output" ""
}

@test "-v: one line per request, a summary, no token" {
	mkdata 2500000 "$T/in"
	swift-put -S 1M big <"$T/in"
	run -0 --separate-stderr bash -c 'swift-get -v big >/dev/null'
	assert_equal "${#stderr_lines[@]}" 7
	assert_equal "${stderr_lines[0]}" "swift-get: GET /auth/v1.0: 200"
	assert_equal "${stderr_lines[1]}" "swift-get: HEAD /v1/AUTH_test/$C/big: 200"
	assert_equal "${stderr_lines[2]}" "swift-get: GET /v1/AUTH_test/$C/big?multipart-manifest=get: 200"
	assert_equal "${stderr_lines[6]}" "swift-get: $C/big: 2.4 MiB verified segment by segment"
	[[ "$stderr" != *AUTH_tk* ]] || fail "a token is in the output"
}

@test "a dynamic large object streams with a warning that it is not verified" {
	mkdata 2500000 "$T/in"
	(cd "$T" && swift_cli upload --segment-size 1048576 "$C" in --object-name dlo >/dev/null)
	run -0 --separate-stderr bash -c 'swift-get dlo >/dev/null'
	assert_equal "$stderr" "swift-get: $C/dlo: a dynamic large object: its bytes are not verified"
	swift-get -q dlo | cmp - "$T/in"
}

@test "nested manifests: 10 segments with max_manifest_segments 4 round trip, and swift-rm removes all" {
	swift_start $'[filter:slo]\nmax_manifest_segments = 4'
	mkdata 10485760 "$T/in"
	swift-put -S 1M nested <"$T/in"
	swift_curl "$C/nested?multipart-manifest=get" | grep -q '"sub_slo": true'
	swift-get nested | cmp - "$T/in"
	swift_cli download "$C" nested -o - | cmp - "$T/in"
	# 10 segments, 3 level-1 manifests (4+4+2), whose 3 entries fit the top.
	[ "$(count "${C}_segments")" = 13 ]
	swift-rm nested
	assert_no_object "$C" nested
	assert_no_segments "$C"
}

# doctor_manifest NAME EDIT [ARG]: the fault proxy answers the GET of
# NAME's manifest with a copy changed by the Python statement EDIT (on m,
# the entries; ARG in sys.argv[2]); its log starts afresh.
doctor_manifest() {
	local name=$1 edit=$2
	swift_curl "$C/$name?multipart-manifest=get" | python3 -c '
import json, sys
m = json.load(sys.stdin)
exec(sys.argv[1])
json.dump(m, sys.stdout)' "$edit" "${3-}" >"$T/$name.json"
	swift_fault "status 200 method=GET path=/$C/$name\\?multipart-manifest=get\$ body=$T/$name.json"
	: >"$SWIFT_HOME/fault.log"
}

# doctored_served NAME: the doctored manifest of NAME was served, and no
# segment (nor a smuggled header) was asked for.
doctored_served() {
	grep -q "^GET /v1/AUTH_test/$C/$1?multipart-manifest=get 200 .* fault=" "$SWIFT_HOME/fault.log" ||
		fail "the doctored manifest was not served: $(swift_fault_log)"
	run -1 grep -E '_segments|X-Evil' "$SWIFT_HOME/fault.log"
}

# A manifest is anyone's JSON: "\r\n" in a hash decodes to CR LF, which
# must never reach an If-Match header.  The fault proxy stands in for a
# hostile server and answers the manifest GET with a doctored copy.
@test "a manifest hash holding CR LF or not 32 hex digits: exit 1, no segment asked for" {
	swift_fault_start
	mkdata 2500000 "$T/in"
	swift-put -S 1M evil <"$T/in"
	set -o pipefail
	for bad in '"0123456789abcdef\r\nX-Evil: 1"' '"0123456789abcdef0123456789abcdeg"' \
		'"0123456789abcdef0123456789abcdef0"' '""'; do
		doctor_manifest evil 'm[0]["hash"] = json.loads(sys.argv[2])' "$bad"
		run -1 --separate-stderr swift-get evil
		assert_equal "$stderr" "swift-get: $C/evil: segment 0 at offset 0: the manifest's hash is not 32 hex digits"
		assert_equal "$output" ""
		doctored_served evil
	done
	# The real manifest still reads.
	swift-get evil | cmp - "$T/in"
}

# The same hostile server, lying about sizes or naming no container: a
# manifest whose sizes do not add up to the object's is refused before
# any segment is asked for; an entry "//x" would name a path under the
# account itself and is refused when the walk reaches it.
@test "a doctored manifest: sizes that do not add up, an entry with no container: exit 1, no segment asked for" {
	swift_fault_start
	mkdata 2500000 "$T/in"
	swift-put -S 1M liar <"$T/in"
	set -o pipefail
	local edit
	for edit in 'm[1]["bytes"] += 1' 'm[0]["name"] = "//" + m[0]["name"].split("/", 2)[2]'; do
		doctor_manifest liar "$edit"
		run -1 --separate-stderr swift-get liar
		case $edit in
		*bytes*) assert_equal "$stderr" "swift-get: $C/liar: the manifest's sizes add up to 2500001 bytes, not 2500000" ;;
		*) assert_equal "$stderr" "swift-get: $C/liar: a manifest entry without name, hash or bytes" ;;
		esac
		assert_equal "$output" ""
		doctored_served liar
	done
	swift-get liar | cmp - "$T/in"
}
