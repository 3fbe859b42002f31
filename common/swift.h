/*
 * OpenStack Swift over libcurl: authentication (v1, Keystone v3 password or
 * application credential, a pre-authenticated token), and the one request
 * path everything goes through, with retries and backoff, a single
 * re-authentication on 401, and GETs that resume with Range and If-Match
 * after a dropped connection without repeating or losing a byte.  Secrets
 * (keys, passwords, tokens) live in sodium_malloc memory and never reach a
 * message or the log.
 */
#ifndef RDBPIPE_SWIFT_H
#define RDBPIPE_SWIFT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "errstr.h"
#include "io.h"

#define SWIFT_DEFAULT_CONTAINER	"database_backups"
#define SWIFT_DEFAULT_RETRIES	5
#define SWIFT_ETAG_LEN		64
#define SWIFT_META_MAX		8192

struct swift_opts {
	int			 retries;	/* tries after the first */
	int			 insecure;	/* no TLS verification */
	/* Non-NULL: called with each request's method, URL path and status
	 * (never a secret), a line a call without the newline, for -v. */
	void			(*log)(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
	/* When it becomes non-zero (a signal handler sets it), transfers and
	 * backoff sleeps stop and the request fails with "interrupted". */
	volatile sig_atomic_t	*stop;
	/* Non-NULL: called with a warning (never a secret) to print, such
	 * as credentials about to go over plain http. */
	void			(*warn)(const char *msg);
};

/* The cluster's large-object limits, from /info (Swift's defaults when it
 * does not say). */
struct swift_limits {
	uint64_t	max_manifest_segments;
	uint64_t	max_manifest_size;
	uint64_t	min_segment_size;
	uint64_t	max_file_size;
};

struct swift_req {
	const char		*method;	/* GET HEAD PUT POST DELETE */
	const char		*container;	/* NULL for the account */
	const char		*object;	/* NULL for the container */
	const char		*query;		/* already encoded, or NULL */
	const char *const	*headers;	/* "Name: value", NULL-ended */
	const void		*body;		/* PUT/POST body in memory */
	size_t			 body_len;
	/* A GET's body goes to sink when the status is 2xx; a broken
	 * transfer resumes where the sink left off. */
	io_sink_fn		 sink;
	void			*sink_arg;
	/* Otherwise up to capture_max bytes of it are kept in resp->body
	 * (more is an error). */
	size_t			 capture_max;
};

struct swift_resp {
	long		 status;
	int		 tries;		/* requests sent, re-auth excluded */
	char		 etag[SWIFT_ETAG_LEN];	/* without quotes */
	int		 has_length;
	uint64_t	 length;	/* Content-Length */
	int		 slo;		/* X-Static-Large-Object: True */
	int		 dlo;		/* X-Object-Manifest present */
	uint64_t	 delete_at;	/* X-Delete-At, 0 when absent */
	char		 last_modified[40];
	/* The object's X-Object-Meta-* headers as "name=value\n" lines, the
	 * name lower case without the prefix (Swift allows 4 KiB of names
	 * and values in all). */
	char		 meta[SWIFT_META_MAX];
	size_t		 meta_len;
	char		*body;		/* captured, NUL-terminated; free() */
	size_t		 body_len;
};

struct swift_ctx;

/*
 * The options every swift-* program takes, for getopt_long: -c, --retries,
 * --insecure and the output options of common/cli (listed in
 * SWIFT_LONGOPTS, short ones in SWIFT_SHORTOPTS).  Their values, and
 * swift_cli_init and swift_cli_option which parse them, are in
 * common/cli.h with the other shared options.
 */
#define SWIFT_SHORTOPTS	"c:" CLI_OUT_SHORTOPTS
#define SWIFT_LONGOPTS \
	{ "container", required_argument, NULL, 'c' }, \
	{ "retries", required_argument, NULL, SWIFT_OPT_RETRIES }, \
	{ "insecure", no_argument, NULL, SWIFT_OPT_INSECURE }, \
	CLI_OUT_LONGOPTS

struct swift_cli {
	const char		*container;
	struct cli_out		 co;
	struct swift_opts	 so;
};

/* Reads the credentials from the environment (see swift-put(1)), wiping
 * secret variables, and prepares libcurl; returns NULL with errstr set. */
struct swift_ctx *swift_new(const struct swift_opts *o, char *errstr);

/* A second context for requests in another thread: the same
 * credentials and options, the token and storage URL c holds now, a
 * connection of its own; returns NULL with errstr set. */
struct swift_ctx *swift_dup(const struct swift_ctx *c, char *errstr);

/* Frees everything, wiping the secrets. */
void swift_free(struct swift_ctx *c);

/* Sets the stop flag pointer (NULL: never stop), e.g. to clean up after
 * an interruption. */
void swift_set_stop(struct swift_ctx *c, volatile sig_atomic_t *stop);

/* Sends a request, authenticating first when needed, retrying connection
 * errors, 408, 429 and 5xx, re-authenticating once on 401; returns 0 once
 * a final status is in resp (the caller judges it; free resp->body), or
 * -1 with "METHOD container/object: why" in errstr. */
int swift_request(struct swift_ctx *c, const struct swift_req *r,
    struct swift_resp *resp, char *errstr);

/* Checks one "Name: value" request header line: a CR or LF inside it
 * would end the header and start another (a value decoded from JSON can
 * hold them); returns 0, or -1 with "header Name: why" in errstr (the
 * value is never quoted: it may be a secret). */
int swift_header_check(const char *line, char *errstr);

struct json;

/* Called with each entry of a listing, in Swift's order; returns 0, or -1
 * with errstr set to stop. */
typedef int (*swift_list_fn)(void *arg, const struct json *entry,
    char *errstr);

/* Lists container (objects starting with prefix, NULL for all) through
 * every page; returns 0, or -1 with "GET CONTAINER: why" ("CONTAINER:
 * container not found" for a 404) or the callback's errstr. */
int swift_list(struct swift_ctx *c, const char *container,
    const char *prefix, swift_list_fn fn, void *arg, char *errstr);

/* Reads /info for the large-object limits (defaults when the cluster does
 * not publish them); returns 0 or -1. */
int swift_info(struct swift_ctx *c, struct swift_limits *l, char *errstr);

/* The container from SWIFT_CONTAINER, else SWIFT_DEFAULT_CONTAINER. */
const char *swift_default_container(void);

/* Percent-encodes s (everything but unreserved characters, and '/' when
 * keep_slash); returns malloc'd text or NULL. */
char *swift_urlencode(const char *s, int keep_slash);

#endif
