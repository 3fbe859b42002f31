/*
 * A connection to a Redis server, made the way redis-cli makes it (host and
 * port or a unix socket, an ACL user, the password from REDISCLI_AUTH or a
 * file, never argv), on Debian's hiredis 0.14; commands that turn error
 * replies into "what: why" texts; INFO fields and CONFIG GET.
 */
#ifndef RDBPIPE_REDIS_H
#define RDBPIPE_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "errstr.h"

#define REDIS_DEFAULT_HOST	"127.0.0.1"
#define REDIS_DEFAULT_PORT	6379

struct redis_conn {
	const char	*host;		/* NULL: 127.0.0.1 */
	int		 port;		/* 0: 6379 */
	const char	*sock;		/* a unix socket; wins over host */
	const char	*user;		/* an ACL user; NULL: "default" */
	const char	*pass;		/* NULL: no AUTH */
	size_t		 pass_len;
	long		 timeout_ms;	/* connect and I/O; 0: none */
	int		 named;		/* "AUTH on NAME: why" */
};

/* The server's name for messages ("SOCKET" or "HOST:PORT") in a static
 * buffer. */
const char *redis_name(const struct redis_conn *o);

/* Connects and, with a password, sends AUTH; returns the context or NULL
 * ("connect NAME: why", "AUTH: why").  down, when not NULL, is set to 1
 * when the server is simply not there (connection refused, no socket, or
 * closed during AUTH as a server going down does), else 0. */
redisContext *redis_connect(const struct redis_conn *o, int *down,
    char *errstr);

/* Sends one command and reads its reply; returns the reply (freed by the
 * caller with freeReplyObject) or NULL with "ARGV0 [ARGV1]: why", the
 * server's own text for an error reply.  Error replies count as failure. */
redisReply *redis_cmd(redisContext *c, char *errstr, int argc,
    const char **argv);

/* As redis_cmd, with WHAT naming the command in messages ("WHAT: why"). */
redisReply *redis_cmd_as(redisContext *c, const char *what, char *errstr,
    int argc, const char **argv);

/* Copies the value of FIELD from an INFO text into out; returns 0, or -1
 * when the field is absent or its value does not fit. */
int redis_info_field(const char *info, const char *field, char *out,
    size_t len);

/* The value of FIELD as an unsigned number; returns 0 or -1. */
int redis_info_u64(const char *info, const char *field, uint64_t *v);

/* Runs INFO SECTION and returns its text (free()d by the caller), or NULL. */
char *redis_info(redisContext *c, const char *section, char *errstr);

/* As redis_info, with WHAT (NULL: "INFO SECTION") naming it in messages. */
char *redis_info_as(redisContext *c, const char *section, const char *what,
    char *errstr);

/* CONFIG GET NAME into out; returns 0, or -1 with the server's reason (a
 * renamed or denied CONFIG) or "CONFIG GET NAME: no such parameter". */
int redis_config_get(redisContext *c, const char *name, char *out,
    size_t len, char *errstr);

#endif
