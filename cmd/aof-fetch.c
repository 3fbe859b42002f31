/*
 * aof-fetch: the restore side of the continuous archive.  --list-times
 * says to which seconds each base can be restored; --to-time T builds an
 * appendonlydir holding the base and its chain up to T (downloaded,
 * verified, decrypted, checked), truncated to T by redis-check-aof when
 * asked.  The work is common/pitr's.
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "swiftcmd.h"
#include "packcmd.h"
#include "archive.h"
#include "cluster.h"
#include "pitr.h"

static const char *prog = "aof-fetch";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: aof-fetch [-qv] [-c CONTAINER] [--retries N] [--insecure] [--slots RANGES]\n"
	    "                 --list-times PREFIX\n"
	    "       aof-fetch [-qv] [-c CONTAINER] [--retries N] [--insecure] [--slots RANGES]\n"
	    "                 [-i IDENTITY_FILE | --passphrase-file FILE]\n"
	    "                 --to-time YYYY-MM-DDTHH:MM:SSZ -o DIR [--check-aof PATH] PREFIX\n");
}


struct opts {
	struct swift_cli	 sw;
	struct packcmd_keys	 keys;
	struct unpack_cfg	 uc;
	const char		*prefix, *dir, *check_aof, *to_time;
	const char		*slots;		/* --slots, or NULL */
	unsigned char		 map[CLUSTER_MAP_LEN];
	int			 list;
	time_t			 t;
};

static volatile sig_atomic_t stop_sig;

static void
on_signal(int sig)
{
	stop_sig = sig;
}

/* Parses the options into o, or exits 2. */
static void
parse_options(int argc, char *argv[], struct opts *o)
{
	const struct cmd_opt rows[] = {
		CMD_SET(swift_set),
		CMD_SET(cmd_std_set),
		CMD_FLAG("list-times", 0, &o->list),
		CMD_STR("to-time", 0, &o->to_time),
		CMD_STR("output", 'o', &o->dir),
		CMD_STR("check-aof", 0, &o->check_aof),
		CMD_STR("slots", 0, &o->slots),
		CMD_ARG("identity", 'i'),
		CMD_STR("passphrase-file", 0, &o->keys.passfile),
		CMD_END
	};
	struct cmd_getopt g;
	char e[ERRSTR_LEN];
	size_t n;
	int c;

	cmd_getopt_init(&g, rows, NULL);
	while ((c = swiftcmd_option(argc, argv, &g, &o->sw)) != -1) {
		if (c == 'i')
			packcmd_identity(&o->keys, optarg);
		else
			cmd_other_option(c);
	}
	if (optind == argc)
		usage_error("no PREFIX named");
	if (optind + 1 < argc)
		usage_error("unexpected argument '%s'", argv[optind + 1]);
	o->prefix = argv[optind];
	/* PREFIX and PREFIX/ are the same archive. */
	for (n = strlen(o->prefix); n > 0 && o->prefix[n - 1] == '/'; n--)
		;
	if (n == 0)
		usage_error("empty PREFIX");
	argv[optind][n] = '\0';
	if (o->list && o->to_time != NULL)
		usage_error("--list-times and --to-time do not go together");
	if (!o->list && o->to_time == NULL)
		usage_error("--list-times or --to-time T is needed");
	if (o->list && (o->dir != NULL || o->check_aof != NULL))
		usage_error("-o and --check-aof go with --to-time");
	if (o->to_time != NULL && o->dir == NULL)
		usage_error("--to-time needs -o DIR");
	if (o->to_time != NULL && archive_iso_parse(o->to_time, &o->t, e) < 0)
		usage_error("--to-time: %s", e);
	if (o->dir != NULL && *o->dir == '\0')
		usage_error("-o: empty DIR");
	if (o->slots != NULL && cluster_slots_parse(o->slots, o->map, e) < 0)
		usage_error("--slots: %s", e);
}

/* --list-times: one line per base, oldest first, with the slot ranges of
 * a cluster node's base. */
