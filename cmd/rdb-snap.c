/*
 * rdb-snap: a consistent RDB snapshot of a running Redis on stdout, from a
 * fresh BGSAVE (local mode) or over the replication protocol (--sync).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "cmdtls.h"
#include "redisopt.h"
#include "cli.h"
#include "io.h"
#include "opt.h"
#include "progress.h"
#include "redis.h"
#include "secret.h"
#include "snap.h"

static const char *prog = "rdb-snap";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rdb-snap [-h HOST] [-p PORT] [-s SOCKET] [--user USER] [--pass-file FILE]\n"
	    "                [--tls [--cacert FILE] [--cacertdir DIR] [--cert FILE]\n"
	    "                [--key FILE] [--sni NAME] [--insecure]]\n"
	    "                [--dir DIR] [--dbfilename NAME] [--sync] [--timeout SECS]\n"
	    "                [--remove] [--no-follow] [--info-file FILE] [-v | -q] [--progress | --no-progress]\n"
	    "                > dump.rdb\n");
}

static void
report(const struct snap_result *r, int sync, double secs)
{
	char b[32];

	progress_fmt_bytes(b, sizeof(b), r->bytes);
	fprintf(stderr, "%s: %s %.3f s, streamed %s (%llu bytes) in %.3f s ",
	    prog, sync ? "transfer started after" : "saved in", r->save_secs,
	    b, (unsigned long long)r->bytes, secs);
	if (r->warn[0] != '\0')
		fprintf(stderr, "(RDB version %d, CRC64 checked only)\n",
		    r->rdb_version);
	else
		fprintf(stderr, "(RDB version %d, %llu keys, CRC64 checked)\n",
		    r->rdb_version, (unsigned long long)r->keys);
	if (r->waited)
		fprintf(stderr, "%s: waited for a save or AOF rewrite that was "
		    "already running\n", prog);
	if (r->follow)
		fprintf(stderr, "%s: followed the save: %llu bytes streamed "
		    "before it ended\n", prog, (unsigned long long)r->early_bytes);
}

enum { OPT_TIMEOUT = 256 };

/*
 * --info-file: what the check saw, as KEY=VALUE lines (swift-put
 * --meta-file reads them), written before stdout closes so that a reader
 * at the end of the pipeline finds it whole.
 */
static void
write_info_file(const char *path, const struct snap_result *r)
{
	FILE *f;

	if ((f = fopen(path, "we")) == NULL)
		err(1, "%s", path);
	fprintf(f, "rdb-version=%s%d\n", r->valkey ? "valkey-" : "",
	    r->rdb_version);
	if (r->warn[0] == '\0')
		fprintf(f, "keys=%llu\nrdb-check=walked\n",
		    (unsigned long long)r->keys);
	else
		fprintf(f, "rdb-check=crc-only\n");
	if (fclose(f) != 0)
		err(1, "%s", path);
}

/* What the command line asks for. */
struct args {
	struct redisopt		 ro;
	struct snap_opts	 so;
	struct cli_out		 co;
	const char		*info_file;
	int			 sync;
};

