/*
 * Swift's Static Large Objects, both ways, and their removal.
 *
 *   upload:   data -> slo_put_write (an io_sink_fn) -> one PUT, or segments
 *             in CONTAINER_segments (two in flight, each on a connection of
 *             its own) -> manifests, nested past max_manifest_segments
 *   download: HEAD -> the plain object (MD5 against its ETag), or the
 *             manifest walked in order, each segment fetched with If-Match
 *             and checked against its entry -> sink
 *   delete:   ?multipart-manifest=delete and its bulk-delete report
 *
 * The pure parts (a manifest built from a part list, a manifest parsed and
 * checked into a segment list, the bulk-delete report judged) take no
 * connection, so they are tested and fuzzed without a server.
 */
#ifndef RDBPIPE_SLO_H
#define RDBPIPE_SLO_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "errstr.h"
#include "io.h"
#include "md5.h"
#include "progress.h"
#include "swift.h"

/* -m and --meta-file pairs on one object, together. */
#define SLO_MAX_META	90
/* The largest manifest read back, and how deep they may nest (Swift's
 * max_slo_recursion_depth). */
#define SLO_MANIFEST_MAX	(64 * 1024 * 1024)
#define SLO_MAX_DEPTH		10

/* What has been written under the segments container: a segment or a
 * sub-manifest, for the manifest above it and for the clean-up. */
struct slo_part {
	char		*name;
	char		 etag[MD5_HEX_LEN + 1];
	uint64_t	 size;
};

struct slo_parts {
	struct slo_part	*v;
	size_t		 n, cap;
};

