# A throwaway one-node OpenStack Swift for the suites: Debian's packages,
# never a mock.  Every daemon listens on 127.0.0.1 on a port picked free at
# run time (several suites may run at once), keeps its rings, configs, logs
# and storage in SWIFT_HOME, and is stopped by pid.  /etc/swift is never
# read or written: tests/lib/swift-launch.py points Swift at SWIFT_HOME's
# swift.conf.
#
#   swift_start [OVERRIDE]...  memcached, account, container, object and
#                       proxy servers; returns once the proxy answers
#                       /healthcheck and tempauth hands out a token.
#                       Exports ST_AUTH ST_USER ST_KEY (tempauth user
#                       test:tester, key testing, .admin), SWIFT_URL (the
#                       proxy's base URL), SWIFT_AUTH_DIRECT (= ST_AUTH
#                       until swift_fault_start) and SWIFT_HOME.
#   swift_stop [HOME]   stop one instance (default: SWIFT_HOME), wait for exit
#   swift_stop_all      stop everything this test started (common_teardown)
#   swift_cli ARGS...   python-swiftclient's swift, straight to the proxy
#   swift_auth          sets SWIFT_TOKEN and SWIFT_STORAGE_URL (straight to
#                       the proxy, never through the fault proxy)
#   swift_curl PATH [CURL-ARG]...  curl -s on SWIFT_STORAGE_URL/PATH with the
#                       token (PATH is container/object, already encoded)
#   swift_expirer_pass  one container-updater pass, then one object-expirer
#                       pass: objects whose X-Delete-At has passed are
#                       deleted for real (a GET answers 404 before that)
#   swift_log NAME      prints a daemon's log (proxy, account, container,
#                       object, memcached, fault, expirer, updater)
#
# An OVERRIDE is one or more config lines: "key = value" lines go to
# [app:proxy-server]; a "[section]" line switches the section for the lines
# after it, e.g.
#   swift_start 'node_timeout = 3'
#   swift_start $'[filter:tempauth]\ntoken_life = 3'
#   swift_start $'[filter:slo]\nmax_manifest_segments = 4'
#   swift_start $'[swift-constraints]\nmax_file_size = 10485760'
# swift-constraints, swift-hash and storage-policy:* sections go to
# swift.conf, everything else to proxy-server.conf; a key given again
# replaces the default.  The default proxy pipeline is catch_errors
# gatekeeper healthcheck proxy-logging cache bulk tempauth slo dlo
# proxy-logging proxy-server, with error_suppression_interval = 0 (one node:
# one error must not bench it for 60 s), allow_account_management,
# account_autocreate and rate_limit_after_segment raised in slo and dlo.
#
# SWIFT_HOME, when set to a directory that holds no instance yet, is used
# as is; otherwise each swift_start makes a new dir under $(scratch).
#
# Fault injection (see tests/lib/faultproxy.py for the rule syntax):
#   swift_fault_start   a fault proxy in front of the proxy server; ST_AUTH
#                       and FAULT_URL then point at it (tempauth builds the
#                       storage URL from Host, so the whole session goes
#                       through it).  Its request log is $SWIFT_HOME/fault.log.
#                       Called again: no rules, an empty log, same proxy.
#   swift_fault RULE... add rules (each used up after its count)
#   swift_fault_clear   remove every rule
#   swift_fault_log     prints the request log: "METHOD PATH STATUS
#                       range=... if-match=..." a line, STATUS DROP for a
#                       dropped connection; fault=ID when a rule fired

SWIFT_PY=/usr/bin/python3
SWIFT_LIB=$RDBPIPE_TOP/tests/lib
source "$(dirname "${BASH_SOURCE[0]}")/proc.bash"

swift_new_home() {
	if [ -n "${SWIFT_HOME:-}" ] && [ ! -e "$SWIFT_HOME/ports" ]; then
		mkdir -p "$SWIFT_HOME" && echo "$SWIFT_HOME"
	else
		mktemp -d "$(scratch)/swift.XXXXXX"
	fi
}

# swift_spawn HOME NAME COMMAND...: runs COMMAND in the background with its
# output in HOME/log/NAME.log and records its pid.  fd 3 is bats's: a
# daemon holding it would keep bats waiting.
swift_spawn() {
	local home=$1 name=$2
	shift 2
	"$@" </dev/null >"$home/log/$name.log" 2>&1 3>&- &
	echo "$! $name" >>"$home/pids"
	# no "Killed" line from bash when swift_stop kills it
	disown $!
}


