#!/usr/bin/env bats
# The test Keystone (tests/lib/keystone.bash) proved with python-swiftclient:
# a Swift proxy with authtoken and keystoneauth accepts a password, an
# application credential and a pre-authenticated token, and refuses a
# wrong password.  Keystone takes ~25 s to start: once for the whole file.

load test_helper

setup_file() { keystone_start; }
teardown_file() { common_teardown; }

setup() { T=$(scratch); }
teardown() { common_teardown; }

@test "swift stat with a Keystone v3 password" {
	run swift stat
	assert_success
	assert_line --regexp "^ +Account: AUTH_$KS_PROJECT_ID\$"
	[[ $OS_AUTH_URL == "$KS_URL/v3" ]]
	assert_equal "$OS_REGION_NAME" RegionOne
	assert_equal "$OS_INTERFACE" public
	[[ $KS_STORAGE_URL == "$SWIFT_URL/v1/AUTH_$KS_PROJECT_ID" ]]
}

@test "swift stat with an application credential" {
	run env -u OS_USERNAME -u OS_PASSWORD -u OS_PROJECT_NAME \
		-u OS_USER_DOMAIN_NAME -u OS_PROJECT_DOMAIN_NAME \
		swift --os-auth-type v3applicationcredential \
		--os-application-credential-id "$KS_APPCRED_ID" \
		--os-application-credential-secret "$KS_APPCRED_SECRET" stat
	assert_success
	assert_line --regexp "^ +Account: AUTH_$KS_PROJECT_ID\$"
}

@test "upload and download through Keystone auth, then list with a pre-made token" {
	head -c 100000 /dev/urandom >"$T/f"
	cd "$T"
	run swift upload kc f
	assert_success
	swift download kc f -o "$T/back"
	assert_equal "$(sha "$T/back")" "$(sha "$T/f")"
	local token
	token=$(keystone_token)
	[ -n "$token" ]
	run env -u OS_AUTH_URL -u OS_PASSWORD swift --os-auth-token "$token" \
		--os-storage-url "$KS_STORAGE_URL" list kc
	assert_success
	assert_output f
}

@test "a wrong password is refused" {
	run --separate-stderr swift --os-password wrong stat
	assert_failure
	assert_equal "$output" ""
	assert_equal "$stderr" "Unauthorized. Check username/id, password, tenant name/id and user/tenant domain name/id."
}
