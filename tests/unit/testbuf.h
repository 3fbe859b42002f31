/*
 * What the stream tests share: a growing buffer as an io_sink_fn, input
 * fed in pieces of odd sizes, and compressible test data.  Header-only,
 * like tap.h.
 */
#ifndef RDBPIPE_TESTBUF_H
#define RDBPIPE_TESTBUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	unsigned char	*p;
	size_t		 n, cap;
};

static __attribute__((unused)) int
buf_sink(void *arg, const void *data, size_t len, char *errstr)
{
	struct buf *b = arg;

	(void)errstr;
	if (len == 0)
		return 0;	/* memcpy takes no NULL, even for nothing */
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	return 0;
}

/* Feeds p to write(ctx, ...) in pieces of odd sizes, in turn; returns 0
 * or the first failure. */
static __attribute__((unused)) int
buf_feed(int (*write)(void *, const void *, size_t, char *), void *ctx,
    const unsigned char *p, size_t n, char *e)
{
	static const size_t pieces[] = { 1, 7, 4093, 65537, 3, 131071 };
	size_t o = 0, k, i = 0;

	while (o < n) {
		k = pieces[i++ % (sizeof(pieces) / sizeof(pieces[0]))];
		if (k > n - o)
			k = n - o;
		if (write(ctx, p + o, k, e) < 0)
			return -1;
		o += k;
	}
	return 0;
}

/* Defines prefix_write and prefix_finish: a coder's own write and finish
 * (which take its struct) as the void * functions buf_feed and buf_code
 * call. */
#define BUF_CODER(prefix, write, finish)				\
static int								\
prefix##_write(void *c, const void *p, size_t n, char *e)		\
{									\
	return write(c, p, n, e);					\
}									\
static int								\
prefix##_finish(void *c, char *e)					\
{									\
	return finish(c, e);						\
}

/* Feeds p in pieces to a coder its maker has just made (made: what the
 * maker returned), then finishes it; returns 0 or the first failure.
 * The caller ends the coder, made or not. */
static __attribute__((unused)) int
buf_code(int made, int (*write)(void *, const void *, size_t, char *),
    int (*finish)(void *, char *), void *ctx, const unsigned char *p,
    size_t n, char *e)
{
	if (made < 0 || buf_feed(write, ctx, p, n, e) < 0)
		return -1;
	return finish(ctx, e);
}

/* n bytes, compressible but not trivially: words from a small alphabet
 * (one byte more, so that an empty input is not NULL). */
static __attribute__((unused)) unsigned char *
buf_data(size_t n)
{
	unsigned char *p = malloc(n + 1);
	uint32_t x = 12345;
	size_t i;

	if (p == NULL)
		abort();
	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (x >> 16) % 7 == 0 ? ' ' : 'a' + (x >> 20) % 16;
	}
	return p;
}

/* Calls each(p, n) with test data of every size a round trip is tried
 * at: nothing, a byte, either side of the 64 KiB buffer, several MiB. */
static __attribute__((unused)) void
buf_each_size(void (*each)(const unsigned char *, size_t))
{
	static const size_t sizes[] = { 0, 1, 1000, 65535, 65536, 65537,
	    (3 << 20) + 7 };
	unsigned char *p;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = buf_data(sizes[i]);
		each(p, sizes[i]);
		free(p);
	}
}

#endif
