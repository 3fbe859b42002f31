# Throwaway redis-server instances for the suites: a temp dir each, a unix
# socket, no TCP port unless asked, never the system's server.
#
#   redis_start NAME [CONFIG-LINE]...   start; sets RDIR RSOCK RCONF
#   rcli NAME ARGS...                   redis-cli on NAME's socket
#   redis_stop NAME                     SIGTERM (SHUTDOWN NOSAVE if it will
#                                       not go) and wait for its exit
#   redis_stop_all                      stop everything this test started
#
# With REDIS_USER set (the rdb-install suites: REDIS_USER=redis), the data
# dir is that user's (mode 750) and the server runs as that user, as Debian
# runs it; the scratch dir is then opened to it (711).
#
# Each instance gets enable-debug-command (DEBUG DIGEST, DEBUG POPULATE),
# save "" and appendonly no unless CONFIG-LINEs say otherwise (later lines
# win, as in redis.conf).

source "$(dirname "${BASH_SOURCE[0]}")/proc.bash"

redis_dir() { echo "$(scratch)/$1"; }

redis_start() {
	local name=$1 dir i
	shift
	dir=$(redis_dir "$name")
	mkdir -p "$dir"
	{
		echo "port 0"
		echo "unixsocket $dir/redis.sock"
		echo "unixsocketperm 700"
		echo "dir $dir"
		echo "pidfile $dir/redis.pid"
		echo "logfile $dir/redis.log"
		echo "daemonize yes"
		echo 'save ""'
		echo "appendonly no"
		echo "enable-debug-command yes"
		for line in "$@"; do echo "$line"; done
	} >"$dir/redis.conf"
	redis_server_as "$dir/redis.conf" || fail "redis-server $name did not start"
	echo "$dir" >>"$(scratch)/redis-instances"
	for i in $(seq 1 200); do
		if redis_ping "$name"; then
			RDIR=$dir RSOCK=$dir/redis.sock RCONF=$dir/redis.conf
			return 0
		fi
		sleep 0.025
	done
	cat "$dir/redis.log" >&2
	fail "redis-server $name did not answer PING"
}

# redis_server_as CONF: redis-server CONF, as REDIS_USER when set (its dir
# given to that user first).
redis_server_as() {
	local dir
	if [ -z "${REDIS_USER:-}" ]; then
		redis-server "$1"
		return
	fi
	dir=$(dirname "$1")
	chmod 711 "$(scratch)"
	chown -R "$REDIS_USER:$REDIS_USER" "$dir"
	chmod 750 "$dir"
	runuser -u "$REDIS_USER" -- redis-server "$1"
}

# The password, when the instance has one, comes from REDISCLI_AUTH in the
# caller's environment, never argv.
rcli() {
	local name=$1
	shift
	redis-cli -s "$(redis_dir "$name")/redis.sock" "$@"
}

redis_ping() {
	[ "$(rcli "$1" PING 2>/dev/null)" = PONG ] ||
		rcli "$1" PING 2>/dev/null | grep -q NOAUTH
}

redis_pid() { cat "$(redis_dir "$1")/redis.pid" 2>/dev/null; }

