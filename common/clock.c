#include <signal.h>
#include <time.h>

#include "clock.h"

double
clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
clock_nap(long ms, volatile sig_atomic_t *stop)
{
	struct timespec ts = { 0, 0 };

	for (; ms > 0; ms -= 100) {
		if (stop != NULL && *stop)
			return -1;
		ts.tv_nsec = (ms < 100 ? ms : 100) * 1000000L;
		nanosleep(&ts, NULL);
	}
	return stop != NULL && *stop ? -1 : 0;
}

void
clock_poll(long *ms, int pct, long max_ms)
{
	clock_nap(*ms, NULL);
	*ms += *ms * pct / 100;
	if (*ms > max_ms)
		*ms = max_ms;
}
