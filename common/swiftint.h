/*
 * What the three halves of common/swift share, and nothing outside them
 * includes: the context, the request kinds, and the calls between the
 * public API (swift.c), the request engine (swreq.c) and authentication
 * (swauth.c).
 */
#ifndef RDBPIPE_SWIFTINT_H
#define RDBPIPE_SWIFTINT_H

#include <curl/curl.h>
#include <stddef.h>
#include <time.h>

#include "secret.h"
#include "swift.h"

#define SW_TOKEN_HDR		"X-Auth-Token: "
#define SW_TOKEN_MAX		(16 * 1024)
#define SW_URL_MAX		4096	/* a storage or auth URL, bytes */
#define SW_BACKOFF_MAX		32	/* seconds */
#define SW_RETRY_AFTER_MAX	60	/* seconds */

enum sw_auth { SW_AUTH_V1, SW_AUTH_PASSWORD, SW_AUTH_APPCRED, SW_AUTH_PREAUTH };

/*
 * What a request is.  A storage request goes to the storage URL with the
 * token (authenticating first, and again once on a 401).  An
 * authentication request carries the credentials (a header the caller
 * gives, or its body) and is the only kind whose reply may set the token
 * and the storage URL.  A plain one (/info) carries neither and changes
 * nothing.  Only a storage request treats a 401 as anything but final.
 */
enum sw_req_kind { SW_REQ_STORAGE, SW_REQ_AUTH, SW_REQ_PLAIN };

struct swift_ctx {
	struct swift_opts	 o;
	CURL			*curl;
	enum sw_auth		 kind;
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

/* swreq.c: the request engine. */

/* Sends r to url (absolute) until a final status, retrying and backing
 * off; name labels messages, cred_hdr is an authentication request's
 * credential header line in guarded memory (or NULL).  Returns 0 with the
 * status in resp (free resp->body), or -1 with errstr set. */
int sw_transfer(struct swift_ctx *c, enum sw_req_kind kind,
    const struct swift_req *r, struct swift_resp *resp, const char *url,
    const char *name, char *cred_hdr, char *errstr);

/* The wait before retry number attempt + 1 (attempt counts from 0), in
 * milliseconds: what retry_after asks (delta-seconds, or an HTTP-date
 * measured from now), at most SW_RETRY_AFTER_MAX s, else 1 s doubled each
 * attempt up to SW_BACKOFF_MAX s.  retry_after may be NULL or empty. */
long sw_backoff(int attempt, const char *retry_after, time_t now);

/* Whether s is a 2xx status. */
int sw_ok_status(long s);

/* swauth.c: credentials and authentication. */

/* A copy of the environment variable name, or NULL when unset or empty. */
char *sw_env_dup(const char *name);

/* Reads the credentials from the environment into c (wiping secret
 * variables); returns 0, or -1 with errstr set. */
int sw_creds_read(struct swift_ctx *c, char *errstr);

/* Copies c's credentials into d; returns 0, or -1 with errstr set. */
int sw_creds_copy(struct swift_ctx *d, const struct swift_ctx *c,
    char *errstr);

/* Frees the credentials, wiping the secret. */
void sw_creds_free(struct swift_ctx *c);

/* With a pre-authenticated token (OS_STORAGE_URL and OS_AUTH_TOKEN),
 * puts it in c->authhdr; returns 0, or -1 with errstr set. */
int sw_preauth(struct swift_ctx *c, char *errstr);

/* Gets a token and the storage URL; returns 0, or -1 with errstr set. */
int sw_authenticate(struct swift_ctx *c, char *errstr);

#endif
