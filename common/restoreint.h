/*
 * What the parts of the restore engine share (common/restore.c, the RDB
 * procedure and the step machine; common/restore_aof.c, staging an AOF
 * dir); not for callers, who use restore.h.
 */
#ifndef RDBPIPE_RESTOREINT_H
#define RDBPIPE_RESTOREINT_H

#include <stddef.h>

#include "restore.h"

/* Staging files and dirs: this prefix and a random suffix, made O_EXCL. */
#define STAGED_PREFIX	".rdb-install.staged."

/* -v: in->say, when the caller gave one. */
#define say(in, ...)	do {						\
	if ((in)->say != NULL)						\
		(in)->say(__VA_ARGS__);					\
} while (0)

/* DIR/NAME of the data dir into out ("" when it does not fit). */
void restore_path_in(const struct restore *in, const char *name, char *out,
    size_t len);

/* Refuses v unless it is a plain file name that fits a journal line
 * ("KIND FILE: WHAT 'V': why"); returns 0 or -1. */
int restore_check_name(const char *kind, const char *file, const char *what,
    const char *v, char *errstr);

/* The target server's own checker for kind ("check-rdb", "check-aof")
 * into buf. */
void restore_checker_path(const struct restore *in, const char *kind,
    char *buf, size_t len);

/* Runs `tool path` as the server's user, its stdout and stderr (the first
 * outlen - 1 bytes) into out, its wait status into *status; returns 0, or
 * -1 when it could not be run or waited for. */
int restore_run_checker(struct restore *in, const char *tool,
    const char *path, char *out, size_t outlen, int *status, char *errstr);

/* Removes name in the directory pfd, a dir with what is in it, never
 * through a symlink, at any level; returns 0 or -1. */
int restore_rm_at(int pfd, const char *name, int depth, char *errstr);

#endif
