/*
 * common/age against the official age testkit (C2SP CCTV, copied into
 * tests/fixtures/age-testkit with its README), fed whole and in small
 * pieces, plus round trips of our own encryptor and Bech32 vectors.
 */
#include <dirent.h>
#include <sodium.h>
#include <zlib.h>

#include "age.h"
#include "bech32.h"
#include "tap.h"

struct vec {
	char		 expect[32];
	char		 payload[65];		/* hex SHA-256, may be empty */
	char		 identities[8][512];
	int		 nid;
	char		 passphrases[4][512];
	int		 npass;
	int		 armored, compressed;
	unsigned char	*body;
	size_t		 bodylen;
};

static int
load(const char *path, struct vec *v)
{
	size_t len, o = 0, e;
	unsigned char *buf = tap_slurp(path, &len);
	char line[512];

	memset(v, 0, sizeof(*v));
	for (;;) {
		e = o;
		while (e < len && buf[e] != '\n')
			e++;
		if (e == len || e - o >= sizeof(line))
			return -1;
		memcpy(line, buf + o, e - o);
		line[e - o] = '\0';
		o = e + 1;
		if (line[0] == '\0')
			break;
		if (strncmp(line, "expect: ", 8) == 0)
			snprintf(v->expect, sizeof(v->expect), "%.31s", line + 8);
		else if (strncmp(line, "payload: ", 9) == 0)
			snprintf(v->payload, sizeof(v->payload), "%.64s", line + 9);
		else if (strncmp(line, "identity: ", 10) == 0 && v->nid < 8)
			snprintf(v->identities[v->nid++], 512, "%s", line + 10);
		else if (strncmp(line, "passphrase: ", 12) == 0 && v->npass < 4)
			snprintf(v->passphrases[v->npass++], 512, "%s", line + 12);
		else if (strcmp(line, "armored: yes") == 0)
			v->armored = 1;
		else if (strcmp(line, "compressed: zlib") == 0)
			v->compressed = 1;
	}
	if (v->compressed) {
		uLongf cap = 64 << 20;
		unsigned char *out = malloc(cap);

		if (out == NULL || uncompress(out, &cap, buf + o, len - o) != Z_OK)
			return -1;
		v->body = out;
		v->bodylen = cap;
		free(buf);
	} else {
		v->body = malloc(len - o + 1);
		memcpy(v->body, buf + o, len - o);
		v->bodylen = len - o;
		free(buf);
	}
	return 0;
}

struct hashsink {
	crypto_hash_sha256_state st;
	size_t n;
};

static int
hash_sink(void *arg, const void *buf, size_t len, char *errstr)
{
	struct hashsink *h = arg;

	(void)errstr;
	crypto_hash_sha256_update(&h->st, buf, len);
	h->n += len;
	return 0;
}

static const char *
fail_name(enum age_fail f)
{
	switch (f) {
	case AGE_OK: return "success";
	case AGE_FAIL_HEADER: return "header failure";
	case AGE_FAIL_NO_MATCH: return "no match";
	case AGE_FAIL_HMAC: return "HMAC failure";
	case AGE_FAIL_PAYLOAD: return "payload failure";
	case AGE_FAIL_UNSUPPORTED: return "unsupported";
	case AGE_FAIL_OUTPUT: return "output failure";
	case AGE_FAIL_USAGE: return "usage";
	}
	return "?";
}

/* Decrypts v fed in pieces of `piece` bytes (0: whole); returns the class
 * and the hex SHA-256 of all plaintext released. */
