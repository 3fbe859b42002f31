/*
 * The Swift request engine: every request goes through sw_transfer, which
 * builds its headers, sends it over libcurl, judges the reply, and retries
 * with backoff (honouring Retry-After), re-authenticating once on a 401,
 * resuming a broken GET with Range and If-Match, and counting the requests
 * libcurl sent again by itself after a lost reply.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "io.h"
#include "swiftint.h"

#define ERRBODY_MAX	200

/* One request's transfer state, for the libcurl callbacks. */
struct xfer {
	struct swift_ctx	*c;
	const struct swift_req	*r;
	struct swift_resp	*resp;
	char			*errstr;
	enum sw_req_kind	 kind;
	const char		*url;
	const char		*what;		/* "PUT c/o", for messages */
	char			*secret_hdr;	/* the token or a credential */
	int			 sink_failed;
	int			 too_big;
	size_t			 up_pos;	/* upload position */
	int			 sends;		/* request heads sent */
	uint64_t		 delivered;	/* bytes given to the sink */
	uint64_t		 resume_from;	/* Range start this attempt */
	uint64_t		 skip;		/* a 200 to a Range: drop these */
	int			 skip_set;
	int			 has_range;
	uint64_t		 range_start;	/* from Content-Range */
	char			 retry_after[40];	/* seconds or an HTTP-date */
	char			 errbody[ERRBODY_MAX + 1];
	size_t			 errbody_len;
	size_t			 cap;
	int			 tries;		/* requests sent */
	int			 reauthed;	/* a 401 re-authenticated */
	/* The ETag of the first 2xx to a GET into a sink: a resumed
	 * transfer must read the same object. */
	char			 etag0[SWIFT_ETAG_LEN];
};

/* One attempt's header list.  The nodes for the secret and the resume
 * headers live here, on the caller's stack, so that the token stays in
 * guarded memory: curl_slist_append would copy it. */
struct hdrs {
	struct curl_slist	 expect, tok, range, ifmatch;
	struct curl_slist	*copied, *copied_last;	/* the caller's */
	char			 rangebuf[64];
	char			 ifmatchbuf[SWIFT_ETAG_LEN + 16];
};

/* What a reply (or a failed transfer) calls for. */
enum verdict { V_FINAL, V_FAIL, V_RETRY, V_REAUTH };

static int
stopped(const struct swift_ctx *c)
{
	return c->o.stop != NULL && *c->o.stop;
}

