#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errstr.h"
#include "io.h"
#include "progress.h"
#include "rdb.h"
#include "redis.h"
#include "snap.h"

/* Polling starts at 10 ms, so a tiny database snapshots in a few ms, and
 * grows to 50 ms, which costs a long save at most a few percent. */
#define POLL_FIRST_MS	10
#define POLL_MAX_MS	50
#define LOG_TAIL	(64 * 1024)
/* The dump is checked and sent in windows of this size: the mapping is
 * all the memory it takes. */
#define SEND_WINDOW	(2 * 1024 * 1024)
/* The read size while following a save's temp file. */
#define FOLLOW_BUF	(1024 * 1024)
/* Nothing goes out before the file holds this much: a stream cut shorter
 * than the RDB magic would not be told for an RDB by rdb-pack's sniffer,
 * which would then seal it as opaque data. */
#define FOLLOW_HEAD	64

static int
check_sink(void *arg, const void *buf, size_t len, char *errstr)
{
	struct snap_check *s = arg;

	if (rdb_check_feed(&s->rdb, buf, len) < 0)
		return errstr_set(errstr, "%s: %s", s->name, s->rdb.errstr);
	s->bytes += len;
	return s->next(s->next_arg, buf, len, errstr);
}

static int
check_end(struct snap_check *s, struct snap_result *r, char *errstr)
{
	r->bytes = s->bytes;
	r->rdb_version = s->rdb.version;
	r->keys = s->rdb.keys;
	r->valkey = s->rdb.valkey;
	if (rdb_check_end(&s->rdb) < 0)
		return errstr_set(errstr, "%s: %s", s->name, s->rdb.errstr);
	rdb_warning_copy(&s->rdb, r->warn, sizeof(r->warn));
	return 0;
}

static void
check_init(struct snap_check *s, const char *name, io_sink_fn next,
    void *next_arg)
{
	rdb_check_init(&s->rdb, 0);
	s->name = name;
	s->next = next;
	s->next_arg = next_arg;
	s->bytes = 0;
}

/* Where the run must end, or 0 for never. */
static double
deadline_of(const struct snap_opts *o)
{
	return o->timeout_ms > 0 ? clock_now() + (double)o->timeout_ms / 1e3 : 0;
}

/* What INFO persistence says about saves. */
struct persist {
	uint64_t	 saves;		/* forks for RDB saves so far */
	uint64_t	 in_progress;	/* an RDB child is running */
	uint64_t	 rewriting;	/* an AOF rewrite is running */
	int		 ok;		/* rdb_last_bgsave_status:ok */
};

static int
persist_parse(const char *info, struct persist *p, char *errstr)
{
	char status[16];

	if (redis_info_u64(info, "rdb_saves", &p->saves) < 0 ||
	    redis_info_u64(info, "rdb_bgsave_in_progress", &p->in_progress) < 0 ||
	    redis_info_u64(info, "aof_rewrite_in_progress", &p->rewriting) < 0 ||
	    redis_info_field(info, "rdb_last_bgsave_status", status,
	    sizeof(status)) < 0)
		return errstr_set(errstr,
		    "INFO persistence: no rdb_saves, rdb_bgsave_in_progress or "
		    "rdb_last_bgsave_status (Redis 7.0 or later is needed)");
	p->ok = strcmp(status, "ok") == 0;
	return 0;
}

static int
persist_get(struct redis_ctx *c, struct persist *p, char *errstr)
{
	char *info = redis_info(c, "persistence", errstr);
	int rc;

	if (info == NULL)
		return -1;
	rc = persist_parse(info, p, errstr);
	free(info);
	return rc;
}

/* Sleeps for the next poll, growing the interval; -1 past the deadline. */
static int
poll_sleep(long *ms, double deadline, const char *what, char *errstr)
{
	if (deadline > 0 && clock_now() + (double)*ms / 1e3 > deadline)
		return errstr_set(errstr, "timed out waiting for %s", what);
	clock_poll(ms, 50, POLL_MAX_MS);
	return 0;
}

/* Joins dir and name into out; returns 0 or -1. */
static int
join_path(char *out, size_t len, const char *dir, const char *name,
    char *errstr)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len)
		return errstr_set(errstr, "%s/%s: path too long", dir, name);
	return 0;
}

