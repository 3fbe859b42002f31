/* For ZSTD_getFrameHeader, in libzstd's ABI since 1.0 and exported by
 * the shared library: the window-too-large message names the window. */
#define ZSTD_STATIC_LINKING_ONLY

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd_errors.h>

#include "zstds.h"

_Static_assert(ZSTDS_HDR_MAX == ZSTD_FRAMEHEADERSIZE_MAX, "zstd frame header size");

/* libzstd's reasons, in the words of xz's messages where one fits, else
 * libzstd's own name for the error. */
static const char *
zstds_reason(size_t r)
{
	switch (ZSTD_getErrorCode(r)) {
	case ZSTD_error_memory_allocation:
		return "cannot allocate memory";
	case ZSTD_error_prefix_unknown:
		return "file format not recognized";
	case ZSTD_error_corruption_detected:
	case ZSTD_error_srcSize_wrong:
	case ZSTD_error_frameParameter_unsupported:
		return "compressed data is corrupt";
	case ZSTD_error_checksum_wrong:
		return "checksum mismatch: the data is corrupt";
	default:
		return ZSTD_getErrorName(r);
	}
}

static void
zstds_setup(struct zstds *z, io_sink_fn sink, void *sink_arg)
{
	memset(z, 0, sizeof(*z));
	z->sink = sink;
	z->sink_arg = sink_arg;
}

static int
zstds_set(struct zstds *z, ZSTD_cParameter p, int v, const char *what,
    char *errstr)
{
	size_t r = ZSTD_CCtx_setParameter(z->cctx, p, v);

	if (ZSTD_isError(r))
		return errstr_set(errstr, "zstd: %s %d: %s", what, v,
		    zstds_reason(r));
	return 0;
}

int
zstds_encoder(struct zstds *z, int level, uint32_t threads,
    io_sink_fn sink, void *sink_arg, char *errstr)
{
	ZSTD_bounds b = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
	long n;

	zstds_setup(z, sink, sink_arg);
	z->cctx = ZSTD_createCCtx();
	if (z->cctx == NULL)
		return errstr_set(errstr, "zstd: cannot allocate memory");
	if (threads == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (uint32_t)n : 1;
	}
	/* A library built without threads takes none (its bound is 0): it
	 * compresses all the same, on the calling thread. */
	if (!ZSTD_isError(b.error) && (int)threads > b.upperBound)
		threads = (uint32_t)b.upperBound;
	if (zstds_set(z, ZSTD_c_compressionLevel, level, "level",
	    errstr) < 0 ||
	    zstds_set(z, ZSTD_c_checksumFlag, 1, "checksum", errstr) < 0 ||
	    zstds_set(z, ZSTD_c_nbWorkers, (int)threads, "threads",
	    errstr) < 0)
		return -1;
	return 0;
}

int
zstds_window_log(uint64_t memlimit)
{
	int log = ZSTD_WINDOWLOG_MIN;

	while (log < ZSTD_WINDOWLOG_MAX && (1ULL << (log + 1)) <= memlimit)
		log++;
	return log;
}

int
zstds_decoder(struct zstds *z, uint64_t memlimit, io_sink_fn sink,
    void *sink_arg, char *errstr)
{
	size_t r;

	zstds_setup(z, sink, sink_arg);
	z->memlimit = memlimit;
	z->ended = 1;
	z->dctx = ZSTD_createDCtx();
	if (z->dctx == NULL)
		return errstr_set(errstr, "zstd: cannot allocate memory");
	r = ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax,
	    zstds_window_log(memlimit));
	if (ZSTD_isError(r))
		return errstr_set(errstr, "zstd: %s", zstds_reason(r));
	return 0;
}

static void
zstds_fmt_size(char *buf, size_t cap, unsigned long long n)
{
	if (n >= (1ULL << 20))
		snprintf(buf, cap, "%llu MiB", (n + (1ULL << 20) - 1) >> 20);
	else
		snprintf(buf, cap, "%llu KiB", (n + 1023) >> 10);
}

/* The frame's header is what the decoder read of this frame so far and
 * the input it refused; the message names the window it asks for. */
