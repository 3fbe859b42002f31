/* common/tls: the options (taken, checked together), address or name,
 * and the context's refusals of files it cannot use, with no server. */
#include <getopt.h>
#include <string.h>

#include "tap.h"
#include "tls.h"

int
main(void)
{
	struct tls_opts o;
	struct tls_ctx *t;
	char e[ERRSTR_LEN];

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

	ok(tls_name_is_ip("127.0.0.1"), "IPv4 address");
	ok(tls_name_is_ip("::1") && tls_name_is_ip("fe80::1"), "IPv6");
	ok(!tls_name_is_ip("localhost") && !tls_name_is_ip("db.example.org"),
	    "names");
	ok(!tls_name_is_ip("127.0.0.1.nip.io") && !tls_name_is_ip("1.2.3"),
	    "a name that starts like an address");

	memset(&o, 0, sizeof(o));
	o.on = 1;
	o.cacert = "/nonexistent/ca.crt";
	ok(tls_ctx_new(&o, e) == NULL && strcmp(e, "--cacert "
	    "/nonexistent/ca.crt: No such file or directory") == 0,
	    "a missing CA file: %s", e);
	o.cacert = NULL;
	o.cacertdir = "/etc/hostname";
	ok(tls_ctx_new(&o, e) == NULL && strcmp(e, "--cacertdir "
	    "/etc/hostname: not a directory") == 0, "a CA dir that is a "
	    "file: %s", e);
	o.cacertdir = NULL;
	o.cacert = "/etc";
	ok(tls_ctx_new(&o, e) == NULL && strcmp(e, "--cacert /etc: is a "
	    "directory") == 0, "a CA file that is a dir: %s", e);
	o.cacert = "/etc/hostname";
	ok(tls_ctx_new(&o, e) == NULL && strcmp(e, "--cacert /etc/hostname: "
	    "no certificate or crl found") == 0, "a CA file without "
	    "certificates: %s", e);
	o.cacert = NULL;
	o.cert = "/etc/hostname";
	ok(tls_ctx_new(&o, e) == NULL && strcmp(e, "--cert /etc/hostname: "
	    "no start line") == 0,
	    "a certificate file without one: %s", e);
	o.cert = NULL;
	t = tls_ctx_new(&o, e);
	ok(t != NULL, "the system's CAs: %s", t == NULL ? e : "loaded");
	tls_ctx_free(t);
	tls_ctx_free(NULL);
	return tap_done();
}
