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

#define RDB_VERSION_MAX 12	/* the newest format this parser walks */

/* CRC-64-Jones as Redis computes it (reflected, no final xor); crc is the
 * running value, 0 to start.  crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca */
uint64_t rdb_crc64(uint64_t crc, const void *buf, size_t len);

/* Returns 1 when buf starts like an RDB file: "REDIS" and four digits. */
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

/* Declares the end of the input; returns 0 when the file was complete, or
 * -1 when it was truncated (or had already failed). */
int rdb_check_end(struct rdb_check *c);

#endif
