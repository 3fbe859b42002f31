#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "errstr.h"
#include "tls.h"

struct tls_ctx {
	SSL_CTX		*ctx;
	int		 insecure;
	const char	*sni;
};

struct tls_conn {
	SSL		*ssl;
	int		 insecure;
	int		 answered;	/* the server has sent data */
	int		 asked;		/* for a certificate we do not have */
	char		 name[256];	/* what the certificate was checked for */
};

/* The options that take a name, in the order tls_opts_check names the
 * first one given without --tls. */
static const struct {
	int		 c;
	const char	*name;
	size_t		 off;		/* of its field in struct tls_opts */
} tls_named[] = {
	{ TLS_OPT_CACERT, "--cacert", offsetof(struct tls_opts, cacert) },
	{ TLS_OPT_CACERTDIR, "--cacertdir",
	    offsetof(struct tls_opts, cacertdir) },
	{ TLS_OPT_CERT, "--cert", offsetof(struct tls_opts, cert) },
	{ TLS_OPT_KEY, "--key", offsetof(struct tls_opts, key) },
	{ TLS_OPT_SNI, "--sni", offsetof(struct tls_opts, sni) },
};
#define TLS_NAMED(o, i) ((const char **)((char *)(o) + tls_named[i].off))

int
tls_option(struct tls_opts *o, int c, const char *arg)
{
	size_t i;

	if (c == TLS_OPT_TLS || c == TLS_OPT_INSECURE) {
		*(c == TLS_OPT_TLS ? &o->on : &o->insecure) = 1;
		return 1;
	}
	for (i = 0; i < sizeof(tls_named) / sizeof(tls_named[0]); i++) {
		if (tls_named[i].c == c) {
			*TLS_NAMED(o, i) = arg;
			return 1;
		}
	}
	return 0;
}

int
tls_opts_check(const struct tls_opts *o, char *errstr)
{
	const char *lone = o->insecure ? "--insecure" : NULL;
	size_t i;

	for (i = sizeof(tls_named) / sizeof(tls_named[0]); i-- > 0;)
		if (*TLS_NAMED(o, i) != NULL)
			lone = tls_named[i].name;
	if (!o->on && lone != NULL)
		return errstr_set(errstr, "%s needs --tls", lone);
	if (o->key != NULL && o->cert == NULL)
		return errstr_set(errstr, "--key needs --cert");
	if (o->sni != NULL && *o->sni == '\0')
		return errstr_set(errstr, "--sni: empty name");
	return 0;
}

int
tls_name_is_ip(const char *name)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

/* OpenSSL's reason for the last failure on this thread: the first error
 * queued, the cause ("no start line" rather than the "PEM lib" stacked
 * on it); the queue is emptied. */
static const char *
ssl_reason(void)
{
	static char buf[160];
	unsigned long first;
	const char *r;

	first = ERR_get_error();
	ERR_clear_error();
	if (first == 0)
		return "unknown OpenSSL error";
	if ((r = ERR_reason_error_string(first)) != NULL)
		return r;
	ERR_error_string_n(first, buf, sizeof(buf));
	return buf;
}

/* A key with a passphrase would make OpenSSL ask on the terminal; there is
 * no one to answer a cron job. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* Called when the server asks for a certificate and none was given:
 * notes it, and goes on without one (the server may not insist). */
static int
no_client_cert(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct tls_conn *s = SSL_get_app_data(ssl);

	(void)x509;
	(void)pkey;
	if (s != NULL)
		s->asked = 1;
	return 0;
}

/* Fails with errno's reason when path cannot be read (OpenSSL's own
 * message for a missing file is "system lib"). */
static int
readable(const char *opt, const char *path, int dir, char *errstr)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		return errstr_sys(errstr, "%s %s", opt, path);
	if (dir && !S_ISDIR(st.st_mode))
		return errstr_set(errstr, "%s %s: not a directory", opt, path);
	if (!dir && S_ISDIR(st.st_mode))
		return errstr_set(errstr, "%s %s: is a directory", opt, path);
	return 0;
}

