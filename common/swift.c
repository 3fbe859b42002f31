#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"
#include "opt.h"
#include "secret.h"
#include "swift.h"

#define TOKEN_HDR	"X-Auth-Token: "
#define TOKEN_MAX	(16 * 1024)
#define URL_MAX		4096	/* a storage or auth URL, bytes */
#define AUTH_BODY_MAX	(4 * 1024 * 1024)
#define ERRBODY_MAX	200
#define BACKOFF_MAX	32	/* seconds */
#define RETRY_AFTER_MAX	60	/* seconds */

enum auth_kind { AUTH_V1, AUTH_PASSWORD, AUTH_APPCRED, AUTH_PREAUTH };

/*
 * What a request is: an API request carries the token (authenticating
 * first, and again once on a 401); an authentication request carries the
 * credentials and is the only kind whose reply may set the token and the
 * storage URL; a plain one (/info) carries neither and changes nothing.
 */
enum xf_mode { XF_API, XF_AUTH, XF_PLAIN };

struct swift_ctx {
	struct swift_opts	 o;
	CURL			*curl;
	enum auth_kind		 kind;
	char			*auth_url;
	char			*user;		/* ST_USER, OS_USERNAME */
	char			*appcred_id;
	char			*project_name, *project_id;
	char			*user_domain_name, *user_domain_id;
	char			*project_domain_name, *project_domain_id;
	char			*region, *interface;
	char			*cacert;
	char			*storage_override;	/* OS_STORAGE_URL */
	struct secret		 key;	/* ST_KEY, password, secret, token */
	/* "X-Auth-Token: <token>" in guarded memory; token_len 0: none. */
	char			*authhdr;
	size_t			 token_len;
	char			*storage_url;
	int			 url_too_long;	/* X-Storage-Url past URL_MAX */
};

/* One request's transfer state, for the libcurl callbacks. */
struct xfer {
	struct swift_ctx	*c;
	const struct swift_req	*r;
	struct swift_resp	*resp;
	char			*errstr;
	enum xf_mode		 mode;
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
	char			 retry_after[16];
	char			 errbody[ERRBODY_MAX + 1];
	size_t			 errbody_len;
	size_t			 cap;
};

const char *
swift_default_container(void)
{
	const char *s = getenv("SWIFT_CONTAINER");

	return s != NULL && *s != '\0' ? s : SWIFT_DEFAULT_CONTAINER;
}

void
swift_cli_init(struct swift_cli *o)
{
	memset(o, 0, sizeof(*o));
	o->container = swift_default_container();
	cli_out_init(&o->co);
	o->so.retries = SWIFT_DEFAULT_RETRIES;
}

int
swift_cli_option(struct swift_cli *o, int c, const char *arg, char *errstr)
{
	long l;

	if (cli_out_option(&o->co, c))
		return 1;
	switch (c) {
	case 'c':
		o->container = arg;
		return 1;
	case SWIFT_OPT_RETRIES:
		if (opt_long(arg, 0, 100, &l, errstr) < 0) {
			char why[ERRSTR_LEN];

			memcpy(why, errstr, sizeof(why));
			return errstr_set(errstr, "--retries: %s", why);
		}
		o->so.retries = (int)l;
		return 1;
	case SWIFT_OPT_INSECURE:
		o->so.insecure = 1;
		return 1;
	default:
		return 0;
	}
}

char *
swift_urlencode(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~' || (keep_slash && ch == '/'))
			*o++ = (char)ch;
		else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strdup(v) : NULL;
}

/* Reads a secret variable; returns 0 when set and not empty, 1 when not,
 * -1 on error. */
static int
env_secret(struct secret *s, const char *name, char *errstr)
{
	int rc = secret_from_env(s, name, errstr);

	if (rc == 0 && s->len == 0) {
		secret_free(s);
		return 1;
	}
	return rc;
}

