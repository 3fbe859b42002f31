#include <string.h>

#include "xzs.h"

/* liblzma's reasons, in xz's words.  No default case, so that a new
 * lzma_ret draws a compiler warning. */
static const char *
xzs_reason(lzma_ret r)
{
	switch (r) {
	case LZMA_OK:
	case LZMA_STREAM_END:
	case LZMA_NO_CHECK:
	case LZMA_UNSUPPORTED_CHECK:
	case LZMA_GET_CHECK:
	case LZMA_SEEK_NEEDED:
	case LZMA_RET_INTERNAL1: case LZMA_RET_INTERNAL2:
	case LZMA_RET_INTERNAL3: case LZMA_RET_INTERNAL4:
	case LZMA_RET_INTERNAL5: case LZMA_RET_INTERNAL6:
	case LZMA_RET_INTERNAL7: case LZMA_RET_INTERNAL8:
		break;
	case LZMA_MEM_ERROR:
		return "cannot allocate memory";
	case LZMA_MEMLIMIT_ERROR:
		return "memory usage limit reached";
	case LZMA_FORMAT_ERROR:
		return "file format not recognized";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "compressed data is corrupt";
	case LZMA_BUF_ERROR:
		return "unexpected end of input";
	case LZMA_PROG_ERROR:
		return "internal error (bug)";
	}
	return "unknown error";
}

static uint32_t
xzs_threads(uint32_t threads)
{
	if (threads == 0)
		threads = lzma_cputhreads();
	return threads == 0 ? 1 : threads;
}

static void
xzs_setup(struct xzs *x, int decoder, io_sink_fn sink, void *sink_arg)
{
	lzma_stream init = LZMA_STREAM_INIT;

	memset(x, 0, sizeof(*x));
	x->strm = init;
	x->decoder = decoder;
	x->sink = sink;
	x->sink_arg = sink_arg;
}

int
xzs_encoder(struct xzs *x, int preset, int extreme, uint32_t threads,
    uint64_t block_size, io_sink_fn sink, void *sink_arg, char *errstr)
{
	lzma_mt mt;
	lzma_ret r;

	xzs_setup(x, 0, sink, sink_arg);
	memset(&mt, 0, sizeof(mt));
	mt.threads = xzs_threads(threads);
	mt.preset = (uint32_t)preset | (extreme ? LZMA_PRESET_EXTREME : 0);
	/* liblzma's default block is three dictionaries per thread, so a
	 * small input touches less memory than a large one; blocks of one
	 * dictionary (1 MiB at least) keep memory flat from a few MiB of
	 * input on, at a cost in ratio measured in the README. */
	if (block_size == 0) {
		lzma_options_lzma lz;

		if (lzma_lzma_preset(&lz, mt.preset))
			return errstr_set(errstr, "xz: unsupported options");
		block_size = lz.dict_size < (1U << 20) ? 1U << 20 : lz.dict_size;
	}
	mt.block_size = block_size;
	mt.check = LZMA_CHECK_CRC64;
	r = lzma_stream_encoder_mt(&x->strm, &mt);
	if (r != LZMA_OK)
		return errstr_set(errstr, "xz: %s", xzs_reason(r));
	return 0;
}

int
xzs_decoder(struct xzs *x, uint32_t threads, uint64_t memlimit,
    io_sink_fn sink, void *sink_arg, char *errstr)
{
	lzma_mt mt;
	lzma_ret r;
	uint64_t phys = lzma_physmem();

	xzs_setup(x, 1, sink, sink_arg);
	memset(&mt, 0, sizeof(mt));
	mt.threads = xzs_threads(threads);
	mt.flags = LZMA_CONCATENATED;
	/* Threads only while they fit in a quarter of the RAM (as xz's
	 * default); beyond that it decodes single-threaded, never fails. */
	mt.memlimit_threading = phys > 0 ? phys / 4 : (1ULL << 30);
	if (mt.memlimit_threading > memlimit)
		mt.memlimit_threading = memlimit;
	mt.memlimit_stop = memlimit;
	x->memlimit = memlimit;
	r = lzma_stream_decoder_mt(&x->strm, &mt);
	if (r != LZMA_OK)
		return errstr_set(errstr, "xz: %s", xzs_reason(r));
	return 0;
}

/* Bytes in MiB, rounded up as xz does: a need is never understated. */
static uint64_t
mib_up(uint64_t n)
{
	return (n >> 20) + ((n & ((1U << 20) - 1)) != 0);
}

/* The decoder's memory limit was hit; returns -1. */
static int
memlimit_error(struct xzs *x, char *errstr)
{
	/* The multi-threaded decoder (liblzma 5.4) reports what it holds,
	 * not what the next block wants: name the need only when it is
	 * one. */
	uint64_t need = lzma_memusage(&x->strm);

	x->memlimit_hit = 1;
	if (need > x->memlimit)
		return errstr_set(errstr, "xz: the stream needs %llu MiB of "
		    "memory, over the limit of %llu MiB",
		    (unsigned long long)mib_up(need),
		    (unsigned long long)(x->memlimit >> 20));
	return errstr_set(errstr, "xz: the stream needs more memory than "
	    "the limit of %llu MiB", (unsigned long long)(x->memlimit >> 20));
}

/* Runs liblzma until it wants more input (or the stream ends), writing
 * out each full buffer before acting on the return code, as xzdec does. */
static int
xzs_run(struct xzs *x, lzma_action action, char *errstr)
{
	lzma_ret r;
	size_t n;

	for (;;) {
		x->strm.next_out = x->out;
		x->strm.avail_out = sizeof(x->out);
		r = lzma_code(&x->strm, action);
		n = sizeof(x->out) - x->strm.avail_out;
		if (n > 0 && x->sink(x->sink_arg, x->out, n, errstr) < 0)
			return -1;
		if (r == LZMA_STREAM_END) {
			x->ended = 1;
			return 0;
		}
		if (r == LZMA_MEMLIMIT_ERROR)
			return memlimit_error(x, errstr);
		if (r != LZMA_OK)
			return errstr_set(errstr, "xz: %s", xzs_reason(r));
		if (x->strm.avail_in == 0 && x->strm.avail_out != 0 &&
		    action == LZMA_RUN)
			return 0;
	}
}

int
xzs_write(struct xzs *x, const void *buf, size_t len, char *errstr)
{
	if (len == 0)
		return 0;
	if (x->ended)
		return errstr_set(errstr, "xz: data after the end of the stream");
	x->strm.next_in = buf;
	x->strm.avail_in = len;
	x->in_total += len;
	return xzs_run(x, LZMA_RUN, errstr);
}

int
xzs_finish(struct xzs *x, char *errstr)
{
	if (x->decoder && x->in_total == 0)
		return errstr_set(errstr, "xz: unexpected end of input");
	x->strm.next_in = NULL;
	x->strm.avail_in = 0;
	if (xzs_run(x, LZMA_FINISH, errstr) < 0)
		return -1;
	if (!x->ended)
		return errstr_set(errstr, "xz: unexpected end of input");
	return 0;
}

void
xzs_end(struct xzs *x)
{
	lzma_end(&x->strm);
}

int
xzs_sniff(const void *buf, size_t len)
{
	return len >= XZ_MAGIC_LEN && memcmp(buf, XZ_MAGIC, XZ_MAGIC_LEN) == 0;
}
