/* common/restore: the restore step machine against a real redis-server
 * this test starts.  For every step of both step lists (AOF off, AOF on)
 * a child runs the restore and dies by SIGKILL right after journaling
 * that step (the RDB_INSTALL_CRASH_AT hook); restore_rollback then undoes
 * it, and the old dump, the config (byte for byte), the AOF dir, the
 * server's data are back, with no staging file, .old or journal left.
 * Failing steps inside restore_run (a stop command that fails, a start
 * command that fails once) are rolled back by the run itself. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "restore.h"
#include "journal.h"
#include "control.h"
#include "tap.h"

/* Short paths under /tmp (a unix socket's is at most 107 bytes). */
static char top[32], ddir[64], sdir[64], conf[96], sock[64], pidf[64];
static char snap[64];

static int in_child;	/* a child must not clean up the parent's server */

static void
bail(const char *what, const char *e)
{
	printf("Bail out! %s: %s\n", what, e);
	fflush(stdout);
	if (in_child)
		_exit(1);
	exit(1);
}

/* The test's own handle on the server (the engine keeps its own). */
static void
srv_init(struct server *s)
{
	memset(s, 0, sizeof(*s));
	s->sock = sock;
	s->conf = conf;
	s->pidfile = pidf;
	s->timeout = 10;
}

static int
cmd(char *out, size_t len, int argc, const char **argv)
{
	struct server s;
	char e[ERRSTR_LEN];

	srv_init(&s);
	if (control_command(&s, out, len, e, argc, argv) < 0) {
		printf("# %s\n", e);
		return -1;
	}
	return 0;
}

static int
digest(char *out, size_t len)
{
	const char *argv[] = { "DEBUG", "DIGEST" };

	out[0] = '\0';
	return cmd(out, len, 2, argv);
}

/* Kills the server (by its pidfile) and waits until it is gone. */
static void
kill_server(void)
{
	char buf[32];
	FILE *f;
	long pid = 0;
	int i;

	if ((f = fopen(pidf, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			pid = strtol(buf, NULL, 10);
		fclose(f);
	}
	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGKILL);
	for (i = 0; i < 400 && kill((pid_t)pid, 0) == 0; i++)
		usleep(10000);
	unlink(pidf);
	unlink(sock);
}

static void
cleanup(void)
{
	const char *rm[] = { "rm", "-rf", top, NULL };
	char e[ERRSTR_LEN];

	if (top[0] == '\0')
		return;
	kill_server();
	(void)control_run(rm, e);
	top[0] = '\0';
}

/* Killed (a timeout, ^C): the server goes too.  Not async-signal-safe,
 * which a test that is ending anyway can afford. */
static void
on_signal(int sig)
{
	if (!in_child)
		cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
write_conf(int aof)
{
	FILE *f = fopen(conf, "w");

	if (f == NULL)
		bail("write the config", conf);
	fprintf(f, "port 0\nunixsocket %s\nunixsocketperm 700\ndir %s\n"
	    "pidfile %s\nlogfile %s/redis.log\ndaemonize yes\nsave \"\"\n"
	    "appendonly %s\nenable-debug-command yes\n", sock, ddir, pidf,
	    top, aof ? "yes" : "no");
	if (fclose(f) != 0)
		bail("write the config", conf);
}

static void
start_server(void)
{
	struct server s;
	char e[ERRSTR_LEN];
	const char *argv[] = { "redis-server", conf, NULL };

	srv_init(&s);
	if (control_run(argv, e) < 0 || control_wait_up(&s, e) < 0)
		bail("start redis-server", e);
}

/* Dataset B (100 keys) saved as the snapshot, then dataset A (20 keys)
 * served and saved; returns A's digest in a, B's in b.  A is written by
 * SET, which the AOF records (DEBUG POPULATE is not). */
static void
datasets(char *a, char *b, size_t len)
{
	const char *flush[] = { "FLUSHALL" }, *save[] = { "SAVE" };
	const char *popb[] = { "DEBUG", "POPULATE", "100", "b" };
	const char *seta[] = { "SET", NULL, "a" };
	const char *cp[] = { "cp", "", snap, NULL };
	char dump[PATH_MAX], e[ERRSTR_LEN], key[16];
	int i;

	snprintf(dump, sizeof(dump), "%s/dump.rdb", ddir);
	cp[1] = dump;
	if (cmd(NULL, 0, 1, flush) < 0 || cmd(NULL, 0, 4, popb) < 0 ||
	    cmd(NULL, 0, 1, save) < 0 || digest(b, len) < 0)
		bail("dataset B", "");
	if (control_run(cp, e) < 0)
		bail("copy the snapshot", e);
	if (cmd(NULL, 0, 1, flush) < 0)
		bail("dataset A", "");
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "a:%d", i);
		seta[1] = key;
		if (cmd(NULL, 0, 3, seta) < 0)
			bail("dataset A", key);
	}
	if (cmd(NULL, 0, 1, save) < 0 || digest(a, len) < 0)
		bail("dataset A", "");
}

