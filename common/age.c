#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "age.h"
#include "bech32.h"

#define FILE_KEY_LEN	16
#define KEY_LEN		32
#define TAG_LEN		crypto_aead_chacha20poly1305_IETF_ABYTES
#define NONCE_LEN	16	/* the payload nonce after the header */
#define HEADER_MAX	(1 << 20)	/* more is not a file we wrote */
#define MAX_STANZAS	256
#define X25519_LABEL	"age-encryption.org/v1/X25519"
#define SCRYPT_LABEL	"age-encryption.org/v1/scrypt"
#define RECIPIENT_HRP	"age"
#define IDENTITY_HRP	"age-secret-key-"
#define PQ_IDENTITY	"AGE-SECRET-KEY-PQ-1"
#define ARMOR_BEGIN	"-----"	/* age files never start so */

/*
 * HKDF-SHA-256 (RFC 5869) on libsodium 1.0.18's HMAC, which has no HKDF of
 * its own.  Every age key is at most one SHA-256 block, so the expansion
 * is the single block T(1).
 */
static void
hkdf(uint8_t out[KEY_LEN], const uint8_t *salt, size_t saltlen,
    const uint8_t *ikm, size_t ikmlen, const char *info)
{
	crypto_auth_hmacsha256_state st;
	uint8_t prk[KEY_LEN], one = 1, none = 0;

	/* libsodium declares the key non-null even when it is empty. */
	crypto_auth_hmacsha256_init(&st, salt != NULL ? salt : &none, saltlen);
	crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, strlen(info));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(&st, sizeof(st));
}

/* Base64 without padding, canonical: the decoding must encode back to the
 * same text (no stray low bits), as the spec requires.  Returns the
 * decoded length or -1. */