static int
read_env(struct swift_ctx *c, char *errstr)
{
	char *storage = env_dup("OS_STORAGE_URL");
	struct secret tok;
	int rc;

	if ((rc = env_secret(&tok, "OS_AUTH_TOKEN", errstr)) < 0)
		goto fail;
	if (rc == 0 && storage != NULL) {
		c->kind = AUTH_PREAUTH;
		c->storage_url = storage;
		c->key = tok;
		return 0;
	}
	secret_free(&tok);
	c->storage_override = storage;
	if ((c->auth_url = env_dup("ST_AUTH")) != NULL) {
		c->kind = AUTH_V1;
		c->user = env_dup("ST_USER");
		if ((rc = env_secret(&c->key, "ST_KEY", errstr)) < 0)
			return -1;
		if (c->user == NULL || rc == 1)
			return errstr_set(errstr,
			    "ST_AUTH is set but ST_USER or ST_KEY is not");
		return 0;
	}
	if ((c->auth_url = env_dup("OS_AUTH_URL")) == NULL)
		return errstr_set(errstr, "no credentials: set ST_AUTH, "
		    "ST_USER and ST_KEY, or OS_AUTH_URL and the other OS_* "
		    "variables, or OS_STORAGE_URL and OS_AUTH_TOKEN");
	c->region = env_dup("OS_REGION_NAME");
	c->interface = env_dup("OS_INTERFACE");
	if ((c->appcred_id = env_dup("OS_APPLICATION_CREDENTIAL_ID")) != NULL) {
		c->kind = AUTH_APPCRED;
		if ((rc = env_secret(&c->key,
		    "OS_APPLICATION_CREDENTIAL_SECRET", errstr)) < 0)
			return -1;
		if (rc == 1)
			return errstr_set(errstr, "OS_APPLICATION_CREDENTIAL_ID "
			    "is set but OS_APPLICATION_CREDENTIAL_SECRET is not");
		return 0;
	}
	c->kind = AUTH_PASSWORD;
	c->user = env_dup("OS_USERNAME");
	c->project_name = env_dup("OS_PROJECT_NAME");
	if (c->project_name == NULL)
		c->project_name = env_dup("OS_TENANT_NAME");
	c->project_id = env_dup("OS_PROJECT_ID");
	if (c->project_id == NULL)
		c->project_id = env_dup("OS_TENANT_ID");
	c->user_domain_name = env_dup("OS_USER_DOMAIN_NAME");
	c->user_domain_id = env_dup("OS_USER_DOMAIN_ID");
	c->project_domain_name = env_dup("OS_PROJECT_DOMAIN_NAME");
	c->project_domain_id = env_dup("OS_PROJECT_DOMAIN_ID");
	if ((rc = env_secret(&c->key, "OS_PASSWORD", errstr)) < 0)
		return -1;
	if (c->user == NULL || rc == 1)
		return errstr_set(errstr,
		    "OS_AUTH_URL is set but OS_USERNAME or OS_PASSWORD is not");
	return 0;
fail:
	free(storage);
	return -1;
}

/* URLs from the environment are bounded as the ones from replies are. */
static int
check_urls(const struct swift_ctx *c, char *errstr)
{
	const char *url = c->kind == AUTH_PREAUTH ? c->storage_url :
	    c->auth_url;
	const char *name = c->kind == AUTH_PREAUTH ? "OS_STORAGE_URL" :
	    c->kind == AUTH_V1 ? "ST_AUTH" : "OS_AUTH_URL";

	if (url != NULL && strlen(url) > URL_MAX)
		return errstr_set(errstr, "%s is longer than %d bytes", name,
		    URL_MAX);
	if (c->storage_override != NULL &&
	    strlen(c->storage_override) > URL_MAX)
		return errstr_set(errstr, "OS_STORAGE_URL is longer than %d "
		    "bytes", URL_MAX);
	return 0;
}

struct swift_ctx *
swift_new(const struct swift_opts *o, char *errstr)
{
	struct swift_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		errstr_sys(errstr, "swift");
		return NULL;
	}
	c->o = *o;
	/* Secrets go to sodium_malloc memory; cli_init has usually done
	 * this already, and it may be done twice. */
	if (sodium_init() < 0) {
		errstr_set(errstr, "libsodium: initialisation failed");
		free(c);
		return NULL;
	}
	c->cacert = env_dup("OS_CACERT");
	if (read_env(c, errstr) < 0 || check_urls(c, errstr) < 0)
		goto fail;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		errstr_set(errstr, "libcurl: initialisation failed");
		goto fail;
	}
	c->curl = curl_easy_init();
	c->authhdr = sodium_malloc(sizeof(TOKEN_HDR) + TOKEN_MAX);
	if (c->curl == NULL || c->authhdr == NULL) {
		errstr_set(errstr, "libcurl: out of memory");
		goto fail;
	}
	memcpy(c->authhdr, TOKEN_HDR, sizeof(TOKEN_HDR));
	if (c->kind == AUTH_PREAUTH) {
		if (c->key.len > TOKEN_MAX) {
			errstr_set(errstr, "OS_AUTH_TOKEN is too long");
			goto fail;
		}
		memcpy(c->authhdr + sizeof(TOKEN_HDR) - 1, c->key.buf,
		    c->key.len + 1);
		c->token_len = c->key.len;
	}
	return c;
