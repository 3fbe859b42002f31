/* Point-in-time restore from the continuous archive: see pitr.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "pitr.h"
#include "slo.h"

#define TRAILER_TAG	"#rdbpipe:"
#define TOOL_OUT_MAX	200

int
pitr_trailer(char *out, size_t len, const char *replid, uint64_t start,
    uint64_t end)
{
	int n;

	if (!archive_replid_ok(replid))
		return -1;
	n = snprintf(out, len, TRAILER_TAG "%s:%020" PRIu64 "-%020" PRIu64
	    "\r\n", replid, start, end);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
pitr_tail_sink(void *arg, const void *buf, size_t len, char *errstr)
{
	struct pitr_tail *t = arg;
	const char *p = buf;
	size_t drop;

	if (t->sink != NULL && t->sink(t->sink_arg, buf, len, errstr) < 0)
		return -1;
	t->total += len;
	if (len >= PITR_TAIL_MAX) {
		memcpy(t->buf, p + len - PITR_TAIL_MAX, PITR_TAIL_MAX);
		t->len = PITR_TAIL_MAX;
		return 0;
	}
	if (t->len + len > PITR_TAIL_MAX) {
		drop = t->len + len - PITR_TAIL_MAX;
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, p, len);
	t->len += len;
	return 0;
}

/* Reads 1 to 20 digits at s (up to stop) into *v; returns what follows,
 * or NULL. */
static const char *
digits_parse(const char *s, const char *stop, uint64_t *v)
{
	uint64_t d;
	size_t n = 0;

	for (*v = 0; s < stop && *s >= '0' && *s <= '9'; s++, n++) {
		d = (uint64_t)(*s - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return NULL;
		*v = *v * 10 + d;
	}
	return n == 0 || n > 20 ? NULL : s;
}

int
pitr_trailer_check(const struct pitr_tail *t, const struct archive_obj *o,
    char *errstr)
{
	const char *b = t->buf, *line, *stop, *p;
	char replid[ARCHIVE_REPLID_LEN + 1];
	uint64_t start, end;
	size_t i;

	if (t->len < 2 || b[t->len - 2] != '\r' || b[t->len - 1] != '\n')
		goto none;
	stop = b + t->len - 2;
	/* The last line starts after the newline before it, or at the start
	 * of the plaintext when the tail holds all of it. */
	for (i = t->len - 2; i > 0 && b[i - 1] != '\n'; i--)
		;
	if (i == 0 && t->total != t->len)
		goto none;
	line = b + i;
	if ((size_t)(stop - line) < strlen(TRAILER_TAG) + ARCHIVE_REPLID_LEN +
	    4 || memcmp(line, TRAILER_TAG, strlen(TRAILER_TAG)) != 0)
		goto none;
	p = line + strlen(TRAILER_TAG);
	memcpy(replid, p, ARCHIVE_REPLID_LEN);
	replid[ARCHIVE_REPLID_LEN] = '\0';
	p += ARCHIVE_REPLID_LEN;
	if (!archive_replid_ok(replid) || *p++ != ':' ||
	    (p = digits_parse(p, stop, &start)) == NULL || p == stop ||
	    *p++ != '-' || (p = digits_parse(p, stop, &end)) == NULL ||
	    p != stop)
		goto none;
	if (strcmp(replid, o->replid) != 0 || start != o->start ||
	    end != o->end)
		return errstr_set(errstr, "its trailer is %.8s...:%" PRIu64
		    "-%" PRIu64 ": not this chunk", replid, start, end);
	return 0;
none:
	return errstr_set(errstr, "no trailer (" TRAILER_TAG "REPLID:START-END)"
	    " at its end: not a whole chunk");
}

/* Keeps a copy of one listed name (a swift_list_fn). */
static int
name_add(void *arg, const struct swift_entry *e, char *errstr)
{
	struct pitr_names *l = arg;
	char **v;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return errstr_sys(errstr, "listing");
		l->v = v;
	}
	if ((l->v[l->n] = strdup(e->name)) == NULL)
		return errstr_sys(errstr, "listing");
	l->n++;
	return 0;
}