int
snap_log_reason(const char *log, size_t len, char *out, size_t outlen)
{
	static const char start[] = "Background saving started by pid ";
	static const char nofork[] = "Can't save in background: ";
	const char *p, *end = log + len, *line, *eol, *hit = NULL, *m;
	char child[32];
	size_t n;

	/* The last save's start: "PID:M date * Background saving started by
	 * pid CHILD", or a fork that failed after it. */
	line = NULL;
	for (p = log; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		m = memmem(p, (size_t)(eol - p), start, sizeof(start) - 1);
		if (m != NULL) {
			hit = m + sizeof(start) - 1;
			line = NULL;
		}
		m = memmem(p, (size_t)(eol - p), nofork, sizeof(nofork) - 1);
		if (m != NULL)
			line = m;
	}
	if (line == NULL && hit != NULL) {
		n = strspn(hit, "0123456789");
		if (n == 0 || n + 3 > sizeof(child))
			return -1;
		memcpy(child, hit, n);
		memcpy(child + n, ":C", 3);
		/* The child's first warning ("#") after it says why;
		 * otherwise the parent's last one (a child killed by a
		 * signal). */
		for (p = hit; p < end; p = eol + 1) {
			eol = memchr(p, '\n', (size_t)(end - p));
			if (eol == NULL)
				eol = end;
			m = memmem(p, (size_t)(eol - p), " # ", 3);
			if (m == NULL)
				continue;
			if ((size_t)(eol - p) > n + 2 &&
			    memcmp(p, child, n + 2) == 0) {
				line = m + 3;
				break;
			}
			if (memmem(p, (size_t)(eol - p),
			    "Background saving error", 23) == NULL)
				line = m + 3;
		}
	}
	if (line == NULL)
		return -1;
	eol = memchr(line, '\n', (size_t)(end - line));
	n = (size_t)((eol != NULL ? eol : end) - line);
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (n == 0)
		return -1;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, line, n);
	out[n] = '\0';
	return 0;
}

/* Why the save failed, from the server's log when this host can read it:
 * "WHAT: reason"; fallback is the text when the log says nothing. */
static int
save_failed(struct redis_ctx *c, const char *dir, const char *what,
    const char *fallback, char *errstr)
{
	char logfile[PATH_MAX], path[PATH_MAX], reason[ERRSTR_LEN - 40];
	char *tail;
	ssize_t n;
	off_t size;
	int fd;

	if (redis_config_get(c, "logfile", logfile, sizeof(logfile), NULL) < 0 ||
	    logfile[0] == '\0')
		goto unknown;
	if (logfile[0] == '/')
		snprintf(path, sizeof(path), "%s", logfile);
	else if (join_path(path, sizeof(path), dir, logfile, NULL) < 0)
		goto unknown;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto unknown;
	size = lseek(fd, 0, SEEK_END);
	tail = malloc(LOG_TAIL);
	n = tail == NULL || size < 0 ? -1 : pread(fd, tail, LOG_TAIL,
	    size > LOG_TAIL ? size - LOG_TAIL : 0);
	close(fd);
	if (n > 0 && snap_log_reason(tail, (size_t)n, reason,
	    sizeof(reason)) == 0) {
		free(tail);
		return errstr_set(errstr, "%s: %s", what, reason);
	}
	free(tail);
unknown:
	return errstr_set(errstr, "%s", fallback);
}

/* Finds the dump and whether persistence is off. */
static int
locate(struct redis_ctx *c, const struct snap_opts *o, struct snap_result *r,
    char *dir, size_t dirlen, char *errstr)
{
	char name[PATH_MAX], save[256], aof[16], e[ERRSTR_LEN];

	if (o->dir != NULL)
		snprintf(dir, dirlen, "%s", o->dir);
	else if (redis_config_get(c, "dir", dir, dirlen, e) < 0)
		return errstr_set(errstr, "%s (pass --dir and --dbfilename "
		    "where CONFIG is renamed or denied)", e);
	if (o->dbfilename != NULL)
		snprintf(name, sizeof(name), "%s", o->dbfilename);
	else if (redis_config_get(c, "dbfilename", name, sizeof(name), e) < 0)
		return errstr_set(errstr, "%s (pass --dir and --dbfilename "
		    "where CONFIG is renamed or denied)", e);
	if (join_path(r->path, sizeof(r->path), dir, name, errstr) < 0)
		return -1;
	r->persistence_off = -1;
	if (redis_config_get(c, "save", save, sizeof(save), e) == 0 &&
	    redis_config_get(c, "appendonly", aof, sizeof(aof), e) == 0)
		r->persistence_off = save[0] == '\0' && strcmp(aof, "no") == 0;
	if (!o->remove || r->persistence_off == 1)
		return 0;
	if (r->persistence_off == 0)
		return errstr_set(errstr, "--remove: refused: persistence is on "
		    "(save \"%s\", appendonly %s), the dump is the server's own",
		    save, aof);
	return errstr_set(errstr, "--remove: refused: cannot tell whether "
	    "persistence is off: %s", e);
}

