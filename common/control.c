#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "redis.h"
#include "control.h"

/* Each poll waits a little longer, from 5 ms up to this. */
#define POLL_MAX_MS 50

/* The redis_conn for s: rdb-install's own short connections, two seconds
 * for connect and each reply, the server named in every failure. */
static void
conn(const struct server *s, struct redis_conn *o)
{
	memset(o, 0, sizeof(*o));
	o->sock = s->sock;
	o->host = s->host;
	o->port = s->port;
	o->user = s->user;
	o->pass = s->pass;
	o->pass_len = s->pass != NULL ? strlen(s->pass) : 0;
	o->timeout_ms = 2000;
	o->named = 1;
	o->tls = s->tls;
}

static const char *
where(const struct server *s)
{
	struct redis_conn o;

	conn(s, &o);
	return redis_name(&o);
}

/* Connects and authenticates; returns the context, or NULL with *down set
 * when the server is simply not there. */
static struct redis_ctx *
connect_auth(struct server *s, int *down, char *errstr)
{
	struct redis_conn o;

	conn(s, &o);
	return redis_connect(&o, down, errstr);
}

int
control_reachable(struct server *s, char *errstr)
{
	struct redis_ctx *c;
	int down;

	if ((c = connect_auth(s, &down, errstr)) == NULL)
		return down ? 0 : -1;
	redis_free(c);
	return 1;
}

int
control_command(struct server *s, char *out, size_t outlen, char *errstr,
    int argc, const char **argv)
{
	struct redis_ctx *c;
	redisReply *r;
	char cmd[64] = "", what[400];
	size_t n;
	int down, i;

	/* The command for messages: AUTH never comes through here. */
	for (i = 0; i < argc; i++) {
		n = strlen(cmd);
		snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "",
		    argv[i]);
	}
	snprintf(what, sizeof(what), "%s on %s", cmd, where(s));
	if ((c = connect_auth(s, &down, errstr)) == NULL)
		return -1;
	r = redis_cmd_as(c, what, errstr, argc, argv);
	redis_free(c);
	if (r == NULL)
		return -1;
	if (out != NULL && outlen > 0) {
		out[0] = '\0';
		if (r->type == REDIS_REPLY_STATUS ||
		    r->type == REDIS_REPLY_STRING)
			snprintf(out, outlen, "%.*s", (int)r->len, r->str);
	}
	freeReplyObject(r);
	return 0;
}

int
control_info(struct server *s, const char *section, char **out, char *errstr)
{
	struct redis_ctx *c;
	char what[400];
	int down;

	snprintf(what, sizeof(what), "INFO %s on %s", section, where(s));
	if ((c = connect_auth(s, &down, errstr)) == NULL)
		return -1;
	*out = redis_info_as(c, section, what, errstr);
	redis_free(c);
	return *out != NULL ? 0 : -1;
}

uint64_t
control_info_sum(const char *info, const char *field)
{
	size_t n = strlen(field);
	const char *p;
	uint64_t sum = 0;

	for (p = info; (p = strstr(p, field)) != NULL; p += n)
		if (p != info && (p[-1] == ':' || p[-1] == ',') && p[n] == '=')
			sum += strtoull(p + n + 1, NULL, 10);
	return sum;
}

int
control_binary_version(char *buf, size_t len, char *errstr)
{
	char line[256], *p;
	FILE *f;
	int st;

	if ((f = popen("redis-server --version 2>/dev/null", "r")) == NULL)
		return errstr_sys(errstr, "redis-server --version");
	p = fgets(line, sizeof(line), f);
	st = pclose(f);
	if (p == NULL || st != 0 || (p = strstr(line, "v=")) == NULL)
		return errstr_set(errstr, "redis-server --version: no version "
		    "(is redis-server installed?)");
	snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
	return 0;
}

/* Describes a wait status: "exit status N" or "killed by signal N". */
static void
status_str(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "wait status %d", st);
}

