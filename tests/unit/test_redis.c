/* common/redis: INFO field parsing, on text as Redis 7.0 sends it; names;
 * a server that is not there. */
#include <string.h>

#include "redis.h"
#include "tap.h"

static const char info[] =
    "# Persistence\r\n"
    "loading:0\r\n"
    "rdb_changes_since_last_save:1\r\n"
    "rdb_bgsave_in_progress:0\r\n"
    "rdb_last_save_time:1795608058\r\n"
    "rdb_last_bgsave_status:ok\r\n"
    "rdb_saves:12\r\n"
    "rdb_saves_extra:x\r\n"
    "aof_rewrite_in_progress:1\r\n"
    "huge:99999999999999999999999\r\n"
    "neg:-1\r\n"
    "last:7";

int
main(void)
{
	struct redis_conn o;
	char buf[64], small[3], e[ERRSTR_LEN];
	int down;
	uint64_t v = 0;

	ok(redis_info_field(info, "rdb_last_bgsave_status", buf,
	    sizeof(buf)) == 0 && strcmp(buf, "ok") == 0, "a text field");
	ok(redis_info_u64(info, "rdb_saves", &v) == 0 && v == 12,
	    "a number, not confused with a longer name after it");
	ok(redis_info_u64(info, "aof_rewrite_in_progress", &v) == 0 && v == 1,
	    "a flag");
	ok(redis_info_u64(info, "loading", &v) == 0 && v == 0,
	    "the first line");
	ok(redis_info_u64(info, "last", &v) == 0 && v == 7,
	    "the last line without a line end");
	ok(redis_info_field(info, "rdb_save", buf, sizeof(buf)) < 0,
	    "a prefix of a name is not the name");
	ok(redis_info_field(info, "Persistence", buf, sizeof(buf)) < 0,
	    "the section header is not a field");
	ok(redis_info_field(info, "nope", buf, sizeof(buf)) < 0, "absent");
	ok(redis_info_field(info, "rdb_last_save_time", small,
	    sizeof(small)) < 0, "a value that does not fit");
	ok(redis_info_u64(info, "rdb_saves_extra", &v) < 0, "not a number");
	ok(redis_info_u64(info, "huge", &v) < 0, "a number out of range");
	ok(redis_info_u64(info, "neg", &v) < 0, "a negative number");
	ok(redis_info_u64("a:1\nb:2\n", "b", &v) == 0 && v == 2,
	    "bare newlines");

	memset(&o, 0, sizeof(o));
	ok(strcmp(redis_name(&o), "127.0.0.1:6379") == 0, "default name");
	o.host = "db2";
	o.port = 7000;
	ok(strcmp(redis_name(&o), "db2:7000") == 0, "host and port");
	o.sock = "/run/redis.sock";
	ok(strcmp(redis_name(&o), "/run/redis.sock") == 0, "a socket wins");

	o.sock = "/nonexistent/redis.sock";
	down = -1;
	ok(redis_connect(&o, &down, e) == NULL && down == 1 &&
	    strcmp(e, "connect /nonexistent/redis.sock: No such file or "
	    "directory") == 0, "a missing socket is down: %s", e);
	o.sock = NULL;
	o.host = "127.0.0.1";
	o.port = 1;
	o.timeout_ms = 2000;
	down = -1;
	ok(redis_connect(&o, &down, e) == NULL && down == 1 &&
	    strcmp(e, "connect 127.0.0.1:1: Connection refused") == 0,
	    "a refused connection is down: %s", e);
	ok(redis_connect(&o, NULL, e) == NULL, "down may be NULL");
	return tap_done();
}
