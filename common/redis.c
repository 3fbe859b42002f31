#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "errstr.h"
#include "redis.h"
#include "tls.h"

/* The handshake's own limit when the caller has none. */
#define TLS_HANDSHAKE_MS 10000

const char *
redis_name(const struct redis_conn *o)
{
	static char name[300];

	if (o->sock != NULL)
		snprintf(name, sizeof(name), "%s", o->sock);
	else if (o->host != NULL && strchr(o->host, ':') != NULL)
		snprintf(name, sizeof(name), "[%s]:%d", o->host,
		    o->port != 0 ? o->port : REDIS_DEFAULT_PORT);
	else
		snprintf(name, sizeof(name), "%s:%d",
		    o->host != NULL ? o->host : REDIS_DEFAULT_HOST,
		    o->port != 0 ? o->port : REDIS_DEFAULT_PORT);
	return name;
}

struct redis_ctx {
	int		 fd;
	struct tls_conn	*tls;
	redisReader	*reader;
	char		*obuf;		/* formatted commands not yet written */
	size_t		 olen;
	int		 err;		/* REDIS_ERR_IO, _EOF, ...; 0: none */
	int		 wrerrno;	/* errno of a failed write */
	char		 errstr[ERRSTR_LEN];
};

/* Marks c broken with a reason; returns -1. */
static int
fail(struct redis_ctx *c, int err, const char *why)
{
	c->err = err;
	snprintf(c->errstr, sizeof(c->errstr), "%s", why);
	return -1;
}

/* One read from the socket or the TLS session: the count, 0 at the
 * server's close, or -1 with the reason in e. */
/* One read into rbuf or, with wbuf, one send from it, on the connection
 * (EINTR retried); returns the count, or -1 with "timed out" (a socket
 * timeout shows as EAGAIN) or the reason. */
static ssize_t
conn_io(struct redis_ctx *c, void *rbuf, const void *wbuf, size_t len,
    char *e)
{
	ssize_t n;

	if (c->tls != NULL)
		return wbuf != NULL ? tls_write(c->tls, wbuf, len, e) :
		    tls_read(c->tls, rbuf, len, e);
	for (;;) {
		n = wbuf != NULL ? send(c->fd, wbuf, len, MSG_NOSIGNAL) :
		    read(c->fd, rbuf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return errstr_set(e, "timed out");
		return errstr_set(e, "%s", strerror(errno));
	}
}

int
redis_append_raw(struct redis_ctx *c, const void *buf, size_t len)
{
	char *nbuf;

	if ((nbuf = realloc(c->obuf, c->olen + len)) == NULL)
		return fail(c, REDIS_ERR_OOM, "out of memory");
	memcpy(nbuf + c->olen, buf, len);
	c->obuf = nbuf;
	c->olen += len;
	return 0;
}

int
redis_append(struct redis_ctx *c, int argc, const char **argv)
{
	char *cmd;
	int len, rc;

	if ((len = redisFormatCommandArgv(&cmd, argc, argv, NULL)) < 0)
		return fail(c, REDIS_ERR_OOM, "out of memory");
	rc = redis_append_raw(c, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return rc;
}

/* Writes all of buf; returns 0 or -1 (c broken). */
static int
write_all(struct redis_ctx *c, const char *buf, size_t len)
{
	char e[ERRSTR_LEN];
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		if ((n = conn_io(c, NULL, buf + off, len - off, e)) < 0) {
			c->wrerrno = errno;
			return fail(c, REDIS_ERR_IO, e);
		}
		off += (size_t)n;
	}
	return 0;
}

int
redis_flush(struct redis_ctx *c)
{
	size_t len = c->olen;

	c->olen = 0;
	return write_all(c, c->obuf, len);
}

int
redis_get_reply(struct redis_ctx *c, redisReply **r)
{
	char buf[16384], e[ERRSTR_LEN];
	void *v = NULL;
	ssize_t n;

	*r = NULL;
	if (c->err)
		return -1;
	if (redis_flush(c) < 0)
		return -1;
	for (;;) {
		if (redisReaderGetReply(c->reader, &v) != REDIS_OK)
			return fail(c, REDIS_ERR_PROTOCOL, c->reader->errstr);
		if (v != NULL) {
			*r = v;
			return 0;
		}
		if ((n = conn_io(c, buf, NULL, sizeof(buf), e)) < 0)
			return fail(c, REDIS_ERR_IO, e);
		if (n == 0)
			return fail(c, REDIS_ERR_EOF,
			    "the server closed the connection");
		if (redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK)
			return fail(c, REDIS_ERR_PROTOCOL, c->reader->errstr);
	}
}

ssize_t
redis_read(struct redis_ctx *c, void *buf, size_t len, char *errstr)
{
	redisReader *r = c->reader;
	size_t n;

	if (r->len > r->pos) {
		n = r->len - r->pos;
		if (n > len)
			n = len;
		memcpy(buf, r->buf + r->pos, n);
		r->pos += n;
		return (ssize_t)n;
	}
	return conn_io(c, buf, NULL, len, errstr);
}

int
redis_readable(struct redis_ctx *c, long ms)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	int n;

	if (c->reader->len > c->reader->pos ||
	    (c->tls != NULL && tls_pending(c->tls)))
		return 1;
	if ((n = poll(&p, 1, (int)ms)) < 0)
		return errno == EINTR ? 0 : -1;
	return n > 0;
}

