#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "archiver.h"
#include "pitr.h"
#include "clock.h"
#include "cluster.h"
#include "errstr.h"
#include "io.h"
#include "pack.h"
#include "redis.h"
#include "repl.h"
#include "slo.h"
#include "swift.h"

/* Object names: PREFIX/archive/REPLID/ and two 20-digit offsets. */
#define NAME_MAX_ARCH	4096
/* A master pings its replicas every repl-ping-replica-period (10 s by
 * default) and sends newlines while it saves: this long a silence is a
 * lost link, as Redis's own repl-timeout default says. */
#define SILENCE_MAX	60
/* Reconnecting and retrying an upload back off to this. */
#define BACKOFF_MAX_MS	30000
/* Objects larger than this (a base) go up as Static Large Objects in
 * segments of this size, as swift-put's default. */
#define SEGMENT_SIZE	(64ULL * 1024 * 1024)
/* A chunk buffer above this is given back once uploaded. */
#define CHUNK_KEEP	(4 * 1024 * 1024)

/* Appends len bytes; returns 0 or -1. */
static int
chunk_put(struct chunk *c, const void *buf, size_t len, char *errstr)
{
	char *n;

	if ((n = io_grow(c->p, &c->cap, c->n + len, 64 * 1024)) == NULL)
		return errstr_sys(errstr, "chunk");
	c->p = n;
	memcpy(c->p + c->n, buf, len);
	c->n += len;
	return 0;
}

static int
chunk_ts(struct chunk *c, time_t t, char *errstr)
{
	char line[40];
	int n = snprintf(line, sizeof(line), "#TS:%lld\r\n", (long long)t);

	c->ts = t;
	return chunk_put(c, line, (size_t)n, errstr);
}

int
chunk_add(struct chunk *c, const void *buf, size_t len, uint64_t end,
    int keep, time_t now, char *errstr)
{
	if (c->start == 0) {
		c->start = end - len + 1;
		c->open = now;
	}
	c->end = end;
	if (!keep)
		return 0;
	if (c->ts != now && chunk_ts(c, now, errstr) < 0)
		return -1;
	return chunk_put(c, buf, len, errstr);
}

int
chunk_seal(struct chunk *c, const char *replid, time_t now, char *errstr)
{
	char line[128];
	int n;

	if (c->ts == 0 && chunk_ts(c, c->open, errstr) < 0)
		return -1;
	if ((n = pitr_trailer(line, sizeof(line), replid, c->start,
	    c->end)) < 0)
		return errstr_set(errstr, "%s: not a replication id", replid);
	c->close = now;
	return chunk_put(c, line, (size_t)n, errstr);
}

void
chunk_reset(struct chunk *c)
{
	if (c->cap > CHUNK_KEEP) {
		free(c->p);
		c->p = NULL;
		c->cap = 0;
	}
	c->n = 0;
	c->start = c->end = 0;
	c->open = c->close = c->ts = 0;
}

void
chunk_free(struct chunk *c)
{
	free(c->p);
	memset(c, 0, sizeof(*c));
}

/* One upload: the packer in front of the Swift upload. */
struct put {
	struct pack	*p;
	struct slo_put	*sp;
};

static int
put_open(const struct archiver_cfg *cfg, struct swift_ctx *sc,
    const char *name, const char *const *meta, int nmeta, struct put *u,
    char *errstr)
{
	struct slo_put_cfg sc_cfg;

	memset(&sc_cfg, 0, sizeof(sc_cfg));
	memset(u, 0, sizeof(*u));
	sc_cfg.c = sc;
	sc_cfg.container = cfg->container;
	sc_cfg.object = name;
	sc_cfg.meta = meta;
	sc_cfg.nmeta = nmeta;
	sc_cfg.segment_size = SEGMENT_SIZE;
	if ((u->sp = slo_put_new(&sc_cfg, errstr)) == NULL)
		return -1;
	if ((u->p = pack_new(cfg->pc, slo_put_sink, u->sp, errstr)) == NULL) {
		slo_put_free(u->sp);
		u->sp = NULL;
		return -1;
	}
	return 0;
}