static enum age_fail
run(const struct vec *v, size_t piece, char hex[65], char *errstr)
{
	struct hashsink h;
	struct age_dec *d;
	unsigned char sum[32];
	char ids[8 * 514];
	size_t off = 0, n, il = 0;
	enum age_fail f = AGE_OK;
	int i;

	crypto_hash_sha256_init(&h.st);
	h.n = 0;
	d = age_dec_new(hash_sink, &h, errstr);
	for (i = 0; i < v->nid; i++)
		il += (size_t)sprintf(ids + il, "%s\n", v->identities[i]);
	if (v->nid > 0 && age_dec_add_identities_text(d, ids, il, errstr) < 0) {
		f = age_dec_failure(d);
		goto out;
	}
	if (v->npass > 0)
		age_dec_set_passphrase(d, v->passphrases[0],
		    strlen(v->passphrases[0]), errstr);
	while (off < v->bodylen) {
		n = piece == 0 || v->bodylen - off < piece ? v->bodylen - off : piece;
		if (age_dec_write(d, v->body + off, n, errstr) < 0)
			break;
		off += n;
	}
	if (off == v->bodylen)
		age_dec_finish(d, errstr);
	f = age_dec_failure(d);
out:
	age_dec_free(d);
	crypto_hash_sha256_final(&h.st, sum);
	sodium_bin2hex(hex, 65, sum, 32);
	return f;
}

static void
testkit(void)
{
	char path[4096], hex[65], e[ERRSTR_LEN];
	const char *dir = tap_fixture("age-testkit");
	struct dirent **names;
	struct vec v;
	int i, n, count = 0, other = 0;
	size_t pieces[] = { 0, 1, 7, 4096 };

	n = scandir(dir, &names, NULL, alphasort);
	ok(n > 0, "testkit directory %s", dir);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		enum age_fail f;
		int pq, k, same = 1;

		if (name[0] == '.' || strcmp(name, "README.md") == 0)
			continue;
		snprintf(path, sizeof(path), "%.3000s/%.1000s", dir, name);
		if (load(path, &v) < 0) {
			ok(0, "%s: loads", name);
			continue;
		}
		pq = 0;
		for (k = 0; k < v.nid; k++)
			if (strncmp(v.identities[k], "AGE-SECRET-KEY-PQ-", 18) == 0)
				pq = 1;
		f = run(&v, 0, hex, e);
		if (v.armored || pq) {
			/* Unsupported here: each must end in a clear refusal,
			 * never a crash; armor behind leading garbage is
			 * simply not an age file. */
			int want = f == AGE_FAIL_UNSUPPORTED ||
			    (v.armored && strncmp((char *)v.body, "garbage", 7) == 0 &&
			    f == AGE_FAIL_HEADER);

			ok(want, "%s (%s): unsupported, ends in %s: %s", name,
			    v.armored ? "armored" : "post-quantum", fail_name(f), e);
			other++;
			free(v.body);
			continue;
		}
		count++;
		ok(strcmp(fail_name(f), v.expect) == 0,
		    "%s: expect %s, got %s%s%s", name, v.expect, fail_name(f),
		    f != AGE_OK ? ": " : "", f != AGE_OK ? e : "");
		if (v.payload[0] != '\0')
			ok(strcmp(hex, v.payload) == 0, "%s: payload SHA-256", name);
		for (k = 1; k < 4; k++) {
			char hex2[65];

			if (run(&v, pieces[k], hex2, e) != f ||
			    strcmp(hex, hex2) != 0)
				same = 0;
		}
		ok(same, "%s: same outcome fed 1, 7 and 4096 bytes at a time", name);
		free(v.body);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ok(count == 92, "92 X25519/scrypt vectors run (%d)", count);
	ok(other == 51, "51 armored or post-quantum vectors refused (%d)", other);
}

struct memsink {
	unsigned char	*buf;
	size_t		 n, cap;
};

static int
mem_sink(void *arg, const void *buf, size_t len, char *errstr)
{
	struct memsink *m = arg;

	(void)errstr;
	if (m->n + len > m->cap) {
		m->cap = (m->n + len) * 2;
		m->buf = realloc(m->buf, m->cap);
	}
	memcpy(m->buf + m->n, buf, len);
	m->n += len;
	return 0;
}