/* With persistence off the dump is a file the disk may not have room for:
 * refuse before the save rather than fill the disk. */
static int
check_space(struct redis_ctx *c, const char *dir, char *errstr)
{
	char *info, f[32], u[32];
	uint64_t used, avail;

	info = redis_info(c, "memory", errstr);
	if (info == NULL)
		return -1;
	if (redis_info_u64(info, "used_memory", &used) < 0) {
		free(info);
		return errstr_set(errstr, "INFO memory: no used_memory");
	}
	free(info);
	if (io_free_space(dir, &avail) < 0)
		return errstr_sys(errstr, "free space in %s", dir);
	if (avail >= used)
		return 0;
	progress_fmt_bytes(f, sizeof(f), avail);
	progress_fmt_bytes(u, sizeof(u), used);
	return errstr_set(errstr, "not enough free space in %s for the dump: "
	    "%s free, used_memory is %s", dir, f, u);
}

/* Sends INFO persistence and BGSAVE SCHEDULE in one write: the server runs
 * both in the same pass over the connection's input, with no timer event
 * between them, so the baseline is the state the request met.  SCHEDULE
 * makes the save wait for a running AOF rewrite instead of failing.
 * Returns 1 when our save is started or scheduled, 0 when another save is
 * running (wait and retry), -1 on failure. */
static int
request_save(struct redis_ctx *c, struct persist *base, char *errstr)
{
	static const char *info[] = { "INFO", "persistence" };
	static const char *bgsave[] = { "BGSAVE", "SCHEDULE" };
	redisReply *r = NULL;
	int rc;

	if (redis_append(c, 2, info) < 0 || redis_append(c, 2, bgsave) < 0 ||
	    redis_get_reply(c, &r) < 0)
		return errstr_set(errstr, "INFO persistence: %s",
		    redis_errstr(c));
	if (r->type != REDIS_REPLY_STRING) {
		rc = errstr_set(errstr, "INFO persistence: %s",
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		/* The BGSAVE's reply is still due; leave nothing behind. */
		if (redis_get_reply(c, &r) == 0)
			freeReplyObject(r);
		return rc;
	}
	rc = persist_parse(r->str, base, errstr);
	freeReplyObject(r);
	if (redis_get_reply(c, &r) < 0)
		return errstr_set(errstr, "BGSAVE: %s", redis_errstr(c));
	if (rc == 0 && r->type == REDIS_REPLY_ERROR)
		rc = strstr(r->str, "already in progress") != NULL ? 0 :
		    errstr_set(errstr, "BGSAVE: %s", r->str);
	else if (rc == 0)
		rc = 1;
	freeReplyObject(r);
	return rc;
}

/* Whether name is "temp-<digits>.rdb", the file a save's child writes
 * (a replica's "temp-<pid>.<time>.rdb" and an AOF rewrite's files are
 * not). */
static int
is_save_temp(const char *name)
{
	size_t n;

	if (strncmp(name, "temp-", 5) != 0)
		return 0;
	for (n = 5; isdigit((unsigned char)name[n]); n++)
		;
	return n > 5 && strcmp(name + n, ".rdb") == 0;
}

static int
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The temp file of the save running now, if one file in dir can be it: a
 * "temp-<pid>.rdb" changed since the request (since, on the coarse clock
 * the kernel stamps files with).  Returns a descriptor open on it, -1
 * when there is none yet (or it went: renamed, removed), -2 when there
 * are several (a stale one from a crash being written?  no: refuse to
 * guess). */
static int
open_save_temp(const char *dir, const struct timespec *since)
{
	char path[PATH_MAX], found[PATH_MAX];
	struct dirent *d;
	struct stat st, fst;
	DIR *dp;
	int n = 0, fd;
	ino_t ino = 0;

	if ((dp = opendir(dir)) == NULL)
		return -2;
	while ((d = readdir(dp)) != NULL) {
		if (!is_save_temp(d->d_name) ||
		    fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || ts_before(&st.st_ctim, since))
			continue;
		if (++n > 1)
			break;
		snprintf(found, sizeof(found), "%s", d->d_name);
		ino = st.st_ino;
	}
	closedir(dp);
	if (n != 1)
		return n == 0 ? -1 : -2;
	if (join_path(path, sizeof(path), dir, found, NULL) < 0)
		return -2;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &fst) < 0 || fst.st_ino != ino) {
		close(fd);
		return -1;
	}
	return fd;
}

