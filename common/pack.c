#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"

#define ARMOR_BEGIN	"-----BEGIN AGE ENCRYPTED FILE-----"
#define SNIFF_MAX	(sizeof(AGE_MAGIC) - 1)

/*
 * A sniffer holds the first bytes of a layer until there are enough to
 * tell what the layer is (or the input ends), then lets them through.
 */
struct sniff {
	unsigned char	 buf[SNIFF_MAX];
	size_t		 n;
	size_t		 want;
	int		 decided;
};

struct pack {
	struct age_enc	*age;
	enum pack_codec	 codec;
	struct xzs	 xz;
	struct zstds	 zs;
	int		 xz_on, zs_on;
	struct sniff	 sn;
	struct rdb_check rdb;
	io_sink_fn	 sink;
	void		*sink_arg;
	struct pack_stats st;
};

enum { L_UNKNOWN, L_AGE, L_XZ, L_ZSTD, L_RAW };

struct unpack {
	const struct unpack_cfg *cfg;
	struct sniff	 sn0, sn1, sn2;	/* input, inside age, plaintext */
	int		 layer0, layer1;
	struct age_dec	*age;
	struct xzs	 xz;
	struct zstds	 zs;
	int		 xz_on, zs_on;
	struct rdb_check rdb;
	io_sink_fn	 sink;
	void		*sink_arg;
	struct pack_stats st;
};

/* Feeds a sniffer what it still wants of *buf, advancing *buf and *len;
 * returns 1 once it holds enough to decide, 0 while it wants more. */
static int
sniff_fill(struct sniff *s, const void **buf, size_t *len)
{
	size_t take = s->want - s->n;

	if (take > *len)
		take = *len;
	memcpy(s->buf + s->n, *buf, take);
	s->n += take;
	*buf = (const char *)*buf + take;
	*len -= take;
	return s->n == s->want;
}

/* Puts the key file's name before the reason age gave; returns -1. */
static int
key_file_error(const struct secret *f, char *errstr)
{
	char why[ERRSTR_LEN];

	if (f->name == NULL)
		return -1;
	snprintf(why, sizeof(why), "%s", errstr);
	return errstr_set(errstr, "%s: %s", f->name, why);
}

/* ---- pack ---- */

static int
pack_out(void *arg, const void *buf, size_t len, char *errstr)
{
	struct pack *p = arg;

	p->st.out += len;
	return p->sink(p->sink_arg, buf, len, errstr);
}

static int
pack_to_age(void *arg, const void *buf, size_t len, char *errstr)
{
	struct pack *p = arg;

	return age_enc_write(p->age, buf, len, errstr);
}

struct pack *
pack_new(const struct pack_cfg *cfg, io_sink_fn sink, void *sink_arg,
    char *errstr)
{
	struct pack *p;
	int i;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		errstr_sys(errstr, "pack");
		return NULL;
	}
	p->sink = sink;
	p->sink_arg = sink_arg;
	p->sn.want = 9;		/* "REDIS" and four digits */
	if (cfg->encrypt) {
		p->age = age_enc_new(pack_out, p, errstr);
		if (p->age == NULL)
			goto fail;
		for (i = 0; i < cfg->nrecipients; i++)
			if (age_enc_add_recipient(p->age, cfg->recipients[i],
			    errstr) < 0)
				goto fail;
		for (i = 0; i < cfg->nrecipient_files; i++)
			if (age_enc_add_recipients_text(p->age,
			    cfg->recipient_files[i]->buf,
			    cfg->recipient_files[i]->len, errstr) < 0) {
				key_file_error(cfg->recipient_files[i], errstr);
				goto fail;
			}
		if (cfg->passphrase != NULL &&
		    age_enc_set_passphrase(p->age, cfg->passphrase->buf,
		    cfg->passphrase->len, cfg->scrypt_log_n > 0 ?
		    cfg->scrypt_log_n : AGE_SCRYPT_LOG_N, errstr) < 0)
			goto fail;
	}
	p->codec = cfg->codec;
	if (p->codec == PACK_XZ) {
		if (xzs_encoder(&p->xz, cfg->level, cfg->extreme, cfg->threads,
		    cfg->block_size, p->age != NULL ? pack_to_age : pack_out, p,
		    errstr) < 0)
			goto fail;
		p->xz_on = 1;
	} else {
		p->zs_on = 1;
		if (zstds_encoder(&p->zs, cfg->level, cfg->threads,
		    p->age != NULL ? pack_to_age : pack_out, p, errstr) < 0)
			goto fail;
	}
	return p;