static void
logf_(struct swift_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
logf_(struct swift_ctx *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (c->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->o.log("%s", line);
}

/* The path (and query) of a URL, for the log: no scheme, host or port. */
static const char *
url_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p != NULL ? strchr(p + 3, '/') : NULL;
	return p != NULL ? p : url;
}

/* Copies a header value into dst (cap bytes), dropping surrounding
 * whitespace and quotes. */
static void
hdr_value(char *dst, size_t cap, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

#define META_HDR	"X-Object-Meta-"

/* Appends "name=value\n" (name lower case) to resp->meta; a line that
 * does not fit is left out (Swift never sends that much). */
static void
meta_add(struct swift_resp *resp, const char *name, size_t nlen,
    const char *v, size_t vlen)
{
	char val[SWIFT_META_MAX];
	size_t i, n;

	hdr_value(val, sizeof(val), v, vlen);
	n = strlen(val);
	if (resp->meta_len + nlen + n + 3 > sizeof(resp->meta))
		return;
	for (i = 0; i < nlen; i++)
		resp->meta[resp->meta_len++] =
		    (char)tolower((unsigned char)name[i]);
	resp->meta[resp->meta_len++] = '=';
	memcpy(resp->meta + resp->meta_len, val, n);
	resp->meta_len += n;
	resp->meta[resp->meta_len++] = '\n';
	resp->meta[resp->meta_len] = '\0';
}

static size_t
on_header(char *b, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	struct swift_resp *resp = x->resp;
	size_t len = size * nitems, nlen;
	const char *colon;
	char v[256];

	if (len > 5 && strncmp(b, "HTTP/", 5) == 0) {
		const char *sp = memchr(b, ' ', len);
		int tries = resp->tries;

		/* A new response (after a 100 Continue too): start over. */
		memset(resp, 0, sizeof(*resp));
		resp->tries = tries;
		resp->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		x->has_range = 0;
		x->retry_after[0] = '\0';
		return len;
	}
	if ((colon = memchr(b, ':', len)) == NULL)
		return len;
	nlen = (size_t)(colon - b);
	colon++;
#define IS(h)	(nlen == sizeof(h) - 1 && strncasecmp(b, h, nlen) == 0)
	if (x->kind == SW_REQ_AUTH &&
	    (IS("X-Auth-Token") || IS("X-Subject-Token"))) {
		char *tok = x->c->authhdr + sizeof(SW_TOKEN_HDR) - 1;
		size_t n = len - (size_t)(colon - b);

		while (n > 0 && (*colon == ' ' || *colon == '\t')) {
			colon++;
			n--;
		}
		while (n > 0 && (colon[n - 1] == '\r' || colon[n - 1] == '\n' ||
		    colon[n - 1] == ' '))
			n--;
		if (n > SW_TOKEN_MAX)
			n = 0;	/* too long: treated as missing */
		memcpy(tok, colon, n);
		tok[n] = '\0';
		x->c->token_len = n;
		return len;
	}
	if (x->kind == SW_REQ_AUTH && IS("X-Storage-Url")) {
		/* One byte more than the bound, to see a value past it. */
		char *url = malloc(SW_URL_MAX + 2);

		if (url == NULL)
			return 0;	/* fails the transfer */
		hdr_value(url, SW_URL_MAX + 2, colon,
		    len - (size_t)(colon - b));
		free(x->c->storage_url);
		x->c->storage_url = NULL;
		x->c->url_too_long = strlen(url) > SW_URL_MAX;
		if (x->c->url_too_long)
			free(url);
		else
			x->c->storage_url = url;
		return len;
	}
	hdr_value(v, sizeof(v), colon, len - (size_t)(colon - b));
	if (IS("ETag"))
		hdr_value(resp->etag, sizeof(resp->etag), colon,
		    len - (size_t)(colon - b));
	else if (IS("Content-Length")) {
		resp->has_length = 1;
		resp->length = strtoull(v, NULL, 10);
	} else if (IS("X-Static-Large-Object"))
		resp->slo = strcasecmp(v, "true") == 0;
	else if (IS("X-Object-Manifest"))
		resp->dlo = 1;
	else if (IS("X-Delete-At"))
		resp->delete_at = strtoull(v, NULL, 10);
	else if (nlen > sizeof(META_HDR) - 1 &&
	    strncasecmp(b, META_HDR, sizeof(META_HDR) - 1) == 0)
		meta_add(resp, b + sizeof(META_HDR) - 1,
		    nlen - (sizeof(META_HDR) - 1), colon,
		    len - (size_t)(colon - b));
	else if (IS("Last-Modified"))
		hdr_value(resp->last_modified, sizeof(resp->last_modified),
		    colon, len - (size_t)(colon - b));
	else if (IS("Retry-After"))
		hdr_value(x->retry_after, sizeof(x->retry_after), colon,
		    len - (size_t)(colon - b));
	else if (IS("Content-Range") && strncmp(v, "bytes ", 6) == 0) {
		x->has_range = 1;
		x->range_start = strtoull(v + 6, NULL, 10);
	}
#undef IS
	return len;
}

int
sw_ok_status(long s)
{
	return s >= 200 && s < 300;
}

static size_t
on_body(char *b, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	struct swift_resp *resp = x->resp;
	size_t len = size * nitems, n;
	char *p;

	if (!sw_ok_status(resp->status)) {
		/* An error's explanation, for the message. */
		n = ERRBODY_MAX - x->errbody_len;
		if (n > len)
			n = len;
		memcpy(x->errbody + x->errbody_len, b, n);
		x->errbody_len += n;
		x->errbody[x->errbody_len] = '\0';
		return len;
	}
	if (x->r->sink != NULL) {
		if (!x->skip_set) {
			/* A server that ignores Range sends it all again. */
			x->skip = resp->status == 200 ? x->resume_from : 0;
			x->skip_set = 1;
		}
		if (x->skip > 0) {
			n = x->skip < len ? (size_t)x->skip : len;
			x->skip -= n;
			b += n;
			len -= n;
			if (len == 0)
				return size * nitems;
		}
		if (x->r->sink(x->r->sink_arg, b, len, x->errstr) < 0) {
			x->sink_failed = 1;
			return 0;
		}
		x->delivered += len;
		return size * nitems;
	}
	if (x->r->capture_max == 0)
		return len;
	if (resp->body_len + len > x->r->capture_max) {
		x->too_big = 1;
		return 0;
	}
	if ((p = io_grow(resp->body, &x->cap, resp->body_len + len + 1,
	    16384)) == NULL) {
		x->too_big = 1;
		return 0;
	}
	resp->body = p;
	memcpy(resp->body + resp->body_len, b, len);
	resp->body_len += len;
	resp->body[resp->body_len] = '\0';
	return len;
}

static size_t
on_read(char *b, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems, left = x->r->body_len - x->up_pos;

	if (n > left)
		n = left;
	memcpy(b, (const char *)x->r->body + x->up_pos, n);
	x->up_pos += n;
	return n;
}

/* curl rewinds an upload it must send again on a new connection. */
static int
on_seek(void *arg, curl_off_t offset, int origin)
{
	struct xfer *x = arg;

	if (origin != SEEK_SET || offset < 0 ||
	    (size_t)offset > x->r->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->up_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct xfer *x = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return stopped(x->c);
}

static int
retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

/*
 * Counts the times the request went out.  libcurl sends a request again
 * by itself when a reused connection closes without a word: for a PUT or
 * DELETE whose reply was lost, that second answer (412, 404) must be
 * judged as a retry's.  Only the count is kept: the head holds the token.
 */
static int
on_debug(CURL *h, curl_infotype type, char *data, size_t len, void *arg)
{
	struct xfer *x = arg;

	(void)h;
	(void)data;
	(void)len;
	if (type == CURLINFO_HEADER_OUT)
		x->sends++;
	return 0;
}

static CURLcode
perform(struct swift_ctx *c, struct xfer *x, const char *url,
    struct curl_slist *hdrs)
{
	CURL *h = c->curl;
	const struct swift_req *r = x->r;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
	/* A connection that stalls for a minute is a dropped one. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "rdbpipe/" RDBPIPE_VERSION);
	/* The debug callback is called only in verbose mode; it prints
	 * nothing (see on_debug). */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, x);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if (c->o.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)r->body_len);
		/* libcurl copies the body through a 64 KiB buffer by
		 * default: 1 MiB sends take a sixteenth of the calls. */
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
	} else if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->body_len);
	} else if (strcmp(r->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	return curl_easy_perform(h);
}

/* A short, printable excerpt of an error body for messages. */
static void
errbody_note(struct xfer *x, char *out, size_t cap)
{
	size_t i, o = 0;

	out[0] = '\0';
	if (x->errbody_len == 0 || cap < 8)
		return;
	o = (size_t)snprintf(out, cap, " (");
	for (i = 0; i < x->errbody_len && o + 4 < cap; i++) {
		char ch = x->errbody[i];

		out[o++] = ch == '\n' || ch == '\r' || ch == '\t' ? ' ' :
		    (unsigned char)ch < 0x20 || ch == 0x7f ? '?' : ch;
	}
	while (o > 2 && out[o - 1] == ' ')
		o--;
	out[o++] = ')';
	out[o] = '\0';
	if (o == 3)
		out[0] = '\0';
}

/* The plain-http warning has been given (once a process, threads too). */
static int warned_http;

/*
 * Warns, once a process, when credentials (a key, a password, a token)
 * are about to go over plain http to a host other than this one: on the
 * loopback interface nobody else can read them.  By name only: a name
 * that resolves to 127.0.0.1 still draws the warning.
 */
static void
warn_plain_http(struct swift_ctx *c, const char *url)
{
	char host[256], msg[320];
	const char *h, *e;
	size_t n;

	if (c->o.warn == NULL || strncasecmp(url, "http://", 7) != 0 ||
	    __atomic_load_n(&warned_http, __ATOMIC_RELAXED))
		return;
	h = url + 7;
	n = strcspn(h, "/?#");
	if ((e = memchr(h, '@', n)) != NULL) {	/* user:pass@ */
		n -= (size_t)(e + 1 - h);
		h = e + 1;
	}
	if (h[0] == '[')
		n = (e = memchr(h, ']', n)) != NULL ? (size_t)(e + 1 - h) : n;
	else if ((e = memchr(h, ':', n)) != NULL)
		n = (size_t)(e - h);
	if (n >= sizeof(host))
		n = sizeof(host) - 1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0 ||
	    strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0)
		return;
	if (__atomic_exchange_n(&warned_http, 1, __ATOMIC_RELAXED))
		return;
	snprintf(msg, sizeof(msg), "sending credentials over plain http to %s",
	    host);
	c->o.warn(msg);
}

