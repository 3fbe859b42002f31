# Shared by the swift-*.bats suites (`load lib/swift_common` after test_helper):
# data, names and checks against the real Swift of tests/lib/swift.bash.

# One Swift for the whole file (setup_file): each test uses containers of
# its own, so tests stay independent; tests that need another
# configuration start their own.
swift_file_setup() {
	swift_start
}

# A container per test, and a scratch dir.
swift_test_setup() {
	T=$(scratch)
	C=c$BATS_TEST_NUMBER
	export SWIFT_CONTAINER=$C
}

# A suite's hooks: one Swift for the file, a container per test.  A suite
# that needs more in a hook defines its own after loading this file.
setup_file() { swift_file_setup; }
teardown_file() { common_teardown; }
setup() { swift_test_setup; }
teardown() { common_teardown; }

# mkdata SIZE FILE: random bytes
mkdata() { head -c "$1" /dev/urandom >"$2"; }

# urlenc NAME: percent-encoded as the tools do ('/' kept)
urlenc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/"))' "$1"
}

# status CONTAINER OBJECT: the HTTP status of a HEAD, straight to Swift
status() {
	swift_curl "$1/$(urlenc "$2")" -I -o /dev/null -w '%{http_code}'
}

# header CONTAINER OBJECT NAME: a response header's value from a HEAD
header() {
	swift_curl "$1/$(urlenc "$2")" -I | tr -d '\r' |
		sed -n "s/^$3: *//Ip"
}

# Names in a container, one a line (nothing when it does not exist).  A
# listing that fails for any other reason fails: "nothing left" must never
# pass because Swift could not be asked.
listing() {
	local out err=$SCRATCH/listing.err
	if out=$(swift_cli list "$1" 2>"$err"); then
		[ -z "$out" ] || printf '%s\n' "$out"
		return 0
	fi
	[ "$(cat "$err")" = "Container '$1' not found" ] && return 0
	fail "listing $1: $(cat "$err")"
}

assert_no_object() {
	[ "$(status "$1" "$2")" = 404 ] || fail "expected no object $1/$2"
}

assert_no_segments() {
	local left
	left=$(listing "$1_segments")
	[ -z "$left" ] || fail "segments left in $1_segments: $left"
}

# Counts the objects in a container; prints no number when the listing
# fails, so that no comparison can pass.
count() {
	local names
	names=$(listing "$1") || { echo "listing failed"; return 1; }
	if [ -z "$names" ]; then echo 0; else wc -l <<<"$names"; fi
}

# corrupt_object CONTAINER OBJECT: flips the first byte of the object's data
# file on the object server's disk, in place, leaving its stored ETag as it
# was: what a bad disk does.
corrupt_object() {
	python3 - "$SWIFT_HOME" "/AUTH_test/$1/$2" <<'PY'
import glob, os, pickle, sys
home, want = sys.argv[1], sys.argv[2].encode()
for f in glob.glob(home + '/srv/**/*.data', recursive=True):
    md, i = b'', 0
    while True:
        try:
            md += os.getxattr(f, 'user.swift.metadata' + (str(i) if i else ''))
        except OSError:
            break
        i += 1
    meta = pickle.loads(md, encoding='bytes')
    name = meta.get(b'name', meta.get('name'))
    if isinstance(name, str):
        name = name.encode()
    if name == want:
        with open(f, 'r+b') as fh:
            b = fh.read(1)
            fh.seek(0)
            fh.write(bytes([b[0] ^ 0xff]))
        sys.exit(0)
sys.exit('no data file for ' + sys.argv[2])
PY
}
