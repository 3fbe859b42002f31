/* common/swift without a server: names on the wire, the credentials read
 * from the environment (and wiped from it), the shared options. */
#include <getopt.h>
#include <stdlib.h>

#include "swift.h"
#include "tap.h"

static void
clear_env(void)
{
	static const char *vars[] = { "ST_AUTH", "ST_USER", "ST_KEY",
	    "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_STORAGE_URL",
	    "OS_AUTH_TOKEN", "OS_APPLICATION_CREDENTIAL_ID",
	    "OS_APPLICATION_CREDENTIAL_SECRET", "SWIFT_CONTAINER", NULL };
	int i;

	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
}

static int
new_fails(const char *want)
{
	struct swift_opts o = { .retries = 0 };
	struct swift_ctx *c;
	char e[ERRSTR_LEN] = "";

	c = swift_new(&o, e);
	swift_free(c);
	return c == NULL && strcmp(e, want) == 0;
}

int
main(void)
{
	struct swift_opts o = { .retries = 0 };
	struct swift_ctx *c;
	struct swift_cli cli;
	char e[ERRSTR_LEN], *s;

	s = swift_urlencode("a b/ü?#%&+;=~._-", 1);
	ok(strcmp(s, "a%20b/%C3%BC%3F%23%25%26%2B%3B%3D~._-") == 0,
	    "object names: everything but unreserved and '/' encoded: %s", s);
	free(s);
	s = swift_urlencode("a/b", 0);
	ok(strcmp(s, "a%2Fb") == 0, "container names and queries: '/' too");
	free(s);

	clear_env();
	ok(strcmp(swift_default_container(), "database_backups") == 0,
	    "default container");
	setenv("SWIFT_CONTAINER", "other", 1);
	ok(strcmp(swift_default_container(), "other") == 0, "SWIFT_CONTAINER");
	setenv("SWIFT_CONTAINER", "", 1);
	ok(strcmp(swift_default_container(), "database_backups") == 0,
	    "an empty SWIFT_CONTAINER is no container");

	ok(new_fails("no credentials: set ST_AUTH, ST_USER and ST_KEY, or "
	    "OS_AUTH_URL and the other OS_* variables, or OS_STORAGE_URL and "
	    "OS_AUTH_TOKEN"), "no credentials");
	setenv("ST_AUTH", "http://127.0.0.1:1/auth/v1.0", 1);
	setenv("ST_USER", "u", 1);
	ok(new_fails("ST_AUTH is set but ST_USER or ST_KEY is not"),
	    "v1 without a key");
	setenv("ST_KEY", "sekrit", 1);
	c = swift_new(&o, e);
	ok(c != NULL, "v1 credentials");
	ok(getenv("ST_KEY") == NULL, "ST_KEY is wiped from the environment");
	swift_free(c);
	clear_env();
	setenv("OS_AUTH_URL", "http://127.0.0.1:1/v3", 1);
	ok(new_fails("OS_AUTH_URL is set but OS_USERNAME or OS_PASSWORD is not"),
	    "Keystone without a password");
	setenv("OS_APPLICATION_CREDENTIAL_ID", "id", 1);
	ok(new_fails("OS_APPLICATION_CREDENTIAL_ID is set but "
	    "OS_APPLICATION_CREDENTIAL_SECRET is not"),
	    "application credential without its secret");
	clear_env();
	setenv("OS_STORAGE_URL", "http://127.0.0.1:1/v1/AUTH_x", 1);
	setenv("OS_AUTH_TOKEN", "tok", 1);
	c = swift_new(&o, e);
	ok(c != NULL && getenv("OS_AUTH_TOKEN") == NULL,
	    "pre-authenticated; OS_AUTH_TOKEN wiped");
	swift_free(c);
	clear_env();

	/* Nothing listens on port 1: a connection error, retried 0 times. */
	setenv("OS_STORAGE_URL", "http://127.0.0.1:1/v1/AUTH_x", 1);
	setenv("OS_AUTH_TOKEN", "tok", 1);
	c = swift_new(&o, e);
	{
		struct swift_req r = { .method = "HEAD", .container = "c",
		    .object = "o b" };
		struct swift_resp resp;

		ok(c != NULL && swift_request(c, &r, &resp, e) < 0 &&
		    strcmp(e, "HEAD c/o b: Couldn't connect to server after "
		    "1 try") == 0, "a connection error: %s", e);
	}
	swift_free(c);
	clear_env();

	/* A duplicate stands alone: the original is gone when it is used. */
	setenv("OS_STORAGE_URL", "http://127.0.0.1:1/v1/AUTH_x", 1);
	setenv("OS_AUTH_TOKEN", "tok", 1);
	c = swift_new(&o, e);
	{
		struct swift_ctx *d = c ? swift_dup(c, e) : NULL;
		struct swift_req r = { .method = "PUT", .container = "c",
		    .object = "o" };
		struct swift_resp resp;

		swift_free(c);
		ok(d != NULL && swift_request(d, &r, &resp, e) < 0 &&
		    strcmp(e, "PUT c/o: Couldn't connect to server after "
		    "1 try") == 0, "swift_dup: its own copy of the storage URL "
		    "and token: %s", e);
		swift_free(d);
	}
	clear_env();

	ok(swift_header_check("If-Match: \"0123456789abcdef\"", e) == 0,
	    "a plain header passes");
	ok(swift_header_check("If-Match: \"01\r\nX-Evil: 1\"", e) < 0 &&
	    strcmp(e, "header If-Match: CR or LF in its value") == 0,
	    "CR LF in a value: %s", e);
	ok(swift_header_check("X-Auth-Token: ab\ncd", e) < 0 &&
	    strcmp(e, "header X-Auth-Token: CR or LF in its value") == 0,
	    "a lone LF: %s", e);
	ok(swift_header_check("X-Auth-Token: ab\rcd", e) < 0,
	    "a lone CR: %s", e);
	ok(swift_header_check("X\r\nY: v", e) < 0 &&
	    strcmp(e, "a header with CR or LF in it") == 0,
	    "CR LF in a name: %s", e);
	{
		/* URLs from the environment are bounded as replies' are. */
		char url[4200];

		memset(url, 'a', sizeof(url) - 1);
		url[sizeof(url) - 1] = '\0';
		memcpy(url, "http://", 7);
		setenv("OS_STORAGE_URL", url, 1);
		setenv("OS_AUTH_TOKEN", "tok", 1);
		ok(new_fails("OS_STORAGE_URL is longer than 4096 bytes"),
		    "a 4 KiB OS_STORAGE_URL is refused");
		clear_env();
		setenv("ST_AUTH", url, 1);
		setenv("ST_USER", "u", 1);
		setenv("ST_KEY", "k", 1);
		ok(new_fails("ST_AUTH is longer than 4096 bytes"),
		    "a 4 KiB ST_AUTH is refused");
		clear_env();
	}
	setenv("OS_STORAGE_URL", "http://127.0.0.1:1/v1/AUTH_x", 1);
	setenv("OS_AUTH_TOKEN", "tok", 1);
	{
		static const char *const hdrs[] = { "X-Ok: 1",
		    "If-Match: \"x\r\nX-Evil: 1\"", NULL };
		struct swift_req r = { .method = "GET", .container = "c",
		    .object = "o", .headers = hdrs };
		struct swift_resp resp;

		c = swift_new(&o, e);
		ok(c != NULL && swift_request(c, &r, &resp, e) < 0 &&
		    strcmp(e, "GET c/o: header If-Match: CR or LF in its "
		    "value") == 0, "swift_request refuses it before "
		    "connecting: %s", e);
		swift_free(c);
	}
	clear_env();

	swift_cli_init(&cli);
	ok(cli.so.retries == 5 && cli.co.progress_mode == -1 &&
	    strcmp(cli.container, "database_backups") == 0, "option defaults");
	ok(swift_cli_option(&cli, SWIFT_OPT_RETRIES, "2", e) == 1 &&
	    cli.so.retries == 2, "--retries 2");
	ok(swift_cli_option(&cli, SWIFT_OPT_RETRIES, "x", e) < 0 &&
	    strncmp(e, "--retries: ", 11) == 0, "--retries x: %s", e);
	ok(swift_cli_option(&cli, 'c', "box", e) == 1 &&
	    strcmp(cli.container, "box") == 0, "-c");
	ok(swift_cli_option(&cli, CLI_OPT_NO_PROGRESS, NULL, e) == 1 &&
	    cli.co.progress_mode == 0, "--no-progress");
	ok(swift_cli_option(&cli, 'v', NULL, e) == 1 && cli.co.verbose,
	    "-v is the shared output option");
	ok(swift_cli_option(&cli, 'S', "1M", e) == 0, "-S is not shared");
	return tap_done();
}
