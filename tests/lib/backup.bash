# Shared by the suites of contrib/redis-backup (`source` after
# test_helper): its config for a test.

# backup_env SOCKET PREFIX [LINE]...: an age identity in $SCRATCH/key.txt,
# its recipient in $SCRATCH/recipients.txt, and ENVF, redis-backup's
# config (mode 600) for the server at SOCKET storing under PREFIX, with
# the lines given after the common ones.
backup_env() {
	local sock=$1 prefix=$2
	shift 2
	rdb-pack --keygen -o "$SCRATCH/key.txt" 2>/dev/null
	rdb-pack -y <"$SCRATCH/key.txt" >"$SCRATCH/recipients.txt"
	ENVF=$SCRATCH/redis-backup
	{
		echo "REDIS_SOCKET=$sock"
		echo "REDIS_BACKUP_PREFIX=$prefix"
		echo "REDIS_BACKUP_RECIPIENTS_FILE=$SCRATCH/recipients.txt"
		echo "REDIS_BACKUP_LOCK=$SCRATCH/backup.lock"
		printf '%s\n' "$@"
	} >"$ENVF"
	chmod 600 "$ENVF"
}