/* Whether the caller sends the header called name. */
static int
has_header(const struct swift_req *r, const char *name)
{
	size_t n = strlen(name);

	for (const char *const *p = r->headers; p != NULL && *p != NULL; p++)
		if (strncasecmp(*p, name, n) == 0 && (*p)[n] == ':')
			return 1;
	return 0;
}

int
swift_header_check(const char *line, char *errstr)
{
	size_t i, name = strcspn(line, ":");

	if (line[strcspn(line, "\r\n")] == '\0')
		return 0;
	/* Name the header only when its name is printable and short. */
	for (i = 0; i < name; i++)
		if (!isgraph((unsigned char)line[i]))
			break;
	if (i < name || name == 0 || name > 64)
		return errstr_set(errstr, "a header with CR or LF in it");
	return errstr_set(errstr, "header %.*s: CR or LF in its value",
	    (int)name, line);
}

/* Builds one attempt's header list in hl: the caller's headers (copied:
 * they carry no secret), then If-Match and Range when a GET resumes at
 * x->delivered, the secret header, and an empty Expect; returns its head,
 * or NULL when out of memory. */
static struct curl_slist *
hdrs_build(struct hdrs *hl, const struct xfer *x)
{
	const struct swift_req *r = x->r;
	struct curl_slist *head;

	memset(hl, 0, sizeof(*hl));
	hl->expect.data = (char *)"Expect:";
	head = &hl->expect;
	if (x->secret_hdr != NULL) {
		hl->tok.data = x->secret_hdr;
		hl->tok.next = head;
		head = &hl->tok;
	}
	if (r->sink != NULL && x->delivered > 0) {
		snprintf(hl->rangebuf, sizeof(hl->rangebuf),
		    "Range: bytes=%llu-", (unsigned long long)x->delivered);
		hl->range.data = hl->rangebuf;
		hl->range.next = head;
		head = &hl->range;
		if (x->etag0[0] != '\0' && !has_header(r, "If-Match")) {
			snprintf(hl->ifmatchbuf, sizeof(hl->ifmatchbuf),
			    "If-Match: \"%s\"", x->etag0);
			hl->ifmatch.data = hl->ifmatchbuf;
			hl->ifmatch.next = head;
			head = &hl->ifmatch;
		}
	}
	for (const char *const *p = r->headers; p != NULL && *p != NULL; p++) {
		struct curl_slist *n = curl_slist_append(hl->copied, *p);

		if (n == NULL) {
			curl_slist_free_all(hl->copied);
			return NULL;
		}
		hl->copied = n;
	}
	if (hl->copied == NULL)
		return head;
	for (hl->copied_last = hl->copied; hl->copied_last->next != NULL;)
		hl->copied_last = hl->copied_last->next;
	hl->copied_last->next = head;
	return hl->copied;
}

