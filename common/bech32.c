#include <ctype.h>
#include <string.h>

#include "bech32.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
polymod_step(uint32_t c, uint8_t v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	    0x3d4233dd, 0x2a1462b3 };
	uint8_t top = (uint8_t)(c >> 25);
	int i;

	c = ((c & 0x1ffffff) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			c ^= gen[i];
	return c;
}

static uint32_t
hrp_polymod(const char *hrp, size_t n)
{
	uint32_t c = 1;
	size_t i;

	for (i = 0; i < n; i++)
		c = polymod_step(c, (uint8_t)(tolower((unsigned char)hrp[i]) >> 5));
	c = polymod_step(c, 0);
	for (i = 0; i < n; i++)
		c = polymod_step(c, (uint8_t)(tolower((unsigned char)hrp[i]) & 31));
	return c;
}

int
bech32_encode(char *out, size_t outlen, const char *hrp, const uint8_t *data,
    size_t len, int upper)
{
	size_t hl = strlen(hrp), n5 = (len * 8 + 4) / 5, o = 0, i;
	uint32_t c, acc = 0;
	int bits = 0;
	uint8_t v;

	if (outlen < hl + 1 + n5 + 6 + 1)
		return -1;
	c = hrp_polymod(hrp, hl);
	for (i = 0; i < hl; i++)
		out[o++] = hrp[i];
	out[o++] = '1';
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			v = (acc >> bits) & 31;
			c = polymod_step(c, v);
			out[o++] = charset[v];
		}
	}
	if (bits > 0) {
		v = (acc << (5 - bits)) & 31;
		c = polymod_step(c, v);
		out[o++] = charset[v];
	}
	for (i = 0; i < 6; i++)
		c = polymod_step(c, 0);
	c ^= 1;
	for (i = 0; i < 6; i++)
		out[o++] = charset[(c >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	if (upper)
		for (i = 0; i < o; i++)
			out[i] = (char)toupper((unsigned char)out[i]);
	return 0;
}

int
bech32_decode(const char *s, char *hrp, size_t hrplen, uint8_t *data,
    size_t *len)
{
	size_t n = strlen(s), sep, i, o = 0;
	int lower = 0, upper = 0, bits = 0;
	uint32_t c, acc = 0;
	const char *p;

	for (i = 0; i < n; i++) {
		if (s[i] < 33 || s[i] > 126)
			return -1;
		if (islower((unsigned char)s[i]))
			lower = 1;
		if (isupper((unsigned char)s[i]))
			upper = 1;
	}
	if (lower && upper)
		return -1;
	p = strrchr(s, '1');
	if (p == NULL)
		return -1;
	sep = (size_t)(p - s);
	if (sep == 0 || sep + 7 > n || sep + 1 > hrplen)
		return -1;
	for (i = 0; i < sep; i++)
		hrp[i] = (char)tolower((unsigned char)s[i]);
	hrp[sep] = '\0';
	c = hrp_polymod(hrp, sep);
	for (i = sep + 1; i < n; i++) {
		const char *q = strchr(charset, tolower((unsigned char)s[i]));
		uint8_t v;

		if (q == NULL || *q == '\0')
			return -1;
		v = (uint8_t)(q - charset);
		c = polymod_step(c, v);
		if (i + 6 >= n)	/* the checksum: not data */
			continue;
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == *len)
				return -1;
			data[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (c != 1)
		return -1;
	/* At most 4 padding bits, all zero. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*len = o;
	return 0;
}