static long
b64_decode(uint8_t *out, size_t cap, const char *s, size_t n)
{
	char *back;
	size_t got, need;
	int ok;

	if (n == 0)
		return 0;
	if (sodium_base642bin(out, cap, s, n, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
		return -1;
	need = sodium_base64_encoded_len(got,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	back = malloc(need);
	if (back == NULL)
		return -1;
	sodium_bin2base64(back, need, out, got,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	ok = strlen(back) == n && memcmp(back, s, n) == 0;
	free(back);
	return ok ? (long)got : -1;
}

/* Appends base64 of data to buf at *o, wrapped at 64 columns, each line
 * ending "\n"; a multiple of 64 gets an empty final line. */
static size_t
b64_body(char *buf, const uint8_t *data, size_t len)
{
	char tmp[1024];
	size_t n, o = 0, i;

	sodium_bin2base64(tmp, sizeof(tmp), data, len,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	n = strlen(tmp);
	for (i = 0; i < n; i += 64) {
		size_t l = n - i < 64 ? n - i : 64;

		memcpy(buf + o, tmp + i, l);
		o += l;
		buf[o++] = '\n';
	}
	if (n % 64 == 0)
		buf[o++] = '\n';
	return o;
}

static void
nonce_of(uint8_t nonce[12], uint64_t counter, int last)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 10; i >= 3; i--) {
		nonce[i] = (uint8_t)counter;
		counter >>= 8;
	}
	nonce[11] = last ? 1 : 0;
}

/* ---- keys ---- */

/*
 * Key files are secret and a recipient file may be a mix-up for one (an
 * identity, a passphrase): no message below ever quotes a key file's line.
 * Mix-ups of the two kinds of key get their own message.
 */
static int
is_identity(const char *s)
{
	return strncasecmp(s, "AGE-SECRET-KEY-", 15) == 0;
}

static int
parse_identity(const char *s, uint8_t scalar[KEY_LEN], char *errstr)
{
	char hrp[32];
	uint8_t data[64];
	size_t len = sizeof(data);

	if (strncmp(s, PQ_IDENTITY, strlen(PQ_IDENTITY)) == 0)
		return errstr_set(errstr,
		    "post-quantum identities are not supported");
	if (strncmp(s, "age1", 4) == 0)
		return errstr_set(errstr,
		    "this is a recipient (public key), not an identity");
	if (bech32_decode(s, hrp, sizeof(hrp), data, &len) < 0 ||
	    strcmp(hrp, IDENTITY_HRP) != 0 || len != KEY_LEN ||
	    strncmp(s, "AGE-SECRET-KEY-1", 16) != 0) {
		sodium_memzero(data, sizeof(data));
		return errstr_set(errstr, "malformed identity");
	}
	memcpy(scalar, data, KEY_LEN);
	sodium_memzero(data, sizeof(data));
	return 0;
}

/* quote: s came from the command line and may appear in the message. */
static int
parse_recipient(const char *s, uint8_t pub[KEY_LEN], int quote, char *errstr)
{
	char hrp[32];
	size_t len = KEY_LEN;

	if (is_identity(s))
		return errstr_set(errstr,
		    "this is an identity (secret key), not a recipient");
	if (strncmp(s, "age1", 4) != 0 ||
	    bech32_decode(s, hrp, sizeof(hrp), pub, &len) < 0 ||
	    strcmp(hrp, RECIPIENT_HRP) != 0 || len != KEY_LEN) {
		if (quote)
			return errstr_set(errstr, "bad recipient '%.80s'", s);
		return errstr_set(errstr,
		    "bad recipient (an age1... public key expected)");
	}
	return 0;
}

static int
recipient_string(const uint8_t pub[KEY_LEN], char *out)
{
	return bech32_encode(out, AGE_RECIPIENT_LEN + 1, RECIPIENT_HRP, pub,
	    KEY_LEN, 0);
}

int
age_keygen(char *identity, char *recipient, char *errstr)
{
	uint8_t sk[KEY_LEN], pk[KEY_LEN];

	randombytes_buf(sk, sizeof(sk));
	crypto_scalarmult_base(pk, sk);
	if (bech32_encode(identity, AGE_IDENTITY_LEN + 1, IDENTITY_HRP, sk,
	    KEY_LEN, 1) < 0 || recipient_string(pk, recipient) < 0) {
		sodium_memzero(sk, sizeof(sk));
		return errstr_set(errstr, "internal: key encoding");
	}
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

int
age_identity_recipient(const char *identity, char *recipient, char *errstr)
{
	uint8_t sk[KEY_LEN], pk[KEY_LEN];

	if (parse_identity(identity, sk, errstr) < 0)
		return -1;
	crypto_scalarmult_base(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	if (recipient_string(pk, recipient) < 0)
		return errstr_set(errstr, "internal: key encoding");
	return 0;
}

/*
 * Walks the lines of a key file: "#" comments and blank lines skipped,
 * surrounding blanks trimmed.  Calls fn on each line (NUL-terminated in a
 * sodium_malloc copy, since identity files are secret); returns the count
 * of lines, or -1 as fn does.
 */
static int
key_lines(const char *text, size_t len,
    int (*fn)(void *, const char *, int, char *), void *arg, char *errstr)
{
	char *line;
	size_t i = 0, s, e;
	int n = 0, lineno = 0;

	line = sodium_malloc(len + 1);
	if (line == NULL)
		return errstr_set(errstr, "secure memory");
	while (i < len) {
		s = i;
		while (i < len && text[i] != '\n')
			i++;
		e = i++;
		lineno++;
		while (s < e && isspace((unsigned char)text[s]))
			s++;
		while (e > s && isspace((unsigned char)text[e - 1]))
			e--;
		if (s == e || text[s] == '#')
			continue;
		memcpy(line, text + s, e - s);
		line[e - s] = '\0';
		if (fn(arg, line, lineno, errstr) < 0) {
			sodium_free(line);
			return -1;
		}
		n++;
	}
	sodium_free(line);
	return n;
}

struct first_recipient {
	char	*out;
	int	 done;
};

static int
first_recipient_fn(void *arg, const char *line, int lineno, char *errstr)
{
	struct first_recipient *f = arg;

	if (f->done)
		return 0;
	if (age_identity_recipient(line, f->out, errstr) < 0) {
		char why[ERRSTR_LEN];

		snprintf(why, sizeof(why), "%s", errstr);
		return errstr_set(errstr, "line %d: %s", lineno, why);
	}
	f->done = 1;
	return 0;
}

int
age_identity_file_recipient(const char *text, size_t len, char *recipient,
    char *errstr)
{
	struct first_recipient f = { recipient, 0 };

	if (key_lines(text, len, first_recipient_fn, &f, errstr) < 0)
		return -1;
	if (!f.done)
		return errstr_set(errstr, "no identity found");
	return 0;
}

/* ---- encryption ---- */

struct age_enc {
	io_sink_fn	 sink;
	void		*sink_arg;
	uint8_t		(*recipients)[KEY_LEN];
	int		 nrecipients;
	char		*pass;		/* sodium_malloc */
	size_t		 passlen;
	int		 log_n;
	int		 started;
	uint8_t		*keys;		/* sodium_malloc: file key, payload key */
	uint8_t		*plain;		/* sodium_malloc: one chunk */
	size_t		 n;
	uint64_t	 counter;
	uint8_t		 out[AGE_CHUNK + TAG_LEN];
};

struct age_enc *
age_enc_new(io_sink_fn sink, void *sink_arg, char *errstr)
{
	struct age_enc *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		errstr_sys(errstr, "age");
		return NULL;
	}
	e->sink = sink;
	e->sink_arg = sink_arg;
	e->keys = sodium_malloc(FILE_KEY_LEN + KEY_LEN);
	e->plain = sodium_malloc(AGE_CHUNK);
	if (e->keys == NULL || e->plain == NULL) {
		errstr_set(errstr, "secure memory");
		age_enc_free(e);
		return NULL;
	}
	return e;
}

static int
add_recipient(struct age_enc *e, const char *recipient, int quote,
    char *errstr)
{
	uint8_t pub[KEY_LEN];
	void *p;

	if (e->pass != NULL)
		return errstr_set(errstr,
		    "a passphrase cannot be combined with recipients");
	if (parse_recipient(recipient, pub, quote, errstr) < 0)
		return -1;
	if (e->nrecipients == MAX_STANZAS)
		return errstr_set(errstr, "too many recipients");
	p = realloc(e->recipients, (size_t)(e->nrecipients + 1) * KEY_LEN);
	if (p == NULL)
		return errstr_sys(errstr, "age");
	e->recipients = p;
	memcpy(e->recipients[e->nrecipients++], pub, KEY_LEN);
	return 0;
}

int
age_enc_add_recipient(struct age_enc *e, const char *recipient, char *errstr)
{
	return add_recipient(e, recipient, 1, errstr);
}

static int
add_recipient_fn(void *arg, const char *line, int lineno, char *errstr)
{
	char why[ERRSTR_LEN];

	if (add_recipient(arg, line, 0, errstr) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", errstr);
	return errstr_set(errstr, "line %d: %s", lineno, why);
}

int
age_enc_add_recipients_text(struct age_enc *e, const char *text, size_t len,
    char *errstr)
{
	int n = key_lines(text, len, add_recipient_fn, e, errstr);

	if (n == 0)
		return errstr_set(errstr, "no recipient found");
	return n;
}

int
age_enc_set_passphrase(struct age_enc *e, const char *pass, size_t len,
    int log_n, char *errstr)
{
	if (e->nrecipients > 0)
		return errstr_set(errstr,
		    "a passphrase cannot be combined with recipients");
	if (log_n < 1 || log_n > 30)
		return errstr_set(errstr, "bad scrypt work factor %d", log_n);
	if (e->pass != NULL)
		sodium_free(e->pass);
	e->pass = sodium_malloc(len + 1);
	if (e->pass == NULL)
		return errstr_set(errstr, "secure memory");
	memcpy(e->pass, pass, len);
	e->passlen = len;
	e->log_n = log_n;
	return 0;
}

/* Wraps the file key for one recipient: "-> X25519 share\nbody\n". */
static size_t
x25519_stanza(char *buf, const uint8_t *file_key, const uint8_t pub[KEY_LEN])
{
	uint8_t eph[KEY_LEN], share[KEY_LEN], shared[KEY_LEN], salt[64];
	uint8_t wrap[KEY_LEN], body[FILE_KEY_LEN + TAG_LEN], zero[12] = { 0 };
	size_t o;
	int rc;

	randombytes_buf(eph, sizeof(eph));
	crypto_scalarmult_base(share, eph);
	/* -1 when the recipient is a low-order point (an all-zero secret):
	 * such a "recipient" would let anyone decrypt. */
	rc = crypto_scalarmult(shared, eph, pub);
	memcpy(salt, share, KEY_LEN);
	memcpy(salt + KEY_LEN, pub, KEY_LEN);
	hkdf(wrap, salt, sizeof(salt), shared, sizeof(shared), X25519_LABEL);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key,
	    FILE_KEY_LEN, NULL, 0, NULL, zero, wrap);
	memcpy(buf, "-> X25519 ", 10);
	o = 10;
	sodium_bin2base64(buf + o, 64, share, KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	o += strlen(buf + o);
	buf[o++] = '\n';
	o += b64_body(buf + o, body, sizeof(body));
	sodium_memzero(eph, sizeof(eph));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap, sizeof(wrap));
	return rc == 0 ? o : 0;
}

static size_t
scrypt_stanza(struct age_enc *e, char *buf, const uint8_t *file_key,
    char *errstr)
{
	uint8_t salt[16], label[sizeof(SCRYPT_LABEL) - 1 + 16], zero[12] = { 0 };
	uint8_t *key, body[FILE_KEY_LEN + TAG_LEN];
	size_t o;

	key = sodium_malloc(KEY_LEN);
	if (key == NULL) {
		errstr_set(errstr, "secure memory");
		return 0;
	}
	randombytes_buf(salt, sizeof(salt));
	memcpy(label, SCRYPT_LABEL, sizeof(SCRYPT_LABEL) - 1);
	memcpy(label + sizeof(SCRYPT_LABEL) - 1, salt, sizeof(salt));
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)e->pass,
	    e->passlen, label, sizeof(label), 1ULL << e->log_n, 8, 1, key,
	    KEY_LEN) != 0) {
		sodium_free(key);
		errstr_set(errstr, "scrypt: out of memory");
		return 0;
	}
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key,
	    FILE_KEY_LEN, NULL, 0, NULL, zero, key);
	sodium_free(key);
	memcpy(buf, "-> scrypt ", 10);
	o = 10;
	sodium_bin2base64(buf + o, 64, salt, sizeof(salt),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	o += strlen(buf + o);
	o += (size_t)sprintf(buf + o, " %d\n", e->log_n);
	o += b64_body(buf + o, body, sizeof(body));
	return o;
}

/* Writes the header and the payload nonce, and derives the payload key. */
static int
enc_start(struct age_enc *e, char *errstr)
{
	uint8_t *file_key = e->keys, *payload_key = e->keys + FILE_KEY_LEN;
	uint8_t mackey[KEY_LEN], mac[KEY_LEN], nonce[NONCE_LEN];
	size_t cap, o, s;
	char *h;
	int i, rc;

	if (e->nrecipients == 0 && e->pass == NULL)
		return errstr_set(errstr, "no recipient or passphrase");
	e->started = 1;
	randombytes_buf(file_key, FILE_KEY_LEN);
	cap = 64 + (size_t)(e->nrecipients + 1) * 256;
	h = malloc(cap);
	if (h == NULL)
		return errstr_sys(errstr, "age");
	o = sizeof(AGE_MAGIC) - 1;
	memcpy(h, AGE_MAGIC, o);
	if (e->pass != NULL) {
		s = scrypt_stanza(e, h + o, file_key, errstr);
		if (s == 0) {
			free(h);
			return -1;
		}
		o += s;
	}
	for (i = 0; i < e->nrecipients; i++) {
		s = x25519_stanza(h + o, file_key, e->recipients[i]);
		if (s == 0) {
			free(h);
			return errstr_set(errstr,
			    "bad recipient: a low-order X25519 point");
		}
		o += s;
	}
	memcpy(h + o, "---", 3);
	o += 3;
	hkdf(mackey, NULL, 0, file_key, FILE_KEY_LEN, "header");
	crypto_auth_hmacsha256(mac, (const uint8_t *)h, o, mackey);
	h[o++] = ' ';
	sodium_bin2base64(h + o, cap - o, mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	o += strlen(h + o);
	h[o++] = '\n';
	randombytes_buf(nonce, sizeof(nonce));
	hkdf(payload_key, nonce, sizeof(nonce), file_key, FILE_KEY_LEN,
	    "payload");
	sodium_memzero(mackey, sizeof(mackey));
	rc = e->sink(e->sink_arg, h, o, errstr);
	free(h);
	if (rc < 0)
		return -1;
	return e->sink(e->sink_arg, nonce, sizeof(nonce), errstr);
}

static int
enc_seal(struct age_enc *e, int last, char *errstr)
{
	uint8_t nonce[12];
	unsigned long long n;

	nonce_of(nonce, e->counter++, last);
	crypto_aead_chacha20poly1305_ietf_encrypt(e->out, &n, e->plain, e->n,
	    NULL, 0, NULL, nonce, e->keys + FILE_KEY_LEN);
	e->n = 0;
	return e->sink(e->sink_arg, e->out, (size_t)n, errstr);
}

int
age_enc_write(struct age_enc *e, const void *buf, size_t len, char *errstr)
{
	const uint8_t *p = buf;
	size_t take;

	if (!e->started && enc_start(e, errstr) < 0)
		return -1;
	while (len > 0) {
		/* A full chunk goes out only now that more data shows it
		 * is not the last. */
		if (e->n == AGE_CHUNK && enc_seal(e, 0, errstr) < 0)
			return -1;
		take = AGE_CHUNK - e->n;
		if (take > len)
			take = len;
		memcpy(e->plain + e->n, p, take);
		e->n += take;
		p += take;
		len -= take;
	}
	return 0;
}

int
age_enc_finish(struct age_enc *e, char *errstr)
{
	if (!e->started && enc_start(e, errstr) < 0)
		return -1;
	return enc_seal(e, 1, errstr);
}

void
age_enc_free(struct age_enc *e)
{
	if (e == NULL)
		return;
	if (e->keys != NULL)
		sodium_free(e->keys);
	if (e->plain != NULL)
		sodium_free(e->plain);
	if (e->pass != NULL)
		sodium_free(e->pass);
	free(e->recipients);
	free(e);
}

/* ---- decryption ---- */

enum { D_HEADER, D_NONCE, D_PAYLOAD, D_DONE, D_FAILED };

struct identity {
	uint8_t	 sk[KEY_LEN];
	uint8_t	 pk[KEY_LEN];
};

struct age_dec {
	io_sink_fn	 sink;
	void		*sink_arg;
	struct identity	*ids;		/* sodium_malloc'd array */
	int		 nids, capids;
	char		*pass;
	size_t		 passlen;
	int		 max_log_n;
	int		 state;
	enum age_fail	 fail;
	char		*hdr;		/* the header as it arrives */
	size_t		 hlen, hcap, hscan;
	int		 notage;
	uint8_t		 nonce[NONCE_LEN];
	size_t		 nn;
	uint8_t		*keys;		/* sodium_malloc: file, payload */
	uint8_t		*plain;		/* sodium_malloc: one chunk */
	uint8_t		 cbuf[AGE_CHUNK + TAG_LEN];
	size_t		 cn;
	uint64_t	 counter;
};

#define DFAIL(d, kind, ...) \
	((d)->fail = (kind), (d)->state = D_FAILED, errstr_set(errstr, __VA_ARGS__))

struct age_dec *
age_dec_new(io_sink_fn sink, void *sink_arg, char *errstr)
{
	struct age_dec *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		errstr_sys(errstr, "age");
		return NULL;
	}
	d->sink = sink;
	d->sink_arg = sink_arg;
	d->max_log_n = 22;
	d->keys = sodium_malloc(FILE_KEY_LEN + KEY_LEN);
	d->plain = sodium_malloc(AGE_CHUNK);
	if (d->keys == NULL || d->plain == NULL) {
		errstr_set(errstr, "secure memory");
		age_dec_free(d);
		return NULL;
	}
	return d;
}

static int
add_identity_fn(void *arg, const char *line, int lineno, char *errstr)
{
	struct age_dec *d = arg;
	struct identity *ids;
	char why[ERRSTR_LEN];

	if (d->nids == d->capids) {
		int cap = d->capids ? d->capids * 2 : 4;

		ids = sodium_malloc((size_t)cap * sizeof(*ids));
		if (ids == NULL)
			return errstr_set(errstr, "secure memory");
		if (d->ids != NULL) {
			memcpy(ids, d->ids, (size_t)d->nids * sizeof(*ids));
			sodium_free(d->ids);
		}
		d->ids = ids;
		d->capids = cap;
	}
	if (parse_identity(line, d->ids[d->nids].sk, errstr) < 0) {
		if (strncmp(line, PQ_IDENTITY, strlen(PQ_IDENTITY)) == 0) {
			d->fail = AGE_FAIL_UNSUPPORTED;
			return -1;
		}
		d->fail = AGE_FAIL_USAGE;
		snprintf(why, sizeof(why), "%s", errstr);
		return errstr_set(errstr, "line %d: %s", lineno, why);
	}
	crypto_scalarmult_base(d->ids[d->nids].pk, d->ids[d->nids].sk);
	d->nids++;
	return 0;
}

int
age_dec_add_identities_text(struct age_dec *d, const char *text, size_t len,
    char *errstr)
{
	int n = key_lines(text, len, add_identity_fn, d, errstr);

	if (n == 0) {
		d->fail = AGE_FAIL_USAGE;
		return errstr_set(errstr, "no identity found");
	}
	return n;
}

int
age_dec_set_passphrase(struct age_dec *d, const char *pass, size_t len,
    char *errstr)
{
	if (d->pass != NULL)
		sodium_free(d->pass);
	d->pass = sodium_malloc(len + 1);
	if (d->pass == NULL)
		return errstr_set(errstr, "secure memory");
	memcpy(d->pass, pass, len);
	d->passlen = len;
	return 0;
}

void
age_dec_set_max_log_n(struct age_dec *d, int log_n)
{
	d->max_log_n = log_n;
}

enum age_fail
age_dec_failure(const struct age_dec *d)
{
	return d->fail;
}

/* A parsed stanza: pointers into the header text. */
struct stanza {
	const char	*type;
	size_t		 typelen;
	const char	*arg[3];
	size_t		 arglen[3];
	int		 nargs;
	uint8_t		 body[64];
	long		 bodylen;	/* -1: longer than any known stanza */
};

static int
vchar_run(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
b64_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '/';
}

/*
 * Parses the header text h (n bytes, through the MAC line's newline) into
 * stanzas and the MAC; returns the offset where the MAC'd text ends (just
 * after "---"), or 0 on a malformed header with errstr set.
 */
static size_t
parse_header(const char *h, size_t n, struct stanza *st, int *nst,
    uint8_t mac[KEY_LEN], char *errstr)
{
	size_t o = sizeof(AGE_MAGIC) - 1, e, l;
	char body[1024];
	size_t blen;

	*nst = 0;
	for (;;) {
		e = o;
		while (e < n && h[e] != '\n')
			e++;
		if (e == n)
			return errstr_set(errstr, "age header: truncated"), 0;
		if (e - o >= 3 && memcmp(h + o, "---", 3) == 0)
			break;
		if (e - o < 3 || memcmp(h + o, "-> ", 3) != 0)
			return errstr_set(errstr, "age header: malformed stanza"), 0;
		if (*nst == MAX_STANZAS)
			return errstr_set(errstr, "age header: too many stanzas"), 0;
		/* "-> type arg...": single spaces, visible characters. */
		{
			struct stanza *s = &st[*nst];
			size_t p = o + 3, q;
			int first = 1;

			memset(s, 0, sizeof(*s));
			while (p <= e) {
				q = p;
				while (q < e && h[q] != ' ')
					q++;
				if (!vchar_run(h + p, q - p))
					return errstr_set(errstr, "age header: malformed stanza arguments"), 0;
				if (first) {
					s->type = h + p;
					s->typelen = q - p;
					first = 0;
				} else if (s->nargs < 3) {
					s->arg[s->nargs] = h + p;
					s->arglen[s->nargs++] = q - p;
				} else {
					s->nargs++;	/* too many for any known type */
				}
				p = q + 1;
			}
		}
		/* The body: full 64-column lines, then one shorter line. */
		o = e + 1;
		blen = 0;
		for (;;) {
			e = o;
			while (e < n && h[e] != '\n')
				e++;
			if (e == n)
				return errstr_set(errstr, "age header: truncated stanza body"), 0;
			l = e - o;
			if (l > 64)
				return errstr_set(errstr, "age header: stanza body line too long"), 0;
			for (size_t i = o; i < e; i++)
				if (!b64_char(h[i]))
					return errstr_set(errstr, "age header: bad character in stanza body"), 0;
			if (blen + l < sizeof(body)) {
				memcpy(body + blen, h + o, l);
			}
			blen += l;
			o = e + 1;
			if (l < 64)
				break;
		}
		if (blen >= sizeof(body)) {
			st[*nst].bodylen = -1;
		} else {
			st[*nst].bodylen = b64_decode(st[*nst].body,
			    sizeof(st[*nst].body), body, blen);
			if (st[*nst].bodylen < 0 && blen * 3 / 4 <= sizeof(st[*nst].body))
				return errstr_set(errstr, "age header: stanza body is not canonical base64"), 0;
		}
		(*nst)++;
	}
	/* "--- " and 43 characters of MAC. */
	if (e - o != 4 + 43 || h[o + 3] != ' ' ||
	    b64_decode(mac, KEY_LEN, h + o + 4, 43) != KEY_LEN)
		return errstr_set(errstr, "age header: malformed MAC line"), 0;
	if (e + 1 != n)
		return errstr_set(errstr, "age header: internal framing"), 0;
	if (*nst == 0)
		return errstr_set(errstr, "age header: no recipient stanza"), 0;
	return o + 3;
}

static int
type_is(const struct stanza *s, const char *t)
{
	return s->typelen == strlen(t) && memcmp(s->type, t, s->typelen) == 0;
}

/* Validates the stanzas we know; 0 or a header failure. */
static int
check_stanzas(struct age_dec *d, struct stanza *st, int nst, char *errstr)
{
	int i, nscrypt = 0;
	long v;

	for (i = 0; i < nst; i++) {
		struct stanza *s = &st[i];
		uint8_t tmp[64];

		if (type_is(s, "X25519")) {
			if (s->nargs != 1 ||
			    b64_decode(tmp, sizeof(tmp), s->arg[0], s->arglen[0]) != KEY_LEN)
				return DFAIL(d, AGE_FAIL_HEADER, "age header: malformed X25519 stanza");
			if (s->bodylen != FILE_KEY_LEN + TAG_LEN)
				return DFAIL(d, AGE_FAIL_HEADER, "age header: X25519 stanza body is not 32 bytes");
		} else if (type_is(s, "scrypt")) {
			nscrypt++;
			if (s->nargs != 2 ||
			    b64_decode(tmp, sizeof(tmp), s->arg[0], s->arglen[0]) != 16)
				return DFAIL(d, AGE_FAIL_HEADER, "age header: malformed scrypt stanza");
			if (s->arglen[1] < 1 || s->arglen[1] > 2 ||
			    s->arg[1][0] < '1' || s->arg[1][0] > '9' ||
			    (s->arglen[1] == 2 && !isdigit((unsigned char)s->arg[1][1])))
				return DFAIL(d, AGE_FAIL_HEADER, "age header: bad scrypt work factor");
			v = strtol(s->arg[1], NULL, 10);
			if (v > d->max_log_n)
				return DFAIL(d, AGE_FAIL_HEADER,
				    "age header: scrypt work factor %ld is above the limit %d", v, d->max_log_n);
			if (s->bodylen != FILE_KEY_LEN + TAG_LEN)
				return DFAIL(d, AGE_FAIL_HEADER, "age header: scrypt stanza body is not 32 bytes");
		}
	}
	if (nscrypt > 0 && nst > 1)
		return DFAIL(d, AGE_FAIL_HEADER, "age header: a scrypt stanza must be alone");
	return 0;
}

/* Tries every identity and the passphrase; 1 with the file key, 0 for no
 * match, -1 on a header failure. */
static int
unwrap(struct age_dec *d, struct stanza *st, int nst, uint8_t *file_key,
    char *errstr)
{
	uint8_t share[KEY_LEN], shared[KEY_LEN], salt[64], wrap[KEY_LEN];
	uint8_t zero[12] = { 0 }, label[sizeof(SCRYPT_LABEL) - 1 + 16];
	int i, j, found = 0;

	for (i = 0; i < nst && !found; i++) {
		struct stanza *s = &st[i];

		if (type_is(s, "X25519")) {
			b64_decode(share, sizeof(share), s->arg[0], s->arglen[0]);
			for (j = 0; j < d->nids && !found; j++) {
				if (crypto_scalarmult(shared, d->ids[j].sk, share) != 0) {
					sodium_memzero(shared, sizeof(shared));
					return DFAIL(d, AGE_FAIL_HEADER,
					    "age header: X25519 share is a low-order point");
				}
				memcpy(salt, share, KEY_LEN);
				memcpy(salt + KEY_LEN, d->ids[j].pk, KEY_LEN);
				hkdf(wrap, salt, sizeof(salt), shared, KEY_LEN, X25519_LABEL);
				found = crypto_aead_chacha20poly1305_ietf_decrypt(file_key,
				    NULL, NULL, s->body, (unsigned long long)s->bodylen,
				    NULL, 0, zero, wrap) == 0;
			}
		} else if (type_is(s, "scrypt") && d->pass != NULL) {
			uint8_t *key = sodium_malloc(KEY_LEN);
			long log_n = strtol(s->arg[1], NULL, 10);

			if (key == NULL)
				return DFAIL(d, AGE_FAIL_USAGE, "secure memory");
			memcpy(label, SCRYPT_LABEL, sizeof(SCRYPT_LABEL) - 1);
			b64_decode(label + sizeof(SCRYPT_LABEL) - 1, 16, s->arg[0], s->arglen[0]);
			if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)d->pass,
			    d->passlen, label, sizeof(label), 1ULL << log_n, 8, 1,
			    key, KEY_LEN) == 0)
				found = crypto_aead_chacha20poly1305_ietf_decrypt(file_key,
				    NULL, NULL, s->body, (unsigned long long)s->bodylen,
				    NULL, 0, zero, key) == 0;
			sodium_free(key);
		}
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap, sizeof(wrap));
	return found;
}