static void
engine_init(struct restore *in)
{
	char e[ERRSTR_LEN];

	memset(in, 0, sizeof(*in));
	in->dfd = -1;
	in->uid = geteuid();
	in->gid = getegid();
	in->statedir = sdir;
	if (restore_load_conf(in, conf, e) < 0)
		bail("restore_load_conf", e);
	in->srv.timeout = 10;
	if (control_set_user(&in->srv, in->uid, in->gid, e) < 0)
		bail("control_set_user", e);
}

static void
engine_close(struct restore *in)
{
	journal_close(&in->j);
	if (in->dfd >= 0)
		close(in->dfd);
	in->dfd = -1;
}

/* The whole restore as rdb-install runs it; returns 0 or -1. */
static int
restore(struct restore *in, int *rolled, char *e)
{
	int fd, r;

	if (restore_open(in, e) != 0 || restore_clean_stale(in, e) < 0 ||
	    restore_probe(in, e) < 0)
		return -1;
	if ((fd = open(snap, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = restore_stage(in, fd, "b.rdb", 0, NULL, e);
	close(fd);
	if (r < 0)
		return -1;
	return restore_run(in, 0, rolled, e);
}

/* How the data dir and the state dir look, to compare before and after:
 * the names in both (sorted by the shell) and the bytes of the dump, the
 * config and the AOF manifest. */
static char *
snapshot_state(void)
{
	char sh[2048], e[ERRSTR_LEN], *out;
	const char *argv[] = { "/bin/sh", "-c", sh, NULL };
	size_t len;
	char path[96];

	snprintf(path, sizeof(path), "%s/state.txt", top);
	snprintf(sh, sizeof(sh), "cd %s && { ls -a %s %s %s/appendonlydir "
	    "2>&1; cksum %s/dump.rdb %s %s/appendonlydir/*.manifest 2>&1; true; } "
	    ">%s", top, ddir, sdir, ddir, ddir, conf, ddir, path);
	if (control_run(argv, e) < 0)
		bail("list the dirs", e);
	out = (char *)tap_slurp(path, &len);
	out[len] = '\0';
	unlink(path);
	return out;
}

/* Whether path holds exactly the len bytes of want. */
static int
same_bytes(const char *path, const unsigned char *want, size_t len)
{
	unsigned char *have;
	size_t n;
	int r;

	if (access(path, F_OK) < 0)
		return 0;
	have = tap_slurp(path, &n);
	r = n == len && memcmp(have, want, len) == 0;
	free(have);
	return r;
}

static const char *steps_plain[] = { "staged", "stop", "move", "install",
    "start", "verify", NULL };
static const char *steps_aof[] = { "staged", "stop", "aof-off", "move",
    "install", "start", "rewrite", "stop-rewritten", "aof-on", "restart",
    "verify", NULL };

static void
crash_and_undo(int aof, const char **steps, const char *a_digest)
{
	struct restore in;
	char e[ERRSTR_LEN], d[128], dump[PATH_MAX], *before, *after;
	const char *label = aof ? "AOF on" : "AOF off";
	unsigned char *conf0, *dump0;
	size_t conflen, dumplen;
	int i, st, rolled, pending;
	pid_t pid;

	snprintf(dump, sizeof(dump), "%s/dump.rdb", ddir);
	conf0 = tap_slurp(conf, &conflen);
	dump0 = tap_slurp(dump, &dumplen);
	before = snapshot_state();
	for (i = 0; steps[i] != NULL; i++) {
		fflush(stdout);
		if ((pid = fork()) < 0)
			bail("fork", strerror(errno));
		if (pid == 0) {
			/* The child dies by the hook; reaching the end means
			 * the hook did not fire. */
			in_child = 1;
			setenv("RDB_INSTALL_CRASH_AT", steps[i], 1);
			engine_init(&in);
			(void)restore(&in, &rolled, e);
			_exit(3);
		}
		ok(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		    WTERMSIG(st) == SIGKILL, "%s: the run dies at step %s",
		    label, steps[i]);
		engine_init(&in);
		pending = restore_open(&in, e);
		ok(pending == 1, "%s, %s: an interrupted restore is pending",
		    label, steps[i]);
		ok(restore_rollback(&in, e) == 0, "%s, %s: rolled back%s%s",
		    label, steps[i], pending == 1 ? "" : ": ",
		    pending == 1 ? "" : e);
		engine_close(&in);
		/* A server the crash left down stays down (was_up is from
		 * before the restore, when it was up): the rollback starts
		 * it. */
		ok(digest(d, sizeof(d)) == 0 && strcmp(d, a_digest) == 0,
		    "%s, %s: the old data is served", label, steps[i]);
		ok(same_bytes(conf, conf0, conflen) &&
		    same_bytes(dump, dump0, dumplen), "%s, %s: the config and "
		    "the old dump are back byte for byte", label, steps[i]);
		after = snapshot_state();
		if (!ok(strcmp(before, after) == 0, "%s, %s: the dump, the "
		    "config, the AOF dir are as before; no staging file, .old "
		    "or journal", label, steps[i]))
			printf("# before:\n%s# after:\n%s", before, after);
		free(after);
	}
	free(before);
	free(conf0);
	free(dump0);
}

/* A stop command that fails: restore_run rolls back by itself, and the
 * server, never stopped, still serves A. */
static void
failing_stop(const char *a_digest)
{
	struct restore in;
	char e[ERRSTR_LEN], d[128], *before, *after;
	int rolled = 0, r;

	before = snapshot_state();
	engine_init(&in);
	in.srv.stop_cmd = "exit 7";
	r = restore(&in, &rolled, e);
	ok(r < 0 && rolled && strcmp(in.failed_step, "stop") == 0,
	    "a failing stop command fails the run at step %s, rolled back: %s",
	    in.failed_step, e);
	engine_close(&in);
	ok(digest(d, sizeof(d)) == 0 && strcmp(d, a_digest) == 0,
	    "after the failed stop the old data is served");
	after = snapshot_state();
	if (!ok(strcmp(before, after) == 0, "after the failed stop the dirs "
	    "are as before"))
		printf("# before:\n%s# after:\n%s", before, after);
	free(before);
	free(after);
}

/* A start command that fails once: the run fails at step start, after
 * the moves, and restore_run's own rollback puts the old files back and
 * starts the server (the second call succeeds). */
static void
failing_start(int aof, const char *a_digest)
{
	static char start[256];
	struct restore in;
	char e[ERRSTR_LEN], d[128], *before, *after;
	const char *label = aof ? "AOF on" : "AOF off";
	int rolled = 0, r;

	snprintf(start, sizeof(start), "if test -e %s/started-once; then "
	    "exec redis-server %s; fi; touch %s/started-once; exit 5", top,
	    conf, top);
	before = snapshot_state();
	engine_init(&in);
	in.srv.start_cmd = start;
	r = restore(&in, &rolled, e);
	ok(r < 0 && rolled && strcmp(in.failed_step, "start") == 0,
	    "%s: a failing start command fails the run at step %s, rolled "
	    "back: %s", label, in.failed_step, e);
	engine_close(&in);
	ok(digest(d, sizeof(d)) == 0 && strcmp(d, a_digest) == 0,
	    "%s: after the failed start the old data is served", label);
	after = snapshot_state();
	if (!ok(strcmp(before, after) == 0, "%s: after the failed start the "
	    "dirs are as before", label))
		printf("# before:\n%s# after:\n%s", before, after);
	free(before);
	free(after);
	snprintf(start, sizeof(start), "%s/started-once", top);
	unlink(start);
}

static void
suite(int aof)
{
	char a[128], b[128];

	write_conf(aof);
	start_server();
	datasets(a, b, sizeof(a));
	ok(strcmp(a, b) != 0, "%s: datasets A and B differ",
	    aof ? "AOF on" : "AOF off");
	if (!aof)
		failing_stop(a);
	failing_start(aof, a);
	crash_and_undo(aof, aof ? steps_aof : steps_plain, a);
	kill_server();
}

int
main(void)
{
	snprintf(top, sizeof(top), "/tmp/test_restore.XXXXXX");
	if (mkdtemp(top) == NULL)
		bail("mkdtemp", strerror(errno));
	atexit(cleanup);
	/* A closed stdout (| head) must not skip the cleanup. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	snprintf(ddir, sizeof(ddir), "%s/data", top);
	snprintf(sdir, sizeof(sdir), "%s/state", top);
	snprintf(conf, sizeof(conf), "%s/redis.conf", ddir);
	snprintf(sock, sizeof(sock), "%s/redis.sock", top);
	snprintf(pidf, sizeof(pidf), "%s/redis.pid", top);
	snprintf(snap, sizeof(snap), "%s/b.rdb", top);
	if (mkdir(ddir, 0750) < 0 || mkdir(sdir, 0700) < 0)
		bail("mkdir", strerror(errno));

	suite(0);
	/* The AOF dir of the first round goes; A is saved afresh. */
	unlink(conf);
	suite(1);
	cleanup();
	return tap_done();
}
