/*
 * TLS to Redis on OpenSSL, with redis-cli's options (--tls, --cacert,
 * --cacertdir, --cert, --key, --sni, --insecure): a client context made
 * once from the options, then a session per connected socket.  The
 * server's certificate is verified by default, against the host name or
 * IP address connected to (or the --sni name).  Debian's hiredis 0.14 has
 * no TLS; common/redis runs its reader and formatter over these reads and
 * writes.
 */
#ifndef RDBPIPE_TLS_H
#define RDBPIPE_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "errstr.h"

struct tls_opts {
	int		 on;		/* --tls */
	const char	*cacert;	/* NULL: the system's CAs */
	const char	*cacertdir;
	const char	*cert;		/* a client certificate (chain) */
	const char	*key;		/* its private key; NULL: in cert */
	const char	*sni;		/* the name sent and verified */
	int		 insecure;	/* no verification at all */
};

/* Between the programs' own option values (256...) and cli's (768...). */
enum {
	TLS_OPT_TLS = 640, TLS_OPT_CACERT, TLS_OPT_CACERTDIR, TLS_OPT_CERT,
	TLS_OPT_KEY, TLS_OPT_SNI, TLS_OPT_INSECURE
};
#define TLS_LONGOPTS \
	{ "tls", no_argument, NULL, TLS_OPT_TLS }, \
	{ "cacert", required_argument, NULL, TLS_OPT_CACERT }, \
	{ "cacertdir", required_argument, NULL, TLS_OPT_CACERTDIR }, \
	{ "cert", required_argument, NULL, TLS_OPT_CERT }, \
	{ "key", required_argument, NULL, TLS_OPT_KEY }, \
	{ "sni", required_argument, NULL, TLS_OPT_SNI }, \
	{ "insecure", no_argument, NULL, TLS_OPT_INSECURE }

/* Takes option c (with its argument) when it is one of these; returns 1
 * then, else 0. */
int tls_option(struct tls_opts *o, int c, const char *arg);

/* Checks the options go together (none of them without --tls, --key only
 * with --cert); returns 0, or -1 with the complaint. */
int tls_opts_check(const struct tls_opts *o, char *errstr);

/* Returns 1 when name is an IPv4 or IPv6 address, which certificates name
 * in an IP SAN, else 0 (a DNS name). */
int tls_name_is_ip(const char *name);

/* Loads the CAs, the client certificate and key; returns the context, or
 * NULL with "--cacert FILE: why" and the like. */
struct tls_ctx *tls_ctx_new(const struct tls_opts *o, char *errstr);

void tls_ctx_free(struct tls_ctx *t);

/* Runs the handshake on the connected socket fd, verifying the server as
 * host (or the --sni name); returns the session, or NULL with "TLS
 * handshake: why" ("certificate verify failed: self-signed certificate").
 * The socket's own timeouts apply. */
struct tls_conn *tls_connect(struct tls_ctx *t, int fd, const char *host,
    char *errstr);

/* Reads up to len bytes; returns the count, 0 at the server's close, or
 * -1 with the reason ("timed out", OpenSSL's, or errno's). */
ssize_t tls_read(struct tls_conn *s, void *buf, size_t len, char *errstr);

/* Writes up to len bytes; returns the count written, or -1. */
ssize_t tls_write(struct tls_conn *s, const void *buf, size_t len,
    char *errstr);

/* What the session is, for -v: "TLSv1.3 (TLS_AES_256_GCM_SHA384),
 * certificate verified for NAME", or "... not verified (--insecure)". */
/* Whether decrypted bytes wait in the session (a poll on the socket does
 * not see them). */
int tls_pending(const struct tls_conn *s);

void tls_describe(const struct tls_conn *s, char *out, size_t len);

void tls_free(struct tls_conn *s);

#endif
