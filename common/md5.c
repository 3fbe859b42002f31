#include <string.h>

#include "md5.h"

/* The four rounds of RFC 1321, section 3.4, written out: a loop with a
 * switch per step runs at a third of the speed. */
#define F(x, y, z)	((z) ^ ((x) & ((y) ^ (z))))
#define G(x, y, z)	((y) ^ ((z) & ((x) ^ (y))))
#define H(x, y, z)	((x) ^ (y) ^ (z))
#define I(x, y, z)	((y) ^ ((x) | ~(z)))
#define STEP(f, a, b, c, d, x, t, s) do {				\
	(a) += f((b), (c), (d)) + (x) + (t);				\
	(a) = ((a) << (s)) | ((a) >> (32 - (s)));			\
	(a) += (b);							\
} while (0)

static void
md5_block(uint32_t h[4], const unsigned char *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 |
		    (uint32_t)p[i * 4 + 2] << 16 | (uint32_t)p[i * 4 + 3] << 24;

	STEP(F, a, b, c, d, w[0], 0xd76aa478, 7);
	STEP(F, d, a, b, c, w[1], 0xe8c7b756, 12);
	STEP(F, c, d, a, b, w[2], 0x242070db, 17);
	STEP(F, b, c, d, a, w[3], 0xc1bdceee, 22);
	STEP(F, a, b, c, d, w[4], 0xf57c0faf, 7);
	STEP(F, d, a, b, c, w[5], 0x4787c62a, 12);
	STEP(F, c, d, a, b, w[6], 0xa8304613, 17);
	STEP(F, b, c, d, a, w[7], 0xfd469501, 22);
	STEP(F, a, b, c, d, w[8], 0x698098d8, 7);
	STEP(F, d, a, b, c, w[9], 0x8b44f7af, 12);
	STEP(F, c, d, a, b, w[10], 0xffff5bb1, 17);
	STEP(F, b, c, d, a, w[11], 0x895cd7be, 22);
	STEP(F, a, b, c, d, w[12], 0x6b901122, 7);
	STEP(F, d, a, b, c, w[13], 0xfd987193, 12);
	STEP(F, c, d, a, b, w[14], 0xa679438e, 17);
	STEP(F, b, c, d, a, w[15], 0x49b40821, 22);

	STEP(G, a, b, c, d, w[1], 0xf61e2562, 5);
	STEP(G, d, a, b, c, w[6], 0xc040b340, 9);
	STEP(G, c, d, a, b, w[11], 0x265e5a51, 14);
	STEP(G, b, c, d, a, w[0], 0xe9b6c7aa, 20);
	STEP(G, a, b, c, d, w[5], 0xd62f105d, 5);
	STEP(G, d, a, b, c, w[10], 0x02441453, 9);
	STEP(G, c, d, a, b, w[15], 0xd8a1e681, 14);
	STEP(G, b, c, d, a, w[4], 0xe7d3fbc8, 20);
	STEP(G, a, b, c, d, w[9], 0x21e1cde6, 5);
	STEP(G, d, a, b, c, w[14], 0xc33707d6, 9);
	STEP(G, c, d, a, b, w[3], 0xf4d50d87, 14);
	STEP(G, b, c, d, a, w[8], 0x455a14ed, 20);
	STEP(G, a, b, c, d, w[13], 0xa9e3e905, 5);
	STEP(G, d, a, b, c, w[2], 0xfcefa3f8, 9);
	STEP(G, c, d, a, b, w[7], 0x676f02d9, 14);
	STEP(G, b, c, d, a, w[12], 0x8d2a4c8a, 20);

	STEP(H, a, b, c, d, w[5], 0xfffa3942, 4);
	STEP(H, d, a, b, c, w[8], 0x8771f681, 11);
	STEP(H, c, d, a, b, w[11], 0x6d9d6122, 16);
	STEP(H, b, c, d, a, w[14], 0xfde5380c, 23);
	STEP(H, a, b, c, d, w[1], 0xa4beea44, 4);
	STEP(H, d, a, b, c, w[4], 0x4bdecfa9, 11);
	STEP(H, c, d, a, b, w[7], 0xf6bb4b60, 16);
	STEP(H, b, c, d, a, w[10], 0xbebfbc70, 23);
	STEP(H, a, b, c, d, w[13], 0x289b7ec6, 4);
	STEP(H, d, a, b, c, w[0], 0xeaa127fa, 11);
	STEP(H, c, d, a, b, w[3], 0xd4ef3085, 16);
	STEP(H, b, c, d, a, w[6], 0x04881d05, 23);
	STEP(H, a, b, c, d, w[9], 0xd9d4d039, 4);
	STEP(H, d, a, b, c, w[12], 0xe6db99e5, 11);
	STEP(H, c, d, a, b, w[15], 0x1fa27cf8, 16);
	STEP(H, b, c, d, a, w[2], 0xc4ac5665, 23);

	STEP(I, a, b, c, d, w[0], 0xf4292244, 6);
	STEP(I, d, a, b, c, w[7], 0x432aff97, 10);
	STEP(I, c, d, a, b, w[14], 0xab9423a7, 15);
	STEP(I, b, c, d, a, w[5], 0xfc93a039, 21);
	STEP(I, a, b, c, d, w[12], 0x655b59c3, 6);
	STEP(I, d, a, b, c, w[3], 0x8f0ccc92, 10);
	STEP(I, c, d, a, b, w[10], 0xffeff47d, 15);
	STEP(I, b, c, d, a, w[1], 0x85845dd1, 21);
	STEP(I, a, b, c, d, w[8], 0x6fa87e4f, 6);
	STEP(I, d, a, b, c, w[15], 0xfe2ce6e0, 10);
	STEP(I, c, d, a, b, w[6], 0xa3014314, 15);
	STEP(I, b, c, d, a, w[13], 0x4e0811a1, 21);
	STEP(I, a, b, c, d, w[4], 0xf7537e82, 6);
	STEP(I, d, a, b, c, w[11], 0xbd3af235, 10);
	STEP(I, c, d, a, b, w[2], 0x2ad7d2bb, 15);
	STEP(I, b, c, d, a, w[9], 0xeb86d391, 21);

	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void
md5_init(struct md5 *m)
{
	m->h[0] = 0x67452301;
	m->h[1] = 0xefcdab89;
	m->h[2] = 0x98badcfe;
	m->h[3] = 0x10325476;
	m->len = 0;
}

void
md5_update(struct md5 *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t have = (size_t)(m->len % 64), n;

	m->len += len;
	if (have > 0) {
		n = 64 - have < len ? 64 - have : len;
		memcpy(m->buf + have, p, n);
		p += n;
		len -= n;
		if (have + n < 64)
			return;
		md5_block(m->h, m->buf);
	}
	for (; len >= 64; p += 64, len -= 64)
		md5_block(m->h, p);
	memcpy(m->buf, p, len);
}

void
md5_final(struct md5 *m, unsigned char out[MD5_LEN])
{
	unsigned char pad[72];
	uint64_t bits = m->len * 8;
	size_t have = (size_t)(m->len % 64), n;
	int i;

	n = have < 56 ? 56 - have : 120 - have;
	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[n + (size_t)i] = (unsigned char)(bits >> (8 * i));
	md5_update(m, pad, n + 8);
	for (i = 0; i < 16; i++)
		out[i] = (unsigned char)(m->h[i / 4] >> (8 * (i % 4)));
}

void
md5_final_hex(struct md5 *m, char hex[MD5_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[MD5_LEN];
	int i;

	md5_final(m, d);
	for (i = 0; i < MD5_LEN; i++) {
		hex[i * 2] = digits[d[i] >> 4];
		hex[i * 2 + 1] = digits[d[i] & 15];
	}
	hex[MD5_HEX_LEN] = '\0';
}
