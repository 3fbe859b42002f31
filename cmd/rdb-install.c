/*
 * rdb-install: the AOF-aware offline restore of an RDB snapshot into a
 * local redis-server, validated first, rolled back on failure, and
 * crash-safe through a journal in the data dir.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdtls.h"
#include "cli.h"
#include "restore.h"
#include "opt.h"
#include "progress.h"
#include "secret.h"

#define DEFAULT_CONF	"/etc/redis/redis.conf"
#define DEFAULT_TIMEOUT	300

static const char *prog = "rdb-install";
static struct restore in;
static struct cli_out co;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rdb-install [-c REDIS_CONF] [--owner USER:GROUP | --no-chown]\n"
	    "                   [--service NAME | --start-cmd CMD --stop-cmd CMD]\n"
	    "                   [--tls [--cacert FILE] [--cacertdir DIR] [--cert FILE]\n"
	    "                   [--key FILE] [--sni NAME] [--insecure]]\n"
	    "                   [--state-dir DIR] [--check-rdb PATH] [--timeout DUR]\n"
	    "                   [--dry-run] [--rollback]\n"
	    "                   [-v | -q] [--progress | --no-progress]\n"
	    "                   [FILE | --aof-dir DIR]\n");
}

static restore_print_fn say, plan_line;

/* -v: each step and each rename, on stderr. */
static void
say(const char *fmt, ...)
{
	va_list ap;

	if (!co.verbose)
		return;
	va_start(ap, fmt);
	cmd_vsay(fmt, ap);
	va_end(ap);
}

/* --dry-run: a line of the plan, on stdout. */
static void
plan_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A signal during staging removes the half-written file, then ends us
 * the way the signal would have. */
static void
on_signal(int sig)
{
	restore_unlink_staged(&in);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(int on)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (on) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
	} else {
		/* From the journal on, the procedure finishes or rolls back
		 * rather than stopping halfway; kill -9 is what the journal
		 * is for. */
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
}

static void
parse_owner(const char *s)
{
	char user[256], *colon;
	struct passwd *pw;
	struct group *gr;

	snprintf(user, sizeof(user), "%s", s);
	if ((colon = strchr(user, ':')) != NULL)
		*colon++ = '\0';
	if ((pw = getpwnam(user)) == NULL)
		usage_error("--owner: no user %s", user);
	in.uid = pw->pw_uid;
	in.gid = pw->pw_gid;
	if (colon != NULL && *colon) {
		if ((gr = getgrnam(colon)) == NULL)
			usage_error("--owner: no group %s", colon);
		in.gid = gr->gr_gid;
	}
	in.do_chown = 1;
}

/* The default owner: redis:redis when we are root and that user exists. */
static void
default_owner(void)
{
	struct passwd *pw;
	struct group *gr;

	if (geteuid() != 0 || (pw = getpwnam("redis")) == NULL)
		return;
	in.uid = pw->pw_uid;
	in.gid = (gr = getgrnam("redis")) != NULL ? gr->gr_gid : pw->pw_gid;
	in.do_chown = 1;
}

static void
rolled_back_note(int was_up)
{
	fprintf(stderr, "%s: rolled back: the old data and config are in "
	    "place again%s\n", prog, was_up ? " and the server is up" : "");
}

/* A failed procedure: the step and why, then where things stand. */
static void __attribute__((noreturn))
failed(const char *e, int rolled)
{
	warnx("%s: %s", in.failed_step, e);
	if (rolled)
		rolled_back_note(in.was_up);
	else
		warnx("the journal %s is kept: fix the cause, then run "
		    "rdb-install again to finish or with --rollback to undo",
		    in.j.path);
	exit(1);
}

/* With --tls the server's checks go to its tls-port over TLS (Redis has
 * none on its unix socket); without, a server reachable only there is
 * refused up front rather than failing at the first check. */
static void
use_tls(const char *conf, struct tls_ctx *t)
{
	if (t != NULL && in.srv.tls_port == 0)
		errx(1, "config %s: --tls, but no tls-port", conf);
	if (t == NULL && in.srv.sock == NULL && in.srv.port == 0)
		errx(1, "config %s: the server listens only on tls-port %d: "
		    "give --tls (with --cacert, or --cert and --key as it "
		    "needs)", conf, in.srv.tls_port);
	in.srv.tls = t;
	if (t != NULL) {
		in.srv.sock = NULL;
		in.srv.port = in.srv.tls_port;
	}
}

/* An interrupted restore (pending) is finished, or undone with
 * --rollback; returns the exit status. */