/* The client certificate and its key. */
static int
load_cert(SSL_CTX *ctx, const struct tls_opts *o, char *errstr)
{
	const char *key = o->key != NULL ? o->key : o->cert;

	if (readable("--cert", o->cert, 0, errstr) < 0 ||
	    (o->key != NULL && readable("--key", o->key, 0, errstr) < 0))
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
		return errstr_set(errstr, "--cert %s: %s", o->cert,
		    ssl_reason());
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return errstr_set(errstr, "--key %s: %s", key, ssl_reason());
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		return errstr_set(errstr, "--key %s: not the key of --cert %s",
		    key, o->cert);
	}
	return 0;
}

struct tls_ctx *
tls_ctx_new(const struct tls_opts *o, char *errstr)
{
	struct tls_ctx *t;
	SSL_CTX *ctx;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		errstr_sys(errstr, "TLS");
		return NULL;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		errstr_set(errstr, "TLS: %s", ssl_reason());
		free(t);
		return NULL;
	}
	t->ctx = ctx;
	t->insecure = o->insecure;
	t->sni = o->sni;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Redis closes without a close_notify: that is its end, not an
	 * attack on a length the protocol itself frames. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE :
	    SSL_VERIFY_PEER, NULL);
	if (o->cacert != NULL || o->cacertdir != NULL) {
		if ((o->cacert != NULL &&
		    readable("--cacert", o->cacert, 0, errstr) < 0) ||
		    (o->cacertdir != NULL &&
		    readable("--cacertdir", o->cacertdir, 1, errstr) < 0))
			goto fail;
		if (SSL_CTX_load_verify_locations(ctx, o->cacert,
		    o->cacertdir) != 1) {
			errstr_set(errstr, "%s %s: %s",
			    o->cacert != NULL ? "--cacert" : "--cacertdir",
			    o->cacert != NULL ? o->cacert : o->cacertdir,
			    ssl_reason());
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		errstr_set(errstr, "TLS: the system's CAs: %s", ssl_reason());
		goto fail;
	}
	if (o->cert != NULL && load_cert(ctx, o, errstr) < 0)
		goto fail;
	if (o->cert == NULL)
		SSL_CTX_set_client_cert_cb(ctx, no_client_cert);
	return t;
fail:
	tls_ctx_free(t);
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* Why the handshake failed: the verification result first, which
 * OpenSSL's error queue only calls "certificate verify failed". */
static void
handshake_reason(struct tls_conn *s, int r, char *errstr)
{
	long v;
	int e = SSL_get_error(s->ssl, r);

	if (!s->insecure && (v = SSL_get_verify_result(s->ssl)) != X509_V_OK) {
		ERR_clear_error();
		errstr_set(errstr, "TLS handshake: certificate verify failed: "
		    "%s", X509_verify_cert_error_string(v));
	} else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		errstr_set(errstr, "TLS handshake: timed out");
	} else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		if (errno == 0)
			errstr_set(errstr, "TLS handshake: the server closed "
			    "the connection");
		else
			errstr_sys(errstr, "TLS handshake");
	} else if (ERR_GET_REASON(ERR_peek_last_error()) ==
	    SSL_R_WRONG_VERSION_NUMBER) {
		errstr_set(errstr, "TLS handshake: %s (is this a TLS port?)",
		    ssl_reason());
	} else {
		errstr_set(errstr, "TLS handshake: %s", ssl_reason());
	}
}