void
pitr_names_free(struct pitr_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
pitr_index(struct swift_ctx *c, const char *container, const char *prefix,
    struct archive_index *ix, struct pitr_names *names, char *errstr)
{
	char *under;
	int rc;

	memset(ix, 0, sizeof(*ix));
	memset(names, 0, sizeof(*names));
	if (asprintf(&under, "%s/archive/", prefix) < 0)
		return errstr_sys(errstr, "listing");
	rc = swift_list(c, container, under, name_add, names, errstr);
	free(under);
	if (rc == 0)
		rc = archive_index_build(prefix, (const char *const *)names->v,
		    names->n, ix, errstr);
	if (rc < 0)
		pitr_names_free(names);
	return rc;
}

/* Copies the value of metadata name (lower case) of resp into out;
 * returns 0, or -1 when absent or too long. */
static int
meta_value(const struct swift_resp *resp, const char *name, char *out,
    size_t len)
{
	size_t n = strlen(name), v;
	const char *p = resp->meta, *e;

	for (; (e = strchr(p, '\n')) != NULL; p = e + 1) {
		if ((size_t)(e - p) <= n || strncasecmp(p, name, n) != 0 ||
		    p[n] != '=')
			continue;
		v = (size_t)(e - p) - n - 1;
		if (v >= len)
			return -1;
		memcpy(out, p + n + 1, v);
		out[v] = '\0';
		return 0;
	}
	return -1;
}

int
pitr_base_cluster(struct swift_ctx *c, const char *container,
    const struct archive_obj *b, char *slots, char *node, char *errstr)
{
	unsigned char map[CLUSTER_MAP_LEN];
	struct swift_resp resp;
	char e[ERRSTR_LEN];
	int rc;

	memset(&resp, 0, sizeof(resp));
	rc = slo_head(c, container, b->name, &resp, errstr);
	free(resp.body);
	if (rc == 0)
		return errstr_set(errstr, "%s/%s: not found", container,
		    b->name);
	if (rc < 0)
		return -1;
	if (meta_value(&resp, PITR_META_SLOTS, slots, CLUSTER_SLOTS_MAX +
	    1) < 0)
		slots[0] = '\0';
	if (meta_value(&resp, PITR_META_NODE, node, CLUSTER_ID_LEN + 1) < 0)
		node[0] = '\0';
	if (slots[0] != '\0' && cluster_slots_parse(slots, map, e) < 0)
		return errstr_set(errstr, "%s/%s: %s", container, b->name, e);
	return 0;
}

int
pitr_keep_slots(struct swift_ctx *c, const char *container,
    struct archive_index *ix, const unsigned char *map, char *errstr)
{
	unsigned char have[CLUSTER_MAP_LEN];
	char slots[CLUSTER_SLOTS_MAX + 1], node[CLUSTER_ID_LEN + 1];
	size_t i, n = 0;

	for (i = 0; i < ix->n; i++) {
		if (pitr_base_cluster(c, container, &ix->v[i].base, slots,
		    node, errstr) < 0)
			return -1;
		/* A base without ranges is a single server's. */
		if (slots[0] == '\0' ||
		    cluster_slots_parse(slots, have, errstr) < 0 ||
		    memcmp(have, map, sizeof(have)) != 0)
			continue;
		ix->v[n++] = ix->v[i];
	}
	ix->n = n;
	return 0;
}

int
pitr_dir_new(struct pitr_dir *d, const char *path, char *errstr)
{
	char copy[PATH_MAX], leaf[PATH_MAX], *base, *parent;
	struct stat st;

	d->dfd = -1;
	d->tmp[0] = '\0';
	if (strlen(path) >= sizeof(d->path) - 16)
		return errstr_set(errstr, "%s: name too long", path);
	snprintf(d->path, sizeof(d->path), "%s", path);
	if (lstat(path, &st) == 0)
		return errstr_set(errstr, "%s: exists: refusing to write into "
		    "it", path);
	if (errno != ENOENT)
		return errstr_sys(errstr, "%s", path);
	/* POSIX dirname and basename may write into their argument. */
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(leaf, sizeof(leaf), "%s", path);
	parent = dirname(copy);
	base = basename(leaf);
	if (snprintf(d->tmp, sizeof(d->tmp), "%s/.%s.XXXXXX", parent,
	    base) >= (int)sizeof(d->tmp)) {
		d->tmp[0] = '\0';
		return errstr_set(errstr, "%s: name too long", path);
	}
	if (mkdtemp(d->tmp) == NULL) {
		d->tmp[0] = '\0';
		return errstr_sys(errstr, "%s: a directory beside it", path);
	}
	d->dfd = open(d->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (d->dfd < 0) {
		errstr_sys(errstr, "%s", d->tmp);
		rmdir(d->tmp);
		d->tmp[0] = '\0';
		return -1;
	}
	return 0;
}

int
pitr_dir_create(struct pitr_dir *d, const char *name, char *errstr)
{
	int fd;

	fd = openat(d->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return errstr_sys(errstr, "%s/%s", d->tmp, name);
	return fd;
}

int
pitr_dir_manifest(struct pitr_dir *d, char *errstr)
{
	int fd;

	if ((fd = pitr_dir_create(d, PITR_MANIFEST_FILE, errstr)) < 0)
		return -1;
	if (io_writeall(fd, PITR_MANIFEST, strlen(PITR_MANIFEST)) < 0 ||
	    fsync(fd) < 0) {
		errstr_sys(errstr, "write %s/%s", d->tmp, PITR_MANIFEST_FILE);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return errstr_sys(errstr, "close %s/%s", d->tmp,
		    PITR_MANIFEST_FILE);
	return 0;
}

int
pitr_dir_commit(struct pitr_dir *d, char *errstr)
{
	if (fsync(d->dfd) < 0)
		return errstr_sys(errstr, "fsync %s", d->tmp);
	if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->path,
	    RENAME_NOREPLACE) < 0)
		return errstr_sys(errstr, "rename %s to %s", d->tmp, d->path);
	close(d->dfd);
	d->dfd = -1;
	d->tmp[0] = '\0';
	/* The rename is durable once the parent is. */
	if (io_fsync_dir(d->path) < 0)
		return errstr_sys(errstr, "fsync %s", d->path);
	return 0;
}

void
pitr_dir_abort(struct pitr_dir *d)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	if (d->tmp[0] == '\0')
		return;
	/* Only this process has written in it (mode 0700, a fresh name):
	 * every entry is a file of ours. */
	if ((fd = dup(d->dfd)) >= 0 && (dir = fdopendir(fd)) != NULL) {
		while ((de = readdir(dir)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlinkat(d->dfd, de->d_name, 0);
		closedir(dir);
	} else if (fd >= 0)
		close(fd);
	close(d->dfd);
	d->dfd = -1;
	rmdir(d->tmp);
	d->tmp[0] = '\0';
}

int
pitr_check_aof(const struct pitr_dir *d, const char *tool, time_t t,
    char *errstr)
{
	char ts[32], manifest[PATH_MAX + 32], out[TOOL_OUT_MAX + 1], *last;
	char buf[512];
	int p[2], status, nul;
	size_t have = 0, i;
	ssize_t n;
	pid_t pid;

	snprintf(ts, sizeof(ts), "%lld", (long long)t);
	snprintf(manifest, sizeof(manifest), "%s/%s", d->tmp,
	    PITR_MANIFEST_FILE);
	if (pipe2(p, O_CLOEXEC) < 0)
		return errstr_sys(errstr, "%s", tool);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return errstr_sys(errstr, "%s", tool);
	}
	if (pid == 0) {
		nul = open("/dev/null", O_RDONLY);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(p[1], 1) < 0 ||
		    dup2(p[1], 2) < 0)
			_exit(127);
		execl(tool, tool, "--truncate-to-timestamp", ts, manifest,
		    (char *)NULL);
		n = write(2, "cannot run it", 13);
		_exit(127);
	}
	close(p[1]);
	/* Its output, the last TOOL_OUT_MAX bytes of it, for the message. */
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (have == TOOL_OUT_MAX) {
				memmove(out, out + 1, TOOL_OUT_MAX - 1);
				have--;
			}
			out[have++] = buf[i];
		}
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errstr_sys(errstr, "%s: wait", tool);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	while (have > 0 && (out[have - 1] == '\n' || out[have - 1] == '\r'))
		have--;
	out[have] = '\0';
	last = (last = strrchr(out, '\n')) != NULL ? last + 1 : out;
	if (WIFEXITED(status))
		return errstr_set(errstr, "%s: exit %d%s%s", tool,
		    WEXITSTATUS(status), *last ? ": " : "", last);
	return errstr_set(errstr, "%s: killed by signal %d%s%s", tool,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0, *last ? ": " : "",
	    last);
}