static int
resume(int pending, int rollback, const char *input)
{
	char e[ERRSTR_LEN];
	int rolled;

	catch_signals(0);
	if (rollback) {
		if (!pending) {
			if (restore_clean_stale(&in, e) < 0)
				errx(1, "%s", e);
			if (!co.quiet)
				warnx("%s: no interrupted restore to roll back",
				    in.dir);
			return 0;
		}
		if (restore_rollback(&in, e) < 0)
			errx(1, "%s (the journal %s is kept: run rdb-install "
			    "--rollback again)", e, in.j.path);
		if (!co.quiet)
			rolled_back_note(in.was_up);
		return 0;
	}
	if (input != NULL && !co.quiet)
		warnx("%s: finishing the interrupted restore first; %s is not "
		    "read", in.dir, input);
	if (restore_run(&in, 1, &rolled, e) < 0)
		failed(e, rolled);
	if (!co.quiet)
		warnx("%s/%s: the interrupted restore is finished: %llu keys",
		    in.dir, in.dbfilename, (unsigned long long)in.keys);
	return 0;
}

/* A new restore from input (NULL: stdin) or from the AOF dir aofdir, or
 * its plan with dry_run; returns the exit status. */
static int
restore(const char *input, const char *name, const char *aofdir,
    int dry_run)
{
	struct progress pr;
	struct stat st;
	char e[ERRSTR_LEN];
	int fd = STDIN_FILENO, rolled, r;
	uint64_t insize = 0;

	if (restore_clean_stale(&in, e) < 0 || restore_probe(&in, e) < 0)
		errx(1, "%s", e);
	if (aofdir != NULL)
		fd = -1;
	else if (input != NULL &&
	    (fd = open(input, O_RDONLY | O_CLOEXEC)) < 0)
		err(1, "%s", input);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		insize = (uint64_t)st.st_size;
	if (dry_run && aofdir != NULL) {
		/* Staged and checked in full, as a restore would, then
		 * removed: the plan holds only for a dir that would install. */
		progress_init(&pr, prog, 0, 0);
		if (restore_stage_aofdir(&in, aofdir, &pr, e) < 0 ||
		    restore_unstage(&in, e) < 0)
			errx(1, "%s", e);
		restore_plan(&in, name, plan_line);
		if (fclose(stdout) != 0)
			err(1, "write <stdout>");
		return 0;
	}
	if (dry_run) {
		/* A terminal on stdin has no snapshot to check. */
		if ((input != NULL || !isatty(fd)) &&
		    restore_check_only(&in, fd, name, e) < 0)
			errx(1, "%s", e);
		restore_plan(&in, name, plan_line);
		if (fclose(stdout) != 0)
			err(1, "write <stdout>");
		return 0;
	}
	if (input == NULL && aofdir == NULL && isatty(fd))
		usage_error("no snapshot: give FILE or pipe one in");

	catch_signals(1);
	progress_init(&pr, prog, cli_out_progress(&co),
	    insize);
	r = aofdir != NULL ? restore_stage_aofdir(&in, aofdir, &pr, e) :
	    restore_stage(&in, fd, name, insize, &pr, e);
	progress_end(&pr);
	if (r < 0)
		errx(1, "%s", e);
	catch_signals(0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (in.rdb_warn[0] != '\0') {
		if (!co.quiet)
			warnx("%s: %s", name, in.rdb_warn);
	} else
		say("staged %s: RDB version %d, %llu keys, framing and CRC64 "
		    "good", name, in.rdb_version, (unsigned long long)in.keys);
	if (restore_run(&in, 0, &rolled, e) < 0)
		failed(e, rolled);
	if (aofdir != NULL && !co.quiet)
		warnx("%s/%s: restored %llu keys from %s (base RDB version "
		    "%d)%s", in.dir, in.aof ? in.aofdir : in.dbfilename,
		    (unsigned long long)in.keys, aofdir, in.rdb_version,
		    in.aof ? "" : ", saved; AOF off as configured");
	else if (!co.quiet)
		warnx("%s/%s: restored %llu keys (RDB version %d)%s", in.dir,
		    in.dbfilename, (unsigned long long)in.keys,
		    in.rdb_version, in.aof ? ", AOF rewritten" : "");
	return 0;
}

enum { OPT_TIMEOUT = 256 };

/* What the command line asks for. */
struct args {
	const char	*conf, *owner, *service, *start_cmd, *stop_cmd;
	const char	*input, *name, *statedir, *aofdir;
	struct tls_opts	 to;
	int		 dry_run, rollback, no_chown;
	uint64_t	 timeout;
};

static void
parse_options(int argc, char *argv[], struct args *a)
{
	const struct cmd_opt rows[] = {
		CMD_STR("config", 'c', &a->conf),
		CMD_STR("owner", 0, &a->owner),
		CMD_FLAG("no-chown", 0, &a->no_chown),
		CMD_STR("service", 0, &a->service),
		CMD_STR("start-cmd", 0, &a->start_cmd),
		CMD_STR("stop-cmd", 0, &a->stop_cmd),
		CMD_ARG("timeout", OPT_TIMEOUT),
		CMD_FLAG("dry-run", 0, &a->dry_run),
		CMD_FLAG("rollback", 0, &a->rollback),
		CMD_SET(tls_set),
		CMD_STR("state-dir", 0, &a->statedir),
		CMD_STR("check-rdb", 0, &in.check_rdb),
		CMD_STR("aof-dir", 0, &a->aofdir),
		CMD_SET(cmd_out_set),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	struct cmd_getopt g;
	char e[ERRSTR_LEN];
	int c;

	a->conf = DEFAULT_CONF;
	a->name = "<stdin>";
	a->timeout = DEFAULT_TIMEOUT;
	cli_out_init(&co);
	cmd_getopt_init(&g, rows, NULL);
	while ((c = cmd_getopt(&g, argc, argv)) != -1) {
		if (c == 0 || cli_out_option(&co, c) ||
		    tls_option(&a->to, c, optarg))
			continue;
		switch (c) {
		case OPT_TIMEOUT:
			if (opt_duration(optarg, &a->timeout, e) < 0 ||
			    a->timeout == 0)
				usage_error("--timeout: %s", a->timeout == 0 ?
				    "must be more than 0" : e);
			break;
		default:
			cmd_other_option(c);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage_error("too many arguments");
	if (argc == 1 && strcmp(argv[0], "-") != 0)
		a->input = a->name = argv[0];
	if (a->service != NULL && (a->start_cmd != NULL || a->stop_cmd != NULL))
		usage_error("--service excludes --start-cmd and --stop-cmd");
	if (a->owner != NULL && a->no_chown)
		usage_error("--owner and --no-chown exclude each other");
	if (a->rollback && a->input != NULL)
		usage_error("--rollback takes no FILE");
	if (a->aofdir != NULL)
		a->name = a->aofdir;
	if (a->aofdir != NULL && argc == 1)
		usage_error("--aof-dir excludes FILE and - (stdin)");
	if (a->aofdir != NULL && a->rollback)
		usage_error("--aof-dir excludes --rollback");
	if (co.verbose && co.quiet)
		usage_error("-v and -q exclude each other");
	/* The journal's place: only root may write there. */
	if (a->statedir == NULL &&
	    (a->statedir = getenv("RDB_INSTALL_STATE_DIR")) == NULL)
		a->statedir = JOURNAL_STATE_DIR;
	if (a->statedir[0] != '/')
		usage_error("--state-dir: %s: not an absolute path", a->statedir);
}

int
main(int argc, char *argv[])
{
	static struct args a;
	struct secret pass;
	struct tls_ctx *tls;
	char e[ERRSTR_LEN];
	int pending, r;

	memset(&pass, 0, sizeof(pass));
	if (cli_init(e) < 0)
		errx(1, "%s", e);
	parse_options(argc, argv, &a);
	tls = cmd_tls_ctx(&a.to, co.quiet);

	if (restore_load_conf(&in, a.conf, e) < 0)
		errx(1, "%s", e);
	use_tls(a.conf, tls);
	/* REDISCLI_AUTH, as redis-cli, wins over the config's password. */
	if ((r = secret_from_env(&pass, "REDISCLI_AUTH", e)) < 0)
		errx(1, "%s", e);
	if (r == 0) {
		secret_free_str((char *)in.srv.pass);
		in.srv.pass = pass.buf;
	}
	in.srv.service = a.service;
	in.srv.start_cmd = a.start_cmd;
	in.srv.stop_cmd = a.stop_cmd;
	in.srv.timeout = (double)a.timeout;
	in.say = say;
	/* The server runs as the owner (--owner, redis when root), else as
	 * we do; the data dir must be that user's. */
	in.uid = geteuid();
	in.gid = getegid();
	in.dfd = -1;
	in.statedir = a.statedir;
	if (a.owner != NULL)
		parse_owner(a.owner);
	else if (!a.no_chown)
		default_owner();
	if (control_set_user(&in.srv, in.uid, in.gid, e) < 0)
		errx(1, "%s", e);

	if ((pending = restore_open(&in, e)) < 0)
		errx(1, "%s", e);
	if (in.legacy_journal && !co.quiet)
		warnx("%s/%s: ignored: a journal in the data dir is not trusted "
		    "(journals are kept in %s)", in.dir, LEGACY_JOURNAL,
		    a.statedir);
	if (pending && a.dry_run) {
		printf("an interrupted restore is pending in %s: rdb-install "
		    "would finish it (or undo it with --rollback)\n", in.dir);
		return 0;
	}
	if (pending || a.rollback)
		return resume(pending, a.rollback, a.input != NULL ? a.input :
		    a.aofdir);

	return restore(a.input, a.name, a.aofdir, a.dry_run);
}