/* Encrypts size bytes; decrypts with the identity text or passphrase;
 * returns the failure class and checks the bytes. */
static enum age_fail
roundtrip(size_t size, const char *recipient, const char *idtext,
    const char *pass, int log_n, struct memsink *ct, char *e)
{
	struct memsink pt = { 0 };
	struct age_enc *enc;
	struct age_dec *dec;
	unsigned char *data = malloc(size + 1);
	enum age_fail f;
	size_t off = 0, n;

	randombytes_buf(data, size);
	memset(ct, 0, sizeof(*ct));
	enc = age_enc_new(mem_sink, ct, e);
	if (recipient != NULL)
		age_enc_add_recipient(enc, recipient, e);
	else
		age_enc_set_passphrase(enc, pass, strlen(pass), log_n, e);
	while (off < size) {
		n = size - off < 10000 ? size - off : 10000;
		age_enc_write(enc, data + off, n, e);
		off += n;
	}
	age_enc_finish(enc, e);
	age_enc_free(enc);

	dec = age_dec_new(mem_sink, &pt, e);
	if (idtext != NULL)
		age_dec_add_identities_text(dec, idtext, strlen(idtext), e);
	if (pass != NULL)
		age_dec_set_passphrase(dec, pass, strlen(pass), e);
	if (age_dec_write(dec, ct->buf, ct->n, e) == 0)
		age_dec_finish(dec, e);
	f = age_dec_failure(dec);
	age_dec_free(dec);
	if (f == AGE_OK && (pt.n != size ||
	    (size > 0 && memcmp(pt.buf, data, size) != 0)))
		f = AGE_FAIL_USAGE;
	free(pt.buf);
	free(data);
	return f;
}

