#!/usr/bin/env bats
# make install and uninstall into a temporary DESTDIR, and the installed
# programs run from there: what a packager or `sudo make install` gets.

load test_helper

teardown() { common_teardown; }

# The programs and scripts the tree builds, by where they belong.
progs() { ls "$RDBPIPE_TOP/cmd" | sed -n 's/\.c$//p'; }

@test "make install puts every program, script, man page and example under DESTDIR/PREFIX" {
	local d=$SCRATCH/root p sect
	run -0 make -s -C "$RDBPIPE_TOP" install DESTDIR="$d" PREFIX=/usr
	for p in $(progs); do
		case $p in
		rdb-install) [ -x "$d/usr/sbin/$p" ] || fail "$p not in sbin" ;;
		*) [ -x "$d/usr/bin/$p" ] || fail "$p not in bin" ;;
		esac
	done
	for p in redis-backup redis-restore; do
		[ -x "$d/usr/sbin/$p" ] || fail "$p not in sbin"
		# The installed script carries the release, not the placeholder.
		run -0 "$d/usr/sbin/$p" --version
		assert_output "$p $(rdb-pack --version | cut -d' ' -f2)"
	done
	for p in "$RDBPIPE_TOP"/man/*.[18]; do
		sect=${p##*.}
		cmp "$p" "$d/usr/share/man/man$sect/${p##*/}" || fail "${p##*/} not installed"
	done
	for p in redis-backup redis-backup.service redis-backup.timer redis-backup.default \
	    redis-backup.sysusers.conf redis-backup.tmpfiles.conf; do
		[ -f "$d/usr/share/doc/rdbpipe/examples/$p" ] || fail "example $p missing"
	done
}

@test "the installed programs run: --version, and a pack round trip through the installed rdb-pack" {
	local d=$SCRATCH/root p out
	run -0 make -s -C "$RDBPIPE_TOP" install DESTDIR="$d" PREFIX=/usr
	for p in $(progs); do
		out=$(ls "$d"/usr/*bin/"$p")
		run -0 "$out" --version
		assert_output --regexp "^$p [0-9]+\.[0-9]+\.[0-9]+$"
	done
	run -0 "$d/usr/bin/rdb-pack" --keygen -o "$SCRATCH/key.txt"
	R=$("$d/usr/bin/rdb-pack" -y <"$SCRATCH/key.txt")
	"$d/usr/bin/rdb-pack" -r "$R" <"$FIXTURES/rdb/encodings.rdb" >"$SCRATCH/p.age"
	"$d/usr/bin/rdb-pack" -d -i "$SCRATCH/key.txt" <"$SCRATCH/p.age" >"$SCRATCH/back.rdb"
	cmp "$FIXTURES/rdb/encodings.rdb" "$SCRATCH/back.rdb"
	# The installed man page renders.
	run -0 mandoc -T lint -W warning "$d/usr/share/man/man1/rdb-pack.1"
}

@test "make uninstall removes everything make install put there" {
	local d=$SCRATCH/root
	mkdir -p "$d"
	run -0 make -s -C "$RDBPIPE_TOP" install DESTDIR="$d" PREFIX=/usr
	run -0 make -s -C "$RDBPIPE_TOP" uninstall DESTDIR="$d" PREFIX=/usr
	run -0 find "$d" -type f
	assert_output ""
}
