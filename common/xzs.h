/*
 * xz streams on liblzma as push filters: bytes go in with xzs_write, what
 * comes out goes to a sink, xzs_finish ends the stream.  The encoder is
 * multi-threaded (lzma_stream_encoder_mt) so its blocks carry sizes and
 * decode in parallel too; the decoder (lzma_stream_decoder_mt, liblzma
 * 5.4) reads concatenated streams as xz -d does.
 */
#ifndef RDBPIPE_XZS_H
#define RDBPIPE_XZS_H

#include <lzma.h>
#include <stdint.h>

#include "errstr.h"
#include "io.h"

#define XZ_MAGIC	"\xfd" "7zXZ\0"
#define XZ_MAGIC_LEN	6

struct xzs {
	lzma_stream	 strm;
	int		 decoder;
	int		 ended;		/* LZMA_STREAM_END seen */
	io_sink_fn	 sink;
	void		*sink_arg;
	uint64_t	 in_total;
	uint64_t	 memlimit;	/* decoder: bytes */
	int		 memlimit_hit;	/* a stream needed more */
	uint8_t		 out[IO_BUFSZ];
};

/* Starts an encoder at preset 0..9 (extreme adds LZMA_PRESET_EXTREME) with
 * threads workers (0: one per core) and blocks of block_size bytes (0:
 * liblzma's default); returns 0 or -1. */
int xzs_encoder(struct xzs *x, int preset, int extreme, uint32_t threads,
    uint64_t block_size, io_sink_fn sink, void *sink_arg, char *errstr);

/* Starts a decoder with threads workers (0: one per core) that refuses a
 * stream needing more than memlimit bytes of memory (a header declares
 * its dictionary: an input of a few bytes could ask for 4 GiB); returns 0
 * or -1. */
int xzs_decoder(struct xzs *x, uint32_t threads, uint64_t memlimit,
    io_sink_fn sink, void *sink_arg, char *errstr);

/* Pushes len bytes through; returns 0 or -1. */
int xzs_write(struct xzs *x, const void *buf, size_t len, char *errstr);

/* Ends the stream: flushes the encoder, or checks the decoder saw a whole
 * stream; returns 0 or -1. */
int xzs_finish(struct xzs *x, char *errstr);

/* Frees liblzma's memory. */
void xzs_end(struct xzs *x);

/* Returns 1 when buf starts with the xz magic, else 0. */
int xzs_sniff(const void *buf, size_t len);

#endif
