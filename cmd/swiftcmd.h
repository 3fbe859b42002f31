/*
 * What the swift-* programs' main() share on top of cmd.h: start-up, the
 * option loop over the shared Swift options, the OBJECT argument and the
 * connection.  Include after cmd.h.
 */
#ifndef RDBPIPE_SWIFTCMD_H
#define RDBPIPE_SWIFTCMD_H

#include <getopt.h>
#include <unistd.h>

#include "cli.h"
#include "swift.h"

/* Defaults, then libsodium and the rest of cli_init, or exit 1. */
static void __attribute__((unused))
swiftcmd_init(struct swift_cli *o)
{
	char e[ERRSTR_LEN];

	swift_cli_init(o);
	if (cli_init(e) < 0)
		errx(1, "%s", e);
}

/* The shared options' getopt_long rows, for CMD_SET. */
static const struct option swift_set[] __attribute__((unused)) = {
	SWIFT_LONGOPTS, { NULL, 0, NULL, 0 }
};

/* cmd_getopt taking the shared options itself (a bad value is a usage
 * error); returns the next option of the program's own, or -1 at the
 * end. */
static int __attribute__((unused))
swiftcmd_option(int argc, char *argv[], struct cmd_getopt *g,
    struct swift_cli *o)
{
	char e[ERRSTR_LEN];
	int c, rc;

	while ((c = cmd_getopt(g, argc, argv)) != -1) {
		if (c == 0)
			continue;
		if ((rc = swift_cli_option(o, c, optarg, e)) < 0)
			usage_error("%s", e);
		if (rc == 0)
			return c;
	}
	return -1;
}

/* The options of a program that takes only the shared ones: takes them
 * all (--help and --version exit). */
static void __attribute__((unused))
swiftcmd_options(int argc, char *argv[], struct swift_cli *o)
{
	static const struct cmd_opt rows[] = {
		CMD_SET(swift_set),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	struct cmd_getopt g;
	int c;

	cmd_getopt_init(&g, rows, NULL);
	while ((c = swiftcmd_option(argc, argv, &g, o)) != -1)
		cmd_other_option(c);
}

/* The one OBJECT operand left after the options, or a usage error. */
static __attribute__((unused)) const char *
swiftcmd_object(int argc, char *argv[])
{
	if (optind == argc)
		usage_error("no OBJECT named");
	if (optind + 1 < argc)
		usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (*argv[optind] == '\0')
		usage_error("empty OBJECT name");
	return argv[optind];
}

/* The Swift context for the options (-v logs requests, -q silences
 * warnings), or exit 1. */
static __attribute__((unused)) struct swift_ctx *
swiftcmd_connect(struct swift_cli *o)
{
	struct swift_ctx *sc;
	char e[ERRSTR_LEN];

	o->so.log = o->co.verbose ? cmd_say : NULL;
	if (!o->co.quiet)
		o->so.warn = cmd_warn;
	if ((sc = swift_new(&o->so, e)) == NULL)
		errx(1, "%s", e);
	return sc;
}

#endif
