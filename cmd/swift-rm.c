/*
 * swift-rm: delete objects; a Static Large Object goes with its segments
 * (?multipart-manifest=delete, common/slo).  A name that is not there is
 * reported and the others are still deleted.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "swiftcmd.h"
#include "slo.h"

static const char *prog = "swift-rm";

static void
usage(FILE *f)
{
	fprintf(f, "usage: swift-rm [-qv] [-c CONTAINER] [--retries N] "
	    "[--insecure] OBJECT...\n");
}

int
main(int argc, char *argv[])
{
	const char *container;
	struct swift_cli o;
	struct swift_ctx *sc;
	char e[ERRSTR_LEN];
	int i, failed = 0, rc;

	swiftcmd_init(&o);
	swiftcmd_options(argc, argv, &o);
	if (optind == argc)
		usage_error("no OBJECT named");
	for (i = optind; i < argc; i++)
		if (*argv[i] == '\0')
			usage_error("empty OBJECT name");
	container = o.container;
	sc = swiftcmd_connect(&o);
	for (i = optind; i < argc; i++) {
		rc = slo_delete(sc, container, argv[i], e);
		if (rc == 1)
			warnx("%s/%s: not found", container, argv[i]);
		else if (rc < 0)
			warnx("%s", e);
		else if (o.co.verbose)
			fprintf(stderr, "%s: deleted %s/%s\n", prog, container,
			    argv[i]);
		if (rc != 0)
			failed = 1;
	}
	swift_free(sc);
	return failed;
}
