/*
 * Static Large Objects: the upload (segments, two in flight, nested
 * manifests, clean-up), the verified download walking the manifest, and
 * the bulk delete.  See slo.h.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "slo.h"

struct slo_part *
slo_parts_add(struct slo_parts *pl, const char *fmt, ...)
{
	va_list ap;
	struct slo_part *p;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 64;

		p = realloc(pl->v, cap * sizeof(*p));
		if (p == NULL)
			return NULL;
		pl->v = p;
		pl->cap = cap;
	}
	p = &pl->v[pl->n];
	memset(p, 0, sizeof(*p));
	va_start(ap, fmt);
	if (vasprintf(&p->name, fmt, ap) < 0)
		p->name = NULL;
	va_end(ap);
	if (p->name == NULL)
		return NULL;
	pl->n++;
	return p;
}

void
slo_parts_free(struct slo_parts *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		free(pl->v[i].name);
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}

/* A manifest body under construction. */
struct mbuf {
	char	*b;
	size_t	 len, cap;
};

static int
mbuf_add(struct mbuf *m, const char *s, size_t n)
{
	char *b;

	if ((b = io_grow(m->b, &m->cap, m->len + n + 1, 4096)) == NULL)
		return -1;
	m->b = b;
	memcpy(m->b + m->len, s, n);
	m->len += n;
	m->b[m->len] = '\0';
	return 0;
}

/* One manifest entry as JSON; NULL when out of memory. */
static char *
entry_json(const char *segcont, const struct slo_part *p)
{
	char *path, *esc, *out = NULL;
	size_t n;

	if (asprintf(&path, "/%s/%s", segcont, p->name) < 0)
		return NULL;
	n = json_escape(NULL, 0, path) + 1;
	if ((esc = malloc(n)) != NULL) {
		json_escape(esc, n, path);
		if (asprintf(&out, "{\"path\":%s,\"etag\":\"%s\",\"size_bytes\":"
		    "%llu}", esc, p->etag, (unsigned long long)p->size) < 0)
			out = NULL;
	}
	free(esc);
	free(path);
	return out;
}

/*
 * Builds the manifest of parts [from, from + count) as far as the cluster
 * allows; returns the entries taken (0 on error) with the body in m and
 * its large-object ETag (MD5 of the segment ETags) and size in top.
 */
static size_t
manifest_build(const struct slo_parts *pl, size_t from, size_t count,
    const char *segcont, const struct swift_limits *lim, struct mbuf *m,
    struct slo_part *top)
{
	struct md5 md;
	size_t i;
	char *e;

	m->len = 0;
	if (mbuf_add(m, "[", 1) < 0)
		return 0;
	md5_init(&md);
	top->size = 0;
	for (i = 0; i < count && i < lim->max_manifest_segments; i++) {
		if ((e = entry_json(segcont, &pl->v[from + i])) == NULL)
			return 0;
		if (i > 0 && m->len + strlen(e) + 2 > lim->max_manifest_size) {
			free(e);
			break;
		}
		if ((i > 0 && mbuf_add(m, ",", 1) < 0) ||
		    mbuf_add(m, e, strlen(e)) < 0) {
			free(e);
			return 0;
		}
		free(e);
		md5_update(&md, pl->v[from + i].etag, MD5_HEX_LEN);
		top->size += pl->v[from + i].size;
	}
	if (mbuf_add(m, "]", 1) < 0)
		return 0;
	md5_final_hex(&md, top->etag);
	return i;
}

int
slo_manifests(struct slo_parts *pl, size_t nsegs, const char *segcont,
    const char *base, const struct swift_limits *lim,
    slo_put_manifest_fn put, void *arg, char *errstr)
{
	size_t from = 0, count = nsegs, took, done, level_start;
	struct mbuf m = { NULL, 0, 0 };
	struct slo_part top, *p;
	int level = 0, rc;

	if (nsegs == 0)
		return errstr_set(errstr, "manifest: nothing to list");
	memset(&top, 0, sizeof(top));
	for (;;) {
		took = manifest_build(pl, from, count, segcont, lim, &m, &top);
		if (took == 0) {
			free(m.b);
			return errstr_sys(errstr, "manifest");
		}
		if (took == count)
			break;
		/* Sub-manifests for this level, then their own list. */
		level++;
		level_start = pl->n;
		for (done = 0; done < count; done += took) {
			took = manifest_build(pl, from + done, count - done,
			    segcont, lim, &m, &top);
			if (took == 0 || (p = slo_parts_add(pl, "%s/manifest-%d-"
			    "%08zu", base, level, pl->n - level_start)) ==
			    NULL) {
				free(m.b);
				return errstr_sys(errstr, "manifest");
			}
			memcpy(p->etag, top.etag, sizeof(p->etag));
			p->size = top.size;
			if (put(arg, p, m.b, m.len, p->etag, errstr) < 0) {
				free(m.b);
				return -1;
			}
		}
		/* Limits that take one entry a manifest would never end. */
		if (pl->n - level_start >= count) {
			free(m.b);
			return errstr_set(errstr, "manifest: the cluster's "
			    "limits fit one entry a manifest");
		}
		from = level_start;
		count = pl->n - level_start;
	}
	rc = put(arg, NULL, m.b, m.len, top.etag, errstr);
	free(m.b);
	return rc;
}

int
slo_is_md5_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n == MD5_HEX_LEN && s[n] == '\0';
}

