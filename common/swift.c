/*
 * The Swift API the programs call: a context (credentials from swauth.c, a
 * libcurl handle, the token), requests on containers and objects sent
 * through the engine in swreq.c, and the cluster's limits from /info.  The
 * options every swift-* program shares are parsed in common/cli.c.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "swiftint.h"

const char *
swift_default_container(void)
{
	const char *s = getenv("SWIFT_CONTAINER");

	return s != NULL && *s != '\0' ? s : SWIFT_DEFAULT_CONTAINER;
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
	c->cacert = sw_env_dup("OS_CACERT");
	if (sw_creds_read(c, errstr) < 0)
		goto fail;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		errstr_set(errstr, "libcurl: initialisation failed");
		goto fail;
	}
	c->curl = curl_easy_init();
	c->authhdr = sodium_malloc(sizeof(SW_TOKEN_HDR) + SW_TOKEN_MAX);
	if (c->curl == NULL || c->authhdr == NULL) {
		errstr_set(errstr, "libcurl: out of memory");
		goto fail;
	}
	memcpy(c->authhdr, SW_TOKEN_HDR, sizeof(SW_TOKEN_HDR));
	if (sw_preauth(c, errstr) < 0)
		goto fail;
	return c;
fail:
	swift_free(c);
	return NULL;
}

struct swift_ctx *
swift_dup(const struct swift_ctx *c, char *errstr)
{
	struct swift_ctx *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		errstr_sys(errstr, "swift");
		return NULL;
	}
	d->o = c->o;
	if (sw_creds_copy(d, c, errstr) < 0)
		goto fail;
	if ((c->cacert != NULL && (d->cacert = strdup(c->cacert)) == NULL) ||
	    (c->storage_url != NULL &&
	    (d->storage_url = strdup(c->storage_url)) == NULL)) {
		errstr_sys(errstr, "swift");
		goto fail;
	}
	d->curl = curl_easy_init();
	d->authhdr = sodium_malloc(sizeof(SW_TOKEN_HDR) + SW_TOKEN_MAX);
	if (d->curl == NULL || d->authhdr == NULL) {
		errstr_set(errstr, "libcurl: out of memory");
		goto fail;
	}
	memcpy(d->authhdr, c->authhdr, sizeof(SW_TOKEN_HDR) + SW_TOKEN_MAX);
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
	sw_creds_free(c);
	free(c->cacert);
	free(c->storage_url);
	free(c);
}

void
swift_set_stop(struct swift_ctx *c, volatile sig_atomic_t *stop)
{
	c->o.stop = stop;
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
	if (c->token_len == 0 && sw_authenticate(c, errstr) < 0)
		return -1;
	if ((url = object_url(c, r)) == NULL)
		return errstr_set(errstr, "%s %s: out of memory", r->method,
		    name);
	rc = sw_transfer(c, SW_REQ_STORAGE, r, resp, url, name, NULL, errstr);
	free(url);
	return rc;
}

int
swift_info(struct swift_ctx *c, struct swift_limits *l, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;
	const struct json *slo, *sw;
	struct json *j;
	char url[SW_URL_MAX + 32], e[ERRSTR_LEN];
	const char *p;
	int rc;

	l->max_manifest_segments = 1000;
	l->max_manifest_size = 8 * 1024 * 1024;
	l->min_segment_size = 1024 * 1024;
	l->max_file_size = 5368709122ULL;
	if (c->token_len == 0 && sw_authenticate(c, errstr) < 0)
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
	rc = sw_transfer(c, SW_REQ_PLAIN, &r, &resp, url, "/info", NULL,
	    errstr);
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

/* A listing page is at most container_listing_limit (10000 by default)
 * entries of at most 1 KiB names each. */
#define LIST_PAGE_MAX	(64 * 1024 * 1024)

/* One page after marker; returns the entry count, or -1. */
static int
list_page(struct swift_ctx *c, const char *container, const char *eprefix,
    char **marker, swift_list_fn fn, void *arg, char *errstr)
{
	char *emarker = NULL, *query = NULL, why[ERRSTR_LEN];
	const struct json *k, *last = NULL;
	struct swift_req r;
	struct swift_resp resp;
	struct json *j;
	int n = 0, rc;

	if ((*marker != NULL && (emarker = swift_urlencode(*marker, 0)) ==
	    NULL) || asprintf(&query, "format=json%s%s%s%s",
	    eprefix ? "&prefix=" : "", eprefix ? eprefix : "",
	    emarker ? "&marker=" : "", emarker ? emarker : "") < 0) {
		free(emarker);
		return errstr_set(errstr, "GET %s: out of memory", container);
	}
	free(emarker);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.container = container;
	r.query = query;
	r.capture_max = LIST_PAGE_MAX;
	rc = swift_request(c, &r, &resp, errstr);
	free(query);
	if (rc < 0)
		return -1;
	if (resp.status == 404 || resp.status == 204 || resp.status != 200) {
		free(resp.body);
		if (resp.status == 204)
			return 0;
		if (resp.status == 404)
			return errstr_set(errstr, "%s: container not found",
			    container);
		return errstr_set(errstr, "GET %s: HTTP %ld", container,
		    resp.status);
	}
	j = json_parse(resp.body ? resp.body : "", resp.body_len, why);
	free(resp.body);
	if (j == NULL || j->type != JSON_ARRAY) {
		errstr_set(errstr, "GET %s: listing: %s", container,
		    j == NULL ? why : "not a list");
		json_free(j);
		return -1;
	}
	for (k = j->child; k != NULL && rc == 0; k = k->next, n++) {
		if (json_get_str(k, "name") == NULL)
			rc = errstr_set(errstr, "GET %s: listing: an entry "
			    "without a name", container);
		else
			rc = fn(arg, k, errstr);
		last = k;
	}
	free(*marker);
	*marker = last != NULL && rc == 0 ?
	    strdup(json_get_str(last, "name")) : NULL;
	if (rc == 0 && last != NULL && *marker == NULL)
		rc = errstr_set(errstr, "GET %s: out of memory", container);
	json_free(j);
	return rc < 0 ? -1 : n;
}

int
swift_list(struct swift_ctx *c, const char *container, const char *prefix,
    swift_list_fn fn, void *arg, char *errstr)
{
	char *eprefix = NULL, *marker = NULL;
	int n;

	if (prefix != NULL && (eprefix = swift_urlencode(prefix, 0)) == NULL)
		return errstr_set(errstr, "GET %s: out of memory", container);
	/* Pages are as long as the cluster's container_listing_limit; only
	 * an empty one ends the listing. */
	do
		n = list_page(c, container, eprefix, &marker, fn, arg, errstr);
	while (n > 0);
	free(marker);
	free(eprefix);
	return n < 0 ? -1 : 0;
}