int
control_set_user(struct server *s, uid_t uid, gid_t gid, char *errstr)
{
	struct passwd *pw;
	gid_t *g;
	int n = 16;

	free(s->run_groups);
	s->run_groups = NULL;
	s->run_ngroups = 0;
	s->run_drop = geteuid() == 0 && uid != 0;
	s->run_uid = uid;
	s->run_gid = gid;
	if (!s->run_drop)
		return 0;
	/* initgroups(3) in the child would read /etc/group after fork;
	 * the list is made here and only set there. */
	if ((pw = getpwuid(uid)) == NULL) {
		if ((s->run_groups = malloc(sizeof(gid_t))) == NULL)
			return errstr_sys(errstr, "groups of uid %ld",
			    (long)uid);
		s->run_groups[0] = gid;
		s->run_ngroups = 1;
		return 0;
	}
	for (;;) {
		if ((g = realloc(s->run_groups, sizeof(gid_t) * (size_t)n)) ==
		    NULL)
			return errstr_sys(errstr, "groups of %s", pw->pw_name);
		s->run_groups = g;
		if (getgrouplist(pw->pw_name, gid, g, &n) >= 0)
			break;
		if (n > 65536)
			return errstr_set(errstr, "groups of %s: too many",
			    pw->pw_name);
		n *= 2;
	}
	s->run_ngroups = n;
	return 0;
}

