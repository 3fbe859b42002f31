#!/usr/bin/env bash
# make demo: the main job end to end, on throwaway servers.
#
# Starts a Redis (AOF on) and a one-node OpenStack Swift on loopback, fills
# sample data, makes an age identity, backs up with
#   rdb-snap | rdb-pack | swift-put
# lists the container, wipes Redis, restores with
#   swift-get | rdb-pack -d | rdb-install
# shows the data came back, opens the same backup with the stock age and zstd,
# and stops everything it started.  Exit 0 only if the data came back.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
RDBPIPE_TOP=$top
RDBPIPE_BIN=${RDBPIPE_BIN:-$top/build/std/bin}
export RDBPIPE_TOP RDBPIPE_BIN PATH=$RDBPIPE_BIN:$PATH

# The bats helpers, outside bats.
fail() { echo "demo: $*" >&2; exit 1; }
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/rp-demo.XXXXXX")
scratch() { echo "$SCRATCH"; }
# shellcheck source=tests/lib/redis.bash
. "$top/tests/lib/redis.bash"
# Redis runs as the redis user over its own data dir, as Debian runs it,
# when there is one and we are root: the setting rdb-install is built for.
if [ "$(id -u)" = 0 ] && id redis >/dev/null 2>&1; then
	REDIS_USER=redis
fi
# rdb-install's journal goes to a state dir of the demo's own.
export RDB_INSTALL_STATE_DIR=$SCRATCH/state

# shellcheck source=tests/lib/swift.bash
. "$top/tests/lib/swift.bash"

cleanup() {
	redis_stop_all
	swift_stop_all >/dev/null 2>&1 || true
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }

step "Starting a throwaway Redis (appendonly yes) and OpenStack Swift on loopback"
redis_start demo "appendonly yes" "appenddirname appendonlydir"
swift_start >/dev/null
echo "redis: $RSOCK"
echo "swift: $ST_AUTH (tempauth $ST_USER)"

step "Filling sample data"
redis_populate demo 2000
rcli demo HSET user:1001 name "Ada Lovelace" email ada@example.com >/dev/null
rcli demo SET greeting "hello from before the backup" >/dev/null
keys_before=$(rcli demo DBSIZE)
digest_before=$(redis_digest demo)
echo "keys in db0: $keys_before, DEBUG DIGEST $digest_before"

step "Making an age identity (keep it off the Redis host in real life)"
show "rdb-pack --keygen -o key.txt"
rdb-pack --keygen -o "$SCRATCH/key.txt"
R=$(rdb-pack -y <"$SCRATCH/key.txt")

object=demo/$(hostname -s)/$(date -u +%Y-%m-%dT%H%M%SZ).rdb.zst.age
step "Backing up"
show "rdb-snap -s $RSOCK | rdb-pack -r $R | swift-put --delete-after 30d $object"
rdb-snap -v --progress -s "$RSOCK" | rdb-pack -v -r "$R" |
	swift-put -v --progress --delete-after 30d "$object"

step "Listing the container"
show "swift-ls -l demo/"
swift-ls -l demo/

step "Wiping Redis"
rcli demo FLUSHALL >/dev/null
echo "keys in db0 now: $(rcli demo DBSIZE)"

step "Restoring"
show "swift-get $object | rdb-pack -d -i key.txt | rdb-install -c $RCONF"
swift-get --progress "$object" | rdb-pack -d -i "$SCRATCH/key.txt" |
	rdb-install -c "$RCONF"

step "Checking the data is back"
keys_after=$(rcli demo DBSIZE)
digest_after=$(redis_digest demo)
echo "keys in db0: $keys_after (before: $keys_before)"
echo "DEBUG DIGEST: $digest_after (before: $digest_before)"
echo "user:1001 -> $(rcli demo HGET user:1001 name)"
echo "greeting  -> $(rcli demo GET greeting)"
echo "appendonly: $(rcli demo CONFIG GET appendonly | tail -n 1)"
[ "$keys_after" = "$keys_before" ] || fail "key counts differ"
[ "$digest_after" = "$digest_before" ] || fail "DEBUG DIGEST differs"

step "Opening the same backup with the stock tools: no rdbpipe needed"
show "swift download database_backups $object -o - | age -d -i key.txt | zstd -d > dump.rdb"
swift -q download database_backups "$object" -o - |
	age -d -i "$SCRATCH/key.txt" | zstd -q -d >"$SCRATCH/stock.rdb"
redis-check-rdb "$SCRATCH/stock.rdb" | tail -n 4

step "Done: the data came back"
