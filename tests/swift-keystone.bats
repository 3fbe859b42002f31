#!/usr/bin/env bats
# The four swift-* programs against Keystone v3 (tests/lib/keystone.bash):
# password, application credential, a pre-authenticated token, and the
# failures.  Keystone takes ~25 s to start: once for the whole file.

load test_helper
load lib/swift_common

setup_file() { keystone_start; }
teardown_file() { common_teardown; }
setup() {
	T=$(scratch)
	C=k$BATS_TEST_NUMBER
	export SWIFT_CONTAINER=$C
}
teardown() { common_teardown; }

# Keystone credentials stripped to what an application credential needs.
appcred() {
	env -u OS_USERNAME -u OS_PASSWORD -u OS_PROJECT_NAME \
		-u OS_USER_DOMAIN_NAME -u OS_PROJECT_DOMAIN_NAME \
		OS_APPLICATION_CREDENTIAL_ID="$KS_APPCRED_ID" \
		OS_APPLICATION_CREDENTIAL_SECRET="$KS_APPCRED_SECRET" "$@"
}

# A pre-authenticated token and storage URL, no other credentials.
preauth() {
	env -u OS_AUTH_URL -u OS_USERNAME -u OS_PASSWORD \
		OS_STORAGE_URL="$KS_STORAGE_URL" OS_AUTH_TOKEN="$TOKEN" "$@"
}

@test "password: put, get, ls and rm, a large object included" {
	mkdata 2500000 "$T/in"
	swift-put -S 1M big <"$T/in"
	echo hello | swift-put small
	swift-get big | cmp - "$T/in"
	run -0 swift-ls
	assert_output "$(printf '%s\n' big small)"
	# python-swiftclient reads it with the same credentials.
	swift download "$C" big -o - | cmp - "$T/in"
	run -0 --separate-stderr swift-rm big small
	run -0 swift-ls
	assert_output ""
	[ -z "$(swift list "${C}_segments")" ]
}

# put_get_ls_rm WRAP NAME: through WRAP (the credentials it sets), NAME
# (2.5 MB in 1 MB segments) is stored, read back, listed alone, removed
put_get_ls_rm() {
	local wrap=$1 name=$2
	mkdata 2500000 "$T/in"
	"$wrap" swift-put -S 1M "$name" <"$T/in"
	"$wrap" swift-get "$name" | cmp - "$T/in"
	run -0 "$wrap" swift-ls
	assert_output "$name"
	"$wrap" swift-rm "$name"
	[ -z "$(swift list "$C")" ]
}

@test "application credential: put, get, ls and rm" {
	put_get_ls_rm appcred app
}

@test "pre-authenticated OS_STORAGE_URL and OS_AUTH_TOKEN: put, get, ls and rm" {
	TOKEN=$(keystone_token)
	put_get_ls_rm preauth pre
}

@test "a wrong password: exit 1, a clear message, no password in it" {
	run -1 --separate-stderr env OS_PASSWORD=not-the-password swift-put x </dev/null
	assert_equal "$stderr" "swift-put: Keystone authentication: HTTP 401 (check the OS_* credentials)"
	run -1 --separate-stderr appcred env OS_APPLICATION_CREDENTIAL_SECRET=wrong swift-ls
	assert_equal "$stderr" "swift-ls: Keystone authentication: HTTP 401 (check the OS_* credentials)"
	TOKEN=gAAAAAbogus
	run -1 --separate-stderr preauth swift-ls
	assert_equal "$stderr" "swift-ls: GET $C: HTTP 401: the token in OS_AUTH_TOKEN was refused (pre-authenticated: cannot re-authenticate)"
}

@test "the endpoint follows OS_REGION_NAME and OS_INTERFACE" {
	echo x | OS_INTERFACE=internal swift-put i
	run -0 env OS_INTERFACE=internalURL swift-ls
	assert_output i
	run -1 --separate-stderr env OS_REGION_NAME=Nowhere swift-ls
	assert_equal "$stderr" "swift-ls: Keystone authentication: no object-store endpoint for interface public in region Nowhere in the catalog"
	run -1 --separate-stderr env OS_INTERFACE=bogus swift-ls
	assert_equal "$stderr" "swift-ls: Keystone authentication: no object-store endpoint for interface bogus in region RegionOne in the catalog"
}

