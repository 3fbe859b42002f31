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
#include "json.h"
#include "opt.h"
#include "swift.h"

static const char *prog = "swift-ls";

static void
usage(FILE *f)
{
	fprintf(f, "usage: swift-ls [-lv] [-c CONTAINER] [--retries N] "
	    "[--insecure] [PREFIX]\n");
}

/* Prints one listing entry (long form when arg is not NULL); returns 0. */
static int
print_entry(void *arg, const struct json *e, char *errstr)
{
	int longfmt = arg != NULL;
	const char *name = json_get_str(e, "name");
	const char *mod = json_get_str(e, "last_modified");
	uint64_t bytes = 0;

	(void)errstr;
	if (longfmt) {
		/* "2026-11-25T12:00:00.123456" as "2026-11-25 12:00:00". */
		char t[20] = "-";

		if (mod != NULL && strlen(mod) >= 19) {
			memcpy(t, mod, 19);
			t[10] = ' ';
			t[19] = '\0';
		}
		json_get_u64(e, "bytes", &bytes);
		printf("%12llu  %s  %s\n", (unsigned long long)bytes, t, name);
	} else
		printf("%s\n", name);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		SWIFT_LONGOPTS,
		{ "long", no_argument, NULL, 'l' },
		CMD_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *container, *prefix = NULL;
	struct swift_cli o;
	struct swift_ctx *sc;
	char e[ERRSTR_LEN];
	int c, longfmt = 0;

	swiftcmd_init(&o);
	while ((c = swiftcmd_option(argc, argv, SWIFT_SHORTOPTS "l", longopts,
	    &o)) != -1) {
		switch (c) {
		case 'l':
			longfmt = 1;
			break;
		default:
			cmd_other_option(c);
		}
	}
	if (optind < argc)
		prefix = argv[optind++];
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	container = o.container;
	sc = swiftcmd_connect(&o);
	if (swift_list(sc, container, prefix, print_entry,
	    longfmt ? &longfmt : NULL, e) < 0)
		errx(1, "%s", e);
	swift_free(sc);
	if (fclose(stdout) != 0)
		err(1, "write <stdout>");
	return 0;
}
