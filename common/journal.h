/*
 * The restore journal: a text file, one "key value" line each, every line
 * fsynced before the step it announces is taken, so a run after a crash
 * knows what was planned and how far it got.
 *
 * It lives in a state dir only root can write (default /var/lib/rdbpipe),
 * never in the data dir, whose owner (the redis user) is not trusted: one
 * journal per data dir, named by a hash of the dir's path, device and
 * inode.  A journal not owned by us or not mode 0600, or a state dir that
 * others can write, is refused.  The data dir is locked (flock) for as
 * long as the journal is open, so two runs cannot interleave.
 */
#ifndef RDBPIPE_JOURNAL_H
#define RDBPIPE_JOURNAL_H

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>

#include "errstr.h"

#define JOURNAL_STATE_DIR	"/var/lib/rdbpipe"
#define JOURNAL_KEY_LEN		32	/* hex digits */

struct journal {
	int	 lockfd;	/* the data dir, locked; not ours to close */
	int	 sdfd;		/* the state dir */
	int	 fd;		/* the journal, open for appending; -1 */
	char	 key[JOURNAL_KEY_LEN + 1];
	char	 name[JOURNAL_KEY_LEN + 16];	/* KEY.journal */
	char	 path[PATH_MAX];		/* for messages */
	char	*text;		/* what it held when opened; NULL: none */
	size_t	 len;
};

/* The journal's key for a data dir: hex of a hash of its path, st_dev
 * and st_ino, into key (JOURNAL_KEY_LEN + 1 bytes). */
void journal_key(const char *dir, const struct stat *st, char *key);

/* Opens the state dir (creating it 0700 when missing; refused unless
 * owned by the effective uid and not group- or other-writable), locks the
 * data dir dfd (flock, without waiting) and reads the journal for dir
 * into j->text; returns 0, or -1 ("DIR: another rdb-install is running",
 * a refused journal or state dir). */
int journal_open(struct journal *j, const char *statedir, int dfd,
    const char *dir, const struct stat *st, char *errstr);

/* Starts a new journal holding text (atomically: a temp file of a random
 * name, fsync, rename, fsync of the state dir); returns 0 or -1. */
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

/* Removes the journal (and fsyncs the state dir); returns 0 or -1. */
int journal_remove(struct journal *j, char *errstr);

/* Closes it and releases the lock. */
void journal_close(struct journal *j);

#endif
