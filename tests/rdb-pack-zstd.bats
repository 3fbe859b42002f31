#!/usr/bin/env bats
# rdb-pack's zstd codec (the default) against the stock tools: Debian's
# zstd 1.5.4 and age 1.1.1; the guarantees for both codecs (RDB truncated
# or cut streams never look whole); the decoder's window limit.

load test_helper

setup() {
	pack_keys
	set -o pipefail
}

teardown() { common_teardown; }

# Several MiB last: one MiB odd sizes cross the 64 KiB buffers and the
# age chunks; 5 MiB crosses zstd's multi-threaded jobs.
SIZES="0 1 65535 65536 65537 1048577 5242883"

# mkdata SIZE FILE: pseudo-random but compressible bytes (the last head
# closes the pipe early, which pipefail would count as a failure)
mkdata() {
	(
		set +o pipefail
		head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "$1" >"$2"
	)
	[ "$(stat -c %s "$2")" -eq "$1" ]
}

# bigrdb FILE: an RDB of about 7 MiB written by a real redis-server
bigrdb() {
	redis_start big
	rcli big DEBUG POPULATE 200000 key 80 >/dev/null
	rcli big SAVE >/dev/null
	cp "$RDIR/dump.rdb" "$1"
	redis_stop big
}

age_tty() {
	local input=$1
	shift
	printf '%s' "$input" | script -qec "$*" /dev/null >/dev/null
}

@test "the default is zstd: --no-encrypt output is a checksummed zstd stream zstd -d opens" {
	for n in $SIZES; do
		mkdata "$n" "$T/in"
		rdb-pack --no-encrypt <"$T/in" >"$T/out.zst"
		zstd -q -t "$T/out.zst"
		[ "$(zstd -q -dc "$T/out.zst" | sha)" = "$(sha "$T/in")" ] || fail "size $n: zstd -d"
		zstd -lv "$T/out.zst" 2>/dev/null | grep -q 'Check: XXH64' || fail "size $n: no checksum"
		rdb-pack --zstd --no-encrypt <"$T/in" | cmp - "$T/out.zst"
		rdb-pack -d <"$T/out.zst" | cmp - "$T/in"
		rdb-pack -t <"$T/out.zst"
	done
}

@test "interop: rdb-pack -r | age -d -i | zstd -d gives the exact bytes" {
	for n in $SIZES; do
		mkdata "$n" "$T/in"
		rdb-pack -r "$R" <"$T/in" | age -d -i "$T/key.txt" | zstd -q -d >"$T/back"
		cmp "$T/in" "$T/back" || fail "size $n differs"
	done
}

@test "interop: zstd | age -r | rdb-pack -d -i gives the exact bytes, at several levels and threads" {
	for n in $SIZES; do
		mkdata "$n" "$T/in"
		zstd -q -c <"$T/in" | age -r "$R" | rdb-pack -d -i "$T/key.txt" >"$T/back"
		cmp "$T/in" "$T/back" || fail "size $n differs"
	done
	for opts in "-1" "-19" "-6 -T2" "--fast=3" "-3 --no-check" "-9 --long=24"; do
		# shellcheck disable=SC2086
		zstd -q -c $opts <"$T/in" | age -r "$R" | rdb-pack -d -i "$T/key.txt" |
			cmp - "$T/in" || fail "zstd $opts"
	done
}

@test "interop: passphrase mode both ways with the stock age and zstd" {
	pass='correct horse battery staple'
	mkdata 65537 "$T/in"
	rdb-pack --passphrase-file "$T/pass.txt" <"$T/in" >"$T/out.age"
	age_tty "$pass"$'\n' age -d -o "$T/out.zst" "$T/out.age"
	[ "$(zstd -q -dc "$T/out.zst" | sha)" = "$(sha "$T/in")" ] || fail "age could not open ours"
	zstd -q -c "$T/in" >"$T/in.zst"
	age_tty "$pass"$'\n'"$pass"$'\n' age -p -o "$T/theirs.age" "$T/in.zst"
	rdb-pack -d --passphrase-file "$T/pass.txt" <"$T/theirs.age" >"$T/back"
	cmp "$T/in" "$T/back" || fail "we could not open age's"
}

