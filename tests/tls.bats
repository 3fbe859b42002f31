#!/usr/bin/env bats
# TLS to Redis: Debian's redis-server 7.0 on a tls-port only (the TCP port
# off), with a throwaway CA and certificates made here (tests/lib/redis.bash:
# tls_certs, redis_start_tls).

load test_helper
source "$RDBPIPE_TOP/tests/lib/restore.bash"

setup() {
	T=$(scratch)
	C=$T/tls
	tls_certs "$C"
}

teardown() { common_teardown; }

# tsnap ARGS...: rdb-snap over TLS to the last started server, into $T/out.rdb
tsnap() { rdb-snap -h 127.0.0.1 -p "$RTLSPORT" --tls "$@" >"$T/out.rdb"; }

rdb_saves() { rcli "$1" INFO persistence | tr -d '\r' | sed -n 's/^rdb_saves://p'; }

@test "local mode over TLS with --cacert: the server's own dump, byte for byte" {
	redis_start_tls a "$C/server.crt" "$C/server.key"
	redis_populate a
	run -0 --separate-stderr tsnap --cacert "$C/ca.crt"
	assert_equal "$stderr" ""
	assert_equal "$(sha "$T/out.rdb")" "$(sha "$(redis_dir a)/dump.rdb")"
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "--sync over TLS, diskless and disk-based: every type comes back" {
	redis_start_tls a "$C/server.crt" "$C/server.key" \
		"repl-diskless-sync yes" "repl-diskless-sync-delay 0"
	redis_populate a
	run -0 --separate-stderr tsnap --cacert "$C/ca.crt" --sync
	assert_equal "$stderr" ""
	redis_start_from b "$T/out.rdb"
	redis_same a b
	rcli a CONFIG SET repl-diskless-sync no >/dev/null
	run -0 --separate-stderr tsnap --cacert "$C/ca.crt" --sync
	assert_equal "$stderr" ""
	redis_start_from c "$T/out.rdb"
	redis_same a c
}

@test "--sync over TLS: a big dataset crosses many TLS records intact" {
	redis_start_tls a "$C/server.crt" "$C/server.key" \
		"repl-diskless-sync yes" "repl-diskless-sync-delay 0"
	rcli a DEBUG POPULATE 200000 key 100 >/dev/null
	run -0 --separate-stderr tsnap --cacert "$C/ca.crt" --sync -v
	assert_regex "$stderr" "\(RDB version 10, 200000 keys, CRC64 checked\)"
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "-v names the session and the name the certificate was checked for" {
	redis_start_tls a "$C/server.crt" "$C/server.key"
	run -0 --separate-stderr tsnap --cacert "$C/ca.crt" -v
	assert_regex "${stderr_lines[0]}" "^rdb-snap: connected to 127\.0\.0\.1:$RTLSPORT over TLSv1\.[23] \([A-Z0-9_-]+\), certificate verified for 127\.0\.0\.1$"
	run -0 --separate-stderr rdb-snap -h localhost -p "$RTLSPORT" --tls --cacert "$C/ca.crt" -v
	assert_regex "${stderr_lines[0]}" "^rdb-snap: connected to localhost:$RTLSPORT over TLSv1\.[23] \([A-Z0-9_-]+\), certificate verified for localhost$"
}

@test "a password over TLS: AUTH follows the handshake; a wrong one is the server's reason" {
	redis_start_tls a "$C/server.crt" "$C/server.key" "requirepass s3cret"
	REDISCLI_AUTH=s3cret redis_populate a 20
	REDISCLI_AUTH=wrong run -1 --separate-stderr tsnap --cacert "$C/ca.crt"
	assert_equal "$stderr" "rdb-snap: AUTH: WRONGPASS invalid username-password pair or user is disabled."
	REDISCLI_AUTH=s3cret run -0 --separate-stderr tsnap --cacert "$C/ca.crt" --sync
	assert_equal "$stderr" ""
	redis_start_from b "$T/out.rdb"
	REDISCLI_AUTH=s3cret run -0 rcli a DEBUG DIGEST
	assert_equal "$output" "$(redis_digest b)"
}

@test "a server certificate from another CA is refused with the verify reason, before any save" {
	redis_start_tls a "$C/server.crt" "$C/server.key"
	for mode in "" --sync; do
		run -1 --separate-stderr tsnap --cacert "$C/other-ca.crt" $mode
		assert_equal "$stderr" "rdb-snap: connect 127.0.0.1:$RTLSPORT: TLS handshake: certificate verify failed: self-signed certificate in certificate chain"
		[ ! -s "$T/out.rdb" ] || fail "output written"
	done
	assert_equal "$(rdb_saves a)" 0
}

@test "a self-signed server certificate is refused, and taken with --insecure (said under -v)" {
	redis_start_tls a "$C/self.crt" "$C/self.key"
	redis_populate a 20
	run -1 --separate-stderr tsnap --cacert "$C/ca.crt"
	assert_equal "$stderr" "rdb-snap: connect 127.0.0.1:$RTLSPORT: TLS handshake: certificate verify failed: self-signed certificate"
	[ ! -s "$T/out.rdb" ] || fail "output written"
	run -0 --separate-stderr tsnap --insecure
	assert_equal "$stderr" ""
	run -0 --separate-stderr tsnap --insecure --sync -v
	assert_regex "${stderr_lines[0]}" "^rdb-snap: connected to 127\.0\.0\.1:$RTLSPORT over TLSv1\.[23] \([A-Z0-9_-]+\), the server's certificate not verified \(--insecure\)$"
	redis_start_from b "$T/out.rdb"
	redis_same a b
}

@test "the certificate must name the host or address: --sni with another name, ::1, refused" {
	redis_start_tls a "$C/server.crt" "$C/server.key"
	run -1 --separate-stderr tsnap --cacert "$C/ca.crt" --sni db.example.org
	assert_equal "$stderr" "rdb-snap: connect 127.0.0.1:$RTLSPORT: TLS handshake: certificate verify failed: hostname mismatch"
	run -0 --separate-stderr tsnap --cacert "$C/ca.crt" --sni localhost
	assert_equal "$stderr" ""
	# The certificate names 127.0.0.1, not ::1, where Redis listens too.
	run -1 --separate-stderr rdb-snap -h ::1 -p "$RTLSPORT" --tls --cacert "$C/ca.crt"
	assert_equal "$stderr" "rdb-snap: connect [::1]:$RTLSPORT: TLS handshake: certificate verify failed: IP address mismatch"
}

@test "mutual TLS: --cert and --key pass tls-auth-clients yes; without them, a clear refusal" {
	redis_start_tls a "$C/server.crt" "$C/server.key" "tls-auth-clients yes"
	redis_populate a 20
	for mode in "" --sync; do
		run -1 --separate-stderr tsnap --cacert "$C/ca.crt" $mode
		assert_equal "$stderr" "rdb-snap: connect 127.0.0.1:$RTLSPORT: TLS: the server requires a client certificate (--cert, --key)"
		run -0 --separate-stderr tsnap --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" $mode
		assert_equal "$stderr" ""
		redis_start_from "b$mode" "$T/out.rdb"
		redis_same a "b$mode"
	done
}

@test "a client key others can read draws a warning; a key not of the certificate is refused" {
	redis_start_tls a "$C/server.crt" "$C/server.key" "tls-auth-clients yes"
	chmod 644 "$C/client.key"
	run -0 --separate-stderr tsnap --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key"
	assert_equal "$stderr" "rdb-snap: warning: $C/client.key is readable by group or others"
	run -0 --separate-stderr tsnap -q --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key"
	assert_equal "$stderr" ""
	run -1 --separate-stderr tsnap --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/self.key"
	assert_equal "$stderr" "rdb-snap: --key $C/self.key: key values mismatch"
}

@test "TLS to a plain port times out with a hint; plain to a TLS port fails" {
	port=$(free_port)
	redis_start_tls a "$C/server.crt" "$C/server.key" "port $port"
	run -1 --separate-stderr rdb-snap -h 127.0.0.1 -p "$port" --tls --cacert "$C/ca.crt" --timeout 1
	assert_equal "$stderr" "rdb-snap: connect 127.0.0.1:$port: TLS handshake: timed out (is this a TLS port?)"
	run -1 --separate-stderr rdb-snap -h 127.0.0.1 -p "$RTLSPORT" --timeout 2
	assert_regex "$stderr" "^rdb-snap: CONFIG GET dir: (the server closed the connection|Connection reset by peer|timed out) "
	assert_equal "$output" ""
}

@test "bad TLS options: usage errors (exit 2) and unreadable files (exit 1)" {
	run -2 --separate-stderr rdb-snap -p 1 --cacert "$C/ca.crt"
	assert_equal "${stderr_lines[0]}" "rdb-snap: --cacert needs --tls"
	run -2 --separate-stderr rdb-snap -p 1 --insecure
	assert_equal "${stderr_lines[0]}" "rdb-snap: --insecure needs --tls"
	run -2 --separate-stderr rdb-snap -p 1 --tls --key "$C/client.key"
	assert_equal "${stderr_lines[0]}" "rdb-snap: --key needs --cert"
	run -2 --separate-stderr rdb-snap -s "$T/x.sock" --tls
	assert_equal "${stderr_lines[0]}" "rdb-snap: --tls does not go with -s (Redis has no TLS on unix sockets)"
	run -1 --separate-stderr rdb-snap -p 1 --tls --cacert "$T/nope.crt"
	assert_equal "$stderr" "rdb-snap: --cacert $T/nope.crt: No such file or directory"
	run -1 --separate-stderr rdb-snap -p 1 --tls --cacertdir "$C/ca.crt"
	assert_equal "$stderr" "rdb-snap: --cacertdir $C/ca.crt: not a directory"
	echo junk >"$T/junk.crt"
	run -1 --separate-stderr rdb-snap -p 1 --tls --cacert "$T/junk.crt"
	assert_equal "$stderr" "rdb-snap: --cacert $T/junk.crt: no certificate or crl found"
}

@test "--cacertdir: a hashed CA directory verifies the same" {
	redis_start_tls a "$C/server.crt" "$C/server.key"
	mkdir "$T/cas"
	cp "$C/ca.crt" "$T/cas/"
	openssl rehash "$T/cas" 2>/dev/null || c_rehash "$T/cas" >/dev/null
	run -0 --separate-stderr tsnap --cacertdir "$T/cas"
	assert_equal "$stderr" ""
	rm "$T"/cas/*.0
	run -1 --separate-stderr tsnap --cacertdir "$T/cas"
	assert_equal "$stderr" "rdb-snap: connect 127.0.0.1:$RTLSPORT: TLS handshake: certificate verify failed: self-signed certificate in certificate chain"
}

@test "rdb-install --tls: its checks, SHUTDOWN and the final count go to the tls-port (mutual TLS)" {
	make_snapshot b 100 "$T/b.rdb"
	b_digest=$SNAP_DIGEST
	redis_start_tls a "$C/server.crt" "$C/server.key" "tls-auth-clients yes"
	redis_populate a 20
	a_digest=$(redis_digest a)
	cp "$RCONF" "$T/conf.before"
	# Without a client certificate: refused before the server is touched.
	run -1 --separate-stderr rdb-install -c "$RCONF" --tls --cacert "$C/ca.crt" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: connect 127.0.0.1:$RTLSPORT: TLS: the server requires a client certificate (--cert, --key)"
	[ "$(redis_digest a)" = "$a_digest" ]
	assert_no_staged "$RDIR"
	run -0 --separate-stderr rdb-install -c "$RCONF" --tls --cacert "$C/ca.crt" \
		--cert "$C/client.crt" --key "$C/client.key" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: $RDIR/dump.rdb: restored $(redis_keys_in "$T/b.rdb") keys (RDB version 10)"
	[ "$(redis_digest a)" = "$b_digest" ]
	cmp "$RCONF" "$T/conf.before"
}

@test "rdb-install: a config with only a tls-port needs --tls; --tls needs a tls-port" {
	make_snapshot b 10 "$T/b.rdb"
	mkdir "$T/d"
	printf 'port 0\ntls-port 6390\ndir %s\n' "$T/d" >"$T/tls-only.conf"
	run -1 --separate-stderr rdb-install -c "$T/tls-only.conf" "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: config $T/tls-only.conf: the server listens only on tls-port 6390: give --tls (with --cacert, or --cert and --key as it needs)"
	printf 'port 6391\ndir %s\n' "$T/d" >"$T/plain.conf"
	run -1 --separate-stderr rdb-install -c "$T/plain.conf" --tls "$T/b.rdb"
	assert_equal "$stderr" "rdb-install: config $T/plain.conf: --tls, but no tls-port"
	run -2 --separate-stderr rdb-install -c "$T/plain.conf" --cacert "$C/ca.crt" "$T/b.rdb"
	assert_equal "${stderr_lines[0]}" "rdb-install: --cacert needs --tls"
	assert_equal "$(ls -A "$T/d")" ""
}

@test "redis-backup and redis-restore over mutual TLS (REDIS_TLS_*): the same DEBUG DIGEST" {
	swift_start
	redis_start_tls src "$C/server.crt" "$C/server.key" "tls-auth-clients yes"
	redis_populate src 100
	want=$(redis_digest src)
	keys=$(rcli src INFO keyspace | tr -d '\r' |
		sed -n 's/^db[0-9]*:keys=\([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s }')
	rdb-pack --keygen -o "$T/key.txt" 2>/dev/null
	rdb-pack -y <"$T/key.txt" >"$T/recipients.txt"
	envf=$T/redis-backup
	cat >"$envf" <<-EOF
	REDIS_HOST=127.0.0.1
	REDIS_PORT=$RTLSPORT
	REDIS_TLS=1
	REDIS_TLS_CACERT=$C/ca.crt
	REDIS_TLS_CERT=$C/client.crt
	REDIS_TLS_KEY=$C/client.key
	REDIS_BACKUP_PREFIX=test/tls
	REDIS_BACKUP_RECIPIENTS_FILE=$T/recipients.txt
	REDIS_BACKUP_IDENTITY_FILE=$T/key.txt
	REDIS_BACKUP_LOCK=$T/backup.lock
	EOF
	chmod 600 "$envf"
	run -0 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$envf" --verify
	object=$output
	assert_regex "$object" '^test/tls/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z\.rdb\.zst\.age$'
	# The metadata comes from redis-cli over TLS too.
	run -0 swift_cli stat database_backups "$object"
	assert_output --partial "Meta Keys: $keys"
	assert_output --regexp "Meta Redis-Version: 7\."

	redis_start_tls dst "$C/server.crt" "$C/server.key" "tls-auth-clients yes"
	rcli dst SET only-in-dst 1 >/dev/null
	echo "REDIS_CONF=$RCONF" >>"$envf"
	run -0 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$envf" -q
	assert_equal "$stderr" ""
	[ "$(redis_digest dst)" = "$want" ] || fail "digest differs after restore"
	# rdb-install's checks went over TLS: a wrong CA stops it first.
	sed "s|^REDIS_TLS_CACERT=.*|REDIS_TLS_CACERT=$C/other-ca.crt|" "$envf" >"$T/wrong-ca"
	chmod 600 "$T/wrong-ca"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$T/wrong-ca" -q
	assert_equal "${stderr_lines[0]}" "rdb-install: connect 127.0.0.1:$RTLSPORT: TLS handshake: certificate verify failed: self-signed certificate in certificate chain"
	[ "$(redis_digest dst)" = "$want" ] || fail "the refused restore changed data"

	# Without the client certificate, the first contact (redis-cli's
	# INFO) fails, and nothing more is stored.
	sed -i '/^REDIS_TLS_CERT=/d; /^REDIS_TLS_KEY=/d' "$envf"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$envf"
	assert_regex "$stderr" "^redis-backup: redis: "
	run -0 swift-ls test/tls/
	assert_output "$object"
}

@test "redis-backup: REDIS_TLS with a socket, or not 0 or 1, is refused" {
	envf=$T/redis-backup
	printf 'REDIS_TLS=1\nREDIS_SOCKET=%s\nREDIS_BACKUP_LOCK=%s\n' "$T/x.sock" "$T/lock" >"$envf"
	chmod 600 "$envf"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$envf"
	assert_equal "$stderr" "redis-backup: REDIS_TLS=1 needs REDIS_HOST and REDIS_PORT (the TLS port), not REDIS_SOCKET"
	printf 'REDIS_TLS=yes\nREDIS_BACKUP_LOCK=%s\n' "$T/lock" >"$envf"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$envf"
	assert_equal "$stderr" "redis-backup: REDIS_TLS=yes: 1 (on) or 0 (off)"
	echo "REDIS_BACKUP_IDENTITY_FILE=$T/key.txt" >>"$envf"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-restore" -c "$envf" x
	assert_equal "$stderr" "redis-restore: REDIS_TLS=yes: 1 (on) or 0 (off)"
}

@test "redis-backup --dry-run: each REDIS_TLS_* setting becomes its option; REDIS_TLS_INSECURE=1 reaches a self-signed server" {
	redis_start_tls a "$C/self.crt" "$C/self.key"
	envf=$T/redis-backup
	cat >"$envf" <<-EOF
	REDIS_HOST=127.0.0.1
	REDIS_PORT=$RTLSPORT
	REDIS_TLS=1
	REDIS_TLS_CACERTDIR=$C
	REDIS_TLS_SNI=localhost
	REDIS_TLS_INSECURE=1
	REDIS_BACKUP_PREFIX=test/tls
	REDIS_BACKUP_LOCK=$T/backup.lock
	EOF
	chmod 600 "$envf"
	run -0 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$envf" --dry-run
	assert_regex "$output" "^rdb-snap -h 127\.0\.0\.1 -p $RTLSPORT --tls --cacertdir $C --sni localhost --insecure( --[a-z-]+ [^ |]+)* \| rdb-pack "
	# Without REDIS_TLS_INSECURE, redis-cli's INFO is refused first.
	sed -i '/^REDIS_TLS_INSECURE=/d' "$envf"
	run -1 --separate-stderr "$RDBPIPE_TOP/contrib/redis-backup" -c "$envf" --dry-run
	assert_regex "$stderr" "^redis-backup: redis: "
	assert_equal "$output" ""
}

@test "aof-archive over mutual TLS as an ACL user allowed only replication: the base, then a write in a chunk" {
	local pid i c found=0
	swift_start
	redis_start_tls src "$C/server.crt" "$C/server.key" "tls-auth-clients yes" \
		"repl-ping-replica-period 1" "repl-diskless-sync-delay 0"
	rcli src ACL SETUSER archiver on '>arch-pass-31' -@all +psync +replconf \
		+ping +info >/dev/null
	printf 'arch-pass-31\n' >"$T/pass"
	chmod 600 "$T/pass"
	rdb-pack --keygen -o "$T/key.txt" 2>/dev/null
	rdb-pack -y <"$T/key.txt" >"$T/recipients.txt"
	aof-archive -h 127.0.0.1 -p "$RTLSPORT" --tls --cacert "$C/ca.crt" \
		--cert "$C/client.crt" --key "$C/client.key" --user archiver \
		--pass-file "$T/pass" -R "$T/recipients.txt" --interval 1s -v \
		test/tls 2>"$T/arch.err" &
	pid=$!
	for i in $(seq 1 100); do
		swift-ls test/tls/archive/ 2>/dev/null | grep -q '\.base\.' && break
		sleep 0.1
	done
	rcli src SET over-tls yes >/dev/null
	for i in $(seq 1 100); do
		for c in $(swift-ls test/tls/archive/ | grep '\.aof\.'); do
			swift-get "$c" | age -d -i "$T/key.txt" | zstd -q -d |
				grep -aqx $'over-tls\r' && found=1
		done
		[ "$found" = 1 ] && break
		sleep 0.2
	done
	kill -TERM "$pid"
	wait "$pid" || fail "aof-archive exited $?: $(cat "$T/arch.err")"
	[ "$found" = 1 ] || fail "the write is in no chunk: $(cat "$T/arch.err")"
	run -0 swift-ls test/tls/archive/
	assert_output --regexp '\.base\.[0-9]{8}T[0-9]{6}Z\.rdb\.zst\.age'
	# -v says what it does; the password is in no message.
	run -1 grep -F arch-pass-31 "$T/arch.err"
}
