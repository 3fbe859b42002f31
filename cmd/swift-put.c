/*
 * swift-put: store stdin as a Swift object, in bounded memory.  Input
 * shorter than one segment is one PUT carrying its MD5; longer input is a
 * Static Large Object whose segments are uploaded while the next one is
 * read.  On any failure the segments written are removed and nothing is
 * left under the object's name.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cli.h"
#include "io.h"
#include "json.h"
#include "md5.h"
#include "opt.h"
#include "progress.h"
#include "swift.h"

/* 64 MiB segments: 16 requests per GiB, 128 MiB of buffers at most, and
 * 64 TiB per manifest at Swift's default of 1000 segments. */
#define DEFAULT_SEGMENT	(64ULL * 1024 * 1024)
#define MAX_META	90

static const char *prog = "swift-put";
static volatile sig_atomic_t stop;
/* Set by a signal, or by a failure: the segment uploads stop. */
static volatile sig_atomic_t halt;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: swift-put [-fqv] [-c CONTAINER] [-S SEGMENT_SIZE] [-m KEY=VALUE]... [--meta-file FILE]\n"
	    "                 [--delete-after DUR | --delete-at EPOCH] [--retries N]\n"
	    "                 [--insecure] [--progress | --no-progress] OBJECT < data\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
	halt = 1;
}

/*
 * The reader: a thread fills one buffer from stdin while the main thread
 * uploads the other.  The main thread waits with a timeout so that a
 * signal is noticed even while stdin is idle.
 */
struct filler {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 running;
	int		 done;
	char		*buf;
	size_t		 off, want;	/* fill buf[off..want) */
	size_t		 got;		/* bytes in buf when done */
	int		 err;		/* errno of a failed read */
	struct md5	*md5;		/* of buf, summed as it is read */
	struct progress	*pr;
};

