/*
 * A connection to a Redis server, made the way redis-cli makes it (host and
 * port or a unix socket, TLS, an ACL user, the password from REDISCLI_AUTH
 * or a file, never argv); commands that turn error replies into "what:
 * why" texts; INFO fields and CONFIG GET.  Debian's hiredis 0.14 has no
 * TLS, so the socket (plain or through common/tls) is ours and hiredis
 * serves as the protocol: its formatter for commands, its reader for
 * replies.
 */
#ifndef RDBPIPE_REDIS_H
#define RDBPIPE_REDIS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

#include "errstr.h"

struct tls_ctx;

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
	struct tls_ctx	*tls;		/* TLS over TCP; NULL: plain */
};

/* A connection (opaque): its socket, the TLS session on it, the reader
 * holding what came in past the last reply. */
struct redis_ctx;

/* The server's name for messages ("SOCKET", "HOST:PORT" or, for an IPv6
 * address, "[HOST]:PORT") in a static buffer. */
const char *redis_name(const struct redis_conn *o);

/* Connects and, with a password, sends AUTH; returns the context or NULL
 * ("connect NAME: why", "AUTH: why").  down, when not NULL, is set to 1
 * when the server is simply not there (connection refused, no socket, or
 * closed during AUTH as a server going down does), else 0. */
struct redis_ctx *redis_connect(const struct redis_conn *o, int *down,
    char *errstr);

/* Closes the connection and frees c (NULL is fine). */
void redis_free(struct redis_ctx *c);

/* Queues one command (argv style, NUL-terminated arguments); returns 0,
 * or -1 with the reason in redis_errstr(c). */
int redis_append(struct redis_ctx *c, int argc, const char **argv);

/* Queues bytes already in the protocol (a replica's REPLCONF ACK);
 * returns 0 or -1 (redis_errstr). */
int redis_append_raw(struct redis_ctx *c, const void *buf, size_t len);

/* Writes out what is queued; returns 0 or -1 (redis_errstr). */
int redis_flush(struct redis_ctx *c);

/* Writes out what is queued, then reads the next reply into *r (an error
 * reply too: check its type); returns 0, or -1 with the reason
 * ("timed out", "the server closed the connection") in redis_errstr(c). */
int redis_get_reply(struct redis_ctx *c, redisReply **r);

/* Raw bytes from the connection, for a transfer the reply reader cannot
 * stream (SYNC's RDB): first what the reader holds past its last reply,
 * then the socket, through TLS when it is on.  Returns the count, 0 at
 * the server's close, or -1 with the reason in errstr. */
ssize_t redis_read(struct redis_ctx *c, void *buf, size_t len, char *errstr);

/* Waits up to ms for bytes to read (held by the reader or the TLS
 * session, or on the socket, its close included); returns 1 when
 * redis_read will not block, 0 after ms, -1 with errno set. */
int redis_readable(struct redis_ctx *c, long ms);

/* The reason for the last failure on c. */
const char *redis_errstr(const struct redis_ctx *c);

/* 1 once the connection itself has failed (I/O, close, protocol), 0 while
 * only replies have been errors. */
int redis_broken(const struct redis_ctx *c);

/* For -v: what the TLS session is ("TLSv1.3 (CIPHER), certificate
 * verified for NAME"); returns 0, or -1 on a plain connection. */
int redis_tls_describe(const struct redis_ctx *c, char *out, size_t len);

/* Sends one command and reads its reply; returns the reply (freed by the
 * caller with freeReplyObject) or NULL with "ARGV0 [ARGV1]: why", the
 * server's own text for an error reply.  Error replies count as failure. */
redisReply *redis_cmd(struct redis_ctx *c, char *errstr, int argc,
    const char **argv);

/* As redis_cmd, with WHAT naming the command in messages ("WHAT: why"). */
redisReply *redis_cmd_as(struct redis_ctx *c, const char *what, char *errstr,
    int argc, const char **argv);

/* Copies the value of FIELD from an INFO text into out; returns 0, or -1
 * when the field is absent or its value does not fit. */
int redis_info_field(const char *info, const char *field, char *out,
    size_t len);

/* The value of FIELD as an unsigned number; returns 0 or -1. */
int redis_info_u64(const char *info, const char *field, uint64_t *v);

/* Runs INFO SECTION and returns its text (free()d by the caller), or NULL. */
char *redis_info(struct redis_ctx *c, const char *section, char *errstr);

/* As redis_info, with WHAT (NULL: "INFO SECTION") naming it in messages. */
char *redis_info_as(struct redis_ctx *c, const char *section, const char *what,
    char *errstr);

/* CONFIG GET NAME into out; returns 0, or -1 with the server's reason (a
 * renamed or denied CONFIG) or "CONFIG GET NAME: no such parameter". */
int redis_config_get(struct redis_ctx *c, const char *name, char *out,
    size_t len, char *errstr);

#endif