/* Frees the copied headers, unhooking them from the nodes on the stack. */
static void
hdrs_free(struct hdrs *hl)
{
	if (hl->copied == NULL)
		return;
	hl->copied_last->next = NULL;
	curl_slist_free_all(hl->copied);
	hl->copied = NULL;
}

/* Checks the caller's header lines and the secret one before anything is
 * sent: libcurl sends them as given, and a CR or LF in one would smuggle
 * in headers of its own.  Returns 0 or -1 with errstr set. */
static int
hdrs_check(const struct xfer *x, char *errstr)
{
	char reason[128];

	for (const char *const *p = x->r->headers; p != NULL && *p != NULL;
	    p++)
		if (swift_header_check(*p, reason) < 0)
			return errstr_set(errstr, "%s: %s", x->what, reason);
	if (x->secret_hdr != NULL &&
	    swift_header_check(x->secret_hdr, reason) < 0)
		return errstr_set(errstr, "%s: %s", x->what, reason);
	return 0;
}

/* Sends the request once; returns -1 when its headers cannot be built,
 * else 0 with libcurl's verdict in *cc. */
static int
send_once(struct xfer *x, CURLcode *cc)
{
	struct swift_resp *resp = x->resp;
	struct curl_slist *head;
	struct hdrs hl;

	x->resume_from = x->delivered;
	x->skip = 0;
	x->skip_set = 0;
	if ((head = hdrs_build(&hl, x)) == NULL)
		return -1;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	x->cap = 0;
	x->up_pos = 0;
	x->errbody_len = 0;
	x->errbody[0] = '\0';
	x->too_big = 0;
	x->sends = 0;
	resp->tries = ++x->tries;
	*cc = perform(x->c, x, x->url, head);
	hdrs_free(&hl);
	if (x->sends > 1) {
		/* libcurl sent it again on a new connection: a lost reply,
		 * whose retry's answer (412, 404) is judged as a retry's. */
		x->tries += x->sends - 1;
		resp->tries = x->tries;
		logf_(x->c, "%s %s: sent again on a new connection",
		    x->r->method, url_path(x->url));
	}
	return 0;
}