/* While our save's child runs (rdb_saves past the baseline, a save in
 * progress), opens its temp file.  The save is still the same one after
 * the file is open (rdb_saves unchanged, still in progress), so the file
 * is that child's: a child that ended before has renamed its file or had
 * it removed.  Returns the descriptor with r->follow set, -1 not yet
 * (errstr empty) or a failure (errstr set), -2 to stop trying. */
static int
try_follow(struct redis_ctx *c, const char *dir, const struct timespec *since,
    const struct persist *now, struct snap_result *r, char *errstr)
{
	struct persist again;
	int fd;

	errstr[0] = '\0';
	if ((fd = open_save_temp(dir, since)) < 0)
		return fd;
	if (persist_get(c, &again, errstr) < 0) {
		close(fd);
		return -1;
	}
	if (again.saves != now->saves || !again.in_progress) {
		close(fd);
		return -1;
	}
	r->follow = 1;
	r->follow_saves = now->saves;
	return fd;
}

int
snap_bgsave(struct redis_ctx *c, const struct snap_opts *o,
    struct snap_result *r, char *errstr)
{
	char dir[PATH_MAX];
	struct persist base, now;
	struct timespec since;
	double deadline = deadline_of(o), t0;
	long ms;
	int fd, rc, follow = !o->no_follow;

	if (locate(c, o, r, dir, sizeof(dir), errstr) < 0)
		return -1;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	if (r->persistence_off == 1 && check_space(c, dir, errstr) < 0)
		return -1;
	r->t0 = t0 = clock_now();
	for (;;) {
		if (clock_gettime(CLOCK_REALTIME_COARSE, &since) < 0)
			follow = 0;
		rc = request_save(c, &base, errstr);
		/* A fork that fails answers a bare "ERR"; the log has why. */
		if (rc < 0 && strcmp(errstr, "BGSAVE: ERR") == 0)
			return save_failed(c, dir, "BGSAVE", "BGSAVE: ERR (the "
			    "fork failed; the server's log says why)", errstr);
		if (rc < 0)
			return -1;
		if (base.in_progress || base.rewriting)
			r->waited = 1;
		if (rc == 1)
			break;
		/* A save that forked before our request holds older data:
		 * let it end, then ask for ours. */
		for (ms = POLL_FIRST_MS;;) {
			if (poll_sleep(&ms, deadline, "a running save to end",
			    errstr) < 0 || persist_get(c, &now, errstr) < 0)
				return -1;
			if (!now.in_progress)
				break;
		}
	}
	for (ms = POLL_FIRST_MS;;) {
		if (poll_sleep(&ms, deadline, "the save", errstr) < 0 ||
		    persist_get(c, &now, errstr) < 0)
			return -1;
		if (now.saves > base.saves && !now.in_progress)
			break;
		if (!follow || now.saves == base.saves)
			continue;
		fd = try_follow(c, dir, &since, &now, r, errstr);
		if (fd >= 0)
			return fd;
		if (errstr[0] != '\0')
			return -1;
		/* Ambiguous: today's way, wait for the end. */
		if (fd == -2)
			follow = 0;
	}
	if (!now.ok)
		return save_failed(c, dir, "background save failed",
		    "background save failed (rdb_last_bgsave_status:err; the "
		    "server's log says why)", errstr);
	r->save_secs = clock_now() - t0;
	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return errstr_set(errstr, "open %s: no such file (a server on "
		    "another host? --sync reads the snapshot over the network)",
		    r->path);
	if (fd < 0)
		return errstr_sys(errstr, "open %s", r->path);
	return fd;
}

