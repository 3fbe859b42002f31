/* common/rdbver: which server loads which RDB version, and telling Redis
 * from Valkey by INFO and by --version. */
#include "rdbver.h"
#include "tap.h"

static int
loads(int valkey, const char *rel, int version, int vfile)
{
	struct rdb_server s = { 0 };
	char e[ERRSTR_LEN];

	s.valkey = valkey;
	snprintf(s.version, sizeof(s.version), "%s", rel);
	return rdbver_check(&s, version, vfile, e) == 0;
}

int
main(void)
{
	static const struct {
		int		 valkey;
		const char	*rel;
		int		 max;
	} map[] = {
		{ 0, "6.0.20", 9 }, { 0, "6.2.14", 9 }, { 0, "7.0.15", 10 },
		{ 0, "7.2.4", 11 }, { 0, "7.4.1", 12 }, { 0, "8.0.2", 12 },
		{ 0, "8.2.1", 12 }, { 0, "8.6.0", 13 }, { 0, "9.0.0", 0 },
		{ 1, "7.2.5", 11 }, { 1, "8.0.1", 11 }, { 1, "8.1.0", 11 },
		{ 1, "9.0.0", 11 }, { 1, "9.2.0", 11 },
	};
	struct rdb_server s;
	char e[ERRSTR_LEN];
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.valkey = map[i].valkey;
		snprintf(s.version, sizeof(s.version), "%s", map[i].rel);
		ok(rdbver_redis_max(&s) == map[i].max, "%s %s loads Redis "
		    "RDB up to %d", s.valkey ? "Valkey" : "Redis", s.version,
		    rdbver_redis_max(&s));
	}
	ok(!loads(0, "7.0.15", 12, 0) && loads(0, "7.0.15", 10, 0) &&
	    loads(0, "7.0.15", 9, 0), "Redis 7.0 loads 10 and older, not 12");
	ok(!loads(0, "8.0.2", 80, 1) && !loads(1, "8.1.0", 80, 1) &&
	    loads(1, "9.0.0", 80, 1) && !loads(1, "9.0.0", 81, 1),
	    "VALKEY080 loads in Valkey 9 only, not in Redis");
	ok(!loads(1, "9.0.0", 12, 0) && loads(1, "9.0.0", 11, 0),
	    "Valkey does not load Redis 7.4's RDB 12");
	ok(loads(0, "9.1.0", 14, 0), "a Redis newer than the map is not refused");

	memset(&s, 0, sizeof(s));
	snprintf(s.version, sizeof(s.version), "7.0.15");
	ok(rdbver_check(&s, 12, 0, e) < 0 &&
	    strcmp(e, "RDB version 12 is newer than Redis 7.0.15 loads (10)") == 0,
	    "refusal names both: %s", e);
	s.valkey = 1;
	snprintf(s.version, sizeof(s.version), "8.0.1");
	ok(rdbver_check(&s, 80, 1, e) < 0 &&
	    strcmp(e, "Valkey RDB version 80 cannot be loaded by Valkey 8.0.1 "
	    "(only Valkey 9.0 and later load Valkey's own formats)") == 0,
	    "Valkey 8 and a VALKEY080 file: %s", e);
	ok(rdbver_check(&s, 12, 0, e) < 0 &&
	    strcmp(e, "RDB version 12 is newer than Valkey 8.0.1 loads (11): "
	    "Redis 7.4's format, which Valkey does not load") == 0,
	    "Valkey and Redis's 12: %s", e);

	ok(rdbver_from_info("# Server\r\nredis_version:7.0.15\r\n"
	    "redis_mode:standalone\r\n", &s) == 0 && !s.valkey &&
	    strcmp(s.version, "7.0.15") == 0, "INFO of Redis 7.0");
	ok(rdbver_from_info("# Server\r\nredis_version:7.2.4\r\n"
	    "server_name:valkey\r\nvalkey_version:9.0.0\r\n", &s) == 0 &&
	    s.valkey && strcmp(s.version, "9.0.0") == 0,
	    "INFO of Valkey 9: its own version, not 7.2.4");
	ok(rdbver_from_info("# Server\r\nredis_version:7.2.5\r\n"
	    "server_name:valkey\r\n", &s) == 0 && s.valkey &&
	    strcmp(s.version, "7.2.5") == 0, "INFO of Valkey 7.2");
	ok(rdbver_from_info("# Server\r\nuptime:3\r\n", &s) < 0,
	    "INFO without a version");
	ok(rdbver_from_version_line("Redis server v=7.0.15 sha=00000000:0 "
	    "malloc=jemalloc-5.3.0 bits=64 build=1\n", &s) == 0 && !s.valkey &&
	    strcmp(s.version, "7.0.15") == 0, "redis-server --version");
	ok(rdbver_from_version_line("Valkey server v=9.0.0 sha=00000000:0 "
	    "malloc=jemalloc-5.3.0 bits=64 build=1\n", &s) == 0 && s.valkey &&
	    strcmp(s.version, "9.0.0") == 0, "valkey-server --version");
	ok(rdbver_from_version_line("redis-server: command not found", &s) < 0,
	    "no version in the line");
	return tap_done();
}
