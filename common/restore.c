#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "restore.h"
#include "restoreint.h"
#include "io.h"
#include "progress.h"
#include "rdb.h"
#include "redis.h"
#include "secret.h"

/*
 * The steps, in the order they are taken.  Each is written to the journal
 * ("step NAME") before it is taken, and each can be taken again after a
 * crash: a step checks what is already done.
 */
enum step {
	S_NONE, S_STOP, S_AOF_OFF, S_CONF_AOF, S_MOVE, S_INSTALL, S_START,
	S_REWRITE, S_SAVE, S_STOP2, S_STOP_SAVED, S_AOF_ON, S_CONF_BACK,
	S_DROP_AOF, S_RESTART, S_VERIFY
};
static const char *step_names[] = {
	"staged", "stop", "aof-off", "conf-aof-on", "move", "install", "start",
	"rewrite", "save", "stop-rewritten", "stop-saved", "aof-on",
	"conf-restore", "drop-aof", "restart", "verify"
};

/* dir and the names were checked to fit when the config was read. */
void
restore_path_in(const struct restore *in, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", in->dir, name);

	if (n < 0 || (size_t)n >= len)
		out[0] = '\0';
}

static int
exists(const struct restore *in, const char *name)
{
	struct stat st;

	return fstatat(in->dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A value from the config, fit to be printed: control bytes become '?'
 * (the config is the redis user's to write). */
static const char *
printable(const char *v, char *buf, size_t len)
{
	size_t i;

	for (i = 0; v[i] != '\0' && i + 1 < len; i++)
		buf[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	buf[i] = '\0';
	return buf;
}

/* A name from the config must be a plain name inside the data dir (no
 * '/', not empty, not "." or "..") that fits on a journal line with room
 * for ".old" and a timestamp; returns 0 or -1. */
int
restore_check_name(const char *kind, const char *file, const char *what,
    const char *v, char *errstr)
{
	char p[NAME_MAX + 1];

	if (*v == '\0' || strcmp(v, ".") == 0 || strcmp(v, "..") == 0 ||
	    strchr(v, '/') != NULL || strpbrk(v, "\t\n\r") != NULL)
		return errstr_set(errstr, "%s %s: %s '%s': not a plain file "
		    "name", kind, file, what, printable(v, p, sizeof(p)));
	if (strlen(v) >= NAME_MAX - 40)
		return errstr_set(errstr, "%s %s: %s '%.32s...': name too "
		    "long", kind, file, what, printable(v, p, sizeof(p)));
	return 0;
}

/* Refuses a path with a symlink among its components (as written) that
 * is neither root's nor ours: the redis user could point it anywhere, or
 * swap it later.  Returns 0 or -1. */
static int
check_links(const char *what, const char *path, char *errstr)
{
	char p[PATH_MAX];
	struct stat st;
	size_t i, n = strlen(path);

	if (n >= sizeof(p))
		return errstr_set(errstr, "%s %s: path too long", what, path);
	for (i = 1; i <= n; i++) {
		if (i < n && path[i] != '/')
			continue;
		memcpy(p, path, i);
		p[i] = '\0';
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode) &&
		    st.st_uid != 0 && st.st_uid != geteuid())
			return errstr_set(errstr, "%s %s: %s is a symlink owned "
			    "by uid %ld: not followed", what, path, p,
			    (long)st.st_uid);
	}
	return 0;
}

int
restore_load_conf(struct restore *in, const char *path, char *errstr)
{
	const struct conf_line *l;
	struct conf c;
	char e[ERRSTR_LEN];
	const char *v, *bind;
	static char sock[PATH_MAX], host[64], pidfile[PATH_MAX];
	int i, rc = -1;

	if (conf_load(&c, path, e) < 0)
		return errstr_set(errstr, "config %s", e);
	if (realpath(path, in->conf) == NULL) {
		errstr_sys(errstr, "config %s", path);
		goto out;
	}
	/* Redis resolves a relative dir against its working directory; the
	 * server is assumed to be started from the same one as we are. */
	v = conf_get(&c, "dir", ".");
	if (check_links("dir", v, errstr) < 0)
		goto out;
	if (realpath(v, in->dir) == NULL) {
		errstr_sys(errstr, "dir %s", v);
		goto out;
	}
	if (strlen(in->dir) >= PATH_MAX - 64 || strpbrk(in->dir, "\t\n")) {
		errstr_set(errstr, "dir %s: unusable path", in->dir);
		goto out;
	}
	if (restore_check_name("config", in->conf, "dbfilename", conf_get(&c,
	    "dbfilename", "dump.rdb"), errstr) < 0 ||
	    restore_check_name("config", in->conf, "appenddirname", conf_get(&c,
	    "appenddirname", "appendonlydir"), errstr) < 0 ||
	    restore_check_name("config", in->conf, "appendfilename", conf_get(&c,
	    "appendfilename", "appendonly.aof"), errstr) < 0)
		goto out;
	snprintf(in->dbfilename, sizeof(in->dbfilename), "%s",
	    conf_get(&c, "dbfilename", "dump.rdb"));
	snprintf(in->aofdir, sizeof(in->aofdir), "%s",
	    conf_get(&c, "appenddirname", "appendonlydir"));
	snprintf(in->aoffile, sizeof(in->aoffile), "%s",
	    conf_get(&c, "appendfilename", "appendonly.aof"));
	in->aof = strcasecmp(conf_get(&c, "appendonly", "no"), "yes") == 0;

	/* How to reach it: the socket first, else the first bind address
	 * (a wildcard means loopback) and the port. */
	memset(&in->srv, 0, sizeof(in->srv));
	in->srv.conf = in->conf;
	if ((v = conf_get(&c, "unixsocket", NULL)) != NULL && *v) {
		if (*v == '/')
			snprintf(sock, sizeof(sock), "%s", v);
		else
			snprintf(sock, sizeof(sock), "%s/%s", in->dir, v);
		in->srv.sock = sock;
	}
	in->srv.port = atoi(conf_get(&c, "port", "6379"));
	in->srv.tls_port = atoi(conf_get(&c, "tls-port", "0"));
	bind = "127.0.0.1";
	if ((l = conf_last(&c, "bind")) != NULL && l->argc > 1) {
		bind = l->argv[1] + (l->argv[1][0] == '-');
		if (strcmp(bind, "*") == 0 || strcmp(bind, "0.0.0.0") == 0)
			bind = "127.0.0.1";
		else if (strcmp(bind, "::*") == 0 || strcmp(bind, "::") == 0)
			bind = "::1";
	}
	snprintf(host, sizeof(host), "%s", bind);
	in->srv.host = host;
	if (in->srv.sock == NULL && in->srv.port == 0 &&
	    in->srv.tls_port == 0) {
		errstr_set(errstr, "config %s: neither unixsocket nor a port "
		    "to reach the server", in->conf);
		goto out;
	}
	if ((v = conf_get(&c, "pidfile", NULL)) != NULL && *v)
		snprintf(pidfile, sizeof(pidfile), "%s", v);
	else if (strcasecmp(conf_get(&c, "daemonize", "no"), "yes") == 0)
		snprintf(pidfile, sizeof(pidfile), "/var/run/redis.pid");
	else
		pidfile[0] = '\0';
	in->srv.pidfile = pidfile[0] ? pidfile : NULL;

	/* The password: requirepass, or the default user's ">password". */
	secret_free_str((char *)in->srv.pass);
	in->srv.pass = NULL;
	if ((v = conf_get(&c, "requirepass", NULL)) != NULL && *v)
		in->srv.pass = strdup(v);
	for (l = NULL, i = (int)c.n - 1; in->srv.pass == NULL && i >= 0; i--) {
		int k;

		l = &c.v[i];
		if (strcasecmp(l->argv[0], "user") != 0 || l->argc < 2 ||
		    strcmp(l->argv[1], "default") != 0)
			continue;
		for (k = l->argc - 1; k >= 2; k--)
			if (l->argv[k][0] == '>') {
				in->srv.pass = strdup(l->argv[k] + 1);
				break;
			}
	}
	in->staged[0] = '\0';
	rc = 0;
out:
	conf_free(&c);
	return rc;
}

/* Opens path (absolute, its symlinks resolved by realpath) one component
 * at a time with O_NOFOLLOW, so that a component swapped for a symlink
 * since is refused; returns the directory's fd, or -1 with errno. */
static int
open_dir_nofollow(const char *path)
{
	char buf[PATH_MAX], *p, *next;
	int fd, nfd, saved;

	if (path[0] != '/' || strlen(path) >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, path, strlen(path) + 1);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (p = buf + 1; fd >= 0 && *p != '\0'; p = next) {
		next = strchrnul(p, '/');
		if (*next != '\0')
			*next++ = '\0';
		if (*p == '\0')
			continue;
		nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		saved = errno;
		close(fd);
		errno = saved;
		fd = nfd;
	}
	return fd;
}

static void
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %ld", (long)uid);
}

int
restore_open(struct restore *in, char *errstr)
{
	char have[64], want[64];
	struct stat st;

	if ((in->dfd = open_dir_nofollow(in->dir)) < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return errstr_set(errstr, "data dir %s: a symlink in "
			    "its path (changed while being opened?)", in->dir);
		return errstr_sys(errstr, "data dir %s", in->dir);
	}
	if (fstat(in->dfd, &st) < 0)
		return errstr_sys(errstr, "data dir %s", in->dir);
	/* Root works here only for the user the server runs as: a dir of
	 * anyone else's (dir /etc in a config the redis user rewrote) is
	 * not Redis's to restore into. */
	if (st.st_uid != in->uid) {
		user_name(st.st_uid, have, sizeof(have));
		user_name(in->uid, want, sizeof(want));
		return errstr_set(errstr, "data dir %s: owned by %s, not by "
		    "%s, the user the server runs as (see --owner)", in->dir,
		    have, want);
	}
	if (st.st_mode & S_IWOTH)
		return errstr_set(errstr, "data dir %s: writable by others "
		    "(mode %03o)", in->dir, (unsigned)(st.st_mode & 0777));
	in->dst = st;
	if (journal_open(&in->j, in->statedir, in->dfd, in->dir, &st,
	    errstr) < 0)
		return -1;
	in->legacy_journal = fstatat(in->dfd, LEGACY_JOURNAL, &st,
	    AT_SYMLINK_NOFOLLOW) == 0;
	return in->j.text != NULL;
}

int
restore_probe(struct restore *in, char *errstr)
{
	char *info, e[ERRSTR_LEN];
	int r;

	r = control_reachable(&in->srv, e);
	in->was_up = r > 0;
	if (r < 0)
		return errstr_set(errstr, "%s", e);
	/* A server that will not answer INFO (no password, a wrong one)
	 * would not answer SHUTDOWN either: stop here, before staging. */
	if (r > 0) {
		if (control_info(&in->srv, "server", &info, errstr) < 0)
			return -1;
		if (rdbver_from_info(info, &in->target) < 0)
			in->target.version[0] = '\0';
		if (redis_info_field(info, "executable", in->executable,
		    sizeof(in->executable)) < 0)
			in->executable[0] = '\0';
		free(info);
	}
	if (in->target.version[0] == '\0') {
		char line[256];

		if (control_binary_version(line, sizeof(line), errstr) < 0)
			return -1;
		if (rdbver_from_version_line(line, &in->target) < 0)
			return errstr_set(errstr, "redis-server --version: no "
			    "version in '%s'", line);
	}
	return 0;
}

/* The sink staging writes through: the RDB check first, then the file. */
struct stage_sink {
	struct rdb_check	 chk;
	struct io_fdsink	 out;
};

static int
stage_sink(void *arg, const void *buf, size_t len, char *errstr)
{
	struct stage_sink *s = arg;

	if (rdb_check_feed(&s->chk, buf, len) < 0)
		return errstr_set(errstr, "%s", s->chk.errstr);
	if (s->out.fd < 0)
		return 0;
	return io_sink_fd(&s->out, buf, len, errstr);
}

/* Checks the stream's end and its version against what the server loads. */
static int
check_end(struct restore *in, struct stage_sink *s, const char *name,
    char *errstr)
{
	char e[ERRSTR_LEN];

	if (rdb_check_end(&s->chk) < 0)
		return errstr_set(errstr, "%s: %s", name, s->chk.errstr);
	/* A restore is checked before the stop, or not done. */
	if (s->chk.passthru)
		return errstr_set(errstr, "%s: a Valkey compressed stream (VCS "
		    "envelope): rdb-install cannot check what is inside, so it "
		    "does not install it", name);
	/* The target decides: Redis or Valkey, its release. */
	if (rdbver_check(&in->target, s->chk.version, s->chk.valkey, e) < 0)
		return errstr_set(errstr, "%s: %s", name, e);
	in->crc_only = s->chk.crc_only;
	rdb_warning_copy(&s->chk, in->rdb_warn, sizeof(in->rdb_warn));
	in->keys = s->chk.keys;
	in->rdb_version = s->chk.version;
	return 0;
}

int
restore_check_only(struct restore *in, int fd, const char *name,
    char *errstr)
{
	static struct stage_sink s;
	char e[ERRSTR_LEN];

	rdb_check_init(&s.chk, 0);
	s.out.fd = -1;
	if (io_pump(fd, name, stage_sink, &s, NULL, e) < 0)
		return errstr_set(errstr, "%s: %s", name, e);
	return check_end(in, &s, name, errstr);
}

/*
 * The checker that belongs to the target server (tool "check-rdb" or
 * "check-aof"): --check-rdb for the first, else redis-TOOL (valkey-TOOL)
 * beside the binary the server runs
 * from (INFO's executable, when it names one that exists: Redis makes it
 * from argv[0] and its cwd), else beside the redis-server on PATH that the
 * default start would run.  Not the first one on PATH: that may be
 * another release, which judges another format.
 */
void
restore_checker_path(const struct restore *in, const char *kind, char *buf,
    size_t len)
{
	const char *env, *slash;
	char tool[32];
	size_t n;

	snprintf(tool, sizeof(tool), "%s-%s", in->target.valkey ? "valkey" :
	    "redis", kind);
	if (in->check_rdb != NULL && strcmp(kind, "check-rdb") == 0) {
		snprintf(buf, len, "%s", in->check_rdb);
		return;
	}
	if (in->executable[0] == '/' &&
	    (slash = strrchr(in->executable, '/')) != NULL) {
		snprintf(buf, len, "%.*s/%s", (int)(slash - in->executable),
		    in->executable, tool);
		if (access(buf, X_OK) == 0)
			return;
	}
	/* The PATH entry holding redis-server. */
	for (env = getenv("PATH"); env != NULL && *env != '\0';
	    env += n + (env[n] == ':')) {
		n = strcspn(env, ":");
		if (n == 0)
			continue;
		snprintf(buf, len, "%.*s/redis-server", (int)n, env);
		if (access(buf, X_OK) < 0)
			continue;
		snprintf(buf, len, "%.*s/%s", (int)n, env, tool);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "%s", tool);
}

int
restore_run_checker(struct restore *in, const char *tool, const char *path,
    char *out, size_t outlen, int *status, char *errstr)
{
	const char *argv[] = { tool, path, NULL };
	const char *base = strrchr(tool, '/') != NULL ? strrchr(tool, '/') + 1 :
	    tool;
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int fd[2];

	say(in, "checking with %s", tool);
	if (pipe2(fd, O_CLOEXEC) < 0)
		return errstr_sys(errstr, "%s", base);
	if ((pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return errstr_sys(errstr, "%s", base);
	}
	if (pid == 0) {
		sigset_t set;

		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		closefrom(3);
		/* A parser of hostile input runs as the server's user. */
		if (control_drop(&in->srv) < 0) {
			static const char msg[] = "cannot drop privileges\n";

			(void)!write(2, msg, sizeof(msg) - 1);
			_exit(126);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	/* Keep the first outlen - 1 bytes; the verdict comes early. */
	for (;;) {
		n = read(fd[0], out + got, got < outlen - 1 ?
		    outlen - 1 - got : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 && got >= outlen - 1) {
				char sink[4096];

				while (read(fd[0], sink, sizeof(sink)) > 0)
					;
			}
			break;
		}
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd[0]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return errstr_sys(errstr, "%s", base);
	return 0;
}

/* Runs redis-check-rdb on the staged file; its verdict is the line after
 * "--- RDB ERROR DETECTED ---".  Returns 0 (also when it is not
 * installed), or -1. */
static int
check_rdb_tool(struct restore *in, char *errstr)
{
	static char out[65536];
	char path[PATH_MAX], tool[PATH_MAX];
	char *p, *q;
	int st;

	restore_path_in(in, in->staged, path, sizeof(path));
	restore_checker_path(in, "check-rdb", tool, sizeof(tool));
	if (restore_run_checker(in, tool, path, out, sizeof(out), &st,
	    errstr) < 0)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		say(in, "%s is not installed: skipped", tool);
		return 0;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if ((p = strstr(out, "--- RDB ERROR DETECTED ---\n")) != NULL) {
		p += strlen("--- RDB ERROR DETECTED ---\n");
		if ((q = strchr(p, '\n')) != NULL)
			*q = '\0';
		return errstr_set(errstr, "redis-check-rdb rejects the "
		    "snapshot: %s", p);
	}
	return errstr_set(errstr, "redis-check-rdb rejects the snapshot "
	    "(status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

void
restore_unlink_staged(struct restore *in)
{
	if (in->dfd >= 0 && in->staged[0] != '\0')
		unlinkat(in->dfd, in->staged, 0);
}

int
restore_clean_stale(struct restore *in, char *errstr)
{
	char copy[JOURNAL_KEY_LEN + 8];
	struct dirent *d;
	DIR *dp;
	int fd;

	/* Staging files and dirs of runs killed before their journal was
	 * written (a dir is removed without following a link in it). */
	if ((fd = openat(in->dfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 || (dp = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return errstr_sys(errstr, "%s", in->dir);
	}
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, STAGED_PREFIX,
		    strlen(STAGED_PREFIX)) != 0)
			continue;
		if (restore_rm_at(in->dfd, d->d_name, 0, errstr) < 0) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	snprintf(copy, sizeof(copy), "%s.conf", in->j.key);
	if (unlinkat(in->j.sdfd, copy, 0) < 0 && errno != ENOENT)
		return errstr_sys(errstr, "remove %s", copy);
	return 0;
}

int
restore_stage(struct restore *in, int fd, const char *name, uint64_t insize,
    struct progress *pr, char *errstr)
{
	static struct stage_sink s;
	static char staged[PATH_MAX];
	char e[ERRSTR_LEN], a[32], b[32];
	uint64_t avail, need;

	/* With AOF on, the rewrite writes the dataset once more. */
	need = insize * (in->aof ? 2 : 1);
	if (insize > 0 && io_free_space(in->dir, &avail) == 0 &&
	    avail < need) {
		progress_fmt_bytes(a, sizeof(a), avail);
		progress_fmt_bytes(b, sizeof(b), need);
		return errstr_set(errstr, "free space: %s has %s, the restore "
		    "needs %s", in->dir, a, b);
	}
	rdb_check_init(&s.chk, 0);
	s.out.fd = io_create_tmp(in->dfd, STAGED_PREFIX, 0600, in->staged,
	    sizeof(in->staged));
	restore_path_in(in, in->staged, staged, sizeof(staged));
	s.out.name = staged;
	if (s.out.fd < 0) {
		in->staged[0] = '\0';
		return errstr_sys(errstr, "stage in %s", in->dir);
	}
	/* The server's user owns it from the start: redis-check-rdb runs
	 * as that user and must read it. */
	if (in->do_chown && fchown(s.out.fd, in->uid, in->gid) < 0) {
		errstr_sys(errstr, "chown %s", staged);
		goto fail;
	}
	if (io_pump(fd, name, stage_sink, &s, pr, e) < 0) {
		errstr_set(errstr, "%s: %s", name, e);
		goto fail;
	}
	if (fsync(s.out.fd) < 0) {
		errstr_sys(errstr, "fsync %s", staged);
		goto fail;
	}
	if (close(s.out.fd) < 0) {
		s.out.fd = -1;
		errstr_sys(errstr, "close %s", staged);
		goto fail;
	}
	s.out.fd = -1;
	if (check_end(in, &s, name, errstr) < 0 ||
	    check_rdb_tool(in, errstr) < 0)
		goto fail;
	return 0;
fail:
	if (s.out.fd >= 0)
		close(s.out.fd);
	restore_unlink_staged(in);
	return -1;
}

/* ---- the journal's plan ---- */

static int
jget(struct restore *in, const char *key, char *val, size_t len,
    char *errstr)
{
	if (journal_get(&in->j, key, val, len) < 0)
		return errstr_set(errstr, "%s: no '%s' in the journal",
		    in->j.path, key);
	return 0;
}

/* The test hook: RDB_INSTALL_CRASH_AT=STEP makes the run die by SIGKILL
 * right after journaling STEP, before taking it, as a power cut would;
 * "finished" dies once the journal is gone, before the process ends. */
static void
crash_hook(const char *step)
{
	const char *at = getenv("RDB_INSTALL_CRASH_AT");

	if (at != NULL && strcmp(at, step) == 0)
		raise(SIGKILL);
}

static int
record_step(struct restore *in, enum step s, char *errstr)
{
	snprintf(in->failed_step, sizeof(in->failed_step), "%s",
	    step_names[s]);
	if (journal_add(&in->j, "step", step_names[s], errstr) < 0)
		return -1;
	say(in, "step: %s", step_names[s]);
	crash_hook(step_names[s]);
	return 0;
}

/* Whether the config is edited: with AOF on for an RDB (appendonly no
 * for the first start), with AOF off for an AOF dir (appendonly yes for
 * the start that loads it). */
static int
edits_conf(const struct restore *in)
{
	return in->aofin ? !in->aof : in->aof;
}

/* Saves the file holding the winning appendonly line, for a byte-exact
 * restore; returns 0 or -1. */
static int
save_conf(struct restore *in, char *edit, char *copy, size_t copylen,
    char *errstr)
{
	const struct conf_line *l;
	struct conf c;
	char *buf, tmp[JOURNAL_KEY_LEN + 32];
	size_t len;
	int fd, rc;

	if (conf_load(&c, in->conf, errstr) < 0)
		return -1;
	l = conf_last(&c, "appendonly");
	if (l == NULL) {
		conf_free(&c);
		return errstr_set(errstr, "config %s: no appendonly line",
		    in->conf);
	}
	if (realpath(l->file, edit) == NULL) {
		rc = errstr_sys(errstr, "%s", l->file);
		conf_free(&c);
		return rc;
	}
	conf_free(&c);
	/* Read as it will be replaced: never through the redis user's link
	 * (the copy is written back to the config, which that user reads). */
	if (conf_slurp_edit(edit, &buf, &len, errstr) < 0)
		return -1;
	/* The copy is kept in the state dir, where only we write. */
	snprintf(copy, copylen, "%s.conf", in->j.key);
	snprintf(tmp, sizeof(tmp), ".%s.", copy);
	fd = io_create_tmp(in->j.sdfd, tmp, 0600, tmp, sizeof(tmp));
	rc = fd < 0 || io_writeall(fd, buf, len) < 0 || fsync(fd) < 0 ?
	    errstr_sys(errstr, "save a copy of %s", edit) : 0;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && renameat(in->j.sdfd, tmp, in->j.sdfd, copy) < 0)
		rc = errstr_sys(errstr, "save a copy of %s", edit);
	if (rc < 0 && fd >= 0)
		unlinkat(in->j.sdfd, tmp, 0);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

static int
write_plan(struct restore *in, char *errstr)
{
	char text[4 * PATH_MAX + 1024], edit[PATH_MAX] = "";
	char copy[JOURNAL_KEY_LEN + 8] = "", aofline[64] = "";
	int n;

	if (edits_conf(in) && save_conf(in, edit, copy, sizeof(copy),
	    errstr) < 0)
		return -1;
	if (in->aofin)
		snprintf(aofline, sizeof(aofline), "aofinput %ju %ju\n",
		    (uintmax_t)in->aof_base_size,
		    (uintmax_t)in->aof_total_size);
	if (strpbrk(edit, "\n") != NULL)
		return errstr_set(errstr, "config %s: unusable path", edit);
	/* An AOF dir's journal is version 3: an rdb-install that would
	 * take it for an RDB restore refuses it. */
	n = snprintf(text, sizeof(text),
	    "rdb-install %d\n"
	    "conf %s\n"
	    "dir %s\n"
	    "dirid %ju %ju\n"
	    "dbfilename %s\n"
	    "aof %d\n"
	    "aofdir %s\n"
	    "aoffile %s\n"
	    "staged %s\n"
	    "keys %llu\n"
	    "rdb_version %d\n"
	    "was_up %d\n"
	    "chown %d %ld %ld\n"
	    "edit %s\n"
	    "confcopy %s\n"
	    "%s"
	    "step staged\n",
	    in->aofin ? 3 : 2, in->conf, in->dir, (uintmax_t)in->dst.st_dev,
	    (uintmax_t)in->dst.st_ino, in->dbfilename, in->aof, in->aofdir,
	    in->aoffile, in->staged, (unsigned long long)in->keys,
	    in->rdb_version, in->was_up, in->do_chown, (long)in->uid,
	    (long)in->gid, edits_conf(in) ? edit : "-",
	    edits_conf(in) ? copy : "-", aofline);
	if (n < 0 || (size_t)n >= sizeof(text))
		return errstr_set(errstr, "journal: paths too long");
	return journal_create(&in->j, text, errstr);
}

/* Takes the settings back from the journal of an interrupted run. */
/* A journal that does not hold up: what is wrong, and what to do. */
static int
bad_journal(struct restore *in, const char *what, char *errstr)
{
	return errstr_set(errstr, "journal %s: %s: move it away, check %s by "
	    "hand, then run rdb-install again", in->j.path, what, in->dir);
}

/* Takes the settings back from the journal of an interrupted run, each
 * value checked against what it may be. */
static int
read_plan(struct restore *in, char *errstr)
{
	char v[PATH_MAX], stage[NAME_MAX + 1];
	uintmax_t dev, ino;
	long uid, gid;
	int do_chown;

	if (jget(in, "rdb-install", v, sizeof(v), errstr) < 0)
		return -1;
	if (strcmp(v, "2") != 0 && strcmp(v, "3") != 0)
		return bad_journal(in, "unknown version", errstr);
	in->aofin = strcmp(v, "3") == 0;
	if (in->aofin) {
		uintmax_t bs, ts;

		if (jget(in, "aofinput", v, sizeof(v), errstr) < 0)
			return -1;
		if (sscanf(v, "%ju %ju", &bs, &ts) != 2 || bs > ts)
			return bad_journal(in, "bad aofinput line", errstr);
		in->aof_base_size = bs;
		in->aof_total_size = ts;
	}
	if (jget(in, "dir", v, sizeof(v), errstr) < 0)
		return -1;
	if (strcmp(v, in->dir) != 0)
		return bad_journal(in, "another data dir", errstr);
	if (jget(in, "dirid", v, sizeof(v), errstr) < 0)
		return -1;
	if (sscanf(v, "%ju %ju", &dev, &ino) != 2 ||
	    dev != (uintmax_t)in->dst.st_dev || ino != (uintmax_t)in->dst.st_ino)
		return bad_journal(in, "the data dir is not the same one",
		    errstr);
	if (jget(in, "dbfilename", in->dbfilename, sizeof(in->dbfilename),
	    errstr) < 0 || jget(in, "aofdir", in->aofdir,
	    sizeof(in->aofdir), errstr) < 0 || jget(in, "aoffile",
	    in->aoffile, sizeof(in->aoffile), errstr) < 0 ||
	    jget(in, "staged", stage, sizeof(stage), errstr) < 0 ||
	    jget(in, "aof", v, sizeof(v), errstr) < 0)
		return -1;
	if (restore_check_name("journal", in->j.path, "dbfilename", in->dbfilename,
	    errstr) < 0 || restore_check_name("journal", in->j.path, "aofdir",
	    in->aofdir, errstr) < 0 || restore_check_name("journal", in->j.path,
	    "aoffile", in->aoffile, errstr) < 0 || restore_check_name("journal",
	    in->j.path, "staged", stage, errstr) < 0)
		return -1;
	if (strncmp(stage, STAGED_PREFIX, strlen(STAGED_PREFIX)) != 0)
		return bad_journal(in, "a staging file not of ours", errstr);
	memcpy(in->staged, stage, sizeof(in->staged));
	in->aof = atoi(v) != 0;
	if (jget(in, "keys", v, sizeof(v), errstr) < 0)
		return -1;
	in->keys = strtoull(v, NULL, 10);
	if (jget(in, "was_up", v, sizeof(v), errstr) < 0)
		return -1;
	in->was_up = atoi(v) != 0;
	if (jget(in, "chown", v, sizeof(v), errstr) < 0 ||
	    sscanf(v, "%d %ld %ld", &do_chown, &uid, &gid) != 3)
		return bad_journal(in, "bad chown line", errstr);
	/* Files go to the data dir's owner and to no one else. */
	if (do_chown && ((uid_t)uid != in->dst.st_uid ||
	    ((gid_t)gid != in->dst.st_gid && (gid_t)gid != in->gid)))
		return bad_journal(in, "an owner that is not the data dir's",
		    errstr);
	in->do_chown = do_chown != 0;
	in->uid = (uid_t)uid;
	in->gid = (gid_t)gid;
	return 0;
}

static enum step
last_step(struct restore *in)
{
	char v[64];
	int i;

	if (journal_get(&in->j, "step", v, sizeof(v)) < 0)
		return S_NONE;
	for (i = 0; i <= S_VERIFY; i++)
		if (strcmp(v, step_names[i]) == 0)
			return (enum step)i;
	return S_NONE;
}

/* ---- the steps ---- */

static int
do_stop(struct restore *in, char *errstr)
{
	int r = control_reachable(&in->srv, errstr);

	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	return control_stop(&in->srv, errstr);
}

static int
set_appendonly(struct restore *in, const char *value, char *errstr)
{
	const struct conf_line *l;
	struct conf c;
	char text[32];
	int rc = 0;

	if (conf_load(&c, in->conf, errstr) < 0)
		return -1;
	l = conf_last(&c, "appendonly");
	if (l != NULL && !(l->argc == 2 && strcasecmp(l->argv[1], value) ==
	    0)) {
		snprintf(text, sizeof(text), "appendonly %s", value);
		rc = conf_edit_line(l, text, errstr);
	}
	conf_free(&c);
	return rc;
}

/* A unique timestamped name for an older .old that must be kept. */
static void
stamp_name(const struct restore *in, const char *old, char *out, size_t len)
{
	char ts[32];
	struct tm tm;
	time_t t = time(NULL);
	int i;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, len, "%s.%s", old, ts);
	for (i = 1; exists(in, out); i++)
		if (snprintf(out, len, "%s.%s.%d", old, ts, i) >= (int)len)
			break;
}

/* Plans the renames, each journaled as "move KIND<TAB>SRC<TAB>DST" before
 * any is made: an older .old goes to a timestamped name (kind mv), the dump
 * gets a hard link as .old (kind ln, so dbfilename is never missing), the
 * AOF dir and a legacy single-file AOF are renamed to .old (mv). */
static int
plan_moves(struct restore *in, char *errstr)
{
	const char *names[3] = { in->dbfilename, in->aofdir, in->aoffile };
	char src[NAME_MAX + 1], old[NAME_MAX + 8], ts[NAME_MAX + 48];
	static char lines[8 * (NAME_MAX * 2 + 64)];
	size_t n = 0;
	int i;

	if (journal_get(&in->j, "moves", src, sizeof(src)) == 0)
		return 0;
	/* One write and one fsync for the whole plan. */
	for (i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "%s", names[i]);
		if (!exists(in, src))
			continue;
		snprintf(old, sizeof(old), "%s.old", src);
		if (exists(in, old)) {
			stamp_name(in, old, ts, sizeof(ts));
			n += (size_t)snprintf(lines + n, sizeof(lines) - n,
			    "move mv\t%s\t%s\n", old, ts);
		}
		n += (size_t)snprintf(lines + n, sizeof(lines) - n,
		    "move %s\t%s\t%s\n", i == 0 ? "ln" : "mv", src, old);
	}
	snprintf(lines + n, sizeof(lines) - n, "moves planned\n");
	return journal_append(&in->j, lines, errstr);
}

/* Splits "KIND<TAB>SRC<TAB>DST"; returns 1 for a link, 0 for a rename,
 * -1 for a bad line. */
static int
split_move(char *v, char **src, char **dst)
{
	char *t1 = strchr(v, '\t'), *t2;

	if (t1 == NULL || (t2 = strchr(t1 + 1, '\t')) == NULL)
		return -1;
	*t1 = *t2 = '\0';
	*src = t1 + 1;
	*dst = t2 + 1;
	/* Plain names in the data dir, nothing else. */
	if (restore_check_name("", "", "", *src, NULL) < 0 ||
	    restore_check_name("", "", "", *dst, NULL) < 0)
		return -1;
	return strcmp(v, "ln") == 0;
}

static int
do_move(struct restore *in, char *errstr)
{
	char v[NAME_MAX * 2 + 60], *src, *dst;
	const char *pos = NULL;
	int ln;

	if (plan_moves(in, errstr) < 0)
		return -1;
	/* Each move checks what is done already: taken again after a
	 * crash, it skips those. */
	while (journal_next(&in->j, "move", &pos, v, sizeof(v)) == 0) {
		if ((ln = split_move(v, &src, &dst)) < 0)
			return errstr_set(errstr, "journal: bad move line");
		if (exists(in, dst)) {
			if (ln || !exists(in, src))
				continue;
			return errstr_set(errstr, "rename %s/%s: %s exists",
			    in->dir, src, dst);
		}
		if (!exists(in, src))
			continue;
		/* linkat without AT_SYMLINK_FOLLOW links a symlink itself;
		 * renameat never follows one. */
		if (ln ? linkat(in->dfd, src, in->dfd, dst, 0) :
		    renameat(in->dfd, src, in->dfd, dst))
			return errstr_sys(errstr, "%s %s/%s to %s", ln ?
			    "link" : "rename", in->dir, src, dst);
		say(in, "%s -> %s", src, dst);
	}
	if (fsync(in->dfd) < 0)
		return errstr_sys(errstr, "fsync %s", in->dir);
	return 0;
}

static int
do_install(struct restore *in, char *errstr)
{
	char staged[PATH_MAX], dump[PATH_MAX];
	struct stat st;
	int fd;

	restore_path_in(in, in->staged, staged, sizeof(staged));
	restore_path_in(in, in->dbfilename, dump, sizeof(dump));
	if (exists(in, in->staged)) {
		/* Through the fd: a symlink put there since is refused. */
		fd = openat(in->dfd, in->staged, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			if (fd >= 0)
				close(fd);
			return errstr_set(errstr, "%s: not the staged file "
			    "any more", staged);
		}
		if (in->do_chown && fchown(fd, in->uid, in->gid) < 0) {
			close(fd);
			return errstr_sys(errstr, "chown %s", staged);
		}
		close(fd);
		if (renameat(in->dfd, in->staged, in->dfd, in->dbfilename) < 0)
			return errstr_sys(errstr, "rename %s to %s", staged,
			    dump);
		if (fsync(in->dfd) < 0)
			return errstr_sys(errstr, "fsync %s", in->dir);
		say(in, "%s -> %s", staged, dump);
	} else if (!exists(in, in->dbfilename))
		return errstr_set(errstr, "%s: the staged snapshot is gone",
		    staged);
	return 0;
}

/* Checks what the server loaded against the snapshot: every key either
 * loaded or dropped as already expired. */
static int
check_loaded(struct restore *in, char *errstr)
{
	char *info, val[32];
	uint64_t loaded = 0, expired = 0, now_keys, ttl;

	if (control_info(&in->srv, "persistence", &info, errstr) < 0)
		return -1;
	if (redis_info_field(info, "rdb_last_load_keys_loaded", val,
	    sizeof(val)) == 0)
		loaded = strtoull(val, NULL, 10);
	if (redis_info_field(info, "rdb_last_load_keys_expired", val,
	    sizeof(val)) == 0)
		expired = strtoull(val, NULL, 10);
	free(info);
	if (control_info(&in->srv, "keyspace", &info, errstr) < 0)
		return -1;
	now_keys = control_info_sum(info, "keys");
	ttl = control_info_sum(info, "expires");
	free(info);
	/* A layout only CRC-checked gave no key count: the server's own is
	 * all there is. */
	if (in->crc_only)
		in->keys = loaded + expired;
	if (loaded + expired != in->keys || now_keys > loaded)
		return errstr_set(errstr, "the server loaded %llu keys (%llu "
		    "expired), the snapshot holds %llu",
		    (unsigned long long)loaded, (unsigned long long)expired,
		    (unsigned long long)in->keys);
	/* The final check allows for the keys with a TTL to expire. */
	snprintf(val, sizeof(val), "%llu %llu", (unsigned long long)now_keys,
	    (unsigned long long)ttl);
	return journal_add(&in->j, "loaded", val, errstr);
}

static int chown_tree(struct restore *, const char *, char *);

/* Sleeps before the next poll of a wait (5 ms, doubling to 160 ms);
 * returns -1, without sleeping, once deadline has passed. */
static int
poll_wait(struct timespec *ts, time_t deadline)
{
	if (time(NULL) > deadline)
		return -1;
	nanosleep(ts, NULL);
	if (ts->tv_nsec < 100000000L)
		ts->tv_nsec *= 2;
	return 0;
}

/* Reads the u64 fields of INFO persistence named in names (a NULL-ended
 * list) into v; returns 0 or -1. */
static int
persistence_u64(struct restore *in, const char **names, uint64_t *v,
    char *errstr)
{
	char *info;
	int i;

	if (control_info(&in->srv, "persistence", &info, errstr) < 0)
		return -1;
	for (i = 0; names[i] != NULL; i++)
		if (redis_info_u64(info, names[i], &v[i]) < 0) {
			free(info);
			return errstr_set(errstr, "INFO persistence: no %s "
			    "(Redis 7.0 or newer is needed for an AOF dir)",
			    names[i]);
		}
	free(info);
	return 0;
}

/*
 * Checks that the server loaded the installed AOF dir: the AOF is on, the
 * base's keys were all loaded (or dropped as expired), and the server's
 * AOF is the installed one: its base of the installed base's size (until
 * a rewrite replaces it) and at least all the installed bytes.  What the
 * incr files' commands did to the keyspace is Redis's to replay; the key
 * count it gives is recorded for the final check.
 */
static int
check_loaded_aof(struct restore *in, char *errstr)
{
	static const char *names[] = { "aof_enabled",
	    "rdb_last_load_keys_loaded", "rdb_last_load_keys_expired",
	    "aof_rewrites", "aof_base_size", "aof_current_size", NULL };
	uint64_t v[6], now_keys, ttl;
	char *info, val[64];

	if (persistence_u64(in, names, v, errstr) < 0)
		return -1;
	if (v[0] != 1)
		return errstr_set(errstr, "the server did not turn the AOF on "
		    "(aof_enabled:0)");
	if (in->crc_only)
		in->keys = v[1] + v[2];
	if (v[1] + v[2] != in->keys)
		return errstr_set(errstr, "the server loaded %llu keys (%llu "
		    "expired), the AOF's base holds %llu",
		    (unsigned long long)v[1], (unsigned long long)v[2],
		    (unsigned long long)in->keys);
	if ((v[3] == 0 && v[4] != in->aof_base_size) ||
	    v[5] < in->aof_total_size)
		return errstr_set(errstr, "the server's AOF is %llu bytes "
		    "(base %llu), the installed one %llu (base %llu): not "
		    "the one installed", (unsigned long long)v[5],
		    (unsigned long long)v[4],
		    (unsigned long long)in->aof_total_size,
		    (unsigned long long)in->aof_base_size);
	if (control_info(&in->srv, "keyspace", &info, errstr) < 0)
		return -1;
	now_keys = control_info_sum(info, "keys");
	ttl = control_info_sum(info, "expires");
	free(info);
	snprintf(val, sizeof(val), "%llu %llu", (unsigned long long)now_keys,
	    (unsigned long long)ttl);
	return journal_add(&in->j, "loaded", val, errstr);
}

/* BGSAVE SCHEDULE, then waits until a save that began after it has
 * finished well: dump.rdb then holds what the AOF loaded.  (SAVE would
 * block the reply past the connection's timeout on a large dataset.) */
static int
do_save(struct restore *in, char *errstr)
{
	static const char *names[] = { "rdb_saves", "rdb_bgsave_in_progress",
	    NULL };
	const char *argv[] = { "BGSAVE", "SCHEDULE" };
	char *info, status[16];
	uint64_t before[2], v[2];
	struct timespec ts = { 0, 5000000L };
	time_t deadline;

	if (persistence_u64(in, names, before, errstr) < 0 ||
	    control_command(&in->srv, NULL, 0, errstr, 2, argv) < 0)
		return -1;
	deadline = time(NULL) + (time_t)in->srv.timeout + 1;
	for (;;) {
		if (persistence_u64(in, names, v, errstr) < 0)
			return -1;
		if (v[0] > before[0] && v[1] == 0)
			break;
		if (poll_wait(&ts, deadline) < 0)
			return errstr_set(errstr, "the save did not finish in "
			    "%.0f s", in->srv.timeout);
	}
	if (control_info(&in->srv, "persistence", &info, errstr) < 0)
		return -1;
	if (redis_info_field(info, "rdb_last_bgsave_status", status,
	    sizeof(status)) < 0)
		status[0] = '\0';
	free(info);
	if (strcmp(status, "ok") != 0)
		return errstr_set(errstr, "the save failed "
		    "(rdb_last_bgsave_status:%s; see the server's log)", status);
	return 0;
}

/* Renames the staged AOF dir to appenddirname, given to the server's
 * user first; taken again after a crash, it finds it done. */
static int
install_aofdir(struct restore *in, char *errstr)
{
	char staged[PATH_MAX];
	struct stat st;

	restore_path_in(in, in->staged, staged, sizeof(staged));
	if (!exists(in, in->staged)) {
		if (!exists(in, in->aofdir))
			return errstr_set(errstr, "%s: the staged AOF dir is "
			    "gone", staged);
		return 0;
	}
	/* A symlink or a file put there since is not ours. */
	if (fstatat(in->dfd, in->staged, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return errstr_set(errstr, "%s: not the staged AOF dir any "
		    "more", staged);
	if (exists(in, in->aofdir))
		return errstr_set(errstr, "%s/%s: exists (put there since the "
		    "move)", in->dir, in->aofdir);
	if (chown_tree(in, in->staged, errstr) < 0)
		return -1;
	if (renameat(in->dfd, in->staged, in->dfd, in->aofdir) < 0)
		return errstr_sys(errstr, "rename %s to %s/%s", staged,
		    in->dir, in->aofdir);
	if (fsync(in->dfd) < 0)
		return errstr_sys(errstr, "fsync %s", in->dir);
	say(in, "%s -> %s/%s", staged, in->dir, in->aofdir);
	return 0;
}

static int
do_start(struct restore *in, int check, char *errstr)
{
	int r = control_reachable(&in->srv, errstr);

	if (r < 0)
		return -1;
	if (r == 0 && control_start(&in->srv, errstr) < 0)
		return -1;
	if (r > 0 && control_wait_up(&in->srv, errstr) < 0)
		return -1;
	if (!check)
		return 0;
	return in->aofin ? check_loaded_aof(in, errstr) :
	    check_loaded(in, errstr);
}

/* fstatat of name inside the AOF dir, never through a symlink; returns 0
 * or -1. */
static int
stat_in_aofdir(struct restore *in, const char *name, struct stat *st)
{
	int fd, rc;

	fd = openat(in->dfd, in->aofdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW);
	close(fd);
	return rc;
}

/* CONFIG SET appendonly yes, then waits until a rewrite that began after
 * it has finished well and its manifest is on disk. */
static int
do_rewrite(struct restore *in, char *errstr)
{
	const char *argv[] = { "CONFIG", "SET", "appendonly", "yes" };
	char *info, status[16], manifest[NAME_MAX + 16];
	uint64_t before, n, inprog, sched;
	struct timespec ts = { 0, 5000000L };
	struct stat st;
	time_t deadline;

	if (control_info(&in->srv, "persistence", &info, errstr) < 0)
		return -1;
	if (redis_info_u64(info, "aof_rewrites", &before) < 0 ||
	    redis_info_u64(info, "aof_enabled", &n) < 0) {
		free(info);
		return errstr_set(errstr, "INFO persistence: no aof_rewrites "
		    "(Redis 7.0 or newer is needed for AOF on)");
	}
	free(info);
	/* Taken again after a crash, the AOF may be on already: then the
	 * rewrite under way (or done) is the one to wait for. */
	if (n == 1 && before > 0)
		before--;
	else if (control_command(&in->srv, NULL, 0, errstr, 4, argv) < 0)
		return -1;
	if (snprintf(manifest, sizeof(manifest), "%s.manifest",
	    in->aoffile) >= (int)sizeof(manifest))
		return errstr_set(errstr, "%s: name too long", in->aoffile);
	deadline = time(NULL) + (time_t)in->srv.timeout + 1;
	for (;;) {
		if (control_info(&in->srv, "persistence", &info, errstr) < 0)
			return -1;
		if (redis_info_field(info, "aof_last_bgrewrite_status",
		    status, sizeof(status)) < 0 || redis_info_u64(info,
		    "aof_rewrites", &n) < 0 || redis_info_u64(info,
		    "aof_rewrite_in_progress", &inprog) < 0 ||
		    redis_info_u64(info, "aof_rewrite_scheduled", &sched) < 0) {
			free(info);
			return errstr_set(errstr, "INFO persistence: fields "
			    "missing");
		}
		free(info);
		if (strcmp(status, "ok") != 0)
			return errstr_set(errstr, "the AOF rewrite failed "
			    "(aof_last_bgrewrite_status:%s; see the server's "
			    "log)", status);
		if (n > before && inprog == 0 && sched == 0 &&
		    stat_in_aofdir(in, manifest, &st) == 0)
			return 0;
		if (poll_wait(&ts, deadline) < 0)
			return errstr_set(errstr, "the AOF rewrite did not "
			    "finish in %.0f s", in->srv.timeout);
	}
}

static int
do_verify(struct restore *in, char *errstr)
{
	char *info, v[64];
	unsigned long long want, ttl;
	uint64_t have;

	if (control_wait_up(&in->srv, errstr) < 0)
		return -1;
	if (journal_get(&in->j, "loaded", v, sizeof(v)) < 0 ||
	    sscanf(v, "%llu %llu", &want, &ttl) != 2)
		return check_loaded(in, errstr);
	if (control_info(&in->srv, "keyspace", &info, errstr) < 0)
		return -1;
	have = control_info_sum(info, "keys");
	free(info);
	if (have > want || have + ttl < want)
		return errstr_set(errstr, "the server holds %llu keys, the "
		    "snapshot loaded as %llu", (unsigned long long)have,
		    (unsigned long long)want);
	if (in->aofin)
		in->keys = have;
	return 0;
}

/* Gives the AOF dir and what is in it to the server's user: a symlink is
 * chowned itself and never followed, at any level (Redis's AOF dir is
 * flat: an entry that is a dir is chowned, not entered). */
static int
chown_tree(struct restore *in, const char *name, char *errstr)
{
	struct dirent *d;
	DIR *dp;
	int fd;

	if (!in->do_chown || !exists(in, name))
		return 0;
	fd = openat(in->dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno != ELOOP && errno != ENOTDIR)
			return errstr_sys(errstr, "%s/%s", in->dir, name);
		if (fchownat(in->dfd, name, in->uid, in->gid,
		    AT_SYMLINK_NOFOLLOW) < 0)
			return errstr_sys(errstr, "chown %s/%s", in->dir, name);
		return 0;
	}
	if (fchown(fd, in->uid, in->gid) < 0 || (dp = fdopendir(fd)) == NULL) {
		errstr_sys(errstr, "chown %s/%s", in->dir, name);
		close(fd);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fchownat(dirfd(dp), d->d_name, in->uid, in->gid,
		    AT_SYMLINK_NOFOLLOW) < 0) {
			errstr_sys(errstr, "chown %s/%s/%s", in->dir, name,
			    d->d_name);
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	return 0;
}

static int
restore_conf(struct restore *in, char *errstr)
{
	char edit[PATH_MAX], copy[JOURNAL_KEY_LEN + 8], want[sizeof(copy)];
	char *buf;
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (jget(in, "edit", edit, sizeof(edit), errstr) < 0 ||
	    jget(in, "confcopy", copy, sizeof(copy), errstr) < 0)
		return -1;
	if (strcmp(edit, "-") == 0)
		return 0;
	snprintf(want, sizeof(want), "%s.conf", in->j.key);
	if (edit[0] != '/' || strcmp(copy, want) != 0)
		return bad_journal(in, "bad edit or confcopy line", errstr);
	fd = openat(in->j.sdfd, copy, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = errstr_sys(errstr, "the copy of %s", edit);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || st.st_size > 64 * 1024 * 1024) {
		rc = errstr_set(errstr, "the copy of %s: not ours alone",
		    edit);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    (n = io_readfull(fd, buf, (size_t)st.st_size)) < 0) {
		free(buf);
		rc = errstr_sys(errstr, "read the copy of %s", edit);
		goto out;
	}
	rc = conf_replace_file(edit, buf, (size_t)n, errstr);
	explicit_bzero(buf, (size_t)n);
	free(buf);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
finish(struct restore *in, char *errstr)
{
	char copy[JOURNAL_KEY_LEN + 8];

	snprintf(copy, sizeof(copy), "%s.conf", in->j.key);
	if (unlinkat(in->j.sdfd, copy, 0) < 0 && errno != ENOENT)
		return errstr_sys(errstr, "remove the copy %s", copy);
	if (journal_remove(&in->j, errstr) < 0)
		return -1;
	crash_hook("finished");
	return 0;
}

/* The steps of this restore, in order. */
static int
steps_of(const struct restore *in, enum step *out)
{
	static const enum step aof[] = { S_STOP, S_AOF_OFF, S_MOVE,
	    S_INSTALL, S_START, S_REWRITE, S_STOP2, S_AOF_ON, S_RESTART,
	    S_VERIFY };
	static const enum step plain[] = { S_STOP, S_MOVE, S_INSTALL,
	    S_START, S_VERIFY };
	/* An AOF dir: loaded with the AOF on, saved as an RDB too; with the
	 * AOF off in the config, on for that start only, then a restart
	 * from the saved RDB without it. */
	static const enum step aofin_on[] = { S_STOP, S_MOVE, S_INSTALL,
	    S_START, S_SAVE, S_VERIFY };
	static const enum step aofin_off[] = { S_STOP, S_CONF_AOF, S_MOVE,
	    S_INSTALL, S_START, S_SAVE, S_STOP_SAVED, S_CONF_BACK,
	    S_DROP_AOF, S_RESTART, S_VERIFY };

	if (in->aofin && in->aof) {
		memcpy(out, aofin_on, sizeof(aofin_on));
		return (int)(sizeof(aofin_on) / sizeof(aofin_on[0]));
	}
	if (in->aofin) {
		memcpy(out, aofin_off, sizeof(aofin_off));
		return (int)(sizeof(aofin_off) / sizeof(aofin_off[0]));
	}
	if (in->aof) {
		memcpy(out, aof, sizeof(aof));
		return (int)(sizeof(aof) / sizeof(aof[0]));
	}
	memcpy(out, plain, sizeof(plain));
	return (int)(sizeof(plain) / sizeof(plain[0]));
}

static int
take(struct restore *in, enum step s, char *errstr)
{
	switch (s) {
	case S_NONE:
		return 0;
	case S_STOP:
	case S_STOP2:
	case S_STOP_SAVED:
		return do_stop(in, errstr);
	case S_AOF_OFF:
		return set_appendonly(in, "no", errstr);
	case S_CONF_AOF:
		return set_appendonly(in, "yes", errstr);
	case S_MOVE:
		return do_move(in, errstr);
	case S_INSTALL:
		return in->aofin ? install_aofdir(in, errstr) :
		    do_install(in, errstr);
	case S_SAVE:
		return do_save(in, errstr);
	case S_CONF_BACK:
		return restore_conf(in, errstr);
	case S_DROP_AOF:
		/* The config has the AOF off: the saved RDB is the data. */
		if (restore_rm_at(in->dfd, in->aofdir, 0, errstr) < 0)
			return -1;
		if (fsync(in->dfd) < 0)
			return errstr_sys(errstr, "fsync %s", in->dir);
		return 0;
	case S_START:
		return do_start(in, 1, errstr);
	case S_REWRITE:
		if (do_rewrite(in, errstr) < 0)
			return -1;
		return 0;
	case S_AOF_ON:
		if (chown_tree(in, in->aofdir, errstr) < 0)
			return -1;
		return restore_conf(in, errstr);
	case S_RESTART:
		return do_start(in, 0, errstr);
	case S_VERIFY:
		return do_verify(in, errstr);
	}
	return 0;
}

/* ---- rollback ---- */

int
restore_unstage(struct restore *in, char *errstr)
{
	char e[ERRSTR_LEN];

	if (in->staged[0] == '\0')
		return 0;
	if (restore_rm_at(in->dfd, in->staged, 0, e) < 0)
		return errstr_set(errstr, "%s/%s: %s", in->dir, in->staged, e);
	in->staged[0] = '\0';
	return 0;
}

/* Removes name in the directory pfd, a dir with what is in it: never
 * through a symlink, at any level; returns 0 or -1. */
int
restore_rm_at(int pfd, const char *name, int depth, char *errstr)
{
	struct dirent *d;
	DIR *dp;
	int fd;

	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != ELOOP && errno != ENOTDIR)
			return errstr_sys(errstr, "remove %s", name);
		if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
			return errstr_sys(errstr, "remove %s", name);
		return 0;
	}
	if (depth > 8 || (dp = fdopendir(fd)) == NULL) {
		close(fd);
		return errstr_set(errstr, "remove %s: nested too deep", name);
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (restore_rm_at(dirfd(dp), d->d_name, depth + 1, errstr) < 0) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	if (unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return errstr_sys(errstr, "remove %s", name);
	return 0;
}

/* Undoes the renames in reverse order. */
static int
undo_moves(struct restore *in, enum step last, char *errstr)
{
	static char v[64][NAME_MAX * 2 + 60];
	char *src, *dst;
	const char *pos = NULL;
	struct stat a, b;
	int n = 0, had_dump = 0, ln;

	while (n < 64 && journal_next(&in->j, "move", &pos, v[n],
	    sizeof(v[n])) == 0)
		n++;
	while (n-- > 0) {
		if ((ln = split_move(v[n], &src, &dst)) < 0)
			return errstr_set(errstr, "journal: bad move line");
		had_dump |= ln;
		if (fstatat(in->dfd, dst, &b, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* The dump's link: the same file under both names until the
		 * snapshot was installed, and rename() between two links of
		 * one file does nothing. */
		if (ln && fstatat(in->dfd, src, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			if (unlinkat(in->dfd, dst, 0) < 0)
				return errstr_sys(errstr, "remove %s/%s",
				    in->dir, dst);
			continue;
		}
		if (!ln && exists(in, src))
			return errstr_set(errstr, "put back %s/%s: %s exists",
			    in->dir, dst, src);
		if (renameat(in->dfd, dst, in->dfd, src) < 0)
			return errstr_sys(errstr, "rename %s/%s to %s",
			    in->dir, dst, src);
		say(in, "%s -> %s", dst, src);
	}
	/* No old dump: the one there now is the snapshot. */
	if (!had_dump && last >= S_INSTALL &&
	    unlinkat(in->dfd, in->dbfilename, 0) < 0 && errno != ENOENT)
		return errstr_sys(errstr, "remove %s/%s", in->dir,
		    in->dbfilename);
	return 0;
}

static int
rollback_from(struct restore *in, enum step last, char *errstr)
{
	int r;

	say(in, "rolling back from step %s", step_names[last]);
	if (last <= S_STOP) {
		/* Nothing was moved; a server that is still up serves the
		 * old data. */
		if (restore_rm_at(in->dfd, in->staged, 0, errstr) < 0)
			return -1;
		if (last == S_STOP && in->was_up &&
		    (r = control_reachable(&in->srv, errstr)) <= 0 &&
		    (r < 0 || control_start(&in->srv, errstr) < 0))
			return -1;
		return finish(in, errstr);
	}
	if (do_stop(in, errstr) < 0)
		return -1;
	if (edits_conf(in) && restore_conf(in, errstr) < 0)
		return -1;
	/* Past the moves, an AOF dir there now is the snapshot's rewrite,
	 * or the AOF dir installed. */
	if (((in->aof && last >= S_START) || (in->aofin && last >= S_INSTALL))
	    && restore_rm_at(in->dfd, in->aofdir, 0, errstr) < 0)
		return -1;
	if (last >= S_MOVE && undo_moves(in, last, errstr) < 0)
		return -1;
	if (restore_rm_at(in->dfd, in->staged, 0, errstr) < 0)
		return -1;
	if (fsync(in->dfd) < 0)
		return errstr_sys(errstr, "fsync %s", in->dir);
	if (in->was_up && control_start(&in->srv, errstr) < 0)
		return -1;
	return finish(in, errstr);
}

int
restore_rollback(struct restore *in, char *errstr)
{
	char e[ERRSTR_LEN];

	if (read_plan(in, errstr) < 0)
		return -1;
	if (rollback_from(in, last_step(in), e) < 0)
		return errstr_set(errstr, "rollback: %s", e);
	return 0;
}

int
restore_run(struct restore *in, int resume, int *rolled_back, char *errstr)
{
	enum step steps[16], last;
	char e[ERRSTR_LEN];
	int n, i, first = 0;

	*rolled_back = 0;
	snprintf(in->failed_step, sizeof(in->failed_step), "journal");
	if (resume) {
		if (read_plan(in, errstr) < 0)
			return -1;
	} else {
		if (write_plan(in, errstr) < 0) {
			restore_unlink_staged(in);
			return -1;
		}
		crash_hook(step_names[S_NONE]);
	}
	n = steps_of(in, steps);
	last = last_step(in);
	/* Resume at the step that was under way; a rewrite or a save is
	 * redone from the start that precedes it (the server may have gone
	 * down). */
	if (last == S_REWRITE || last == S_SAVE)
		last = S_START;
	for (i = 0; i < n; i++)
		if (steps[i] == last)
			first = i;
	for (i = first; i < n; i++)
		if (record_step(in, steps[i], errstr) < 0 ||
		    take(in, steps[i], errstr) < 0)
			goto fail;
	return finish(in, errstr);
fail:
	if (rollback_from(in, last_step(in), e) == 0)
		*rolled_back = 1;
	else {
		char first_err[ERRSTR_LEN];

		snprintf(first_err, sizeof(first_err), "%s", errstr);
		errstr_set(errstr, "%s; rollback failed: %s", first_err, e);
	}
	return -1;
}

/* The plan's steps after the install for an AOF dir input. */
static void
plan_aofdir_tail(struct restore *in, restore_print_fn *out)
{
	const char *start = in->srv.service ? "service " : in->srv.start_cmd ?
	    "/bin/sh -c " : "redis-server ";
	const char *what = in->srv.service ? in->srv.service :
	    in->srv.start_cmd ? in->srv.start_cmd : in->conf;

	out("start: %s%s", start, what);
	out("verify: AOF on, the installed base and incr files loaded whole");
	out("save: BGSAVE, wait for it (%s/%s)", in->dir, in->dbfilename);
	if (!in->aof) {
		out("stop: as above");
		out("config: appendonly no (the original bytes)");
		out("remove: %s/%s (the data is in %s/%s)", in->dir, in->aofdir,
		    in->dir, in->dbfilename);
		out("start: %s%s", start, what);
	}
	out("verify: up, not loading, the same number of keys");
}

void
restore_plan(struct restore *in, const char *input, restore_print_fn *out)
{
	char dump[PATH_MAX], p[NAME_MAX + 8];
	const char *names[3] = { in->dbfilename, in->aofdir, in->aoffile };
	int i;

	restore_path_in(in, in->aofin ? in->aofdir : in->dbfilename, dump,
	    sizeof(dump));
	out("config: %s", in->conf);
	out("data dir: %s", in->dir);
	out("server: %s%s%s (%s), %s %s, loads RDB versions up to %d%s",
	    in->srv.sock ? in->srv.sock : in->srv.host,
	    in->srv.sock ? "" : ":", in->srv.sock ? "" : "port",
	    in->was_up ? "up" : "down", in->target.valkey ? "Valkey" : "Redis",
	    in->target.version, rdbver_redis_max(&in->target),
	    rdbver_valkey_max(&in->target) ? " and Valkey's 80" : "");
	if (in->rdb_version > 0)
		out("snapshot: %s: RDB version %d, %llu keys, framing and "
		    "CRC64 good", input, in->rdb_version,
		    (unsigned long long)in->keys);
	else
		out("snapshot: %s (not read)", input);
	if (in->aofin)
		out("stage: %s/%sXXXXXXXXXXXXXXXX/ (mode 0700), base and "
		    "incr files as %s, check, redis-check-rdb, redis-check-aof "
		    "(done: the staged dir is removed again)", in->dir,
		    STAGED_PREFIX, in->aoffile);
	else
		out("stage: %s/%sXXXXXXXXXXXXXXXX (mode 0600), check, "
		    "redis-check-rdb", in->dir, STAGED_PREFIX);
	if (in->srv.service)
		out("stop: service %s stop", in->srv.service);
	else if (in->srv.stop_cmd)
		out("stop: /bin/sh -c '%s'", in->srv.stop_cmd);
	else
		out("stop: SHUTDOWN");
	if (in->aofin ? !in->aof : in->aof)
		out("config: appendonly %s", in->aofin ? "yes" : "no");
	for (i = 0; i < 3; i++) {
		if (!exists(in, names[i]))
			continue;
		snprintf(p, sizeof(p), "%s.old", names[i]);
		if (exists(in, p))
			out("rename: %s/%s -> %s/%s.<timestamp>", in->dir,
			    p, in->dir, p);
		out("%s: %s/%s -> %s/%s.old", i == 0 ? "link" : "rename",
		    in->dir, names[i], in->dir, names[i]);
	}
	if (in->do_chown) {
		struct passwd *pw = getpwuid(in->uid);
		struct group *gr = getgrgid(in->gid);

		if (pw != NULL && gr != NULL)
			out("install: %s/%sXXXXXXXXXXXXXXXX -> %s, owner %s:%s",
			    in->dir, STAGED_PREFIX, dump, pw->pw_name,
			    gr->gr_name);
		else
			out("install: %s/%sXXXXXXXXXXXXXXXX -> %s, owner %ld:%ld",
			    in->dir, STAGED_PREFIX, dump, (long)in->uid,
			    (long)in->gid);
	} else
		out("install: %s/%sXXXXXXXXXXXXXXXX -> %s", in->dir,
		    STAGED_PREFIX, dump);
	if (in->aofin) {
		plan_aofdir_tail(in, out);
		return;
	}
	for (i = 0; i < (in->aof ? 2 : 1); i++) {
		if (in->srv.service)
			out("start: service %s start", in->srv.service);
		else if (in->srv.start_cmd)
			out("start: /bin/sh -c '%s'", in->srv.start_cmd);
		else
			out("start: redis-server %s", in->conf);
		if (i == 0)
			out("verify: keys loaded match the snapshot");
		if (i == 1 || !in->aof)
			break;
		out("rewrite: CONFIG SET appendonly yes, wait for the AOF "
		    "rewrite (%s/%s)", in->dir, in->aofdir);
		out("stop: as above");
		out("config: appendonly yes (the original bytes)");
	}
	out("verify: up, not loading, the same number of keys");
}