static void
roundtrips(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536,
	    1048577 };
	char id[AGE_IDENTITY_LEN + 1], rec[AGE_RECIPIENT_LEN + 1];
	char id2[AGE_IDENTITY_LEN + 1], rec2[AGE_RECIPIENT_LEN + 1];
	char e[ERRSTR_LEN], text[256], rec3[AGE_RECIPIENT_LEN + 1];
	struct memsink ct;
	struct age_dec *dec;
	struct memsink pt = { 0 };
	size_t i;

	ok(age_keygen(id, rec, e) == 0 && strlen(id) == AGE_IDENTITY_LEN &&
	    strncmp(id, "AGE-SECRET-KEY-1", 16) == 0 &&
	    strlen(rec) == AGE_RECIPIENT_LEN && strncmp(rec, "age1", 4) == 0,
	    "keygen gives an identity and a recipient of the right form");
	ok(age_identity_recipient(id, rec3, e) == 0 && strcmp(rec, rec3) == 0,
	    "the identity's recipient is the one keygen gave");
	snprintf(text, sizeof(text), "# created: now\n# public key: %s\n%s\n",
	    rec, id);
	ok(age_identity_file_recipient(text, strlen(text), rec3, e) == 0 &&
	    strcmp(rec, rec3) == 0, "recipient of an identity file");
	age_keygen(id2, rec2, e);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ok(roundtrip(sizes[i], rec, text, NULL, 0, &ct, e) == AGE_OK,
		    "X25519 round trip of %zu bytes", sizes[i]);
		free(ct.buf);
		ok(roundtrip(sizes[i], NULL, NULL, "pass phrase", 10, &ct, e) ==
		    AGE_OK, "scrypt round trip of %zu bytes", sizes[i]);
		free(ct.buf);
	}
	ok(roundtrip(1000, NULL, NULL, "pass", AGE_SCRYPT_LOG_N, &ct, e) ==
	    AGE_OK, "scrypt round trip at work factor 18");
	free(ct.buf);
	ok(roundtrip(1000, rec, id2, NULL, 0, &ct, e) == AGE_FAIL_NO_MATCH &&
	    strcmp(e, "no identity matched") == 0,
	    "a wrong identity: %s", e);
	free(ct.buf);

	/* Truncations and flips of a 3-chunk file. */
	roundtrip(150000, rec, id, NULL, 0, &ct, e);
	for (i = 0; i < 12; i++) {
		size_t cut = (ct.n * (i + 1)) / 13;
		enum age_fail f;

		dec = age_dec_new(mem_sink, &pt, e);
		age_dec_add_identities_text(dec, id, strlen(id), e);
		if (age_dec_write(dec, ct.buf, cut, e) == 0)
			age_dec_finish(dec, e);
		f = age_dec_failure(dec);
		age_dec_free(dec);
		ok(f == AGE_FAIL_HEADER || f == AGE_FAIL_PAYLOAD,
		    "cut at %zu of %zu: %s", cut, ct.n, fail_name(f));

		ct.buf[cut] ^= 0x20;
		dec = age_dec_new(mem_sink, &pt, e);
		age_dec_add_identities_text(dec, id, strlen(id), e);
		if (age_dec_write(dec, ct.buf, ct.n, e) == 0)
			age_dec_finish(dec, e);
		f = age_dec_failure(dec);
		age_dec_free(dec);
		ct.buf[cut] ^= 0x20;
		ok(f != AGE_OK, "flip at %zu: %s", cut, fail_name(f));
	}
	free(ct.buf);
	free(pt.buf);

	{
		struct age_enc *enc = age_enc_new(mem_sink, &pt, e);

		ok(age_enc_add_recipient(enc, "age1qqqq", e) < 0,
		    "a bad recipient is refused: %s", e);
		age_enc_free(enc);
	}
	{
		/* Key files are secret: their lines are never quoted. */
		static const char idtext[] = "# a key\n"
		    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n";
		struct age_enc *enc = age_enc_new(mem_sink, &pt, e);

		ok(age_enc_add_recipients_text(enc, idtext, strlen(idtext),
		    e) < 0 && strcmp(e, "line 2: this is an identity "
		    "(secret key), not a recipient") == 0,
		    "an identity as a recipient: %s", e);
		ok(age_enc_add_recipients_text(enc, "hunter2\n", 8, e) < 0 &&
		    strstr(e, "hunter2") == NULL,
		    "a passphrase as a recipient is not quoted: %s", e);
		age_enc_free(enc);
	}
}

static void
bech32(void)
{
	/* BIP 173 test vectors. */
	static const char *valid[] = {
		"A12UEL5L", "a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	};
	static const char *invalid[] = {
		"pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3",
		"A1G7SGD8", "10a06t8", "1qzzfhee", "a12UEL5L",
	};
	char hrp[100], out[200];
	uint8_t data[100];
	size_t len, i;
	int good = 1;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		len = sizeof(data);
		if (bech32_decode(valid[i], hrp, sizeof(hrp), data, &len) < 0)
			good = 0;
	}
	ok(good, "BIP 173 valid strings decode");
	good = 1;
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		len = sizeof(data);
		if (bech32_decode(invalid[i], hrp, sizeof(hrp), data, &len) == 0)
			good = 0;
	}
	ok(good, "BIP 173 invalid strings are refused");
	len = sizeof(data);
	ok(bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", hrp,
	    sizeof(hrp), data, &len) == 0 && strcmp(hrp, "abcdef") == 0,
	    "hrp comes back");
	for (i = 0; i < 32; i++)
		data[i] = (uint8_t)(i * 37);
	ok(bech32_encode(out, sizeof(out), "age", data, 32, 0) == 0 &&
	    (len = sizeof(data), bech32_decode(out, hrp, sizeof(hrp), data + 40,
	    &len)) == 0 && len == 32 && memcmp(data, data + 40, 32) == 0,
	    "encode and decode are inverse: %s", out);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	bech32();
	testkit();
	roundtrips();
	return tap_done();
}
