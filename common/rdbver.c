#include <stdio.h>
#include <string.h>

#include "rdbver.h"
#include "redis.h"

static void
release(const struct rdb_server *s, int *maj, int *min)
{
	*maj = *min = 0;
	sscanf(s->version, "%d.%d", maj, min);
}

int
rdbver_from_info(const char *info, struct rdb_server *s)
{
	char name[32];

	memset(s, 0, sizeof(*s));
	if (redis_info_field(info, "valkey_version", s->version,
	    sizeof(s->version)) == 0) {
		s->valkey = 1;
		return 0;
	}
	/* Valkey 7.2 and 8.0 name themselves, but keep Redis's field. */
	if (redis_info_field(info, "server_name", name, sizeof(name)) == 0 &&
	    strcmp(name, "valkey") == 0)
		s->valkey = 1;
	return redis_info_field(info, "redis_version", s->version,
	    sizeof(s->version));
}

int
rdbver_from_version_line(const char *line, struct rdb_server *s)
{
	const char *v;

	memset(s, 0, sizeof(*s));
	if ((v = strstr(line, "v=")) == NULL)
		return -1;
	s->valkey = strncmp(line, "Valkey", 6) == 0;
	v += 2;
	snprintf(s->version, sizeof(s->version), "%.*s",
	    (int)strcspn(v, " \r\n"), v);
	return s->version[0] != '\0' ? 0 : -1;
}

int
rdbver_redis_max(const struct rdb_server *s)
{
	int maj, min;

	release(s, &maj, &min);
	if (s->valkey)	/* a fork of 7.2: RDB 11, whatever its release */
		return maj >= 10 ? 0 : 11;
	if (maj > 8)
		return 0;
	if (maj == 8 && min >= 6)
		return 13;
	if (maj == 8 || (maj == 7 && min >= 4))
		return 12;
	if (maj == 7 && min >= 2)
		return 11;
	if (maj == 7)
		return 10;
	if (maj >= 5)
		return 9;
	if (maj == 4)
		return 8;
	if (maj == 3 && min >= 2)
		return 7;
	return 6;
}

int
rdbver_valkey_max(const struct rdb_server *s)
{
	int maj, min;

	release(s, &maj, &min);
	if (!s->valkey || maj < 9)
		return 0;
	return maj == 9 ? 80 : 0x7fff;	/* later ones: not refused */
}

int
rdbver_check(const struct rdb_server *s, int version, int valkey,
    char *errstr)
{
	const char *name = s->valkey ? "Valkey" : "Redis";
	int max;

	if (valkey) {
		max = rdbver_valkey_max(s);
		if (max == 0)
			return errstr_set(errstr, "Valkey RDB version %d cannot "
			    "be loaded by %s %s (only Valkey 9.0 and later "
			    "load Valkey's own formats)", version, name,
			    s->version);
		if (version > max)
			return errstr_set(errstr, "Valkey RDB version %d is "
			    "newer than %s %s loads (%d)", version, name,
			    s->version, max);
		return 0;
	}
	max = rdbver_redis_max(s);
	if (max != 0 && version > max)
		return errstr_set(errstr, "RDB version %d is newer than %s %s "
		    "loads (%d)%s", version, name, s->version, max,
		    s->valkey && version == 12 ? ": Redis 7.4's format, "
		    "which Valkey does not load" : "");
	return 0;
}
