/*
 * The rdb-pack pipeline, both ways, as push filters.
 *
 *   pack:    plaintext -> [RDB check] -> zstd | xz -> age (or nothing) -> sink
 *   unpack:  input -> sniff -> [age] -> sniff -> [zstd | xz] -> [RDB check]
 *            -> sink
 *
 * The RDB check runs when the plaintext starts like an RDB file.  Packing
 * a bad RDB fails before the final age chunk (or the zstd frame's last
 * block and checksum, or the xz index) is written, so what was written can
 * never decrypt or decompress as complete.
 */
#ifndef RDBPIPE_PACK_H
#define RDBPIPE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "age.h"
#include "errstr.h"
#include "io.h"
#include "rdb.h"
#include "progress.h"
#include "secret.h"
#include "xzs.h"
#include "zstds.h"

#define PACK_MAX_KEYS 64
#define PACK_MEMLIMIT_DEFAULT (1ULL << 30)

enum pack_codec { PACK_ZSTD, PACK_XZ };

struct pack_cfg {
	enum pack_codec	 codec;
	int		 level;		/* zstd 1..19, xz 0..9 */
	int		 extreme;	/* xz only */
	uint32_t	 threads;	/* 0: one per core */
	uint64_t	 block_size;	/* xz only; 0: default */
	int		 encrypt;	/* 0: the plain stream (--no-encrypt) */
	const char	*recipients[PACK_MAX_KEYS];	/* age1... */
	int		 nrecipients;
	const struct secret *recipient_files[PACK_MAX_KEYS];
	int		 nrecipient_files;
	const struct secret *passphrase;
	int		 scrypt_log_n;
};

struct unpack_cfg {
	uint32_t	 threads;
	int		 raw;		/* pass plain data through */
	const struct secret *identity_files[PACK_MAX_KEYS];
	int		 nidentity_files;
	const struct secret *passphrase;
	int		 max_log_n;	/* 0: age's default */
	uint64_t	 memlimit;	/* decoder memory limit, bytes; 0:
					   PACK_MEMLIMIT_DEFAULT (1 GiB) */
};

/* What the pipeline saw, for -v. */
struct pack_stats {
	uint64_t	 in;		/* bytes read */
	uint64_t	 plain;		/* plaintext bytes */
	uint64_t	 out;		/* bytes written */
	int		 is_rdb;
	int		 rdb_version;
	uint64_t	 rdb_keys;
	char		 rdb_warn[ERRSTR_LEN];	/* what was not checked, or "" */
	int		 was_age;	/* unpack: the layers found */
	int		 was_xz;
	int		 was_zstd;
	enum age_fail	 age_failure;
	int		 memlimit_hit;	/* unpack: a decoder needed more */
};

struct pack;
struct unpack;

/* A packer writing to sink; NULL on failure (bad recipient, ...). */
struct pack *pack_new(const struct pack_cfg *cfg, io_sink_fn sink,
    void *sink_arg, char *errstr);
/* Packs len more bytes of plaintext; returns 0 or -1. */
int pack_write(struct pack *p, const void *buf, size_t len, char *errstr);
/* Checks the RDB (if it is one), then ends the codec and age; returns 0
 * or -1. */
int pack_finish(struct pack *p, char *errstr);
/* Frees, wiping keys; st (may be NULL) receives the counts first. */
void pack_free(struct pack *p, struct pack_stats *st);

/* An unpacker writing plaintext to sink; NULL on failure. */
struct unpack *unpack_new(const struct unpack_cfg *cfg, io_sink_fn sink,
    void *sink_arg, char *errstr);
/* Unpacks len more bytes of input; returns 0 or -1. */
int unpack_write(struct unpack *u, const void *buf, size_t len,
    char *errstr);
/* Ends the input: every layer must be complete; returns 0 or -1. */
int unpack_finish(struct unpack *u, char *errstr);
/* Frees, wiping keys; st (may be NULL) receives the counts first. */
void unpack_free(struct unpack *u, struct pack_stats *st);

/* io_sink_fn adapters, so io_pump can feed either direction. */
int pack_sink(void *p, const void *buf, size_t len, char *errstr);
int unpack_sink(void *u, const void *buf, size_t len, char *errstr);

#endif