static int
header_done(struct age_dec *d, char *errstr)
{
	struct stanza *st;
	uint8_t mac[KEY_LEN], mackey[KEY_LEN], want[KEY_LEN];
	size_t macend;
	int nst, rc;

	st = calloc(MAX_STANZAS, sizeof(*st));
	if (st == NULL)
		return DFAIL(d, AGE_FAIL_USAGE, "age: out of memory");
	macend = parse_header(d->hdr, d->hlen, st, &nst, mac, errstr);
	if (macend == 0) {
		free(st);
		d->fail = AGE_FAIL_HEADER;
		d->state = D_FAILED;
		return -1;
	}
	if (check_stanzas(d, st, nst, errstr) < 0) {
		free(st);
		return -1;
	}
	rc = unwrap(d, st, nst, d->keys, errstr);
	free(st);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return DFAIL(d, AGE_FAIL_NO_MATCH, "no identity matched");
	hkdf(mackey, NULL, 0, d->keys, FILE_KEY_LEN, "header");
	crypto_auth_hmacsha256(want, (const uint8_t *)d->hdr, macend, mackey);
	sodium_memzero(mackey, sizeof(mackey));
	if (sodium_memcmp(want, mac, KEY_LEN) != 0)
		return DFAIL(d, AGE_FAIL_HMAC,
		    "age header: MAC mismatch: the file was altered");
	free(d->hdr);
	d->hdr = NULL;
	d->state = D_NONCE;
	return 0;
}