/* Splits a manifest entry's "/container/object" name, neither empty. */
static int
split_name(const char *name, char **container, const char **object)
{
	const char *slash;

	/* "//object" would name no container: the account itself. */
	if (name == NULL || name[0] != '/' ||
	    (slash = strchr(name + 1, '/')) == NULL || slash == name + 1 ||
	    slash[1] == '\0')
		return -1;
	*container = strndup(name + 1, (size_t)(slash - name - 1));
	*object = slash + 1;
	return *container != NULL ? 0 : -1;
}

/* Checks entry e into s; returns SLO_GOOD or why not. */
static enum slo_bad
parse_entry(const struct json *e, struct slo_seg *s)
{
	const struct json *sub;

	memset(s, 0, sizeof(*s));
	s->name = json_get_str(e, "name");
	s->hash = json_get_str(e, "hash");
	sub = json_get(e, "sub_slo");
	s->sub = sub != NULL && sub->type == JSON_TRUE;
	if (s->hash == NULL || json_get_u64(e, "bytes", &s->bytes) < 0 ||
	    split_name(s->name, &s->container, &s->object) < 0)
		return SLO_BAD_ENTRY;
	if (json_get(e, "range") != NULL)
		return SLO_BAD_RANGE;
	/* A sub-manifest's hash is never sent: only a segment's must be
	 * fit for If-Match. */
	if (!s->sub && !slo_is_md5_hex(s->hash))
		return SLO_BAD_HASH;
	return SLO_GOOD;
}

int
slo_parse(const char *body, size_t len, uint64_t total, const char *what,
    struct slo_manifest *m, char *errstr)
{
	const struct json *e;
	struct slo_seg s;
	char je[ERRSTR_LEN];
	uint64_t sum = 0;

	memset(m, 0, sizeof(*m));
	if ((m->json = json_parse(body, len, je)) == NULL) {
		m->bad = SLO_BAD_JSON;
		return errstr_set(errstr, "%s: manifest: %s", what, je);
	}
	if (m->json->type != JSON_ARRAY) {
		m->bad = SLO_BAD_LIST;
		return errstr_set(errstr, "%s: the manifest is no list", what);
	}
	if (m->json->n == 0) {
		m->bad = SLO_BAD_LIST;
		return errstr_set(errstr, "%s: the manifest lists nothing",
		    what);
	}
	if ((m->seg = calloc(m->json->n, sizeof(*m->seg))) == NULL) {
		m->bad = SLO_BAD_LIST;
		return errstr_sys(errstr, "%s: manifest", what);
	}
	for (e = m->json->child; e != NULL; e = e->next) {
		m->bad = parse_entry(e, &s);
		switch (m->bad) {
		case SLO_GOOD:
			break;
		case SLO_BAD_ENTRY:
			free(s.container);
			return errstr_set(errstr, "%s: a manifest entry without "
			    "name, hash or bytes", what);
		case SLO_BAD_RANGE:
			free(s.container);
			return errstr_set(errstr, "%s: %s: segment ranges are "
			    "not supported", what, s.name);
		case SLO_BAD_HASH:
			free(s.container);
			return errstr_set(errstr, "%s: entry %zu: the manifest's "
			    "hash is not 32 hex digits", what, m->n);
		case SLO_BAD_JSON:
		case SLO_BAD_LIST:
		case SLO_BAD_SIZES:
			abort();
		}
		m->seg[m->n++] = s;
		/* Each entry is at most 64 MiB of JSON away from the next:
		 * no sum of them can wrap, but a hostile size can. */
		if (s.bytes > UINT64_MAX - sum) {
			m->bad = SLO_BAD_SIZES;
			return errstr_set(errstr, "%s: the manifest's sizes add "
			    "up to more than 2^64 bytes", what);
		}
		sum += s.bytes;
	}
	if (total != UINT64_MAX && sum != total) {
		m->bad = SLO_BAD_SIZES;
		return errstr_set(errstr, "%s: the manifest's sizes add up to "
		    "%llu bytes, not %llu", what, (unsigned long long)sum,
		    (unsigned long long)total);
	}
	return 0;
}

void
slo_manifest_free(struct slo_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->seg[i].container);
	free(m->seg);
	json_free(m->json);
	memset(m, 0, sizeof(*m));
}

