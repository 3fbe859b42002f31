/*
 * common/pack, both directions, without a pipe: zstd and xz, encrypted to
 * a recipient, to a passphrase, or not at all.  Packing is fed in pieces
 * of every size from 1 byte to the whole input, and so is unpacking of
 * what came out; a larger input crosses age's 64 KiB chunks and the
 * codecs' buffers.  Then what unpacking must refuse, and the counts.
 */
#include <sodium.h>
#include <stdint.h>

#include "pack.h"
#include "tap.h"
#include "testbuf.h"

static char identity[AGE_IDENTITY_LEN + 1], recipient[AGE_RECIPIENT_LEN + 1];
static struct secret id_secret, pass_secret, wrong_pass;

enum enc { E_NONE, E_AGE, E_PASS };
static const char *enc_name[] = { "plain", "recipient", "passphrase" };

static void
pack_cfg_for(struct pack_cfg *pc, enum pack_codec codec, enum enc enc)
{
	memset(pc, 0, sizeof(*pc));
	pc->codec = codec;
	pc->level = codec == PACK_XZ ? 0 : 1;
	pc->threads = 1;
	pc->encrypt = enc != E_NONE;
	if (enc == E_AGE)
		pc->recipients[pc->nrecipients++] = recipient;
	if (enc == E_PASS) {
		pc->passphrase = &pass_secret;
		pc->scrypt_log_n = 10;	/* cheap: this is no key file */
	}
}

static void
unpack_cfg_for(struct unpack_cfg *uc, enum enc enc)
{
	memset(uc, 0, sizeof(*uc));
	uc->threads = 1;
	if (enc == E_AGE)
		uc->identity_files[uc->nidentity_files++] = &id_secret;
	if (enc == E_PASS)
		uc->passphrase = &pass_secret;
}

/* Packs p in pieces of step bytes (0: odd sizes in turn); returns 0 or
 * -1 with the reason in e. */
static int
pack_in(const struct pack_cfg *pc, const unsigned char *p, size_t n,
    size_t step, struct buf *out, struct pack_stats *st, char *e)
{
	static const size_t odd[] = { 1, 7, 4093, 65537, 3, 131071 };
	struct pack *k;
	size_t o = 0, len, i = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	e[0] = '\0';
	if ((k = pack_new(pc, buf_sink, out, e)) == NULL)
		return -1;
	while (rc == 0 && o < n) {
		len = step ? step : odd[i++ % (sizeof(odd) / sizeof(odd[0]))];
		if (len > n - o)
			len = n - o;
		rc = pack_write(k, p + o, len, e);
		o += len;
	}
	if (rc == 0)
		rc = pack_finish(k, e);
	pack_free(k, st);
	return rc;
}

static int
unpack_in(const struct unpack_cfg *uc, const unsigned char *p, size_t n,
    size_t step, struct buf *out, struct pack_stats *st, char *e)
{
	static const size_t odd[] = { 3, 65536, 11, 9999, 1 };
	struct unpack *u;
	size_t o = 0, len, i = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	e[0] = '\0';
	if ((u = unpack_new(uc, buf_sink, out, e)) == NULL)
		return -1;
	while (rc == 0 && o < n) {
		len = step ? step : odd[i++ % (sizeof(odd) / sizeof(odd[0]))];
		if (len > n - o)
			len = n - o;
		rc = unpack_write(u, p + o, len, e);
		o += len;
	}
	if (rc == 0)
		rc = unpack_finish(u, e);
	unpack_free(u, st);
	return rc;
}

