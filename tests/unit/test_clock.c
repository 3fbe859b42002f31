/* common/clock: a monotonic count of seconds, and the one sleep. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "tap.h"

/* Checks the waits a poll goes through from first ms, pct percent longer
 * each time, up to 50 ms. */
static void
polls(long first, int pct, const char *want, const char *what)
{
	char got[64];
	long ms = first;
	size_t n = 0;
	int i;

	got[0] = '\0';
	for (i = 0; i < 5; i++) {
		clock_poll(&ms, pct, 50);
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%ld",
		    i ? " " : "", ms);
	}
	ok(strcmp(got, want) == 0, "polls %s from %ld ms: %s", what, first,
	    got);
}

int
main(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	volatile sig_atomic_t stop = 0;
	double a, b;

	a = clock_now();
	nanosleep(&ts, NULL);
	b = clock_now();
	ok(b - a >= 0.019, "a 20 ms sleep is at least 20 ms later: %.4f s",
	    b - a);
	ok(b - a < 60, "and not a jump: %.4f s", b - a);
	ok(clock_now() >= b, "never backwards");

	a = clock_now();
	ok(clock_nap(250, NULL) == 0, "a nap without a stop flag ends well");
	b = clock_now();
	ok(b - a >= 0.249 && b - a < 1, "and lasts its 250 ms: %.4f s", b - a);
	a = clock_now();
	ok(clock_nap(30, &stop) == 0, "a short nap, flag clear");
	b = clock_now();
	ok(b - a >= 0.029 && b - a < 0.09, "sleeps 30 ms, not a whole 100 ms "
	    "slice: %.4f s", b - a);
	ok(clock_nap(0, NULL) == 0 && clock_nap(-5, NULL) == 0,
	    "no time is no nap");
	stop = 1;
	a = clock_now();
	ok(clock_nap(60000, &stop) == -1, "a set stop flag ends a long nap");
	b = clock_now();
	ok(b - a < 0.05, "at once: %.4f s", b - a);
	ok(clock_nap(0, &stop) == -1, "even a nap of nothing says stopped");

	/* rdb-install's server polls double from 5 ms, rdb-snap's grow by
	 * half from 10 ms, both up to 50 ms. */
	polls(5, 100, "10 20 40 50 50", "doubling");
	polls(10, 50, "15 22 33 49 50", "growing by half");
	return tap_done();
}