/* Checks what pitr_get unpacked: a base is a whole RDB, a chunk ends with
 * its own trailer; returns 0 or -1. */
static int
get_check(const struct pitr_cfg *cfg, const struct archive_obj *o,
    const struct pack_stats *st, const struct pitr_tail *tail, char *errstr)
{
	char e[ERRSTR_LEN], w[ERRSTR_LEN + 64];

	if (o->kind == ARCHIVE_BASE) {
		if (!st->is_rdb)
			return errstr_set(errstr, "%s/%s: not an RDB file",
			    cfg->container, o->name);
		if (st->rdb_warn[0] != '\0' && cfg->warn != NULL) {
			snprintf(w, sizeof(w), "%s: %s", o->name,
			    st->rdb_warn);
			cfg->warn(w);
		}
		return 0;
	}
	if (pitr_trailer_check(tail, o, e) < 0)
		return errstr_set(errstr, "%s/%s: %s", cfg->container,
		    o->name, e);
	return 0;
}

int
pitr_get(const struct pitr_cfg *cfg, const struct archive_obj *o, int fd,
    const char *name, char *errstr)
{
	struct io_fdsink out = { fd, name };
	struct pitr_tail tail;
	struct swift_resp head;
	struct pack_stats st;
	struct progress pr;
	struct unpack *u;
	char e[ERRSTR_LEN];
	uint64_t total = 0;
	int rc;

	memset(&tail, 0, sizeof(tail));
	tail.sink = io_sink_fd;
	tail.sink_arg = &out;
	if ((rc = slo_head(cfg->sc, cfg->container, o->name, &head, e)) < 0)
		return errstr_set(errstr, "%s", e);
	if (rc == 0 || head.status != 200)
		return errstr_set(errstr, "%s/%s: %s", cfg->container,
		    o->name, rc == 0 ? "not found (deleted since the "
		    "listing)" : "not a plain object");
	if ((u = unpack_new(cfg->uc, pitr_tail_sink, &tail, e)) == NULL)
		return errstr_set(errstr, "%s/%s: %s", cfg->container,
		    o->name, e);
	/* slo_get counts what it reads on a progress, here one not shown. */
	progress_init(&pr, "", 0, head.length);
	rc = slo_get(cfg->sc, cfg->container, o->name, &head, unpack_sink, u,
	    &pr, &total, e);
	if (rc == 0)
		rc = unpack_finish(u, e);
	unpack_free(u, &st);
	if (rc < 0)
		return errstr_set(errstr, "%s/%s: %s", cfg->container,
		    o->name, e);
	if (get_check(cfg, o, &st, &tail, errstr) < 0)
		return -1;
	if (cfg->log != NULL)
		cfg->log("%s/%s: %" PRIu64 " bytes, %" PRIu64 " unpacked, "
		    "checked", cfg->container, o->name, total, st.plain);
	return 0;
}

