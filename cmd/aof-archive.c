/*
 * aof-archive: follows a Redis master as a replica and stores its base RDB
 * and its command stream, in chunks, in Swift (common/archiver).
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archiver.h"
#include "cmd.h"
#include "cmdtls.h"
#include "opt.h"
#include "packcmd.h"
#include "redisopt.h"
#include "swiftcmd.h"

static const char *prog = "aof-archive";
static volatile sig_atomic_t stop;
static int quiet;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: aof-archive [-h HOST] [-p PORT] [-s SOCKET] [--user USER] [--pass-file FILE]\n"
	    "                   [--tls [--cacert FILE] [--cacertdir DIR] [--cert FILE]\n"
	    "                   [--key FILE] [--sni NAME] [--insecure]]\n"
	    "                   [-c CONTAINER] [--retries N] [--zstd | --xz]\n"
	    "                   (-r RECIPIENT | -R FILE | --passphrase-file FILE | --no-encrypt)\n"
	    "                   [--interval DUR] [--chunk-size SIZE] [--metrics-file FILE]\n"
	    "                   [-v | -q] PREFIX\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Notices: what an operator must know (a new base, a lost connection,
 * falling behind); -q keeps only errors. */
static void __attribute__((format(printf, 1, 2)))
notice(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	cmd_vsay(fmt, ap);
	va_end(ap);
}

enum { OPT_INTERVAL = 256, OPT_CHUNK_SIZE };

struct args {
	struct redisopt		 ro;
	struct swift_cli	 sw;
	struct pack_cfg		 pc;
	struct packcmd_keys	 keys;
	struct secret		 pass;	/* Redis's, kept to reconnect */
	struct archiver_cfg	 cfg;
};

static void
parse_options(int argc, char *argv[], struct args *a)
{
	const struct cmd_opt rows[] = {
		CMD_SET(redis_set),
		CMD_SET(tls_set),
		CMD_SET(swift_set),
		CMD_ARG("recipient", 'r'),
		CMD_ARG("recipients-file", 'R'),
		CMD_STR("passphrase-file", 0, &a->keys.passfile),
		CMD_FLAG("no-encrypt", 0, &a->keys.no_encrypt),
		CMD_NOARG("zstd", PACK_OPT_ZSTD),
		CMD_NOARG("xz", PACK_OPT_XZ),
		CMD_ARG("interval", OPT_INTERVAL),
		CMD_ARG("chunk-size", OPT_CHUNK_SIZE),
		CMD_STR("metrics-file", 0, &a->cfg.metrics_file),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	struct cmd_getopt g;
	char e[ERRSTR_LEN];
	int c;

	cmd_getopt_init(&g, rows, NULL);
	while ((c = swiftcmd_option(argc, argv, &g, &a->sw)) != -1) {
		if (redisopt_option(&a->ro, c, optarg) ||
		    packcmd_option(&a->keys, &a->pc, c, optarg))
			continue;
		switch (c) {
		case OPT_INTERVAL:
			if (opt_duration(optarg, &a->cfg.interval, e) < 0)
				usage_error("--interval: %s", e);
			if (a->cfg.interval == 0)
				usage_error("--interval: must be at least 1s");
			break;
		case OPT_CHUNK_SIZE:
			if (opt_size(optarg, &a->cfg.chunk_size, e) < 0)
				usage_error("--chunk-size: %s", e);
			if (a->cfg.chunk_size < 1024 ||
			    a->cfg.chunk_size > (1ULL << 30))
				usage_error("--chunk-size: %s is not between 1K "
				    "and 1G", optarg);
			break;
		default:
			cmd_other_option(c);
		}
	}
	if (optind == argc)
		usage_error("no PREFIX named");
	if (optind + 1 < argc)
		usage_error("unexpected argument '%s'", argv[optind + 1]);
	a->cfg.prefix = argv[optind];
	if (*a->cfg.prefix == '\0' ||
	    a->cfg.prefix[strlen(a->cfg.prefix) - 1] == '/')
		usage_error("PREFIX must be a non-empty name without a "
		    "trailing '/'");
	redisopt_check(&a->ro);
}

/* The password, kept for every reconnection, and the TLS context. */
static void
redis_prepare(struct args *a)
{
	a->ro.rc.tls = cmd_tls_ctx(&a->ro.to, quiet);
	redisopt_password(&a->ro, &a->pass, quiet);
	if (a->pass.buf != NULL) {
		a->ro.rc.pass = a->pass.buf;
		a->ro.rc.pass_len = a->pass.len;
	}
}

/* What the objects' names end in: the codec, then age when encrypted. */
static const char *
ext_of(const struct pack_cfg *pc)
{
	if (pc->codec == PACK_XZ)
		return pc->encrypt ? "xz.age" : "xz";
	return pc->encrypt ? "zst.age" : "zst";
}

int
main(int argc, char *argv[])
{
	static struct args a;
	struct sigaction sa;
	char e[ERRSTR_LEN];
	int rc;

	swiftcmd_init(&a.sw);
	a.pc.codec = PACK_ZSTD;
	a.cfg.interval = 60;
	a.cfg.chunk_size = 64ULL << 20;
	parse_options(argc, argv, &a);
	quiet = a.sw.co.quiet;
	packcmd_level(&a.pc, -1, 0);
	packcmd_pack_keys(&a.keys, &a.pc, quiet);
	redis_prepare(&a);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	a.cfg.conn = &a.ro.rc;
	a.cfg.sc = swiftcmd_connect(&a.sw);
	a.cfg.container = a.sw.container;
	a.cfg.pc = &a.pc;
	a.cfg.ext = ext_of(&a.pc);
	a.cfg.stop = &stop;
	a.cfg.say = notice;
	a.cfg.log = a.sw.co.verbose && !quiet ? cmd_say : NULL;
	rc = archiver_run(&a.cfg, e);
	swift_free(a.cfg.sc);
	secret_free(&a.pass);
	tls_ctx_free(a.ro.rc.tls);
	packcmd_keys_free(&a.keys);
	if (rc < 0)
		errx(1, "%s", e);
	return 0;
}
