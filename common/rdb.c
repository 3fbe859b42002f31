#include <endian.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdb.h"

/*
 * CRC-64-Jones, reflected polynomial 0x95ac9329ac4bc9b5, computed eight
 * bytes at a time (slicing-by-8) because every byte of every snapshot goes
 * through it: a byte-wise table runs at a few hundred MB/s, slower than xz
 * -1 and the disk.
 */
static uint64_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
	uint64_t c;
	int i, j;

	for (i = 0; i < 256; i++) {
		c = (uint64_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x95ac9329ac4bc9b5ULL : c >> 1;
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_table[j][i] = crc_table[0][crc_table[j - 1][i] & 0xff] ^
			    (crc_table[j - 1][i] >> 8);
}

uint64_t
rdb_crc64(uint64_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t w;

	pthread_once(&crc_once, crc_init);
	while (len >= 8) {
		/* The tables work on the bytes in file order, read as a
		 * little-endian word whatever the host (Debian has s390x). */
		memcpy(&w, p, 8);
		crc ^= le64toh(w);
		crc = crc_table[7][crc & 0xff] ^
		    crc_table[6][(crc >> 8) & 0xff] ^
		    crc_table[5][(crc >> 16) & 0xff] ^
		    crc_table[4][(crc >> 24) & 0xff] ^
		    crc_table[3][(crc >> 32) & 0xff] ^
		    crc_table[2][(crc >> 40) & 0xff] ^
		    crc_table[1][(crc >> 48) & 0xff] ^
		    crc_table[0][crc >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* "REDIS" and four digits, or Valkey 9's "VALKEY" and three. */
static int
magic_digits(const unsigned char *p, size_t len)
{
	int i, from;

	if (len < 9)
		return 0;
	if (memcmp(p, "REDIS", 5) == 0)
		from = 5;
	else if (memcmp(p, "VALKEY", 6) == 0)
		from = 6;
	else
		return 0;
	for (i = from; i < 9; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return from;
}

/* Valkey 9.2's rdbcompression lz4 wraps the whole RDB in a "VCS"
 * (Valkey Compressed Stream) envelope: a format of its own, not walked. */
static int
is_envelope(const unsigned char *p, size_t len)
{
	return len >= 9 && memcmp(p, "VCS", 3) == 0;
}

int
rdb_sniff(const void *buf, size_t len)
{
	return magic_digits(buf, len) != 0 || is_envelope(buf, len);
}

/* Opcodes and value types, as in Redis's rdb.h. */
enum {
	OP_SLOT_INFO = 0xf4, OP_FUNCTION2 = 0xf5, OP_FUNCTION_PRE_GA = 0xf6,
	OP_MODULE_AUX = 0xf7, OP_IDLE = 0xf8, OP_FREQ = 0xf9, OP_AUX = 0xfa,
	OP_RESIZEDB = 0xfb, OP_EXPIRETIME_MS = 0xfc, OP_EXPIRETIME = 0xfd,
	OP_SELECTDB = 0xfe, OP_EOF = 0xff
};

enum {
	T_STRING = 0, T_LIST = 1, T_SET = 2, T_ZSET = 3, T_HASH = 4,
	T_ZSET_2 = 5, T_MODULE_PRE_GA = 6, T_MODULE_2 = 7,
	T_HASH_ZIPMAP = 9, T_LIST_ZIPLIST = 10, T_SET_INTSET = 11,
	T_ZSET_ZIPLIST = 12, T_HASH_ZIPLIST = 13, T_LIST_QUICKLIST = 14,
	T_STREAM_LISTPACKS = 15, T_HASH_LISTPACK = 16, T_ZSET_LISTPACK = 17,
	T_LIST_QUICKLIST_2 = 18, T_STREAM_LISTPACKS_2 = 19,
	T_SET_LISTPACK = 20, T_STREAM_LISTPACKS_3 = 21,
	/* Redis 7.4's hashes with field TTLs: the release candidates' forms
	 * (22, 23) lack the minimum expire time the GA forms put first. */
	T_HASH_METADATA_PRE_GA = 22, T_HASH_LISTPACK_EX_PRE_GA = 23,
	T_HASH_METADATA = 24, T_HASH_LISTPACK_EX = 25
};

/*
 * Parser states.  A state runs once its `need` bytes are in scratch (or at
 * once when it needs none).  Lengths and strings are read by small
 * "subroutines" (call_len, call_str) that continue at a return state; a
 * return state never reads scratch, and S_NEXT asks for the next opcode.
 */
enum {
	S_MAGIC, S_NEXT, S_OPCODE, S_CRC, S_DONE, S_SKIPPED,
	S_LEN0, S_LEN1,			/* length encoding: first byte, rest */
	S_STR0, S_STR_LZF1, S_STR_LZF2,	/* string after its length */
	S_AUX2, S_RESIZE2, S_SLOT2, S_SLOT3,
	S_MAUX1, S_MAUX2, S_MOP, S_MOP_ARG,	/* module aux and opcodes */
	S_KEY_DONE,			/* key read: walk the value */
	S_SEQ, S_SEQ_ITEM,		/* n[0] strings */
	S_ZSET_SCORE, S_ZSET_SCORE_SKIP,
	S_QL2_ITEM,			/* quicklist 2: container, string */
	S_ST_LP, S_ST_LP_ITEM, S_ST_LP_VAL, S_ST_META, S_ST_CG,
	S_ST_CG_ITEM, S_ST_CG_ID, S_ST_CG_IDLEN, S_ST_PEL, S_ST_PEL_ITEM,
	S_ST_PEL_TIME, S_ST_CONS, S_ST_CONS_ITEM, S_ST_CONS_NAME,
	S_ST_CONS_TIME, S_ST_CPEL, S_ST_CPEL_ITEM,
	S_HFE_MIN, S_HFE_N, S_HFE_ITEM, S_HFE_TTL, S_HFE_FIELD	/* field TTLs */
};

#define FAIL(c, ...) (errstr_set((c)->errstr, __VA_ARGS__), (c)->failed = 1, -1)
#define OFF(c) ((unsigned long long)(c)->off)

static void
need(struct rdb_check *c, int state, unsigned n)
{
	c->state = state;
	c->need = n;
	c->have = 0;
}

/* Runs the state at once: no bytes wanted. */
static void
go(struct rdb_check *c, int state)
{
	need(c, state, 0);
}

static void
call_len(struct rdb_check *c, int ret)
{
	c->ret_len = ret;
	need(c, S_LEN0, 1);
}

static void
call_str(struct rdb_check *c, int ret)
{
	c->ret_str = ret;
	call_len(c, S_STR0);
}

static uint64_t
be(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | *p++;
	return v;
}

/* The stored CRC-64: eight bytes, little-endian, whatever the host. */
static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* The value of one key, by type, once its name has been read. */
static int
value_begin(struct rdb_check *c)
{
	switch (c->type) {
	case T_STRING:
	case T_HASH_ZIPMAP: case T_LIST_ZIPLIST: case T_SET_INTSET:
	case T_ZSET_ZIPLIST: case T_HASH_ZIPLIST: case T_HASH_LISTPACK:
	case T_ZSET_LISTPACK: case T_SET_LISTPACK:
		call_str(c, S_NEXT);
		return 0;
	case T_LIST: case T_SET: case T_ZSET: case T_HASH: case T_ZSET_2:
	case T_LIST_QUICKLIST: case T_LIST_QUICKLIST_2:
		call_len(c, S_SEQ);
		return 0;
	case T_STREAM_LISTPACKS: case T_STREAM_LISTPACKS_2:
	case T_STREAM_LISTPACKS_3:
		call_len(c, S_ST_LP);
		return 0;
	case T_HASH_LISTPACK_EX_PRE_GA:
		call_str(c, S_NEXT);	/* a listpack of field, value, TTL */
		return 0;
	case T_HASH_LISTPACK_EX:
		need(c, S_HFE_MIN, 8);	/* the minimum TTL, then as 23 */
		return 0;
	case T_HASH_METADATA_PRE_GA:
		call_len(c, S_HFE_N);
		return 0;
	case T_HASH_METADATA:
		need(c, S_HFE_MIN, 8);
		return 0;
	case T_MODULE_2:
		c->n[1] = 0;	/* the module id first, then opcodes */
		call_len(c, S_MOP);
		return 0;
	case T_MODULE_PRE_GA:
		return FAIL(c, "module value in the pre-release format at offset %llu: cannot be checked",
		    OFF(c));
	default:
		return FAIL(c, "internal error: value type %d", c->type);
	}
}

/* The value types this walker knows in the file's format. */
static int
type_known(const struct rdb_check *c, int t)
{
	if (t < 0 || t == 8)
		return 0;
	if (c->valkey)	/* Valkey 9 gave 22 a layout of its own */
		return t <= T_STREAM_LISTPACKS_3;
	if (c->version >= 12)
		return t <= T_HASH_LISTPACK_EX;
	return t <= T_STREAM_LISTPACKS_3;
}

/*
 * From here on only the CRC-64 trailer can be checked: the bytes are summed
 * as they pass, the last eight held back, since they are the stored value.
 */
static void
crc_fallback(struct rdb_check *c, const char *why, unsigned char last)
{
	c->crc_only = 1;
	c->last = last;	/* the last byte summed, for the EOF check */
	snprintf(c->warn, sizeof(c->warn), "%s", why);
}

static void
crc_only_feed(struct rdb_check *c, const unsigned char *p, size_t len)
{
	size_t out;

	c->off += len;
	if (c->ntail + len <= 8) {
		memcpy(c->tail + c->ntail, p, len);
		c->ntail += (unsigned)len;
		return;
	}
	/* The held bytes and the new ones, all but the last eight, are
	 * known now not to be the trailer. */
	out = c->ntail + len - 8;
	if (out >= c->ntail) {
		c->crc = rdb_crc64(c->crc, c->tail, c->ntail);
		out -= c->ntail;
		c->crc = rdb_crc64(c->crc, p, out);
		c->last = out > 0 ? p[out - 1] : c->tail[c->ntail - 1];
		memcpy(c->tail, p + out, 8);
		c->ntail = 8;
		return;
	}
	c->crc = rdb_crc64(c->crc, c->tail, out);
	c->last = c->tail[out - 1];
	memmove(c->tail, c->tail + out, c->ntail - out);
	c->ntail -= (unsigned)out;
	memcpy(c->tail + c->ntail, p, len);
	c->ntail += (unsigned)len;
}

static int
crc_only_end(struct rdb_check *c)
{
	uint64_t stored;

	if (c->ntail < 8 || c->off < 9 + 1 + 8)
		return FAIL(c, "truncated RDB: %llu bytes, too short for its CRC-64",
		    OFF(c));
	if (c->last != OP_EOF)
		return FAIL(c, "truncated RDB: no EOF marker before the CRC-64 at offset %llu",
		    OFF(c) - 9);
	stored = le64(c->tail);
	if (stored == 0) {
		c->crc_stored_zero = 1;
		snprintf(c->warn + strlen(c->warn),
		    sizeof(c->warn) - strlen(c->warn),
		    "; it has no CRC-64 (rdbchecksum no): nothing could be checked");
		return 0;
	}
	/* Without the structure, a cut that ends in 0xff and eight bytes
	 * looks like a trailer: its sum then tells. */
	if (stored != c->crc)
		return FAIL(c, "CRC64 mismatch: stored %016llx, computed %016llx "
		    "(the file is damaged or truncated)",
		    (unsigned long long)stored, (unsigned long long)c->crc);
	snprintf(c->warn + strlen(c->warn), sizeof(c->warn) - strlen(c->warn),
	    ": checked its CRC-64 only");
	return 0;
}

static int
opcode(struct rdb_check *c, int op)
{
	switch (op) {
	case OP_EOF:
		if (c->version >= 5) {
			need(c, S_CRC, 8);
		} else {
			c->done = 1;
			go(c, S_DONE);
		}
		return 0;
	case OP_SELECTDB:
	case OP_IDLE:
		call_len(c, S_NEXT);
		return 0;
	case OP_RESIZEDB:
		call_len(c, S_RESIZE2);
		return 0;
	case OP_SLOT_INFO:
		call_len(c, S_SLOT2);
		return 0;
	case OP_EXPIRETIME_MS:
		need(c, S_SKIPPED, 8);
		return 0;
	case OP_EXPIRETIME:
		need(c, S_SKIPPED, 4);
		return 0;
	case OP_FREQ:
		need(c, S_SKIPPED, 1);
		return 0;
	case OP_AUX:
		call_str(c, S_AUX2);
		return 0;
	case OP_FUNCTION2:
		call_str(c, S_NEXT);
		return 0;
	case OP_MODULE_AUX:
		call_len(c, S_MAUX1);	/* module id */
		return 0;
	case OP_FUNCTION_PRE_GA:
		return FAIL(c, "function in the pre-release format at offset %llu: cannot be checked",
		    OFF(c) - 1);
	default:
		/* The layouts before 12 are closed: an unknown type there is
		 * damage.  12 is still written by newer servers, and Valkey's
		 * are its own: there it may be newness, and the CRC tells. */
		if (!type_known(c, op) && !c->valkey &&
		    c->version < RDB_VERSION_MAX)
			return FAIL(c, "unknown opcode or type 0x%02x at offset %llu",
			    op, OFF(c) - 1);
		if (!type_known(c, op)) {
			char why[ERRSTR_LEN];

			snprintf(why, sizeof(why), "%s RDB version %d: value "
			    "type or opcode %d at offset %llu is unknown to this "
			    "rdbpipe, the structure before it was walked",
			    c->valkey ? "Valkey" : "Redis", c->version, op,
			    OFF(c) - 1);
			crc_fallback(c, why, (unsigned char)op);
			return 0;
		}
		c->type = op;
		c->keys++;
		call_str(c, S_KEY_DONE);
		return 0;
	}
}

/* Hashes with field TTLs (RDB 12). */
static int
step_hfe(struct rdb_check *c)
{
	switch (c->state) {
	case S_HFE_MIN:		/* the minimum TTL read */
		if (c->type == T_HASH_LISTPACK_EX)
			call_str(c, S_NEXT);
		else
			call_len(c, S_HFE_N);
		return 0;
	case S_HFE_N:
		c->n[0] = c->len;
		go(c, S_HFE_ITEM);
		return 0;
	case S_HFE_ITEM:	/* TTL (a length), field, value */
		if (c->n[0] == 0) {
			go(c, S_NEXT);
			return 0;
		}
		c->n[0]--;
		call_len(c, S_HFE_TTL);
		return 0;
	case S_HFE_TTL:
		call_str(c, S_HFE_FIELD);
		return 0;
	case S_HFE_FIELD:
		call_str(c, S_HFE_ITEM);
		return 0;
	}
	return FAIL(c, "internal error: state %d", c->state);
}

/* Streams: listpacks, metadata, consumer groups and their PELs. */
static int
step_stream(struct rdb_check *c)
{
	switch (c->state) {
	case S_ST_LP:
		c->n[0] = c->len;
		go(c, S_ST_LP_ITEM);
		return 0;
	case S_ST_LP_ITEM:	/* a 16-byte node key, then its listpack */
		if (c->n[0] == 0) {
			/* Element count and last id; formats 2 and 3 add the
			 * first id, the max deleted id and entries added. */
			c->n[1] = c->type == T_STREAM_LISTPACKS ? 3 : 8;
			go(c, S_ST_META);
			return 0;
		}
		c->n[0]--;
		call_str(c, S_ST_LP_VAL);
		return 0;
	case S_ST_LP_VAL:
		call_str(c, S_ST_LP_ITEM);
		return 0;
	case S_ST_META:
		if (c->n[1] == 0) {
			call_len(c, S_ST_CG);
			return 0;
		}
		c->n[1]--;
		call_len(c, S_ST_META);
		return 0;
	case S_ST_CG:
		c->n[0] = c->len;
		go(c, S_ST_CG_ITEM);
		return 0;
	case S_ST_CG_ITEM:	/* consumer groups */
		if (c->n[0] == 0) {
			go(c, S_NEXT);
			return 0;
		}
		c->n[0]--;
		call_str(c, S_ST_CG_ID);
		return 0;
	case S_ST_CG_ID:	/* last id, and entries read from format 2 */
		c->n[1] = c->type == T_STREAM_LISTPACKS ? 2 : 3;
		go(c, S_ST_CG_IDLEN);
		return 0;
	case S_ST_CG_IDLEN:
		if (c->n[1] == 0) {
			call_len(c, S_ST_PEL);
			return 0;
		}
		c->n[1]--;
		call_len(c, S_ST_CG_IDLEN);
		return 0;
	case S_ST_PEL:
		c->n[1] = c->len;
		go(c, S_ST_PEL_ITEM);
		return 0;
	case S_ST_PEL_ITEM:	/* raw id, delivery time, delivery count */
		if (c->n[1] == 0) {
			call_len(c, S_ST_CONS);
			return 0;
		}
		c->n[1]--;
		need(c, S_ST_PEL_TIME, 16 + 8);
		return 0;
	case S_ST_PEL_TIME:
		call_len(c, S_ST_PEL_ITEM);
		return 0;
	case S_ST_CONS:
		c->n[2] = c->len;
		go(c, S_ST_CONS_ITEM);
		return 0;
	case S_ST_CONS_ITEM:	/* name, seen time, [active time], PEL ids */
		if (c->n[2] == 0) {
			go(c, S_ST_CG_ITEM);
			return 0;
		}
		c->n[2]--;
		call_str(c, S_ST_CONS_NAME);
		return 0;
	case S_ST_CONS_NAME:
		need(c, S_ST_CONS_TIME,
		    c->type == T_STREAM_LISTPACKS_3 ? 16 : 8);
		return 0;
	case S_ST_CONS_TIME:
		call_len(c, S_ST_CPEL);
		return 0;
	case S_ST_CPEL:
		c->n[3] = c->len;
		go(c, S_ST_CPEL_ITEM);
		return 0;
	case S_ST_CPEL_ITEM:
		if (c->n[3] == 0) {
			go(c, S_ST_CONS_ITEM);
			return 0;
		}
		c->n[3]--;
		need(c, S_ST_CPEL_ITEM, 16);
		return 0;
	}
	return FAIL(c, "internal error: state %d", c->state);
}

/* The file's frame: signature, opcodes and their arguments, the CRC. */
static int
step_header(struct rdb_check *c)
{
	unsigned char *s = c->scratch;
	uint64_t stored;
	int i;

	switch (c->state) {
	case S_MAGIC:
		if (is_envelope(s, 9)) {
			/* Only the server's own byte count can tell its end. */
			c->passthru = 1;
			snprintf(c->warn, sizeof(c->warn), "a Valkey compressed "
			    "stream (VCS envelope, rdbcompression lz4): passed "
			    "through as it is, nothing in it checked");
			return 0;
		}
		if ((i = magic_digits(s, 9)) == 0)
			return FAIL(c, "not an RDB file: no REDIS or VALKEY signature");
		for (c->version = 0; i < 9; i++)
			c->version = c->version * 10 + (s[i] - '0');
		c->valkey = s[0] == 'V';
		if (c->valkey ? c->version < RDB_VALKEY_MIN : c->version < 1)
			return FAIL(c, "unsupported %s RDB version %d",
			    c->valkey ? "Valkey" : "Redis", c->version);
		need(c, S_OPCODE, 1);
		if (c->version > (c->valkey ? RDB_VALKEY_MAX : RDB_VERSION_MAX)) {
			char why[ERRSTR_LEN];

			snprintf(why, sizeof(why), "%s RDB version %d is newer "
			    "than this rdbpipe (it walks %s)",
			    c->valkey ? "Valkey" : "Redis", c->version,
			    c->valkey ? "80" : "1 to 12");
			crc_fallback(c, why, s[8]);
		}
		return 0;
	case S_NEXT:
	case S_SKIPPED:
		need(c, S_OPCODE, 1);
		return 0;
	case S_OPCODE:
		return opcode(c, s[0]);
	case S_CRC:
		stored = le64(s);
		if (stored == 0)
			c->crc_stored_zero = 1;
		else if (stored != c->crc)
			return FAIL(c, "CRC64 mismatch: stored %016llx, computed %016llx",
			    (unsigned long long)stored,
			    (unsigned long long)c->crc);
		c->done = 1;
		go(c, S_DONE);
		return 0;
	case S_AUX2:
		call_str(c, S_NEXT);
		return 0;
	case S_RESIZE2:
	case S_SLOT3:
		call_len(c, S_NEXT);
		return 0;
	case S_SLOT2:
		call_len(c, S_SLOT3);
		return 0;
	}
	return FAIL(c, "internal error: state %d", c->state);
}

/* Lengths and strings: the subroutines call_len and call_str start. */
static int
step_string(struct rdb_check *c)
{
	unsigned char *s = c->scratch;
	int t;

	switch (c->state) {
	case S_LEN0:
		t = (s[0] & 0xc0) >> 6;
		c->enc = t == 3;
		c->len = s[0] & 0x3f;
		if (t == 0 || t == 3)
			go(c, c->ret_len);
		else if (t == 1)
			need(c, S_LEN1, 1);
		else if (s[0] == 0x80)
			need(c, S_LEN1, 4);
		else if (s[0] == 0x81)
			need(c, S_LEN1, 8);
		else
			return FAIL(c, "bad length encoding 0x%02x at offset %llu",
			    s[0], OFF(c) - 1);
		return 0;
	case S_LEN1:
		if (c->need == 1)
			c->len = (c->len << 8) | s[0];
		else
			c->len = be(s, c->need);
		go(c, c->ret_len);
		return 0;
	case S_STR0:
		if (!c->enc) {
			c->skip = c->len;
			go(c, c->ret_str);
			return 0;
		}
		switch (c->len) {
		case 0: need(c, c->ret_str, 1); return 0;	/* int8 */
		case 1: need(c, c->ret_str, 2); return 0;	/* int16 */
		case 2: need(c, c->ret_str, 4); return 0;	/* int32 */
		case 3: call_len(c, S_STR_LZF1); return 0;	/* LZF */
		}
		return FAIL(c, "bad string encoding %llu at offset %llu",
		    (unsigned long long)c->len, OFF(c) - 1);
	case S_STR_LZF1:
		c->clen = c->len;
		call_len(c, S_STR_LZF2);
		return 0;
	case S_STR_LZF2:
		if (c->clen == 0 || c->len == 0)
			return FAIL(c, "bad compressed string at offset %llu",
			    OFF(c));
		c->skip = c->clen;
		go(c, c->ret_str);
		return 0;
	}
	return FAIL(c, "internal error: state %d", c->state);
}

/* Module values and module aux data: an id, then typed opcodes. */
static int
step_module(struct rdb_check *c)
{
	switch (c->state) {
	case S_MAUX1:
		call_len(c, S_MAUX2);	/* when_opcode */
		return 0;
	case S_MAUX2:
		c->n[1] = 0;
		call_len(c, S_MOP);	/* when, then the opcodes */
		return 0;
	case S_MOP:
		/* The first length is the module id (a value) or "when" (aux
		 * data); typed opcodes follow until their EOF, 0. */
		if (c->n[1] == 0) {
			c->n[1] = 1;
			call_len(c, S_MOP);
			return 0;
		}
		switch (c->len) {
		case 0: go(c, S_NEXT); return 0;
		case 1: case 2: call_len(c, S_MOP_ARG); return 0;
		case 3: need(c, S_MOP_ARG, 4); return 0;
		case 4: need(c, S_MOP_ARG, 8); return 0;
		case 5: call_str(c, S_MOP_ARG); return 0;
		}
		return FAIL(c, "bad module opcode %llu at offset %llu",
		    (unsigned long long)c->len, OFF(c));
	case S_MOP_ARG:
		call_len(c, S_MOP);
		return 0;
	}
	return FAIL(c, "internal error: state %d", c->state);
}

/* A key's value: the encodings that are one string, and the counted
 * runs of strings (lists, sets, hashes, sorted sets, quicklists). */
static int
step_container(struct rdb_check *c)
{
	unsigned char *s = c->scratch;

	switch (c->state) {
	case S_KEY_DONE:
		return value_begin(c);
	case S_SEQ:
		c->n[0] = c->len;
		if (c->type == T_HASH) {
			if (c->len > UINT64_MAX / 2)
				return FAIL(c, "bad element count at offset %llu",
				    OFF(c));
			c->n[0] *= 2;
		}
		go(c, S_SEQ_ITEM);
		return 0;
	case S_SEQ_ITEM:
		if (c->n[0] == 0) {
			go(c, S_NEXT);
			return 0;
		}
		c->n[0]--;
		if (c->type == T_ZSET || c->type == T_ZSET_2)
			call_str(c, S_ZSET_SCORE);
		else if (c->type == T_LIST_QUICKLIST_2)
			call_len(c, S_QL2_ITEM);	/* container kind */
		else
			call_str(c, S_SEQ_ITEM);
		return 0;
	case S_QL2_ITEM:
		call_str(c, S_SEQ_ITEM);
		return 0;
	case S_ZSET_SCORE:
		if (c->type == T_ZSET_2)
			need(c, S_SEQ_ITEM, 8);	/* binary double */
		else
			need(c, S_ZSET_SCORE_SKIP, 1);
		return 0;
	case S_ZSET_SCORE_SKIP:
		if (s[0] < 253)	/* 253..255 stand for nan, +inf, -inf */
			c->skip = s[0];
		go(c, S_SEQ_ITEM);
		return 0;
	}
	return FAIL(c, "internal error: state %d", c->state);
}

/* One step of the machine, with c->need bytes in scratch: the state's
 * family runs it. */
static int
step(struct rdb_check *c)
{
	switch (c->state) {
	case S_MAGIC: case S_NEXT: case S_SKIPPED: case S_OPCODE: case S_CRC:
	case S_AUX2: case S_RESIZE2: case S_SLOT2: case S_SLOT3:
		return step_header(c);
	case S_LEN0: case S_LEN1: case S_STR0: case S_STR_LZF1:
	case S_STR_LZF2:
		return step_string(c);
	case S_MAUX1: case S_MAUX2: case S_MOP: case S_MOP_ARG:
		return step_module(c);
	case S_KEY_DONE: case S_SEQ: case S_SEQ_ITEM: case S_QL2_ITEM:
	case S_ZSET_SCORE: case S_ZSET_SCORE_SKIP:
		return step_container(c);
	case S_HFE_MIN: case S_HFE_N: case S_HFE_ITEM: case S_HFE_TTL:
	case S_HFE_FIELD:
		return step_hfe(c);
	case S_ST_LP: case S_ST_LP_ITEM: case S_ST_LP_VAL: case S_ST_META:
	case S_ST_CG: case S_ST_CG_ITEM: case S_ST_CG_ID: case S_ST_CG_IDLEN:
	case S_ST_PEL: case S_ST_PEL_ITEM: case S_ST_PEL_TIME: case S_ST_CONS:
	case S_ST_CONS_ITEM: case S_ST_CONS_NAME: case S_ST_CONS_TIME:
	case S_ST_CPEL: case S_ST_CPEL_ITEM:
		return step_stream(c);
	}
	return FAIL(c, "internal error: state %d", c->state);
}

void
rdb_check_init(struct rdb_check *c, int aof_tail)
{
	memset(c, 0, sizeof(*c));
	c->aof_tail = aof_tail;
	need(c, S_MAGIC, 9);
}

/*
 * After an RDB preamble, an AOF holds RESP commands: "*<n>\r\n" then n
 * times "$<len>\r\n<bytes>\r\n", and "#" annotation lines.  Only the
 * framing is checked, which is what tells a truncated file.
 */
/* Reads the count of a "*<n>\r\n" or "$<len>\r\n" line (s after the
 * sigil): decimal digits only, up to INT64_MAX as Redis's long long, then
 * CRLF; returns 0, or -1 for a sign, a blank, an overflow, anything else. */
static int
aof_count(const unsigned char *s, uint64_t *out)
{
	uint64_t v = 0;
	const unsigned char *d = s;

	for (; *d >= '0' && *d <= '9'; d++) {
		if (v > (INT64_MAX - (uint64_t)(*d - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*d - '0');
	}
	if (d == s || d[0] != '\r' || d[1] != '\n' || d[2] != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
aof_feed(struct rdb_check *c, const unsigned char *p, size_t len)
{
	uint64_t v;

	while (len > 0) {
		if (c->skip > 0) {
			size_t take = c->skip < len ? (size_t)c->skip : len;

			c->skip -= take;
			c->off += take;
			p += take;
			len -= take;
			continue;
		}
		if (c->have >= sizeof(c->scratch) - 1)
			return FAIL(c, "AOF line too long at offset %llu", OFF(c));
		c->scratch[c->have++] = *p++;
		c->off++;
		len--;
		if (c->scratch[c->have - 1] != '\n')
			continue;
		c->scratch[c->have] = '\0';
		c->have = 0;
		if (c->n[0] == 0 && c->scratch[0] == '#')
			continue;
		if (aof_count(c->scratch + 1, &v) < 0)
			return FAIL(c, "bad AOF framing at offset %llu", OFF(c));
		if (c->n[0] == 0) {
			if (c->scratch[0] != '*' || v == 0)
				return FAIL(c, "bad AOF command at offset %llu",
				    OFF(c));
			c->n[0] = v;
		} else {
			if (c->scratch[0] != '$')
				return FAIL(c, "bad AOF argument at offset %llu",
				    OFF(c));
			c->n[0]--;
			c->skip = v + 2;	/* the bytes and their CRLF */
		}
	}
	return 0;
}

int
rdb_check_feed(struct rdb_check *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t take;

	if (c->failed)
		return -1;
	if (c->in_aof)
		return aof_feed(c, p, len);
	for (;;) {
		if (c->crc_only) {
			crc_only_feed(c, p, len);
			return 0;
		}
		if (c->passthru) {
			c->off += len;
			return 0;
		}
		if (c->state == S_DONE) {
			if (len == 0)
				return 0;
			if (c->aof_tail && p[0] == '*') {
				c->in_aof = 1;
				c->n[0] = 0;
				c->have = 0;
				return aof_feed(c, p, len);
			}
			return FAIL(c, "data after the end of the RDB at offset %llu",
			    OFF(c));
		}
		if (c->skip > 0) {
			if (len == 0)
				return 0;
			take = c->skip < len ? (size_t)c->skip : len;
			c->crc = rdb_crc64(c->crc, p, take);
			c->skip -= take;
			c->off += take;
			p += take;
			len -= take;
			continue;
		}
		if (c->have < c->need) {
			if (len == 0)
				return 0;
			take = c->need - c->have;
			if (take > len)
				take = len;
			memcpy(c->scratch + c->have, p, take);
			if (c->state != S_CRC)
				c->crc = rdb_crc64(c->crc, p, take);
			c->have += (unsigned)take;
			c->off += take;
			p += take;
			len -= take;
			if (c->have < c->need)
				return 0;
		}
		if (step(c) < 0)
			return -1;
	}
}

int
rdb_check_end(struct rdb_check *c)
{
	if (c->failed)
		return -1;
	if (c->crc_only)
		return crc_only_end(c);
	if (c->passthru)
		return 0;
	if (c->in_aof) {
		if (c->n[0] != 0 || c->skip != 0 || c->have != 0)
			return FAIL(c, "truncated AOF at offset %llu", OFF(c));
		return 0;
	}
	if (c->state == S_DONE)
		return 0;
	if (c->off == 0)
		return FAIL(c, "empty input: not an RDB file");
	if (c->state == S_MAGIC)
		return FAIL(c, "not an RDB file: too short");
	return FAIL(c, "truncated RDB: ends at offset %llu before the EOF marker%s",
	    OFF(c), c->state == S_CRC ? "'s CRC64" : "");
}

const char *
rdb_check_warning(const struct rdb_check *c)
{
	return (c->crc_only || c->passthru) && !c->failed ? c->warn : NULL;
}

void
rdb_warning_copy(const struct rdb_check *c, char *buf, size_t len)
{
	const char *w = rdb_check_warning(c);

	snprintf(buf, len, "%s", w != NULL ? w : "");
}
