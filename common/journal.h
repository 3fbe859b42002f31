/*
 * The restore journal: a text file in the data dir, one "key value" line
 * each, every line fsynced before the step it announces is taken, so a run
 * after a crash knows what was planned and how far it got.  The data dir is
 * locked (flock) for as long as the journal is open, so two runs cannot
 * interleave.
 */
#ifndef RDBPIPE_JOURNAL_H
#define RDBPIPE_JOURNAL_H

#include <limits.h>
#include <stddef.h>

#include "errstr.h"

#define JOURNAL_NAME ".rdb-install.journal"

struct journal {
	int	 dirfd;		/* the locked data dir */
	int	 fd;		/* the journal, open for appending; -1 */
	char	 path[PATH_MAX];
	char	*text;		/* what it held when opened; NULL: none */
	size_t	 len;
};

/* Locks dir (flock, without waiting) and reads an existing journal into
 * j->text, NUL bytes (a crash's) read as line ends; returns 0, or -1
 * ("DIR: another rdb-install is running"). */
int journal_open(struct journal *j, const char *dir, char *errstr);

/* Starts a new journal holding text (atomically: temp file, fsync,
 * rename, fsync of the dir); returns 0 or -1. */
int journal_create(struct journal *j, const char *text, char *errstr);

/* Appends one "key value" line and fsyncs it; returns 0 or -1. */
int journal_add(struct journal *j, const char *key, const char *value,
    char *errstr);

/* Appends whole lines (each ending in a newline) with one fsync, ending
 * first a last line a crash left without its newline; returns 0 or -1. */
int journal_append(struct journal *j, const char *lines, char *errstr);

/* Copies the value of the last line with this key into val; returns 0, or
 * -1 when there is none. */
int journal_get(const struct journal *j, const char *key, char *val,
    size_t len);

/* Iterates over every line with this key: *pos starts NULL; returns 0
 * with the value in val, or -1 after the last. */
int journal_next(const struct journal *j, const char *key, const char **pos,
    char *val, size_t len);

/* Removes the journal (and fsyncs the dir); returns 0 or -1. */
int journal_remove(struct journal *j, char *errstr);

/* Closes it and releases the lock. */
void journal_close(struct journal *j);

#endif
