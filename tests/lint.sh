#!/usr/bin/env bash
# Static checks that are tests too: every man page passes mandoc -T lint,
# every program has a man page and answers --help and --version.
n=0
t() {
	n=$((n + 1))
	if "$@" >/tmp/lint.$$ 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' /tmp/lint.$$
	fi
}
for m in man/*.[18]; do
	[ -e "$m" ] || continue
	desc="mandoc -T lint $m"
	t mandoc -T lint -W warning "$m"
done
for c in cmd/*.c; do
	[ -e "$c" ] || continue
	p=$(basename "$c" .c)
	desc="$p has a man page"
	t sh -c "ls man/$p.1 man/$p.8 2>/dev/null | grep -q ."
	if [ -n "${RDBPIPE_BIN:-}" ]; then
		desc="$p --version"
		t sh -c "\"$RDBPIPE_BIN/$p\" --version | grep -qx '$p [0-9]*\.[0-9]*\.[0-9]*'"
		desc="$p --help exits 0 and prints usage on stdout"
		t sh -c "\"$RDBPIPE_BIN/$p\" --help | grep -q '^usage: $p'"
	fi
done
for s in contrib/redis-backup contrib/redis-restore; do
	[ -e "$s" ] || continue
	p=$(basename "$s")
	desc="$p has a man page"
	t test -f "man/$p.8"
	desc="$p passes bash -n"
	t bash -n "$s"
	if [ -n "${RDBPIPE_BIN:-}" ]; then
		desc="$p --version and --help"
		t sh -c "PATH=\"$RDBPIPE_BIN:\$PATH\" $s --version | grep -qx '$p [0-9]*\.[0-9]*\.[0-9]*' && $s --help | grep -q '^usage: $p'"
	fi
done
desc="lint ran"
t true
rm -f /tmp/lint.$$
echo "1..$n"