/* Ends the upload (ok: the input was whole) or abandons it, leaving
 * nothing under its name; returns 0 when it is stored. */
static int
put_close(struct put *u, int ok, char *errstr)
{
	size_t removed;
	int rc = ok ? 0 : -1;

	if (u->sp == NULL)
		return -1;
	if (rc == 0)
		rc = pack_finish(u->p, errstr);
	if (rc == 0)
		rc = slo_put_finish(u->sp, errstr);
	pack_free(u->p, NULL);
	if (rc < 0)
		slo_put_cleanup(u->sp, NULL, &removed);
	slo_put_free(u->sp);
	memset(u, 0, sizeof(*u));
	return rc;
}

/* The uploader thread and what it shares with the reader. */
struct uploader {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 th;
	const struct archiver_cfg *cfg;
	struct swift_ctx	*sc;
	struct chunk		 ch;		/* sealed, being uploaded */
	char			 replid[ARCHIVE_REPLID_LEN + 1];
	int			 busy;
	int			 quit;
	uint64_t		 shipped;	/* END of the last stored */
	time_t			 last_close;	/* its CLOSE */
};

/* Packs and stores one sealed chunk; returns 0, or -1 (retry). */
static int
upload_chunk(struct uploader *up, const char *name, char *errstr)
{
	struct put u;
	int rc;

	if (put_open(up->cfg, up->sc, name, NULL, 0, &u, errstr) < 0)
		return -1;
	rc = pack_write(u.p, up->ch.p, up->ch.n, errstr);
	return put_close(&u, rc == 0, errstr);
}

/* Uploads until the chunk is stored: a failure is retried with backoff
 * (Swift may be away for a while; the master keeps what is not read), and
 * an object already there under this name is one an earlier try stored. */
static void
upload_until_stored(struct uploader *up)
{
	const struct archiver_cfg *cfg = up->cfg;
	char name[NAME_MAX_ARCH], e[ERRSTR_LEN];
	struct swift_resp resp;
	long ms = 1000;
	int tries = 0;

	if (archive_chunk_name(name, sizeof(name), cfg->prefix, up->replid,
	    up->ch.start, up->ch.end, up->ch.open, up->ch.close,
	    cfg->ext) < 0) {
		cfg->say("%s/archive/%s: chunk name does not fit", cfg->prefix,
		    up->replid);
		return;
	}
	for (;;) {
		if (upload_chunk(up, name, e) == 0)
			break;
		if (tries > 0 && slo_head(up->sc, cfg->container, name, &resp,
		    NULL) == 1) {
			free(resp.body);
			break;
		}
		if (tries++ == 0)
			cfg->say("upload %s: %s; retrying", name, e);
		else if (cfg->log != NULL)
			cfg->log("upload %s: %s; retrying", name, e);
		clock_nap(ms, NULL);
		ms = ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
	}
	if (cfg->log != NULL)
		cfg->log("stored %s (%zu bytes of AOF)", name, up->ch.n);
}

static void *
uploader_main(void *arg)
{
	struct uploader *up = arg;

	pthread_mutex_lock(&up->mu);
	for (;;) {
		while (!up->busy && !up->quit)
			pthread_cond_wait(&up->cv, &up->mu);
		if (!up->busy)
			break;
		pthread_mutex_unlock(&up->mu);
		upload_until_stored(up);
		pthread_mutex_lock(&up->mu);
		up->shipped = up->ch.end;
		up->last_close = up->ch.close;
		chunk_reset(&up->ch);
		up->busy = 0;
		pthread_cond_broadcast(&up->cv);
	}
	pthread_mutex_unlock(&up->mu);
	return NULL;
}

/* Hands a sealed chunk to the uploader, waiting for it to be free when
 * wait is set; returns 1 when handed over, 0 when it was busy. */