static void *
fill_main(void *arg)
{
	struct filler *f = arg;
	size_t off = f->off, n;
	ssize_t r = 0;
	int e = 0;

	while (off < f->want) {
		n = f->want - off < IO_BUFSZ ? f->want - off : IO_BUFSZ;
		if ((r = io_readfull(STDIN_FILENO, f->buf + off, n)) < 0) {
			e = errno;
			break;
		}
		md5_update(f->md5, f->buf + off, (size_t)r);
		off += (size_t)r;
		progress_add(f->pr, (uint64_t)r);
		if ((size_t)r < n)
			break;
	}
	pthread_mutex_lock(&f->mu);
	f->got = off;
	f->err = e;
	f->done = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Starts filling buf[off..want), going on with md5 (started afresh when
 * off is 0); the MD5 is summed here, off the upload's path. */
static int
fill_start(struct filler *f, char *buf, size_t off, size_t want,
    struct md5 *md5, char *errstr)
{
	sigset_t all, old;
	int rc;

	if (off == 0)
		md5_init(md5);
	f->md5 = md5;
	f->buf = buf;
	f->off = off;
	f->want = want;
	f->done = 0;
	/* Signals go to the main thread, which can act on them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&f->thread, NULL, fill_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		return errstr_sys(errstr, "read <stdin>: thread");
	}
	f->running = 1;
	return 0;
}

/* Waits for the fill; returns the bytes in the buffer, or -1 on a read
 * error or a signal (the thread is then left behind, blocked on stdin). */
static ssize_t
fill_wait(struct filler *f, char *errstr)
{
	struct timespec ts;

	pthread_mutex_lock(&f->mu);
	while (!f->done && !stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&f->cv, &f->mu, &ts);
	}
	pthread_mutex_unlock(&f->mu);
	if (!f->done)
		return errstr_set(errstr, "read <stdin>: interrupted");
	pthread_join(f->thread, NULL);
	f->running = 0;
	if (f->err != 0) {
		errno = f->err;
		return errstr_sys(errstr, "read <stdin>");
	}
	return (ssize_t)f->got;
}

/* What has been written under the segments container, for the manifest
 * and, on failure, for the clean-up. */
struct part {
	char		*name;
	char		 etag[MD5_HEX_LEN + 1];
	uint64_t	 size;
};

struct upload {
	struct swift_ctx	*c;
	const char		*container;
	char			*segcont;
	const char		*object;
	char			 prefix[64];	/* after "OBJECT/slo/" */
	const char		**hdrs;		/* metadata, expiry */
	int			 nhdrs;
	int			 nmeta;		/* X-Object-Meta- among them */
	const char		*meta_file;	/* more, read at the end */
	int			 force;
	struct part		*parts;		/* segments, then manifests */
	size_t			 nparts, cap;
	int			 segcont_made;
	struct swift_limits	 lim;
};

static int load_meta_file(struct upload *, char *);

static struct part *
part_add(struct upload *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct part *
part_add(struct upload *u, const char *fmt, ...)
{
	va_list ap;
	struct part *p;

	if (u->nparts == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;

		p = realloc(u->parts, cap * sizeof(*p));
		if (p == NULL)
			return NULL;
		u->parts = p;
		u->cap = cap;
	}
	p = &u->parts[u->nparts];
	memset(p, 0, sizeof(*p));
	va_start(ap, fmt);
	if (vasprintf(&p->name, fmt, ap) < 0)
		p->name = NULL;
	va_end(ap);
	if (p->name == NULL)
		return NULL;
	u->nparts++;
	return p;
}

/* The headers for a PUT: the caller's, then the common ones. */
static const char **
put_headers(const struct upload *u, const char *const *first, int nfirst)
{
	const char **h = calloc((size_t)(nfirst + u->nhdrs + 1), sizeof(*h));
	int i;

	if (h == NULL)
		return NULL;
	for (i = 0; i < nfirst; i++)
		h[i] = first[i];
	for (i = 0; i < u->nhdrs; i++)
		h[nfirst + i] = u->hdrs[i];
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
		{
			struct swift_req cr;
			struct swift_resp cresp;

			memset(&cr, 0, sizeof(cr));
			cr.method = "PUT";
			cr.container = container;
			if (swift_request(c, &cr, &cresp, errstr) < 0)
				return -1;
			free(cresp.body);
			if (cresp.status != 201 && cresp.status != 202)
				return errstr_set(errstr, "PUT %s: HTTP %ld",
				    container, cresp.status);
		}
		made = 1;
	}
}

/* HEADs OBJECT; returns 1 when it exists, 0 when not, -1 on error. */
static int
object_exists(struct upload *u, char *etag, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	r.container = u->container;
	r.object = u->object;
	if (swift_request(u->c, &r, &resp, errstr) < 0)
		return -1;
	free(resp.body);
	if (resp.status == 404)
		return 0;
	if (resp.status >= 200 && resp.status < 300) {
		if (etag != NULL)
			snprintf(etag, SWIFT_ETAG_LEN, "%s", resp.etag);
		return 1;
	}
	return errstr_set(errstr, "HEAD %s/%s: HTTP %ld", u->container,
	    u->object, resp.status);
}

/* Judges the final PUT of OBJECT (plain or manifest) against etag, the
 * ETag it must end with. */
static int
check_final(struct upload *u, struct swift_resp *resp, const char *etag,
    char *errstr)
{
	char have[SWIFT_ETAG_LEN];

	if (resp->status == 201)
		return 0;
	if (resp->status == 412) {
		/* An earlier try that lost its reply may have stored it. */
		if (resp->tries > 1 && object_exists(u, have, errstr) == 1 &&
		    strcmp(have, etag) == 0)
			return 0;
		return errstr_set(errstr, "%s/%s: already exists (use -f to "
		    "overwrite)", u->container, u->object);
	}
	return errstr_set(errstr, "PUT %s/%s: HTTP %ld", u->container,
	    u->object, resp->status);
}

static int
put_plain(struct upload *u, const char *buf, size_t len, struct md5 *m,
    char *errstr)
{
	char etag[MD5_HEX_LEN + 1], etaghdr[64];
	const char *first[3];
	const char **hdrs;
	struct swift_resp resp;
	int n = 0, rc;

	if (load_meta_file(u, errstr) < 0)
		return -1;
	md5_final_hex(m, etag);
	snprintf(etaghdr, sizeof(etaghdr), "ETag: %s", etag);
	first[n++] = etaghdr;
	first[n++] = "Content-Type: application/octet-stream";
	if (!u->force)
		first[n++] = "If-None-Match: *";
	if ((hdrs = put_headers(u, first, n)) == NULL)
		return errstr_sys(errstr, "PUT");
	rc = put_object(u->c, u->container, u->object, NULL, hdrs, buf, len,
	    &resp, errstr);
	free(hdrs);
	if (rc < 0)
		return -1;
	return check_final(u, &resp, etag, errstr);
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
	struct upload		*u;
	struct swift_ctx	*c;
	const char		*buf;
	size_t			 len;
	const char		*name;		/* the part's, kept by u */
	char			 etag[MD5_HEX_LEN + 1];
	int			 rc;
	char			 errstr[ERRSTR_LEN];
};

static void *
slot_main(void *arg)
{
	struct slot *s = arg;
	struct upload *u = s->u;
	char etaghdr[64];
	const char *first[1] = { etaghdr };
	const char **hdrs;
	struct swift_resp resp;

	snprintf(etaghdr, sizeof(etaghdr), "ETag: %s", s->etag);
	if ((hdrs = put_headers(u, first, 1)) == NULL) {
		s->rc = errstr_sys(s->errstr, "PUT");
		return NULL;
	}
	s->rc = put_object(s->c, u->segcont, s->name, NULL, hdrs, s->buf,
	    s->len, &resp, s->errstr);
	free(hdrs);
	if (s->rc < 0)
		return NULL;
	if (resp.status != 201)
		s->rc = errstr_set(s->errstr, "PUT %s/%s: HTTP %ld",
		    u->segcont, s->name, resp.status);
	else if (strcmp(resp.etag, s->etag) != 0)
		s->rc = errstr_set(s->errstr, "PUT %s/%s: ETag %s, sent %s",
		    u->segcont, s->name, resp.etag, s->etag);
	return NULL;
}

/* Starts the upload of segment idx from buf in slot s. */
static int
slot_start(struct slot *s, struct upload *u, const char *buf, size_t len,
    struct md5 *m, size_t idx, char *errstr)
{
	sigset_t all, old;
	struct part *p;
	int rc;

	/* Recorded before the PUT: a lost reply may hide a stored one. */
	if ((p = part_add(u, "%s/slo/%s/%08zu", u->object, u->prefix, idx)) ==
	    NULL)
		return errstr_sys(errstr, "segment");
	p->size = len;
	md5_final_hex(m, p->etag);
	memcpy(s->etag, p->etag, sizeof(s->etag));
	s->u = u;
	s->buf = buf;
	s->len = len;
	s->name = p->name;
	s->rc = 0;
	/* Signals go to the main thread, which can act on them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, slot_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		return errstr_sys(errstr, "PUT: thread");
	}
	s->running = 1;
	return 0;
}

/* Waits for slot s (a signal or halt makes its request stop soon);
 * returns its result, with its message in errstr. */
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

/* A manifest body under construction. */
struct mbuf {
	char	*b;
	size_t	 len, cap;
};

static int
mbuf_add(struct mbuf *m, const char *s, size_t n)
{
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		char *p;

		while (cap < m->len + n + 1)
			cap *= 2;
		if ((p = realloc(m->b, cap)) == NULL)
			return -1;
		m->b = p;
		m->cap = cap;
	}
	memcpy(m->b + m->len, s, n);
	m->len += n;
	m->b[m->len] = '\0';
	return 0;
}

/* One manifest entry as JSON. */
static char *
entry_json(const char *segcont, const struct part *p)
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
 * allows (max_manifest_segments entries, max_manifest_size bytes); returns
 * the entries taken (0 on error) with the body in m and its large-object
 * ETag (MD5 of the segment ETags) and size in top.
 */
static size_t
manifest_build(struct upload *u, size_t from, size_t count, struct mbuf *m,
    struct part *top)
{
	struct md5 md;
	size_t i;
	char *e;

	m->len = 0;
	if (mbuf_add(m, "[", 1) < 0)
		return 0;
	md5_init(&md);
	top->size = 0;
	for (i = 0; i < count && i < u->lim.max_manifest_segments; i++) {
		if ((e = entry_json(u->segcont, &u->parts[from + i])) == NULL)
			return 0;
		if (i > 0 && m->len + strlen(e) + 2 > u->lim.max_manifest_size) {
			free(e);
			break;
		}
		if ((i > 0 && mbuf_add(m, ",", 1) < 0) ||
		    mbuf_add(m, e, strlen(e)) < 0) {
			free(e);
			return 0;
		}
		free(e);
		md5_update(&md, u->parts[from + i].etag, MD5_HEX_LEN);
		top->size += u->parts[from + i].size;
	}
	if (mbuf_add(m, "]", 1) < 0)
		return 0;
	md5_final_hex(&md, top->etag);
	return i;
}

/*
 * Writes the manifests: while the entries do not fit one manifest, they
 * are grouped into sub-manifests in the segments container (each one an
 * entry of the level above); the top one goes under OBJECT.
 */
static int
put_manifests(struct upload *u, size_t nsegs, char *errstr)
{
	size_t from = 0, count = nsegs, took, done, level_start;
	const char *first[3];
	const char **hdrs;
	struct swift_resp resp;
	struct mbuf m = { NULL, 0, 0 };
	struct part top, *p;
	int level = 0, n = 0, rc;

	if (load_meta_file(u, errstr) < 0)
		return -1;
	memset(&top, 0, sizeof(top));
	for (;;) {
		took = manifest_build(u, from, count, &m, &top);
		if (took == 0) {
			free(m.b);
			return errstr_sys(errstr, "manifest");
		}
		if (took == count)
			break;
		/* Sub-manifests for this level, then their own list. */
		level++;
		level_start = u->nparts;
		for (done = 0; done < count; done += took) {
			took = manifest_build(u, from + done, count - done, &m,
			    &top);
			if (took == 0 || (p = part_add(u, "%s/slo/%s/manifest-%d-"
			    "%08zu", u->object, u->prefix, level,
			    u->nparts - level_start)) == NULL) {
				free(m.b);
				return errstr_sys(errstr, "manifest");
			}
			memcpy(p->etag, top.etag, sizeof(p->etag));
			p->size = top.size;
			if ((hdrs = put_headers(u, NULL, 0)) == NULL) {
				free(m.b);
				return errstr_sys(errstr, "PUT");
			}
			rc = put_object(u->c, u->segcont, p->name,
			    "multipart-manifest=put", hdrs, m.b, m.len, &resp,
			    errstr);
			free(hdrs);
			if (rc == 0 && resp.status != 201)
				rc = errstr_set(errstr, "PUT %s/%s: HTTP %ld",
				    u->segcont, p->name, resp.status);
			if (rc < 0) {
				free(m.b);
				return -1;
			}
		}
		from = level_start;
		count = u->nparts - level_start;
	}
	first[n++] = "Content-Type: application/octet-stream";
	if (!u->force)
		first[n++] = "If-None-Match: *";
	if ((hdrs = put_headers(u, first, n)) == NULL) {
		free(m.b);
		return errstr_sys(errstr, "PUT");
	}
	rc = put_object(u->c, u->container, u->object, "multipart-manifest=put",
	    hdrs, m.b, m.len, &resp, errstr);
	free(hdrs);
	free(m.b);
	if (rc < 0)
		return -1;
	return check_final(u, &resp, top.etag, errstr);
}

/* Deletes what was written in the segments container (manifests first);
 * returns the count of objects it could not delete. */
static size_t
cleanup(struct upload *u, int verbose)
{
	struct swift_req r;
	struct swift_resp resp;
	char e[ERRSTR_LEN];
	size_t i, left = 0;

	swift_set_stop(u->c, NULL);
	for (i = u->nparts; i-- > 0;) {
		memset(&r, 0, sizeof(r));
		r.method = "DELETE";
		r.container = u->segcont;
		r.object = u->parts[i].name;
		if (swift_request(u->c, &r, &resp, e) < 0) {
			warnx("clean-up: %s", e);
			left++;
			continue;
		}
		free(resp.body);
		if (resp.status != 204 && resp.status != 404) {
			warnx("clean-up: DELETE %s/%s: HTTP %ld", u->segcont,
			    u->parts[i].name, resp.status);
			left++;
		}
	}
	if (verbose && u->nparts > 0)
		fprintf(stderr, "%s: removed %zu segment objects\n", prog,
		    u->nparts - left);
	return left;
}

static int
add_header(struct upload *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
add_header(struct upload *u, const char *fmt, ...)
{
	va_list ap;
	char *h;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&h, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	u->hdrs[u->nhdrs++] = h;
	return 0;
}

/* Checks -m KEY=VALUE: a token for a key, no line breaks in the value. */
static int
meta_ok(const char *kv, const char **eq)
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

/*
 * --meta-file: KEY=VALUE lines read when the input has ended, so that the
 * stage before swift-put can say what it saw (rdb-snap --info-file).  It
 * runs only with no segment upload in flight: the headers are not shared
 * with a running thread.
 */
static int
load_meta_file(struct upload *u, char *errstr)
{
	char line[1024];
	const char *eq;
	size_t n;
	FILE *f;
	int lineno = 0, i;

	if (u->meta_file == NULL)
		return 0;
	if ((f = fopen(u->meta_file, "re")) == NULL)
		return errstr_sys(errstr, "%s", u->meta_file);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f))
			goto bad;
		if (n == 0)
			continue;
		if (!meta_ok(line, &eq) || u->nmeta == MAX_META)
			goto bad;
		for (i = 0; i < u->nhdrs; i++)
			if (strncasecmp(u->hdrs[i], "X-Object-Meta-", 14) == 0 &&
			    strncasecmp(u->hdrs[i] + 14, line,
			    (size_t)(eq - line)) == 0 &&
			    u->hdrs[i][14 + (eq - line)] == ':')
				goto bad;
		if (add_header(u, "X-Object-Meta-%.*s: %s", (int)(eq - line),
		    line, eq + 1) < 0) {
			fclose(f);
			return errstr_sys(errstr, "%s", u->meta_file);
		}
		u->nmeta++;
	}
	if (ferror(f)) {
		fclose(f);
		return errstr_sys(errstr, "%s", u->meta_file);
	}
	fclose(f);
	u->meta_file = NULL;	/* once, for the sub-manifests too */
	return 0;
