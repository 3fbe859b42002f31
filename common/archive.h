/*
 * The continuous archive's object names and the chains they form.
 *
 * Everything aof-archive uploads lives under PREFIX/archive/REPLID/, where
 * REPLID is the replication id of the full resync that gave the base:
 *
 *   base:  OFFSET.base.TIME.rdb.EXT             (the stream after it starts
 *                                                at OFFSET+1)
 *   chunk: START-END.OPEN-CLOSE.aof.EXT         (offsets inclusive)
 *
 * Offsets are zero-padded to 20 digits and times are YYYYMMDDTHHMMSSZ, so
 * a listing sorts by offset and reads as a timeline.  A base's chain is
 * its chunks in offset order, each starting at the previous one's END + 1;
 * the first at OFFSET + 1.  The names alone prove continuity, so a chunk
 * that is missing is found (and named) from the listing, before anything
 * is downloaded.  The pure parts here take no connection: the archiver
 * uses them to find where to resume, aof-fetch to plan a restore.
 */
#ifndef RDBPIPE_ARCHIVE_H
#define RDBPIPE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "errstr.h"

#define ARCHIVE_REPLID_LEN	40
#define ARCHIVE_STAMP_LEN	16	/* YYYYMMDDTHHMMSSZ */
#define ARCHIVE_ISO_LEN		20	/* YYYY-MM-DDTHH:MM:SSZ */
#define ARCHIVE_EXT_MAX		16

enum archive_kind { ARCHIVE_BASE, ARCHIVE_CHUNK };

/* One object, its name read. */
struct archive_obj {
	enum archive_kind kind;
	char		 replid[ARCHIVE_REPLID_LEN + 1];
	uint64_t	 start;		/* a base: its OFFSET */
	uint64_t	 end;		/* a base: its OFFSET */
	time_t		 open;		/* a base: its TIME */
	time_t		 close;		/* a base: its TIME */
	char		 ext[ARCHIVE_EXT_MAX];	/* "zst.age", "xz", ... */
	const char	*name;		/* the whole object name (not owned) */
};

/* A base with what follows it: chain[0..nchain) continuous from the base,
 * then, where the chain stops while later chunks of this base exist, the
 * offset where the gap starts. */
struct archive_base {
	struct archive_obj	 base;
	struct archive_obj	*chain;
	size_t			 nchain;
	uint64_t		 gap;		/* 0: no chunk after the chain */
	uint64_t		 shipped;	/* the largest END of any chunk of
						   this base, or its OFFSET */
	time_t			 last;		/* the last second the chain
						   covers whole: CLOSE - 1 of
						   its last chunk (the base's
						   TIME - 1 with none) */
};

/* Every base under one prefix, oldest first (by TIME, then OFFSET). */
struct archive_index {
	struct archive_base	*v;
	size_t			 n;
	size_t			 ignored;	/* names under PREFIX not ours */
	struct archive_obj	*objs;		/* what the chains point into */
};

/* Writes t as YYYYMMDDTHHMMSSZ (out: ARCHIVE_STAMP_LEN + 1 bytes). */
void archive_stamp(time_t t, char *out);

/* Writes t as YYYY-MM-DDTHH:MM:SSZ (out: ARCHIVE_ISO_LEN + 1 bytes). */
void archive_iso(time_t t, char *out);

/* Reads a time written as YYYY-MM-DDTHH:MM:SSZ, the form users type;
 * returns 0, or -1 with "bad time 'S': want YYYY-MM-DDTHH:MM:SSZ". */
int archive_iso_parse(const char *s, time_t *t, char *errstr);

/* Whether s is a replication id: 40 lower-case hex digits. */
int archive_replid_ok(const char *s);

/* The name of a base or a chunk under prefix (no trailing slash) into out;
 * returns 0, or -1 when it does not fit or a part is not well formed. */
int archive_base_name(char *out, size_t len, const char *prefix,
    const char *replid, uint64_t offset, time_t t, const char *ext);
int archive_chunk_name(char *out, size_t len, const char *prefix,
    const char *replid, uint64_t start, uint64_t end, time_t open,
    time_t close, const char *ext);

/* Reads one listed name.  Returns 0 when it is one of ours (o filled, its
 * name pointing at name), 1 when it is not under PREFIX/archive/REPLID/
 * or not named like our objects (left alone), -1 when it looks like ours
 * and is wrong (START > END, a bad time) with why in errstr. */
int archive_parse(const char *prefix, const char *name,
    struct archive_obj *o, char *errstr);

/* Builds the index from a listing (any order); returns 0, or -1 (out of
 * memory, or a name archive_parse refuses: "NAME: why"). */
int archive_index_build(const char *prefix, const char *const *names,
    size_t n, struct archive_index *ix, char *errstr);

void archive_index_free(struct archive_index *ix);

/* The newest base (by TIME, then OFFSET), or NULL when there is none: the
 * archiver resumes at its shipped offset + 1. */
const struct archive_base *archive_newest(const struct archive_index *ix);

/* What a restore to t needs: the newest base no later than t whose chain
 * covers t (a chunk closed after t's second), and its chunks that opened
 * by t.  Returns 0 with *b and *nchunks set, or -1 with why: "no base
 * before T" or "PREFIX/archive/REPLID: no chunk starts at offset N (chain
 * ends at T1); cannot restore to T". */
int archive_plan(const struct archive_index *ix, const char *prefix,
    time_t t, const struct archive_base **b, size_t *nchunks, char *errstr);

#endif
