/*
 * zstd streams on libzstd as push filters, shaped like xzs: bytes go in
 * with zstds_write, what comes out goes to a sink, zstds_finish ends the
 * stream.  The encoder writes one checksummed frame, compressed by
 * ZSTD_c_nbWorkers threads; until zstds_finish it never writes the last
 * block or the checksum, so a stream cut short never reads as whole.  The
 * decoder reads concatenated frames and skips skippable ones, as zstd -d
 * does, and refuses a window larger than its memory limit.
 */
#ifndef RDBPIPE_ZSTDS_H
#define RDBPIPE_ZSTDS_H

#include <stdint.h>
#include <zstd.h>

#include "errstr.h"
#include "io.h"

#define ZSTD_MAGIC	"\x28\xb5\x2f\xfd"
#define ZSTD_MAGIC_LEN	4
/* ZSTD_FRAMEHEADERSIZE_MAX, which zstd.h shows only to static linking. */
#define ZSTDS_HDR_MAX	18

struct zstds {
	ZSTD_CCtx	*cctx;
	ZSTD_DCtx	*dctx;
	int		 ended;		/* decoder: at a frame boundary */
	io_sink_fn	 sink;
	void		*sink_arg;
	uint64_t	 in_total;
	uint64_t	 memlimit;
	/* The bytes of the current frame read so far (its header, for the
	 * window-too-large message). */
	unsigned char	 hdr[ZSTDS_HDR_MAX];
	size_t		 hdr_n;
	uint8_t		 out[IO_BUFSZ];
};

/* Starts an encoder at level 1..19 with threads workers (0: one per
 * core); returns 0 or -1. */
int zstds_encoder(struct zstds *z, int level, uint32_t threads,
    io_sink_fn sink, void *sink_arg, char *errstr);

/* Starts a decoder whose window may be at most the largest power of two
 * within memlimit bytes; returns 0 or -1. */
int zstds_decoder(struct zstds *z, uint64_t memlimit, io_sink_fn sink,
    void *sink_arg, char *errstr);

/* Pushes len bytes through; returns 0 or -1. */
int zstds_write(struct zstds *z, const void *buf, size_t len, char *errstr);

/* Ends the stream: ends the encoder's frame (last block, checksum), or
 * checks the decoder stopped at the end of a frame; returns 0 or -1. */
int zstds_finish(struct zstds *z, char *errstr);

/* Frees libzstd's memory. */
void zstds_end(struct zstds *z);

/* Returns 1 when buf starts with a zstd frame or a skippable frame's
 * magic, else 0. */
int zstds_sniff(const void *buf, size_t len);

/* The window log a decoder uses under memlimit bytes. */
int zstds_window_log(uint64_t memlimit);

#endif
