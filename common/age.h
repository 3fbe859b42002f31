/*
 * The age v1 file format (c2sp.org/age) on libsodium 1.0.18: X25519
 * recipients and scrypt passphrases, the header and its HMAC, and the
 * STREAM payload (64 KiB chunks, ChaCha20-Poly1305, 11-byte big-endian
 * counter and a last-chunk flag).  Both directions are push filters: bytes
 * go in with *_write, what comes out goes to an io_sink_fn, and *_finish
 * ends the stream.  Keys live in sodium_malloc memory and are wiped by
 * *_free.  ASCII armor and post-quantum (hybrid) keys are refused as
 * unsupported.
 */
#ifndef RDBPIPE_AGE_H
#define RDBPIPE_AGE_H

#include <stddef.h>

#include "errstr.h"
#include "io.h"

#define AGE_MAGIC		"age-encryption.org/v1\n"
#define AGE_CHUNK		(64 * 1024)
#define AGE_SCRYPT_LOG_N	18	/* what age itself uses to encrypt */
#define AGE_RECIPIENT_LEN	62	/* "age1" + 58 Bech32 chars */
#define AGE_IDENTITY_LEN	74	/* "AGE-SECRET-KEY-1" + 58 */

/* Why decryption failed, so callers and the testkit can tell apart. */
enum age_fail {
	AGE_OK = 0,
	AGE_FAIL_HEADER,	/* malformed or non-canonical header */
	AGE_FAIL_NO_MATCH,	/* no identity or passphrase opened it */
	AGE_FAIL_HMAC,		/* header MAC mismatch */
	AGE_FAIL_PAYLOAD,	/* bad chunk, truncation, trailing data */
	AGE_FAIL_UNSUPPORTED,	/* armor, post-quantum keys */
	AGE_FAIL_OUTPUT,	/* the sink failed */
	AGE_FAIL_USAGE		/* bad recipient/identity text, misuse */
};

struct age_enc;
struct age_dec;

/* Generates an X25519 identity; fills identity (AGE_IDENTITY_LEN + 1
 * bytes, sodium_malloc'd by the caller) and recipient (AGE_RECIPIENT_LEN +
 * 1); returns 0 or -1. */
int age_keygen(char *identity, char *recipient, char *errstr);

/* Computes the recipient of an identity ("AGE-SECRET-KEY-1..."); returns 0
 * or -1. */
int age_identity_recipient(const char *identity, char *recipient,
    char *errstr);

/* Finds the first identity in identity-file text (comments and blank lines
 * allowed) and writes its recipient; returns 0 or -1. */
int age_identity_file_recipient(const char *text, size_t len,
    char *recipient, char *errstr);

/* A new encryptor that writes to sink; NULL on failure. */
struct age_enc *age_enc_new(io_sink_fn sink, void *sink_arg, char *errstr);

/* Adds one X25519 recipient ("age1..."); returns 0 or -1. */
int age_enc_add_recipient(struct age_enc *e, const char *recipient,
    char *errstr);

/* Adds every recipient of a recipients file's text: one a line, "#"
 * comments and blank lines allowed; returns the count added, or -1. */
int age_enc_add_recipients_text(struct age_enc *e, const char *text,
    size_t len, char *errstr);

/* Encrypts to a passphrase with scrypt work factor 2^log_n instead of
 * recipients (age allows no other stanza beside scrypt); returns 0 or -1. */
int age_enc_set_passphrase(struct age_enc *e, const char *pass, size_t len,
    int log_n, char *errstr);

/* Encrypts len bytes; the header goes out with the first call.  A full
 * chunk is held back until more data shows it is not the last; returns 0
 * or -1. */
int age_enc_write(struct age_enc *e, const void *buf, size_t len,
    char *errstr);

/* Writes the final chunk (a full one for an exact multiple of 64 KiB, an
 * empty one for empty input); returns 0 or -1.  A caller that does not
 * call it leaves a file that can never decrypt as complete. */
int age_enc_finish(struct age_enc *e, char *errstr);

/* Wipes and frees. */
void age_enc_free(struct age_enc *e);

/* A new decryptor releasing plaintext to sink; NULL on failure. */
struct age_dec *age_dec_new(io_sink_fn sink, void *sink_arg, char *errstr);

/* Adds the identities of an identity file's text (AGE-SECRET-KEY-1 lines,
 * "#" comments, blank lines); returns the count added, or -1. */
int age_dec_add_identities_text(struct age_dec *d, const char *text,
    size_t len, char *errstr);

/* Adds a passphrase for scrypt stanzas; returns 0 or -1. */
int age_dec_set_passphrase(struct age_dec *d, const char *pass, size_t len,
    char *errstr);

/* Sets the largest scrypt work factor accepted (default 22, as age). */
void age_dec_set_max_log_n(struct age_dec *d, int log_n);

/* Decrypts len more bytes of the file: the header is parsed as it
 * arrives, then each chunk is authenticated before its plaintext reaches
 * the sink (a full chunk as soon as it is complete: the last-chunk flag is
 * part of its nonce, so it authenticates as one or the other); returns 0
 * or -1. */
int age_dec_write(struct age_dec *d, const void *buf, size_t len,
    char *errstr);

/* Declares the end of the file: the held chunk must be a valid last
 * chunk; returns 0 or -1. */
int age_dec_finish(struct age_dec *d, char *errstr);

/* Why the last call failed (AGE_OK if it did not). */
enum age_fail age_dec_failure(const struct age_dec *d);

/* Wipes and frees. */
void age_dec_free(struct age_dec *d);

/* Returns 1 when buf starts with the whole age v1 magic line, else 0. */
int age_sniff(const void *buf, size_t len);

#endif