@test "-v shows requests, never the password, the secret or the token" {
	echo x | swift-put -v v 2>"$T/err"
	appcred swift-get -v v 2>>"$T/err" >/dev/null
	grep -qx "swift-put: POST /v3/auth/tokens: 201" "$T/err"
	grep -qx "swift-put: PUT /v1/AUTH_$KS_PROJECT_ID/$C/v: 201" "$T/err"
	[ -n "$OS_PASSWORD" ]
	[ -n "$KS_APPCRED_SECRET" ]
	run -1 grep -qF -e "$OS_PASSWORD" "$T/err"
	run -1 grep -qF -e "$KS_APPCRED_SECRET" "$T/err"
	run -1 grep -qF 'gAAAAA' "$T/err"
}

# The test Keystone itself, proved with python-swiftclient (one Keystone
# start serves both: it takes ~25 s).
@test "swift stat with a Keystone v3 password" {
	run swift stat
	assert_success
	assert_line --regexp "^ +Account: AUTH_$KS_PROJECT_ID\$"
	[[ $OS_AUTH_URL == "$KS_URL/v3" ]]
	assert_equal "$OS_REGION_NAME" RegionOne
	assert_equal "$OS_INTERFACE" public
	[[ $KS_STORAGE_URL == "$SWIFT_URL/v1/AUTH_$KS_PROJECT_ID" ]]
}

# The secret is urlsafe base64 and may begin with "-": given as a separate
# word, argparse takes it for an option and swift exits 2 (1 run in 64).
@test "swift stat with an application credential" {
	run env -u OS_USERNAME -u OS_PASSWORD -u OS_PROJECT_NAME \
		-u OS_USER_DOMAIN_NAME -u OS_PROJECT_DOMAIN_NAME \
		swift --os-auth-type v3applicationcredential \
		--os-application-credential-id="$KS_APPCRED_ID" \
		--os-application-credential-secret="$KS_APPCRED_SECRET" stat
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
	run env -u OS_AUTH_URL -u OS_PASSWORD swift --os-auth-token="$token" \
		--os-storage-url="$KS_STORAGE_URL" list kc
	assert_success
	assert_output f
}

@test "a wrong password is refused" {
	run --separate-stderr swift --os-password wrong stat
	assert_failure
	assert_equal "$output" ""
	assert_equal "$stderr" "Unauthorized. Check username/id, password, tenant name/id and user/tenant domain name/id."
}

# The request body once had a fixed room of 2 KiB plus the password's:
# longer names wrote past it.  Now it is sized to what it holds, and
# Keystone judges the names.
@test "a 3 KB OS_USERNAME and OS_PROJECT_NAME: Keystone's answer, no crash" {
	long=$(head -c 3072 /dev/zero | tr '\0' u)
	run -1 --separate-stderr env OS_USERNAME="$long" swift-ls
	assert_equal "$output" ""
	assert_equal "$stderr" "swift-ls: Keystone authentication: HTTP 401 (check the OS_* credentials)"
	run -1 --separate-stderr env OS_USERNAME="$long" OS_PROJECT_NAME="$long" \
		OS_USER_DOMAIN_NAME="$long" OS_PROJECT_DOMAIN_NAME="$long" swift-ls
	assert_equal "$stderr" "swift-ls: Keystone authentication: HTTP 401 (check the OS_* credentials)"
	# The right user with a long password is a wrong password.
	run -1 --separate-stderr env OS_PASSWORD="$long" swift-ls
	assert_equal "$stderr" "swift-ls: Keystone authentication: HTTP 401 (check the OS_* credentials)"
	# And the same programs still get in.
	echo ok | swift-put after
	run -0 swift-get after
	assert_output ok
}