static int
list_times(const struct opts *o, struct swift_ctx *sc,
    const struct archive_index *ix)
{
	char from[ARCHIVE_ISO_LEN + 1], to[ARCHIVE_ISO_LEN + 1];
	char slots[CLUSTER_SLOTS_MAX + 1], node[CLUSTER_ID_LEN + 1];
	const struct archive_base *b;
	char e[ERRSTR_LEN];
	size_t i;

	for (i = 0; i < ix->n; i++) {
		if (pitr_base_cluster(sc, o->sw.container, &ix->v[i].base,
		    slots, node, e) < 0)
			errx(1, "%s", e);
		b = &ix->v[i];
		archive_iso(b->base.open, from);
		/* A base with no chunk yet restores to no second. */
		if (b->nchain > 0)
			archive_iso(b->last, to);
		else
			snprintf(to, sizeof(to), "-");
		printf("%s %" PRIu64 " %s %s", b->base.replid, b->base.start,
		    from, to);
		if (slots[0] != '\0')
			printf(" slots %s", slots);
		if (b->gap != 0)
			printf(" (gap at offset %" PRIu64 ")", b->gap);
		printf("\n");
	}
	if (fclose(stdout) != 0)
		err(1, "write <stdout>");
	return 0;
}

/* --to-time: the plan, then the directory. */
static int
to_time(struct opts *o, struct swift_ctx *sc, const struct archive_index *ix)
{
	const struct archive_base *b;
	struct pitr_cfg cfg;
	char e[ERRSTR_LEN];
	size_t n;
	int rc;

	if (archive_plan(ix, o->prefix, o->t, &b, &n, e) < 0)
		errx(1, "%s", e);
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = sc;
	cfg.container = o->sw.container;
	cfg.uc = &o->uc;
	cfg.check_aof = o->check_aof;
	cfg.log = o->sw.co.verbose ? cmd_say : NULL;
	cfg.warn = o->sw.co.quiet ? NULL : cmd_warn;
	rc = pitr_build(&cfg, b, n, o->t, o->dir, e);
	packcmd_keys_free(&o->keys);
	if (rc < 0 && stop_sig != 0) {
		/* Interrupted: the directory is gone; die of the signal. */
		signal(stop_sig, SIG_DFL);
		raise(stop_sig);
	}
	if (rc < 0)
		errx(1, "%s", e);
	if (o->sw.co.verbose)
		cmd_say("%s: base %s at offset %" PRIu64 " and %zu chunk%s, "
		    "to %s%s", o->dir, b->base.replid, b->base.start, n,
		    n == 1 ? "" : "s", o->to_time, o->check_aof != NULL ?
		    " (truncated)" : "");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct archive_index ix;
	struct pitr_names names;
	struct sigaction sa;
	struct swift_ctx *sc;
	struct opts o;
	char e[ERRSTR_LEN];
	int rc;

	memset(&o, 0, sizeof(o));
	swiftcmd_init(&o.sw);
	parse_options(argc, argv, &o);
	if (o.to_time != NULL)
		packcmd_unpack_keys(&o.keys, &o.uc, o.sw.co.quiet);

	/* An interruption stops the transfers, so the temporary directory
	 * is removed before the signal ends the program. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	o.sw.so.stop = &stop_sig;
	sc = swiftcmd_connect(&o.sw);

	if (pitr_index(sc, o.sw.container, o.prefix, &ix, &names, e) < 0)
		errx(1, "%s", e);
	/* A cluster's masters share the prefix: --slots picks one shard. */
	if (o.slots != NULL && pitr_keep_slots(sc, o.sw.container, &ix, o.map,
	    e) < 0)
		errx(1, "%s", e);
	if (o.slots != NULL && ix.n == 0)
		errx(1, "%s/archive/: no base of slots %s", o.prefix, o.slots);
	rc = o.list ? list_times(&o, sc, &ix) : to_time(&o, sc, &ix);
	archive_index_free(&ix);
	pitr_names_free(&names);
	swift_free(sc);
	return rc;
}