/* Appends a part named by fmt; returns it, or NULL (errno set). */
struct slo_part *slo_parts_add(struct slo_parts *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees every name and the list. */
void slo_parts_free(struct slo_parts *pl);

/*
 * Called for each manifest slo_manifests writes: a sub-manifest with its
 * part (name, ETag, size: already in the list), then the top one with part
 * NULL and its large-object ETag in etag; returns 0 or -1 with errstr set.
 */
typedef int (*slo_put_manifest_fn)(void *arg, const struct slo_part *part,
    const char *body, size_t len, const char *etag, char *errstr);

/*
 * Writes the manifests of the first nsegs parts of pl (the segments):
 * while the entries do not fit one manifest (lim's max_manifest_segments
 * entries and max_manifest_size bytes), they are grouped into
 * sub-manifests named "BASE/manifest-LEVEL-NNNNNNNN", added to pl, each an
 * entry of the level above.  Entries name "/SEGCONT/PART"; returns 0 or -1.
 */
int slo_manifests(struct slo_parts *pl, size_t nsegs, const char *segcont,
    const char *base, const struct swift_limits *lim,
    slo_put_manifest_fn put, void *arg, char *errstr);

/* One entry of a manifest read back (?multipart-manifest=get). */
struct slo_seg {
	const char	*name;		/* "/container/object", as listed */
	char		*container;
	const char	*object;	/* inside name */
	const char	*hash;
	uint64_t	 bytes;
	int		 sub;		/* sub_slo: a manifest itself */
};

/* Why slo_parse stopped, for the walker's message. */
enum slo_bad { SLO_GOOD, SLO_BAD_JSON, SLO_BAD_LIST, SLO_BAD_ENTRY,
	SLO_BAD_RANGE, SLO_BAD_HASH, SLO_BAD_SIZES };

struct slo_manifest {
	struct json	*json;
	struct slo_seg	*seg;
	size_t		 n;		/* entries good, in order */
	enum slo_bad	 bad;		/* why entry n (or the whole) is not */
};

/*
 * Parses a manifest and checks it in order: a non-empty list of entries
 * each with a "/container/object" name, a hash (32 hex digits for a
 * segment), a size, no range; with total not UINT64_MAX, sizes adding up
 * to it.  Returns 0, or -1 with "WHAT: why" in errstr and m->bad saying
 * which; either way m->seg[0..m->n) are good (free with slo_manifest_free).
 */
int slo_parse(const char *body, size_t len, uint64_t total, const char *what,
    struct slo_manifest *m, char *errstr);

void slo_manifest_free(struct slo_manifest *m);

/* Whether s is an MD5 in hex: it goes into If-Match, and a manifest is
 * anyone's JSON (a "\r\n" in it decodes to CR LF). */
int slo_is_md5_hex(const char *s);

/* Whether a -m / --meta-file line is KEY=VALUE with a key of letters,
 * digits, '-' and '_' and no control character in the value; *eq is set
 * to its '='. */
int slo_meta_ok(const char *kv, const char **eq);

/* HEADs container/object; returns 1 when it is there (resp filled), 0
 * when not (404), -1 on error ("HEAD c/o: HTTP n"). */
int slo_head(struct swift_ctx *c, const char *container, const char *object,
    struct swift_resp *resp, char *errstr);

/* Upload. */
struct slo_put_cfg {
	struct swift_ctx	*c;
	const char		*container;
	const char		*object;
	const char *const	*meta;		/* KEY=VALUE, slo_meta_ok */
	int			 nmeta;
	const char		*meta_file;	/* more, read at the end */
	uint64_t		 delete_at;	/* 0: none */
	int			 force;		/* no If-None-Match: * */
	uint64_t		 segment_size;
	int			 segment_size_set;	/* -S given */
	/* Set by a signal (or here, by a failure): the segment uploads
	 * stop.  NULL: a flag of the upload's own. */
	volatile sig_atomic_t	*halt;
};

struct slo_put;

/* An upload of cfg->object; NULL on failure. */
struct slo_put *slo_put_new(const struct slo_put_cfg *cfg, char *errstr);

/* Takes len more bytes: a full segment with more after it goes up in the
 * background; returns 0 or -1 (the upload is then dead: clean it up). */
int slo_put_write(struct slo_put *sp, const void *buf, size_t len,
    char *errstr);
int slo_put_sink(void *sp, const void *buf, size_t len, char *errstr);

/*
 * io_pump(fd, name, slo_put_sink, sp, pr) in a thread of its own, so that
 * *stop (set by a signal) is seen within 0.1 s even while fd is idle: then
 * the uploads are halted, the pump thread is left blocked on fd (it no
 * longer touches sp) and -1 returns with "read NAME: interrupted".
 */
int slo_put_pump(struct slo_put *sp, int fd, const char *name,
    struct progress *pr, volatile sig_atomic_t *stop, char *errstr);

/* Ends the input: reads the meta file, writes the plain object or the
 * rest of the segments and the manifests; returns 0 or -1. */
int slo_put_finish(struct slo_put *sp, char *errstr);

/* Objects written under the segments container (segments and
 * sub-manifests). */
size_t slo_put_nparts(const struct slo_put *sp);
const char *slo_put_segcont(const struct slo_put *sp);

/* After a failure: stops the uploads, then deletes what was written in
 * the segments container (manifests first), calling warn (may be NULL)
 * with "clean-up: why" for each it could not; returns the count left and
 * the count removed in *removed. */
size_t slo_put_cleanup(struct slo_put *sp, void (*warn)(const char *msg),
    size_t *removed);

void slo_put_free(struct slo_put *sp);

/* Download: streams container/object (head: its HEAD, 200) to sink,
 * verified, counting on pr (may be NULL) and in *total; returns 0 or -1. */
int slo_get(struct swift_ctx *c, const char *container, const char *object,
    const struct swift_resp *head, io_sink_fn sink, void *sink_arg,
    struct progress *pr, uint64_t *total, char *errstr);

/* Judges the report of ?multipart-manifest=delete (answered 200 whatever
 * happened); name is "container/object"; returns 0 or -1. */
int slo_bulk_report(const char *name, const char *body, size_t len,
    char *errstr);

/* Deletes one object, a large one with its segments; returns 0, 1 when
 * it is not there, or -1. */
int slo_delete(struct swift_ctx *c, const char *container,
    const char *object, char *errstr);

#endif