bad:
	fclose(f);
	return errstr_set(errstr, "%s: line %d: expected KEY=VALUE with a new "
	    "key of letters, digits, '-' and '_' (at most %d in all)",
	    u->meta_file, lineno, MAX_META);
}

/* Reads stdin and uploads it; returns 0 or -1. */
static int
run(struct upload *u, uint64_t segsize, int segsize_set,
    struct progress *pr, char *errstr)
{
	/* Static: a reader left blocked on stdin after a signal must not
	 * write into a stack frame that is gone. */
	static struct filler f;
	static char *buf[2];
	static struct md5 md5[2];
	static struct slot slot[2];
	size_t curlen, idx = 0;
	ssize_t got;
	struct timeval tv;
	int cur, more, i, rc = -1;

	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	f.pr = pr;
	if ((buf[0] = malloc(segsize)) == NULL)
		return errstr_sys(errstr, "segment buffer");
	if (fill_start(&f, buf[0], 0, segsize, &md5[0], errstr) < 0 ||
	    (got = fill_wait(&f, errstr)) < 0)
		goto out;
	if ((uint64_t)got < segsize) {
		rc = put_plain(u, buf[0], (size_t)got, &md5[0], errstr);
		goto out;
	}
	/* A full first buffer: one more byte decides plain or large. */
	if ((buf[1] = malloc(segsize)) == NULL) {
		errstr_sys(errstr, "segment buffer");
		goto out;
	}
	if (fill_start(&f, buf[1], 0, 1, &md5[1], errstr) < 0 ||
	    (got = fill_wait(&f, errstr)) < 0)
		goto out;
	if (got == 0) {
		rc = put_plain(u, buf[0], (size_t)segsize, &md5[0], errstr);
		goto out;
	}
	if (swift_info(u->c, &u->lim, errstr) < 0)
		goto out;
	if (segsize < u->lim.min_segment_size) {
		char have[32], min[32];

		progress_fmt_bytes(have, sizeof(have), segsize);
		progress_fmt_bytes(min, sizeof(min), u->lim.min_segment_size);
		errstr_set(errstr, "segment size %s is below the cluster's "
		    "min_segment_size of %s%s", have, min,
		    segsize_set ? "" : " (set -S)");
		goto out;
	}
	if (segsize > u->lim.max_file_size) {
		errstr_set(errstr, "segment size is above the cluster's "
		    "max_file_size of %llu bytes",
		    (unsigned long long)u->lim.max_file_size);
		goto out;
	}
	gettimeofday(&tv, NULL);
	snprintf(u->prefix, sizeof(u->prefix), "%lld.%06ld/%llu",
	    (long long)tv.tv_sec, (long)tv.tv_usec,
	    (unsigned long long)segsize);
	/* Each slot has a connection of its own, with the token the main
	 * one holds now. */
	for (i = 0; i < 2; i++) {
		if ((slot[i].c = swift_dup(u->c, errstr)) == NULL)
			goto out;
		swift_set_stop(slot[i].c, &halt);
	}
	/* buf[cur] uploads in slot[cur] while buf[!cur] fills, once its own
	 * upload is answered (it holds one byte now). */
	cur = 0;
	curlen = (size_t)segsize;
	got = 1;
	for (;;) {
		more = (uint64_t)curlen == segsize;
		/* The first segment goes alone: it creates the segments
		 * container when missing, which two at once would race. */
		if (idx == 1 && slot_wait(&slot[!cur], errstr) < 0)
			goto out;
		if (slot_start(&slot[cur], u, buf[cur], curlen, &md5[cur],
		    idx++, errstr) < 0)
			goto out;
		if (!more)
			break;
		if (slot_wait(&slot[!cur], errstr) < 0)
			goto out;
		if (fill_start(&f, buf[!cur], (size_t)got, segsize,
		    &md5[!cur], errstr) < 0 ||
		    (got = fill_wait(&f, errstr)) < 0)
			goto out;
		if (got == 0)
			break;
		cur = !cur;
		curlen = (size_t)got;
		got = 0;
	}
	if (slot_wait(&slot[0], errstr) < 0 || slot_wait(&slot[1], errstr) < 0)
		goto out;
	rc = put_manifests(u, idx, errstr);
out:
	/* Uploads still running are stopped and waited for: the clean-up
	 * must not race a segment that is still being written. */
	if (rc < 0)
		halt = 1;
	for (i = 0; i < 2; i++) {
		char ignored[ERRSTR_LEN];

		slot_wait(&slot[i], ignored);
		swift_free(slot[i].c);
		slot[i].c = NULL;
	}
	/* A reader still blocked on stdin is left to exit(). */
	if (!f.running) {
		free(buf[0]);
		free(buf[1]);
		buf[0] = buf[1] = NULL;
	}
	return rc;
}