static void
parse_options(int argc, char *argv[], struct args *a)
{
	const struct cmd_opt rows[] = {
		CMD_SET(redis_set),
		CMD_STR("dir", 0, &a->so.dir),
		CMD_STR("dbfilename", 0, &a->so.dbfilename),
		CMD_FLAG("sync", 0, &a->sync),
		CMD_ARG("timeout", OPT_TIMEOUT),
		CMD_FLAG("remove", 0, &a->so.remove),
		CMD_FLAG("no-follow", 0, &a->so.no_follow),
		CMD_STR("info-file", 0, &a->info_file),
		CMD_SET(tls_set),
		CMD_SET(cmd_out_set),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	struct cmd_getopt g;
	char e[ERRSTR_LEN];
	uint64_t secs;
	int ch;

	cli_out_init(&a->co);
	cmd_getopt_init(&g, rows, NULL);
	while ((ch = cmd_getopt(&g, argc, argv)) != -1) {
		if (ch == 0 || cli_out_option(&a->co, ch) ||
		    redisopt_option(&a->ro, ch, optarg))
			continue;
		switch (ch) {
		case OPT_TIMEOUT:
			if (opt_duration(optarg, &secs, e) < 0)
				usage_error("--timeout: %s", e);
			if (secs == 0 || secs > 365L * 24 * 3600)
				usage_error("--timeout: out of range");
			a->so.timeout_ms = a->ro.rc.timeout_ms = (long)secs * 1000;
			break;
		default:
			cmd_other_option(ch);
		}
	}
	if (optind != argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (a->sync && (a->so.remove || a->so.dir != NULL ||
	    a->so.dbfilename != NULL || a->so.no_follow))
		usage_error("--remove, --dir, --dbfilename and --no-follow are "
		    "for local mode, not --sync");
	redisopt_check(&a->ro);
}

/* The connection, TLS and AUTH done; the password is wiped here. */
static struct redis_ctx *
connect_server(struct args *a)
{
	struct redis_ctx *c;
	struct secret pass;
	char e[ERRSTR_LEN], tlsdesc[256];

	memset(&pass, 0, sizeof(pass));
	redisopt_password(&a->ro, &pass, a->co.quiet);
	if (pass.buf != NULL) {
		a->ro.rc.pass = pass.buf;
		a->ro.rc.pass_len = pass.len;
	}
	c = redis_connect(&a->ro.rc, NULL, e);
	secret_free(&pass);
	a->ro.rc.pass = NULL;
	if (c == NULL)
		errx(1, "%s", e);
	if (a->co.verbose && !a->co.quiet &&
	    redis_tls_describe(c, tlsdesc, sizeof(tlsdesc)) == 0)
		fprintf(stderr, "%s: connected to %s over %s\n", prog,
		    redis_name(&a->ro.rc), tlsdesc);
	return c;
}

int
main(int argc, char *argv[])
{
	static struct args a;
	struct snap_result res;
	struct progress pr;
	struct io_fdsink out = { STDOUT_FILENO, "<stdout>" };
	struct redis_ctx *c;
	struct stat st;
	char e[ERRSTR_LEN];
	double t0;
	int fd = -1, failed;

	memset(&res, 0, sizeof(res));
	if (cli_init(e) < 0)
		errx(1, "%s", e);
	parse_options(argc, argv, &a);
	a.ro.rc.tls = cmd_tls_ctx(&a.ro.to, a.co.quiet);
	if (cli_binary_out(STDOUT_FILENO, e) < 0)
		errx(1, "%s", e);
	c = connect_server(&a);

	t0 = clock_now();
	progress_init(&pr, prog, cli_out_progress(&a.co), 0);
	if (a.sync) {
		failed = snap_sync(c, &a.so, io_sink_fd, &out, &pr, &res, e) < 0;
	} else {
		fd = snap_bgsave(c, &a.so, &res, e);
		failed = fd < 0;
		/* A followed save's size is known only at its end. */
		if (!failed && !res.follow && fstat(fd, &st) == 0)
			pr.total = (uint64_t)st.st_size;
		if (!failed && res.follow)
			failed = snap_follow(c, &a.so, fd, &out, &pr, &res,
			    e) < 0;
		else if (!failed)
			failed = snap_stream(fd, &out, &pr, &res, e) < 0;
	}
	progress_end(&pr);
	redis_free(c);
	tls_ctx_free(a.ro.rc.tls);
	if (failed)
		errx(1, "%s", e);
	if (a.info_file != NULL)
		write_info_file(a.info_file, &res);
	if (close(STDOUT_FILENO) < 0 && errno != EBADF)
		err(1, "close <stdout>");
	/* Only a dump streamed whole, of a server that keeps no dump of its
	 * own, is removed. */
	if (a.so.remove && snap_remove(fd, &res, e) < 0)
		errx(1, "%s", e);
	if (fd >= 0)
		close(fd);
	if (res.warn[0] != '\0' && !a.co.quiet)
		warnx("%s", res.warn);
	if (a.co.verbose && !a.co.quiet)
		report(&res, a.sync, clock_now() - t0);
	return 0;
}
