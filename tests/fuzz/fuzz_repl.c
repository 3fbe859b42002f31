/*
 * libFuzzer target: the replica side of the replication protocol
 * (common/repl), which aof-archive feeds with whatever the master, or
 * anything posing as one, sends: the PSYNC reply, the base RDB in both
 * transfer forms, then the command stream.  The first byte picks the
 * PSYNC asked for (a full resync, or a resume), the second the size of
 * the reads; a command handed on must be whole RESP within the bytes fed,
 * and the offsets must only grow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "repl.h"

static uint64_t last_end;

static int
on_full(void *arg, const char *replid, uint64_t offset, char *errstr)
{
	(void)arg, (void)errstr;
	if (strlen(replid) != ARCHIVE_REPLID_LEN)
		abort();
	last_end = offset;
	return 0;
}

static int
on_resumed(void *arg, const char *replid, char *errstr)
{
	(void)arg, (void)errstr;
	if (strlen(replid) != ARCHIVE_REPLID_LEN)
		abort();
	return 0;
}

static int
on_rdb(void *arg, const void *buf, size_t len, char *errstr)
{
	(void)arg, (void)buf, (void)len, (void)errstr;
	return 0;
}

static int
on_rdb_end(void *arg, const struct snap_result *r, char *errstr)
{
	(void)arg, (void)r, (void)errstr;
	return 0;
}

static int
on_command(void *arg, const void *buf, size_t len, uint64_t end, int keep,
    char *errstr)
{
	(void)arg, (void)keep, (void)errstr;
	if (len == 0 || ((const char *)buf)[0] != '*' || end <= last_end)
		abort();
	last_end = end;
	return 0;
}

static int
on_send(void *arg, const void *buf, size_t len, char *errstr)
{
	(void)arg, (void)buf, (void)len, (void)errstr;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct repl_cb cb = { on_full, on_resumed, on_rdb,
	    on_rdb_end, on_command, on_send, NULL };
	char e[ERRSTR_LEN];
	struct repl r;
	size_t step, i, n;

	if (size < 2)
		return 0;
	last_end = 1000;
	repl_init(&r, &cb, data[0] & 1 ?
	    "0123456789abcdef0123456789abcdef01234567" : NULL, 1000);
	step = (size_t)data[1] + 1;
	for (i = 2; i < size; i += n) {
		n = size - i < step ? size - i : step;
		if (repl_feed(&r, data + i, n, e) < 0)
			break;
		(void)repl_ack(&r, e);
	}
	repl_free(&r);
	return 0;
}
