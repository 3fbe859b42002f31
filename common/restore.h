/*
 * The AOF-aware offline restore: stage and validate a snapshot next to the
 * data, then the seed procedure (stop; old files to .old; snapshot into
 * place; with AOF on: start with appendonly no, CONFIG SET appendonly yes,
 * wait for the rewrite, stop, appendonly yes, start), each step recorded in
 * the journal before it is taken, so that a later run can finish it or roll
 * it back.
 */
#ifndef RDBPIPE_RESTORE_H
#define RDBPIPE_RESTORE_H

#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "errstr.h"
#include "journal.h"
#include "rdbver.h"
#include "control.h"

struct progress;

/* How common/ tells cmd/ something: one line a call, printf-style, without
 * the newline; cmd/ prints it. */
typedef void restore_print_fn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

struct restore {
	/* From the config (or, when resuming, the journal). */
	char		 conf[PATH_MAX];	/* the config, absolute */
	char		 dir[PATH_MAX];		/* the data dir, absolute */
	char		 dbfilename[NAME_MAX + 1];
	char		 aofdir[NAME_MAX + 1];	/* appenddirname */
	char		 aoffile[NAME_MAX + 1];	/* appendfilename */
	int		 aof;			/* appendonly yes */
	struct server	 srv;
	/* Choices: the user the server runs as (the data dir's owner) and
	 * whether installed files are given to it. */
	int		 do_chown;
	uid_t		 uid;
	gid_t		 gid;
	const char	*statedir;		/* where the journal lives */
	int		 dfd;			/* the data dir, restore_open */
	struct stat	 dst;			/* its fstat */
	/* Tells the caller what happens (-v); may be NULL. */
	restore_print_fn *say;
	/* State. */
	struct journal	 j;
	char		 staged[NAME_MAX + 1];	/* its name in the data dir */
	char		 failed_step[32];	/* the step that failed */
	uint64_t	 keys;			/* keys in the snapshot */
	int		 rdb_version;
	struct rdb_server target;	/* the server's, or the binary's */
	char		 executable[PATH_MAX];	/* INFO's: where it runs from */
	const char	*check_rdb;	/* --check-rdb, or NULL */
	int		 crc_only;	/* the layout was not walked: no key count */
	char		 rdb_warn[ERRSTR_LEN];	/* what was not checked, or "" */
	int		 was_up;
	int		 legacy_journal;	/* LEGACY_JOURNAL in the data dir */
	/* --aof-dir: an AOF dir is installed (the staged name is a dir);
	 * its base's size and the size of all its files. */
	int		 aofin;
	uint64_t	 aof_base_size, aof_total_size;
};

/* Where rdb-install 0.1.0 kept its journal: in the data dir, where the
 * redis user can write it.  One found there is never read. */
#define LEGACY_JOURNAL	".rdb-install.journal"

/* Reads the settings from the config at path and makes the paths
 * absolute; returns 0 or -1. */
int restore_load_conf(struct restore *in, const char *path, char *errstr);

/* Opens the data dir (no symlink in its path), refuses it unless in->uid
 * owns it and others cannot write it, locks it and reads a pending
 * journal; returns 1 when one is there (an interrupted run), 0 when not,
 * -1 on error. */
int restore_open(struct restore *in, char *errstr);

/* Finds the server's version (INFO, or redis-server --version when it is
 * down) and whether it is up; returns 0 or -1. */
int restore_probe(struct restore *in, char *errstr);

/* Streams fd into the staging file (mode 0600, fsynced) checking framing,
 * CRC64 and the version, then runs redis-check-rdb when installed; insize
 * (0: unknown) is checked against the free space first.  On failure the
 * staging file is gone.  Returns 0 or -1. */
int restore_stage(struct restore *in, int fd, const char *name,
    uint64_t insize, struct progress *pr, char *errstr);

/* Stages the AOF dir src (a manifest, one RDB base, incr files): the
 * base streamed and checked as restore_stage does, the incr files copied,
 * all renamed for the target's appendfilename in a staging dir (mode
 * 0700) with a manifest of those names, then the whole checked with the
 * target's redis-check-aof.  On failure the staging dir is gone.  Returns
 * 0 or -1. */
int restore_stage_aofdir(struct restore *in, const char *src,
    struct progress *pr, char *errstr);

/* Checks a snapshot without writing anything (for --dry-run): framing,
 * CRC64, version; returns 0 or -1. */
int restore_check_only(struct restore *in, int fd, const char *name,
    char *errstr);

/* Removes what restore_stage or restore_stage_aofdir staged (for a dry
 * run: checked in full, then nothing kept); returns 0 or -1. */
int restore_unstage(struct restore *in, char *errstr);

/* Gives the plan to out, a line a call, changing nothing. */
void restore_plan(struct restore *in, const char *input,
    restore_print_fn *out);

/* Runs the seed procedure from a freshly staged file, or finishes an
 * interrupted one (resume).  On a failure it rolls back; returns 0, or -1
 * with in->failed_step and errstr set (and rolled_back telling whether the
 * rollback worked). */
int restore_run(struct restore *in, int resume, int *rolled_back,
    char *errstr);

/* Undoes an interrupted restore from its journal; returns 0 or -1. */
int restore_rollback(struct restore *in, char *errstr);

/* Removes a staging file left by a run killed before its journal was
 * written; returns 0 or -1. */
int restore_clean_stale(struct restore *in, char *errstr);

/* Unlinks the staging file: async-signal-safe, for signal handlers. */
void restore_unlink_staged(struct restore *in);

#endif