fail:
	swift_free(c);
	return NULL;
}

/* strdup that keeps NULL; sets *bad when a copy fails. */
static char *
dup_or_null(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*bad = 1;
	return d;
}

struct swift_ctx *
swift_dup(const struct swift_ctx *c, char *errstr)
{
	struct swift_ctx *d = calloc(1, sizeof(*d));
	int bad = 0;

	if (d == NULL) {
		errstr_sys(errstr, "swift");
		return NULL;
	}
	d->o = c->o;
	d->kind = c->kind;
	d->auth_url = dup_or_null(c->auth_url, &bad);
	d->user = dup_or_null(c->user, &bad);
	d->appcred_id = dup_or_null(c->appcred_id, &bad);
	d->project_name = dup_or_null(c->project_name, &bad);
	d->project_id = dup_or_null(c->project_id, &bad);
	d->user_domain_name = dup_or_null(c->user_domain_name, &bad);
	d->user_domain_id = dup_or_null(c->user_domain_id, &bad);
	d->project_domain_name = dup_or_null(c->project_domain_name, &bad);
	d->project_domain_id = dup_or_null(c->project_domain_id, &bad);
	d->region = dup_or_null(c->region, &bad);
	d->interface = dup_or_null(c->interface, &bad);
	d->cacert = dup_or_null(c->cacert, &bad);
	d->storage_override = dup_or_null(c->storage_override, &bad);
	d->storage_url = dup_or_null(c->storage_url, &bad);
	if (bad) {
		errstr_sys(errstr, "swift");
		goto fail;
	}
	if (secret_copy(&d->key, &c->key, errstr) < 0)
		goto fail;
	d->curl = curl_easy_init();
	d->authhdr = sodium_malloc(sizeof(TOKEN_HDR) + TOKEN_MAX);
	if (d->curl == NULL || d->authhdr == NULL) {
		errstr_set(errstr, "libcurl: out of memory");
		goto fail;
	}
	memcpy(d->authhdr, c->authhdr, sizeof(TOKEN_HDR) + TOKEN_MAX);
	d->token_len = c->token_len;
	return d;
fail:
	swift_free(d);
	return NULL;
}

void
swift_free(struct swift_ctx *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->authhdr != NULL)
		sodium_free(c->authhdr);
	secret_free(&c->key);
	free(c->auth_url);
	free(c->user);
	free(c->appcred_id);
	free(c->project_name);
	free(c->project_id);
	free(c->user_domain_name);
	free(c->user_domain_id);
	free(c->project_domain_name);
	free(c->project_domain_id);
	free(c->region);
	free(c->interface);
	free(c->cacert);
	free(c->storage_override);
	free(c->storage_url);
	free(c);
}

