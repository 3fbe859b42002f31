/*
 * Elapsed time: one monotonic clock for deadlines, polling and the
 * durations the programs report (the wall clock can jump).
 */
#ifndef RDBPIPE_CLOCK_H
#define RDBPIPE_CLOCK_H

/* Seconds on CLOCK_MONOTONIC, to subtract one from another. */
double clock_now(void);

#endif