static int
uploader_give(struct uploader *up, struct chunk *c, const char *replid,
    int wait)
{
	struct chunk t;

	pthread_mutex_lock(&up->mu);
	while (wait && up->busy)
		pthread_cond_wait(&up->cv, &up->mu);
	if (up->busy) {
		pthread_mutex_unlock(&up->mu);
		return 0;
	}
	/* Swap the buffers: the uploader's empty one becomes ours. */
	t = up->ch;
	up->ch = *c;
	*c = t;
	snprintf(up->replid, sizeof(up->replid), "%s", replid);
	up->busy = 1;
	pthread_cond_broadcast(&up->cv);
	pthread_mutex_unlock(&up->mu);
	return 1;
}

/* Waits until nothing is uploading. */
static void
uploader_drain(struct uploader *up)
{
	pthread_mutex_lock(&up->mu);
	while (up->busy)
		pthread_cond_wait(&up->cv, &up->mu);
	pthread_mutex_unlock(&up->mu);
}

/* The reader's state across connections. */
struct arch {
	const struct archiver_cfg *cfg;
	struct uploader	 up;
	struct repl	 r;
	struct redis_ctx *c;
	struct chunk	 cur;
	/* Where the archive stands: chunks go under base_replid; a new
	 * connection asks to go on from psync_replid at psync_off + 1. */
	char		 base_replid[ARCHIVE_REPLID_LEN + 1];
	char		 psync_replid[ARCHIVE_REPLID_LEN + 1];
	uint64_t	 psync_off;
	int		 have_psync;
	struct put	 base;		/* the base being stored */
	char		 base_name[NAME_MAX_ARCH];
	uint64_t	 base_off;
	uint64_t	 bases;
	int		 streaming;	/* up: the stream flows */
	/* A cluster node (cluster.h): who it is now, asked at each
	 * connection, and the slots of the base the chunks go under. */
	int		 cluster;
	struct cluster_node me;
	char		 base_slots[CLUSTER_SLOTS_MAX + 1];
	char		 new_slots[CLUSTER_SLOTS_MAX + 1];
	int		 located;	/* the resume point is known */
	int		 fatal;		/* a failure not to retry */
	int		 behind;	/* in a falling-behind episode */
	double		 last_rx;	/* when the master last sent bytes */
};

/* Hands the current chunk over, sealed, when it has stream bytes. */
static int
ship_current(struct arch *a, int wait, char *errstr)
{
	if (a->cur.start == 0)
		return 1;
	if (!wait) {
		pthread_mutex_lock(&a->up.mu);
		wait = !a->up.busy;
		pthread_mutex_unlock(&a->up.mu);
		if (!wait)
			return 0;
	}
	if (chunk_seal(&a->cur, a->base_replid, time(NULL), errstr) < 0)
		return -1;
	uploader_give(&a->up, &a->cur, a->base_replid, 1);
	chunk_reset(&a->cur);
	return 1;
}

/* Starts the upload of the base, with its slots and node id on a cluster
 * node; returns 0 or -1. */
static int
open_base(struct arch *a, char *errstr)
{
	char slots[sizeof(PITR_META_SLOTS) + CLUSTER_SLOTS_MAX + 1];
	char node[sizeof(PITR_META_NODE) + CLUSTER_ID_LEN + 1];
	const char *meta[2] = { slots, node };

	snprintf(a->new_slots, sizeof(a->new_slots), "%s", a->cluster ?
	    a->me.slots : "");
	snprintf(slots, sizeof(slots), PITR_META_SLOTS "=%s", a->me.slots);
	snprintf(node, sizeof(node), PITR_META_NODE "=%s", a->me.id);
	return put_open(a->cfg, a->cfg->sc, a->base_name, meta,
	    a->cluster ? 2 : 0, &a->base, errstr);
}