fail:
	pack_free(p, NULL);
	return NULL;
}

/* Plaintext past the sniffer: checked when it is an RDB, then the codec. */
static int
pack_plain(struct pack *p, const void *buf, size_t len, char *errstr)
{
	if (p->st.is_rdb && rdb_check_feed(&p->rdb, buf, len) < 0)
		return errstr_set(errstr, "<stdin>: %s", p->rdb.errstr);
	p->st.plain += len;
	if (p->codec == PACK_XZ)
		return xzs_write(&p->xz, buf, len, errstr);
	return zstds_write(&p->zs, buf, len, errstr);
}

static int
pack_decide(struct pack *p, char *errstr)
{
	p->sn.decided = 1;
	if (rdb_sniff(p->sn.buf, p->sn.n)) {
		p->st.is_rdb = 1;
		rdb_check_init(&p->rdb, 1);
	}
	return pack_plain(p, p->sn.buf, p->sn.n, errstr);
}

int
pack_write(struct pack *p, const void *buf, size_t len, char *errstr)
{
	p->st.in += len;
	if (!p->sn.decided) {
		if (!sniff_fill(&p->sn, &buf, &len))
			return 0;
		if (pack_decide(p, errstr) < 0)
			return -1;
	}
	return pack_plain(p, buf, len, errstr);
}

int
pack_finish(struct pack *p, char *errstr)
{
	if (!p->sn.decided && pack_decide(p, errstr) < 0)
		return -1;
	/* The check comes first: a bad RDB must never get the zstd frame's
	 * last block and checksum, the xz index, or the final age chunk that
	 * would make the output look whole. */
	if (p->st.is_rdb && rdb_check_end(&p->rdb) < 0)
		return errstr_set(errstr, "<stdin>: %s", p->rdb.errstr);
	if ((p->codec == PACK_XZ ? xzs_finish(&p->xz, errstr) :
	    zstds_finish(&p->zs, errstr)) < 0)
		return -1;
	if (p->age != NULL && age_enc_finish(p->age, errstr) < 0)
		return -1;
	return 0;
}

void
pack_free(struct pack *p, struct pack_stats *st)
{
	if (p == NULL)
		return;
	if (st != NULL) {
		*st = p->st;
		st->rdb_version = p->rdb.version;
		st->rdb_keys = p->rdb.keys;
		rdb_warning_copy(&p->rdb, st->rdb_warn, sizeof(st->rdb_warn));
	}
	if (p->xz_on)
		xzs_end(&p->xz);
	if (p->zs_on)
		zstds_end(&p->zs);
	if (p->age != NULL)
		age_enc_free(p->age);
	free(p);
}

int
pack_sink(void *p, const void *buf, size_t len, char *errstr)
{
	return pack_write(p, buf, len, errstr);
}

/* ---- unpack ---- */

static int
unpack_out(void *arg, const void *buf, size_t len, char *errstr)
{
	struct unpack *u = arg;

	u->st.out += len;
	return u->sink(u->sink_arg, buf, len, errstr);
}

/* The plaintext stage: checked when it is an RDB, then out. */
static int
plain_pass(struct unpack *u, const void *buf, size_t len, char *errstr)
{
	if (u->st.is_rdb && rdb_check_feed(&u->rdb, buf, len) < 0)
		return errstr_set(errstr, "<stdin>: unpacked RDB: %s",
		    u->rdb.errstr);
	u->st.plain += len;
	return unpack_out(u, buf, len, errstr);
}

static int
plain_decide(struct unpack *u, char *errstr)
{
	u->sn2.decided = 1;
	if (rdb_sniff(u->sn2.buf, u->sn2.n)) {
		u->st.is_rdb = 1;
		rdb_check_init(&u->rdb, 1);
	}
	return plain_pass(u, u->sn2.buf, u->sn2.n, errstr);
}