enum { OPT_DELETE_AFTER = 256, OPT_DELETE_AT, OPT_META_FILE };

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		SWIFT_LONGOPTS,
		{ "segment-size", required_argument, NULL, 'S' },
		{ "meta", required_argument, NULL, 'm' },
		{ "meta-file", required_argument, NULL, OPT_META_FILE },
		{ "force", no_argument, NULL, 'f' },
		{ "delete-after", required_argument, NULL, OPT_DELETE_AFTER },
		{ "delete-at", required_argument, NULL, OPT_DELETE_AT },
		CMD_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *metas[MAX_META], *eq;
	struct swift_cli o;
	struct upload u;
	struct progress pr;
	struct sigaction sa;
	char e[ERRSTR_LEN];
	uint64_t segsize = DEFAULT_SEGMENT, delete_after = 0, delete_at = 0;
	int c, i, nmeta = 0, has_after = 0, has_at = 0, segsize_set = 0, rc;
	long l;

	memset(&u, 0, sizeof(u));
	swift_cli_init(&o);
	if (cli_init(e) < 0)
		errx(1, "%s", e);
	while ((c = getopt_long(argc, argv, SWIFT_SHORTOPTS "S:m:f", longopts,
	    NULL)) != -1) {
		if ((rc = swift_cli_option(&o, c, optarg, e)) < 0)
			usage_error("%s", e);
		if (rc > 0)
			continue;
		switch (c) {
		case 'S':
			if (opt_size(optarg, &segsize, e) < 0)
				usage_error("-S: %s", e);
			if (segsize == 0)
				usage_error("-S: the segment size must not be 0");
			segsize_set = 1;
			break;
		case 'm':
			if (!meta_ok(optarg, &eq))
				usage_error("-m: expected KEY=VALUE with a key "
				    "of letters, digits, '-' and '_': '%s'",
				    optarg);
			if (nmeta == MAX_META)
				usage_error("-m: too many");
			metas[nmeta++] = optarg;
			break;
		case 'f':
			u.force = 1;
			break;
		case OPT_META_FILE:
			u.meta_file = optarg;
			break;
		case OPT_DELETE_AFTER:
			if (opt_duration(optarg, &delete_after, e) < 0)
				usage_error("--delete-after: %s", e);
			has_after = 1;
			break;
		case OPT_DELETE_AT:
			if (opt_long(optarg, 1, 0x7fffffffffffL, &l, e) < 0)
				usage_error("--delete-at: %s", e);
			delete_at = (uint64_t)l;
			has_at = 1;
			break;
		default:
			cmd_other_option(c);
		}
	}
	if (optind == argc)
		usage_error("no OBJECT named");
	if (optind + 1 < argc)
		usage_error("unexpected argument '%s'", argv[optind + 1]);
	u.container = o.container;
	u.object = argv[optind];
	if (*u.object == '\0')
		usage_error("empty OBJECT name");
	if (has_after && has_at)
		usage_error("--delete-after and --delete-at do not go together");
	if (has_at && delete_at <= (uint64_t)time(NULL))
		usage_error("--delete-at: %llu is in the past",
		    (unsigned long long)delete_at);
	if (segsize > SIZE_MAX / 2)
		usage_error("-S: too large");

	/* One absolute expiry for the manifest and every segment, so that
	 * no segment goes before the object that needs it. */
	if (has_after)
		delete_at = (uint64_t)time(NULL) + delete_after;
	u.hdrs = calloc(MAX_META + 2, sizeof(*u.hdrs));
	if (u.hdrs == NULL || asprintf(&u.segcont, "%s_segments",
	    u.container) < 0)
		err(1, "memory");
	for (i = 0; i < nmeta; i++) {
		eq = strchr(metas[i], '=');
		if (add_header(&u, "X-Object-Meta-%.*s: %s",
		    (int)(eq - metas[i]), metas[i], eq + 1) < 0)
			err(1, "memory");
		u.nmeta++;
	}
	if ((has_after || has_at) &&
	    add_header(&u, "X-Delete-At: %llu", (unsigned long long)delete_at) < 0)
		err(1, "memory");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	o.so.stop = &stop;
	o.so.log_prog = o.co.verbose ? prog : NULL;
	if (!o.co.quiet)
		o.so.warn = cmd_warn;
	if ((u.c = swift_new(&o.so, e)) == NULL)
		errx(1, "%s", e);

	/* Refuse early rather than after uploading every segment; the final
	 * PUT's If-None-Match still guards against a race. */
	if (!u.force && (rc = object_exists(&u, NULL, e)) != 0) {
		if (rc > 0)
			errx(1, "%s/%s: already exists (use -f to overwrite)",
			    u.container, u.object);
		errx(1, "%s", e);
	}
	progress_init(&pr, prog, cli_out_progress(&o.co),
	    cli_input_size());
	rc = run(&u, segsize, segsize_set, &pr, e);
	progress_end(&pr);
	if (rc < 0) {
		size_t left;

		/* Where the signal caught us does not matter to the user. */
		warnx("%s", stop ? "interrupted" : e);
		left = cleanup(&u, o.co.verbose);
		if (left > 0)
			warnx("%zu segment objects could not be removed from %s",
			    left, u.segcont);
	} else if (o.co.verbose) {
		char b[32];

		progress_fmt_bytes(b, sizeof(b), pr.bytes);
		fprintf(stderr, "%s: stored %s/%s: %s", prog, u.container,
		    u.object, b);
		if (u.nparts > 0)
			fprintf(stderr, " in %zu segments", u.nparts);
		fprintf(stderr, "\n");
	}
	swift_free(u.c);
	for (i = 0; i < u.nhdrs; i++)
		free((char *)u.hdrs[i]);
	free(u.hdrs);
	for (size_t k = 0; k < u.nparts; k++)
		free(u.parts[k].name);
	free(u.parts);
	free(u.segcont);
	return rc < 0 ? 1 : 0;
}