static int
on_fullresync(void *arg, const char *replid, uint64_t off, char *errstr)
{
	struct arch *a = arg;
	const struct archiver_cfg *cfg = a->cfg;

	if (ship_current(a, 1, errstr) < 0)
		return -1;
	if (archive_base_name(a->base_name, sizeof(a->base_name), cfg->prefix,
	    replid, off, time(NULL), cfg->ext) < 0)
		return errstr_set(errstr, "%s/archive/%s: base name does not "
		    "fit", cfg->prefix, replid);
	if (a->have_psync)
		cfg->say("new base %s at offset %" PRIu64 " (the master "
		    "could not continue %s at offset %" PRIu64 ")", replid, off,
		    a->psync_replid, a->psync_off + 1);
	else
		cfg->say("new base %s at offset %" PRIu64 " (nothing "
		    "archived yet)", replid, off);
	a->base_off = off;
	return open_base(a, errstr);
}

static int
on_resumed(void *arg, const char *replid, char *errstr)
{
	struct arch *a = arg;

	(void)errstr;
	if (a->cfg->log != NULL)
		a->cfg->log("continuing %s at offset %" PRIu64, replid,
		    a->r.offset + 1);
	a->streaming = 1;
	return 0;
}

static int
on_rdb(void *arg, const void *buf, size_t len, char *errstr)
{
	return pack_write(((struct arch *)arg)->base.p, buf, len, errstr);
}

static int
on_rdb_end(void *arg, const struct snap_result *res, char *errstr)
{
	struct arch *a = arg;

	if (put_close(&a->base, 1, errstr) < 0)
		return -1;
	if (a->cfg->log != NULL)
		a->cfg->log("stored %s (%" PRIu64 " bytes of RDB, %" PRIu64
		    " keys)", a->base_name, res->bytes, res->keys);
	snprintf(a->base_replid, sizeof(a->base_replid), "%s", a->r.replid);
	snprintf(a->base_slots, sizeof(a->base_slots), "%s", a->new_slots);
	snprintf(a->psync_replid, sizeof(a->psync_replid), "%s", a->r.replid);
	a->psync_off = a->base_off;
	a->have_psync = 1;
	a->bases++;
	a->streaming = 1;
	pthread_mutex_lock(&a->up.mu);
	a->up.shipped = a->base_off;
	pthread_mutex_unlock(&a->up.mu);
	return 0;
}

static int
on_command(void *arg, const void *buf, size_t len, uint64_t end, int keep,
    char *errstr)
{
	struct arch *a = arg;

	snprintf(a->psync_replid, sizeof(a->psync_replid), "%s", a->r.replid);
	a->psync_off = end;
	return chunk_add(&a->cur, buf, len, end, keep, time(NULL), errstr);
}

static int
on_send(void *arg, const void *buf, size_t len, char *errstr)
{
	struct arch *a = arg;

	if (redis_append_raw(a->c, buf, len) < 0 || redis_flush(a->c) < 0)
		return errstr_set(errstr, "REPLCONF ACK: %s",
		    redis_errstr(a->c));
	return 0;
}

