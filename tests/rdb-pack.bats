#!/usr/bin/env bats
# rdb-pack against the stock tools: Debian's age 1.1.1 and xz 5.4, with
# --xz where a test reads the compressed stream (zstd, the default, has
# its own suite: rdb-pack-zstd.bats).

load test_helper

setup() {
	pack_keys
}

teardown() { common_teardown; }

SIZES="0 1 65535 65536 65537 1048577"

# mkdata SIZE FILE: pseudo-random but compressible-ish bytes
mkdata() {
	# (no head at the end of the pipe: with pipefail, tr's SIGPIPE when
	# head has enough would fail the test)
	head -c $((($1 + 1) / 2)) /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$2"
	truncate -s "$1" "$2"
}

# age reads passphrases only from a terminal: script(1) gives it one and
# feeds what we type.
age_tty() {
	local input=$1
	shift
	printf '%s' "$input" | script -qec "$*" /dev/null >/dev/null
}

@test "refuses to write plaintext without a recipient, passphrase or --no-encrypt" {
	run -2 --separate-stderr rdb-pack </dev/null
	assert_equal "${stderr_lines[0]}" "rdb-pack: no recipient (-r, -R), passphrase (--passphrase-file) or --no-encrypt: refusing to write plaintext"
	assert_equal "$output" ""
}

@test "--xz --no-encrypt output is plain xz that xz -d opens" {
	for n in $SIZES; do
		mkdata "$n" "$T/in"
		rdb-pack --xz --no-encrypt <"$T/in" >"$T/out.xz"
		xz -t "$T/out.xz"
		[ "$(xz -dc "$T/out.xz" | sha)" = "$(sha "$T/in")" ]
		xz -c "$T/in" | rdb-pack -d >"$T/back"
		cmp "$T/in" "$T/back"
	done
}

@test "interop: rdb-pack --xz -r | age -d -i | xz -d gives the exact bytes" {
	for n in $SIZES; do
		mkdata "$n" "$T/in"
		rdb-pack --xz -r "$R" <"$T/in" | age -d -i "$T/key.txt" | xz -d >"$T/back"
		cmp "$T/in" "$T/back" || fail "size $n differs"
	done
}

@test "interop: xz | age -r | rdb-pack -d -i gives the exact bytes" {
	for n in $SIZES; do
		mkdata "$n" "$T/in"
		xz <"$T/in" | age -r "$R" | rdb-pack -d -i "$T/key.txt" >"$T/back"
		cmp "$T/in" "$T/back" || fail "size $n differs"
	done
}

@test "interop: keys made by age-keygen work, and -y agrees with age-keygen -y" {
	age-keygen -o "$T/agekey.txt" 2>/dev/null
	[ "$(rdb-pack -y <"$T/agekey.txt")" = "$(age-keygen -y "$T/agekey.txt")" ]
	[ "$(rdb-pack -y <"$T/key.txt")" = "$(age-keygen -y "$T/key.txt")" ]
	mkdata 70000 "$T/in"
	rdb-pack -r "$(age-keygen -y "$T/agekey.txt")" <"$T/in" |
		rdb-pack -d -i "$T/agekey.txt" >"$T/back"
	cmp "$T/in" "$T/back"
}

@test "interop: passphrase mode both ways with the stock age" {
	pass='correct horse battery staple'
	# Two sizes, not all of $SIZES: each way costs two scrypt runs at
	# age's work factor (about a second each, more under ASan), and the
	# chunk boundaries are the X25519 tests' (the payload is the same).
	for n in 0 65537; do
		mkdata "$n" "$T/in"
		rdb-pack --xz --passphrase-file "$T/pass.txt" <"$T/in" >"$T/out.age"
		age_tty "$pass"$'\n' age -d -o "$T/out.xz" "$T/out.age"
		[ "$(xz -dc "$T/out.xz" | sha)" = "$(sha "$T/in")" ] || fail "size $n: age could not open ours"
		xz -c "$T/in" >"$T/in.xz"
		rm -f "$T/theirs.age"
		age_tty "$pass"$'\n'"$pass"$'\n' age -p -o "$T/theirs.age" "$T/in.xz"
		rdb-pack -d --passphrase-file "$T/pass.txt" <"$T/theirs.age" >"$T/back"
		cmp "$T/in" "$T/back" || fail "size $n: we could not open age's"
	done
}

