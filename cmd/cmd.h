/*
 * What every program's main() shares: the usage error, --help, --version
 * and getopt's unknown option.  Only cmd/ prints and exits, so this lives
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
