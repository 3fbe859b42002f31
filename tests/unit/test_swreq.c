/* common/swreq without a server: the wait before each retry (doubling
 * from 1 s up to the cap, what Retry-After asks in seconds or as an
 * HTTP-date, at most 60 s). */
#include <stdlib.h>
#include <time.h>

#include "swiftint.h"
#include "tap.h"

/* Wed, 21 Oct 2015 07:28:00 GMT */
#define NOW	((time_t)1445412480)

/* Retry-After as an HTTP-date, in its three forms, against NOW. */
static const struct {
	int		 attempt;
	const char	*retry_after;
	long		 want;
	const char	*what;
} dates[] = {
	{ 0, "Wed, 21 Oct 2015 07:28:10 GMT", 10000,
	    "an HTTP-date 10 s ahead is 10 s" },
	{ 0, "Wednesday, 21-Oct-15 07:28:05 GMT", 5000,
	    "the obsolete RFC 850 form too" },
	{ 0, "Wed Oct 21 07:28:07 2015", 7000, "and asctime's" },
	{ 0, "Wed, 21 Oct 2015 09:28:00 GMT", 60000,
	    "an HTTP-date two hours ahead is 60 s" },
	{ 3, "Wed, 21 Oct 2015 07:27:00 GMT", 8000,
	    "one in the past means the usual backoff" },
	{ 3, "Wed, 21 Oct 2015 07:28:00 GMT", 8000, "and so does now" },
};

int
main(void)
{
	static const char *junk[] = { "", "soon", "-5", "0", "1.5", "5s",
	    "Wed, 32 Foo 2015 07:28:10 GMT", NULL };
	long want, d;
	int i;

	for (i = 0, want = 1000; i <= 5; i++, want *= 2) {
		d = sw_backoff(i, NULL, NOW);
		ok(d == want, "retry %d without Retry-After waits %ld ms: %ld",
		    i + 1, want, d);
	}
	for (i = 6; i < 40; i++)
		if ((d = sw_backoff(i, NULL, NOW)) != 32000)
			break;
	ok(i == 40, "from retry 7 to 40 the wait stays at the 32 s cap "
	    "(retry %d: %ld ms)", i + 1, d);
	ok(sw_backoff(1000000, NULL, NOW) == 32000, "whatever the attempt");

	ok(sw_backoff(0, "2", NOW) == 2000, "Retry-After: 2 is 2 s");
	ok(sw_backoff(4, "2", NOW) == 2000, "even where the backoff is longer");
	ok(sw_backoff(0, "45", NOW) == 45000, "Retry-After above the backoff "
	    "cap is honoured");
	ok(sw_backoff(0, "60", NOW) == 60000, "up to 60 s");
	ok(sw_backoff(0, "61", NOW) == 60000, "61 s is cut to 60");
	ok(sw_backoff(0, "99999999999999999999", NOW) == 60000,
	    "so is a number past a long");
	for (i = 0; junk[i] != NULL; i++)
		ok(sw_backoff(2, junk[i], NOW) == 4000, "Retry-After \"%s\" "
		    "means the usual backoff", junk[i]);

	for (i = 0; i < (int)(sizeof(dates) / sizeof(dates[0])); i++) {
		d = sw_backoff(dates[i].attempt, dates[i].retry_after, NOW);
		ok(d == dates[i].want, "%s: %ld", dates[i].what, d);
	}
	return tap_done();
}