@test "concatenated frames and skippable frames unpack as zstd -d reads them" {
	mkdata 70000 "$T/a"
	mkdata 3000 "$T/b"
	{
		zstd -q -c "$T/a"
		printf '\x50\x2a\x4d\x18\x04\x00\x00\x00abcd'
		rdb-pack --no-encrypt <"$T/b"
		printf '\x5f\x2a\x4d\x18\x00\x00\x00\x00'
	} >"$T/multi.zst"
	cat "$T/a" "$T/b" >"$T/ab"
	zstd -q -dc "$T/multi.zst" | cmp - "$T/ab"
	rdb-pack -d <"$T/multi.zst" | cmp - "$T/ab"
	age -r "$R" <"$T/multi.zst" | rdb-pack -d -i "$T/key.txt" | cmp - "$T/ab"
	# A stream that starts with a skippable frame is still zstd.
	tail -c +$(($(stat -c %s "$T/multi.zst") - 7)) "$T/multi.zst" >"$T/skip"
	cat "$T/skip" "$T/multi.zst" | rdb-pack -d | cmp - "$T/ab"
}

@test "levels -1 to -19 and -T give the same bytes back; the level is the stock tool's" {
	mkdata 3000000 "$T/in"
	for opts in "-1 -T1" "-3" "-6 -T2" "-9 -T0" "-19" "--xz --zstd -4"; do
		# shellcheck disable=SC2086
		rdb-pack $opts --no-encrypt <"$T/in" >"$T/out.zst"
		zstd -q -dc "$T/out.zst" | cmp - "$T/in" || fail "$opts"
	done
	# The window grows with the level, as with the stock zstd on a pipe.
	rdb-pack -1 --no-encrypt <"$T/in" >"$T/l1.zst"
	rdb-pack -19 --no-encrypt <"$T/in" >"$T/l19.zst"
	cat "$T/in" | zstd -q -19 -c >"$T/stock19.zst"
	run -0 zstd -lv "$T/l1.zst"
	[[ "$output" == *"Window Size: 512 KiB"* ]] || fail "$output"
	w19=$(zstd -lv "$T/stock19.zst" | grep 'Window Size')
	run -0 zstd -lv "$T/l19.zst"
	[[ "$output" == *"$w19"* ]] || fail "$output / $w19"
}

@test "level and codec usage errors: exit 2, the message, nothing written" {
	run -2 --separate-stderr rdb-pack -0 --no-encrypt </etc/services
	assert_equal "${stderr_lines[0]}" "rdb-pack: -0: zstd levels are -1 to -19"
	assert_equal "$output" ""
	run -2 --separate-stderr rdb-pack -20 --no-encrypt </etc/services
	assert_equal "${stderr_lines[0]}" "rdb-pack: -20: zstd levels are -1 to -19"
	run -2 --separate-stderr rdb-pack --xz -10 --no-encrypt </etc/services
	assert_equal "${stderr_lines[0]}" "rdb-pack: -10: xz presets are -0 to -9"
	run -2 --separate-stderr rdb-pack -9 -e --no-encrypt </etc/services
	assert_equal "${stderr_lines[0]}" "rdb-pack: -e (extreme) is an xz preset: add --xz"
	assert_equal "$output" ""
	run -2 --separate-stderr rdb-pack --block-size 1M --no-encrypt </etc/services
	assert_equal "${stderr_lines[0]}" "rdb-pack: --block-size is for --xz"
	run -2 --separate-stderr rdb-pack -123 --no-encrypt </etc/services
	assert_equal "${stderr_lines[0]}" "rdb-pack: -123: no such level"
	run -2 --separate-stderr rdb-pack -d -M lots </dev/null
	[[ "${stderr_lines[0]}" == "rdb-pack: --memlimit: "* ]] || fail "$stderr"
	# --xz with its own presets and -e still works.
	rdb-pack --xz -9 -e --no-encrypt </etc/services | xz -dc | cmp - /etc/services
	rdb-pack --zstd --xz -0 --no-encrypt </etc/services | xz -dc | cmp - /etc/services
}