/* Streams with the kernel doing the copy: each window is checked through
 * a read-only mapping, then sendfile(2) moves the same bytes to the output,
 * so bad bytes are caught before they go out.  Returns 0, -1, or 1 when
 * the output takes no sendfile and nothing was sent. */
static int
stream_sendfile(int fd, uint64_t size, const struct io_fdsink *out,
    struct snap_check *cs, struct progress *pr, char *errstr)
{
	off_t off = 0, end;
	size_t n;
	ssize_t w;
	void *p;
	int rc;

	while ((uint64_t)off < size) {
		n = size - (uint64_t)off < SEND_WINDOW ?
		    (size_t)(size - (uint64_t)off) : SEND_WINDOW;
		p = mmap(NULL, n, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, off);
		if (p == MAP_FAILED)
			return off == 0 ? 1 : errstr_sys(errstr, "read %s",
			    cs->name);
		rc = rdb_check_feed(&cs->rdb, p, n);
		munmap(p, n);
		if (rc < 0)
			return errstr_set(errstr, "%s: %s", cs->name,
			    cs->rdb.errstr);
		for (end = off + (off_t)n; off < end; ) {
			w = sendfile(out->fd, fd, &off, (size_t)(end - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && cs->bytes == 0 && off == 0 &&
			    (errno == EINVAL || errno == ENOSYS))
				return 1;
			if (w < 0)
				return errstr_sys(errstr, "write %s", out->name);
			if (w == 0)
				return errstr_set(errstr, "read %s: shorter than "
				    "its size", cs->name);
			cs->bytes += (uint64_t)w;
			if (pr != NULL)
				progress_add(pr, (uint64_t)w);
		}
	}
	return 0;
}

int
snap_stream(int fd, const struct io_fdsink *out, struct progress *pr,
    struct snap_result *r, char *errstr)
{
	struct snap_check cs;
	struct stat st;
	int rc = 1;

	check_init(&cs, r->path, io_sink_fd, (void *)out);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		rc = stream_sendfile(fd, (uint64_t)st.st_size, out, &cs, pr,
		    errstr);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		/* The output takes no sendfile: the shared loop, from the
		 * start. */
		check_init(&cs, r->path, io_sink_fd, (void *)out);
		if (lseek(fd, 0, SEEK_SET) < 0 ||
		    io_pump(fd, r->path, check_sink, &cs, pr, errstr) < 0)
			return -1;
	}
	return check_end(&cs, r, errstr);
}

int
snap_follow(struct redis_ctx *c, const struct snap_opts *o, int fd,
    const struct io_fdsink *out, struct progress *pr, struct snap_result *r,
    char *errstr)
{
	struct snap_check cs;
	struct persist now;
	struct stat st;
	double deadline;
	char *buf;
	ssize_t n;
	long ms = POLL_FIRST_MS;
	int ended = 0, rc = -1;

	deadline = o->timeout_ms > 0 ?
	    r->t0 + (double)o->timeout_ms / 1e3 : 0;
	if ((buf = malloc(FOLLOW_BUF)) == NULL)
		return errstr_sys(errstr, "read %s", r->path);
	check_init(&cs, r->path, io_sink_fd, (void *)out);
	for (;;) {
		if (!ended && cs.bytes == 0 && (fstat(fd, &st) < 0 ||
		    st.st_size < FOLLOW_HEAD))
			n = 0;
		else
			n = read(fd, buf, FOLLOW_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errstr_sys(errstr, "read %s", r->path);
			goto out;
		}
		if (n > 0) {
			/* Checked before written, as in snap_stream. */
			if (check_sink(&cs, buf, (size_t)n, errstr) < 0)
				goto out;
			if (pr != NULL)
				progress_add(pr, (uint64_t)n);
			if (!ended)
				r->early_bytes += (uint64_t)n;
			ms = POLL_FIRST_MS;
			continue;
		}
		if (ended)
			break;
		/* At the end of what the child has written so far.  Asked
		 * before the last read: a save seen ended has written all. */
		if (persist_get(c, &now, errstr) < 0)
			goto out;
		if (now.saves != r->follow_saves || !now.in_progress) {
			/* Failed or killed: what went out is a truncated RDB
			 * (no EOF opcode, no CRC64), which rdb-pack refuses
			 * and never seals; exit 1 here. */
			if (!now.ok) {
				save_failed(c, r->dir, "background save failed",
				    "background save failed (rdb_last_bgsave_"
				    "status:err; the server's log says why)",
				    errstr);
				goto out;
			}
			r->save_secs = clock_now() - r->t0;
			ended = 1;
			continue;
		}
		if (poll_sleep(&ms, deadline, "the save", errstr) < 0)
			goto out;
	}
	/* The end check also catches a save that ended well by the status
	 * but whose file we hold is not whole (a later save's status). */
	rc = check_end(&cs, r, errstr);
	/* The whole size is known now: the last progress line says 100 %,
	 * as it does for a save that ended before the stream began. */
	if (rc == 0)
		pr->total = pr->bytes;
out:
	free(buf);
	return rc;
}