/* Writes the metrics file whole or not at all (a temp file renamed). */
static void
write_metrics(struct arch *a)
{
	const char *f = a->cfg->metrics_file;
	char dir[NAME_MAX_ARCH], tmp[64], text[2048];
	uint64_t shipped, recv = a->r.offset;
	time_t last, oldest = 0, now = time(NULL);
	int fd, n, dfd;

	if (f == NULL)
		return;
	pthread_mutex_lock(&a->up.mu);
	shipped = a->up.shipped;
	last = a->up.last_close;
	oldest = a->up.busy ? a->up.ch.open : 0;
	pthread_mutex_unlock(&a->up.mu);
	if (oldest == 0 && a->cur.start != 0)
		oldest = a->cur.open;
	if (recv < shipped)
		recv = shipped;
	n = snprintf(text, sizeof(text),
	    "# HELP aof_archive_received_offset The master's replication offset read.\n"
	    "# TYPE aof_archive_received_offset gauge\n"
	    "aof_archive_received_offset %" PRIu64 "\n"
	    "# HELP aof_archive_shipped_offset The last offset stored in Swift.\n"
	    "# TYPE aof_archive_shipped_offset gauge\n"
	    "aof_archive_shipped_offset %" PRIu64 "\n"
	    "# HELP aof_archive_lag_bytes Stream bytes read but not yet stored.\n"
	    "# TYPE aof_archive_lag_bytes gauge\n"
	    "aof_archive_lag_bytes %" PRIu64 "\n"
	    "# HELP aof_archive_lag_seconds Age of the oldest stream byte not yet stored.\n"
	    "# TYPE aof_archive_lag_seconds gauge\n"
	    "aof_archive_lag_seconds %lld\n"
	    "# HELP aof_archive_last_chunk_time_seconds When the last stored chunk closed (Unix time).\n"
	    "# TYPE aof_archive_last_chunk_time_seconds gauge\n"
	    "aof_archive_last_chunk_time_seconds %lld\n"
	    "# HELP aof_archive_bases_total Bases (full resyncs) stored by this process.\n"
	    "# TYPE aof_archive_bases_total counter\n"
	    "aof_archive_bases_total %" PRIu64 "\n"
	    "# HELP aof_archive_up 1 while the replication stream flows.\n"
	    "# TYPE aof_archive_up gauge\n"
	    "aof_archive_up %d\n",
	    recv, shipped, recv - shipped,
	    (long long)(oldest != 0 ? now - oldest : 0), (long long)last,
	    a->bases, a->streaming);
	snprintf(dir, sizeof(dir), "%s", f);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	fd = io_create_tmp(dfd, ".aof-archive-metrics.", 0644, tmp,
	    sizeof(tmp));
	if (fd >= 0) {
		int bad = io_writeall(fd, text, (size_t)n) < 0;

		if (close(fd) < 0 || bad || renameat(dfd, tmp, AT_FDCWD, f) < 0)
			unlinkat(dfd, tmp, 0);
	}
	close(dfd);
}

/* What one pass of the loop does about the current chunk: closes it when
 * its interval is over or it is full and the uploader is free; says so
 * once when the uploader is not.  Returns 1 when reading must pause (the
 * chunk is full and cannot go), 0 to read on, -1 on failure. */
static int
tend_chunk(struct arch *a, char *errstr)
{
	const struct archiver_cfg *cfg = a->cfg;
	time_t now = time(NULL);
	int full = a->cur.n >= cfg->chunk_size, rc;

	if (a->cur.start == 0 ||
	    (!full && (uint64_t)(now - a->cur.open) < cfg->interval))
		return 0;
	if ((rc = ship_current(a, 0, errstr)) < 0)
		return -1;
	if (rc == 1) {
		if (a->behind && cfg->log != NULL)
			cfg->log("caught up");
		a->behind = 0;
		return 0;
	}
	if (!a->behind)
		cfg->say("falling behind: the previous chunk is still "
		    "uploading; this one grows to --chunk-size, then reading "
		    "pauses (the master keeps the stream)");
	a->behind = 1;
	return full;
}

/* Reads what the master sent (waiting up to 100 ms) into the engine;
 * returns 0 or -1. */
static int
read_some(struct arch *a, char *buf, size_t len, char *errstr)
{
	ssize_t n;
	int rc;

	if ((rc = redis_readable(a->c, 100)) < 0)
		return errstr_sys(errstr, "poll");
	if (rc == 0 && clock_now() - a->last_rx > SILENCE_MAX)
		return errstr_set(errstr, "nothing from the master for %d s",
		    SILENCE_MAX);
	if (rc == 0)
		return 0;
	a->last_rx = clock_now();
	if ((n = redis_read(a->c, buf, len, errstr)) < 0)
		return -1;
	if (n == 0)
		return errstr_set(errstr, "the master closed the connection");
	return repl_feed(&a->r, buf, (size_t)n, errstr);
}

/* The first time: where the archive stands (on a cluster node, among the
 * bases of its shard's slots); a failure here is not retried. */
