# A throwaway Keystone v3 (Debian's keystone, sqlite in WAL mode, fernet
# tokens) and a Swift proxy that trusts it (authtoken with interface =
# public and delay_auth_decision = true, then keystoneauth with
# operator_roles admin,member).  Starting takes ~25 s (the database
# migrations), so a suite starts it once, in setup_file:
#
#   setup_file() { keystone_start; }
#   teardown_file() { common_teardown; }
#
#   keystone_start      Keystone on a free port of 127.0.0.1, then a Swift
#                       (swift_start) behind it; exports
#                         OS_AUTH_URL (.../v3) OS_IDENTITY_API_VERSION=3
#                         OS_USERNAME OS_PASSWORD OS_PROJECT_NAME
#                         OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME
#                         OS_REGION_NAME (RegionOne) OS_INTERFACE (public)
#                         KS_APPCRED_ID KS_APPCRED_SECRET (an application
#                           credential of that user)
#                         KS_URL (Keystone's base URL) KS_PROJECT_ID
#                         KS_USER_ID KS_STORAGE_URL (the project's Swift
#                           account URL) KS_HOME
#                       and SWIFT_HOME SWIFT_URL; unsets ST_AUTH ST_USER
#                       ST_KEY (no tempauth in this proxy).  The user has
#                       the member role on its project.
#   keystone_token      prints a project-scoped token of that user (for
#                       OS_AUTH_TOKEN + OS_STORAGE_URL tests)
#   keystone_stop       stop Keystone (swift_stop stops the Swift)
#   keystone_stop_all   stop every Keystone this shell started
#                       (common_teardown calls it)
# Keystone's log: $KS_HOME/log/keystone.log.

keystone_start() {
	local home port pw
	home=$(mktemp -d "$(scratch)/keystone.XXXXXX")
	mkdir -p "$home/log"
	echo "$home" >>"$(scratch)/keystone-instances"
	pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	(umask 077 && echo "$pw" >"$home/admin.pw")
	# The in-process cache: without it each token validation runs
	# hundreds of sqlite queries (seconds per request on a loaded box).
	cat >"$home/keystone.conf" <<-CONF
	[DEFAULT]
	use_stderr = true
	[database]
	connection = sqlite:///$home/keystone.db
	[token]
	provider = fernet
	expiration = 7200
	[fernet_tokens]
	key_repository = $home/fernet-keys
	[fernet_receipts]
	key_repository = $home/fernet-keys
	[credential]
	key_repository = $home/credential-keys
	[identity]
	password_hash_rounds = 4
	[cache]
	enabled = true
	backend = dogpile.cache.memory
	CONF
	swift_spawn "$home" keystone "$SWIFT_PY" "$SWIFT_LIB/keystone-run.py" "$home"
	for _ in $(seq 1 2400); do
		[ -s "$home/port" ] && break
		keystone_alive "$home" || break
		sleep 0.05
	done
	port=$(cat "$home/port" 2>/dev/null) || {
		tail -n 30 "$home/log/keystone.log" >&2
		fail "keystone_start: Keystone did not start"
	}
	# Swift starts while Keystone migrates its database.
	swift_start \
		"[pipeline:main]
		pipeline = catch_errors gatekeeper healthcheck proxy-logging cache bulk authtoken keystoneauth slo dlo proxy-logging proxy-server" \
		"[filter:authtoken]
		paste.filter_factory = keystonemiddleware.auth_token:filter_factory
		www_authenticate_uri = http://127.0.0.1:$port/v3
		auth_url = http://127.0.0.1:$port
		auth_type = password
		project_domain_id = default
		user_domain_id = default
		project_name = admin
		username = admin
		password = $pw
		interface = public
		region_name = RegionOne
		delay_auth_decision = true
		service_token_roles_required = false" \
		"[filter:keystoneauth]
		use = egg:swift#keystoneauth
		operator_roles = admin,member"
	echo "$SWIFT_URL" >"$home/swift.url"
	for _ in $(seq 1 6000); do
		[ -e "$home/ready" ] && break
		keystone_alive "$home" || break
		sleep 0.05
	done
	[ -e "$home/ready" ] || {
		tail -n 30 "$home/log/keystone.log" >&2
		fail "keystone_start: Keystone did not get ready"
	}
	# shellcheck disable=SC1091
	source "$home/env"
	export KS_HOME=$home
	unset ST_AUTH ST_USER ST_KEY
}

keystone_alive() {
	local pid
	pid=$(awk '$2 == "keystone" { print $1 }' "$1/pids" 2>/dev/null)
	[ -n "$pid" ] && pid_alive "$pid"
}

keystone_token() {
	curl -sf -D - -o /dev/null -H 'Content-Type: application/json' \
		-d @- "$KS_URL/v3/auth/tokens" <<-JSON | sed -n 's/^X-Subject-Token: *//Ip' | tr -d '\r'
	{"auth": {"identity": {"methods": ["password"], "password": {"user":
	{"name": "$OS_USERNAME", "domain": {"name": "$OS_USER_DOMAIN_NAME"},
	"password": "$OS_PASSWORD"}}}, "scope": {"project": {"name":
	"$OS_PROJECT_NAME", "domain": {"name": "$OS_PROJECT_DOMAIN_NAME"}}}}}
	JSON
}

keystone_stop_dir() {
	local pid
	pid=$(awk '$2 == "keystone" { print $1 }' "$1/pids" 2>/dev/null)
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	for _ in $(seq 1 400); do
		pid_alive "$pid" || break
		sleep 0.025
	done
	rm -f "$1/pids"
}

keystone_stop() { [ -n "${KS_HOME:-}" ] && keystone_stop_dir "$KS_HOME"; }

keystone_stop_all() { stop_instances keystone keystone_stop_dir; }
