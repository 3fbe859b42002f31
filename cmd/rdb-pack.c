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
#include "packopt.h"
#include "age.h"
#include "cli.h"
#include "io.h"
#include "opt.h"
#include "pack.h"
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

enum {
	OPT_KEYGEN = 256, OPT_RAW, OPT_BLOCK
};

/* The actions, one static function each (signify's verbs). */
enum verb { VERB_PACK, VERB_UNPACK, VERB_KEYGEN, VERB_RECIPIENT };

/* What the command line asked for, and the secrets read for it. */
struct opts {
	struct packopt po;
	struct unpack_cfg uc;
	struct cli_out co;
	const char *ifile_paths[PACK_MAX_KEYS];
	struct secret ifiles[PACK_MAX_KEYS];
	const char *out;
	int nifiles, raw, level;
	int decode, test;	/* -d, -t: unpacking; -t writes nothing */
	int keygen, printrec;	/* --keygen, -y */
};

/* Parses the options into o, or exits 2. */
static void
parse_options(int argc, char *argv[], struct opts *o)
{
	static const struct option longopts[] = {
		{ "decompress", no_argument, NULL, 'd' },
		{ "test", no_argument, NULL, 't' },
		{ "extreme", no_argument, NULL, 'e' },
		{ "threads", required_argument, NULL, 'T' },
		{ "identity", required_argument, NULL, 'i' },
		{ "raw", no_argument, NULL, OPT_RAW },
		{ "keygen", no_argument, NULL, OPT_KEYGEN },
		{ "output", required_argument, NULL, 'o' },
		{ "block-size", required_argument, NULL, OPT_BLOCK },
		PACKOPT_LONGOPTS,
		{ "memlimit", required_argument, NULL, 'M' },
		CLI_OUT_LONGOPTS,
		CMD_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	char e[ERRSTR_LEN];
	int c, ind, digit_more = 0;
	long l;
	uint64_t u64;

	for (;;) {
		ind = optind;
		c = getopt_long(argc, argv,
		    "0123456789edtT:i:o:yM:" PACKOPT_SHORTOPTS CLI_OUT_SHORTOPTS, longopts,
		    NULL);
		if (c == -1)
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
		if (cli_out_option(&o->co, c) || packopt_option(&o->po, c, optarg))
			continue;
		switch (c) {
		case 'e':
			o->po.pc.extreme = 1;
			break;
		case 'd':
			o->decode = 1;
			break;
		case 't':
			o->test = 1;
			break;
		case 'T':
			if (opt_long(optarg, 0, 4096, &l, e) < 0)
				usage_error("-T: %s", e);
			o->po.pc.threads = o->uc.threads = (uint32_t)l;
			break;
		case 'i':
			if (o->nifiles == PACK_MAX_KEYS)
				usage_error("too many identity files");
			o->ifile_paths[o->nifiles++] = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'y':
			o->printrec = 1;
			break;
		case OPT_RAW:
			o->raw = 1;
			break;
		case OPT_KEYGEN:
			o->keygen = 1;
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
			o->po.pc.block_size = u64;
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
	int i, rc;

	memset(&st, 0, sizeof(st));
	if (!o->test && cli_binary_out(STDOUT_FILENO, e) < 0)
		errx(1, "%s", e);

	progress_init(&pr, prog, cli_out_progress(&o->co), cli_input_size());
	t0 = clock_now();
	if (verb == VERB_PACK) {
		struct pack *p = pack_new(&o->po.pc, io_sink_fd, &fdsink, e);

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
	packopt_free(&o->po);
	for (i = 0; i < o->nifiles; i++)
		secret_free(&o->ifiles[i]);
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
	const char *env;
	int i;

	if (o->po.passfile == NULL &&
	    (env = getenv("RDB_PACK_PASSPHRASE_FILE")) && *env)
		o->po.passfile = env;
	if (o->po.pc.nrecipients > 0 || o->po.nrfiles > 0 || o->po.no_encrypt)
		usage_error("-r, -R and --no-encrypt are for packing");
	if (o->nifiles == 0 && o->po.passfile == NULL &&
	    (env = getenv("RDB_PACK_IDENTITY_FILE")) && *env)
		o->ifile_paths[o->nifiles++] = env;
	for (i = 0; i < o->nifiles; i++) {
		cmd_read_secret(&o->ifiles[i], o->ifile_paths[i], 0,
		    o->co.quiet);
		o->uc.identity_files[o->uc.nidentity_files++] = &o->ifiles[i];
	}
	if (o->po.passfile != NULL) {
		cmd_read_secret(&o->po.pass, o->po.passfile, 1, o->co.quiet);
		o->uc.passphrase = &o->po.pass;
	}
	o->uc.raw = o->raw;
	return run(o, VERB_UNPACK);
}

/* Packing: checks the level and the encryption options, reads the
 * recipient files or the passphrase. */
static int
pack_cmd(struct opts *o)
{
	if (o->nifiles > 0 || o->raw || o->uc.memlimit > 0)
		usage_error("-i, -M and --raw are for -d and -t");
	packopt_level(&o->po.pc, o->level, o->po.pc.block_size != 0);
	packopt_keys(&o->po, o->co.quiet);
	return run(o, VERB_PACK);
}

int
main(int argc, char *argv[])
{
	struct opts o;
	char e[ERRSTR_LEN];

	memset(&o, 0, sizeof(o));
	o.po.pc.codec = PACK_ZSTD;
	o.po.pc.threads = DEFAULT_THREADS;
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