static int
locate(struct arch *a, char *errstr)
{
	const struct archiver_cfg *cfg = a->cfg;
	int rc;

	if ((rc = archiver_resume_point(cfg, a->cluster ? a->me.map : NULL,
	    a->psync_replid, &a->psync_off, errstr)) < 0) {
		a->fatal = 1;
		return -1;
	}
	a->located = 1;
	a->have_psync = rc;
	snprintf(a->base_replid, sizeof(a->base_replid), "%s", a->psync_replid);
	snprintf(a->base_slots, sizeof(a->base_slots), "%s", a->cluster ?
	    a->me.slots : "");
	a->up.shipped = a->psync_off;
	if (rc == 1 && cfg->log != NULL)
		cfg->log("resuming %s at offset %" PRIu64, a->psync_replid,
		    a->psync_off + 1);
	return 0;
}

/* Asks the server whether it is a cluster node, and which (the slots go
 * with the next base); returns 0 or -1. */
static int
identify(struct arch *a, char *errstr)
{
	const struct archiver_cfg *cfg = a->cfg;
	int rc;

	if ((rc = cluster_ask(a->c, &a->me, errstr)) < 0)
		return -1;
	a->cluster = rc;
	if (rc == 1 && a->me.slots[0] == '\0') {
		a->fatal = 1;
		return errstr_set(errstr, "%s: cluster node %s serves no slot: "
		    "nothing to archive", redis_name(cfg->conn), a->me.id);
	}
	if (!a->located)
		return locate(a, errstr);
	/* Slots moved since the base: its chain would not be the shard its
	 * base names, so a new base starts. */
	if (rc == 1 && a->have_psync && strcmp(a->me.slots,
	    a->base_slots) != 0) {
		cfg->say("cluster node %s now serves slots %s, not %s: "
		    "starting a new base", a->me.id, a->me.slots,
		    a->base_slots);
		a->have_psync = 0;
	}
	return 0;
}

/* Connects, asks to go on where the archive stands, and follows the
 * stream until *stop (0) or a failure (-1). */
static int
session(struct arch *a, char *buf, size_t len, char *errstr)
{
	static const char *capa[] = { "REPLCONF", "capa", "eof", "capa",
	    "psync2" };
	static const struct repl_cb cb0 = { on_fullresync, on_resumed, on_rdb,
	    on_rdb_end, on_command, on_send, NULL };
	const struct archiver_cfg *cfg = a->cfg;
	const char *psync[3];
	struct repl_cb cb = cb0;
	redisReply *rep;
	char off[32];
	double last_ack = 0, last_metrics = 0;
	int rc = 0, pause;

	if ((a->c = redis_connect(cfg->conn, NULL, errstr)) == NULL)
		return -1;
	if (identify(a, errstr) < 0)
		return -1;
	if ((rep = redis_cmd(a->c, errstr, 5, capa)) == NULL)
		return -1;
	freeReplyObject(rep);
	repl_psync_cmd(off, sizeof(off), a->have_psync ? a->psync_replid :
	    NULL, a->psync_off);
	psync[0] = "PSYNC";
	psync[1] = a->have_psync ? a->psync_replid : "?";
	psync[2] = off;
	if (redis_append(a->c, 3, psync) < 0 || redis_flush(a->c) < 0)
		return errstr_set(errstr, "PSYNC: %s", redis_errstr(a->c));
	cb.arg = a;
	a->last_rx = clock_now();
	repl_init(&a->r, &cb, a->have_psync ? a->psync_replid : NULL,
	    a->psync_off);
	while (!*cfg->stop && rc == 0) {
		pause = a->r.state == REPL_STREAM ? tend_chunk(a, errstr) : 0;
		if (pause < 0)
			return -1;
		if (pause)
			clock_nap(100, cfg->stop);
		else
			rc = read_some(a, buf, len, errstr);
		if (rc == 0 && a->r.state == REPL_STREAM &&
		    clock_now() - last_ack >= 1) {
			rc = repl_ack(&a->r, errstr);
			last_ack = clock_now();
		}
		if (clock_now() - last_metrics >= 1) {
			write_metrics(a);
			last_metrics = clock_now();
		}
	}
	return rc;
}

