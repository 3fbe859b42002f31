/* common/rdb: CRC64 vector, framing of Redis's own files, truncation and
 * bit flips, and that piece sizes never change the verdict. */
#include "rdb.h"
#include "tap.h"

/* Key counts as redis-check-rdb 7.0 reports them; -1 where it stops early
 * because the content (not the framing) is corrupt. */
static const struct {
	const char	*name;
	long		 keys;
} good[] = {
	{ "encodings.rdb", 13 }, { "hash-zipmap.rdb", 1 },
	{ "list-quicklist.rdb", 2 }, { "hash-ziplist.rdb", 1 },
	{ "zset-ziplist.rdb", 1 }, { "scriptbackup.rdb", 0 },
	{ "corrupt_empty_keys.rdb", -1 }, { "corrupt_ziplist.rdb", -1 },
};

/* Files from newer servers (tests/fixtures/rdb-12): walked whole, or
 * only CRC-checked with a warning saying so. */
static const struct {
	const char	*name;
	long		 keys;
	const char	*warn;	/* NULL: walked whole */
} newer[] = {
	{ "hfe-listpack-v12.rdb", 1, NULL },
	{ "hfe-hashtable-v12.rdb", 1, NULL },
	{ "synthetic-v13.rdb", 0,
	    "Redis RDB version 13 is newer than this rdbpipe (it walks 1 to 12): checked its CRC-64 only" },
	{ "synthetic-valkey080.rdb", 0,
	    "Valkey RDB version 80: value type or opcode 25 at offset 264 is unknown to this rdbpipe, the structure before it was walked: checked its CRC-64 only" },
};

static const char *
tap_fixture_rdb(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s",
	    strstr(name, "-v1") || strstr(name, "valkey") ? "rdb-12" : "rdb",
	    name);
	return tap_fixture(path);
}

static int
check(const unsigned char *buf, size_t len, size_t piece, int aof,
    struct rdb_check *c)
{
	size_t off = 0, n;

	rdb_check_init(c, aof);
	while (off < len) {
		n = piece == 0 || len - off < piece ? len - off : piece;
		if (rdb_check_feed(c, buf + off, n) < 0)
			return -1;
		off += n;
	}
	return rdb_check_end(c);
}

static int
has_crc(const unsigned char *buf, size_t len)
{
	int v = atoi((const char *)buf + 5) % 10000;
	size_t i;

	if (v < 5)
		return 0;
	for (i = len - 8; i < len; i++)
		if (buf[i] != 0)
			return 1;
	return 0;
}

/* A newer file: the verdict, the warning, the key count where walked,
 * the same in pieces of every size, every truncation and every bit flip
 * refused. */
/* How many of the len * 8 single-bit flips of buf the checker refuses
 * (buf is as it was after). */
static size_t
flips_refused(unsigned char *buf, size_t len)
{
	struct rdb_check c;
	size_t cut, bad = 0;
	unsigned bit;

	for (cut = 0; cut < len; cut++)
		for (bit = 0; bit < 8; bit++) {
			buf[cut] ^= (unsigned char)(1u << bit);
			if (check(buf, len, 0, 0, &c) < 0)
				bad++;
			buf[cut] ^= (unsigned char)(1u << bit);
		}
	return bad;
}

static void
check_newer(const char *name, long keys, const char *warn)
{
	struct rdb_check c, c1;
	unsigned char *buf;
	size_t len, cut, piece, bad;
	const char *w;
	int rc;

	buf = tap_slurp(tap_fixture_rdb(name), &len);
	rc = check(buf, len, 0, 0, &c);
	ok(rc == 0, "%s: accepted (%s)", name, rc == 0 ? "ok" : c.errstr);
	w = rdb_check_warning(&c);
	if (warn == NULL)
		ok(w == NULL && c.keys == (uint64_t)keys,
		    "%s: walked whole, %llu keys", name,
		    (unsigned long long)c.keys);
	else
		ok(w != NULL && strcmp(w, warn) == 0, "%s: warns: %s", name,
		    w ? w : "(nothing)");
	bad = 0;
	for (piece = 1; piece <= len; piece++)
		if (check(buf, len, piece, 0, &c1) < 0 || c1.keys != c.keys ||
		    (rdb_check_warning(&c1) == NULL) != (w == NULL))
			bad++;
	ok(bad == 0, "%s: same verdict in pieces of every size, %zu differ",
	    name, bad);
	bad = 0;
	for (cut = 0; cut < len; cut++)
		for (piece = 1; piece <= 9; piece += 8)
			if (check(buf, cut, piece, 0, &c1) < 0)
				bad++;
	ok(bad == len * 2, "%s: all %zu truncations refused", name, len);
	check(buf, len - 3, 0, 0, &c1);
	ok(strstr(c1.errstr, "truncated") != NULL,
	    "%s: three bytes short says: %s", name, c1.errstr);
	ok(flips_refused(buf, len) == len * 8,
	    "%s: all %zu single-bit flips refused", name, len * 8);
	free(buf);
}

