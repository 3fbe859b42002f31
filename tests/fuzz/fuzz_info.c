/*
 * libFuzzer target: INFO parsing (common/redis), which reads replies from
 * a server the backup does not control.  The input becomes a NUL-ended
 * INFO text; fields are looked up by the names the programs use, into
 * buffers of several sizes, and a value found must fit and hold no line
 * break.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "redis.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *fields[] = { "redis_version", "rdb_saves",
	    "rdb_bgsave_in_progress", "rdb_last_bgsave_status", "loading",
	    "aof_rewrite_in_progress", "executable", "db0", "used_memory",
	    "master_repl_offset", "server_name", "valkey_version" };
	char *info, out[32];
	uint64_t v;
	size_t i;

	if ((info = malloc(size + 1)) == NULL)
		return 0;
	memcpy(info, data, size);
	info[size] = '\0';
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (redis_info_field(info, fields[i], out, sizeof(out)) == 0 &&
		    (strlen(out) >= sizeof(out) || strpbrk(out, "\r\n")))
			abort();
		(void)redis_info_u64(info, fields[i], &v);
	}
	free(info);
	return 0;
}
