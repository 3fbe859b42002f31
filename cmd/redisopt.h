/*
 * The connection options as rdb-snap takes them, for every program that
 * connects to Redis as a client of its own (rdb-snap, aof-archive): -h,
 * -p, -s, --user, --pass-file (else REDISCLI_AUTH, as redis-cli) and the
 * TLS set.  Included after cmd.h and cmdtls.h.
 */
#ifndef RDBPIPE_REDISOPT_H
#define RDBPIPE_REDISOPT_H

#include <err.h>
#include <getopt.h>

#include "cli.h"
#include "opt.h"
#include "redis.h"
#include "secret.h"
#include "tls.h"

struct redisopt {
	struct redis_conn	 rc;
	struct tls_opts		 to;
	const char		*passfile;
};

/* The connection options' getopt_long rows, for CMD_SET (the TLS ones
 * are tls_set). */
static const struct option redis_set[] __attribute__((unused)) = {
	{ "host", required_argument, NULL, 'h' },
	{ "port", required_argument, NULL, 'p' },
	{ "socket", required_argument, NULL, 's' },
	{ "user", required_argument, NULL, REDIS_OPT_USER },
	{ "pass-file", required_argument, NULL, REDIS_OPT_PASSFILE },
	{ NULL, 0, NULL, 0 }
};

/* Takes option c when it is one of these or a TLS option; returns 1
 * then, else 0. */
static int __attribute__((unused))
redisopt_option(struct redisopt *o, int c, const char *arg)
{
	char e[ERRSTR_LEN];
	long l;

	if (tls_option(&o->to, c, arg))
		return 1;
	switch (c) {
	case 'h':
		o->rc.host = arg;
		return 1;
	case 'p':
		if (opt_long(arg, 1, 65535, &l, e) < 0)
			usage_error("-p: %s", e);
		o->rc.port = (int)l;
		return 1;
	case 's':
		o->rc.sock = arg;
		return 1;
	case REDIS_OPT_USER:
		o->rc.user = arg;
		return 1;
	case REDIS_OPT_PASSFILE:
		o->passfile = arg;
		return 1;
	}
	return 0;
}

/* The checks once every option is in; exits 2. */
static void __attribute__((unused))
redisopt_check(const struct redisopt *o)
{
	if (o->rc.sock != NULL && (o->rc.host != NULL || o->rc.port != 0))
		usage_error("-s does not go with -h or -p");
	if (o->rc.sock != NULL && o->to.on)
		usage_error("--tls does not go with -s (Redis has no TLS on "
		    "unix sockets)");
}

/* The password: --pass-file, else REDISCLI_AUTH, as redis-cli reads it;
 * exits 1 when it cannot be read. */
static void __attribute__((unused))
redisopt_password(const struct redisopt *o, struct secret *s, int quiet)
{
	char e[ERRSTR_LEN];

	if (o->passfile != NULL) {
		cmd_read_secret(s, o->passfile, 1, quiet);
		return;
	}
	if (secret_from_env(s, "REDISCLI_AUTH", e) < 0)
		errx(1, "%s", e);
}

#endif