/*
 * Input that is not an age file: ASCII armor (leading blanks allowed) is
 * told apart, as unsupported, from anything else.  Returns 1 while too few
 * bytes are in to tell, or -1 with the failure set.
 */
static int
not_age(struct age_dec *d, char *errstr)
{
	size_t k = 0, n;

	while (k < d->hlen && isspace((unsigned char)d->hdr[k]))
		k++;
	n = d->hlen - k;
	if (n > sizeof(ARMOR_BEGIN) - 1)
		n = sizeof(ARMOR_BEGIN) - 1;
	if (strncasecmp(d->hdr + k, ARMOR_BEGIN, n) == 0) {
		if (n == sizeof(ARMOR_BEGIN) - 1)
			return DFAIL(d, AGE_FAIL_UNSUPPORTED,
			    "ASCII-armored age files are not supported (use age -d)");
		if (d->hlen < 4096)
			return 1;
	}
	return DFAIL(d, AGE_FAIL_HEADER, "age header: not an age v1 file");
}

/* Takes header bytes; returns how many it used (the rest is the payload),
 * or -1. */
static long
header_take(struct age_dec *d, const uint8_t *p, size_t len, char *errstr)
{
	size_t i, magic = sizeof(AGE_MAGIC) - 1, line, want;

	want = d->hlen + len;
	if (want > HEADER_MAX + 1)
		want = HEADER_MAX + 1;
	if (want > d->hcap) {
		size_t cap = d->hcap ? d->hcap : 4096;
		char *h;

		while (cap < want)
			cap *= 2;
		h = realloc(d->hdr, cap);
		if (h == NULL)
			return DFAIL(d, AGE_FAIL_USAGE, "age: out of memory");
		d->hdr = h;
		d->hcap = cap;
	}
	for (i = 0; i < len; i++) {
		if (d->hlen > HEADER_MAX)
			return DFAIL(d, AGE_FAIL_HEADER, "age header: too long");
		d->hdr[d->hlen++] = (char)p[i];
		/* Refuse at once what is not an age file at all. */
		if (!d->notage && d->hlen <= magic &&
		    d->hdr[d->hlen - 1] != AGE_MAGIC[d->hlen - 1])
			d->notage = 1;
		if (d->notage) {
			if (not_age(d, errstr) < 0)
				return -1;
			continue;
		}
		if (d->hdr[d->hlen - 1] != '\n')
			continue;
		line = d->hscan;
		d->hscan = d->hlen;
		if (line == 0)
			continue;	/* the version line, checked above */
		if (d->hlen - line >= 4 && memcmp(d->hdr + line, "---", 3) == 0) {
			if (header_done(d, errstr) < 0)
				return -1;
			return (long)(i + 1);
		}
	}
	return (long)len;
}

