/*
 * common/xzs: round trips from 0 B to several MiB fed in pieces of odd
 * sizes, at several presets, block sizes and thread counts; concatenated
 * streams; truncated, corrupt and trailing input refused; and the
 * decoder's memory limit, against streams whose block header declares a
 * dictionary of gigabytes (as tests/rdb-pack.bats crafts them with xz).
 */
#include <lzma.h>
#include <stdint.h>

#include "tap.h"
#include "testbuf.h"
#include "xzs.h"

BUF_CODER(xz, xzs_write, xzs_finish)

static int
encode(const unsigned char *p, size_t n, int preset, int extreme,
    uint32_t threads, uint64_t block_size, struct buf *out)
{
	struct xzs x;
	char e[ERRSTR_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = buf_code(xzs_encoder(&x, preset, extreme, threads, block_size,
	    buf_sink, out, e), xz_write, xz_finish, &x, p, n, e);
	xzs_end(&x);
	if (rc < 0)
		printf("# encode: %s\n", e);
	return rc;
}

/* Decodes under memlimit; returns 0 or -1 with the reason in e, and
 * whether the limit was hit in *hit (may be NULL). */
static int
decode(const unsigned char *p, size_t n, uint32_t threads, uint64_t memlimit,
    struct buf *out, char *e, int *hit)
{
	struct xzs x;
	int rc;

	memset(out, 0, sizeof(*out));
	e[0] = '\0';
	rc = buf_code(xzs_decoder(&x, threads, memlimit, buf_sink, out, e),
	    xz_write, xz_finish, &x, p, n, e);
	if (hit != NULL)
		*hit = x.memlimit_hit;
	xzs_end(&x);
	return rc;
}


/* Every preset, block size and thread count in the table, at size n. */
static void
round_trip(const unsigned char *p, size_t n)
{
	static const struct {
		int preset, extreme;
		uint32_t threads;
		uint64_t block;
	} opts[] = {
		{ 0, 0, 1, 0 }, { 1, 0, 0, 0 }, { 1, 0, 2, 1 << 20 },
		{ 3, 1, 2, 0 }, { 6, 0, 1, 256 << 10 },
	};
	struct buf c, d;
	char e[ERRSTR_LEN];
	size_t j;

	for (j = 0; j < sizeof(opts) / sizeof(opts[0]); j++) {
		if ((opts[j].preset >= 3) && n > 100000)
			continue;	/* slow, and proves nothing new */
		if (encode(p, n, opts[j].preset, opts[j].extreme,
		    opts[j].threads, opts[j].block, &c) < 0) {
			ok(0, "encode %zu B preset %d", n, opts[j].preset);
			continue;
		}
		ok(decode(c.p, c.n, opts[j].threads, 1ULL << 30, &d, e,
		    NULL) == 0 && d.n == n &&
		    (d.n == 0 || memcmp(d.p, p, d.n) == 0) &&
		    xzs_sniff(c.p, c.n),
		    "%zu B at -%d%s, %u threads, block %llu -> %zu B "
		    "and back %s", n, opts[j].preset,
		    opts[j].extreme ? "e" : "", opts[j].threads,
		    (unsigned long long)opts[j].block, c.n, e);
		free(c.p);
		free(d.p);
	}
}

static void
streams(void)
{
	unsigned char *a = buf_data(200000), *cat;
	struct buf c1, c2, d;
	char e[ERRSTR_LEN];
	size_t n, cut, bad = 0, tried = 0;

	if (encode(a, 200000, 1, 0, 2, 64 << 10, &c1) < 0 ||
	    encode(a, 1000, 0, 0, 1, 0, &c2) < 0) {
		ok(0, "encode");
		return;
	}
	n = c1.n + c2.n;
	cat = malloc(n);
	memcpy(cat, c1.p, c1.n);
	memcpy(cat + c1.n, c2.p, c2.n);
	ok(decode(cat, n, 0, 1ULL << 30, &d, e, NULL) == 0 &&
	    d.n == 201000 && memcmp(d.p, a, 200000) == 0 &&
	    memcmp(d.p + 200000, a, 1000) == 0,
	    "two streams decode as their concatenation, as xz -d does %s", e);
	free(d.p);
	ok(xzs_sniff(XZ_MAGIC, XZ_MAGIC_LEN) && !xzs_sniff(c1.p, 5) &&
	    !xzs_sniff("\x28\xb5\x2f\xfd\0\0", 6),
	    "sniff knows the xz magic, not a short buffer or zstd");

	/* Cut anywhere but at the stream boundary: refused. */
	for (cut = 0; cut < n; cut += cut < 64 || n - cut < 64 ? 1 : 509) {
		if (cut == c1.n)
			continue;
		tried++;
		if (decode(cat, cut, 1, 1ULL << 30, &d, e, NULL) < 0)
			bad++;
		else
			printf("# cut at %zu decoded\n", cut);
		free(d.p);
	}
	ok(tried > 200 && bad == tried, "%zu of %zu truncated streams refused",
	    bad, tried);
	ok(decode(cat, c1.n - 1, 1, 1ULL << 30, &d, e, NULL) < 0 &&
	    strcmp(e, "xz: unexpected end of input") == 0,
	    "the message for a cut stream: %s", e);
	free(d.p);
	ok(decode(cat, 0, 1, 1ULL << 30, &d, e, NULL) < 0 &&
	    strcmp(e, "xz: unexpected end of input") == 0,
	    "empty input refused: %s", e);
	free(d.p);

	/* Four zero bytes after a stream are xz's stream padding; a fifth
	 * byte that is no stream header is damage. */
	memcpy(cat + c1.n, "\0\0\0\0x", 5);
	ok(decode(cat, c1.n + 4, 1, 1ULL << 30, &d, e, NULL) == 0 &&
	    d.n == 200000, "stream padding after a stream is accepted %s", e);
	free(d.p);
	ok(decode(cat, c1.n + 5, 1, 1ULL << 30, &d, e, NULL) < 0,
	    "garbage after a stream is refused: %s", e);
	free(d.p);
	memcpy(cat + c1.n, c2.p, c2.n);
	cat[c1.n / 2] ^= 0x20;
	ok(decode(cat, n, 1, 1ULL << 30, &d, e, NULL) < 0,
	    "a flipped bit is refused: %s", e);
	free(d.p);
	free(cat);
	free(c1.p);
	free(c2.p);
	free(a);
}

/* An xz stream of "hello\n" whose block header declares LZMA2 dictionary
 * code dict (37: 1.5 GiB, 39: 3 GiB, 40: 4 GiB - 1), its CRC32 fixed:
 * what anyone can write, a few dozen bytes that ask for gigabytes.  Made
 * as `xz --lzma2=dict=4KiB` makes it: the single-threaded encoder writes
 * no sizes in the block header, so the filter's property byte is at a
 * fixed place. */
static int
xz_dict(int dict, struct buf *out)
{
	lzma_options_lzma lz;
	lzma_filter f[2];
	lzma_stream s = LZMA_STREAM_INIT;
	unsigned char *d = malloc(4096);
	size_t h = 12, size;
	uint32_t crc;

	memset(out, 0, sizeof(*out));
	if (d == NULL || lzma_lzma_preset(&lz, 6))
		return -1;
	lz.dict_size = 4096;
	f[0].id = LZMA_FILTER_LZMA2;
	f[0].options = &lz;
	f[1].id = LZMA_VLI_UNKNOWN;
	if (lzma_stream_encoder(&s, f, LZMA_CHECK_CRC64) != LZMA_OK)
		return -1;
	s.next_in = (const uint8_t *)"hello\n";
	s.avail_in = 6;
	s.next_out = d;
	s.avail_out = 4096;
	if (lzma_code(&s, LZMA_FINISH) != LZMA_STREAM_END)
		return -1;
	out->n = 4096 - s.avail_out;
	lzma_end(&s);
	size = ((size_t)d[h] + 1) * 4;
	if (d[h + 1] != 0 || d[h + 2] != 0x21 || d[h + 3] != 0x01)
		return -1;	/* one filter, no sizes, LZMA2 */
	d[h + 4] = (unsigned char)dict;
	crc = lzma_crc32(d + h, size - 4, 0);
	d[h + size - 4] = crc & 0xff;
	d[h + size - 3] = (crc >> 8) & 0xff;
	d[h + size - 2] = (crc >> 16) & 0xff;
	d[h + size - 1] = crc >> 24;
	out->p = d;
	return 0;
}

static void
memlimit(void)
{
	static const char over1g[] = "xz: the stream needs more memory than "
	    "the limit of 1024 MiB";
	struct buf s3, s15, s4, d;
	char e[ERRSTR_LEN];
	int hit;

	if (xz_dict(39, &s3) < 0 || xz_dict(37, &s15) < 0 ||
	    xz_dict(40, &s4) < 0) {
		ok(0, "craft the streams");
		return;
	}
	ok(decode(s3.p, s3.n, 1, 1ULL << 30, &d, e, &hit) < 0 && hit &&
	    strcmp(e, over1g) == 0 && d.n == 0,
	    "a 3 GiB dictionary is refused at the 1 GiB limit: %s", e);
	free(d.p);
	ok(decode(s3.p, s3.n, 0, 1ULL << 30, &d, e, &hit) < 0 && hit &&
	    strcmp(e, over1g) == 0,
	    "and with one thread per core too: %s", e);
	free(d.p);
	ok(decode(s15.p, s15.n, 1, 1ULL << 30, &d, e, &hit) < 0 && hit &&
	    strcmp(e, over1g) == 0,
	    "1.5 GiB, xz's own largest, is over 1 GiB: %s", e);
	free(d.p);
	ok(decode(s4.p, s4.n, 1, 1ULL << 30, &d, e, &hit) < 0 && hit &&
	    strcmp(e, over1g) == 0, "4 GiB - 1 is over 1 GiB: %s", e);
	free(d.p);
	ok(decode(s3.p, s3.n, 1, 3ULL << 30, &d, e, &hit) < 0 && hit &&
	    strcmp(e, "xz: the stream needs more memory than the limit of "
	    "3072 MiB") == 0,
	    "a raised limit is named as given: %s", e);
	free(d.p);
	/* The dictionary is declared, never allocated for 6 bytes. */
	ok(decode(s3.p, s3.n, 1, 3073ULL << 20, &d, e, &hit) == 0 && !hit &&
	    d.n == 6 && memcmp(d.p, "hello\n", 6) == 0,
	    "at 3073 MiB it decodes %s", e);
	free(d.p);
	ok(decode(s15.p, s15.n, 2, 1537ULL << 20, &d, e, &hit) == 0 && !hit &&
	    d.n == 6, "1.5 GiB decodes at 1537 MiB %s", e);
	free(d.p);
	free(s3.p);
	free(s15.p);
	free(s4.p);
}

int
main(void)
{
	buf_each_size(round_trip);
	streams();
	memlimit();
	return tap_done();
}
