/*
 * What every program's main() shares: the option table and its getopt
 * loop, the usage error, --help, --version and getopt's unknown option.  Only cmd/ prints and exits, so this lives
 * here and not in common/.  A program includes it, then defines prog and
 * usage(), which it declares.
 */
#ifndef RDBPIPE_CMD_H
#define RDBPIPE_CMD_H

#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "errstr.h"
#include "secret.h"

/* Defined by the program (a tentative definition here). */
static const char *prog;
static void usage(FILE *f);

/* CMD_OPT_HELP and CMD_OPT_VERSION are in common/cli.h, with the values
 * of the other shared options. */
#define CMD_LONGOPTS \
	{ "help", no_argument, NULL, CMD_OPT_HELP }, \
	{ "version", no_argument, NULL, CMD_OPT_VERSION }

/* Prints "prog: line" on stderr: the one shape of every message cmd/
 * writes itself. */
static void __attribute__((unused, format(printf, 1, 0)))
cmd_vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/*
 * A program's options as one table, read by cmd_getopt: a row per option
 * of the program's own, in the order getopt_long lists them, and a
 * CMD_SET row where a shared set (CLI_OUT_LONGOPTS, TLS_LONGOPTS, ...)
 * stands.  A row names the long option (NULL: short only), its getopt
 * value (a letter gives the short option too; 0 for a long-only option
 * that only stores, which is given one from CMD_OPT_AUTO on) and, for an
 * option that only stores, where: str keeps the argument, flag becomes 1.
 * Rows that store nothing come back to the program's switch.
 */
struct cmd_opt {
	const char		 *name;
	int			  val;
	int			  has_arg;
	const char		**str;
	int			 *flag;
	const struct option	 *set;
};
#define CMD_FLAG(name, c, p)	{ name, c, no_argument, NULL, p, NULL }
#define CMD_STR(name, c, p)	{ name, c, required_argument, p, NULL, NULL }
#define CMD_ARG(name, c)	{ name, c, required_argument, NULL, NULL, NULL }
#define CMD_NOARG(name, c)	{ name, c, no_argument, NULL, NULL, NULL }
#define CMD_SET(s)		{ NULL, 0, 0, NULL, NULL, s }
#define CMD_END			{ NULL, 0, 0, NULL, NULL, NULL }

/* The shared sets of getopt_long rows, for CMD_SET. */
static const struct option cmd_std_set[] __attribute__((unused)) = {
	CMD_LONGOPTS, { NULL, 0, NULL, 0 }
};
static const struct option cmd_out_set[] __attribute__((unused)) = {
	CLI_OUT_LONGOPTS, { NULL, 0, NULL, 0 }
};

/* At most this many getopt_long rows, the shared sets' included. */
#define CMD_OPTS_MAX	64

/* The getopt_long tables made from a program's rows. */
struct cmd_getopt {
	const struct cmd_opt	*rows;
	struct option		 lo[CMD_OPTS_MAX + 1];
	char			 so[3 * CMD_OPTS_MAX + 16];
};

/* Appends the short option of a getopt_long row with a letter's value. */
static void __attribute__((unused))
cmd_getopt_short(struct cmd_getopt *g, const struct option *o)
{
	size_t n = strlen(g->so);

	if (o->val <= 0 || o->val > 255)
		return;
	if (n + 4 > sizeof(g->so))
		abort();
	g->so[n++] = (char)o->val;
	if (o->has_arg != no_argument)
		g->so[n++] = ':';
	if (o->has_arg == optional_argument)
		g->so[n++] = ':';
	g->so[n] = '\0';
}

/* Appends one getopt_long row; too many rows, a program's error, abort. */
static void __attribute__((unused))
cmd_getopt_add(struct cmd_getopt *g, size_t *n, const struct option *o)
{
	if (*n == CMD_OPTS_MAX)
		abort();
	cmd_getopt_short(g, o);
	if (o->name != NULL)
		g->lo[(*n)++] = *o;
}

/* Makes g's tables from rows; shortonly adds short options no row has
 * (rdb-pack's level digits). */
static void __attribute__((unused))
cmd_getopt_init(struct cmd_getopt *g, const struct cmd_opt *rows,
    const char *shortonly)
{
	const struct cmd_opt *r;
	const struct option *s;
	struct option o;
	size_t n = 0;

	memset(g, 0, sizeof(*g));
	g->rows = rows;
	snprintf(g->so, sizeof(g->so), "%s", shortonly ? shortonly : "");
	for (r = rows; r->name != NULL || r->val != 0 || r->set != NULL;
	    r++) {
		for (s = r->set; s != NULL && s->name != NULL; s++)
			cmd_getopt_add(g, &n, s);
		if (r->set != NULL)
			continue;
		o.name = r->name;
		o.has_arg = r->has_arg;
		o.flag = NULL;
		o.val = r->val != 0 ? r->val : CMD_OPT_AUTO + (int)(r - rows);
		cmd_getopt_add(g, &n, &o);
	}
}

/* getopt_long over g's tables: stores what a row says to store and
 * returns 0 then (as getopt_long does for its own flags), else the
 * option for the program to take; -1 at the end. */
static int __attribute__((unused))
cmd_getopt(struct cmd_getopt *g, int argc, char *argv[])
{
	const struct cmd_opt *r;
	int c;

	if ((c = getopt_long(argc, argv, g->so, g->lo, NULL)) <= 0)
		return c;
	if (c >= CMD_OPT_AUTO)
		r = &g->rows[c - CMD_OPT_AUTO];
	else
		for (r = g->rows; r->name != NULL || r->val != 0 ||
		    r->set != NULL; r++)
			if (r->val == c && r->set == NULL)
				break;
	if (r->str != NULL)
		*r->str = optarg;
	else if (r->flag != NULL)
		*r->flag = 1;
	else
		return c;
	return 0;
}

/* "prog: why", then the synopsis; exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2), unused))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vsay(fmt, ap);
	va_end(ap);
	usage(stderr);
	exit(2);
}

/* The default: case of a program's option switch: --help and --version
 * exit 0; anything else is an option getopt has already reported, and the
 * synopsis follows it, exit 2. */
static void __attribute__((noreturn, unused))
cmd_other_option(int c)
{
	switch (c) {
	case CMD_OPT_HELP:
		usage(stdout);
		exit(0);
	case CMD_OPT_VERSION:
		printf("%s %s\n", prog, RDBPIPE_VERSION);
		exit(0);
	default:
		usage(stderr);
		exit(2);
	}
}

/* Reads a secret file or exits 1, warning (unless quiet) when others may
 * read it; strip drops one trailing newline (see secret_read_file). */
static void __attribute__((unused))
cmd_read_secret(struct secret *s, const char *path, int strip, int quiet)
{
	char e[ERRSTR_LEN];

	if (secret_read_file(s, path, strip, e) < 0)
		errx(1, "%s", e);
	if (s->exposed && !quiet)
		warnx("warning: %s is readable by group or others", path);
}

/* Prints a -v line from a common/ module ("prog: line") on stderr. */
static void __attribute__((unused, format(printf, 1, 2)))
cmd_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vsay(fmt, ap);
	va_end(ap);
}

/* Prints a warning from a common/ module ("prog: warning: msg"). */
static void __attribute__((unused))
cmd_warn(const char *msg)
{
	warnx("warning: %s", msg);
}

#endif