/* Settles a final status: a resumed GET's 206 (or 416 at the end) is the
 * whole object's 200, its ETag the first reply's, and an error body is
 * kept for a caller that captures.  Returns V_FINAL, or V_FAIL with
 * errstr set when the object changed or the server resumed elsewhere. */
static enum verdict
judge_final(struct xfer *x, char *errstr)
{
	struct swift_resp *resp = x->resp;
	const struct swift_req *r = x->r;

	if (resp->status == 412 && x->resume_from > 0)
		return errstr_set(errstr, "%s: the object changed during the "
		    "transfer", x->what), V_FAIL;
	if (x->resume_from > 0 && resp->status == 206 &&
	    (!x->has_range || x->range_start != x->resume_from))
		return errstr_set(errstr, "%s: the server resumed at the "
		    "wrong offset", x->what), V_FAIL;
	if ((resp->status == 416 || resp->status == 206) && x->resume_from > 0)
		resp->status = 200;
	if (x->etag0[0] != '\0')
		memcpy(resp->etag, x->etag0, sizeof(x->etag0));
	if (!sw_ok_status(resp->status) && r->capture_max > 0 &&
	    resp->body == NULL && x->errbody_len > 0) {
		resp->body = strdup(x->errbody);
		resp->body_len = resp->body != NULL ? x->errbody_len : 0;
	}
	return V_FINAL;
}

/* Judges one attempt: a failure that ends the request (errstr set), a
 * final status, a 401 to re-authenticate for, or something to retry
 * (reason says what, *retry_after what the server asked, or NULL). */
static enum verdict
judge(struct xfer *x, CURLcode cc, char *reason, size_t rlen,
    const char **retry_after, char *errstr)
{
	struct swift_resp *resp = x->resp;
	char note[ERRBODY_MAX + 8];
	long s = resp->status;

	*retry_after = NULL;
	if (x->sink_failed)
		return V_FAIL;
	if (stopped(x->c))
		return errstr_set(errstr, "%s: interrupted", x->what), V_FAIL;
	if (x->too_big)
		return errstr_set(errstr, "%s: response larger than %zu bytes",
		    x->what, x->r->capture_max), V_FAIL;
	errbody_note(x, note, sizeof(note));
	if (cc != CURLE_OK) {
		if (!retryable_curl(cc))
			return errstr_set(errstr, "%s: %s", x->what,
			    curl_easy_strerror(cc)), V_FAIL;
		snprintf(reason, rlen, "%s", curl_easy_strerror(cc));
		logf_(x->c, "%s %s: %s", x->r->method, url_path(x->url),
		    reason);
		return V_RETRY;
	}
	logf_(x->c, "%s %s: %ld", x->r->method, url_path(x->url), s);
	if (sw_ok_status(s) && x->r->sink != NULL && x->etag0[0] == '\0')
		memcpy(x->etag0, resp->etag, sizeof(x->etag0));
	if (s == 401 && x->kind == SW_REQ_STORAGE) {
		if (x->c->kind == SW_AUTH_PREAUTH)
			return errstr_set(errstr, "%s: HTTP 401: the token in "
			    "OS_AUTH_TOKEN was refused (pre-authenticated: "
			    "cannot re-authenticate)", x->what), V_FAIL;
		if (x->reauthed)
			return errstr_set(errstr, "%s: HTTP 401 after "
			    "re-authenticating%s", x->what, note), V_FAIL;
		return V_REAUTH;
	}
	if (s != 408 && s != 429 && s < 500)
		return judge_final(x, errstr);
	snprintf(reason, rlen, "HTTP %ld", s);
	*retry_after = x->retry_after;
	return V_RETRY;
}