static int
zstds_window_error(struct zstds *z, const ZSTD_inBuffer *in, char *errstr)
{
	unsigned char h[ZSTDS_HDR_MAX];
	size_t n = z->hdr_n, more = in->size - in->pos;
	ZSTD_frameHeader fh;
	char need[32], lim[32];

	memcpy(h, z->hdr, n);
	if (more > sizeof(h) - n)
		more = sizeof(h) - n;
	memcpy(h + n, (const char *)in->src + in->pos, more);
	zstds_fmt_size(lim, sizeof(lim), z->memlimit);
	if (ZSTD_getFrameHeader(&fh, h, n + more) != 0)
		return errstr_set(errstr,
		    "zstd: the stream needs a window over the limit of %s (raise it with --memlimit)",
		    lim);
	zstds_fmt_size(need, sizeof(need), fh.windowSize);
	return errstr_set(errstr,
	    "zstd: the stream needs a %s window, over the limit of %s (raise it with --memlimit)",
	    need, lim);
}

/* Keeps the first bytes of the current frame, for zstds_window_error. */
static void
zstds_keep(struct zstds *z, const void *buf, size_t len)
{
	if (len > sizeof(z->hdr) - z->hdr_n)
		len = sizeof(z->hdr) - z->hdr_n;
	memcpy(z->hdr + z->hdr_n, buf, len);
	z->hdr_n += len;
}

/*
 * Decodes until the input is used up and the output drained.  libzstd
 * returns 0 once a frame is decoded and flushed whole, and reads no byte
 * past it, so the next call starts the next frame (or skips a skippable
 * one).
 */
static int
zstds_decode(struct zstds *z, ZSTD_inBuffer *in, char *errstr)
{
	ZSTD_outBuffer out;
	size_t r, pos0;

	do {
		out.dst = z->out;
		out.size = sizeof(z->out);
		out.pos = 0;
		pos0 = in->pos;
		r = ZSTD_decompressStream(z->dctx, &out, in);
		if (ZSTD_isError(r)) {
			if (ZSTD_getErrorCode(r) ==
			    ZSTD_error_frameParameter_windowTooLarge)
				return zstds_window_error(z, in, errstr);
			return errstr_set(errstr, "zstd: %s", zstds_reason(r));
		}
		/* A call with nothing to do after a whole frame returns the
		 * size of the next header it wants: still at the boundary. */
		if (r != 0 && in->pos == pos0 && out.pos == 0)
			break;
		if (z->ended)
			z->hdr_n = 0;
		zstds_keep(z, (const char *)in->src + pos0, in->pos - pos0);
		z->ended = r == 0;
		if (out.pos > 0 && z->sink(z->sink_arg, z->out, out.pos,
		    errstr) < 0)
			return -1;
	} while (in->pos < in->size || out.pos == out.size);
	return 0;
}

/* Compresses until the input is used up (ZSTD_e_continue) or, at the end
 * (ZSTD_e_end), until the frame is written whole. */
static int
zstds_encode(struct zstds *z, ZSTD_inBuffer *in, ZSTD_EndDirective op,
    char *errstr)
{
	ZSTD_outBuffer out;
	size_t r;

	for (;;) {
		out.dst = z->out;
		out.size = sizeof(z->out);
		out.pos = 0;
		r = ZSTD_compressStream2(z->cctx, &out, in, op);
		if (ZSTD_isError(r))
			return errstr_set(errstr, "zstd: %s", zstds_reason(r));
		if (out.pos > 0 && z->sink(z->sink_arg, z->out, out.pos,
		    errstr) < 0)
			return -1;
		if (op == ZSTD_e_end ? r == 0 : in->pos == in->size)
			return 0;
	}
}

int
zstds_write(struct zstds *z, const void *buf, size_t len, char *errstr)
{
	ZSTD_inBuffer in = { buf, len, 0 };

	if (len == 0)
		return 0;
	z->in_total += len;
	if (z->dctx != NULL)
		return zstds_decode(z, &in, errstr);
	return zstds_encode(z, &in, ZSTD_e_continue, errstr);
}

int
zstds_finish(struct zstds *z, char *errstr)
{
	ZSTD_inBuffer in = { NULL, 0, 0 };

	if (z->cctx != NULL)
		return zstds_encode(z, &in, ZSTD_e_end, errstr);
	if (z->in_total == 0 || !z->ended)
		return errstr_set(errstr, "zstd: unexpected end of input");
	return 0;
}

void
zstds_end(struct zstds *z)
{
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeDCtx(z->dctx);
	z->cctx = NULL;
	z->dctx = NULL;
}

int
zstds_sniff(const void *buf, size_t len)
{
	const unsigned char *b = buf;

	if (len < ZSTD_MAGIC_LEN)
		return 0;
	if (memcmp(b, ZSTD_MAGIC, ZSTD_MAGIC_LEN) == 0)
		return 1;
	/* Skippable frames: magic 0x184D2A5? little-endian. */
	return (b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d &&
	    b[3] == 0x18;
}
