# Shared by the suites of contrib/redis-backup and redis-restore
# (`source` after test_helper): the config for a test, and its refusals.

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

# env_refused LINE MESSAGE CMD...: with LINE added to ENVF, CMD exits 1
# and says exactly MESSAGE on stderr.
env_refused() {
	local line=$1 msg=$2
	shift 2
	echo "$line" >>"$ENVF"
	run -1 --separate-stderr "$@"
	assert_equal "$stderr" "$msg"
}
