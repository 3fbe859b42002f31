/*
 * The manifest of a Redis 7 multi-part AOF dir (appendonlydir), read as
 * Redis's aofLoadManifestFromFile reads it and written as aofInfoFormat
 * writes it: one "file NAME seq N type T" line per file, "#" lines
 * skipped, NAME quoted as sdssplitargs reads it.  rdb-install --aof-dir
 * installs a dir of one RDB base and its incr files, nothing else.
 */
#ifndef RDBPIPE_AOFMAN_H
#define RDBPIPE_AOFMAN_H

#include <limits.h>
#include <stddef.h>

#include "errstr.h"

#define AOFMAN_MAX_INCR	16
#define AOFMAN_MAX_SIZE	(64 * 1024)	/* a manifest larger is not one */

struct aofman_file {
	char		 name[NAME_MAX + 1];
	long long	 seq;
};

struct aofman {
	struct aofman_file	 base;		/* type b, an RDB (.rdb) */
	struct aofman_file	 incr[AOFMAN_MAX_INCR];	/* type i, in order */
	int			 nincr;
};

/* Parses a manifest: exactly one base ending in ".rdb", up to
 * AOFMAN_MAX_INCR incr files of rising seq, plain distinct names, no
 * history file; returns 0 or -1 ("line N: why"). */
int aofman_parse(const char *text, size_t len, struct aofman *m,
    char *errstr);

/* Gives the files of m the names a server with appendfilename aoffile
 * uses ("AOFFILE.SEQ.base.rdb", "AOFFILE.SEQ.incr.aof"), seqs kept, into
 * out; returns 0, or -1 when a name does not fit. */
int aofman_rename(const struct aofman *m, const char *aoffile,
    struct aofman *out, char *errstr);

/* Writes m as a manifest into buf (NUL-terminated); returns its length,
 * or -1 when it does not fit. */
int aofman_format(const struct aofman *m, char *buf, size_t len,
    char *errstr);

#endif
