/*
 * The TLS options as rdb-snap and rdb-install take them (common/tls):
 * checked, the client key's permissions warned about, the context made
 * once.  Included after cmd.h, which defines prog and usage_error().
 */
#ifndef RDBPIPE_CMDTLS_H
#define RDBPIPE_CMDTLS_H

#include <err.h>
#include <getopt.h>
#include <stddef.h>
#include <sys/stat.h>

#include "tls.h"

/* The TLS options' getopt_long rows, for CMD_SET. */
static const struct option tls_set[] __attribute__((unused)) = {
	TLS_LONGOPTS, { NULL, 0, NULL, 0 }
};

/* Returns the context for o (NULL without --tls), exits 2 on options that
 * do not go together and 1 on files that cannot be used. */
static struct tls_ctx * __attribute__((unused))
cmd_tls_ctx(const struct tls_opts *o, int quiet)
{
	const char *key = o->key != NULL ? o->key : o->cert;
	struct tls_ctx *t;
	struct stat st;
	char e[ERRSTR_LEN];

	if (tls_opts_check(o, e) < 0)
		usage_error("%s", e);
	if (!o->on)
		return NULL;
	/* The client key is a secret like the password. */
	if (key != NULL && !quiet && stat(key, &st) == 0 &&
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		warnx("warning: %s is readable by group or others", key);
	if ((t = tls_ctx_new(o, e)) == NULL)
		errx(1, "%s", e);
	return t;
}

#endif
