/*
 * redis.conf, read as Redis reads it and edited without disturbing it.
 *
 * Reading follows Redis's loadServerConfigFromString: each line is trimmed,
 * blank lines and "#" comments are skipped, the rest is split with the
 * quoting of sdssplitargs ("..." with \n \r \t \b \a \\ \" \xHH escapes,
 * '...' with \'), and "include PATH" (a glob, as Redis 7 allows) is read in
 * place.  Directives keep their order, so the last occurrence wins, as in
 * Redis.  Editing replaces the bytes of one line and keeps every other byte,
 * through a temporary file, fsync, rename and an fsync of the directory.
 */
#ifndef RDBPIPE_CONF_H
#define RDBPIPE_CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "errstr.h"

struct conf_line {
	char	*file;		/* the file holding it (as opened) */
	int	 lineno;
	off_t	 off;		/* the line's first byte in file */
	size_t	 len;		/* its length, without the line ending */
	int	 argc;
	char	**argv;		/* argv[0] is the directive, as written */
};

struct conf {
	struct conf_line	*v;
	size_t			 n;
};

/* Reads path and its includes; returns 0 or -1 ("FILE:LINE: why"). */
int conf_load(struct conf *c, const char *path, char *errstr);

/* Splits one line as sdssplitargs does; returns argc (0 for a blank line)
 * with a malloc'd, NULL-terminated argv, or -1 on unbalanced quotes. */
int conf_split(const char *line, size_t len, char ***argv);

/* Frees an argv from conf_split, wiping the strings (they may be
 * passwords). */
void conf_argv_free(int argc, char **argv);

/* Returns the last occurrence of a directive (case-insensitive), or NULL. */
const struct conf_line *conf_last(const struct conf *c, const char *name);

/* Returns the first argument of the last occurrence of name, or dflt. */
const char *conf_get(const struct conf *c, const char *name,
    const char *dflt);

/* Wipes and frees everything. */
void conf_free(struct conf *c);

/* Reads a whole regular file into malloc'd memory (anything else, a FIFO
 * included, is refused without blocking); returns 0 or -1. */
int conf_slurp(const char *path, char **buf, size_t *len, char *errstr);

/* conf_slurp for a file about to be edited: a symlink is followed only
 * when root or we own it, and a link swapped in since is not read;
 * returns 0 or -1. */
int conf_slurp_edit(const char *path, char **buf, size_t *len,
    char *errstr);

/* Replaces path's contents with buf atomically, keeping its mode and owner
 * (a symlink's target is replaced when root or we own the link; anything
 * but a regular file is refused); returns 0 or -1. */
int conf_replace_file(const char *path, const void *buf, size_t len,
    char *errstr);

/* Replaces the bytes of line (as conf_load found it) with text, keeping
 * every other byte of its file; returns 0 or -1. */
int conf_edit_line(const struct conf_line *line, const char *text,
    char *errstr);

#endif