void
swift_set_stop(struct swift_ctx *c, volatile sig_atomic_t *stop)
{
	c->o.stop = stop;
}

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

	if (c->o.log_prog == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", c->o.log_prog, line);
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
	if (x->mode == XF_AUTH &&
	    (IS("X-Auth-Token") || IS("X-Subject-Token"))) {
		char *tok = x->c->authhdr + sizeof(TOKEN_HDR) - 1;
		size_t n = len - (size_t)(colon - b);

		while (n > 0 && (*colon == ' ' || *colon == '\t')) {
			colon++;
			n--;
		}
		while (n > 0 && (colon[n - 1] == '\r' || colon[n - 1] == '\n' ||
		    colon[n - 1] == ' '))
			n--;
		if (n > TOKEN_MAX)
			n = 0;	/* too long: treated as missing */
		memcpy(tok, colon, n);
		tok[n] = '\0';
		x->c->token_len = n;
		return len;
	}
	if (x->mode == XF_AUTH && IS("X-Storage-Url")) {
		/* One byte more than the bound, to see a value past it. */
		char *url = malloc(URL_MAX + 2);

		if (url == NULL)
			return 0;	/* fails the transfer */
		hdr_value(url, URL_MAX + 2, colon, len - (size_t)(colon - b));
		free(x->c->storage_url);
		x->c->storage_url = NULL;
		x->c->url_too_long = strlen(url) > URL_MAX;
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

static int
ok_status(long s)
{
	return s >= 200 && s < 300;
}

static size_t
on_body(char *b, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	struct swift_resp *resp = x->resp;
	size_t len = size * nitems, n;

	if (!ok_status(resp->status)) {
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
	if (resp->body_len + len + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		char *p;

		while (cap < resp->body_len + len + 1)
			cap *= 2;
		if ((p = realloc(resp->body, cap)) == NULL) {
			x->too_big = 1;
			return 0;
		}
		resp->body = p;
		x->cap = cap;
	}
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

/* Sleeps ms milliseconds unless stopped; returns -1 when stopped. */
static int
nap(struct swift_ctx *c, long ms)
{
	struct timespec ts = { 0, 100 * 1000000L };

	for (; ms > 0; ms -= 100) {
		if (stopped(c))
			return -1;
		nanosleep(&ts, NULL);
	}
	return stopped(c) ? -1 : 0;
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

static int authenticate(struct swift_ctx *c, char *errstr);

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

/* The request loop: url is absolute, name labels messages, mode says what
 * the request is (enum xf_mode: 401 is final for all but XF_API), secret_hdr
 * is a header line in guarded memory (the token, or v1's key). */
static int
transfer(struct swift_ctx *c, const struct swift_req *r,
    struct swift_resp *resp, const char *url, const char *name,
    enum xf_mode mode, char *secret_hdr, char *errstr)
{
	struct curl_slist *hdrs, *h, tok, expect, range, ifmatch;
	char rangebuf[64], ifmatchbuf[SWIFT_ETAG_LEN + 16], reason[128];
	char etag0[SWIFT_ETAG_LEN] = "", note[ERRBODY_MAX + 8];
	char what[1100];
	struct xfer x;
	int attempt, reauthed = 0, tries = 0;
	CURLcode cc;
	long delay;

	memset(resp, 0, sizeof(*resp));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.r = r;
	x.resp = resp;
	x.errstr = errstr;
	x.mode = mode;
	/* "PUT c/o", or just "v1 authentication". */
	snprintf(what, sizeof(what), "%s%s%s", mode == XF_AUTH ? "" :
	    r->method, mode == XF_AUTH ? "" : " ", name);
	/* libcurl sends header lines as given: a CR or LF in one would
	 * smuggle in headers of its own. */
	for (const char *const *p = r->headers; p != NULL && *p != NULL; p++)
		if (swift_header_check(*p, reason) < 0)
			return errstr_set(errstr, "%s: %s", what, reason);
	if (secret_hdr != NULL && swift_header_check(secret_hdr, reason) < 0)
		return errstr_set(errstr, "%s: %s", what, reason);
	if (mode == XF_AUTH || secret_hdr != NULL)
		warn_plain_http(c, url);
	for (attempt = 0;; attempt++) {
		if (stopped(c))
			return errstr_set(errstr, "%s: interrupted", what);
		if (mode == XF_API && c->token_len == 0 &&
		    authenticate(c, errstr) < 0)
			return -1;
		/* The header list is built on the stack so that the token
		 * stays in guarded memory: curl_slist_append would copy it. */
		hdrs = NULL;
		expect.data = (char *)"Expect:";
		expect.next = NULL;
		hdrs = &expect;
		if (secret_hdr != NULL) {
			tok.data = secret_hdr;
			tok.next = hdrs;
			hdrs = &tok;
		}
		x.resume_from = x.delivered;
		x.skip = 0;
		x.skip_set = 0;
		if (r->sink != NULL && x.delivered > 0) {
			snprintf(rangebuf, sizeof(rangebuf),
			    "Range: bytes=%llu-", (unsigned long long)x.delivered);
			range.data = rangebuf;
			range.next = hdrs;
			hdrs = &range;
			if (etag0[0] != '\0' && !has_header(r, "If-Match")) {
				snprintf(ifmatchbuf, sizeof(ifmatchbuf),
				    "If-Match: \"%s\"", etag0);
				ifmatch.data = ifmatchbuf;
				ifmatch.next = hdrs;
				hdrs = &ifmatch;
			}
		}
		/* The caller's headers are copied: they carry no secret. */
		h = NULL;
		for (const char *const *p = r->headers; p != NULL && *p != NULL;
		    p++) {
			struct curl_slist *n = curl_slist_append(h, *p);

			if (n == NULL) {
				curl_slist_free_all(h);
				return errstr_set(errstr, "%s: out of memory", what);
			}
			h = n;
		}
		if (h != NULL) {
			struct curl_slist *last = h;

			while (last->next != NULL)
				last = last->next;
			last->next = hdrs;
			hdrs = h;
		}
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
		x.cap = 0;
		x.up_pos = 0;
		x.errbody_len = 0;
		x.errbody[0] = '\0';
		x.too_big = 0;
		x.sends = 0;
		resp->tries = ++tries;
		cc = perform(c, &x, url, hdrs);
		if (x.sends > 1) {
			tries += x.sends - 1;
			resp->tries = tries;
			logf_(c, "%s %s: sent again on a new connection",
			    r->method, url_path(url));
		}
		/* Unhook our stack nodes before freeing the copied ones. */
		if (h != NULL) {
			struct curl_slist *last = h;

			while (last->next != NULL && last->next != &expect &&
			    last->next != &tok && last->next != &range &&
			    last->next != &ifmatch)
				last = last->next;
			last->next = NULL;
			curl_slist_free_all(h);
		}
		if (x.sink_failed)
			return -1;
		if (stopped(c))
			return errstr_set(errstr, "%s: interrupted", what);
		if (x.too_big)
			return errstr_set(errstr, "%s: response larger than "
			    "%zu bytes", what, r->capture_max);
		errbody_note(&x, note, sizeof(note));
		delay = 0;
		if (cc != CURLE_OK) {
			if (!retryable_curl(cc))
				return errstr_set(errstr, "%s: %s", what,
				    curl_easy_strerror(cc));
			snprintf(reason, sizeof(reason), "%s",
			    curl_easy_strerror(cc));
			logf_(c, "%s %s: %s", r->method, url_path(url), reason);
		} else {
			logf_(c, "%s %s: %ld", r->method, url_path(url),
			    resp->status);
			if (ok_status(resp->status) && r->sink != NULL &&
			    etag0[0] == '\0')
				memcpy(etag0, resp->etag, sizeof(etag0));
			if (resp->status == 401 && mode == XF_API) {
				if (c->kind == AUTH_PREAUTH)
					return errstr_set(errstr, "%s: HTTP 401:"
					    " the token in OS_AUTH_TOKEN was "
					    "refused (pre-authenticated: cannot "
					    "re-authenticate)", what);
				if (reauthed)
					return errstr_set(errstr, "%s: HTTP 401"
					    " after re-authenticating%s", what, note);
				reauthed = 1;
				c->token_len = 0;
				attempt--;
				continue;
			}
			if (resp->status != 408 && resp->status != 429 &&
			    resp->status < 500) {
				if (resp->status == 412 && x.resume_from > 0)
					return errstr_set(errstr, "%s: the "
					    "object changed during the transfer", what);
				if (x.resume_from > 0 &&
				    resp->status == 206 && (!x.has_range ||
				    x.range_start != x.resume_from))
					return errstr_set(errstr, "%s: the "
					    "server resumed at the wrong offset", what);
				if (resp->status == 416 && x.resume_from > 0)
					resp->status = 200;
				if (resp->status == 206 && x.resume_from > 0)
					resp->status = 200;
				if (etag0[0] != '\0')
					memcpy(resp->etag, etag0, sizeof(etag0));
				if (!ok_status(resp->status) &&
				    r->capture_max > 0 && resp->body == NULL &&
				    x.errbody_len > 0) {
					resp->body = strdup(x.errbody);
					resp->body_len = resp->body != NULL ?
					    x.errbody_len : 0;
				}
				return 0;
			}
			snprintf(reason, sizeof(reason), "HTTP %ld",
			    resp->status);
			if (x.retry_after[0] != '\0') {
				char *end;

				delay = strtol(x.retry_after, &end, 10);
				if (*end != '\0' || delay < 0)
					delay = 0;
				if (delay > RETRY_AFTER_MAX)
					delay = RETRY_AFTER_MAX;
				delay *= 1000;
			}
		}
		if (attempt >= c->o.retries)
			return errstr_set(errstr, "%s: %s after %d %s",
			    what, reason, tries,
			    tries == 1 ? "try" : "tries");
		if (delay == 0)
			delay = 1000L << (attempt < 5 ? attempt : 5);
		if (delay > BACKOFF_MAX * 1000L && x.retry_after[0] == '\0')
			delay = BACKOFF_MAX * 1000L;
		logf_(c, "%s %s: retry %d of %d in %.1f s", r->method,
		    url_path(url), attempt + 1, c->o.retries,
		    (double)delay / 1000);
		if (nap(c, delay) < 0)
			return errstr_set(errstr, "%s: interrupted", what);
	}
}

/* Builds "<storage_url>/<container>[/<object>][?query]". */
static char *
object_url(struct swift_ctx *c, const struct swift_req *r)
{
	char *ec = NULL, *eo = NULL, *url = NULL;
	size_t n;

	if ((r->container != NULL &&
	    (ec = swift_urlencode(r->container, 0)) == NULL) ||
	    (r->object != NULL && (eo = swift_urlencode(r->object, 1)) == NULL))
		goto out;
	n = strlen(c->storage_url) + (ec ? strlen(ec) : 0) +
	    (eo ? strlen(eo) : 0) + (r->query ? strlen(r->query) : 0) + 8;
	if ((url = malloc(n)) == NULL)
		goto out;
	snprintf(url, n, "%s%s%s%s%s%s%s", c->storage_url, ec ? "/" : "",
	    ec ? ec : "", eo ? "/" : "", eo ? eo : "", r->query ? "?" : "",
	    r->query ? r->query : "");
out:
	free(ec);
	free(eo);
	return url;
}

int
swift_request(struct swift_ctx *c, const struct swift_req *r,
    struct swift_resp *resp, char *errstr)
{
	char name[1024], *url;
	int rc;

	snprintf(name, sizeof(name), "%s%s%s",
	    r->container ? r->container : "(account)",
	    r->object ? "/" : "", r->object ? r->object : "");
	memset(resp, 0, sizeof(*resp));
	if (c->token_len == 0 && authenticate(c, errstr) < 0)
		return -1;
	if ((url = object_url(c, r)) == NULL)
		return errstr_set(errstr, "%s %s: out of memory", r->method,
		    name);
	rc = transfer(c, r, resp, url, name, XF_API, c->authhdr, errstr);
	free(url);
	return rc;
}

/* v1: GET ST_AUTH with X-Auth-User and X-Auth-Key; the reply carries
 * X-Storage-Url and X-Auth-Token. */
static int
auth_v1(struct swift_ctx *c, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;
	char *userhdr, *keyhdr;
	const char *hdrs[2] = { NULL, NULL };
	size_t n = c->key.len + 16, un = strlen(c->user) + 16;
	int rc;

	userhdr = malloc(un);
	if ((keyhdr = sodium_malloc(n)) == NULL || userhdr == NULL) {
		if (keyhdr != NULL)
			sodium_free(keyhdr);
		free(userhdr);
		return errstr_set(errstr, "v1 authentication: out of memory");
	}
	snprintf(keyhdr, n, "X-Auth-Key: %s", c->key.buf);
	snprintf(userhdr, un, "X-Auth-User: %s", c->user);
	hdrs[0] = userhdr;
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.headers = hdrs;
	rc = transfer(c, &r, &resp, c->auth_url, "v1 authentication", XF_AUTH,
	    keyhdr, errstr);
	sodium_free(keyhdr);
	free(userhdr);
	free(resp.body);
	if (rc < 0)
		return -1;
	if (!ok_status(resp.status))
		return errstr_set(errstr, "v1 authentication: HTTP %ld%s",
		    resp.status, resp.status == 401 || resp.status == 403 ?
		    " (check ST_USER and ST_KEY)" : "");
	if (c->url_too_long)
		return errstr_set(errstr, "v1 authentication: the "
		    "X-Storage-Url in the reply is longer than %d bytes",
		    URL_MAX);
	if (c->token_len == 0 || c->storage_url == NULL)
		return errstr_set(errstr, "v1 authentication: no token or "
		    "storage URL in the reply");
	return 0;
}

/* Appends a JSON member "name":{"key":value} style fragment: one
 * {"name": "...") or {"id": "..."} object for a domain or project. */
static size_t
id_or_name(char *dst, size_t cap, const char *id, const char *name)
{
	size_t n = (size_t)snprintf(dst, cap, "{\"%s\":", id ? "id" : "name");

	n += json_escape(n < cap ? dst + n : NULL, n < cap ? cap - n : 0,
	    id ? id : name);
	if (n + 1 < cap) {
		dst[n] = '}';
		dst[n + 1] = '\0';
	}
	return n + 1;
}

/* Appends s at b + n when it fits in cap (b may be NULL, cap 0); returns
 * its length, so that a first pass can measure. */
static size_t
put_str(char *b, size_t cap, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (n + len < cap)
		memcpy(b + n, s, len + 1);
	return len;
}

/*
 * Writes the Keystone v3 request body into b (cap bytes; NULL and 0 to
 * measure); returns its length, which fits when less than cap.  Nothing is
 * written past cap whatever the lengths of the names and secrets.
 */
static size_t
keystone_body_fill(const struct swift_ctx *c, char *b, size_t cap)
{
	size_t n = 0;

#define AT		(n < cap ? b + n : NULL), (n < cap ? cap - n : 0)
#define ADD(s)		n += put_str(b, cap, n, s)
#define ESC(s)		n += json_escape(AT, s)
	if (c->kind == AUTH_APPCRED) {
		ADD("{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],"
		    "\"application_credential\":{\"id\":");
		ESC(c->appcred_id);
		ADD(",\"secret\":");
		ESC(c->key.buf);
		ADD("}}}}");
		return n;
	}
	ADD("{\"auth\":{\"identity\":{\"methods\":[\"password\"],"
	    "\"password\":{\"user\":{\"name\":");
	ESC(c->user);
	ADD(",\"domain\":");
	n += id_or_name(AT, c->user_domain_id,
	    c->user_domain_name ? c->user_domain_name : "Default");
	ADD(",\"password\":");
	ESC(c->key.buf);
	ADD("}}}");
	if (c->project_id != NULL || c->project_name != NULL) {
		ADD(",\"scope\":{\"project\":");
		if (c->project_id != NULL)
			n += id_or_name(AT, c->project_id, NULL);
		else {
			ADD("{\"name\":");
			ESC(c->project_name);
			ADD(",\"domain\":");
			n += id_or_name(AT, c->project_domain_id,
			    c->project_domain_name ?
			    c->project_domain_name : "Default");
			ADD("}");
		}
		ADD("}");
	}
	ADD("}}");
#undef AT
#undef ADD
#undef ESC
	return n;
}

/* Builds the Keystone v3 request body into guarded memory (it holds the
 * password); returns NULL when out of memory. */
static char *
keystone_body(const struct swift_ctx *c, size_t *len)
{
	size_t cap = keystone_body_fill(c, NULL, 0) + 1;
	char *b = sodium_malloc(cap);

	if (b == NULL)
		return NULL;
	*len = keystone_body_fill(c, b, cap);
	if (*len >= cap) {	/* cannot happen: the same inputs twice */
		sodium_free(b);
		return NULL;
	}
	return b;
}

/* Finds the object-store endpoint for the interface and region asked. */
static int
catalog_endpoint(struct swift_ctx *c, const char *body, size_t len,
    char *errstr)
{
	const char *want = c->interface ? c->interface : "public";
	const struct json *svc, *ep;
	struct json *j;
	size_t wlen;

	/* python-swiftclient also accepts "publicURL" and the like. */
	wlen = strlen(want);
	if (wlen > 3 && strcmp(want + wlen - 3, "URL") == 0)
		wlen -= 3;
	if ((j = json_parse(body, len, errstr)) == NULL)
		return errstr_set(errstr, "Keystone authentication: bad "
		    "token reply");
	svc = json_get(json_get(j, "token"), "catalog");
	for (svc = svc ? svc->child : NULL; svc != NULL; svc = svc->next) {
		const char *type = json_get_str(svc, "type");

		if (type == NULL || strcmp(type, "object-store") != 0)
			continue;
		ep = json_get(svc, "endpoints");
		for (ep = ep ? ep->child : NULL; ep != NULL; ep = ep->next) {
			const char *iface = json_get_str(ep, "interface");
			const char *region = json_get_str(ep, "region");
			const char *region_id = json_get_str(ep, "region_id");
			const char *url = json_get_str(ep, "url");

			if (iface == NULL || url == NULL ||
			    strlen(iface) != wlen ||
			    strncmp(iface, want, wlen) != 0)
				continue;
			if (c->region != NULL && !(region != NULL &&
			    strcmp(region, c->region) == 0) &&
			    !(region_id != NULL &&
			    strcmp(region_id, c->region) == 0))
				continue;
			if (strlen(url) > URL_MAX) {
				json_free(j);
				return errstr_set(errstr, "Keystone "
				    "authentication: the object-store URL in "
				    "the catalog is longer than %d bytes",
				    URL_MAX);
			}
			free(c->storage_url);
			c->storage_url = strdup(url);
			json_free(j);
			return c->storage_url ? 0 : errstr_set(errstr,
			    "Keystone authentication: out of memory");
		}
	}
	json_free(j);
	return errstr_set(errstr, "Keystone authentication: no object-store "
	    "endpoint for interface %.*s%s%s in the catalog", (int)wlen, want,
	    c->region ? " in region " : "", c->region ? c->region : "");
}

/* Keystone v3: POST /v3/auth/tokens; X-Subject-Token and the catalog. */
static int
auth_keystone(struct swift_ctx *c, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;
	const char *hdrs[2] = { "Content-Type: application/json", NULL };
	char *body, url[URL_MAX + 32];
	size_t blen, n = strlen(c->auth_url);
	int rc;

	while (n > 0 && c->auth_url[n - 1] == '/')
		n--;
	if (n > URL_MAX)
		return errstr_set(errstr, "OS_AUTH_URL is longer than %d bytes",
		    URL_MAX);
	snprintf(url, sizeof(url), "%.*s%s/auth/tokens", (int)n, c->auth_url,
	    n >= 3 && strncmp(c->auth_url + n - 3, "/v3", 3) == 0 ? "" :
	    "/v3");
	if ((body = keystone_body(c, &blen)) == NULL)
		return errstr_set(errstr, "Keystone authentication: out of "
		    "memory");
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.headers = hdrs;
	r.body = body;
	r.body_len = blen;
	r.capture_max = AUTH_BODY_MAX;
	rc = transfer(c, &r, &resp, url, "Keystone authentication", XF_AUTH,
	    NULL, errstr);
	sodium_free(body);
	if (rc == 0 && !ok_status(resp.status))
		rc = errstr_set(errstr, "Keystone authentication: HTTP %ld%s",
		    resp.status, resp.status == 401 ? " (check the OS_* "
		    "credentials)" : "");
	else if (rc == 0 && c->token_len == 0)
		rc = errstr_set(errstr, "Keystone authentication: no "
		    "X-Subject-Token in the reply");
	else if (rc == 0)
		rc = catalog_endpoint(c, resp.body ? resp.body : "",
		    resp.body_len, errstr);
	free(resp.body);
	return rc;
}

static int
authenticate(struct swift_ctx *c, char *errstr)
{
	int rc = -1;

	c->token_len = 0;
	switch (c->kind) {
	case AUTH_PREAUTH:
		return errstr_set(errstr, "OS_AUTH_TOKEN was refused "
		    "(pre-authenticated: cannot re-authenticate)");
	case AUTH_V1:
		rc = auth_v1(c, errstr);
		break;
	case AUTH_PASSWORD:
	case AUTH_APPCRED:
		rc = auth_keystone(c, errstr);
		break;
	}
	if (rc < 0) {
		c->token_len = 0;
		return -1;
	}
	if (c->storage_override != NULL) {
		free(c->storage_url);
		if ((c->storage_url = strdup(c->storage_override)) == NULL)
			return errstr_set(errstr, "out of memory");
	}
	return 0;
}

int
swift_info(struct swift_ctx *c, struct swift_limits *l, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;
	const struct json *slo, *sw;
	struct json *j;
	char url[URL_MAX + 32], e[ERRSTR_LEN];
	const char *p;
	int rc;

	l->max_manifest_segments = 1000;
	l->max_manifest_size = 8 * 1024 * 1024;
	l->min_segment_size = 1024 * 1024;
	l->max_file_size = 5368709122ULL;
	if (c->token_len == 0 && authenticate(c, errstr) < 0)
		return -1;
	/* /info sits at the root of the proxy, as python-swiftclient finds
	 * it. */
	p = strstr(c->storage_url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	snprintf(url, sizeof(url), "%.*s/info",
	    p ? (int)(p - c->storage_url) : (int)strlen(c->storage_url),
	    c->storage_url);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.capture_max = 4 * 1024 * 1024;
	/* Anyone may read /info: it goes without the token, and nothing in
	 * its reply may set the token or the storage URL. */
	rc = transfer(c, &r, &resp, url, "/info", XF_PLAIN, NULL, errstr);
	if (rc < 0)
		return -1;
	if (resp.status == 200 &&
	    (j = json_parse(resp.body ? resp.body : "", resp.body_len, e))) {
		slo = json_get(j, "slo");
		sw = json_get(j, "swift");
		json_get_u64(slo, "max_manifest_segments",
		    &l->max_manifest_segments);
		json_get_u64(slo, "max_manifest_size", &l->max_manifest_size);
		json_get_u64(slo, "min_segment_size", &l->min_segment_size);
		json_get_u64(sw, "max_file_size", &l->max_file_size);
		json_free(j);
	}
	free(resp.body);
	if (l->max_manifest_segments < 2)
		l->max_manifest_segments = 2;
	return 0;
}
