#!/usr/bin/env bats
# rdb-pack against the stock tools: Debian's age 1.1.1 and xz 5.4, with
# --xz where a test reads the compressed stream (zstd, the default, has
# its own suite: rdb-pack-zstd.bats).

load test_helper

setup() {
	T=$(scratch)
	rdb-pack --keygen -o "$T/key.txt" 2>/dev/null
	R=$(rdb-pack -y <"$T/key.txt")
	printf 'correct horse battery staple\n' >"$T/pass.txt"
	chmod 600 "$T/pass.txt"
}

teardown() { common_teardown; }

SIZES="0 1 65535 65536 65537 1048577"

# mkdata SIZE FILE: pseudo-random but compressible-ish bytes
mkdata() {
	head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "$1" >"$2"
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
		rdb-pack -r "$R" <"$T/short.rdb" >"$T/out.age" 2>/dev/null || true
		run age -d -i "$T/key.txt" -o "$T/plain" "$T/out.age"
		[ "$status" -ne 0 ] || fail "$f: age decrypted a truncated backup as complete"
		run -1 rdb-pack -d -i "$T/key.txt" <"$T/out.age"
	done
}

@test "an RDB truncated by one byte is refused with --xz --no-encrypt too: xz sees no end" {
	f=$FIXTURES/rdb/list-quicklist.rdb
	head -c -1 "$f" >"$T/short.rdb"
	run -1 --separate-stderr rdb-pack --xz --no-encrypt <"$T/short.rdb"
	rdb-pack --xz --no-encrypt <"$T/short.rdb" >"$T/out.xz" 2>/dev/null || true
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
		head -c "$cut" "$T/out.age" >"$T/cut.age"
		run -1 rdb-pack -d -i "$T/key.txt" <"$T/cut.age"
		off=$((RANDOM * 7 % size))
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
