/* common/tls: the options (taken, checked together), address or name,
 * and the context's refusals of files it cannot use, with no server. */
#include <getopt.h>
#include <string.h>

#include "tap.h"
#include "tls.h"

/* Files the context cannot use, each alone. */
static const struct {
	const char	*cacert, *cacertdir, *cert;
	const char	*why, *what;
} refused[] = {
	{ "/nonexistent/ca.crt", NULL, NULL, "--cacert /nonexistent/ca.crt: "
	    "No such file or directory", "a missing CA file" },
	{ NULL, "/etc/hostname", NULL, "--cacertdir /etc/hostname: not a "
	    "directory", "a CA dir that is a file" },
	{ "/etc", NULL, NULL, "--cacert /etc: is a directory",
	    "a CA file that is a dir" },
	{ "/etc/hostname", NULL, NULL, "--cacert /etc/hostname: no "
	    "certificate or crl found", "a CA file without certificates" },
	{ NULL, NULL, "/etc/hostname", "--cert /etc/hostname: no start line",
	    "a certificate file without one" },
};

/* Each option that needs --tls, alone. */
static const struct {
	int		 c;
	const char	*why;
} lone[] = {
	{ TLS_OPT_CACERT, "--cacert needs --tls" },
	{ TLS_OPT_CACERTDIR, "--cacertdir needs --tls" },
	{ TLS_OPT_CERT, "--cert needs --tls" },
	{ TLS_OPT_KEY, "--key needs --tls" },
	{ TLS_OPT_SNI, "--sni needs --tls" },
	{ TLS_OPT_INSECURE, "--insecure needs --tls" },
};

int
main(void)
{
	struct tls_opts o;
	struct tls_ctx *t;
	char e[ERRSTR_LEN];
	size_t i;

	memset(&o, 0, sizeof(o));
	ok(tls_opts_check(&o, e) == 0, "no options: fine (plain)");
	ok(tls_option(&o, 'v', NULL) == 0, "another option is not taken");
	ok(tls_option(&o, TLS_OPT_CACERT, "ca.crt") == 1 &&
	    strcmp(o.cacert, "ca.crt") == 0, "--cacert taken");
	ok(tls_opts_check(&o, e) < 0 &&
	    strcmp(e, "--cacert needs --tls") == 0, "--cacert alone: %s", e);
	memset(&o, 0, sizeof(o));
	tls_option(&o, TLS_OPT_SNI, "db");
	tls_option(&o, TLS_OPT_INSECURE, NULL);
	ok(o.insecure == 1 && tls_opts_check(&o, e) < 0 &&
	    strcmp(e, "--sni needs --tls") == 0, "--sni alone: %s", e);
	tls_option(&o, TLS_OPT_TLS, NULL);
	ok(o.on == 1 && tls_opts_check(&o, e) == 0, "with --tls: fine");
	tls_option(&o, TLS_OPT_KEY, "k.pem");
	ok(tls_opts_check(&o, e) < 0 && strcmp(e, "--key needs --cert") == 0,
	    "--key without --cert: %s", e);
	tls_option(&o, TLS_OPT_CERT, "c.pem");
	ok(tls_opts_check(&o, e) == 0, "--key with --cert");
	tls_option(&o, TLS_OPT_SNI, "");
	ok(tls_opts_check(&o, e) < 0 && strcmp(e, "--sni: empty name") == 0,
	    "an empty --sni: %s", e);
	for (i = 0; i < sizeof(lone) / sizeof(lone[0]); i++) {
		memset(&o, 0, sizeof(o));
		ok(tls_option(&o, lone[i].c, "x") == 1 &&
		    tls_opts_check(&o, e) < 0 && strcmp(e, lone[i].why) == 0,
		    "alone: %s", e);
	}
	memset(&o, 0, sizeof(o));
	tls_option(&o, TLS_OPT_KEY, "k.pem");
	tls_option(&o, TLS_OPT_CACERTDIR, "/etc/ssl/certs");
	ok(tls_opts_check(&o, e) < 0 &&
	    strcmp(e, "--cacertdir needs --tls") == 0 &&
	    strcmp(o.key, "k.pem") == 0 &&
	    strcmp(o.cacertdir, "/etc/ssl/certs") == 0,
	    "two without --tls: the first in --cacert's order named: %s", e);

	ok(tls_name_is_ip("127.0.0.1"), "IPv4 address");
	ok(tls_name_is_ip("::1") && tls_name_is_ip("fe80::1"), "IPv6");
	ok(!tls_name_is_ip("localhost") && !tls_name_is_ip("db.example.org"),
	    "names");
	ok(!tls_name_is_ip("127.0.0.1.nip.io") && !tls_name_is_ip("1.2.3"),
	    "a name that starts like an address");

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.on = 1;
		o.cacert = refused[i].cacert;
		o.cacertdir = refused[i].cacertdir;
		o.cert = refused[i].cert;
		ok(tls_ctx_new(&o, e) == NULL && strcmp(e, refused[i].why) == 0,
		    "%s: %s", refused[i].what, e);
	}
	memset(&o, 0, sizeof(o));
	o.on = 1;
	t = tls_ctx_new(&o, e);
	ok(t != NULL, "the system's CAs: %s", t == NULL ? e : "loaded");
	tls_ctx_free(t);
	tls_ctx_free(NULL);
	return tap_done();
}
