/* common/opt: sizes, durations, numbers. */
#include "opt.h"
#include "tap.h"

int
main(void)
{
	char e[ERRSTR_LEN];
	uint64_t v;
	long l;

	ok(opt_size("0", &v, e) == 0 && v == 0, "size 0");
	ok(opt_size("512", &v, e) == 0 && v == 512, "size 512");
	ok(opt_size("64K", &v, e) == 0 && v == 65536, "size 64K");
	ok(opt_size("1m", &v, e) == 0 && v == 1048576, "size 1m");
	ok(opt_size("2G", &v, e) == 0 && v == 2147483648ULL, "size 2G");
	ok(opt_size("1GiB", &v, e) == 0 && v == 1073741824ULL, "size 1GiB");
	ok(opt_size("100MB", &v, e) == 0 && v == 104857600ULL, "size 100MB");
	ok(opt_size("-1", &v, e) < 0 && strcmp(e, "invalid size '-1'") == 0,
	    "negative size refused: %s", e);
	ok(opt_size("1X", &v, e) < 0, "unknown suffix refused");
	ok(opt_size("", &v, e) < 0, "empty size refused");
	ok(opt_size("99999999999T", &v, e) < 0, "overflow refused: %s", e);
	ok(opt_duration("30", &v, e) == 0 && v == 30, "duration 30");
	ok(opt_duration("30d", &v, e) == 0 && v == 30 * 86400, "duration 30d");
	ok(opt_duration("2h", &v, e) == 0 && v == 7200, "duration 2h");
	ok(opt_duration("5m", &v, e) == 0 && v == 300, "duration 5m");
	ok(opt_duration("1w", &v, e) < 0 &&
	    strcmp(e, "invalid duration '1w'") == 0, "duration 1w refused");
	ok(opt_long("9", 0, 9, &l, e) == 0 && l == 9, "long in range");
	ok(opt_long("10", 0, 9, &l, e) < 0 &&
	    strcmp(e, "'10' out of range 0..9") == 0, "long out of range: %s", e);
	ok(opt_long("3x", 0, 9, &l, e) < 0, "long with junk refused");
	return tap_done();
}