/*
 * Opens the chunk in cbuf.  A short chunk can only be the last.  A full
 * one is tried as not-last, then as last, as age's own reader does; the
 * flag is in the nonce, so only one can succeed, and its plaintext goes
 * out at once.
 */
static int
dec_open(struct age_dec *d, int at_end, char *errstr)
{
	uint8_t nonce[12];
	unsigned long long n;
	int full = d->cn == sizeof(d->cbuf), last = !full, rc;

	if (d->cn < TAG_LEN)
		return DFAIL(d, AGE_FAIL_PAYLOAD,
		    "age payload: truncated chunk %llu",
		    (unsigned long long)d->counter);
	if (last && d->cn == TAG_LEN && d->counter > 0)
		return DFAIL(d, AGE_FAIL_PAYLOAD,
		    "age payload: empty final chunk after data");
	nonce_of(nonce, d->counter, last);
	rc = crypto_aead_chacha20poly1305_ietf_decrypt(d->plain, &n, NULL,
	    d->cbuf, d->cn, NULL, 0, nonce, d->keys + FILE_KEY_LEN);
	if (rc != 0 && full) {
		last = 1;
		nonce_of(nonce, d->counter, last);
		rc = crypto_aead_chacha20poly1305_ietf_decrypt(d->plain, &n,
		    NULL, d->cbuf, d->cn, NULL, 0, nonce,
		    d->keys + FILE_KEY_LEN);
	}
	if (rc != 0)
		return DFAIL(d, AGE_FAIL_PAYLOAD,
		    "age payload: chunk %llu failed to authenticate%s",
		    (unsigned long long)d->counter,
		    at_end && !full ? " (or the file is truncated)" : "");
	d->counter++;
	d->cn = 0;
	if (last)
		d->state = D_DONE;
	if (n > 0 && d->sink(d->sink_arg, d->plain, (size_t)n, errstr) < 0) {
		d->fail = AGE_FAIL_OUTPUT;
		d->state = D_FAILED;
		return -1;
	}
	return 0;
}