redis_stop_dir() {
	local dir=$1 pid i
	pid=$(cat "$dir/redis.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 200); do
		pid_alive "$pid" || return 0
		# A server whose shutdown save fails refuses to exit (tests
		# make saves fail on purpose): after a second, without it.
		[ "$i" != 20 ] ||
			redis-cli -s "$dir/redis.sock" SHUTDOWN NOSAVE >/dev/null 2>&1
		sleep 0.025
	done
	kill -9 "$pid" 2>/dev/null || true
}

redis_stop() { redis_stop_dir "$(redis_dir "$1")"; }

# redis_wait_saving NAME TRIES: waits, TRIES times 0.05 s at most, until
# NAME has a background save running.
redis_wait_saving() {
	local _
	for _ in $(seq "$2"); do
		rcli "$1" INFO persistence | grep -q 'rdb_bgsave_in_progress:1' && break
		sleep 0.05
	done
}

redis_stop_all() { stop_instances redis redis_stop_dir; }

# Fills NAME with keys of every type, big and small encodings, expiries,
# a stream with a consumer group, a function and a second database.
redis_populate() {
	local name=$1 n=${2:-200} i
	{
		for i in $(seq 1 "$n"); do
			echo "SET str:$i value-$i-$RANDOM"
			echo "SET int:$i $i"
			echo "HSET hash:$((i % 10)) f$i v$i"
			echo "RPUSH list:$((i % 7)) item$i"
			echo "SADD set:$((i % 5)) m$i"
			echo "SADD iset:$((i % 3)) $i"
			echo "ZADD zset:$((i % 4)) $i z$i"
			echo "XADD stream:1 * n $i"
		done
		echo "SET big $(head -c 20000 /dev/zero | tr '\0' x)"
		echo "HSET bighash $(for i in $(seq 1 600); do printf 'k%d v%d ' "$i" "$i"; done)"
		echo "ZADD bigzset $(for i in $(seq 1 300); do printf '%d.5 m%d ' "$i" "$i"; done)"
		echo "SET expiring v EX 3600"
		echo "XGROUP CREATE stream:1 g1 0"
		echo "XREADGROUP GROUP g1 c1 COUNT 3 STREAMS stream:1 >"
		echo "SELECT 3"
		echo "SET other-db yes"
	} | rcli "$name" >/dev/null
	rcli "$name" FUNCTION LOAD "#!lua name=rdbpipe_test
redis.register_function('ping2', function() return 'pong' end)" >/dev/null
}

# DEBUG DIGEST of the whole dataset: equal digests, equal data.
redis_digest() { rcli "$1" DEBUG DIGEST; }

# redis_start_from NAME RDB [CONFIG-LINE]...: starts NAME on a copy of RDB
# as its dump (an empty server's dir given a snapshot), waiting until the
# load is done.
redis_start_from() {
	local name=$1 rdb=$2
	shift 2
	mkdir -p "$(redis_dir "$name")"
	cp "$rdb" "$(redis_dir "$name")/dump.rdb"
	redis_start "$name" "$@"
}

# The key and expiry counts of every database, one line each.
redis_keyspace() { rcli "$1" INFO keyspace | tr -d '\r' | grep '^db' | sed 's/,avg_ttl=.*//'; }

# redis_child NAME: the pid of NAME's fork (a save or a rewrite)
redis_child() { pgrep -P "$(redis_pid "$1")"; }

# redis_same A B: the two servers hold the same data: every database's
# key count, DEBUG DIGEST and the function libraries.
redis_same() {
	local a=$1 b=$2
	[ "$(redis_keyspace "$a")" = "$(redis_keyspace "$b")" ] ||
		fail "keyspaces differ: $(redis_keyspace "$a") / $(redis_keyspace "$b")"
	[ "$(redis_digest "$a")" = "$(redis_digest "$b")" ] || fail "DEBUG DIGEST differs"
	[ "$(rcli "$a" FUNCTION DUMP | sha)" = "$(rcli "$b" FUNCTION DUMP | sha)" ] ||
		fail "functions differ"
}

# TLS (tests/tls.bats):
#
#   tls_certs DIR          a throwaway CA (ca.crt), a server certificate for
#                          localhost and 127.0.0.1 (server.crt/.key), a client
#                          certificate (client.crt/.key), a second CA that
#                          signed neither (other-ca.crt) and a self-signed
#                          server certificate (self.crt/.key); EC P-256, fast
#   free_port              a TCP port nobody listens on now
#   redis_start_tls NAME CERT KEY [CONFIG-LINE]...
#                          redis_start with TLS on a free port and the plain
#                          TCP port off (the unix socket stays, plain, for
#                          rcli); sets RTLSPORT
tls_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
		-out "$1" 2>/dev/null
}

# tls_signed NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt, signed by
# ca.key for two days, in the current dir.
tls_signed() {
	tls_key "$1.key"
	openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key \
		-CAcreateserial -days 2 -extfile "$1.ext" \
		-out "$1.crt" 2>/dev/null
}

tls_certs() {
	local d=$1 who
	mkdir -p "$d"
	(
		set -e
		cd "$d"
		for who in ca other-ca; do
			tls_key "$who.key"
			openssl req -x509 -new -key "$who.key" -out "$who.crt" \
				-days 2 -subj "/CN=rdbpipe test $who" 2>/dev/null
		done
		tls_signed server /CN=localhost \
			$'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth'
		tls_signed client /CN=rdbpipe-client extendedKeyUsage=clientAuth
		tls_key self.key
		openssl req -x509 -new -key self.key -out self.crt -days 2 \
			-subj /CN=localhost \
			-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
		chmod 600 ./*.key
		# The server's keys are for the server's user when it has one.
		if [ -n "${REDIS_USER:-}" ]; then
			chown "$REDIS_USER" server.key self.key
		fi
	) || fail "tls_certs: openssl failed"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_start_tls() {
	local name=$1 cert=$2 key=$3
	shift 3
	RTLSPORT=$(free_port)
	redis_start "$name" "tls-port $RTLSPORT" "tls-cert-file $cert" \
		"tls-key-file $key" "tls-ca-cert-file $(scratch)/tls/ca.crt" \
		"tls-auth-clients no" "repl-diskless-sync-delay 0" "$@"
}