static int
plain_write(void *arg, const void *buf, size_t len, char *errstr)
{
	struct unpack *u = arg;
	if (!u->sn2.decided) {
		if (!sniff_fill(&u->sn2, &buf, &len))
			return 0;
		if (plain_decide(u, errstr) < 0)
			return -1;
	}
	return plain_pass(u, buf, len, errstr);
}

static int
plain_finish(struct unpack *u, char *errstr)
{
	if (!u->sn2.decided && plain_decide(u, errstr) < 0)
		return -1;
	if (u->st.is_rdb && rdb_check_end(&u->rdb) < 0)
		return errstr_set(errstr, "<stdin>: unpacked RDB: %s",
		    u->rdb.errstr);
	return 0;
}

static int
xz_start(struct unpack *u, char *errstr)
{
	if (xzs_decoder(&u->xz, u->cfg->threads, u->cfg->memlimit > 0 ?
	    u->cfg->memlimit : PACK_MEMLIMIT_DEFAULT, plain_write, u,
	    errstr) < 0)
		return -1;
	u->xz_on = 1;
	u->st.was_xz = 1;
	return 0;
}

static int
zstd_start(struct unpack *u, char *errstr)
{
	u->zs_on = 1;
	if (zstds_decoder(&u->zs, u->cfg->memlimit > 0 ? u->cfg->memlimit :
	    PACK_MEMLIMIT_DEFAULT, plain_write, u, errstr) < 0)
		return -1;
	u->st.was_zstd = 1;
	return 0;
}

/* Starts the decoder the magic calls for: returns the layer (L_ZSTD,
 * L_XZ, or L_UNKNOWN when it is neither), or -1. */
static int
codec_start(struct unpack *u, const void *buf, size_t len, char *errstr)
{
	if (zstds_sniff(buf, len))
		return zstd_start(u, errstr) < 0 ? -1 : L_ZSTD;
	if (xzs_sniff(buf, len))
		return xz_start(u, errstr) < 0 ? -1 : L_XZ;
	return L_UNKNOWN;
}

/* A compressed layer or plain data (with --raw). */
static int
layer_pass(struct unpack *u, int layer, const void *buf, size_t len,
    char *errstr)
{
	switch (layer) {
	case L_XZ:
		return xzs_write(&u->xz, buf, len, errstr);
	case L_ZSTD:
		return zstds_write(&u->zs, buf, len, errstr);
	default:
		return plain_write(u, buf, len, errstr);
	}
}

/* Inside age: zstd or xz, or plain data with --raw. */
static int
inner_decide(struct unpack *u, char *errstr)
{
	u->sn1.decided = 1;
	u->layer1 = codec_start(u, u->sn1.buf, u->sn1.n, errstr);
	if (u->layer1 < 0)
		return -1;
	if (u->layer1 == L_UNKNOWN) {
		if (!u->cfg->raw)
			return errstr_set(errstr,
			    "<stdin>: the decrypted data is neither zstd nor xz (use --raw to pass it through)");
		u->layer1 = L_RAW;
	}
	return layer_pass(u, u->layer1, u->sn1.buf, u->sn1.n, errstr);
}

static int
inner_write(void *arg, const void *buf, size_t len, char *errstr)
{
	struct unpack *u = arg;
	if (!u->sn1.decided) {
		if (!sniff_fill(&u->sn1, &buf, &len))
			return 0;
		if (inner_decide(u, errstr) < 0)
			return -1;
	}
	return layer_pass(u, u->layer1, buf, len, errstr);
}

static int
age_start(struct unpack *u, char *errstr)
{
	const struct unpack_cfg *cfg = u->cfg;
	int i;

	if (cfg->nidentity_files == 0 && cfg->passphrase == NULL)
		return errstr_set(errstr,
		    "<stdin>: age-encrypted: give an identity (-i) or a passphrase (--passphrase-file)");
	u->age = age_dec_new(inner_write, u, errstr);
	if (u->age == NULL)
		return -1;
	for (i = 0; i < cfg->nidentity_files; i++)
		if (age_dec_add_identities_text(u->age,
		    cfg->identity_files[i]->buf, cfg->identity_files[i]->len,
		    errstr) < 0)
			return key_file_error(cfg->identity_files[i], errstr);
	if (cfg->passphrase != NULL && age_dec_set_passphrase(u->age,
	    cfg->passphrase->buf, cfg->passphrase->len, errstr) < 0)
		return -1;
	if (cfg->max_log_n > 0)
		age_dec_set_max_log_n(u->age, cfg->max_log_n);
	u->st.was_age = 1;
	return 0;
}

