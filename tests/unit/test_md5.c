/* common/md5: the RFC 1321 test suite, fed whole and byte by byte. */
#include "md5.h"
#include "tap.h"

static const char *vectors[][2] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	    "d174ab98d277d9f5a5611c2c9f419d9f" },
	{ "1234567890123456789012345678901234567890123456789012345678901234"
	    "5678901234567890", "57edf4a22be3c955ac49da2e2107b67a" },
};

int
main(void)
{
	char hex[MD5_HEX_LEN + 1];
	struct md5 m;
	size_t i, j, n;
	static unsigned char big[1000000];

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		md5_init(&m);
		md5_update(&m, vectors[i][0], strlen(vectors[i][0]));
		md5_final_hex(&m, hex);
		ok(strcmp(hex, vectors[i][1]) == 0, "MD5(\"%s\") whole", vectors[i][0]);
		md5_init(&m);
		n = strlen(vectors[i][0]);
		for (j = 0; j < n; j++)
			md5_update(&m, vectors[i][0] + j, 1);
		md5_final_hex(&m, hex);
		ok(strcmp(hex, vectors[i][1]) == 0, "MD5(\"%s\") byte by byte",
		    vectors[i][0]);
	}
	/* A million 'a's in uneven pieces crosses every block boundary case. */
	memset(big, 'a', sizeof(big));
	md5_init(&m);
	for (i = 0, j = 1; i < sizeof(big); i += n, j = j * 7 % 131 + 1) {
		n = j < sizeof(big) - i ? j : sizeof(big) - i;
		md5_update(&m, big + i, n);
	}
	md5_final_hex(&m, hex);
	ok(strcmp(hex, "7707d6ae4e027c70eea2a935c2296f21") == 0,
	    "MD5 of a million 'a's in uneven pieces");
	return tap_done();
}
