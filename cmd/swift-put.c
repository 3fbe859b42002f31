/*
 * swift-put: store stdin as a Swift object, in bounded memory.  Input
 * shorter than one segment is one PUT carrying its MD5; longer input is a
 * Static Large Object whose segments are uploaded while the next one is
 * read (common/slo).  On any failure the segments written are removed and
 * nothing is left under the object's name.
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "swiftcmd.h"
#include "opt.h"
#include "progress.h"
#include "slo.h"

/* 64 MiB segments: 16 requests per GiB, 128 MiB of buffers at most, and
 * 64 TiB per manifest at Swift's default of 1000 segments. */
#define DEFAULT_SEGMENT	(64ULL * 1024 * 1024)

static const char *prog = "swift-put";
static volatile sig_atomic_t stop;
/* Set by a signal, or by a failure: the segment uploads stop. */
static volatile sig_atomic_t halt;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: swift-put [-fqv] [-c CONTAINER] [-S SEGMENT_SIZE] [-m KEY=VALUE]... [--meta-file FILE]\n"
	    "                 [--delete-after DUR | --delete-at EPOCH] [--retries N]\n"
	    "                 [--insecure] [--progress | --no-progress] OBJECT < data\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
	halt = 1;
}

static void
warn_msg(const char *msg)
{
	warnx("%s", msg);
}

enum { OPT_DELETE_AFTER = 256, OPT_DELETE_AT };

/* Takes swift-put's own options into cfg. */
static void
put_options(int argc, char *argv[], struct swift_cli *o,
    struct slo_put_cfg *cfg, const char **metas)
{
	const struct cmd_opt rows[] = {
		CMD_SET(swift_set),
		CMD_ARG("segment-size", 'S'),
		CMD_ARG("meta", 'm'),
		CMD_STR("meta-file", 0, &cfg->meta_file),
		CMD_FLAG("force", 'f', &cfg->force),
		CMD_ARG("delete-after", OPT_DELETE_AFTER),
		CMD_ARG("delete-at", OPT_DELETE_AT),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	struct cmd_getopt g;
	uint64_t delete_after = 0;
	int c, has_after = 0, has_at = 0;
	const char *eq;
	char e[ERRSTR_LEN];
	long l;

	cmd_getopt_init(&g, rows, NULL);
	while ((c = swiftcmd_option(argc, argv, &g, o)) != -1) {
		switch (c) {
		case 'S':
			if (opt_size(optarg, &cfg->segment_size, e) < 0)
				usage_error("-S: %s", e);
			if (cfg->segment_size == 0)
				usage_error("-S: the segment size must not be 0");
			cfg->segment_size_set = 1;
			break;
		case 'm':
			if (!slo_meta_ok(optarg, &eq))
				usage_error("-m: expected KEY=VALUE with a key "
				    "of letters, digits, '-' and '_': '%s'",
				    optarg);
			if (cfg->nmeta == SLO_MAX_META)
				usage_error("-m: too many");
			metas[cfg->nmeta++] = optarg;
			break;
		case OPT_DELETE_AFTER:
			if (opt_duration(optarg, &delete_after, e) < 0)
				usage_error("--delete-after: %s", e);
			has_after = 1;
			break;
		case OPT_DELETE_AT:
			if (opt_long(optarg, 1, 0x7fffffffffffL, &l, e) < 0)
				usage_error("--delete-at: %s", e);
			cfg->delete_at = (uint64_t)l;
			has_at = 1;
			break;
		default:
			cmd_other_option(c);
		}
	}
	cfg->object = swiftcmd_object(argc, argv);
	if (has_after && has_at)
		usage_error("--delete-after and --delete-at do not go together");
	if (has_at && cfg->delete_at <= (uint64_t)time(NULL))
		usage_error("--delete-at: %llu is in the past",
		    (unsigned long long)cfg->delete_at);
	if (cfg->segment_size > SIZE_MAX / 2)
		usage_error("-S: too large");
	/* One absolute expiry for the manifest and every segment. */
	if (has_after)
		cfg->delete_at = (uint64_t)time(NULL) + delete_after;
}

int
main(int argc, char *argv[])
{
	static const char *metas[SLO_MAX_META];
	struct slo_put_cfg cfg;
	struct swift_cli o;
	struct swift_resp head;
	struct slo_put *sp;
	struct progress pr;
	struct sigaction sa;
	char e[ERRSTR_LEN], b[32];
	size_t left, removed, nparts;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.segment_size = DEFAULT_SEGMENT;
	cfg.meta = metas;
	swiftcmd_init(&o);
	put_options(argc, argv, &o, &cfg, metas);
	cfg.container = o.container;
	cfg.halt = &halt;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	o.so.stop = &stop;
	cfg.c = swiftcmd_connect(&o);
	if ((sp = slo_put_new(&cfg, e)) == NULL)
		errx(1, "%s", e);

	/* Refuse early rather than after uploading every segment; the final
	 * PUT's If-None-Match still guards against a race. */
	if (!cfg.force && (rc = slo_head(cfg.c, cfg.container, cfg.object,
	    &head, e)) != 0) {
		if (rc > 0)
			errx(1, "%s/%s: already exists (use -f to overwrite)",
			    cfg.container, cfg.object);
		errx(1, "%s", e);
	}
	progress_init(&pr, prog, cli_out_progress(&o.co), cli_input_size());
	rc = slo_put_pump(sp, STDIN_FILENO, "<stdin>", &pr, &stop, e);
	if (rc == 0)
		rc = slo_put_finish(sp, e);
	progress_end(&pr);
	nparts = slo_put_nparts(sp);
	if (rc < 0) {
		/* Where the signal caught us does not matter to the user. */
		warnx("%s", stop ? "interrupted" : e);
		left = slo_put_cleanup(sp, warn_msg, &removed);
		if (o.co.verbose && nparts > 0)
			fprintf(stderr, "%s: removed %zu segment objects\n",
			    prog, removed);
		if (left > 0)
			warnx("%zu segment objects could not be removed from %s",
			    left, slo_put_segcont(sp));
	} else if (o.co.verbose) {
		progress_fmt_bytes(b, sizeof(b), pr.bytes);
		fprintf(stderr, "%s: stored %s/%s: %s", prog, cfg.container,
		    cfg.object, b);
		if (nparts > 0)
			fprintf(stderr, " in %zu segments", nparts);
		fprintf(stderr, "\n");
	}
	slo_put_free(sp);
	swift_free(cfg.c);
	return rc < 0 ? 1 : 0;
}