static int
outer_pass(struct unpack *u, const void *buf, size_t len, char *errstr)
{
	if (u->layer0 == L_AGE) {
		if (age_dec_write(u->age, buf, len, errstr) < 0) {
			u->st.age_failure = age_dec_failure(u->age);
			return -1;
		}
		return 0;
	}
	return layer_pass(u, u->layer0, buf, len, errstr);
}

static int
outer_decide(struct unpack *u, char *errstr)
{
	const unsigned char *b = u->sn0.buf;
	size_t n = u->sn0.n;

	u->sn0.decided = 1;
	if (n == 0)
		return errstr_set(errstr, "<stdin>: empty input");
	/* Armored files go to the age decoder too, which says they are not
	 * supported rather than "not age". */
	if (age_sniff(b, n) || (n >= 22 && memcmp(b, ARMOR_BEGIN, 22) == 0)) {
		u->layer0 = L_AGE;
		if (age_start(u, errstr) < 0)
			return -1;
	} else {
		u->layer0 = codec_start(u, b, n, errstr);
		if (u->layer0 < 0)
			return -1;
		if (u->layer0 == L_UNKNOWN) {
			if (!u->cfg->raw)
				return errstr_set(errstr,
				    "<stdin>: not an age, zstd or xz file (use --raw for plain data)");
			u->layer0 = L_RAW;
		}
	}
	return outer_pass(u, b, n, errstr);
}

struct unpack *
unpack_new(const struct unpack_cfg *cfg, io_sink_fn sink, void *sink_arg,
    char *errstr)
{
	struct unpack *u;

	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		errstr_sys(errstr, "unpack");
		return NULL;
	}
	u->cfg = cfg;
	u->sink = sink;
	u->sink_arg = sink_arg;
	u->sn0.want = SNIFF_MAX;
	/* The longer of the two magics inside age (xz's; zstd's is 4). */
	u->sn1.want = XZ_MAGIC_LEN;
	u->sn2.want = 9;
	return u;
}

int
unpack_write(struct unpack *u, const void *buf, size_t len, char *errstr)
{
	u->st.in += len;
	if (!u->sn0.decided) {
		if (!sniff_fill(&u->sn0, &buf, &len))
			return 0;
		if (outer_decide(u, errstr) < 0)
			return -1;
	}
	return outer_pass(u, buf, len, errstr);
}

/* Layers end outside in, each flushing what it held into the next. */
int
unpack_finish(struct unpack *u, char *errstr)
{
	if (!u->sn0.decided && outer_decide(u, errstr) < 0)
		return -1;
	if (u->layer0 == L_AGE) {
		if (age_dec_finish(u->age, errstr) < 0) {
			u->st.age_failure = age_dec_failure(u->age);
			return -1;
		}
		if (!u->sn1.decided && inner_decide(u, errstr) < 0)
			return -1;
	}
	if (u->xz_on && xzs_finish(&u->xz, errstr) < 0)
		return -1;
	if (u->zs_on && zstds_finish(&u->zs, errstr) < 0)
		return -1;
	return plain_finish(u, errstr);
}

void
unpack_free(struct unpack *u, struct pack_stats *st)
{
	if (u == NULL)
		return;
	if (st != NULL) {
		*st = u->st;
		st->rdb_version = u->rdb.version;
		st->rdb_keys = u->rdb.keys;
		st->memlimit_hit = u->xz_on && u->xz.memlimit_hit;
		rdb_warning_copy(&u->rdb, st->rdb_warn, sizeof(st->rdb_warn));
	}
	if (u->xz_on)
		xzs_end(&u->xz);
	if (u->zs_on)
		zstds_end(&u->zs);
	if (u->age != NULL)
		age_dec_free(u->age);
	free(u);
}

int
unpack_sink(void *u, const void *buf, size_t len, char *errstr)
{
	return unpack_write(u, buf, len, errstr);
}
