/* Option values shared by every program: sizes and durations. */
#ifndef RDBPIPE_OPT_H
#define RDBPIPE_OPT_H

#include <stdint.h>

#include "errstr.h"

/* Parses a size: digits with an optional K, M, G or T suffix (powers of
 * 1024, either case, an optional trailing "B" or "iB"); returns 0 or -1. */
int opt_size(const char *s, uint64_t *out, char *errstr);

/* Parses a duration: digits with an optional s, m, h or d suffix (seconds
 * by default); returns 0 or -1. */
int opt_duration(const char *s, uint64_t *secs, char *errstr);

/* Parses a decimal integer in [min, max]; returns 0 or -1. */
int opt_long(const char *s, long min, long max, long *out, char *errstr);

#endif
