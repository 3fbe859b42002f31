/*
 * common/zstds: round trips from 0 B to several MiB fed in pieces of odd
 * sizes, concatenated and skippable frames, truncated and corrupt streams
 * refused, and the decoder's window limit with its message.
 */
#include <stdint.h>

#include "tap.h"
#include "testbuf.h"
#include "zstds.h"

BUF_CODER(zs, zstds_write, zstds_finish)

static int
feed(struct zstds *z, const unsigned char *p, size_t n, char *e)
{
	return buf_feed(zs_write, z, p, n, e);
}

static int
encode(const unsigned char *p, size_t n, int level, uint32_t threads,
    struct buf *out)
{
	struct zstds z;
	char e[ERRSTR_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = buf_code(zstds_encoder(&z, level, threads, buf_sink, out, e),
	    zs_write, zs_finish, &z, p, n, e);
	zstds_end(&z);
	if (rc < 0)
		printf("# encode: %s\n", e);
	return rc;
}

/* Decodes under memlimit; returns 0 or -1 with the reason in e. */
static int
decode(const unsigned char *p, size_t n, uint64_t memlimit, struct buf *out,
    char *e)
{
	struct zstds z;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = buf_code(zstds_decoder(&z, memlimit, buf_sink, out, e), zs_write,
	    zs_finish, &z, p, n, e);
	zstds_end(&z);
	return rc;
}


/* Every level and thread count in the table, at size n. */
static void
round_trip(const unsigned char *p, size_t n)
{
	static const struct { int level; uint32_t threads; } opts[] = {
		{ 1, 0 }, { 3, 1 }, { 6, 2 }, { 19, 0 },
	};
	struct buf c, d;
	char e[ERRSTR_LEN];
	size_t j;

	for (j = 0; j < sizeof(opts) / sizeof(opts[0]); j++) {
		if (opts[j].level == 19 && n > 100000)
			continue;
		if (encode(p, n, opts[j].level, opts[j].threads, &c) < 0) {
			ok(0, "encode %zu B level %d", n, opts[j].level);
			continue;
		}
		e[0] = '\0';
		ok(decode(c.p, c.n, 1ULL << 30, &d, e) == 0 && d.n == n &&
		    (d.n == 0 || memcmp(d.p, p, d.n) == 0),
		    "%zu B at level %d, %u threads -> %zu B and back %s",
		    n, opts[j].level, opts[j].threads, c.n, e);
		free(c.p);
		free(d.p);
	}
}

static void
frames(void)
{
	static const unsigned char skip[] = {
		0x53, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'
	};
	unsigned char *a = buf_data(200000), *cat;
	struct buf c1, c2, d;
	char e[ERRSTR_LEN];
	size_t n;

	if (encode(a, 200000, 3, 0, &c1) < 0 ||
	    encode(a, 1000, 1, 0, &c2) < 0) {
		ok(0, "encode");
		return;
	}
	n = c1.n + sizeof(skip) + c2.n + sizeof(skip);
	cat = malloc(n);
	memcpy(cat, c1.p, c1.n);
	memcpy(cat + c1.n, skip, sizeof(skip));
	memcpy(cat + c1.n + sizeof(skip), c2.p, c2.n);
	memcpy(cat + c1.n + sizeof(skip) + c2.n, skip, sizeof(skip));
	ok(decode(cat, n, 1ULL << 30, &d, e) == 0 && d.n == 201000 &&
	    memcmp(d.p, a, 200000) == 0 && memcmp(d.p + 200000, a, 1000) == 0,
	    "two frames and two skippable frames decode as their concatenation");
	free(d.p);
	ok(zstds_sniff(skip, sizeof(skip)) && zstds_sniff(c1.p, c1.n) &&
	    !zstds_sniff("\xfd" "7zXZ", 5) && !zstds_sniff(c1.p, 3),
	    "sniff knows zstd and skippable frames, not xz or a short buffer");

	/* A frame cut anywhere (every byte of a small one, then steps
	 * through the large one) is refused, even right after a whole
	 * frame: a skippable frame's tail or a second frame's head. */
	{
		size_t cut, bad = 0, tried = 0;

		for (cut = 0; cut < n; cut += cut + 997 < c1.n - 200 ? 997 : 1) {
			if (cut == c1.n || cut == c1.n + sizeof(skip) ||
			    cut == c1.n + sizeof(skip) + c2.n)
				continue;	/* frame boundaries: whole */
			tried++;
			if (decode(cat, cut, 1ULL << 30, &d, e) < 0)
				bad++;
			else
				printf("# cut at %zu decoded\n", cut);
			free(d.p);
		}
		ok(tried > 400 && bad == tried,
		    "%zu of %zu truncated streams refused", bad, tried);
		decode(cat, c1.n - 1, 1ULL << 30, &d, e);
		free(d.p);
		ok(strcmp(e, "zstd: unexpected end of input") == 0,
		    "the message for a cut stream: %s", e);
		ok(decode(cat, 0, 1ULL << 30, &d, e) < 0 &&
		    strcmp(e, "zstd: unexpected end of input") == 0,
		    "empty input refused: %s", e);
		free(d.p);
	}
	cat[c1.n / 2] ^= 0x20;
	ok(decode(cat, n, 1ULL << 30, &d, e) < 0, "a flipped bit is refused: %s",
	    e);
	free(d.p);
	free(cat);
	free(c1.p);
	free(c2.p);
	free(a);
}

/* An encoder that is never finished leaves no last block and no checksum:
 * the decoder refuses what it wrote.  Level 1 cuts jobs of 2 MiB and one
 * worker has room for three in flight, so 20 MiB of input cannot all be
 * taken in before whole jobs are written out. */
static void
unfinished(void)
{
	unsigned char *a = buf_data(20 << 20);
	struct buf c, d;
	struct zstds z;
	char e[ERRSTR_LEN];

	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	e[0] = '\0';
	if (zstds_encoder(&z, 1, 1, buf_sink, &c, e) < 0 ||
	    feed(&z, a, 20 << 20, e) < 0) {
		ok(0, "encode: %s", e);
		return;
	}
	zstds_end(&z);
	ok(c.n > 0 && decode(c.p, c.n, 1ULL << 30, &d, e) < 0 &&
	    strcmp(e, "zstd: unexpected end of input") == 0,
	    "an unfinished frame (%zu B written) never decodes whole: %s", c.n,
	    e);
	free(d.p);
	free(c.p);
	free(a);
}

static void
window(void)
{
	/* Frame headers: magic, descriptor (no checksum, no size), window
	 * descriptor, then an empty last raw block. */
	unsigned char f[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 1, 0, 0 };
	unsigned char *a = buf_data(3 << 20);
	struct buf c, d;
	char e[ERRSTR_LEN];

	ok(zstds_window_log(1ULL << 30) == 30 &&
	    zstds_window_log((1ULL << 30) - 1) == 29 &&
	    zstds_window_log(0) == 10 && zstds_window_log(UINT64_MAX) == 31,
	    "window logs: 1 GiB -> 30, a byte less -> 29, floor 10, cap 31");
	ok(decode(f, sizeof(f), 1ULL << 30, &d, e) < 0 &&
	    strcmp(e, "zstd: the stream needs a 2048 MiB window, over the limit of 1024 MiB (raise it with --memlimit)") == 0,
	    "a 2 GiB window over the 1 GiB limit: %s", e);
	free(d.p);
	f[5] = 0x50;	/* 1 MiB */
	ok(decode(f, sizeof(f), 1ULL << 30, &d, e) == 0 && d.n == 0,
	    "a 1 MiB window under the limit decodes");
	free(d.p);
	ok(decode(f, sizeof(f), 512 << 10, &d, e) < 0 &&
	    strcmp(e, "zstd: the stream needs a 1 MiB window, over the limit of 512 KiB (raise it with --memlimit)") == 0,
	    "under a 512 KiB limit it does not: %s", e);
	free(d.p);
	/* Level 3 on input of unknown size asks for a 2 MiB window. */
	if (encode(a, 3 << 20, 3, 0, &c) < 0)
		return;
	ok(decode(c.p, c.n, 1 << 20, &d, e) < 0 &&
	    strcmp(e, "zstd: the stream needs a 2 MiB window, over the limit of 1 MiB (raise it with --memlimit)") == 0,
	    "a level 3 stream under a 1 MiB limit: %s", e);
	free(d.p);
	ok(decode(c.p, c.n, 2 << 20, &d, e) == 0 && d.n == 3 << 20,
	    "and under a 2 MiB limit it decodes");
	free(d.p);
	free(c.p);
	free(a);
}

int
main(void)
{
	buf_each_size(round_trip);
	frames();
	unfinished();
	window();
	return tap_done();
}
