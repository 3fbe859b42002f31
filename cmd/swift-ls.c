/*
 * swift-ls: list a container's objects, one name a line, in Swift's order
 * (byte order of the UTF-8 names), through every page of the listing.
 */
#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "swiftcmd.h"
#include "cli.h"
#include "swift.h"

static const char *prog = "swift-ls";

static void
usage(FILE *f)
{
	fprintf(f, "usage: swift-ls [-lv] [-c CONTAINER] [--retries N] "
	    "[--insecure] [PREFIX]\n");
}

/* Prints one listing entry (a swift_list_fn; arg points at longfmt). */
static int
print_entry(void *arg, const struct swift_entry *e, char *errstr)
{
	const int *longfmt = arg;

	(void)errstr;
	if (*longfmt) {
		/* "2026-11-25T12:00:00.123456" as "2026-11-25 12:00:00". */
		char t[20] = "-";

		if (e->last_modified != NULL && strlen(e->last_modified) >= 19) {
			memcpy(t, e->last_modified, 19);
			t[10] = ' ';
			t[19] = '\0';
		}
		printf("%12llu  %s  %s\n", (unsigned long long)e->bytes, t,
		    e->name);
	} else
		printf("%s\n", e->name);
	return 0;
}

int
main(int argc, char *argv[])
{
	int c, longfmt = 0;
	const struct cmd_opt rows[] = {
		CMD_SET(swift_set),
		CMD_FLAG("long", 'l', &longfmt),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	const char *prefix = NULL;
	struct cmd_getopt g;
	struct swift_cli o;
	struct swift_ctx *sc;
	char e[ERRSTR_LEN];

	swiftcmd_init(&o);
	cmd_getopt_init(&g, rows, NULL);
	while ((c = swiftcmd_option(argc, argv, &g, &o)) != -1)
		cmd_other_option(c);
	if (optind < argc)
		prefix = argv[optind++];
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	sc = swiftcmd_connect(&o);
	if (swift_list(sc, o.container, prefix, print_entry, &longfmt, e) < 0)
		errx(1, "%s", e);
	swift_free(sc);
	if (fclose(stdout) != 0)
		err(1, "write <stdout>");
	return 0;
}
