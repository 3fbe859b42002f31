/* common/redis: INFO field parsing, on text as Redis 7.0 sends it; names;
 * a server that is not there; the connection's reads against a scripted
 * peer on a unix socket (pipelined replies, the bytes past the last reply
 * handed to redis_read, a protocol error, a close). */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redis.h"
#include "tap.h"

/* A one-connection peer: accepts on path, reads until it has seen want
 * bytes of commands, sends answer in one write, closes.  Returns its
 * pid. */
static pid_t
peer(const char *path, size_t want, const char *answer)
{
	struct sockaddr_un sa;
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int l, c;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if ((l = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		exit(99);
	if ((pid = fork()) != 0) {
		close(l);
		return pid;
	}
	if ((c = accept(l, NULL, NULL)) < 0)
		_exit(1);
	while (got < want && (n = read(c, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	if (write(c, answer, strlen(answer)) < 0)
		_exit(1);
	close(c);
	_exit(0);
}

static void
transport(void)
{
	static const char *ping[] = { "PING" };
	static const char *echo[] = { "ECHO", "hi" };
	char path[64], buf[64], e[ERRSTR_LEN];
	struct redis_conn o;
	struct redis_ctx *c;
	redisReply *r = NULL, *r2 = NULL;
	size_t have = 0;
	ssize_t n;
	pid_t pid;

	memset(&o, 0, sizeof(o));
	snprintf(path, sizeof(path), "/tmp/test_redis.%d.sock", (int)getpid());
	o.sock = path;

	/* PING is 14 bytes formatted, ECHO hi 22. */
	pid = peer(path, 36, "+PONG\r\n$2\r\nhi\r\n$EOF:rest-of-stream");
	c = redis_connect(&o, NULL, e);
	ok(c != NULL, "connect to the peer: %s", c == NULL ? e : "ok");
	if (c == NULL)
		exit(1);
	ok(redis_append(c, 1, ping) == 0 && redis_append(c, 2, echo) == 0 &&
	    redis_get_reply(c, &r) == 0 && r->type == REDIS_REPLY_STATUS &&
	    strcmp(r->str, "PONG") == 0, "two commands pipelined: the first "
	    "reply");
	ok(redis_get_reply(c, &r2) == 0 && r2->type == REDIS_REPLY_STRING &&
	    strcmp(r2->str, "hi") == 0, "the second reply");
	freeReplyObject(r);
	freeReplyObject(r2);
	while (have < sizeof(buf) - 1 &&
	    (n = redis_read(c, buf + have, 5, e)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	ok(strcmp(buf, "$EOF:rest-of-stream") == 0, "redis_read hands out "
	    "the bytes the reader held past the last reply, then the "
	    "socket's, in small reads: %s", buf);
	ok(redis_read(c, buf, sizeof(buf), e) == 0, "then 0 at the close");
	ok(!redis_broken(c), "replies and raw reads leave c whole");
	redis_free(c);
	waitpid(pid, NULL, 0);

	pid = peer(path, 14, "!bad\r\n");
	c = redis_connect(&o, NULL, e);
	ok(c != NULL && redis_cmd(c, e, 1, ping) == NULL &&
	    strcmp(e, "PING: Protocol error, got \"!\" as reply type byte") ==
	    0 && redis_broken(c), "a protocol error: %s", e);
	redis_free(c);
	waitpid(pid, NULL, 0);

	pid = peer(path, 14, "+PAR");
	c = redis_connect(&o, NULL, e);
	ok(c != NULL && redis_cmd(c, e, 1, ping) == NULL &&
	    strcmp(e, "PING: the server closed the connection") == 0 &&
	    redis_broken(c), "a close mid-reply: %s", e);
	ok(redis_get_reply(c, &r) < 0 && strcmp(redis_errstr(c),
	    "the server closed the connection") == 0, "a broken connection "
	    "stays broken");
	ok(redis_tls_describe(c, buf, sizeof(buf)) < 0, "no TLS to describe");
	redis_free(c);
	waitpid(pid, NULL, 0);
	unlink(path);
}

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
	o.host = "::1";
	ok(strcmp(redis_name(&o), "[::1]:7000") == 0, "an IPv6 address in "
	    "brackets");
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
	transport();
	return tap_done();
}