/* Fetches objects o[0..n) one after the other into the new file name of
 * d; returns 0 or -1. */
static int
get_into(const struct pitr_cfg *cfg, struct pitr_dir *d, const char *name,
    const struct archive_obj *o, size_t n, char *errstr)
{
	char path[PATH_MAX + 64];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d->tmp, name);
	if ((fd = pitr_dir_create(d, name, errstr)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (pitr_get(cfg, &o[i], fd, path, errstr) < 0) {
			close(fd);
			return -1;
		}
	if (fsync(fd) < 0) {
		errstr_sys(errstr, "fsync %s", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return errstr_sys(errstr, "close %s", path);
	return 0;
}

int
pitr_build(const struct pitr_cfg *cfg, const struct archive_base *b,
    size_t nchunks, time_t t, const char *dir, char *errstr)
{
	struct pitr_dir d;

	if (pitr_dir_new(&d, dir, errstr) < 0)
		return -1;
	if (get_into(cfg, &d, PITR_BASE_FILE, &b->base, 1, errstr) < 0 ||
	    get_into(cfg, &d, PITR_INCR_FILE, b->chain, nchunks, errstr) < 0 ||
	    pitr_dir_manifest(&d, errstr) < 0 ||
	    (cfg->check_aof != NULL &&
	    pitr_check_aof(&d, cfg->check_aof, t, errstr) < 0) ||
	    pitr_dir_commit(&d, errstr) < 0) {
		pitr_dir_abort(&d);
		return -1;
	}
	return 0;
}