/* After a session: the connection and a base half stored go. */
static void
session_end(struct arch *a)
{
	char e[ERRSTR_LEN];

	if (a->base.sp != NULL)
		put_close(&a->base, 0, e);
	repl_free(&a->r);
	redis_free(a->c);
	a->c = NULL;
	a->streaming = 0;
}

static int
arch_start(struct arch *a, const struct archiver_cfg *cfg, char *errstr)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->up.cfg = cfg;
	if ((a->up.sc = swift_dup(cfg->sc, errstr)) == NULL)
		return -1;
	pthread_mutex_init(&a->up.mu, NULL);
	pthread_cond_init(&a->up.cv, NULL);
	if (pthread_create(&a->up.th, NULL, uploader_main, &a->up) != 0) {
		swift_free(a->up.sc);
		return errstr_set(errstr, "uploader thread: %s",
		    strerror(errno));
	}
	return 0;
}

/* Ships what is left, stops the uploader, frees everything. */
static int
arch_stop(struct arch *a, char *errstr)
{
	int rc = ship_current(a, 1, errstr) < 0 ? -1 : 0;

	uploader_drain(&a->up);
	pthread_mutex_lock(&a->up.mu);
	a->up.quit = 1;
	pthread_cond_broadcast(&a->up.cv);
	pthread_mutex_unlock(&a->up.mu);
	pthread_join(a->up.th, NULL);
	a->streaming = 0;
	write_metrics(a);
	chunk_free(&a->cur);
	chunk_free(&a->up.ch);
	swift_free(a->up.sc);
	return rc;
}

int
archiver_run(const struct archiver_cfg *cfg, char *errstr)
{
	static struct arch a;
	char *buf, e[ERRSTR_LEN];
	long ms = 1000;
	int down = 0, rc;

	if (arch_start(&a, cfg, errstr) < 0)
		return -1;
	if ((buf = malloc(IO_BUFSZ)) == NULL) {
		errstr_sys(errstr, "memory");
		arch_stop(&a, e);
		return -1;
	}
	while (!*cfg->stop) {
		rc = session(&a, buf, IO_BUFSZ, e);
		if (rc < 0 && a.fatal) {
			session_end(&a);
			free(buf);
			arch_stop(&a, errstr);
			return errstr_set(errstr, "%s", e);
		}
		if (a.streaming)
			ms = 1000;
		if (a.streaming && down && cfg->log != NULL)
			cfg->log("connected again");
		session_end(&a);
		if (rc == 0)
			break;
		if (!down)
			cfg->say("lost the connection to %s: %s; reconnecting",
			    redis_name(cfg->conn), e);
		else if (cfg->log != NULL)
			cfg->log("%s: %s; retrying in %ld ms",
			    redis_name(cfg->conn), e, ms);
		down = 1;
		clock_nap(ms, cfg->stop);
		ms = ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
	}
	free(buf);
	return arch_stop(&a, errstr);
}

int
archiver_resume_point(const struct archiver_cfg *cfg,
    const unsigned char *map, char *replid, uint64_t *shipped, char *errstr)
{
	struct archive_index ix;
	const struct archive_base *b;
	struct pitr_names names;
	char e[ERRSTR_LEN];

	if (pitr_index(cfg->sc, cfg->container, cfg->prefix, &ix, &names,
	    e) < 0) {
		/* A container not made yet holds no archive. */
		if (strstr(e, ": container not found") != NULL)
			return 0;
		return errstr_set(errstr, "%s", e);
	}
	if (map != NULL && pitr_keep_slots(cfg->sc, cfg->container, &ix, map,
	    errstr) < 0) {
		archive_index_free(&ix);
		pitr_names_free(&names);
		return -1;
	}
	if ((b = archive_newest(&ix)) != NULL) {
		snprintf(replid, ARCHIVE_REPLID_LEN + 1, "%s", b->base.replid);
		*shipped = b->shipped;
	}
	archive_index_free(&ix);
	pitr_names_free(&names);
	return b != NULL;
}