@test "every Redis test RDB round-trips with both codecs, and -t passes" {
	for codec in --zstd --xz; do
		for f in "$FIXTURES"/rdb/*.rdb "$FIXTURES"/rdb/*.aof; do
			rdb-pack $codec -r "$R" <"$f" >"$T/out.age"
			rdb-pack -d -i "$T/key.txt" <"$T/out.age" | cmp - "$f" || fail "$codec $f"
			rdb-pack -t -i "$T/key.txt" <"$T/out.age" || fail "$codec -t $f"
		done
	done
}

@test "a 7 MiB RDB round-trips with both codecs, and the stock tools agree" {
	bigrdb "$T/big.rdb"
	rdb-pack -r "$R" <"$T/big.rdb" >"$T/big.zst.age"
	rdb-pack -d -i "$T/key.txt" <"$T/big.zst.age" | cmp - "$T/big.rdb"
	age -d -i "$T/key.txt" <"$T/big.zst.age" | zstd -q -d | cmp - "$T/big.rdb"
	rdb-pack --xz -r "$R" <"$T/big.rdb" >"$T/big.xz.age"
	rdb-pack -d -i "$T/key.txt" <"$T/big.xz.age" | cmp - "$T/big.rdb"
	run -0 --separate-stderr rdb-pack -v -t -i "$T/key.txt" <"$T/big.zst.age"
	[[ "$stderr" == *"200000 keys, CRC64 checked"* ]] || fail "$stderr"
}

# Cut points inside the RDB: its header, its body, the CRC64 trailer and
# the last byte.  The packer must fail, and what it wrote must never open
# as a whole backup, neither with age nor (unencrypted) with zstd or xz.
@test "a truncated RDB never yields a decryptable or decompressible complete backup" {
	bigrdb "$T/big.rdb"
	size=$(stat -c %s "$T/big.rdb")
	for cut in 9 10 1000 $((size / 2)) $((size - 9)) $((size - 5)) $((size - 1)); do
		head -c "$cut" "$T/big.rdb" >"$T/short.rdb"
		for codec in --zstd --xz; do
			run -1 --separate-stderr rdb-pack $codec -r "$R" <"$T/short.rdb"
			[[ "$stderr" == "rdb-pack: <stdin>: truncated RDB"* ]] ||
				fail "cut $cut $codec: $stderr"
			rdb-pack $codec -r "$R" <"$T/short.rdb" >"$T/out.age" 2>/dev/null && fail "cut $cut: packed"
			run age -d -i "$T/key.txt" -o "$T/plain" "$T/out.age"
			[ "$status" -ne 0 ] || fail "cut $cut $codec: age decrypted a truncated backup"
			run -1 rdb-pack -t -i "$T/key.txt" <"$T/out.age"
			rdb-pack $codec --no-encrypt <"$T/short.rdb" >"$T/out.c" 2>/dev/null && fail "cut $cut: packed"
			if [ "$codec" = --zstd ]; then run zstd -q -t "$T/out.c"; else run xz -t "$T/out.c"; fi
			[ "$status" -ne 0 ] || fail "cut $cut $codec: a complete stream"
			run -1 rdb-pack -t <"$T/out.c"
		done
	done
	# Short of its last byte, the packer had written compressed data
	# already (-1 makes jobs of 2 MiB, and one worker has room for three
	# in flight, so whole jobs are written out before the end): the stream
	# was begun, and left without its end.
	head -c $((size - 1)) "$T/big.rdb" | rdb-pack -1 -T1 --no-encrypt >"$T/out.zst" 2>/dev/null && fail "packed"
	[ "$(stat -c %s "$T/out.zst")" -gt 100000 ] || fail "only $(stat -c %s "$T/out.zst") B written"
	[ "$(head -c 4 "$T/out.zst" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || fail "no zstd stream was begun"
	run zstd -q -t "$T/out.zst"
	[ "$status" -ne 0 ]
}

# Fixed offsets, printed on failure: inside the age header, its first
# chunk, a chunk boundary, the middle, the last chunk and its tag.
@test "the compressed and encrypted stream cut at fixed offsets: exit 1" {
	bigrdb "$T/big.rdb"
	rdb-pack -r "$R" <"$T/big.rdb" >"$T/out.age"
	rdb-pack --no-encrypt <"$T/big.rdb" >"$T/out.zst"
	size=$(stat -c %s "$T/out.age")
	for cut in 1 20 100 200 1000 65536 65600 131200 $((size / 2)) $((size - 1000)) $((size - 17)) $((size - 1)); do
		head -c "$cut" "$T/out.age" >"$T/cut"
		run -1 --separate-stderr rdb-pack -d -i "$T/key.txt" <"$T/cut"
		[ -n "$stderr" ] || fail "age cut at $cut: no message"
		run -1 rdb-pack -t -i "$T/key.txt" <"$T/cut"
	done
	zsize=$(stat -c %s "$T/out.zst")
	for cut in 4 5 13 100 65536 $((zsize / 2)) $((zsize - 4)) $((zsize - 1)); do
		head -c "$cut" "$T/out.zst" >"$T/cut"
		run -1 --separate-stderr rdb-pack -d <"$T/cut"
		assert_equal "$stderr" "rdb-pack: zstd: unexpected end of input" || fail "zstd cut at $cut"
	done
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//2]^=0x10; sys.stdout.buffer.write(b)' \
		"$T/out.zst" >"$T/flip.zst"
	# zstd's checksum or the RDB's CRC64, whichever sees it first.
	run -1 --separate-stderr rdb-pack -d <"$T/flip.zst"
	[[ "$stderr" =~ ^rdb-pack:\ (zstd:|\<stdin\>:\ unpacked\ RDB:) ]] || fail "$stderr"
}

@test "the decoder's window limit: -M, --memlimit, the default 1 GiB, and its message" {
	mkdata 3000000 "$T/in"
	# From a pipe the stock zstd -6 asks for a 2 MiB window.
	cat "$T/in" | zstd -q -6 -c >"$T/in.zst"
	run -1 --separate-stderr rdb-pack -d -M 1M <"$T/in.zst"
	assert_equal "$stderr" "rdb-pack: zstd: the stream needs a 2 MiB window, over the limit of 1 MiB (raise it with --memlimit)"
	assert_equal "$output" ""
	age -r "$R" <"$T/in.zst" >"$T/in.zst.age"
	run -1 --separate-stderr rdb-pack -d --memlimit 1M -i "$T/key.txt" <"$T/in.zst.age"
	assert_equal "$stderr" "rdb-pack: zstd: the stream needs a 2 MiB window, over the limit of 1 MiB (raise it with --memlimit)"
	rdb-pack -d -M 2M <"$T/in.zst" | cmp - "$T/in"
	rdb-pack -d --memlimit 2M -i "$T/key.txt" <"$T/in.zst.age" | cmp - "$T/in"
	# A header asking for a 2 GiB window, over the default limit.
	printf '\x28\xb5\x2f\xfd\x00\xa8\x01\x00\x00' >"$T/huge.zst"
	run -1 --separate-stderr rdb-pack -d <"$T/huge.zst"
	assert_equal "$stderr" "rdb-pack: zstd: the stream needs a 2048 MiB window, over the limit of 1024 MiB (raise it with --memlimit)"
	# A 1 MiB window is within it (an empty frame).
	printf '\x28\xb5\x2f\xfd\x00\x50\x01\x00\x00' >"$T/small.zst"
	run -0 rdb-pack -d <"$T/small.zst"
	assert_output ""
}

@test "garbage inside age: neither zstd nor xz" {
	age -r "$R" </etc/services >"$T/out.age"
	run -1 --separate-stderr rdb-pack -d -i "$T/key.txt" <"$T/out.age"
	assert_equal "$stderr" "rdb-pack: <stdin>: the decrypted data is neither zstd nor xz (use --raw to pass it through)"
	run -0 rdb-pack -d --raw -i "$T/key.txt" <"$T/out.age"
	assert_output "$(cat /etc/services)"
}