int
snap_remove(int fd, const struct snap_result *r, char *errstr)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0)
		return errstr_sys(errstr, "stat %s", r->path);
	if (stat(r->path, &b) < 0) {
		if (errno == ENOENT)
			return 0;
		return errstr_sys(errstr, "stat %s", r->path);
	}
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return 0;
	if (unlink(r->path) < 0)
		return errstr_sys(errstr, "remove %s", r->path);
	return 0;
}

void
snap_eof_init(struct snap_eof *e, const char *mark)
{
	memcpy(e->mark, mark, SNAP_MARK_LEN);
	e->held = 0;
	e->found = 0;
}

int
snap_eof_feed(struct snap_eof *e, const void *buf, size_t len,
    io_sink_fn sink, void *sink_arg, char *errstr)
{
	const unsigned char *p = buf;
	size_t out, from_hold;

	if (len == 0)
		return 0;
	if (e->held + len <= SNAP_MARK_LEN) {
		memcpy(e->hold + e->held, p, len);
		e->held += len;
	} else {
		/* Everything but the last SNAP_MARK_LEN bytes goes on: first
		 * what was held, then the front of buf. */
		out = e->held + len - SNAP_MARK_LEN;
		from_hold = out < e->held ? out : e->held;
		if (from_hold > 0 &&
		    sink(sink_arg, e->hold, from_hold, errstr) < 0)
			return -1;
		memmove(e->hold, e->hold + from_hold, e->held - from_hold);
		e->held -= from_hold;
		if (out > from_hold &&
		    sink(sink_arg, p, out - from_hold, errstr) < 0)
			return -1;
		p += out - from_hold;
		len -= out - from_hold;
		memcpy(e->hold + e->held, p, len);
		e->held += len;
	}
	e->found = e->held == SNAP_MARK_LEN &&
	    memcmp(e->hold, e->mark, SNAP_MARK_LEN) == 0;
	return 0;
}

/* A buffered reader on the connection, for the bulk transfer the reply
 * reader cannot stream: its reads go through common/redis, and so
 * through TLS when the connection has it. */
struct sockbuf {
	struct redis_ctx *c;
	const char	*name;
	char		 buf[IO_BUFSZ];
	size_t		 pos, len;
};

/* Refills an empty buffer; returns the byte count, 0 at the server's
 * close, or -1. */
static ssize_t
sock_fill(struct sockbuf *s, char *errstr)
{
	char e[ERRSTR_LEN];
	ssize_t n;

	s->pos = s->len = 0;
	if ((n = redis_read(s->c, s->buf, sizeof(s->buf), e)) < 0)
		return errstr_set(errstr, "read %s: %s", s->name, e);
	s->len = (size_t)n;
	return n;
}

/* Reads the bulk header line, skipping the newlines the server sends to
 * keep the link alive while it prepares the RDB. */
