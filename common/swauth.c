/*
 * Swift credentials and authentication: the variables read from the
 * environment (v1, Keystone v3 password or application credential, a
 * pre-authenticated token), and the requests that trade them for a token
 * and a storage URL.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "swiftint.h"

#define AUTH_BODY_MAX	(4 * 1024 * 1024)

char *
sw_env_dup(const char *name)
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
	char *storage = sw_env_dup("OS_STORAGE_URL");
	struct secret tok;
	int rc;

	if ((rc = env_secret(&tok, "OS_AUTH_TOKEN", errstr)) < 0)
		goto fail;
	if (rc == 0 && storage != NULL) {
		c->kind = SW_AUTH_PREAUTH;
		c->storage_url = storage;
		c->key = tok;
		return 0;
	}
	secret_free(&tok);
	c->storage_override = storage;
	if ((c->auth_url = sw_env_dup("ST_AUTH")) != NULL) {
		c->kind = SW_AUTH_V1;
		c->user = sw_env_dup("ST_USER");
		if ((rc = env_secret(&c->key, "ST_KEY", errstr)) < 0)
			return -1;
		if (c->user == NULL || rc == 1)
			return errstr_set(errstr,
			    "ST_AUTH is set but ST_USER or ST_KEY is not");
		return 0;
	}
	if ((c->auth_url = sw_env_dup("OS_AUTH_URL")) == NULL)
		return errstr_set(errstr, "no credentials: set ST_AUTH, "
		    "ST_USER and ST_KEY, or OS_AUTH_URL and the other OS_* "
		    "variables, or OS_STORAGE_URL and OS_AUTH_TOKEN");
	c->region = sw_env_dup("OS_REGION_NAME");
	c->interface = sw_env_dup("OS_INTERFACE");
	c->appcred_id = sw_env_dup("OS_APPLICATION_CREDENTIAL_ID");
	if (c->appcred_id != NULL) {
		c->kind = SW_AUTH_APPCRED;
		if ((rc = env_secret(&c->key,
		    "OS_APPLICATION_CREDENTIAL_SECRET", errstr)) < 0)
			return -1;
		if (rc == 1)
			return errstr_set(errstr, "OS_APPLICATION_CREDENTIAL_ID "
			    "is set but OS_APPLICATION_CREDENTIAL_SECRET is not");
		return 0;
	}
	c->kind = SW_AUTH_PASSWORD;
	c->user = sw_env_dup("OS_USERNAME");
	c->project_name = sw_env_dup("OS_PROJECT_NAME");
	if (c->project_name == NULL)
		c->project_name = sw_env_dup("OS_TENANT_NAME");
	c->project_id = sw_env_dup("OS_PROJECT_ID");
	if (c->project_id == NULL)
		c->project_id = sw_env_dup("OS_TENANT_ID");
	c->user_domain_name = sw_env_dup("OS_USER_DOMAIN_NAME");
	c->user_domain_id = sw_env_dup("OS_USER_DOMAIN_ID");
	c->project_domain_name = sw_env_dup("OS_PROJECT_DOMAIN_NAME");
	c->project_domain_id = sw_env_dup("OS_PROJECT_DOMAIN_ID");
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
	const char *url = c->kind == SW_AUTH_PREAUTH ? c->storage_url :
	    c->auth_url;
	const char *name = c->kind == SW_AUTH_PREAUTH ? "OS_STORAGE_URL" :
	    c->kind == SW_AUTH_V1 ? "ST_AUTH" : "OS_AUTH_URL";

	if (url != NULL && strlen(url) > SW_URL_MAX)
		return errstr_set(errstr, "%s is longer than %d bytes", name,
		    SW_URL_MAX);
	if (c->storage_override != NULL &&
	    strlen(c->storage_override) > SW_URL_MAX)
		return errstr_set(errstr, "OS_STORAGE_URL is longer than %d "
		    "bytes", SW_URL_MAX);
	return 0;
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

int
sw_creds_read(struct swift_ctx *c, char *errstr)
{
	return read_env(c, errstr) < 0 || check_urls(c, errstr) < 0 ? -1 : 0;
}

int
sw_creds_copy(struct swift_ctx *d, const struct swift_ctx *c,
    char *errstr)
{
	int bad = 0;

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
	d->storage_override = dup_or_null(c->storage_override, &bad);
	if (bad)
		return errstr_sys(errstr, "swift");
	return secret_copy(&d->key, &c->key, errstr);
}

void
sw_creds_free(struct swift_ctx *c)
{
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
	free(c->storage_override);
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
	rc = sw_transfer(c, SW_REQ_AUTH, &r, &resp, c->auth_url,
	    "v1 authentication", keyhdr, errstr);
	sodium_free(keyhdr);
	free(userhdr);
	free(resp.body);
	if (rc < 0)
		return -1;
	if (!sw_ok_status(resp.status))
		return errstr_set(errstr, "v1 authentication: HTTP %ld%s",
		    resp.status, resp.status == 401 || resp.status == 403 ?
		    " (check ST_USER and ST_KEY)" : "");
	if (c->url_too_long)
		return errstr_set(errstr, "v1 authentication: the "
		    "X-Storage-Url in the reply is longer than %d bytes",
		    SW_URL_MAX);
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
	if (c->kind == SW_AUTH_APPCRED) {
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
			if (strlen(url) > SW_URL_MAX) {
				json_free(j);
				return errstr_set(errstr, "Keystone "
				    "authentication: the object-store URL in "
				    "the catalog is longer than %d bytes",
				    SW_URL_MAX);
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
	char *body, url[SW_URL_MAX + 32];
	size_t blen, n = strlen(c->auth_url);
	int rc;

	while (n > 0 && c->auth_url[n - 1] == '/')
		n--;
	if (n > SW_URL_MAX)
		return errstr_set(errstr, "OS_AUTH_URL is longer than %d bytes",
		    SW_URL_MAX);
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
	rc = sw_transfer(c, SW_REQ_AUTH, &r, &resp, url,
	    "Keystone authentication", NULL, errstr);
	sodium_free(body);
	if (rc == 0 && !sw_ok_status(resp.status))
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

int
sw_preauth(struct swift_ctx *c, char *errstr)
{
	if (c->kind != SW_AUTH_PREAUTH)
		return 0;
	if (c->key.len > SW_TOKEN_MAX)
		return errstr_set(errstr, "OS_AUTH_TOKEN is too long");
	memcpy(c->authhdr + sizeof(SW_TOKEN_HDR) - 1, c->key.buf,
	    c->key.len + 1);
	c->token_len = c->key.len;
	return 0;
}

int
sw_authenticate(struct swift_ctx *c, char *errstr)
{
	int rc = -1;

	c->token_len = 0;
	switch (c->kind) {
	case SW_AUTH_PREAUTH:
		return errstr_set(errstr, "OS_AUTH_TOKEN was refused "
		    "(pre-authenticated: cannot re-authenticate)");
	case SW_AUTH_V1:
		rc = auth_v1(c, errstr);
		break;
	case SW_AUTH_PASSWORD:
	case SW_AUTH_APPCRED:
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