long
sw_backoff(int attempt, const char *retry_after, time_t now)
{
	long delay = 0;
	char *end;

	if (retry_after != NULL && *retry_after != '\0') {
		/* delta-seconds, or an HTTP-date (RFC 9110 10.2.3) */
		delay = strtol(retry_after, &end, 10);
		if (*end != '\0' || delay < 0) {
			time_t t = curl_getdate(retry_after, NULL);

			delay = t != -1 && t > now ? (long)(t - now) : 0;
		}
		if (delay > SW_RETRY_AFTER_MAX)
			delay = SW_RETRY_AFTER_MAX;
		delay *= 1000;
	}
	if (delay > 0)
		return delay;
	/* 1 s, doubled each attempt up to the cap */
	for (delay = 1000; attempt > 0 && delay < SW_BACKOFF_MAX * 1000L;
	    attempt--)
		delay *= 2;
	return delay < SW_BACKOFF_MAX * 1000L ? delay : SW_BACKOFF_MAX * 1000L;
}

int
sw_transfer(struct swift_ctx *c, enum sw_req_kind kind,
    const struct swift_req *r, struct swift_resp *resp, const char *url,
    const char *name, char *cred_hdr, char *errstr)
{
	char what[1100], reason[128];
	const char *retry_after;
	struct xfer x;
	CURLcode cc;
	long delay;
	int n;

	memset(resp, 0, sizeof(*resp));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.r = r;
	x.resp = resp;
	x.errstr = errstr;
	x.kind = kind;
	x.url = url;
	x.what = what;
	x.secret_hdr = kind == SW_REQ_STORAGE ? c->authhdr :
	    kind == SW_REQ_AUTH ? cred_hdr : NULL;
	/* "PUT c/o", or just "v1 authentication". */
	snprintf(what, sizeof(what), "%s%s%s", kind == SW_REQ_AUTH ? "" :
	    r->method, kind == SW_REQ_AUTH ? "" : " ", name);
	if (hdrs_check(&x, errstr) < 0)
		return -1;
	if (kind != SW_REQ_PLAIN)
		warn_plain_http(c, url);
	for (n = 0;; n++) {
		if (stopped(c))
			return errstr_set(errstr, "%s: interrupted", what);
		if (kind == SW_REQ_STORAGE && c->token_len == 0 &&
		    sw_authenticate(c, errstr) < 0)
			return -1;
		if (send_once(&x, &cc) < 0)
			return errstr_set(errstr, "%s: out of memory", what);
		switch (judge(&x, cc, reason, sizeof(reason), &retry_after,
		    errstr)) {
		case V_FINAL:
			return 0;
		case V_FAIL:
			return -1;
		case V_REAUTH:
			x.reauthed = 1;
			c->token_len = 0;
			n--;
			continue;
		case V_RETRY:
			break;
		}
		if (n >= c->o.retries)
			return errstr_set(errstr, "%s: %s after %d %s", what,
			    reason, x.tries, x.tries == 1 ? "try" : "tries");
		delay = sw_backoff(n, retry_after, time(NULL));
		logf_(c, "%s %s: retry %d of %d in %.1f s", r->method,
		    url_path(url), n + 1, c->o.retries, (double)delay / 1000);
		if (clock_nap(delay, c->o.stop) < 0)
			return errstr_set(errstr, "%s: interrupted", what);
	}
}
