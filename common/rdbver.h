/*
 * Which server loads which RDB file.  Redis numbers its formats 1 to 12
 * (and 13 from 8.6); Valkey loads Redis's up to 11 (7.2's) and, from 9.0,
 * writes its own from 80 on under a "VALKEY" header.  Redis's 12 is not
 * Valkey's: Valkey gave value type 22 a layout of its own.  rdb-install
 * asks this before it stops anything.
 */
#ifndef RDBPIPE_RDBVER_H
#define RDBPIPE_RDBVER_H

#include "errstr.h"

struct rdb_server {
	int		 valkey;	/* Valkey, not Redis */
	char		 version[32];	/* its own release: 7.0.15, 9.0.0 */
};

/* From INFO server: Valkey says server_name:valkey and valkey_version
 * (its redis_version stays 7.2.4); returns 0, or -1 when INFO names no
 * version at all. */
int rdbver_from_info(const char *info, struct rdb_server *s);

/* From the first line of `redis-server --version` ("Redis server
 * v=7.0.15 ...", "Valkey server v=9.0.0 ..."); returns 0 or -1. */
int rdbver_from_version_line(const char *line, struct rdb_server *s);

/* The newest Redis-numbered format it loads; 0 when its release is newer
 * than this map knows (then nothing is refused for newness). */
int rdbver_redis_max(const struct rdb_server *s);

/* The newest Valkey-numbered format (80 and up) it loads, 0 for none. */
int rdbver_valkey_max(const struct rdb_server *s);

/* Returns 0 when it loads a file of that version (valkey: a VALKEY
 * header), else -1 with errstr naming both versions. */
int rdbver_check(const struct rdb_server *s, int version, int valkey,
    char *errstr);

#endif