# swift_port HOME NAME
swift_port() { awk -v n="$2" '$1 == n { print $2 }' "$1/ports"; }

swift_try_start() {
	local home=$1
	shift
	rm -rf "${home:?}"/*
	mkdir -p "$home/log"
	"$SWIFT_PY" "$SWIFT_LIB/swift-launch.py" "$home" setup "$@" \
		>/dev/null || return 1
	swift_spawn "$home" memcached memcached -l 127.0.0.1 \
		-p "$(swift_port "$home" memcached)" -U 0 -m 64 -u "$(id -un)"
	swift_spawn "$home" launcher "$SWIFT_PY" "$SWIFT_LIB/swift-launch.py" \
		"$home" start account container object proxy
	# A port may have been taken between the pick and the bind, even by
	# another suite's Swift: wait until each daemon listens itself.
	"$SWIFT_PY" "$SWIFT_LIB/swift-launch.py" "$home" wait 60 \
		memcached account container object proxy || return 1
	SWIFT_URL=http://127.0.0.1:$(swift_port "$home" proxy)
	curl -sf "$SWIFT_URL/healthcheck" >/dev/null || return 1
	# (a proxy for Keystone has no tempauth)
	grep -q '^pipeline = .*tempauth' "$home/proxy-server.conf" || return 0
	curl -sf -o /dev/null -H 'X-Auth-User: test:tester' \
		-H 'X-Auth-Key: testing' "$SWIFT_URL/auth/v1.0" || return 1
}

swift_start() {
	local home
	home=$(swift_new_home) || fail "swift_start: no home dir"
	echo "$home" >>"$(scratch)/swift-instances"
	for _ in 1 2 3; do
		if swift_try_start "$home" "$@"; then
			export SWIFT_HOME=$home SWIFT_URL
			export ST_AUTH=$SWIFT_URL/auth/v1.0 ST_USER=test:tester ST_KEY=testing
			export SWIFT_AUTH_DIRECT=$ST_AUTH
			unset SWIFT_TOKEN SWIFT_STORAGE_URL FAULT_URL
			return 0
		fi
		# A port taken between the pick and the bind: try new ports.
		swift_stop "$home"
	done
	tail -n 30 "$home"/log/*.log >&2
	fail "swift_start: Swift did not start (logs in $home/log)"
}

# swift_wait_gone HOME GREP-FLAG: waits (10 s at most) until the pids of
# HOME (without the launcher with -v, only it with '') are gone.
swift_wait_gone() {
	local pid name
	# (no line matching is fine: a start that failed early)
	{ grep ${2:+"$2"} ' launcher$' "$1/pids" || :; } | while read -r pid name; do
		for _ in $(seq 1 400); do
			pid_alive "$pid" || break
			sleep 0.025
		done
	done
}

swift_stop() {
	local home=${1:-${SWIFT_HOME:-}} pid name
	[ -n "$home" ] && [ -f "$home/pids" ] || return 0
	# SIGKILL: the data is thrown away with the dir, and Swift's graceful
	# shutdown costs more than a second per run.  The launcher goes last:
	# it reaps the servers it forked.
	# (A pid already gone is fine; under set -e neither a failed kill
	# nor a last line that is not the launcher may end the caller: the
	# retry in swift_start runs this after a failed start.)
	while read -r pid name; do
		if [ "$name" != launcher ]; then
			kill -9 "$pid" 2>/dev/null || :
		fi
	done <"$home/pids"
	swift_wait_gone "$home" -v
	while read -r pid name; do
		if [ "$name" = launcher ]; then
			kill -9 "$pid" 2>/dev/null || :
		fi
	done <"$home/pids"
	swift_wait_gone "$home" ''
	rm -f "$home/pids"
}

swift_stop_all() { stop_instances swift swift_stop; }

swift_log() { cat "$SWIFT_HOME/log/$1.log"; }

swift_cli() {
	swift -A "$SWIFT_AUTH_DIRECT" -U test:tester -K testing "$@"
}

swift_auth() {
	local h
	h=$(curl -sf -D - -o /dev/null -H 'X-Auth-User: test:tester' \
		-H 'X-Auth-Key: testing' "$SWIFT_AUTH_DIRECT") ||
		fail "swift_auth: tempauth refused"
	SWIFT_TOKEN=$(sed -n 's/^X-Auth-Token: *//Ip' <<<"$h" | tr -d '\r')
	SWIFT_STORAGE_URL=$(sed -n 's/^X-Storage-Url: *//Ip' <<<"$h" | tr -d '\r')
	export SWIFT_TOKEN SWIFT_STORAGE_URL
}