struct tls_conn *
tls_connect(struct tls_ctx *t, int fd, const char *host, char *errstr)
{
	const char *name = t->sni != NULL ? t->sni : host;
	X509_VERIFY_PARAM *param;
	struct tls_conn *s;
	int r, set;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		errstr_sys(errstr, "TLS");
		return NULL;
	}
	ERR_clear_error();
	s->insecure = t->insecure;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if ((s->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_fd(s->ssl, fd) != 1 || SSL_set_app_data(s->ssl, s) != 1) {
		errstr_set(errstr, "TLS: %s", ssl_reason());
		goto fail;
	}
	/* Names go in SNI; an address is not sent (RFC 6066). */
	if (!tls_name_is_ip(name) &&
	    SSL_set_tlsext_host_name(s->ssl, name) != 1) {
		errstr_set(errstr, "TLS: SNI %s: %s", name, ssl_reason());
		goto fail;
	}
	if (!t->insecure) {
		param = SSL_get0_param(s->ssl);
		X509_VERIFY_PARAM_set_hostflags(param,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		set = tls_name_is_ip(name) ?
		    X509_VERIFY_PARAM_set1_ip_asc(param, name) :
		    X509_VERIFY_PARAM_set1_host(param, name, 0);
		if (set != 1) {
			errstr_set(errstr, "TLS: %s: %s", name, ssl_reason());
			goto fail;
		}
	}
	for (;;) {
		errno = 0;
		if ((r = SSL_connect(s->ssl)) == 1)
			break;
		if (SSL_get_error(s->ssl, r) == SSL_ERROR_WANT_READ &&
		    errno == EINTR)
			continue;
		handshake_reason(s, r, errstr);
		goto fail;
	}
	return s;
fail:
	tls_free(s);
	return NULL;
}

/* The reason for a failed SSL_read or SSL_write; returns 1 when the call
 * should simply be made again (a signal), 0 at a clean close, else -1. */
static int
io_reason(struct tls_conn *s, int r, char *errstr)
{
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		if (errno == EINTR)
			return 1;
		/* A blocking socket wants more only when its timeout ran
		 * out. */
		return errstr_set(errstr, "timed out");
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == 0)
				return 0;
			return errstr_sys(errstr, "TLS");
		}
		break;
	default:
		break;
	}
	return errstr_set(errstr, "TLS: %s", ssl_reason());
}

/* A TLS 1.3 server refuses a missing client certificate after the
 * handshake: its alert races our first command, and the connection may
 * be reset before the alert is read.  A failure before the server has
 * said anything, when it asked for a certificate we do not have, is that
 * refusal. */
static void
first_failure(struct tls_conn *s, char *errstr)
{
	if (!s->answered && s->asked)
		errstr_set(errstr, "TLS: the server requires a client "
		    "certificate (--cert, --key)");
}

/* One SSL_read into rbuf or SSL_write from wbuf, made again after a
 * signal; returns the count, 0 at a clean close while reading, or -1. */
static ssize_t
tls_io(struct tls_conn *s, void *rbuf, const void *wbuf, size_t len,
    char *errstr)
{
	int n, why;

	if (len > INT_MAX)
		len = INT_MAX;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		n = rbuf != NULL ? SSL_read(s->ssl, rbuf, (int)len) :
		    SSL_write(s->ssl, wbuf, (int)len);
		if (n > 0) {
			if (rbuf != NULL)
				s->answered = 1;
			return n;
		}
		/* A close is the end of a read, once the server has said
		 * anything, but never of a write. */
		if ((why = io_reason(s, n, errstr)) == 0 && rbuf == NULL)
			why = errstr_set(errstr, "the server closed the "
			    "connection");
		else if (why == 0 && !s->answered)
			why = errstr_set(errstr, "TLS: the server closed the "
			    "connection");
		if (why < 0)
			first_failure(s, errstr);
		if (why <= 0)
			return why;
	}
}

int
tls_pending(const struct tls_conn *s)
{
	return SSL_pending(s->ssl) > 0;
}

ssize_t
tls_read(struct tls_conn *s, void *buf, size_t len, char *errstr)
{
	return tls_io(s, buf, NULL, len, errstr);
}

ssize_t
tls_write(struct tls_conn *s, const void *buf, size_t len, char *errstr)
{
	return tls_io(s, NULL, buf, len, errstr);
}

void
tls_describe(const struct tls_conn *s, char *out, size_t len)
{
	if (s->insecure)
		snprintf(out, len, "%s (%s), the server's certificate not "
		    "verified (--insecure)", SSL_get_version(s->ssl),
		    SSL_get_cipher_name(s->ssl));
	else
		snprintf(out, len, "%s (%s), certificate verified for %s",
		    SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl),
		    s->name);
}

void
tls_free(struct tls_conn *s)
{
	if (s == NULL)
		return;
	SSL_free(s->ssl);
	free(s);
}
