/*
 * The keys and the codec as rdb-pack takes them, for every program that
 * reads packed data (rdb-pack -d, aof-fetch: -i IDENTITY_FILE, repeatable,
 * --passphrase-file FILE, and their environment defaults
 * RDB_PACK_PASSPHRASE_FILE and RDB_PACK_IDENTITY_FILE) or writes it
 * (rdb-pack, aof-archive: --zstd, --xz, the level, -r, -R,
 * --passphrase-file, --no-encrypt, RDB_PACK_RECIPIENTS_FILE; never
 * plaintext nobody asked for).  Included after cmd.h, which defines prog
 * and usage_error().
 */
#ifndef RDBPIPE_PACKCMD_H
#define RDBPIPE_PACKCMD_H

#include <err.h>
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

/* The files named, and the secrets read from them. */
struct packcmd_keys {
	const char	*ifile_paths[PACK_MAX_KEYS];
	struct secret	 ifiles[PACK_MAX_KEYS];
	int		 nifiles;
	const char	*rfile_paths[PACK_MAX_KEYS];
	struct secret	 rfiles[PACK_MAX_KEYS];
	int		 nrfiles, no_encrypt;
	const char	*passfile;
	struct secret	 pass;
};

/* Takes the packing option c (-r, -R, --zstd, --xz) into k and pc;
 * returns 1 then, else 0. */
static int __attribute__((unused))
packcmd_option(struct packcmd_keys *k, struct pack_cfg *pc, int c,
    const char *arg)
{
	switch (c) {
	case PACK_OPT_ZSTD:
		pc->codec = PACK_ZSTD;
		return 1;
	case PACK_OPT_XZ:
		pc->codec = PACK_XZ;
		return 1;
	case 'r':
		if (pc->nrecipients == PACK_MAX_KEYS)
			usage_error("too many recipients");
		pc->recipients[pc->nrecipients++] = arg;
		return 1;
	case 'R':
		if (k->nrfiles == PACK_MAX_KEYS)
			usage_error("too many recipient files");
		k->rfile_paths[k->nrfiles++] = arg;
		return 1;
	}
	return 0;
}

/* Checks the level (-LEVEL) against the codec, as the stock tools take
 * them: zstd 1 to 19, xz 0 to 9; -1 keeps the codec's default. */
static void __attribute__((unused))
packcmd_level(struct pack_cfg *pc, int level, int block_size)
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

/* The packing keys: the environment's defaults, the checks that refuse
 * plaintext nobody asked for (exit 2), the recipient files and the
 * passphrase read (exit 1), pc pointed at them. */
static void __attribute__((unused))
packcmd_pack_keys(struct packcmd_keys *k, struct pack_cfg *pc, int quiet)
{
	const char *env;
	char e[ERRSTR_LEN];
	int i, nokeys;

	nokeys = pc->nrecipients == 0 && k->nrfiles == 0;
	if (k->passfile == NULL && nokeys && !k->no_encrypt &&
	    (env = getenv("RDB_PACK_PASSPHRASE_FILE")) && *env)
		k->passfile = env;
	if (nokeys && k->passfile == NULL && !k->no_encrypt &&
	    (env = getenv("RDB_PACK_RECIPIENTS_FILE")) && *env)
		k->rfile_paths[k->nrfiles++] = env;
	nokeys = pc->nrecipients == 0 && k->nrfiles == 0;
	if (k->no_encrypt && (!nokeys || k->passfile != NULL))
		usage_error("--no-encrypt conflicts with recipients and passphrases");
	if (k->passfile != NULL && !nokeys)
		usage_error("a passphrase cannot be combined with recipients");
	if (nokeys && k->passfile == NULL && !k->no_encrypt)
		usage_error("no recipient (-r, -R), passphrase (--passphrase-file) or --no-encrypt: refusing to write plaintext");
	for (i = 0; i < k->nrfiles; i++) {
		/* Recipients are public: no warning for their files. */
		if (secret_read_file(&k->rfiles[i], k->rfile_paths[i], 0,
		    e) < 0)
			errx(1, "%s", e);
		pc->recipient_files[pc->nrecipient_files++] = &k->rfiles[i];
	}
	if (k->passfile != NULL) {
		cmd_read_secret(&k->pass, k->passfile, 1, quiet);
		if (k->pass.len == 0)
			errx(1, "%s: empty passphrase", k->passfile);
		pc->passphrase = &k->pass;
	}
	pc->encrypt = !k->no_encrypt;
}

/* Takes -i FILE, or exits 2 past PACK_MAX_KEYS. */
static void __attribute__((unused))
packcmd_identity(struct packcmd_keys *k, const char *path)
{
	if (k->nifiles == PACK_MAX_KEYS)
		usage_error("too many identity files");
	k->ifile_paths[k->nifiles++] = path;
}

/* Fills in the environment's defaults (a passphrase file first, then an
 * identity file when neither was named), reads the files (exit 1 when
 * one cannot be read, a warning unless quiet when others may read it) and
 * points uc at them. */
static void __attribute__((unused))
packcmd_unpack_keys(struct packcmd_keys *k, struct unpack_cfg *uc,
    int quiet)
{
	const char *env;
	int i;

	if (k->passfile == NULL &&
	    (env = getenv("RDB_PACK_PASSPHRASE_FILE")) && *env)
		k->passfile = env;
	if (k->nifiles == 0 && k->passfile == NULL &&
	    (env = getenv("RDB_PACK_IDENTITY_FILE")) && *env)
		k->ifile_paths[k->nifiles++] = env;
	for (i = 0; i < k->nifiles; i++) {
		cmd_read_secret(&k->ifiles[i], k->ifile_paths[i], 0, quiet);
		uc->identity_files[uc->nidentity_files++] = &k->ifiles[i];
	}
	if (k->passfile != NULL) {
		cmd_read_secret(&k->pass, k->passfile, 1, quiet);
		uc->passphrase = &k->pass;
	}
}

/* Wipes and frees every secret read. */
static void __attribute__((unused))
packcmd_keys_free(struct packcmd_keys *k)
{
	int i;

	for (i = 0; i < k->nifiles; i++)
		secret_free(&k->ifiles[i]);
	for (i = 0; i < k->nrfiles; i++)
		secret_free(&k->rfiles[i]);
	secret_free(&k->pass);
}

#endif
