/*
 * rdb-pack: compress (zstd or xz) and encrypt (age v1) a stream, and back.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "age.h"
#include "cli.h"
#include "io.h"
#include "opt.h"
#include "pack.h"
#include "packcmd.h"
#include "progress.h"
#include "secret.h"

#define DEFAULT_THREADS		0

static const char *prog = "rdb-pack";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rdb-pack [--zstd [-1..-19] | --xz [-0..-9] [-e]] [-T N] [-v | -q]\n"
	    "                (-r RECIPIENT | -R FILE | --passphrase-file FILE | --no-encrypt) < in > out\n"
	    "       rdb-pack -d [-T N] [-M SIZE] [-i IDENTITY_FILE | --passphrase-file FILE] [--raw] < in > out\n"
	    "       rdb-pack -t [-M SIZE] [-i IDENTITY_FILE | --passphrase-file FILE] [--raw] < in\n"
	    "       rdb-pack --keygen [-o FILE]\n"
	    "       rdb-pack -y < identity\n");
}

static int
keygen(const char *out, int quiet)
{
	char e[ERRSTR_LEN], recipient[AGE_RECIPIENT_LEN + 1], stamp[32];
	char *identity, *text;
	struct tm tm;
	time_t now = time(NULL);
	size_t cap = 512;
	int fd = STDOUT_FILENO, n;

	identity = sodium_malloc(AGE_IDENTITY_LEN + 1);
	text = sodium_malloc(cap);
	if (identity == NULL || text == NULL)
		err(1, "secure memory");
	if (age_keygen(identity, recipient, e) < 0)
		errx(1, "keygen: %s", e);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(text, cap, "# created: %s\n# public key: %s\n%s\n", stamp,
	    recipient, identity);
	if (out != NULL) {
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0)
			err(1, "%s", out);
	}
	if (io_writeall(fd, text, (size_t)n) < 0 ||
	    (out != NULL && fsync(fd) < 0)) {
		int saved = errno;

		sodium_free(text);
		sodium_free(identity);
		if (out != NULL)
			unlink(out);
		errno = saved;
		err(1, "write %s", out != NULL ? out : "<stdout>");
	}
	sodium_free(text);
	sodium_free(identity);
	if (close(fd) < 0)
		err(1, "close %s", out != NULL ? out : "<stdout>");
	if (out != NULL && !quiet)
		fprintf(stderr, "Public key: %s\n", recipient);
	return 0;
}

static int
recipient_of_stdin(void)
{
	char e[ERRSTR_LEN], recipient[AGE_RECIPIENT_LEN + 1];
	struct secret s;
	ssize_t n;

	memset(&s, 0, sizeof(s));
	s.buf = sodium_malloc(SECRET_MAX + 1);
	if (s.buf == NULL)
		err(1, "secure memory");
	n = io_readfull(STDIN_FILENO, s.buf, SECRET_MAX);
	if (n < 0) {
		secret_free(&s);
		err(1, "read <stdin>");
	}
	if (age_identity_file_recipient(s.buf, (size_t)n, recipient, e) < 0) {
		secret_free(&s);
		errx(1, "<stdin>: %s", e);
	}
	secret_free(&s);
	printf("%s\n", recipient);
	if (fclose(stdout) != 0)
		err(1, "write <stdout>");
	return 0;
}

static void
report(const char *what, const struct pack_stats *st, double secs)
{
	char in[32], out[32];

	progress_fmt_bytes(in, sizeof(in), st->in);
	progress_fmt_bytes(out, sizeof(out), st->out);
	fprintf(stderr, "%s: %s %s -> %s in %.2f s", prog, what, in, out, secs);
	if (st->is_rdb && st->rdb_warn[0] != '\0')
		fprintf(stderr, " (RDB version %d, CRC64 checked only)",
		    st->rdb_version);
	else if (st->is_rdb)
		fprintf(stderr, " (RDB version %d, %llu keys, CRC64 checked)",
		    st->rdb_version, (unsigned long long)st->rdb_keys);
	fprintf(stderr, "\n");
}

enum { OPT_BLOCK = 256 };

/* The actions, one static function each (signify's verbs). */
enum verb { VERB_PACK, VERB_UNPACK, VERB_KEYGEN, VERB_RECIPIENT };