int
slo_meta_ok(const char *kv, const char **eq)
{
	const char *p;

	*eq = strchr(kv, '=');
	if (*eq == NULL || *eq == kv)
		return 0;
	for (p = kv; p < *eq; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	for (p = *eq + 1; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* A request with no body and nothing kept, for HEAD and DELETE. */
static int
simple_request(struct swift_ctx *c, const char *method, const char *container,
    const char *object, struct swift_resp *resp, char *errstr)
{
	struct swift_req r;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.container = container;
	r.object = object;
	if (swift_request(c, &r, resp, errstr) < 0)
		return -1;
	free(resp->body);
	resp->body = NULL;
	return 0;
}

int
slo_head(struct swift_ctx *c, const char *container, const char *object,
    struct swift_resp *resp, char *errstr)
{
	if (simple_request(c, "HEAD", container, object, resp, errstr) < 0)
		return -1;
	if (resp->status == 404)
		return 0;
	if (resp->status >= 200 && resp->status < 300)
		return 1;
	return errstr_set(errstr, "HEAD %s/%s: HTTP %ld", container, object,
	    resp->status);
}

/*
 * A segment uploader.  Swift answers a PUT only once the object server has
 * flushed it to disk, and the connection idles meanwhile; two segments in
 * flight, each on a connection of its own, keep it busy.  Each slot owns
 * one of the two segment buffers, so memory stays at two segments: a
 * buffer is filled again only once its upload has been answered.
 */
struct slot {
	pthread_t		 thread;
	int			 running;
	struct slo_put		*sp;
	struct swift_ctx	*c;
	const char		*buf;
	size_t			 len;
	const char		*name;		/* the part's, kept in parts */
	char			 etag[MD5_HEX_LEN + 1];
	int			 rc;
	char			 errstr[ERRSTR_LEN];
};

struct slo_put {
	struct swift_ctx	*c;
	const char		*container;
	const char		*object;
	char			*segcont;
	char			*base;		/* "OBJECT/slo/PREFIX" */
	char			*hdrs[SLO_MAX_META + 2];	/* metadata, expiry */
	int			 nhdrs;
	int			 nmeta;		/* X-Object-Meta- among them */
	const char		*meta_file;
	int			 force;
	uint64_t		 segsize;
	int			 segsize_set;
	struct slo_parts	 parts;		/* segments, then manifests */
	struct swift_limits	 lim;

	/* The input: buf[cur] fills while buf[!cur] may be uploading. */
	char			*buf[2];
	struct md5		 md5[2];
	int			 cur;
	size_t			 fill;
	int			 large;		/* past the first segment */
	size_t			 nsegs;
	struct slot		 slot[2];
	/* Set on a failure or an interruption: the segment uploads stop. */
	volatile sig_atomic_t	*halt;
	volatile sig_atomic_t	 own_halt;

	/* slo_put_pump: mu is held by each write; once abandoned is set
	 * under it, the pump thread no longer touches anything but the
	 * fields below it, and sp is never freed. */
	pthread_mutex_t		 mu;
	int			 abandoned;
	pthread_mutex_t		 pmu;
	pthread_cond_t		 pcv;
	int			 pumping, pdone, prc;
	int			 pfd;
	const char		*pname;
	struct progress		*ppr;
	char			 perr[ERRSTR_LEN];
};

static int add_header(struct slo_put *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
add_header(struct slo_put *sp, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&sp->hdrs[sp->nhdrs], fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	sp->nhdrs++;
	return 0;
}

struct slo_put *
slo_put_new(const struct slo_put_cfg *cfg, char *errstr)
{
	struct slo_put *sp;
	const char *eq;
	int i;

	if (cfg->nmeta > SLO_MAX_META)
		return errstr_set(errstr, "-m: too many"), NULL;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return errstr_sys(errstr, "upload"), NULL;
	sp->c = cfg->c;
	sp->container = cfg->container;
	sp->object = cfg->object;
	sp->meta_file = cfg->meta_file;
	sp->force = cfg->force;
	sp->segsize = cfg->segment_size;
	sp->segsize_set = cfg->segment_size_set;
	sp->halt = cfg->halt != NULL ? cfg->halt : &sp->own_halt;
	pthread_mutex_init(&sp->mu, NULL);
	pthread_mutex_init(&sp->pmu, NULL);
	pthread_cond_init(&sp->pcv, NULL);
	if (asprintf(&sp->segcont, "%s_segments", sp->container) < 0) {
		sp->segcont = NULL;
		goto fail;
	}
	for (i = 0; i < cfg->nmeta; i++) {
		if (!slo_meta_ok(cfg->meta[i], &eq)) {
			errstr_set(errstr, "-m: expected KEY=VALUE with a key of "
			    "letters, digits, '-' and '_': '%s'", cfg->meta[i]);
			slo_put_free(sp);
			return NULL;
		}
		if (add_header(sp, "X-Object-Meta-%.*s: %s",
		    (int)(eq - cfg->meta[i]), cfg->meta[i], eq + 1) < 0)
			goto fail;
		sp->nmeta++;
	}
	/* One absolute expiry for the manifest and every segment, so that
	 * no segment goes before the object that needs it. */
	if (cfg->delete_at != 0 && add_header(sp, "X-Delete-At: %llu",
	    (unsigned long long)cfg->delete_at) < 0)
		goto fail;
	return sp;
fail:
	errstr_sys(errstr, "upload");
	slo_put_free(sp);
	return NULL;
}

/* The headers for a PUT: the caller's, then the common ones. */
static const char **
put_headers(const struct slo_put *sp, const char *const *first, int nfirst)
{
	const char **h = calloc((size_t)(nfirst + sp->nhdrs + 1), sizeof(*h));
	int i;

	if (h == NULL)
		return NULL;
	for (i = 0; i < nfirst; i++)
		h[i] = first[i];
	for (i = 0; i < sp->nhdrs; i++)
		h[nfirst + i] = sp->hdrs[i];
	return h;
}

/* PUTs body to container/name, creating the container when it is missing;
 * returns 0 with resp filled (status judged by the caller) or -1. */
static int
put_object(struct swift_ctx *c, const char *container, const char *name,
    const char *query, const char *const *hdrs, const void *body, size_t len,
    struct swift_resp *resp, char *errstr)
{
	struct swift_req r;
	struct swift_resp cresp;
	int made = 0;

	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.container = container;
	r.object = name;
	r.query = query;
	r.headers = hdrs;
	r.body = body;
	r.body_len = len;
	for (;;) {
		if (swift_request(c, &r, resp, errstr) < 0)
			return -1;
		free(resp->body);
		resp->body = NULL;
		if (resp->status != 404 || made)
			return 0;
		if (simple_request(c, "PUT", container, NULL, &cresp,
		    errstr) < 0)
			return -1;
		if (cresp.status != 201 && cresp.status != 202)
			return errstr_set(errstr, "PUT %s: HTTP %ld",
			    container, cresp.status);
		made = 1;
	}
}

/* Judges the final PUT of OBJECT (plain or manifest) against etag, the
 * ETag it must end with. */
static int
check_final(struct slo_put *sp, struct swift_resp *resp, const char *etag,
    char *errstr)
{
	struct swift_resp head;

	if (resp->status == 201)
		return 0;
	if (resp->status == 412) {
		/* An earlier try that lost its reply may have stored it. */
		if (resp->tries > 1 && slo_head(sp->c, sp->container,
		    sp->object, &head, errstr) == 1 &&
		    strcmp(head.etag, etag) == 0)
			return 0;
		return errstr_set(errstr, "%s/%s: already exists (use -f to "
		    "overwrite)", sp->container, sp->object);
	}
	return errstr_set(errstr, "PUT %s/%s: HTTP %ld", sp->container,
	    sp->object, resp->status);
}

/*
 * --meta-file: KEY=VALUE lines read when the input has ended, so that the
 * stage before swift-put can say what it saw (rdb-snap --info-file).  It
 * runs only with no segment upload in flight: the headers are not shared
 * with a running thread.
 */
static int
load_meta_file(struct slo_put *sp, char *errstr)
{
	char line[1024];
	const char *eq;
	size_t n;
	FILE *f;
	int lineno = 0, i;

	if (sp->meta_file == NULL)
		return 0;
	if (sp->slot[0].running || sp->slot[1].running)
		abort();
	if ((f = fopen(sp->meta_file, "re")) == NULL)
		return errstr_sys(errstr, "%s", sp->meta_file);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f))
			goto bad;
		if (n == 0)
			continue;
		if (!slo_meta_ok(line, &eq) || sp->nmeta == SLO_MAX_META)
			goto bad;
		for (i = 0; i < sp->nhdrs; i++)
			if (strncasecmp(sp->hdrs[i], "X-Object-Meta-", 14) ==
			    0 && strncasecmp(sp->hdrs[i] + 14, line,
			    (size_t)(eq - line)) == 0 &&
			    sp->hdrs[i][14 + (eq - line)] == ':')
				goto bad;
		if (add_header(sp, "X-Object-Meta-%.*s: %s", (int)(eq - line),
		    line, eq + 1) < 0) {
			fclose(f);
			return errstr_sys(errstr, "%s", sp->meta_file);
		}
		sp->nmeta++;
	}
	if (ferror(f)) {
		fclose(f);
		return errstr_sys(errstr, "%s", sp->meta_file);
	}
	fclose(f);
	sp->meta_file = NULL;	/* once */
	return 0;
bad:
	fclose(f);
	return errstr_set(errstr, "%s: line %d: expected KEY=VALUE with a new "
	    "key of letters, digits, '-' and '_' (at most %d in all)",
	    sp->meta_file, lineno, SLO_MAX_META);
}

/* The whole input in one PUT carrying its MD5. */
static int
put_plain(struct slo_put *sp, const char *buf, size_t len, struct md5 *m,
    char *errstr)
{
	char etag[MD5_HEX_LEN + 1], etaghdr[64];
	const char *first[3];
	const char **hdrs;
	struct swift_resp resp;
	int n = 0, rc;

	if (load_meta_file(sp, errstr) < 0)
		return -1;
	md5_final_hex(m, etag);
	snprintf(etaghdr, sizeof(etaghdr), "ETag: %s", etag);
	first[n++] = etaghdr;
	first[n++] = "Content-Type: application/octet-stream";
	if (!sp->force)
		first[n++] = "If-None-Match: *";
	if ((hdrs = put_headers(sp, first, n)) == NULL)
		return errstr_sys(errstr, "PUT");
	rc = put_object(sp->c, sp->container, sp->object, NULL, hdrs, buf, len,
	    &resp, errstr);
	free(hdrs);
	if (rc < 0)
		return -1;
	return check_final(sp, &resp, etag, errstr);
}

static void *
slot_main(void *arg)
{
	struct slot *s = arg;
	struct slo_put *sp = s->sp;
	char etaghdr[64];
	const char *first[1] = { etaghdr };
	const char **hdrs;
	struct swift_resp resp;

	snprintf(etaghdr, sizeof(etaghdr), "ETag: %s", s->etag);
	if ((hdrs = put_headers(sp, first, 1)) == NULL) {
		s->rc = errstr_sys(s->errstr, "PUT");
		return NULL;
	}
	s->rc = put_object(s->c, sp->segcont, s->name, NULL, hdrs, s->buf,
	    s->len, &resp, s->errstr);
	free(hdrs);
	if (s->rc < 0)
		return NULL;
	if (resp.status != 201)
		s->rc = errstr_set(s->errstr, "PUT %s/%s: HTTP %ld",
		    sp->segcont, s->name, resp.status);
	else if (strcmp(resp.etag, s->etag) != 0)
		s->rc = errstr_set(s->errstr, "PUT %s/%s: ETag %s, sent %s",
		    sp->segcont, s->name, resp.etag, s->etag);
	return NULL;
}

/* Starts thread fn(arg) with every signal blocked: they go to the main
 * thread, which can act on them; returns 0 or an errno. */
static int
start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Starts the upload of the current buffer as the next segment. */
static int
slot_start(struct slo_put *sp, char *errstr)
{
	struct slot *s = &sp->slot[sp->cur];
	struct slo_part *p;
	int rc;

	/* Recorded before the PUT: a lost reply may hide a stored one. */
	if ((p = slo_parts_add(&sp->parts, "%s/%08zu", sp->base,
	    sp->nsegs)) == NULL)
		return errstr_sys(errstr, "segment");
	sp->nsegs++;
	p->size = sp->fill;
	md5_final_hex(&sp->md5[sp->cur], p->etag);
	memcpy(s->etag, p->etag, sizeof(s->etag));
	s->sp = sp;
	s->buf = sp->buf[sp->cur];
	s->len = sp->fill;
	s->name = p->name;
	s->rc = 0;
	if ((rc = start_thread(&s->thread, slot_main, s)) != 0) {
		errno = rc;
		return errstr_sys(errstr, "PUT: thread");
	}
	s->running = 1;
	return 0;
}

/* Waits for slot s (halt makes its request stop soon); returns its
 * result, with its message in errstr. */
static int
slot_wait(struct slot *s, char *errstr)
{
	if (!s->running)
		return 0;
	pthread_join(s->thread, NULL);
	s->running = 0;
	if (s->rc < 0)
		memcpy(errstr, s->errstr, ERRSTR_LEN);
	return s->rc;
}

/* The input outgrows one segment: the cluster's limits, the segment
 * names, the two connections. */
static int
large_start(struct slo_put *sp, char *errstr)
{
	struct timeval tv;
	char have[32], min[32];
	int i;

	if (swift_info(sp->c, &sp->lim, errstr) < 0)
		return -1;
	if (sp->segsize < sp->lim.min_segment_size) {
		progress_fmt_bytes(have, sizeof(have), sp->segsize);
		progress_fmt_bytes(min, sizeof(min), sp->lim.min_segment_size);
		return errstr_set(errstr, "segment size %s is below the "
		    "cluster's min_segment_size of %s%s", have, min,
		    sp->segsize_set ? "" : " (set -S)");
	}
	if (sp->segsize > sp->lim.max_file_size)
		return errstr_set(errstr, "segment size is above the cluster's "
		    "max_file_size of %llu bytes",
		    (unsigned long long)sp->lim.max_file_size);
	gettimeofday(&tv, NULL);
	if (asprintf(&sp->base, "%s/slo/%lld.%06ld/%llu", sp->object,
	    (long long)tv.tv_sec, (long)tv.tv_usec,
	    (unsigned long long)sp->segsize) < 0) {
		sp->base = NULL;
		return errstr_sys(errstr, "segment");
	}
	/* Each slot has a connection of its own, with the token the main
	 * one holds now. */
	for (i = 0; i < 2; i++) {
		if ((sp->slot[i].c = swift_dup(sp->c, errstr)) == NULL)
			return -1;
		swift_set_stop(sp->slot[i].c, sp->halt);
	}
	sp->large = 1;
	return 0;
}

static int
buf_alloc(struct slo_put *sp, int i, char *errstr)
{
	if (sp->buf[i] == NULL && (sp->buf[i] = malloc(sp->segsize)) == NULL)
		return errstr_sys(errstr, "segment buffer");
	return 0;
}

/* The current buffer goes up as a segment; the other one, once its own
 * upload is answered, becomes the current one. */
static int
segment_out(struct slo_put *sp, char *errstr)
{
	int cur = sp->cur;

	if (buf_alloc(sp, !cur, errstr) < 0)
		return -1;
	if (!sp->large && large_start(sp, errstr) < 0)
		return -1;
	/* The first segment goes alone: it creates the segments container
	 * when missing, which two at once would race. */
	if (sp->nsegs == 1 && slot_wait(&sp->slot[!cur], errstr) < 0)
		return -1;
	if (slot_start(sp, errstr) < 0 ||
	    slot_wait(&sp->slot[!cur], errstr) < 0)
		return -1;
	sp->cur = !cur;
	sp->fill = 0;
	md5_init(&sp->md5[sp->cur]);
	return 0;
}

static int
put_write(struct slo_put *sp, const char *p, size_t len, char *errstr)
{
	size_t n;

	if (*sp->halt)
		return errstr_set(errstr, "upload: halted");
	if (sp->buf[0] == NULL) {
		if (buf_alloc(sp, 0, errstr) < 0)
			return -1;
		md5_init(&sp->md5[0]);
	}
	while (len > 0) {
		/* A full buffer with more after it: a large object. */
		if (sp->fill == sp->segsize && segment_out(sp, errstr) < 0) {
			*sp->halt = 1;
			return -1;
		}
		n = sp->segsize - sp->fill < len ? sp->segsize - sp->fill : len;
		memcpy(sp->buf[sp->cur] + sp->fill, p, n);
		md5_update(&sp->md5[sp->cur], p, n);
		sp->fill += n;
		p += n;
		len -= n;
	}
	return 0;
}

int
slo_put_write(struct slo_put *sp, const void *buf, size_t len, char *errstr)
{
	int rc;

	pthread_mutex_lock(&sp->mu);
	if (sp->abandoned)
		rc = errstr_set(errstr, "upload: interrupted");
	else
		rc = put_write(sp, buf, len, errstr);
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int
slo_put_sink(void *sp, const void *buf, size_t len, char *errstr)
{
	return slo_put_write(sp, buf, len, errstr);
}

static void *
pump_main(void *arg)
{
	struct slo_put *sp = arg;
	char e[ERRSTR_LEN];
	int rc;

	rc = io_pump(sp->pfd, sp->pname, slo_put_sink, sp, sp->ppr, e);
	pthread_mutex_lock(&sp->pmu);
	sp->prc = rc;
	memcpy(sp->perr, e, sizeof(e));
	sp->pdone = 1;
	pthread_cond_signal(&sp->pcv);
	pthread_mutex_unlock(&sp->pmu);
	return NULL;
}

int
slo_put_pump(struct slo_put *sp, int fd, const char *name,
    struct progress *pr, volatile sig_atomic_t *stop, char *errstr)
{
	pthread_t t;
	struct timespec ts;
	int rc;

	sp->pfd = fd;
	sp->pname = name;
	sp->ppr = pr;
	if ((rc = start_thread(&t, pump_main, sp)) != 0) {
		errno = rc;
		return errstr_sys(errstr, "read %s: thread", name);
	}
	sp->pumping = 1;
	pthread_mutex_lock(&sp->pmu);
	while (!sp->pdone && !*stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sp->pcv, &sp->pmu, &ts);
	}
	pthread_mutex_unlock(&sp->pmu);
	if (!sp->pdone) {
		/* Uploads stop, then the pump thread is cut off; it stays
		 * blocked on fd until exit. */
		*sp->halt = 1;
		pthread_mutex_lock(&sp->mu);
		sp->abandoned = 1;
		pthread_mutex_unlock(&sp->mu);
		return errstr_set(errstr, "read %s: interrupted", name);
	}
	pthread_join(t, NULL);
	sp->pumping = 0;
	if (sp->prc < 0)
		memcpy(errstr, sp->perr, ERRSTR_LEN);
	return sp->prc;
}

/* Puts one manifest for slo_manifests: a sub-manifest in the segments
 * container, or the top one under OBJECT. */
static int
put_manifest(void *arg, const struct slo_part *part, const char *body,
    size_t len, const char *etag, char *errstr)
{
	struct slo_put *sp = arg;
	const char *first[2] = { NULL, NULL };
	const char **hdrs;
	struct swift_resp resp;
	int n = 0, rc;

	if (part == NULL) {
		first[n++] = "Content-Type: application/octet-stream";
		if (!sp->force)
			first[n++] = "If-None-Match: *";
	}
	if ((hdrs = put_headers(sp, first, n)) == NULL)
		return errstr_sys(errstr, "PUT");
	rc = put_object(sp->c, part ? sp->segcont : sp->container,
	    part ? part->name : sp->object, "multipart-manifest=put", hdrs,
	    body, len, &resp, errstr);
	free(hdrs);
	if (rc < 0)
		return -1;
	if (part == NULL)
		return check_final(sp, &resp, etag, errstr);
	if (resp.status != 201)
		return errstr_set(errstr, "PUT %s/%s: HTTP %ld", sp->segcont,
		    part->name, resp.status);
	return 0;
}

/* Stops and waits for the uploads, and lets their connections go. */
static void
slots_end(struct slo_put *sp, int halt)
{
	char ignored[ERRSTR_LEN];
	int i;

	if (halt)
		*sp->halt = 1;
	for (i = 0; i < 2; i++) {
		slot_wait(&sp->slot[i], ignored);
		swift_free(sp->slot[i].c);
		sp->slot[i].c = NULL;
	}
}

int
slo_put_finish(struct slo_put *sp, char *errstr)
{
	int cur = sp->cur, rc;

	if (sp->buf[0] == NULL && put_write(sp, "", 0, errstr) < 0)
		return -1;
	if (!sp->large)
		return put_plain(sp, sp->buf[0], sp->fill, &sp->md5[0], errstr);
	/* The last segment (never empty: a buffer is made current only for
	 * bytes that follow a full one). */
	if ((sp->nsegs == 1 && slot_wait(&sp->slot[!cur], errstr) < 0) ||
	    slot_start(sp, errstr) < 0 ||
	    slot_wait(&sp->slot[0], errstr) < 0 ||
	    slot_wait(&sp->slot[1], errstr) < 0) {
		*sp->halt = 1;
		return -1;
	}
	slots_end(sp, 0);
	if (load_meta_file(sp, errstr) < 0)
		return -1;
	rc = slo_manifests(&sp->parts, sp->nsegs, sp->segcont, sp->base,
	    &sp->lim, put_manifest, sp, errstr);
	return rc;
}

size_t
slo_put_nparts(const struct slo_put *sp)
{
	return sp->parts.n;
}

const char *
slo_put_segcont(const struct slo_put *sp)
{
	return sp->segcont;
}

size_t
slo_put_cleanup(struct slo_put *sp, void (*warn)(const char *msg),
    size_t *removed)
{
	struct swift_resp resp;
	char e[ERRSTR_LEN], msg[ERRSTR_LEN + 16];
	size_t i, left = 0;

	/* Uploads still running are stopped and waited for: the clean-up
	 * must not race a segment that is still being written. */
	slots_end(sp, 1);
	swift_set_stop(sp->c, NULL);
	for (i = sp->parts.n; i-- > 0;) {
		if (simple_request(sp->c, "DELETE", sp->segcont,
		    sp->parts.v[i].name, &resp, e) < 0) {
			snprintf(msg, sizeof(msg), "clean-up: %s", e);
		} else if (resp.status != 204 && resp.status != 404) {
			snprintf(msg, sizeof(msg), "clean-up: DELETE %s/%s: "
			    "HTTP %ld", sp->segcont, sp->parts.v[i].name,
			    resp.status);
		} else
			continue;
		if (warn != NULL)
			warn(msg);
		left++;
	}
	*removed = sp->parts.n - left;
	return left;
}

void
slo_put_free(struct slo_put *sp)
{
	int i;

	if (sp == NULL)
		return;
	slots_end(sp, 1);
	for (i = 0; i < sp->nhdrs; i++)
		free(sp->hdrs[i]);
	sp->nhdrs = 0;
	slo_parts_free(&sp->parts);
	free(sp->segcont);
	free(sp->base);
	free(sp->buf[0]);
	free(sp->buf[1]);
	sp->buf[0] = sp->buf[1] = NULL;
	/* A pump thread left blocked on its input still holds sp. */
	if (sp->pumping)
		return;
	pthread_mutex_destroy(&sp->mu);
	pthread_mutex_destroy(&sp->pmu);
	pthread_cond_destroy(&sp->pcv);
	free(sp);
}

/* A download: where the bytes go, MD5 of the current piece, the counts. */
struct get {
	struct swift_ctx	*c;
	const char		*container;
	const char		*object;
	io_sink_fn		 sink;
	void			*sink_arg;
	struct progress		*pr;
	struct md5		 md5;
	uint64_t		 piece;		/* bytes of the current piece */
	uint64_t		 total;		/* bytes written */
	size_t			 nseg;		/* leaf segments so far */
};

static int
get_sink(void *arg, const void *buf, size_t len, char *errstr)
{
	struct get *g = arg;

	md5_update(&g->md5, buf, len);
	if (g->sink(g->sink_arg, buf, len, errstr) < 0)
		return -1;
	g->piece += len;
	g->total += len;
	progress_add(g->pr, len);
	return 0;
}

/* GETs container/name into the output, sending If-Match etag (unless
 * empty); returns 0 with resp filled (status judged by the caller) or -1. */
static int
fetch(struct get *g, const char *container, const char *name,
    const char *etag, struct swift_resp *resp, char *errstr)
{
	char ifmatch[SWIFT_ETAG_LEN + 16];
	const char *hdrs[2] = { ifmatch, NULL };
	struct swift_req r;
	int rc;

	snprintf(ifmatch, sizeof(ifmatch), "If-Match: \"%s\"", etag);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.container = container;
	r.object = name;
	r.headers = etag[0] != '\0' ? hdrs : NULL;
	r.sink = get_sink;
	r.sink_arg = g;
	md5_init(&g->md5);
	g->piece = 0;
	rc = swift_request(g->c, &r, resp, errstr);
	if (rc == 0) {
		free(resp->body);
		resp->body = NULL;
	}
	return rc;
}

/* Streams one leaf segment and checks it against its manifest entry. */
static int
get_segment(struct get *g, const struct slo_seg *s, char *errstr)
{
	struct swift_resp resp;
	uint64_t off = g->total;
	size_t idx = g->nseg++;
	char got[MD5_HEX_LEN + 1];

	if (fetch(g, s->container, s->object, s->hash, &resp, errstr) < 0)
		return -1;
	if (resp.status == 412)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu "
		    "(%s/%s) has changed since the manifest was written",
		    g->container, g->object, idx, (unsigned long long)off,
		    s->container, s->object);
	if (resp.status == 404)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu "
		    "(%s/%s) is missing", g->container, g->object, idx,
		    (unsigned long long)off, s->container, s->object);
	if (resp.status != 200)
		return errstr_set(errstr, "GET %s/%s: HTTP %ld", s->container,
		    s->object, resp.status);
	md5_final_hex(&g->md5, got);
	if (strcasecmp(got, s->hash) != 0)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu: "
		    "MD5 mismatch (expected %s, got %s)", g->container,
		    g->object, idx, (unsigned long long)off, s->hash, got);
	if (g->piece != s->bytes)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu: "
		    "%llu bytes, the manifest says %llu", g->container,
		    g->object, idx, (unsigned long long)off,
		    (unsigned long long)g->piece,
		    (unsigned long long)s->bytes);
	return 0;
}

