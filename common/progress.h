/*
 * A progress line on stderr for long work: bytes, rate, elapsed time and,
 * when the total is known, percent.  Redrawn at most four times a second
 * with "\r", finished with a newline, so cron output stays clean when it is
 * off.
 */
#ifndef RDBPIPE_PROGRESS_H
#define RDBPIPE_PROGRESS_H

#include <stdint.h>
#include <time.h>

struct progress {
	int		 on;
	const char	*prog;
	uint64_t	 bytes;
	uint64_t	 total;		/* 0: unknown */
	struct timespec	 start;
	struct timespec	 last;
	int		 drawn;
};

/* Starts a meter; on is 0 or 1 (see cli_progress_on). */
void progress_init(struct progress *p, const char *prog, int on,
    uint64_t total);

/* Counts n more bytes and redraws when due. */
void progress_add(struct progress *p, uint64_t n);

/* Draws the final line and ends it with a newline. */
void progress_end(struct progress *p);

/* Formats a byte count as "12.3 MiB" into buf (at least 16 bytes). */
void progress_fmt_bytes(char *buf, size_t len, uint64_t n);

#endif
