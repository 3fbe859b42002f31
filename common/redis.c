#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "errstr.h"
#include "io.h"
#include "redis.h"

const char *
redis_name(const struct redis_conn *o)
{
	static char name[300];

	if (o->sock != NULL)
		snprintf(name, sizeof(name), "%s", o->sock);
	else
		snprintf(name, sizeof(name), "%s:%d",
		    o->host != NULL ? o->host : REDIS_DEFAULT_HOST,
		    o->port != 0 ? o->port : REDIS_DEFAULT_PORT);
	return name;
}

/* The reason hiredis gives for a failed context; a socket timeout shows
 * as EAGAIN there, which reads better as what it is. */
static const char *
ctx_reason(const redisContext *c)
{
	if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
		return "timed out";
	if (c->err == REDIS_ERR_EOF)
		return "the server closed the connection";
	return c->errstr;
}

/* What a command is called in messages: the name and up to two arguments,
 * AUTH's never. */
static void
cmd_what(char *buf, size_t len, int argc, const char **argv)
{
	int i, n;

	n = snprintf(buf, len, "%s", argv[0]);
	if (strcasecmp(argv[0], "AUTH") == 0)
		return;
	for (i = 1; i < argc && i < 3 && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, " %s", argv[i]);
}

redisReply *
redis_cmd(redisContext *c, char *errstr, int argc, const char **argv)
{
	char what[96];

	cmd_what(what, sizeof(what), argc, argv);
	return redis_cmd_as(c, what, errstr, argc, argv);
}

redisReply *
redis_cmd_as(redisContext *c, const char *what, char *errstr, int argc,
    const char **argv)
{
	redisReply *r;

	r = redisCommandArgv(c, argc, argv, NULL);
	if (r == NULL) {
		errstr_set(errstr, "%s: %s", what, ctx_reason(c));
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		errstr_set(errstr, "%s: %s", what, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static int
redis_auth(redisContext *c, const struct redis_conn *o, int *down,
    char *errstr)
{
	const char *argv[3];
	size_t lens[3];
	redisReply *r = NULL;
	char what[320] = "AUTH", *cmd = NULL;
	int argc = 0, n, saved;

	argv[argc] = "AUTH";
	lens[argc++] = 4;
	if (o->user != NULL) {
		argv[argc] = o->user;
		lens[argc++] = strlen(o->user);
	}
	argv[argc] = o->pass;
	lens[argc++] = o->pass_len;
	if (o->named)
		snprintf(what, sizeof(what), "AUTH on %s", redis_name(o));
	/* The command is written here, not through hiredis's output buffer,
	 * which would free the password without wiping it. */
	if ((n = redisFormatCommandArgv(&cmd, argc, argv, lens)) < 0)
		return errstr_set(errstr, "%s: out of memory", what);
	saved = io_writeall(c->fd, cmd, (size_t)n) < 0 ? errno : 0;
	explicit_bzero(cmd, (size_t)n);
	redisFreeCommand(cmd);
	if (saved != 0) {
		if (down != NULL)
			*down = saved == EPIPE || saved == ECONNRESET;
		return errstr_set(errstr, "%s: %s", what, saved == EAGAIN ||
		    saved == EWOULDBLOCK ? "timed out" : strerror(saved));
	}
	if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
		/* A server going down may close the connection here. */
		if (down != NULL)
			*down = c->err == REDIS_ERR_EOF;
		return errstr_set(errstr, "%s: %s", what, ctx_reason(c));
	}
	if (r->type == REDIS_REPLY_ERROR) {
		errstr_set(errstr, "%s: %s", what, r->str);
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

redisContext *
redis_connect(const struct redis_conn *o, int *down, char *errstr)
{
	struct timeval tv = { o->timeout_ms / 1000, o->timeout_ms % 1000 * 1000 };
	const char *host = o->host != NULL ? o->host : REDIS_DEFAULT_HOST;
	int port = o->port != 0 ? o->port : REDIS_DEFAULT_PORT;
	redisContext *c;
	int saved;

	if (down != NULL)
		*down = 0;
	errno = 0;
	if (o->sock != NULL)
		c = o->timeout_ms > 0 ? redisConnectUnixWithTimeout(o->sock, tv) :
		    redisConnectUnix(o->sock);
	else
		c = o->timeout_ms > 0 ? redisConnectWithTimeout(host, port, tv) :
		    redisConnect(host, port);
	saved = errno;
	if (c == NULL) {
		errstr_set(errstr, "connect %s: out of memory", redis_name(o));
		return NULL;
	}
	if (c->err) {
		if (down != NULL)
			*down = saved == ECONNREFUSED || saved == ENOENT ||
			    strstr(c->errstr, strerror(ECONNREFUSED)) != NULL ||
			    strstr(c->errstr, strerror(ENOENT)) != NULL;
		errstr_set(errstr, "connect %s: %s", redis_name(o), c->errstr);
		redisFree(c);
		return NULL;
	}
	/* The same limit on every read and write after the connect. */
	if (o->timeout_ms > 0 && redisSetTimeout(c, tv) != REDIS_OK) {
		errstr_set(errstr, "connect %s: %s", redis_name(o), c->errstr);
		redisFree(c);
		return NULL;
	}
	if (o->pass != NULL && redis_auth(c, o, down, errstr) < 0) {
		redisFree(c);
		return NULL;
	}
	return c;
}

int
redis_info_field(const char *info, const char *field, char *out, size_t len)
{
	size_t flen = strlen(field), vlen;
	const char *p = info, *v;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
			v = p + flen + 1;
			vlen = strcspn(v, "\r\n");
			if (vlen >= len)
				return -1;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

int
redis_info_u64(const char *info, const char *field, uint64_t *v)
{
	char buf[32], *end;

	if (redis_info_field(info, field, buf, sizeof(buf)) < 0 ||
	    buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

char *
redis_info(redisContext *c, const char *section, char *errstr)
{
	return redis_info_as(c, section, NULL, errstr);
}

char *
redis_info_as(redisContext *c, const char *section, const char *what,
    char *errstr)
{
	const char *argv[2] = { "INFO", section };
	redisReply *r;
	char buf[96], *text;

	if (what == NULL) {
		snprintf(buf, sizeof(buf), "INFO %s", section);
		what = buf;
	}
	r = redis_cmd_as(c, what, errstr, 2, argv);
	if (r == NULL)
		return NULL;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		freeReplyObject(r);
		errstr_set(errstr, "%s: unexpected reply", what);
		return NULL;
	}
	text = strdup(r->str);
	freeReplyObject(r);
	if (text == NULL)
		errstr_sys(errstr, "%s", what);
	return text;
}

int
redis_config_get(redisContext *c, const char *name, char *out, size_t len,
    char *errstr)
{
	const char *argv[3] = { "CONFIG", "GET", name };
	redisReply *r;
	int rc = 0;

	r = redis_cmd(c, errstr, 3, argv);
	if (r == NULL)
		return -1;
	/* RESP2 answers with a flat [name, value] array. */
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		rc = errstr_set(errstr, "CONFIG GET %s: no such parameter", name);
	else if (r->element[1]->len >= len)
		rc = errstr_set(errstr, "CONFIG GET %s: value too long", name);
	else
		memcpy(out, r->element[1]->str, r->element[1]->len + 1);
	freeReplyObject(r);
	return rc;
}