/*
 * Reads a manifest (?multipart-manifest=get) whose entries must add up to
 * total bytes and streams its entries in order: those before a bad entry
 * go out before the failure, as they would from a server that checked
 * each one as it came to it.
 */
static int
get_manifest(struct get *g, const char *container, const char *name,
    uint64_t total, int depth, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;
	struct slo_manifest m;
	char what[ERRSTR_LEN], perr[ERRSTR_LEN];
	size_t i, n;
	int bad, rc = 0;

	if (depth > SLO_MAX_DEPTH)
		return errstr_set(errstr, "%s/%s: manifests nested more than "
		    "%d deep", g->container, g->object, SLO_MAX_DEPTH);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.container = container;
	r.object = name;
	r.query = "multipart-manifest=get";
	r.capture_max = SLO_MANIFEST_MAX;
	if (swift_request(g->c, &r, &resp, errstr) < 0)
		return -1;
	if (resp.status != 200) {
		free(resp.body);
		return errstr_set(errstr, "GET %s/%s?multipart-manifest=get: "
		    "HTTP %ld", container, name, resp.status);
	}
	snprintf(what, sizeof(what), "%s/%s", g->container, g->object);
	bad = slo_parse(resp.body ? resp.body : "", resp.body_len, total,
	    what, &m, perr) < 0;
	free(resp.body);
	/* Sizes that do not add up: nothing goes out. */
	n = bad && m.bad == SLO_BAD_SIZES ? 0 : m.n;
	for (i = 0; rc == 0 && i < n; i++)
		rc = m.seg[i].sub ? get_manifest(g, m.seg[i].container,
		    m.seg[i].object, m.seg[i].bytes, depth + 1, errstr) :
		    get_segment(g, &m.seg[i], errstr);
	if (rc == 0 && bad) {
		if (m.bad == SLO_BAD_HASH)
			rc = errstr_set(errstr, "%s/%s: segment %zu at offset "
			    "%llu: the manifest's hash is not 32 hex digits",
			    g->container, g->object, g->nseg,
			    (unsigned long long)g->total);
		else if (m.bad == SLO_BAD_JSON)
			/* A manifest that is no JSON is named itself. */
			rc = errstr_set(errstr, "%s/%s: %s", container, name,
			    perr + strlen(what) + 2);
		else
			rc = errstr_set(errstr, "%s", perr);
	}
	slo_manifest_free(&m);
	return rc;
}