int
control_drop(const struct server *s)
{
	if (!s->run_drop)
		return 0;
	if (setgroups((size_t)s->run_ngroups, s->run_groups) < 0 ||
	    setgid(s->run_gid) < 0 || setuid(s->run_uid) < 0)
		return -1;
	/* A setuid that left a way back would be no drop. */
	if (setuid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Forks argv with stdin on /dev/null and stdout onto stderr (stdout is
 * for data); detached puts it in its own session with all three on
 * /dev/null, for a server that outlives us.  With as, the child drops to
 * its user first (control_drop).  Returns the pid or -1. */
static pid_t
spawn(const char **argv, int detached, const struct server *as,
    char *errstr)
{
	sigset_t set;
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		return errstr_sys(errstr, "fork %s", argv[0]);
	if (pid > 0)
		return pid;
	if (as != NULL && control_drop(as) < 0) {
		static const char msg[] = "rdb-install: cannot drop to the "
		    "server's user\n";

		(void)!write(2, msg, sizeof(msg) - 1);
		_exit(126);
	}
	signal(SIGPIPE, SIG_DFL);
	/* rdb-install blocks INT/TERM/HUP while it works; not its children. */
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		if (detached) {
			setsid();
			dup2(fd, 1);
			dup2(fd, 2);
		} else
			dup2(2, 1);
		if (fd > 2)
			close(fd);
	}
	/* A server outlives us: it must not hold our other descriptors (a
	 * pipe someone waits on, the lock). */
	closefrom(3);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

int
control_run(const char **argv, char *errstr)
{
	char why[64];
	pid_t pid;
	int st;

	if ((pid = spawn(argv, 0, NULL, errstr)) < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errstr_sys(errstr, "wait %s", argv[0]);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	status_str(st, why, sizeof(why));
	return errstr_set(errstr, "%s: %s", argv[0] == NULL ? "?" :
	    strcmp(argv[0], "/bin/sh") == 0 ? argv[2] : argv[0], why);
}

/* systemctl where systemd runs (its runtime dir exists), else service. */
static int
service(const struct server *s, const char *verb, char *errstr)
{
	const char *sd[] = { "systemctl", verb, s->service, NULL };
	const char *sv[] = { "service", s->service, verb, NULL };
	struct stat st;

	if (stat("/run/systemd/system", &st) == 0)
		return control_run(sd, errstr);
	return control_run(sv, errstr);
}

static int
shell(const char *cmd, char *errstr)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	return control_run(argv, errstr);
}

int
control_wait_up(struct server *s, char *errstr)
{
	double deadline = clock_now() + s->timeout;
	char *info, val[32], why[64], last[ERRSTR_LEN] = "no answer";
	long ms = 5;
	int st, r;
	pid_t w;

	for (;;) {
		/* The default start's own process failing is final. */
		if (s->child > 0 &&
		    (w = waitpid(s->child, &st, WNOHANG)) == s->child) {
			s->child = 0;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				status_str(st, why, sizeof(why));
				return errstr_set(errstr,
				    "redis-server %s: %s", s->conf, why);
			}
		}
		r = control_reachable(s, last);
		if (r > 0 && control_info(s, "persistence", &info, last) == 0) {
			r = redis_info_field(info, "loading", val,
			    sizeof(val)) == 0 && strcmp(val, "0") == 0;
			free(info);
			if (r)
				return 0;
			snprintf(last, sizeof(last), "still loading");
		}
		if (clock_now() >= deadline)
			return errstr_set(errstr, "%s not up after %.0f s: %s",
			    where(s), s->timeout, last);
		clock_poll(&ms, 100, POLL_MAX_MS);
	}
}

int
control_wait_down(struct server *s, pid_t pid, char *errstr)
{
	double deadline = clock_now() + s->timeout;
	char e[ERRSTR_LEN];
	struct stat st;
	long ms = 5;
	int up, alive, pidfile, wst;

	for (;;) {
		/* Our own child (a server started without daemonize) is a
		 * zombie until reaped, and a zombie still answers kill 0. */
		if (s->child > 0 && waitpid(s->child, &wst, WNOHANG) == s->child)
			s->child = 0;
		up = control_reachable(s, e) != 0;
		/* Redis removes its pidfile once its files are complete; its
		 * process may take a second more to end.  Without a pidfile
		 * the process itself is waited for. */
		alive = s->pidfile == NULL && pid > 0 &&
		    (kill(pid, 0) == 0 || errno == EPERM);
		pidfile = s->pidfile != NULL && stat(s->pidfile, &st) == 0;
		if (!up && !alive && !pidfile)
			return 0;
		if (clock_now() >= deadline)
			return errstr_set(errstr, "%s still %s after %.0f s",
			    where(s), up ? "answering" : alive ?
			    "running" : "holding its pidfile", s->timeout);
		clock_poll(&ms, 100, POLL_MAX_MS);
	}
}

/* The server's pid, from INFO server; 0 when it cannot say. */
static pid_t
control_pid(struct server *s)
{
	char *info, val[32], e[ERRSTR_LEN];
	pid_t pid = 0;

	if (control_info(s, "server", &info, e) < 0)
		return 0;
	if (redis_info_field(info, "process_id", val, sizeof(val)) == 0)
		pid = (pid_t)atol(val);
	free(info);
	return pid;
}

int
control_stop(struct server *s, char *errstr)
{
	const char *argv[] = { "SHUTDOWN" };
	struct redis_ctx *c;
	redisReply *r;
	char what[320];
	pid_t pid;
	int down, refused;

	pid = control_pid(s);
	if (s->service != NULL) {
		if (service(s, "stop", errstr) < 0)
			return -1;
	} else if (s->stop_cmd != NULL) {
		if (shell(s->stop_cmd, errstr) < 0)
			return -1;
	} else if ((c = connect_auth(s, &down, errstr)) != NULL) {
		/* Success is the connection closing under us; an error
		 * reply leaves it open. */
		snprintf(what, sizeof(what), "SHUTDOWN on %s", where(s));
		r = redis_cmd_as(c, what, errstr, 1, argv);
		refused = r == NULL && !redis_broken(c);
		if (r != NULL)
			freeReplyObject(r);
		redis_free(c);
		if (refused)
			return -1;
	} else if (!down)
		return -1;
	return control_wait_down(s, pid, errstr);
}

int
control_start(struct server *s, char *errstr)
{
	const char *argv[] = { "redis-server", s->conf, NULL };

	if (s->service != NULL) {
		if (service(s, "start", errstr) < 0)
			return -1;
	} else if (s->start_cmd != NULL) {
		if (shell(s->start_cmd, errstr) < 0)
			return -1;
	} else if ((s->child = spawn(argv, 1, s, errstr)) < 0) {
		s->child = 0;
		return -1;
	}
	return control_wait_up(s, errstr);
}
