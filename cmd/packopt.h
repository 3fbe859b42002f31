/*
 * The packing options as rdb-pack takes them, for every program that packs
 * (rdb-pack, aof-archive): the codec, -r, -R, --passphrase-file and
 * --no-encrypt with their environment defaults, checked the same way (no
 * silent plaintext), the files read.  Included after cmd.h, which defines
 * prog and usage_error().
 */
#ifndef RDBPIPE_PACKOPT_H
#define RDBPIPE_PACKOPT_H

#include <err.h>
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "pack.h"
#include "secret.h"

/* Measured on the bench RDB and Redis's test RDBs (README, "Choosing the
 * default level"): zstd -7 is the fastest level whose output is no larger
 * than xz -1's (0.992 of it), for an eighth of xz -1's CPU time; -6 is a
 * quarter cheaper again but 0.8 % larger than xz -1. */
#define DEFAULT_ZSTD_LEVEL	7
/* Measured on the bench RDB (README): xz -1 runs 3.6 times as fast as -3
 * for an output 3.7 % larger; -0 is faster still but 6 % larger. */
#define DEFAULT_XZ_PRESET	1

/* What the options asked for, and the secrets read for it. */
struct packopt {
	struct pack_cfg	 pc;
	const char	*rfile_paths[PACK_MAX_KEYS];
	struct secret	 rfiles[PACK_MAX_KEYS], pass;
	const char	*passfile;
	int		 nrfiles, no_encrypt;
};

#define PACKOPT_SHORTOPTS	"r:R:"
#define PACKOPT_LONGOPTS \
	{ "recipient", required_argument, NULL, 'r' }, \
	{ "recipients-file", required_argument, NULL, 'R' }, \
	{ "passphrase-file", required_argument, NULL, PACK_OPT_PASSFILE }, \
	{ "no-encrypt", no_argument, NULL, PACK_OPT_NO_ENCRYPT }, \
	{ "zstd", no_argument, NULL, PACK_OPT_ZSTD }, \
	{ "xz", no_argument, NULL, PACK_OPT_XZ }

/* Takes option c when it is one of these; returns 1 then, else 0. */
static int __attribute__((unused))
packopt_option(struct packopt *o, int c, const char *arg)
{
	switch (c) {
	case PACK_OPT_ZSTD:
		o->pc.codec = PACK_ZSTD;
		return 1;
	case PACK_OPT_XZ:
		o->pc.codec = PACK_XZ;
		return 1;
	case 'r':
		if (o->pc.nrecipients == PACK_MAX_KEYS)
			usage_error("too many recipients");
		o->pc.recipients[o->pc.nrecipients++] = arg;
		return 1;
	case 'R':
		if (o->nrfiles == PACK_MAX_KEYS)
			usage_error("too many recipient files");
		o->rfile_paths[o->nrfiles++] = arg;
		return 1;
	case PACK_OPT_PASSFILE:
		o->passfile = arg;
		return 1;
	case PACK_OPT_NO_ENCRYPT:
		o->no_encrypt = 1;
		return 1;
	}
	return 0;
}

/* Checks the level (-LEVEL) against the codec, as the stock tools take
 * them: zstd 1 to 19, xz 0 to 9; -1 keeps the codec's default. */
static void __attribute__((unused))
packopt_level(struct pack_cfg *pc, int level, int block_size)
{
	if (pc->codec == PACK_XZ) {
		if (level > 9)
			usage_error("-%d: xz presets are -0 to -9", level);
		pc->level = level >= 0 ? level : DEFAULT_XZ_PRESET;
		return;
	}
	if (level == 0 || level > 19)
		usage_error("-%d: zstd levels are -1 to -19", level);
	/* -e is xz's extreme preset; zstd has none, and a silent no-op
	 * would hide that the output is not what the option asked for. */
	if (pc->extreme)
		usage_error("-e (extreme) is an xz preset: add --xz");
	if (block_size)
		usage_error("--block-size is for --xz");
	pc->level = level >= 0 ? level : DEFAULT_ZSTD_LEVEL;
}

/* The keys for packing: the environment's defaults, the checks that
 * refuse plaintext nobody asked for (exit 2), the recipient files and
 * the passphrase read (exit 1). */
static void __attribute__((unused))
packopt_keys(struct packopt *o, int quiet)
{
	struct pack_cfg *pc = &o->pc;
	const char *env;
	char e[ERRSTR_LEN];
	int i, nokeys;

	nokeys = pc->nrecipients == 0 && o->nrfiles == 0;
	if (o->passfile == NULL && nokeys && !o->no_encrypt &&
	    (env = getenv("RDB_PACK_PASSPHRASE_FILE")) && *env)
		o->passfile = env;
	if (nokeys && o->passfile == NULL && !o->no_encrypt &&
	    (env = getenv("RDB_PACK_RECIPIENTS_FILE")) && *env)
		o->rfile_paths[o->nrfiles++] = env;
	nokeys = pc->nrecipients == 0 && o->nrfiles == 0;
	if (o->no_encrypt && (!nokeys || o->passfile != NULL))
		usage_error("--no-encrypt conflicts with recipients and passphrases");
	if (o->passfile != NULL && !nokeys)
		usage_error("a passphrase cannot be combined with recipients");
	if (nokeys && o->passfile == NULL && !o->no_encrypt)
		usage_error("no recipient (-r, -R), passphrase (--passphrase-file) or --no-encrypt: refusing to write plaintext");
	for (i = 0; i < o->nrfiles; i++) {
		/* Recipients are public: no warning for their files. */
		if (secret_read_file(&o->rfiles[i], o->rfile_paths[i], 0,
		    e) < 0)
			errx(1, "%s", e);
		pc->recipient_files[pc->nrecipient_files++] = &o->rfiles[i];
	}
	if (o->passfile != NULL) {
		cmd_read_secret(&o->pass, o->passfile, 1, quiet);
		if (o->pass.len == 0)
			errx(1, "%s: empty passphrase", o->passfile);
		pc->passphrase = &o->pass;
	}
	pc->encrypt = !o->no_encrypt;
}

/* Wipes the secrets read. */
static void __attribute__((unused))
packopt_free(struct packopt *o)
{
	int i;

	for (i = 0; i < o->nrfiles; i++)
		secret_free(&o->rfiles[i]);
	secret_free(&o->pass);
}

#endif
