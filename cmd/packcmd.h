/*
 * The unpacking keys as rdb-pack -d takes them, for every program that
 * reads packed data (rdb-pack, aof-fetch): -i IDENTITY_FILE (repeatable),
 * --passphrase-file FILE, and their environment defaults
 * RDB_PACK_PASSPHRASE_FILE and RDB_PACK_IDENTITY_FILE.  Included after
 * cmd.h, which defines prog and usage_error().
 */
#ifndef RDBPIPE_PACKCMD_H
#define RDBPIPE_PACKCMD_H

#include <stdlib.h>

#include "pack.h"
#include "secret.h"

/* The files named, and the secrets read from them. */
struct packcmd_keys {
	const char	*ifile_paths[PACK_MAX_KEYS];
	struct secret	 ifiles[PACK_MAX_KEYS];
	int		 nifiles;
	const char	*passfile;
	struct secret	 pass;
};

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
	secret_free(&k->pass);
}

#endif
