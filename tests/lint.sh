#!/usr/bin/env bash
# Static checks that are tests too: every man page passes mandoc -T lint,
# every program has a man page and answers --help and --version, and no
# test carries an assertion that cannot fail.
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
# Tests that cannot fail.  bats runs a test under set -e, which ignores a
# command negated with `!` (and any command but the last of a && list):
# `! grep -q secret out` passes whatever grep finds.  Use `run !`,
# `run -1 grep`, or `if ...; then fail ...; fi`.
test_files() { ls tests/*.bats tests/*.bash tests/lib/*.bash 2>/dev/null; }
no_bare_bang() {
	# a `!` that begins a command: at the line's start or after ; && || {
	! test_files | xargs grep -nE '(^|;|&&|\|\||\{)[[:space:]]*![[:space:]]'
}
desc="no bare '! cmd' in the tests (set -e ignores it)"
t no_bare_bang
# `|| true` after an assertion throws its verdict away.
no_assert_or_true() {
	! test_files | xargs grep -nE '^[[:space:]]*(run|assert_[a-z_]*|refute_[a-z_]*|\[\[?|cmp|diff|grep)[[:space:]].*\|\|[[:space:]]*(true|:)[[:space:]]*$'
}
desc="no '|| true' after an assertion in the tests"
t no_assert_or_true
rm -f /tmp/lint.$$
echo "1..$n"
