/*
 * Elapsed time: one monotonic clock for deadlines, polling and the
 * durations the programs report (the wall clock can jump).
 */
#ifndef RDBPIPE_CLOCK_H
#define RDBPIPE_CLOCK_H

#include <signal.h>

/* Seconds on CLOCK_MONOTONIC, to subtract one from another. */
double clock_now(void);

/* Sleeps ms milliseconds, in slices of at most 100 ms after each of which
 * a non-zero *stop (stop may be NULL) ends the sleep; returns 0, or -1
 * when stopped. */
int clock_nap(long ms, volatile sig_atomic_t *stop);

/* Sleeps *ms milliseconds, then lengthens the next wait by pct percent,
 * to at most max_ms: a poll that starts quick and backs off. */
void clock_poll(long *ms, int pct, long max_ms);

#endif
