/*
 * Point-in-time restore from the continuous archive (ARCHIVE.md): the
 * restore side of what aof-archive uploads.
 *
 *   listing -> archive index -> archive_plan (common/archive)
 *   each object: swift GET (verified, common/slo) -> unpack (common/pack)
 *       -> the base: the RDB check / a chunk: its trailer checked
 *       -> a file in a new directory beside DIR
 *   manifest -> [redis-check-aof --truncate-to-timestamp] -> rename to DIR
 *
 * The directory is an appendonlydir Redis 7 loads as is:
 *   appendonly.aof.1.base.rdb, appendonly.aof.1.incr.aof (the chain's
 *   plaintexts concatenated, trailers kept: the loader skips '#' lines)
 *   and appendonly.aof.manifest.
 * Until the last rename nothing is under DIR's name, so a failure or an
 * interruption leaves no DIR.
 */
#ifndef RDBPIPE_PITR_H
#define RDBPIPE_PITR_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "archive.h"
#include "errstr.h"
#include "io.h"
#include "pack.h"
#include "swift.h"

#define PITR_BASE_FILE		"appendonly.aof.1.base.rdb"
#define PITR_INCR_FILE		"appendonly.aof.1.incr.aof"
#define PITR_MANIFEST_FILE	"appendonly.aof.manifest"
#define PITR_MANIFEST \
	"file " PITR_BASE_FILE " seq 1 type b\n" \
	"file " PITR_INCR_FILE " seq 1 type i\n"

/* "#rdbpipe:" REPLID ":" START "-" END "\r\n" at its longest. */
#define PITR_TRAILER_MAX	(9 + ARCHIVE_REPLID_LEN + 1 + 20 + 1 + 20 + 2)
#define PITR_TAIL_MAX		128

/* Writes the trailer of chunk START-END of replid, the last line of its
 * plaintext ("#rdbpipe:REPLID:START-END\r\n", offsets zero-padded to 20 digits as
 * in the object's name), into
 * out; returns its length, or -1 when it does not fit. */
int pitr_trailer(char *out, size_t len, const char *replid, uint64_t start,
    uint64_t end);

/* A pass-through sink keeping the last PITR_TAIL_MAX bytes seen. */
struct pitr_tail {
	io_sink_fn	 sink;		/* the next stage, or NULL */
	void		*sink_arg;
	char		 buf[PITR_TAIL_MAX];
	size_t		 len;		/* bytes in buf */
	uint64_t	 total;		/* bytes seen in all */
};

int pitr_tail_sink(void *tail, const void *buf, size_t len, char *errstr);

/* Whether what t saw ends with the trailer of o (a chunk): its last line
 * "#rdbpipe:REPLID:START-END" naming o's replid and offsets (leading
 * zeros allowed); returns 0, or -1 with why ("no trailer at its end: not
 * a whole chunk", "its trailer is REPLID...:S-E: not this chunk"). */
int pitr_trailer_check(const struct pitr_tail *t, const struct archive_obj *o,
    char *errstr);

/* The names listed, which an index points into. */
struct pitr_names {
	char		**v;
	size_t		  n, cap;
};

/* Lists PREFIX/archive/ into names and builds the index from them
 * (archive.h); returns 0 or -1.  Free the index, then the names. */
int pitr_index(struct swift_ctx *c, const char *container,
    const char *prefix, struct archive_index *ix, struct pitr_names *names,
    char *errstr);

void pitr_names_free(struct pitr_names *names);

/* A cluster node's base carries these (aof-archive(1), "Redis Cluster"):
 * its shard's slot ranges (cluster.h's canonical form) and the node id. */
#define PITR_META_SLOTS		"Cluster-Slots"
#define PITR_META_NODE		"Cluster-Node"

/* HEADs base b and copies its slot ranges and node id metadata into slots
 * and node (CLUSTER_SLOTS_MAX + 1 and CLUSTER_ID_LEN + 1 bytes; "" when
 * absent: not a cluster node's base); returns 0, or -1 ("HEAD ...", or
 * "CONTAINER/OBJECT: bad slot ranges ..."). */
int pitr_base_cluster(struct swift_ctx *c, const char *container,
    const struct archive_obj *b, char *slots, char *node, char *errstr);

/* Keeps in ix only the bases whose slot ranges are map's (HEADing each);
 * returns 0 or -1. */
int pitr_keep_slots(struct swift_ctx *c, const char *container,
    struct archive_index *ix, const unsigned char *map, char *errstr);

/* Where the new directory is built: a temporary one beside path. */
struct pitr_dir {
	char		 path[PATH_MAX];	/* DIR */
	char		 tmp[PATH_MAX];		/* DIR's dir/.DIR.XXXXXX */
	int		 dfd;			/* tmp, open; -1 when none */
};

/* Refuses a path that exists, then makes the temporary directory beside
 * it, mode 0700; returns 0 or -1. */
int pitr_dir_new(struct pitr_dir *d, const char *path, char *errstr);

/* Creates name in it (O_EXCL, 0600); returns the fd, or -1. */
int pitr_dir_create(struct pitr_dir *d, const char *name, char *errstr);

/* Writes the manifest (PITR_MANIFEST) in it; returns 0 or -1. */
int pitr_dir_manifest(struct pitr_dir *d, char *errstr);

/* fsyncs it, renames it to DIR (never over anything there) and fsyncs
 * DIR's parent; returns 0 or -1 (the temporary directory is left for
 * pitr_dir_abort). */
int pitr_dir_commit(struct pitr_dir *d, char *errstr);

/* Removes the temporary directory and everything in it (nothing once
 * committed). */
void pitr_dir_abort(struct pitr_dir *d);

/* Runs "tool --truncate-to-timestamp T DIR/appendonly.aof.manifest" on
 * the temporary directory, with no input; returns 0 when it exits 0, or
 * -1 with "TOOL: how it ended: its last line of output". */
int pitr_check_aof(const struct pitr_dir *d, const char *tool, time_t t,
    char *errstr);

/* What a restore fetches with. */
struct pitr_cfg {
	struct swift_ctx	*sc;
	const char		*container;
	const struct unpack_cfg	*uc;
	const char		*check_aof;	/* redis-check-aof, or NULL */
	/* Non-NULL: called with a line about each object fetched (-v). */
	void			(*log)(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
	/* Non-NULL: called with a warning (an RDB checked only by CRC). */
	void			(*warn)(const char *msg);
};

/* Downloads object o, unpacks it into fd (named name in messages) and
 * checks it: a base must be a whole RDB, a chunk must end with its own
 * trailer; returns 0, or -1 with "CONTAINER/OBJECT: why". */
int pitr_get(const struct pitr_cfg *cfg, const struct archive_obj *o,
    int fd, const char *name, char *errstr);

/* Builds DIR from base b and the first nchunks of its chain (as
 * archive_plan gave them), truncated to t when cfg->check_aof is set;
 * returns 0, or -1 leaving no DIR. */
int pitr_build(const struct pitr_cfg *cfg, const struct archive_base *b,
    size_t nchunks, time_t t, const char *dir, char *errstr);

#endif