/* What the command line asked for, and the secrets read for it. */
struct opts {
	struct pack_cfg pc;
	struct unpack_cfg uc;
	struct cli_out co;
	struct packcmd_keys keys;	/* -i, -r, -R, --passphrase-file */
	const char *out;
	int raw, level;
	int decode, test;	/* -d, -t: unpacking; -t writes nothing */
	int keygen, printrec;	/* --keygen, -y */
};

/* Parses the options into o, or exits 2. */
static void
parse_options(int argc, char *argv[], struct opts *o)
{
	const struct cmd_opt rows[] = {
		CMD_FLAG("decompress", 'd', &o->decode),
		CMD_FLAG("test", 't', &o->test),
		CMD_FLAG("extreme", 'e', &o->pc.extreme),
		CMD_ARG("threads", 'T'),
		CMD_ARG("recipient", 'r'),
		CMD_ARG("recipients-file", 'R'),
		CMD_ARG("identity", 'i'),
		CMD_STR("passphrase-file", 0, &o->keys.passfile),
		CMD_FLAG("no-encrypt", 0, &o->keys.no_encrypt),
		CMD_FLAG("raw", 0, &o->raw),
		CMD_FLAG("keygen", 0, &o->keygen),
		CMD_STR("output", 'o', &o->out),
		CMD_ARG("block-size", OPT_BLOCK),
		CMD_NOARG("zstd", PACK_OPT_ZSTD),
		CMD_NOARG("xz", PACK_OPT_XZ),
		CMD_ARG("memlimit", 'M'),
		CMD_FLAG(NULL, 'y', &o->printrec),
		CMD_SET(cmd_out_set),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	struct cmd_getopt g;
	char e[ERRSTR_LEN];
	int c, ind, digit_more = 0;
	long l;
	uint64_t u64;

	cmd_getopt_init(&g, rows, "0123456789");
	for (;;) {
		ind = optind;
		if ((c = cmd_getopt(&g, argc, argv)) == -1)
			break;
		/* A level may have two digits (-19): getopt hands them over
		 * one by one, and a digit continues the number when the one
		 * before it did not end its argument. */
		if (c >= '0' && c <= '9') {
			o->level = digit_more ? o->level * 10 + (c - '0') :
			    c - '0';
			if (o->level > 99)
				usage_error("-%d: no such level", o->level);
			digit_more = optind == ind;
			continue;
		}
		digit_more = 0;
		if (c == 0 || cli_out_option(&o->co, c) ||
		    packcmd_option(&o->keys, &o->pc, c, optarg))
			continue;
		switch (c) {
		case 'T':
			if (opt_long(optarg, 0, 4096, &l, e) < 0)
				usage_error("-T: %s", e);
			o->pc.threads = o->uc.threads = (uint32_t)l;
			break;
		case 'i':
			packcmd_identity(&o->keys, optarg);
			break;
		case 'M':
			if (opt_size(optarg, &u64, e) < 0)
				usage_error("--memlimit: %s", e);
			if (u64 < (1U << 20))
				usage_error("--memlimit: %s is below 1 MiB", optarg);
			o->uc.memlimit = u64;
			break;
		case OPT_BLOCK:
			if (opt_size(optarg, &u64, e) < 0)
				usage_error("--block-size: %s", e);
			o->pc.block_size = u64;
			break;
		default:
			cmd_other_option(c);
		}
	}
	if (optind != argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/* The one action the options name, or exits 2. */
static enum verb
verb_of(const struct opts *o)
{
	if (o->decode + o->test + o->keygen + o->printrec > 1 &&
	    !(o->decode && o->test))
		usage_error("-d, -t, --keygen and -y do not go together");
	if (o->keygen)
		return VERB_KEYGEN;
	if (o->out != NULL)
		usage_error("-o goes with --keygen only");
	if (o->printrec)
		return VERB_RECIPIENT;
	return o->decode || o->test ? VERB_UNPACK : VERB_PACK;
}

/* Feeds stdin through the packer or unpacker to stdout (nothing out for
 * a test), then wipes the secrets, reports and exits as the verb asks. */
static int
run(struct opts *o, enum verb verb)
{
	struct io_fdsink fdsink = { STDOUT_FILENO, "<stdout>" };
	struct pack_stats st;
	struct progress pr;
	char e[ERRSTR_LEN];
	double t0;
	int rc;

	memset(&st, 0, sizeof(st));
	if (!o->test && cli_binary_out(STDOUT_FILENO, e) < 0)
		errx(1, "%s", e);

	progress_init(&pr, prog, cli_out_progress(&o->co), cli_input_size());
	t0 = clock_now();
	if (verb == VERB_PACK) {
		struct pack *p = pack_new(&o->pc, io_sink_fd, &fdsink, e);

		rc = p == NULL ? -1 :
		    io_pump(STDIN_FILENO, "<stdin>", pack_sink, p, &pr, e);
		if (rc == 0)
			rc = pack_finish(p, e);
		pack_free(p, &st);
	} else {
		struct unpack *u = unpack_new(&o->uc, o->test ?
		    io_sink_null : io_sink_fd, &fdsink, e);

		rc = u == NULL ? -1 :
		    io_pump(STDIN_FILENO, "<stdin>", unpack_sink, u, &pr, e);
		if (rc == 0)
			rc = unpack_finish(u, e);
		unpack_free(u, &st);
	}
	progress_end(&pr);
	packcmd_keys_free(&o->keys);
	if (rc < 0)
		errx(1, "%s%s", e, st.memlimit_hit ?
		    " (raise it with --memlimit)" : "");
	if (close(STDOUT_FILENO) < 0 && errno != EBADF)
		err(1, "close <stdout>");
	if (st.rdb_warn[0] != '\0' && !o->co.quiet)
		warnx("%s", st.rdb_warn);
	if (o->co.verbose)
		report(verb == VERB_PACK ? "packed" : o->decode ? "unpacked" :
		    "verified", &st, clock_now() - t0);
	return 0;
}

/* -d and -t: checks the options, reads the identities or passphrase. */
static int
unpack_cmd(struct opts *o)
{
	if (o->pc.nrecipients > 0 || o->keys.nrfiles > 0 ||
	    o->keys.no_encrypt)
		usage_error("-r, -R and --no-encrypt are for packing");
	packcmd_unpack_keys(&o->keys, &o->uc, o->co.quiet);
	o->uc.raw = o->raw;
	return run(o, VERB_UNPACK);
}

/* Packing: checks the level and the encryption options, reads the
 * recipient files or the passphrase. */
static int
pack_cmd(struct opts *o)
{
	if (o->keys.nifiles > 0 || o->raw || o->uc.memlimit > 0)
		usage_error("-i, -M and --raw are for -d and -t");
	packcmd_level(&o->pc, o->level, o->pc.block_size != 0);
	packcmd_pack_keys(&o->keys, &o->pc, o->co.quiet);
	return run(o, VERB_PACK);
}

int
main(int argc, char *argv[])
{
	struct opts o;
	char e[ERRSTR_LEN];

	memset(&o, 0, sizeof(o));
	o.pc.codec = PACK_ZSTD;
	o.pc.threads = DEFAULT_THREADS;
	o.uc.threads = DEFAULT_THREADS;
	o.level = -1;
	if (cli_init(e) < 0)
		errx(1, "%s", e);
	cli_out_init(&o.co);

	parse_options(argc, argv, &o);
	switch (verb_of(&o)) {
	case VERB_KEYGEN:
		return keygen(o.out, o.co.quiet);
	case VERB_RECIPIENT:
		return recipient_of_stdin();
	case VERB_PACK:
		return pack_cmd(&o);
	case VERB_UNPACK:
		return unpack_cmd(&o);
	}
	return 1;
}