@test "several recipients, and a recipients file with comments" {
	rdb-pack --keygen -o "$T/k2.txt" 2>/dev/null
	R2=$(rdb-pack -y <"$T/k2.txt")
	printf '# the backup keys\n\n%s\n# second\n%s\n' "$R" "$R2" >"$T/recipients"
	mkdata 1000 "$T/in"
	rdb-pack --xz -R "$T/recipients" <"$T/in" >"$T/out.age"
	rdb-pack -d -i "$T/key.txt" <"$T/out.age" | cmp - "$T/in"
	rdb-pack -d -i "$T/k2.txt" <"$T/out.age" | cmp - "$T/in"
	age -d -i "$T/k2.txt" <"$T/out.age" | xz -d | cmp - "$T/in"
}

@test "every Redis test RDB round-trips byte for byte" {
	for f in "$FIXTURES"/rdb/*.rdb "$FIXTURES"/rdb/*.aof; do
		rdb-pack -r "$R" <"$f" >"$T/out.age"
		rdb-pack -d -i "$T/key.txt" <"$T/out.age" >"$T/back"
		cmp "$f" "$T/back" || fail "$f differs"
		rdb-pack -t -i "$T/key.txt" <"$T/out.age"
	done
}

@test "an RDB truncated by one byte is refused, and the output never decrypts as complete" {
	for f in "$FIXTURES"/rdb/*.rdb; do
		head -c -1 "$f" >"$T/short.rdb"
		run -1 --separate-stderr rdb-pack -r "$R" <"$T/short.rdb"
		assert_equal "${#stderr_lines[@]}" 1
		[[ "$stderr" == "rdb-pack: <stdin>: truncated RDB: ends at offset "* ]] ||
			fail "$f: $stderr"
		rc=0
		rdb-pack -r "$R" <"$T/short.rdb" >"$T/out.age" 2>/dev/null || rc=$?
		[ "$rc" = 1 ] || fail "$f: exit $rc"
		run age -d -i "$T/key.txt" -o "$T/plain" "$T/out.age"
		[ "$status" -ne 0 ] || fail "$f: age decrypted a truncated backup as complete"
		run -1 rdb-pack -d -i "$T/key.txt" <"$T/out.age"
	done
}

@test "an RDB truncated by one byte is refused with --xz --no-encrypt too: xz sees no end" {
	f=$FIXTURES/rdb/list-quicklist.rdb
	head -c -1 "$f" >"$T/short.rdb"
	run -1 --separate-stderr rdb-pack --xz --no-encrypt <"$T/short.rdb"
	rc=0
	rdb-pack --xz --no-encrypt <"$T/short.rdb" >"$T/out.xz" 2>/dev/null || rc=$?
	[ "$rc" = 1 ] || fail "exit $rc"
	# The stream was begun (the header is there), but never ended.
	run -0 head -c 6 "$T/out.xz"
	assert_output "$(printf '\3757zXZ')"
	run xz -t "$T/out.xz"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Unexpected end of input"* ]] || fail "$output"
}

# Files with a CRC64: a flipped bit anywhere after the signature is caught
# (the unit tests flip every bit of them).  Versions 1-4, and files saved
# with rdbchecksum no, carry no checksum, so a flip inside a value cannot
# be seen by framing; for them the flip is in the structure: the top bit
# of the first opcode.  (A flip in the signature makes the input not an
# RDB, and it is packed as any other data.)
@test "an RDB with one flipped bit is refused, naming the problem" {
	for f in "$FIXTURES"/rdb/*.rdb; do
		size=$(stat -c %s "$f")
		case $(basename "$f") in
		encodings.rdb|hash-zipmap.rdb|corrupt_ziplist.rdb) off=9 bit=7 ;;
		*) off=$((9 + RANDOM % (size - 9))) bit=$((RANDOM % 8)) ;;
		esac
		python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[int(sys.argv[2])]^=1<<int(sys.argv[3]); sys.stdout.buffer.write(b)' \
			"$f" "$off" "$bit" >"$T/flip.rdb"
		# (printed with a failure: what to flip to reproduce it)
		echo "$f: bit $bit of byte $off flipped"
		run -1 --separate-stderr rdb-pack -r "$R" <"$T/flip.rdb"
		[[ "$stderr" =~ ^rdb-pack:\ \<stdin\>:\ (CRC64\ mismatch|truncated|not\ an\ RDB|bad|unknown|data\ after|unsupported) ]] ||
			fail "$f offset $off: $stderr"
	done
}

@test "unpacking an RDB whose CRC fails exits 1" {
	f=$FIXTURES/rdb/zset-ziplist.rdb
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[40]^=4; sys.stdout.buffer.write(b)' "$f" >"$T/flip.rdb"
	xz <"$T/flip.rdb" | age -r "$R" >"$T/out.age"
	run -1 --separate-stderr rdb-pack -d -i "$T/key.txt" <"$T/out.age"
	[[ "$stderr" == "rdb-pack: <stdin>: unpacked RDB: CRC64 mismatch: "* ]] || fail "$stderr"
	run -1 rdb-pack -t -i "$T/key.txt" <"$T/out.age"
}

@test "wrong identity: exit 1, no identity matched" {
	rdb-pack --keygen -o "$T/other.txt" 2>/dev/null
	echo hello | rdb-pack -r "$R" >"$T/out.age"
	run -1 --separate-stderr rdb-pack -d -i "$T/other.txt" <"$T/out.age"
	assert_equal "$stderr" "rdb-pack: no identity matched"
	assert_equal "$output" ""
}

@test "ciphertext truncated at random offsets or with flipped bits: exit 1" {
	mkdata 200000 "$T/in"
	rdb-pack -r "$R" <"$T/in" >"$T/out.age"
	size=$(stat -c %s "$T/out.age")
	for i in 1 2 3 4 5 6; do
		cut=$((RANDOM * 7 % size))
		echo "cut at $cut of $size bytes"
		head -c "$cut" "$T/out.age" >"$T/cut.age"
		run -1 rdb-pack -d -i "$T/key.txt" <"$T/cut.age"
		off=$((RANDOM * 7 % size))
		echo "bit 4 of byte $off flipped"
		python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[int(sys.argv[2])]^=0x10; sys.stdout.buffer.write(b)' \
			"$T/out.age" "$off" >"$T/flip.age"
		run -1 rdb-pack -d -i "$T/key.txt" <"$T/flip.age"
	done
}

@test "garbage and empty input: exit 1 with a clear message" {
	run -1 --separate-stderr rdb-pack -d -i "$T/key.txt" </etc/services
	assert_equal "$stderr" "rdb-pack: <stdin>: not an age, zstd or xz file (use --raw for plain data)"
	run -1 --separate-stderr rdb-pack -d </dev/null
	assert_equal "$stderr" "rdb-pack: <stdin>: empty input"
	run -0 rdb-pack -d --raw </etc/services
	assert_output "$(cat /etc/services)"
}

@test "an unreadable or missing key file: exit 1 naming it" {
	echo hi | rdb-pack -r "$R" >"$T/out.age"
	run -1 --separate-stderr rdb-pack -d -i "$T/nope.txt" <"$T/out.age"
	assert_equal "$stderr" "rdb-pack: $T/nope.txt: No such file or directory"
	run -1 --separate-stderr rdb-pack -d -i "$T" <"$T/out.age"
	assert_equal "$stderr" "rdb-pack: $T: not a regular file"
	run -1 --separate-stderr rdb-pack --passphrase-file "$T/nope" </dev/null
	assert_equal "$stderr" "rdb-pack: $T/nope: No such file or directory"
}

@test "a bad recipient: exit 1 and nothing written" {
	run -1 --separate-stderr rdb-pack -r age1notarecipient </etc/services
	assert_equal "$output" ""
	[[ "$stderr" == "rdb-pack: "*"age1notarecipient"* ]] || fail "$stderr"
}

@test "an identity given as a recipient: named as such, its key never printed" {
	run -1 --separate-stderr rdb-pack -R "$T/key.txt" </etc/services
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-pack: $T/key.txt: line 3: this is an identity (secret key), not a recipient"
	key=$(grep '^AGE-SECRET-KEY-1' "$T/key.txt")
	run -1 --separate-stderr rdb-pack -r "$key" </etc/services
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-pack: this is an identity (secret key), not a recipient"
	[[ "$stderr" != *AGE-SECRET-KEY* ]] || fail "the key was printed"
}

@test "errors about key and passphrase files never quote their lines" {
	# A passphrase file given as a recipient file, as an identity file;
	# a recipient file given as an identity file.
	printf 'hunter2-SECRET\n' >"$T/p2.txt"
	chmod 600 "$T/p2.txt"
	run -1 --separate-stderr rdb-pack -R "$T/p2.txt" </etc/services
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-pack: $T/p2.txt: line 1: bad recipient (an age1... public key expected)"
	echo hi | rdb-pack -r "$R" >"$T/out.age"
	run -1 --separate-stderr rdb-pack -d -i "$T/p2.txt" <"$T/out.age"
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-pack: $T/p2.txt: line 1: malformed identity"
	echo "$R" >"$T/r.txt"
	chmod 600 "$T/r.txt"
	run -1 --separate-stderr rdb-pack -d -i "$T/r.txt" <"$T/out.age"
	assert_equal "$stderr" "rdb-pack: $T/r.txt: line 1: this is a recipient (public key), not an identity"
	run -1 --separate-stderr rdb-pack -y <"$T/p2.txt"
	assert_equal "$output" ""
	assert_equal "$stderr" "rdb-pack: <stdin>: line 1: malformed identity"
}

# xz_dict N: an xz stream of "hello" whose block header declares LZMA2
# dictionary code N (37: 1.5 GiB, 39: 3 GiB, 40: 4 GiB - 1), its CRC32
# fixed: what anyone can write, a few dozen bytes that ask for gigabytes.
xz_dict() {
	echo hello | xz --lzma2=dict=4KiB | python3 -c '
import struct, sys, zlib
d = bytearray(sys.stdin.buffer.read())
h = 12                          # the block header, after the stream header
size, flags = (d[h] + 1) * 4, d[h + 1]
assert flags == 0               # one filter, no sizes
assert d[h + 2:h + 4] == b"\x21\x01"   # LZMA2, one byte of properties
d[h + 4] = int(sys.argv[1])
d[h + size - 4:h + size] = struct.pack("<I", zlib.crc32(bytes(d[h:h + size - 4])))
sys.stdout.buffer.write(d)' "$1"
}

@test "xz: a stream declaring a 3 GiB dictionary is refused at the 1 GiB limit; --memlimit raises it" {
	set -o pipefail
	xz_dict 39 >"$T/d3g.xz"
	xz -lvv "$T/d3g.xz" | grep -q -- '--lzma2=dict=3GiB$'
	msg="rdb-pack: xz: the stream needs more memory than the limit of 1024 MiB (raise it with --memlimit)"
	run -1 --separate-stderr rdb-pack -d <"$T/d3g.xz"
	assert_equal "$stderr" "$msg"
	assert_equal "$output" ""
	run -1 --separate-stderr rdb-pack -t <"$T/d3g.xz"
	assert_equal "$stderr" "$msg"
	age -r "$R" <"$T/d3g.xz" >"$T/d3g.age"
	run -1 --separate-stderr rdb-pack -d -i "$T/key.txt" <"$T/d3g.age"
	assert_equal "$stderr" "$msg"
	assert_equal "$output" ""
	# 1.5 GiB, xz's own largest, is over the default too; 4 GiB - 1 as well.
	xz_dict 37 >"$T/d15.xz"
	run -1 --separate-stderr rdb-pack -d <"$T/d15.xz"
	assert_equal "$stderr" "$msg"
	xz_dict 40 >"$T/d4g.xz"
	run -1 --separate-stderr rdb-pack -d <"$T/d4g.xz"
	assert_equal "$stderr" "$msg"
	# Raised, the limit is named as given, and a high enough one decodes.
	run -1 --separate-stderr rdb-pack -d -M 3G <"$T/d3g.xz"
	assert_equal "$stderr" "rdb-pack: xz: the stream needs more memory than the limit of 3072 MiB (raise it with --memlimit)"
	run -0 --separate-stderr rdb-pack -d --memlimit 3073MiB <"$T/d3g.xz"
	assert_output hello
	run -0 --separate-stderr rdb-pack -d -M 4G -i "$T/key.txt" <"$T/d3g.age"
	assert_output hello
	run -0 --separate-stderr rdb-pack -t --memlimit=1537M <"$T/d15.xz"
	assert_equal "$stderr" ""
}

@test "--memlimit: sizes as xz writes them, for -d and -t only" {
	echo hi | rdb-pack --no-encrypt >"$T/hi.xz"
	for m in 16M 16MiB 16777216 2G 64m 1g; do
		run -0 rdb-pack -d -M "$m" <"$T/hi.xz"
		assert_output hi
	done
	run -2 --separate-stderr rdb-pack -d -M 100K <"$T/hi.xz"
	assert_equal "${stderr_lines[0]}" "rdb-pack: --memlimit: 100K is below 1 MiB"
	run -2 --separate-stderr rdb-pack -d -M lots <"$T/hi.xz"
	assert_equal "${stderr_lines[0]}" "rdb-pack: --memlimit: invalid size 'lots'"
	run -2 --separate-stderr rdb-pack -M 2G --no-encrypt </dev/null
	assert_equal "${stderr_lines[0]}" "rdb-pack: -i, -M and --raw are for -d and -t"
	assert_equal "$output" ""
}

@test "a group-readable identity draws a warning, and still works" {
	echo hi | rdb-pack -r "$R" >"$T/out.age"
	chmod 640 "$T/key.txt"
	run -0 --separate-stderr rdb-pack -d -i "$T/key.txt" <"$T/out.age"
	assert_output hi
	assert_equal "$stderr" "rdb-pack: warning: $T/key.txt is readable by group or others"
}

@test "--keygen: age-keygen's format, mode 0600, never over an existing file" {
	run -0 --separate-stderr rdb-pack --keygen -o "$T/new.txt"
	assert_equal "$stderr" "Public key: $(age-keygen -y "$T/new.txt")"
	[ "$(stat -c %a "$T/new.txt")" = 600 ]
	run grep -c '^# created: ' "$T/new.txt"
	assert_output 1
	grep -q "^# public key: $(age-keygen -y "$T/new.txt")\$" "$T/new.txt"
	grep -Eq '^AGE-SECRET-KEY-1[0-9A-Z]{58}$' "$T/new.txt"
	before=$(sha "$T/new.txt")
	run -1 --separate-stderr rdb-pack --keygen -o "$T/new.txt"
	assert_equal "$stderr" "rdb-pack: $T/new.txt: File exists"
	[ "$(sha "$T/new.txt")" = "$before" ]
}

@test "environment defaults: RDB_PACK_RECIPIENTS_FILE, RDB_PACK_IDENTITY_FILE, RDB_PACK_PASSPHRASE_FILE" {
	echo "$R" >"$T/recipients"
	echo data | RDB_PACK_RECIPIENTS_FILE=$T/recipients rdb-pack >"$T/out.age"
	run -0 env RDB_PACK_IDENTITY_FILE="$T/key.txt" rdb-pack -d <"$T/out.age"
	assert_output data
	echo secret | RDB_PACK_PASSPHRASE_FILE=$T/pass.txt rdb-pack >"$T/p.age"
	run -0 env RDB_PACK_PASSPHRASE_FILE="$T/pass.txt" rdb-pack -d <"$T/p.age"
	assert_output secret
}

@test "age-encrypted input without an identity says what is missing" {
	echo hi | rdb-pack -r "$R" >"$T/out.age"
	run -1 --separate-stderr rdb-pack -d <"$T/out.age"
	assert_equal "$stderr" "rdb-pack: <stdin>: age-encrypted: give an identity (-i) or a passphrase (--passphrase-file)"
}

@test "binary output to a terminal is refused" {
	run script -qec "rdb-pack --no-encrypt < /etc/services" /dev/null
	[[ "$output" == *"rdb-pack: refusing to write binary data to a terminal"* ]] || fail "$output"
	run script -qec "rdb-pack --no-encrypt < /etc/services; echo rc=\$?" /dev/null
	[[ "$output" == *"rc=1"* ]] || fail "$output"
}

@test "a closed pipe ends it with status 1 and one message" {
	head -c 3000000 /dev/urandom >"$T/in"
	run bash -c "rdb-pack -1 --no-encrypt < '$T/in' 2>'$T/err' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output 1
	run cat "$T/err"
	assert_output "rdb-pack: write <stdout>: Broken pipe"
}

@test "usage errors exit 2 with the synopsis" {
	run -2 --separate-stderr rdb-pack --no-encrypt -r "$R"
	assert_equal "${stderr_lines[0]}" "rdb-pack: --no-encrypt conflicts with recipients and passphrases"
	assert_equal "${stderr_lines[1]}" "usage: rdb-pack [--zstd [-1..-19] | --xz [-0..-9] [-e]] [-T N] [-v | -q]"
	run -2 rdb-pack -d -r "$R"
	run -2 rdb-pack -T x --no-encrypt
	run -2 rdb-pack --bogus
	run -2 rdb-pack --no-encrypt extra-arg
	run -2 rdb-pack --passphrase-file "$T/pass.txt" -r "$R"
}

@test "xz presets, -e and -T give the same bytes back" {
	mkdata 300000 "$T/in"
	for opts in "-0" "-1 -T1" "-6 -T2" "-3 -e" "-9 -T0"; do
		# shellcheck disable=SC2086
		rdb-pack --xz $opts --no-encrypt <"$T/in" | xz -dc | cmp - "$T/in"
	done
}

@test "-v reports the RDB it checked, and no secret" {
	run -0 --separate-stderr rdb-pack -v --passphrase-file "$T/pass.txt" <"$FIXTURES/rdb/encodings.rdb"
	[[ "$stderr" == *"(RDB version 4, 13 keys, CRC64 checked)"* ]] || fail "$stderr"
	[[ "$stderr" != *"horse"* ]]
}

# Backups written before zstd became the default (xz, age): the files in
# tests/fixtures/legacy-xz were made by the xz-only rdb-pack and must keep
# unpacking, whatever the pack side does now.
@test "legacy xz backups made by the xz-only rdb-pack unpack to the original bytes" {
	L=$FIXTURES/legacy-xz
	install -m 600 "$L/key.txt" "$T/legacy-key.txt"
	install -m 600 "$L/pass.txt" "$T/legacy-pass.txt"
	rdb-pack -d -i "$T/legacy-key.txt" <"$L/zset-ziplist.rdb.xz.age" >"$T/back"
	cmp "$L/zset-ziplist.rdb" "$T/back"
	rdb-pack -d <"$L/zset-ziplist.rdb.xz" >"$T/back"
	cmp "$L/zset-ziplist.rdb" "$T/back"
	rdb-pack -d --passphrase-file "$T/legacy-pass.txt" <"$L/zset-ziplist.rdb.pass.xz.age" >"$T/back"
	cmp "$L/zset-ziplist.rdb" "$T/back"
	run -0 rdb-pack -t -i "$T/legacy-key.txt" <"$L/zset-ziplist.rdb.xz.age"
	cmp "$L/zset-ziplist.rdb" "$FIXTURES/rdb/zset-ziplist.rdb"
}
