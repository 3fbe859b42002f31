#!/usr/bin/env bats
# rdb-pack on RDB files from servers newer than Debian's Redis 7.0
# (tests/fixtures/rdb-12): RDB 12's field TTLs are walked, a newer version
# or Valkey's own types are checked by their CRC-64 with one warning, and
# a truncated or damaged file is refused for every one of them.

load test_helper

F=$BATS_TEST_DIRNAME/fixtures/rdb-12

setup() {
	T=$(scratch)
	rdb-pack --keygen -o "$T/key.txt" 2>/dev/null
	R=$(rdb-pack -y <"$T/key.txt")
}

teardown() { common_teardown; }

# warning FILE: the one line rdb-pack prints for it, empty when walked whole
warning() {
	case $1 in
	synthetic-v13.rdb)
		echo "rdb-pack: Redis RDB version 13 is newer than this rdbpipe (it walks 1 to 12): checked its CRC-64 only" ;;
	synthetic-valkey080.rdb)
		echo "rdb-pack: Valkey RDB version 80: value type or opcode 25 at offset 264 is unknown to this rdbpipe, the structure before it was walked: checked its CRC-64 only" ;;
	esac
}

@test "every newer fixture packs and unpacks exactly, with the warning it deserves" {
	for f in hfe-listpack-v12.rdb hfe-hashtable-v12.rdb synthetic-v13.rdb synthetic-valkey080.rdb; do
		run --separate-stderr rdb-pack -r "$R" <"$F/$f"
		[ "$status" -eq 0 ] || fail "$f: pack failed: $stderr"
		assert_equal "$stderr" "$(warning "$f")"
		rdb-pack -r "$R" -q <"$F/$f" >"$T/$f.age"
		rdb-pack -d -q -i "$T/key.txt" <"$T/$f.age" >"$T/$f.back"
		cmp "$F/$f" "$T/$f.back"
		# The stock tools agree.
		age -d -i "$T/key.txt" "$T/$f.age" | zstd -dq | cmp - "$F/$f"
		run --separate-stderr rdb-pack -d -i "$T/key.txt" <"$T/$f.age"
		[ "$status" -eq 0 ]
		assert_equal "$stderr" "$(warning "$f" | sed 's/^rdb-pack: //; s/^/rdb-pack: /')"
	done
}

@test "-v says when only the CRC-64 was checked, and counts keys when walked" {
	run --separate-stderr rdb-pack -v --no-encrypt <"$F/hfe-hashtable-v12.rdb"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"(RDB version 12, 1 keys, CRC64 checked)" ]] || fail "$stderr"
	run --separate-stderr rdb-pack -v --no-encrypt <"$F/synthetic-v13.rdb"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"(RDB version 13, CRC64 checked only)" ]] || fail "$stderr"
}

@test "-q keeps the CRC-only warning quiet, and still checks" {
	run --separate-stderr rdb-pack -q --no-encrypt <"$F/synthetic-v13.rdb"
	[ "$status" -eq 0 ]
	assert_equal "$stderr" ""
	head -c 300 "$F/synthetic-v13.rdb" >"$T/cut"
	run --separate-stderr rdb-pack -q --no-encrypt <"$T/cut"
	[ "$status" -eq 1 ]
}

# Where only the CRC-64 can be checked, a cut that happens to end in 0xff
# and eight more bytes reads as a trailer whose sum is wrong.
# Cuts shorter than the 9-byte header are not RDB files at all: rdb-pack
# packs any data, so those are not cuts of an RDB it can recognise.
@test "truncated at fixed offsets: refused, and the backup never decrypts as complete" {
	for f in hfe-listpack-v12.rdb hfe-hashtable-v12.rdb synthetic-v13.rdb synthetic-valkey080.rdb; do
		size=$(stat -c %s "$F/$f")
		for cut in 9 10 100 200 $((size - 9)) $((size - 8)) $((size - 1)); do
			echo "# $f cut at $cut of $size" >&3
			head -c "$cut" "$F/$f" >"$T/cut"
			run --separate-stderr rdb-pack -r "$R" <"$T/cut"
			[ "$status" -eq 1 ] || fail "$f cut at $cut: exit $status"
			[[ "$stderr" == "rdb-pack: <stdin>: truncated RDB: "* ||
			    "$stderr" == "rdb-pack: <stdin>: CRC64 mismatch: "*" (the file is damaged or truncated)" ]] ||
			    fail "$f cut at $cut: $stderr"
			rdb-pack -r "$R" <"$T/cut" >"$T/cut.age" 2>/dev/null && fail "$f cut at $cut: packed"
			run age -d -i "$T/key.txt" "$T/cut.age"
			[ "$status" -ne 0 ] || fail "$f cut at $cut: age decrypted it as complete"
		done
	done
}

@test "a flipped byte anywhere in a CRC-only file is refused" {
	for f in synthetic-v13.rdb synthetic-valkey080.rdb hfe-listpack-v12.rdb; do
		size=$(stat -c %s "$F/$f")
		for at in 20 150 $((size - 12)) $((size - 9)) $((size - 3)); do
			echo "# $f: byte $at flipped" >&3
			python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[int(sys.argv[2])] ^= 0x10
sys.stdout.buffer.write(d)' "$F/$f" "$at" >"$T/bad"
			run --separate-stderr rdb-pack --no-encrypt <"$T/bad"
			[ "$status" -eq 1 ] || fail "$f byte $at: exit $status"
			[[ "$stderr" =~ ^rdb-pack:\ \<stdin\>:\  ]] || fail "$f byte $at: $stderr"
		done
	done
}

@test "a CRC-only file written with rdbchecksum no: accepted, with a warning that nothing was checked" {
	python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[-8:] = bytes(8)
sys.stdout.buffer.write(d)' "$F/synthetic-v13.rdb" >"$T/nocrc"
	run --separate-stderr rdb-pack --no-encrypt <"$T/nocrc"
	[ "$status" -eq 0 ]
	assert_equal "$stderr" "rdb-pack: Redis RDB version 13 is newer than this rdbpipe (it walks 1 to 12); it has no CRC-64 (rdbchecksum no): nothing could be checked"
}

# Valkey 9.2's rdbcompression lz4 writes a "VCS" envelope: no layout to
# walk, no trailer to sum.  rdb-pack keeps every byte and says so.
@test "a Valkey VCS envelope: packed and unpacked byte for byte, with the warning" {
	printf 'VCS\001\004\042\115\030\144\100' >"$T/vcs"
	head -c 5000 /dev/urandom >>"$T/vcs"
	run --separate-stderr rdb-pack -r "$R" <"$T/vcs"
	[ "$status" -eq 0 ] || fail "exit $status: $stderr"
	assert_equal "$stderr" "rdb-pack: a Valkey compressed stream (VCS envelope, rdbcompression lz4): passed through as it is, nothing in it checked"
	rdb-pack -q -r "$R" <"$T/vcs" >"$T/vcs.age"
	rdb-pack -q -d -i "$T/key.txt" <"$T/vcs.age" | cmp - "$T/vcs"
}
