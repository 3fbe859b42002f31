/*
 * RDB framing and CRC64, checked while the bytes stream past.
 *
 * The checker is a push parser: feed it the file in pieces of any size and
 * it walks the structure (opcodes, keys, values, length and string
 * encodings) without holding more than a few bytes, counts the keys, and at
 * the EOF opcode compares the stored CRC-64-Jones with the one computed
 * over everything before it.  A stored CRC of 0 means the server had
 * rdbchecksum off; versions 1 to 4 carry none.  It does not look inside
 * ziplists or listpacks: that is redis-check-rdb's job.
 */
#ifndef RDBPIPE_RDB_H
#define RDBPIPE_RDB_H

#include <stddef.h>
#include <stdint.h>

#include "errstr.h"

#define RDB_VERSION_MAX 12	/* the newest Redis format this parser walks */
#define RDB_VALKEY_MIN	80	/* Valkey's own numbers ("VALKEY080") */
#define RDB_VALKEY_MAX	80

/* CRC-64-Jones as Redis computes it (reflected, no final xor); crc is the
 * running value, 0 to start.  crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca */
uint64_t rdb_crc64(uint64_t crc, const void *buf, size_t len);

/* Returns 1 when buf starts like an RDB file: "REDIS" and four digits, or
 * "VALKEY" and three, or Valkey's "VCS" envelope around one. */
int rdb_sniff(const void *buf, size_t len);

struct rdb_check {
	int		 state;
	int		 ret_len;	/* state after a length is read */
	int		 ret_str;	/* state after a string is skipped */
	int		 version;
	int		 failed;
	int		 done;		/* the EOF opcode (and CRC) seen */
	int		 aof_tail;	/* allow an AOF after the RDB preamble */
	int		 in_aof;
	int		 crc_stored_zero;
	int		 valkey;	/* a VALKEY header */
	int		 crc_only;	/* unknown layout: the trailer only */
	int		 passthru;	/* a format not known at all (VCS) */
	unsigned char	 tail[8];	/* crc_only: the last bytes seen */
	unsigned	 ntail;
	unsigned char	 last;		/* crc_only: the last byte summed */
	char		 warn[ERRSTR_LEN];
	uint64_t	 off;		/* bytes consumed */
	uint64_t	 crc;
	uint64_t	 skip;		/* payload bytes still to pass over */
	unsigned	 need, have;
	unsigned char	 scratch[40];
	uint64_t	 len;		/* the last length read */
	uint64_t	 clen;		/* an LZF string's compressed length */
	int		 enc;		/* it was an encoding, not a length */
	int		 type;		/* value type being walked */
	uint64_t	 n[4];		/* nested loop counters */
	uint64_t	 keys;		/* keys in the file */
	char		 errstr[ERRSTR_LEN];
};

/* Prepares a checker; aof_tail allows AOF commands after the RDB part, as
 * an AOF file with an RDB preamble has. */
void rdb_check_init(struct rdb_check *c, int aof_tail);

/* Walks len more bytes; returns 0, or -1 with c->errstr naming the problem
 * and its offset.  Once failed it stays failed. */
int rdb_check_feed(struct rdb_check *c, const void *buf, size_t len);

/* What could not be checked, once rdb_check_end succeeded: NULL when the
 * whole structure was walked, else one sentence for a warning (a newer
 * version or an unknown type, so only the CRC-64 trailer was checked). */
const char *rdb_check_warning(const struct rdb_check *c);

/* Copies the warning into buf ("" when there is none). */
void rdb_warning_copy(const struct rdb_check *c, char *buf, size_t len);

/* Declares the end of the input; returns 0 when the file was complete, or
 * -1 when it was truncated (or had already failed). */
int rdb_check_end(struct rdb_check *c);

#endif
