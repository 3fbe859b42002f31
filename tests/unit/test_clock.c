/* common/clock: a monotonic count of seconds. */
#include <time.h>

#include "clock.h"
#include "tap.h"

int
main(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	double a, b;

	a = clock_now();
	nanosleep(&ts, NULL);
	b = clock_now();
	ok(b - a >= 0.019, "a 20 ms sleep is at least 20 ms later: %.4f s",
	    b - a);
	ok(b - a < 60, "and not a jump: %.4f s", b - a);
	ok(clock_now() >= b, "never backwards");
	return tap_done();
}