swift_curl() {
	local path=$1
	shift
	[ -n "${SWIFT_TOKEN:-}" ] || swift_auth
	curl -s -H "X-Auth-Token: $SWIFT_TOKEN" "$@" "$SWIFT_STORAGE_URL/$path"
}

# The 2.30 expirer reads the legacy queue (the .expiring_objects account),
# which lists a queue container only once the container-updater has pushed
# it to the account.
swift_expirer_pass() {
	"$SWIFT_PY" "$SWIFT_LIB/swift-launch.py" "$SWIFT_HOME" once \
		container-updater >>"$SWIFT_HOME/log/updater.log" 2>&1 ||
		fail "container-updater pass failed (log/updater.log)"
	"$SWIFT_PY" "$SWIFT_LIB/swift-launch.py" "$SWIFT_HOME" once \
		object-expirer >>"$SWIFT_HOME/log/expirer.log" 2>&1 ||
		fail "object-expirer pass failed (log/expirer.log)"
}

swift_fault_start() {
	local port h url pid
	: >"$SWIFT_HOME/fault.rules"
	: >"$SWIFT_HOME/fault.log"
	[ -f "$SWIFT_HOME/fault.nextid" ] || echo 1 >"$SWIFT_HOME/fault.nextid"
	# Started again: the same proxy, with no rules and an empty log.
	pid=$(awk '$2 == "fault" { print $1 }' "$SWIFT_HOME/pids")
	if [ -n "$pid" ] && pid_alive "$pid" && [ -s "$SWIFT_HOME/fault.port" ]; then
		port=$(cat "$SWIFT_HOME/fault.port")
		export FAULT_URL=http://127.0.0.1:$port
		export ST_AUTH=$FAULT_URL/auth/v1.0
		return 0
	fi
	rm -f "$SWIFT_HOME/fault.port"
	swift_spawn "$SWIFT_HOME" fault "$SWIFT_PY" "$SWIFT_LIB/faultproxy.py" \
		--upstream "${SWIFT_URL#http://}" \
		--rules "$SWIFT_HOME/fault.rules" --log "$SWIFT_HOME/fault.log" \
		--port-file "$SWIFT_HOME/fault.port"
	for _ in $(seq 1 400); do
		[ -s "$SWIFT_HOME/fault.port" ] && break
		sleep 0.025
	done
	port=$(cat "$SWIFT_HOME/fault.port" 2>/dev/null) ||
		fail "swift_fault_start: the fault proxy did not start"
	# The pid file holds "pid name" and swift_port reads "name port".
	echo "fault $port" >>"$SWIFT_HOME/ports"
	export FAULT_URL=http://127.0.0.1:$port
	export ST_AUTH=$FAULT_URL/auth/v1.0
	h=$(curl -sf -D - -o /dev/null -H 'X-Auth-User: test:tester' \
		-H 'X-Auth-Key: testing' "$ST_AUTH") ||
		fail "swift_fault_start: no auth through the fault proxy"
	url=$(sed -n 's/^X-Storage-Url: *//Ip' <<<"$h" | tr -d '\r')
	[ "${url%%/v1/*}" = "$FAULT_URL" ] ||
		fail "swift_fault_start: storage URL $url is not behind $FAULT_URL"
	# (the proxy logs a request before it answers: that check is in)
	: >"$SWIFT_HOME/fault.log"
}

swift_fault() {
	local id rule
	for rule in "$@"; do
		id=$(cat "$SWIFT_HOME/fault.nextid")
		echo $((id + 1)) >"$SWIFT_HOME/fault.nextid"
		echo "$id $rule" >>"$SWIFT_HOME/fault.rules"
	done
}

swift_fault_clear() { : >"$SWIFT_HOME/fault.rules"; }

swift_fault_log() { cat "$SWIFT_HOME/fault.log"; }
