/*
 * The continuous archiver behind aof-archive: a replica connection
 * (common/repl) whose base RDB and command stream go to Swift as the
 * objects of common/archive, each packed as rdb-pack packs (common/pack)
 * and uploaded as swift-put uploads (common/slo, If-None-Match: *).
 *
 *   master -> repl -> base:   pack -> slo_put                (in line)
 *                  -> stream: chunk (#TS, commands, trailer)
 *                             -> pack -> slo_put              (a thread)
 *
 * Memory is bounded by two chunks: the one being filled and the one
 * uploading.  While an upload runs the next chunk keeps filling, up to
 * the size limit; then reading stops (the master keeps the stream in its
 * buffers and backlog) until the upload is done.
 */
#ifndef RDBPIPE_ARCHIVER_H
#define RDBPIPE_ARCHIVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "archive.h"
#include "errstr.h"
#include "pack.h"

struct redis_conn;
struct swift_ctx;

/* One chunk's plaintext as it fills: an AOF fragment. */
struct chunk {
	char		*p;
	size_t		 n, cap;
	uint64_t	 start, end;	/* offsets, inclusive; start 0: empty */
	time_t		 open, close;
	time_t		 ts;		/* the last #TS written; 0: none */
};

/* Takes one command of the stream ending at offset end, read at now (kept
 * is 0 for PING and REPLCONF: counted, not written); returns 0 or -1. */
int chunk_add(struct chunk *c, const void *buf, size_t len, uint64_t end,
    int keep, time_t now, char *errstr);

/* Closes the chunk at now: the #TS of its open second when it holds no
 * command, then the trailer "#rdbpipe:REPLID:START-END"; returns 0 or
 * -1. */
int chunk_seal(struct chunk *c, const char *replid, time_t now,
    char *errstr);

/* Empties the chunk, keeping its buffer when it is small. */
void chunk_reset(struct chunk *c);

void chunk_free(struct chunk *c);

struct archiver_cfg {
	const struct redis_conn	*conn;
	struct swift_ctx	*sc;
	const char		*container;
	const char		*prefix;	/* no trailing slash */
	const struct pack_cfg	*pc;
	const char		*ext;		/* "zst.age", "xz", ... */
	uint64_t		 interval;	/* seconds */
	uint64_t		 chunk_size;	/* bytes */
	const char		*metrics_file;	/* NULL: none */
	/* Set by SIGTERM or SIGINT: the current chunk is closed and
	 * uploaded, then archiver_run returns 0. */
	volatile sig_atomic_t	*stop;
	/* Notices (a new base, a lost connection, falling behind) and the
	 * -v details (NULL: none); a line each, without the newline. */
	void			(*say)(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
	void			(*log)(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
};

/* Lists PREFIX/archive/ and finds where to resume: the newest base's
 * replid and the last offset shipped, among the bases whose slot ranges
 * are map's when it is not NULL (a cluster node's); returns 1 when there
 * is one, 0 when there is none, -1 on failure. */
int archiver_resume_point(const struct archiver_cfg *cfg,
    const unsigned char *map, char *replid, uint64_t *shipped,
    char *errstr);

/* Archives until *cfg->stop; returns 0 then, or -1 on a failure it
 * cannot retry (a chunk or base it may not write). */
int archiver_run(const struct archiver_cfg *cfg, char *errstr);

#endif
