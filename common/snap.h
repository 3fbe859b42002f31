/*
 * A consistent RDB snapshot of a running server, two ways:
 *
 *   local:  find the dump, BGSAVE, wait until a save that forked after the
 *           request has finished well, open the file (the open descriptor
 *           pins it), stream it;
 *   --sync: ask for the RDB over the replication protocol (both the
 *           "$<len>" and the diskless "$EOF:<mark>" forms).
 *
 * Either stream passes through the RDB checker (framing and CRC64) on its
 * way to the sink.
 */
#ifndef RDBPIPE_SNAP_H
#define RDBPIPE_SNAP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

#include "errstr.h"
#include "io.h"
#include "rdb.h"

struct progress;
struct redis_ctx;

/* The checking stage in front of a sink: the RDB checker, then next. */
struct snap_check {
	struct rdb_check rdb;
	const char	*name;
	io_sink_fn	 next;
	void		*next_arg;
	uint64_t	 bytes;
};

struct snap_opts {
	const char	*dir;		/* --dir; NULL: CONFIG GET dir */
	const char	*dbfilename;	/* --dbfilename; NULL: CONFIG GET */
	long		 timeout_ms;	/* the whole run; 0: no limit */
	int		 remove;	/* --remove was asked for */
	int		 no_follow;	/* --no-follow: wait, then stream */
};

struct snap_result {
	char		 path[PATH_MAX];	/* the dump (local mode) */
	int		 persistence_off;	/* 1 off, 0 on, -1 unknown */
	int		 waited;	/* another save or a rewrite ran first */
	double		 save_secs;	/* from the request to the finished save */
	uint64_t	 bytes;		/* streamed */
	int		 rdb_version;
	uint64_t	 keys;
	int		 valkey;	/* a VALKEY header */
	char		 warn[ERRSTR_LEN];	/* what was not checked, or "" */
	/* Following the save's temp file while the fork writes it. */
	int		 follow;	/* the fd is the temp file, unfinished */
	uint64_t	 follow_saves;	/* rdb_saves when it was opened */
	uint64_t	 early_bytes;	/* streamed before the save ended */
	double		 t0;		/* when the save was requested */
	char		 dir[PATH_MAX];	/* the server's dir */
};

/* Local mode up to the finished save: locates the dump, refuses --remove
 * unless persistence is off, checks free space when it is off, saves and
 * waits; returns a descriptor open on the new dump, or -1.  Unless
 * o->no_follow, it returns as soon as the save's child has created its
 * temp file (temp-<pid>.rdb in the dir), found unambiguously, with
 * r->follow set: snap_follow then streams it while the fork writes it.
 * Where that file cannot be told apart, it waits for the end as before. */
int snap_bgsave(struct redis_ctx *c, const struct snap_opts *o,
    struct snap_result *r, char *errstr);

/* Streams the dump open on fd to out, checking it, with sendfile(2) where
 * out takes it and the shared read/write loop where not; returns 0 or -1. */
int snap_stream(int fd, const struct io_fdsink *out, struct progress *pr,
    struct snap_result *r, char *errstr);

/* Streams the temp file open on fd (r->follow) as the fork writes it:
 * reads to its end, and when the save has not ended yet waits and reads
 * again; once the save has ended well, reads the rest (the descriptor
 * survives the rename to the dump's name).  Every byte passes the RDB
 * check before it is written.  A save that fails or is killed mid-way
 * leaves a truncated stream on out and returns -1, so the caller exits 1
 * and rdb-pack downstream (which checks the RDB too) never writes its
 * final age chunk.  Returns 0 or -1. */
int snap_follow(struct redis_ctx *c, const struct snap_opts *o, int fd,
    const struct io_fdsink *out, struct progress *pr, struct snap_result *r,
    char *errstr);

/* Removes r->path when it is still the file open on fd (a later save may
 * have put another there); returns 0 or -1. */
int snap_remove(int fd, const struct snap_result *r, char *errstr);

/* --sync: the RDB over the replication protocol into sink, checked;
 * returns 0 or -1. */
int snap_sync(struct redis_ctx *c, const struct snap_opts *o, io_sink_fn sink,
    void *sink_arg, struct progress *pr, struct snap_result *r,
    char *errstr);

/* The end of a diskless transfer: the RDB is followed by the 40 bytes of
 * the mark announced in "$EOF:<mark>".  The detector holds back the last
 * 40 bytes seen, passes everything before them on, and is found when the
 * held bytes are the mark; the mark itself is never passed on.  Found is
 * a candidate end (the RDB could hold those bytes): the caller confirms it
 * with the RDB checker, and more bytes clear it. */
#define SNAP_MARK_LEN 40

struct snap_eof {
	unsigned char	 mark[SNAP_MARK_LEN];
	unsigned char	 hold[SNAP_MARK_LEN];
	size_t		 held;
	int		 found;
};

void snap_eof_init(struct snap_eof *e, const char *mark);

/* Feeds len bytes; returns 0 or the sink's -1. */
int snap_eof_feed(struct snap_eof *e, const void *buf, size_t len,
    io_sink_fn sink, void *sink_arg, char *errstr);

/*
 * The RDB of a replication transfer (SYNC, or PSYNC's full resync), pushed
 * in as it arrives: the bulk header line, then bytes in pieces of any
 * size, checked on their way to the sink.  With "$<len>" the end is the
 * count; with "$EOF:<mark>" it is the mark after an RDB the checker calls
 * whole.  A master sends nothing after the mark until the replica's first
 * REPLCONF ACK (Redis 6 and later), so the bytes up to the mark are the
 * RDB's.
 */
struct snap_xfer {
	struct snap_check cs;
	struct snap_eof	 eof;
	int		 diskless;
	uint64_t	 left;		/* "$<len>": bytes still due */
	int		 done;		/* the RDB is whole */
};

/* Reads the header line ("$<len>" or "$EOF:<mark>", no CRLF); what names
 * the transfer in messages; returns 0 or -1. */
int snap_xfer_start(struct snap_xfer *x, const char *what, const char *line,
    io_sink_fn sink, void *sink_arg, char *errstr);

/* Feeds up to len bytes; returns how many were the RDB's (fewer than len
 * only once x->done), or -1. */
ssize_t snap_xfer_feed(struct snap_xfer *x, const void *buf, size_t len,
    char *errstr);

/* Ends the transfer: the RDB complete, its counts into r; returns 0 or -1. */
int snap_xfer_end(struct snap_xfer *x, struct snap_result *r, char *errstr);

/* Picks the reason for a failed background save out of the tail of a
 * Redis log: the warnings of the last save's child (or, failing those,
 * of the parent after its start); returns 0 with the reason in out, or -1
 * when the log says nothing useful. */
int snap_log_reason(const char *log, size_t len, char *out, size_t outlen);

#endif
