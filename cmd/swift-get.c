/*
 * swift-get: stream a Swift object to stdout, verified.  A plain object's
 * MD5 is checked against its ETag; a Static Large Object is read segment by
 * segment from its manifest (nested ones too), each segment fetched with
 * If-Match on the manifest's ETag and its MD5 checked as it streams.  A
 * dropped connection resumes with a Range request.  The walk is
 * common/slo's.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "swiftcmd.h"
#include "io.h"
#include "progress.h"
#include "slo.h"

static const char *prog = "swift-get";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: swift-get [-qv] [-c CONTAINER] [--retries N] [--insecure]\n"
	    "                 [--progress | --no-progress] OBJECT > data\n"
	    "       swift-get --meta [-qv] [-c CONTAINER] OBJECT\n");
}

int
main(int argc, char *argv[])
{
	struct io_fdsink out = { STDOUT_FILENO, "<stdout>" };
	const char *container, *object;
	struct swift_cli o;
	struct swift_ctx *sc;
	struct swift_resp head;
	struct progress pr;
	int c, rc, meta = 0;
	const struct cmd_opt rows[] = {
		CMD_SET(swift_set),
		CMD_SET(cmd_std_set),
		CMD_FLAG("meta", 0, &meta),
		CMD_END
	};
	struct cmd_getopt g;
	char e[ERRSTR_LEN], b[32];
	uint64_t total;

	swiftcmd_init(&o);
	cmd_getopt_init(&g, rows, NULL);
	while ((c = swiftcmd_option(argc, argv, &g, &o)) != -1)
		cmd_other_option(c);
	object = swiftcmd_object(argc, argv);
	container = o.container;
	if (!meta && cli_binary_out(STDOUT_FILENO, e) < 0)
		errx(1, "%s", e);
	sc = swiftcmd_connect(&o);

	if ((rc = slo_head(sc, container, object, &head, e)) < 0)
		errx(1, "%s", e);
	if (rc == 0)
		errx(1, "%s/%s: not found", container, object);
	if (head.status != 200)
		errx(1, "HEAD %s/%s: HTTP %ld", container, object,
		    head.status);
	if (meta) {
		swift_free(sc);
		/* What a listing of backups needs without the bytes. */
		printf("bytes=%llu\nlast-modified=%s\n%s",
		    (unsigned long long)head.length, head.last_modified,
		    head.meta);
		if (fclose(stdout) == EOF)
			err(1, "write <stdout>");
		return 0;
	}
	if (head.dlo && !head.slo && !o.co.quiet)
		warnx("%s/%s: a dynamic large object: its bytes are not "
		    "verified", container, object);

	progress_init(&pr, prog, cli_out_progress(&o.co), head.length);
	rc = slo_get(sc, container, object, &head, io_sink_fd, &out, &pr,
	    &total, e);
	progress_end(&pr);
	swift_free(sc);
	if (rc < 0)
		errx(1, "%s", e);
	if (close(STDOUT_FILENO) < 0)
		err(1, "close <stdout>");
	if (o.co.verbose) {
		progress_fmt_bytes(b, sizeof(b), total);
		fprintf(stderr, "%s: %s/%s: %s verified%s\n", prog, container,
		    object, b, head.slo ? " segment by segment" :
		    head.dlo ? " (not: dynamic large object)" : "");
	}
	return 0;
}
