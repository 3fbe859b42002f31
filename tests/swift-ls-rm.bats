#!/usr/bin/env bats
# swift-ls and swift-rm against a real one-node Swift.

load test_helper
load lib/swift_common

@test "swift-ls: usage errors exit 2" {
	run -2 --separate-stderr swift-ls a b
	assert_equal "${stderr_lines[0]}" "swift-ls: unexpected argument 'b'"
	run -0 swift-ls --version
	assert_output "swift-ls 0.1.0"
}

@test "swift-ls: a missing container is an error" {
	run -1 --separate-stderr swift-ls -c nowhere
	assert_equal "$stderr" "swift-ls: nowhere: container not found"
	assert_equal "$output" ""
}

@test "swift-ls: names sorted one a line, PREFIX filters, an empty container lists nothing" {
	local n
	for n in b/2 a 'b/1 x' c é; do echo "$n" | swift-put "$n"; done
	run -0 --separate-stderr swift-ls
	assert_output "$(printf '%s\n' a 'b/1 x' b/2 c é)"
	run -0 swift-ls b/
	assert_output "$(printf '%s\n' 'b/1 x' b/2)"
	run -0 swift-ls zz
	assert_output ""
	swift_cli post empty
	run -0 swift-ls -c empty
	assert_output ""
}

@test "swift-ls -l: size, time and name; a large object shows its whole size" {
	mkdata 2500000 "$T/in"
	swift-put -S 1M big <"$T/in"
	printf 'hello' | swift-put small
	run -0 swift-ls -l
	assert_line --index 0 --regexp '^     2500000  20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]  big$'
	assert_line --index 1 --regexp '^           5  20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]  small$'
}

@test "swift-ls pages through a listing longer than the cluster's page" {
	local i
	swift_start $'[swift-constraints]\ncontainer_listing_limit = 3'
	swift_cli post "$C"
	for i in $(seq -w 1 10); do swift_curl "$C/o$i" -X PUT -d x -o /dev/null; done
	run -0 --separate-stderr swift-ls -v
	assert_output "$(seq -f 'o%02g' 1 10)"
	# 3 + 3 + 3 + 1, then an empty page ends it.
	[ "$(grep -c "GET /v1/AUTH_test/$C?format=json" <<<"$stderr")" = 5 ]
}

@test "swift-rm: plain and large objects, segments included" {
	mkdata 3000000 "$T/in"
	swift-put -S 1M big <"$T/in"
	echo x | swift-put small
	[ "$(count "${C}_segments")" = 3 ]
	run -0 --separate-stderr swift-rm big small
	assert_equal "$stderr" ""
	assert_no_object "$C" big
	assert_no_object "$C" small
	assert_no_segments "$C"
}

@test "swift-rm: a missing name is reported, the others are still deleted" {
	echo x | swift-put one
	echo y | swift-put 'two ?#%'
	run -1 --separate-stderr swift-rm one missing 'two ?#%'
	assert_equal "$stderr" "swift-rm: $C/missing: not found"
	assert_no_object "$C" one
	assert_no_object "$C" 'two ?#%'
	run -2 --separate-stderr swift-rm
	assert_equal "${stderr_lines[0]}" "swift-rm: no OBJECT named"
}

@test "swift-rm -v says what it deleted" {
	echo x | swift-put one
	run -0 --separate-stderr swift-rm -v one
	assert_equal "${stderr_lines[-1]}" "swift-rm: deleted $C/one"
	[[ "$stderr" != *AUTH_tk* ]] || fail "a token is in the output"
}
