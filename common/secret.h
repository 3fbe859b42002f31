/*
 * Secrets from files: passwords, passphrases, identities.  They live in
 * sodium_malloc memory (guarded, locked, never swapped) and are wiped by
 * secret_free; they are never put in argv or a message.
 */
#ifndef RDBPIPE_SECRET_H
#define RDBPIPE_SECRET_H

#include <stddef.h>

#define SECRET_MAX (64 * 1024)

struct secret {
	char	*buf;		/* sodium_malloc'd, NUL-terminated */
	size_t	 len;		/* bytes, excluding the terminator */
	int	 exposed;	/* the file is readable by group or others */
	const char *name;	/* the file it came from, for messages; not owned */
};

/* Reads a whole secret file (opened O_NOFOLLOW, a regular file of at most
 * SECRET_MAX bytes); returns 0 or -1.  strip_newline drops one trailing
 * "\n" or "\r\n" as password files written by editors carry one. */
int secret_read_file(struct secret *s, const char *path, int strip_newline,
    char *errstr);

/* Copies a secret out of an environment variable and wipes the variable's
 * value in this process; returns 0, 1 when it is unset, or -1. */
int secret_from_env(struct secret *s, const char *name, char *errstr);

/* Copies src (which may be empty: buf NULL) into new guarded memory;
 * returns 0 or -1. */
int secret_copy(struct secret *dst, const struct secret *src, char *errstr);

/* Wipes a malloc'd NUL-terminated copy of a secret (a password read from
 * a config) and frees it; NULL is fine. */
void secret_free_str(char *s);

/* Wipes and frees; safe on a zeroed or already freed struct. */
void secret_free(struct secret *s);

#endif
