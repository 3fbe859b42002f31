/*
 * MD5 (RFC 1321), streaming: Swift's ETag is the MD5 of an object's bytes
 * (of a segment's bytes for large objects), and libsodium has none.  It is a
 * transfer check against corruption, not a security measure.
 */
#ifndef RDBPIPE_MD5_H
#define RDBPIPE_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_LEN		16
#define MD5_HEX_LEN	32

struct md5 {
	uint32_t	 h[4];
	uint64_t	 len;		/* bytes so far */
	unsigned char	 buf[64];
};

/* Starts a digest. */
void md5_init(struct md5 *m);

/* Adds len bytes. */
void md5_update(struct md5 *m, const void *data, size_t len);

/* Finishes into out (MD5_LEN bytes); the struct must be re-initialised to
 * be used again. */
void md5_final(struct md5 *m, unsigned char out[MD5_LEN]);

/* Finishes into hex (MD5_HEX_LEN + 1 bytes, lower case, NUL-terminated). */
void md5_final_hex(struct md5 *m, char hex[MD5_HEX_LEN + 1]);

#endif