static int
sync_header(struct sockbuf *s, char *line, size_t len, char *errstr)
{
	size_t n = 0;
	ssize_t got;
	char ch;

	for (;;) {
		if (s->pos == s->len) {
			got = sock_fill(s, errstr);
			if (got < 0)
				return -1;
			if (got == 0)
				return errstr_set(errstr, "SYNC: the server "
				    "closed the connection before the RDB");
		}
		ch = s->buf[s->pos++];
		if (ch == '\n') {
			if (n == 0)
				continue;
			break;
		}
		if (n + 1 >= len)
			return errstr_set(errstr, "SYNC: reply line too long");
		line[n++] = ch;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}

int
snap_xfer_start(struct snap_xfer *x, const char *what, const char *line,
    io_sink_fn sink, void *sink_arg, char *errstr)
{
	char *end;

	memset(x, 0, sizeof(*x));
	x->diskless = strncmp(line, "$EOF:", 5) == 0;
	if (x->diskless) {
		if (strlen(line + 5) != SNAP_MARK_LEN)
			return errstr_set(errstr, "%s: bad EOF mark", what);
		snap_eof_init(&x->eof, line + 5);
	} else {
		errno = 0;
		x->left = line[0] == '$' ? strtoull(line + 1, &end, 10) : 0;
		if (line[0] != '$' || line[1] < '0' || line[1] > '9' ||
		    *end != '\0' || errno != 0)
			return errstr_set(errstr, "%s: unexpected reply: %.40s",
			    what, line);
	}
	check_init(&x->cs, what, sink, sink_arg);
	return 0;
}

ssize_t
snap_xfer_feed(struct snap_xfer *x, const void *buf, size_t len,
    char *errstr)
{
	size_t take = len;

	if (x->done)
		return 0;
	if (!x->diskless && take > x->left)
		take = (size_t)x->left;
	if (x->diskless ? snap_eof_feed(&x->eof, buf, take, check_sink,
	    &x->cs, errstr) < 0 : check_sink(&x->cs, buf, take, errstr) < 0)
		return -1;
	x->left -= x->diskless ? 0 : take;
	/* Whatever follows the RDB is not ours to read.  Mark-like bytes
	 * inside the RDB are no end: the checker must agree. */
	x->done = !x->diskless ? x->left == 0 : x->eof.found &&
	    x->cs.rdb.done;
	return (ssize_t)take;
}

int
snap_xfer_end(struct snap_xfer *x, struct snap_result *r, char *errstr)
{
	return check_end(&x->cs, r, errstr);
}

int
snap_sync(struct redis_ctx *c, const struct snap_opts *o, io_sink_fn sink,
    void *sink_arg, struct progress *pr, struct snap_result *r,
    char *errstr)
{
	static const char *capa[] = { "REPLCONF", "capa", "eof" };
	static const char *rdbonly[] = { "REPLCONF", "rdb-only", "1" };
	static const char *synccmd[] = { "SYNC" };
	struct snap_xfer x;
	struct sockbuf *s;
	redisReply *rep;
	char line[128];
	double t0 = clock_now();
	ssize_t got;
	int rc = -1;

	(void)o;
	if ((rep = redis_cmd(c, errstr, 3, capa)) == NULL)
		return -1;
	freeReplyObject(rep);
	/* Only the RDB, no replication stream after it (Redis 7.0); older
	 * servers refuse and send the RDB all the same. */
	if ((rep = redis_cmd(c, NULL, 3, rdbonly)) != NULL)
		freeReplyObject(rep);
	if (redis_append(c, 1, synccmd) < 0 || redis_flush(c) < 0)
		return errstr_set(errstr, "SYNC: %s", redis_errstr(c));
	s = malloc(sizeof(*s));
	if (s == NULL)
		return errstr_sys(errstr, "SYNC");
	s->c = c;
	s->name = "SYNC";
	s->pos = s->len = 0;
	if (sync_header(s, line, sizeof(line), errstr) < 0)
		goto out;
	if (line[0] == '-') {
		errstr_set(errstr, "SYNC: %s", line + 1);
		goto out;
	}
	if (snap_xfer_start(&x, "SYNC", line, sink, sink_arg, errstr) < 0)
		goto out;
	if (pr != NULL && !x.diskless)
		pr->total = x.left;
	r->save_secs = clock_now() - t0;
	while (!x.done) {
		if (s->pos == s->len) {
			got = sock_fill(s, errstr);
			if (got < 0)
				goto out;
			if (got == 0) {
				errstr_set(errstr, "SYNC: the server closed the "
				    "connection after %llu bytes",
				    (unsigned long long)x.cs.bytes);
				goto out;
			}
		}
		if ((got = snap_xfer_feed(&x, s->buf + s->pos, s->len - s->pos,
		    errstr)) < 0)
			goto out;
		if (pr != NULL)
			progress_add(pr, (uint64_t)got);
		s->pos += (size_t)got;
	}
	rc = snap_xfer_end(&x, r, errstr);
out:
	free(s);
	return rc;
}