int
main(void)
{
	struct rdb_check c, c1;
	unsigned char *buf;
	size_t len, i, cut, bad;
	int rc;

	ok(rdb_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL,
	    "crc64(\"123456789\") is Redis's check value");
	ok(rdb_crc64(rdb_crc64(0, "1234", 4), "56789", 5) ==
	    0xe9c6d914c4b8d9caULL, "crc64 continues across pieces");
	ok(rdb_sniff("REDIS0010", 9) && !rdb_sniff("REDIS001x", 9) &&
	    !rdb_sniff("REDIS", 5), "sniff wants REDIS and four digits");
	ok(rdb_sniff("VALKEY080", 9) && !rdb_sniff("VALKEY08", 8) &&
	    !rdb_sniff("VALKEY0x0", 9), "sniff takes VALKEY and three digits");

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *name = good[i].name;

		buf = tap_slurp(tap_fixture_rdb(name), &len);
		rc = check(buf, len, 0, 0, &c);
		ok(rc == 0, "%s: framing and CRC accepted (%s)", name,
		    rc == 0 ? "ok" : c.errstr);
		if (good[i].keys >= 0)
			ok(c.keys == (uint64_t)good[i].keys,
			    "%s: %llu keys counted, as redis-check-rdb", name,
			    (unsigned long long)c.keys);
		rc = check(buf, len, 1, 0, &c1);
		ok(rc == 0 && c1.keys == c.keys && c1.off == c.off,
		    "%s: same verdict fed one byte at a time", name);

		bad = 0;
		for (cut = 0; cut < len; cut++)
			if (check(buf, cut, 7, 0, &c1) < 0)
				bad++;
		ok(bad == len, "%s: all %zu truncations refused", name, len);
		check(buf, len - 1, 0, 0, &c1);
		ok(strstr(c1.errstr, "truncated") != NULL,
		    "%s: one byte short says: %s", name, c1.errstr);

		if (has_crc(buf, len))
			ok(flips_refused(buf, len) == len * 8,
			    "%s: all %zu single-bit flips refused", name,
			    len * 8);
		free(buf);
	}

	for (i = 0; i < sizeof(newer) / sizeof(newer[0]); i++)
		check_newer(newer[i].name, newer[i].keys, newer[i].warn);

	buf = tap_slurp(tap_fixture_rdb("rdb-preamble.aof"), &len);
	ok(check(buf, len, 0, 1, &c) == 0, "AOF with RDB preamble accepted when allowed (%s)",
	    c.errstr);
	ok(check(buf, len, 0, 0, &c) < 0 &&
	    strstr(c.errstr, "data after the end") != NULL,
	    "AOF tail refused for a plain RDB: %s", c.errstr);
	/* A cut that falls between two whole commands leaves a shorter
	 * valid AOF: framing cannot tell, so those are counted apart. */
	bad = 0;
	for (cut = 0; cut < len; cut++) {
		int boundary = cut == 117 || cut == len ||
		    (cut > 117 && buf[cut] == '*' && buf[cut - 1] == '\n');

		if ((check(buf, cut, 3, 1, &c1) < 0) == boundary)
			bad++;
	}
	ok(bad == 0, "AOF with preamble: every cut inside a command refused, %zu mismatches",
	    bad);
	/* The counts of the AOF tail are plain decimals: no sign, no blank,
	 * nothing past Redis's long long. */
	{
		static const struct {
			const char *tail, *why;
		} cases[] = {
			{ "*1\r\n$4\r\nPING\r\n", NULL },
			{ "*2\r\n$3\r\nGET\r\n$0\r\n\r\n", NULL },
			{ "*1\r\n$-1\r\n", "bad AOF framing at offset 126" },
			{ "*-1\r\n", "bad AOF framing at offset 122" },
			{ "*+1\r\n$4\r\nPING\r\n", "bad AOF framing at offset 122" },
			{ "* 1\r\n$4\r\nPING\r\n", "bad AOF framing at offset 122" },
			{ "*1\r\n$ 4\r\nPING\r\n", "bad AOF framing at offset 126" },
			{ "*1\r\n$4x\r\nPING\r\n", "bad AOF framing at offset 126" },
			{ "*1\r\n$4\n", "bad AOF framing at offset 124" },
			{ "*1\r\n$\r\n", "bad AOF framing at offset 124" },
			/* 2^64 - 1 wrapped to a skip of 1 through strtoull. */
			{ "*1\r\n$18446744073709551615\r\nx\r\n",
			    "bad AOF framing at offset 144" },
			{ "*1\r\n$9223372036854775808\r\n",
			    "bad AOF framing at offset 143" },
			{ "*18446744073709551617\r\n", "bad AOF framing at offset 140" },
		};
		unsigned char *aof;
		size_t k, tl;
		char want[ERRSTR_LEN];

		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			tl = strlen(cases[k].tail);
			aof = malloc(117 + tl);
			memcpy(aof, buf, 117);
			memcpy(aof + 117, cases[k].tail, tl);
			rc = check(aof, 117 + tl, 0, 1, &c1);
			if (cases[k].why == NULL)
				ok(rc == 0, "AOF tail %zu accepted: %s", k,
				    rc == 0 ? "" : c1.errstr);
			else {
				snprintf(want, sizeof(want), "%s", cases[k].why);
				ok(rc < 0 && strcmp(c1.errstr, want) == 0,
				    "AOF tail %zu refused: %s", k,
				    rc < 0 ? c1.errstr : "(accepted)");
			}
			free(aof);
		}
	}
	free(buf);

	ok(check((const unsigned char *)"", 0, 0, 0, &c) < 0 &&
	    strcmp(c.errstr, "empty input: not an RDB file") == 0,
	    "empty input: %s", c.errstr);
	ok(check((const unsigned char *)"hello world, not an rdb", 23, 0, 0,
	    &c) < 0 && strstr(c.errstr, "not an RDB file") != NULL,
	    "garbage: %s", c.errstr);
	ok(check((const unsigned char *)"REDIS0099\xff", 10, 0, 0, &c) < 0 &&
	    strcmp(c.errstr, "truncated RDB: 10 bytes, too short for its CRC-64") == 0,
	    "future version, too short: %s", c.errstr);
	ok(check((const unsigned char *)"REDIS0099\xff\0\0\0\0\0\0\0\0", 18,
	    0, 0, &c) == 0 && rdb_check_warning(&c) != NULL &&
	    strstr(rdb_check_warning(&c), "no CRC-64 (rdbchecksum no): nothing could be checked") != NULL,
	    "future version without a CRC: %s", rdb_check_warning(&c));
	ok(check((const unsigned char *)"REDIS0099\x01\0\0\0\0\0\0\0\0", 18,
	    0, 0, &c) < 0 && strstr(c.errstr, "no EOF marker") != NULL,
	    "future version, no EOF opcode before the trailer: %s", c.errstr);
	{
		static const unsigned char vcs[] = "VCS\x01\x04\x22\x4d\x18"
		    "\x64\x40\xa7 anything at all";
		size_t piece;
		int same = 1;

		for (piece = 1; piece <= sizeof(vcs) - 1; piece++)
			if (check(vcs, sizeof(vcs) - 1, piece, 0, &c) < 0 ||
			    rdb_check_warning(&c) == NULL)
				same = 0;
		ok(same && c.passthru && strcmp(rdb_check_warning(&c),
		    "a Valkey compressed stream (VCS envelope, rdbcompression "
		    "lz4): passed through as it is, nothing in it checked") == 0,
		    "Valkey's VCS envelope: passed through with a warning, in "
		    "pieces of every size");
		ok(rdb_sniff(vcs, 9) && !rdb_sniff("VCS", 3),
		    "sniff takes the VCS envelope");
	}
	ok(check((const unsigned char *)"REDIS0011\x18\0\0\0\0\0\0\0\0", 18,
	    0, 0, &c) < 0 && strcmp(c.errstr, "unknown opcode or type 0x18 at offset 9") == 0,
	    "a type unknown in a closed layout (11) is damage: %s", c.errstr);
	ok(check((const unsigned char *)"VALKEY012\xff\0\0\0\0\0\0\0\0", 18,
	    0, 0, &c) < 0 && strcmp(c.errstr, "unsupported Valkey RDB version 12") == 0,
	    "VALKEY below 80 refused: %s", c.errstr);
	ok(check((const unsigned char *)"REDIS0010\xff\0\0\0\0\0\0\0\0", 18, 0,
	    0, &c) == 0 && rdb_check_warning(&c) == NULL,
	    "a walked file has no warning");
	/* A checksum of 0 means rdbchecksum was off: accepted. */
	ok(check((const unsigned char *)"REDIS0010\xff\0\0\0\0\0\0\0\0", 18, 0,
	    0, &c) == 0 && c.crc_stored_zero, "stored CRC 0 accepted");
	ok(check((const unsigned char *)"REDIS0010\xff\0\0\0\0\0\0\0\0x", 19, 0,
	    0, &c) < 0, "trailing byte refused: %s", c.errstr);
	return tap_done();
}