int
age_dec_write(struct age_dec *d, const void *buf, size_t len, char *errstr)
{
	const uint8_t *p = buf;
	size_t take;
	long used;

	while (len > 0) {
		switch (d->state) {
		case D_FAILED:
			return errstr_set(errstr, "age: already failed");
		case D_DONE:
			return DFAIL(d, AGE_FAIL_PAYLOAD,
			    "age payload: data after the final chunk");
		case D_HEADER:
			used = header_take(d, p, len, errstr);
			if (used < 0)
				return -1;
			p += used;
			len -= (size_t)used;
			break;
		case D_NONCE:
			take = NONCE_LEN - d->nn;
			if (take > len)
				take = len;
			memcpy(d->nonce + d->nn, p, take);
			d->nn += take;
			p += take;
			len -= take;
			if (d->nn == NONCE_LEN) {
				hkdf(d->keys + FILE_KEY_LEN, d->nonce, NONCE_LEN,
				    d->keys, FILE_KEY_LEN, "payload");
				d->state = D_PAYLOAD;
			}
			break;
		case D_PAYLOAD:
			take = sizeof(d->cbuf) - d->cn;
			if (take > len)
				take = len;
			memcpy(d->cbuf + d->cn, p, take);
			d->cn += take;
			p += take;
			len -= take;
			if (d->cn == sizeof(d->cbuf) && dec_open(d, 0, errstr) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

int
age_dec_finish(struct age_dec *d, char *errstr)
{
	switch (d->state) {
	case D_FAILED:
		return errstr_set(errstr, "age: already failed");
	case D_HEADER:
		if (d->hlen == 0)
			return DFAIL(d, AGE_FAIL_HEADER, "age header: empty input");
		if (d->notage && not_age(d, errstr) < 0)
			return -1;
		return DFAIL(d, AGE_FAIL_HEADER, "age header: truncated");
	case D_NONCE:
		return DFAIL(d, AGE_FAIL_HEADER, "age header: truncated payload nonce");
	case D_DONE:
		return 0;
	}
	if (d->cn == 0)
		return DFAIL(d, AGE_FAIL_PAYLOAD,
		    "age payload: truncated: no final chunk");
	if (dec_open(d, 1, errstr) < 0)
		return -1;
	if (d->state != D_DONE)
		return DFAIL(d, AGE_FAIL_PAYLOAD,
		    "age payload: truncated: no final chunk");
	return 0;
}

void
age_dec_free(struct age_dec *d)
{
	if (d == NULL)
		return;
	if (d->ids != NULL)
		sodium_free(d->ids);
	if (d->pass != NULL)
		sodium_free(d->pass);
	if (d->keys != NULL)
		sodium_free(d->keys);
	if (d->plain != NULL)
		sodium_free(d->plain);
	free(d->hdr);
	free(d);
}

int
age_sniff(const void *buf, size_t len)
{
	return len >= sizeof(AGE_MAGIC) - 1 &&
	    memcmp(buf, AGE_MAGIC, sizeof(AGE_MAGIC) - 1) == 0;
}