/* Streams a plain object and checks its MD5 against the ETag. */
static int
get_plain(struct get *g, const char *etag, char *errstr)
{
	struct swift_resp resp;
	char got[MD5_HEX_LEN + 1];

	if (fetch(g, g->container, g->object, etag, &resp, errstr) < 0)
		return -1;
	if (resp.status == 412)
		return errstr_set(errstr, "%s/%s: changed while being read",
		    g->container, g->object);
	if (resp.status == 404)
		return errstr_set(errstr, "%s/%s: not found", g->container,
		    g->object);
	if (resp.status != 200)
		return errstr_set(errstr, "GET %s/%s: HTTP %ld", g->container,
		    g->object, resp.status);
	md5_final_hex(&g->md5, got);
	if (strcmp(got, etag) != 0)
		return errstr_set(errstr, "%s/%s: MD5 mismatch at offset 0 "
		    "(expected %s, got %s)", g->container, g->object, etag,
		    got);
	return 0;
}

int
slo_get(struct swift_ctx *c, const char *container, const char *object,
    const struct swift_resp *head, io_sink_fn sink, void *sink_arg,
    struct progress *pr, uint64_t *total, char *errstr)
{
	struct swift_resp resp;
	struct get g;
	int rc;

	memset(&g, 0, sizeof(g));
	g.c = c;
	g.container = container;
	g.object = object;
	g.sink = sink;
	g.sink_arg = sink_arg;
	g.pr = pr;
	if (head->slo)
		rc = get_manifest(&g, container, object, head->length, 0,
		    errstr);
	else if (head->dlo) {
		/* A dynamic large object's ETag covers its segments' ETags,
		 * not the bytes: nothing to check them against. */
		rc = fetch(&g, container, object, "", &resp, errstr);
		if (rc == 0 && resp.status != 200)
			rc = errstr_set(errstr, "GET %s/%s: HTTP %ld",
			    container, object, resp.status);
	} else
		rc = get_plain(&g, head->etag, errstr);
	*total = g.total;
	if (rc == 0 && g.total != head->length)
		rc = errstr_set(errstr, "%s/%s: %llu bytes read, %llu expected",
		    container, object, (unsigned long long)g.total,
		    (unsigned long long)head->length);
	return rc;
}