const char *
redis_errstr(const struct redis_ctx *c)
{
	return c->errstr;
}

int
redis_broken(const struct redis_ctx *c)
{
	return c->err != 0;
}

int
redis_tls_describe(const struct redis_ctx *c, char *out, size_t len)
{
	if (c->tls == NULL)
		return -1;
	tls_describe(c->tls, out, len);
	return 0;
}

void
redis_free(struct redis_ctx *c)
{
	if (c == NULL)
		return;
	tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	if (c->reader != NULL)
		redisReaderFree(c->reader);
	free(c->obuf);
	free(c);
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
redis_cmd(struct redis_ctx *c, char *errstr, int argc, const char **argv)
{
	char what[96];

	cmd_what(what, sizeof(what), argc, argv);
	return redis_cmd_as(c, what, errstr, argc, argv);
}

redisReply *
redis_cmd_as(struct redis_ctx *c, const char *what, char *errstr, int argc,
    const char **argv)
{
	redisReply *r;

	if (redis_append(c, argc, argv) < 0 || redis_get_reply(c, &r) < 0) {
		errstr_set(errstr, "%s: %s", what, c->errstr);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		errstr_set(errstr, "%s: %s", what, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* AUTH [user] password; the password is formatted with its length (it
 * may hold any byte) and the buffer holding it wiped once written. */
static int
redis_auth(struct redis_ctx *c, const struct redis_conn *o, int *down,
    char *errstr)
{
	const char *argv[3];
	size_t lens[3];
	redisReply *r;
	char what[320] = "AUTH", *cmd;
	int argc = 0, len, sent;

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
	if ((len = redisFormatCommandArgv(&cmd, argc, argv, lens)) < 0)
		return errstr_set(errstr, "%s: out of memory", what);
	/* Written from its own buffer, which is wiped: never queued. */
	sent = write_all(c, cmd, (size_t)len);
	explicit_bzero(cmd, (size_t)len);
	redisFreeCommand(cmd);
	if (sent < 0 || redis_get_reply(c, &r) < 0) {
		/* A server going down may close the connection here, or
		 * reset it under our write. */
		if (down != NULL)
			*down = c->err == REDIS_ERR_EOF ||
			    c->wrerrno == EPIPE || c->wrerrno == ECONNRESET;
		return errstr_set(errstr, "%s: %s", what, c->errstr);
	}
	if (r->type == REDIS_REPLY_ERROR) {
		errstr_set(errstr, "%s: %s", what, r->str);
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

/* Waits for a non-blocking connect; returns 0, or -1 with errno set. */
static int
connect_wait(int fd, long timeout_ms)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	socklen_t len = sizeof(int);
	int n, soerr = 0;

	do
		n = poll(&p, 1, (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

/* A connected TCP socket to host:port, each address tried in turn,
 * within timeout_ms each when it is not 0; returns it, or -1 with errno
 * set (or *gai a getaddrinfo code). */
static int
tcp_connect(const char *host, int port, long timeout_ms, int *gai)
{
	struct addrinfo hints, *res, *a;
	char service[16];
	int fd = -1, saved = ECONNREFUSED, one = 1, fl;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	if ((*gai = getaddrinfo(host, service, &hints, &res)) != 0)
		return -1;
	for (a = res; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
		    a->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		fl = fcntl(fd, F_GETFL);
		if (timeout_ms > 0)
			fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && timeout_ms > 0 &&
		    connect_wait(fd, timeout_ms) == 0)) {
			fcntl(fd, F_SETFL, fl);
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = saved;
	return fd;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, saved;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Sets the limit on each read and write on fd (0: none); returns 0 or
 * -1. */
static int
set_timeout(int fd, long ms)
{
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return 0;
}

/* The socket, its timeouts and, when asked, TLS on it: one PING proves
 * the session (TLS 1.3 servers refuse a client certificate only after
 * the handshake, on the first read). */
static int
redis_open(struct redis_ctx *c, const struct redis_conn *o, int *down,
    char *errstr)
{
	const char *host = o->host != NULL ? o->host : REDIS_DEFAULT_HOST;
	const char *ping[] = { "PING" };
	redisReply *r;
	int gai = 0;

	errno = 0;
	c->fd = o->sock != NULL ? unix_connect(o->sock) :
	    tcp_connect(host, o->port != 0 ? o->port : REDIS_DEFAULT_PORT,
	    o->timeout_ms, &gai);
	if (c->fd < 0) {
		if (gai != 0)
			return errstr_set(errstr, "connect %s: %s",
			    redis_name(o), gai == EAI_SYSTEM ?
			    strerror(errno) : gai_strerror(gai));
		if (down != NULL)
			*down = errno == ECONNREFUSED || errno == ENOENT;
		return errstr_sys(errstr, "connect %s", redis_name(o));
	}
	/* The same limit on every read and write after the connect. */
	if (o->timeout_ms > 0 && set_timeout(c->fd, o->timeout_ms) < 0)
		return errstr_sys(errstr, "connect %s", redis_name(o));
	if (o->tls == NULL || o->sock != NULL)
		return 0;
	/* A plain server never answers a ClientHello: without a limit of
	 * the caller's, the handshake gets one of its own. */
	if (o->timeout_ms == 0 && set_timeout(c->fd, TLS_HANDSHAKE_MS) < 0)
		return errstr_sys(errstr, "connect %s", redis_name(o));
	if ((c->tls = tls_connect(o->tls, c->fd, host, c->errstr)) == NULL)
		return errstr_set(errstr, "connect %s: %s%s", redis_name(o),
		    c->errstr, strcmp(c->errstr, "TLS handshake: timed out") ==
		    0 ? " (is this a TLS port?)" : "");
	if (redis_append(c, 1, ping) < 0 || redis_get_reply(c, &r) < 0)
		return errstr_set(errstr, "connect %s: %s", redis_name(o),
		    c->errstr);
	freeReplyObject(r);
	if (o->timeout_ms == 0 && set_timeout(c->fd, 0) < 0)
		return errstr_sys(errstr, "connect %s", redis_name(o));
	return 0;
}

struct redis_ctx *
redis_connect(const struct redis_conn *o, int *down, char *errstr)
{
	struct redis_ctx *c;

	if (down != NULL)
		*down = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->reader = redisReaderCreate()) == NULL) {
		free(c);
		errstr_set(errstr, "connect %s: out of memory", redis_name(o));
		return NULL;
	}
	c->fd = -1;
	if (redis_open(c, o, down, errstr) < 0 ||
	    (o->pass != NULL && redis_auth(c, o, down, errstr) < 0)) {
		redis_free(c);
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
redis_info(struct redis_ctx *c, const char *section, char *errstr)
{
	return redis_info_as(c, section, NULL, errstr);
}

char *
redis_info_as(struct redis_ctx *c, const char *section, const char *what,
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
redis_config_get(struct redis_ctx *c, const char *name, char *out, size_t len,
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