static int
same(const struct buf *b, const unsigned char *p, size_t n)
{
	return b->n == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

/* Every piece size, both ways, on a small RDB: each packing unpacks
 * whole to the input, and one packing unpacks in every piece size. */
static void
every_size(const unsigned char *rdb, size_t n)
{
	struct pack_cfg pc;
	struct unpack_cfg uc;
	struct pack_stats st;
	struct buf c, d;
	char e[ERRSTR_LEN];
	size_t k, bad;
	int codec, enc;

	for (codec = PACK_ZSTD; codec <= PACK_XZ; codec++)
	for (enc = E_NONE; enc <= E_PASS; enc++) {
		const char *cn = codec == PACK_XZ ? "xz" : "zstd";

		pack_cfg_for(&pc, codec, enc);
		unpack_cfg_for(&uc, enc);
		for (bad = 0, k = 1; k <= n; k++) {
			/* The passphrase's scrypt makes every packing
			 * cost; a stride still reaches the small sizes. */
			if (enc == E_PASS && k > 16 && k % 37 != 0 && k != n)
				continue;
			if (pack_in(&pc, rdb, n, k, &c, &st, e) < 0 ||
			    !st.is_rdb || st.rdb_keys == 0 ||
			    unpack_in(&uc, c.p, c.n, 0, &d, NULL, e) < 0 ||
			    !same(&d, rdb, n)) {
				if (bad++ == 0)
					printf("# %s %s, pieces of %zu: %s\n",
					    cn, enc_name[enc], k, e);
			}
			free(c.p);
			free(d.p);
		}
		ok(bad == 0, "%s, %s: packed in pieces of 1 to %zu B%s, each "
		    "unpacks to the RDB (%zu failed)", cn, enc_name[enc], n,
		    enc == E_PASS ? " (past 16, every 37th)" : "", bad);

		if (pack_in(&pc, rdb, n, 0, &c, &st, e) < 0) {
			ok(0, "%s %s: pack: %s", cn, enc_name[enc], e);
			continue;
		}
		for (bad = 0, k = 1; k <= c.n; k++) {
			if (unpack_in(&uc, c.p, c.n, k, &d, &st, e) < 0 ||
			    !same(&d, rdb, n) || !st.is_rdb ||
			    st.was_age != (enc != E_NONE) ||
			    st.was_xz != (codec == PACK_XZ) ||
			    st.was_zstd != (codec == PACK_ZSTD)) {
				if (bad++ == 0)
					printf("# %s %s, unpacked in pieces of "
					    "%zu: %s\n", cn, enc_name[enc], k,
					    e);
			}
			free(d.p);
		}
		ok(bad == 0, "%s, %s: its %zu B unpacked in pieces of every "
		    "size, with the layers counted (%zu failed)", cn,
		    enc_name[enc], c.n, bad);
		free(c.p);
	}
}


/* Beyond one age chunk and one codec buffer; empty input too. */
static void
large(void)
{
	static const size_t sizes[] = { 0, 65536, (1 << 20) + 7 };
	unsigned char *p = buf_data((1 << 20) + 7);
	struct pack_cfg pc;
	struct unpack_cfg uc;
	struct pack_stats st;
	struct buf c, d;
	char e[ERRSTR_LEN];
	size_t i;
	int codec, enc, good;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
	for (codec = PACK_ZSTD; codec <= PACK_XZ; codec++)
	for (enc = E_NONE; enc <= E_PASS; enc++) {
		pack_cfg_for(&pc, codec, enc);
		unpack_cfg_for(&uc, enc);
		/* Apart from the ok(): its arguments are unsequenced. */
		good = pack_in(&pc, p, sizes[i], 0, &c, &st, e) == 0 &&
		    st.plain == sizes[i] && st.out == c.n && !st.is_rdb &&
		    unpack_in(&uc, c.p, c.n, 0, &d, &st, e) == 0 &&
		    same(&d, p, sizes[i]) && st.in == c.n &&
		    st.out == sizes[i];
		ok(good, "%zu B, %s, %s -> %zu B and back %s", sizes[i],
		    codec == PACK_XZ ? "xz" : "zstd", enc_name[enc], c.n, e);
		free(c.p);
		free(d.p);
	}
	free(p);
}

static void
refusals(const unsigned char *rdb, size_t n)
{
	struct pack_cfg pc;
	struct unpack_cfg uc;
	struct pack_stats st;
	struct buf c, d;
	char e[ERRSTR_LEN];
	unsigned char *bad;
	size_t len;

	unpack_cfg_for(&uc, E_NONE);
	ok(unpack_in(&uc, (const unsigned char *)"", 0, 0, &d, NULL, e) < 0 &&
	    strcmp(e, "<stdin>: empty input") == 0, "empty input: %s", e);
	free(d.p);
	ok(unpack_in(&uc, rdb, n, 0, &d, NULL, e) < 0 &&
	    strcmp(e, "<stdin>: not an age, zstd or xz file (use --raw for "
	    "plain data)") == 0 && d.n == 0, "plain data: %s", e);
	free(d.p);
	uc.raw = 1;
	ok(unpack_in(&uc, rdb, n, 1, &d, &st, e) == 0 && same(&d, rdb, n) &&
	    st.is_rdb, "plain data with raw passes through, checked %s", e);
	free(d.p);

	/* Encrypted, and no key, or the wrong one. */
	pack_cfg_for(&pc, PACK_ZSTD, E_AGE);
	if (pack_in(&pc, rdb, n, 0, &c, NULL, e) < 0) {
		ok(0, "pack: %s", e);
		return;
	}
	unpack_cfg_for(&uc, E_PASS);
	ok(unpack_in(&uc, c.p, c.n, 0, &d, &st, e) < 0 &&
	    st.age_failure == AGE_FAIL_NO_MATCH && d.n == 0,
	    "a recipient's file with only a passphrase: %s", e);
	free(d.p);
	/* A file cut short, or with a flipped bit, never unpacks whole. */
	unpack_cfg_for(&uc, E_AGE);
	ok(unpack_in(&uc, c.p, c.n - 1, 0, &d, &st, e) < 0 &&
	    st.age_failure == AGE_FAIL_PAYLOAD, "cut by one byte: %s", e);
	free(d.p);
	c.p[c.n - 20] ^= 1;
	ok(unpack_in(&uc, c.p, c.n, 0, &d, &st, e) < 0 &&
	    st.age_failure == AGE_FAIL_PAYLOAD, "a flipped bit: %s", e);
	free(d.p);
	free(c.p);

	pack_cfg_for(&pc, PACK_XZ, E_PASS);
	if (pack_in(&pc, rdb, n, 0, &c, NULL, e) < 0) {
		ok(0, "pack: %s", e);
		return;
	}
	uc.passphrase = &wrong_pass;
	uc.nidentity_files = 0;
	ok(unpack_in(&uc, c.p, c.n, 0, &d, &st, e) < 0 &&
	    st.age_failure == AGE_FAIL_NO_MATCH && d.n == 0,
	    "the wrong passphrase: %s", e);
	free(d.p);
	uc.passphrase = &pass_secret;
	uc.max_log_n = 9;
	ok(unpack_in(&uc, c.p, c.n, 0, &d, &st, e) < 0 && d.n == 0,
	    "a work factor over the reader's maximum: %s", e);
	free(d.p);
	free(c.p);

	/* A damaged RDB is refused while packing, by name: cut short, or
	 * (in a file with a CRC-64, which version 4 lacks) a byte changed. */
	pack_cfg_for(&pc, PACK_ZSTD, E_NONE);
	ok(pack_in(&pc, rdb, n - 1, 7, &c, &st, e) < 0 &&
	    strcmp(e, "<stdin>: truncated RDB: ends at offset 666 before the "
	    "EOF marker") == 0, "packing a cut RDB fails: %s", e);
	free(c.p);
	bad = tap_slurp(tap_fixture("rdb-12/hfe-listpack-v12.rdb"), &len);
	bad[len - 1] ^= 0xff;	/* inside the CRC-64 */
	pack_cfg_for(&pc, PACK_XZ, E_AGE);
	ok(pack_in(&pc, bad, len, 1, &c, &st, e) < 0 &&
	    strncmp(e, "<stdin>: CRC64 mismatch: stored ", 32) == 0,
	    "packing an RDB with a bad CRC-64 fails: %s", e);
	free(c.p);
	free(bad);
	ok(pack_new(&(struct pack_cfg){ .encrypt = 1, .nrecipients = 1,
	    .recipients = { "age1nope" } }, buf_sink, &c, e) == NULL &&
	    e[0] != '\0', "a bad recipient fails pack_new: %s", e);
}

int
main(void)
{
	char e[ERRSTR_LEN];
	unsigned char *rdb;
	size_t n;

	if (sodium_init() < 0 || age_keygen(identity, recipient, e) < 0) {
		printf("Bail out! keygen\n");
		return 1;
	}
	id_secret.buf = identity;
	id_secret.len = strlen(identity);
	pass_secret.buf = "correct horse battery staple";
	pass_secret.len = strlen(pass_secret.buf);
	wrong_pass.buf = "incorrect horse";
	wrong_pass.len = strlen(wrong_pass.buf);
	rdb = tap_slurp(tap_fixture("rdb/encodings.rdb"), &n);
	every_size(rdb, n);
	large();
	refusals(rdb, n);
	free(rdb);
	return tap_done();
}