int
slo_bulk_report(const char *name, const char *body, size_t len,
    char *errstr)
{
	const struct json *errs, *first, *why;
	const char *status;
	struct json *j;
	char e[ERRSTR_LEN];
	int rc = 0;

	if ((j = json_parse(body, len, e)) == NULL)
		return errstr_set(errstr, "DELETE %s: report: %s", name, e);
	status = json_get_str(j, "Response Status");
	errs = json_get(j, "Errors");
	if (status == NULL || (strncmp(status, "200", 3) != 0 &&
	    strncmp(status, "204", 3) != 0)) {
		/* "Errors": [["name", "why"], ...]: the first why. */
		first = errs && errs->child ? errs->child : NULL;
		why = first && first->child && first->child->next ?
		    first->child->next : NULL;
		rc = errstr_set(errstr, "DELETE %s: %s%s%s", name,
		    status ? status : "no status in the report",
		    why && why->type == JSON_STRING ? ": " : "",
		    why && why->type == JSON_STRING ? why->str : "");
	}
	json_free(j);
	return rc;
}

int
slo_delete(struct swift_ctx *c, const char *container, const char *object,
    char *errstr)
{
	const char *accept[2] = { "Accept: application/json", NULL };
	struct swift_req r;
	struct swift_resp resp;
	char name[2048];
	int rc;

	if ((rc = slo_head(c, container, object, &resp, errstr)) <= 0)
		return rc < 0 ? -1 : 1;
	if (resp.status != 200)
		return errstr_set(errstr, "HEAD %s/%s: HTTP %ld", container,
		    object, resp.status);
	memset(&r, 0, sizeof(r));
	r.method = "DELETE";
	r.container = container;
	r.object = object;
	if (resp.slo) {
		r.query = "multipart-manifest=delete";
		r.headers = accept;
		r.capture_max = 16 * 1024 * 1024;
	}
	if (swift_request(c, &r, &resp, errstr) < 0)
		return -1;
	/* A retry after a lost reply finds it already gone. */
	if (resp.status == 404)
		rc = resp.tries > 1 ? 0 : 1;
	else if (resp.status == 200 && r.query != NULL) {
		snprintf(name, sizeof(name), "%s/%s", container, object);
		rc = slo_bulk_report(name, resp.body ? resp.body : "",
		    resp.body_len, errstr);
	} else if (resp.status == 204 || resp.status == 200)
		rc = 0;
	else
		rc = errstr_set(errstr, "DELETE %s/%s: HTTP %ld", container,
		    object, resp.status);
	free(resp.body);
	return rc;
}
