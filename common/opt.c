#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errstr.h"
#include "opt.h"

/* Digits only: strtoull would accept a sign and leading blanks. */
static int
leading_number(const char *s, uint64_t *v, const char **end)
{
	unsigned long long n;
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	n = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	*v = n;
	*end = e;
	return 0;
}

/* The factor of the unit letter at *e, one of units (each with its
 * factor), and *e past it; 1 when *e holds none of them. */
static uint64_t
unit_factor(const char **e, const char *units, const uint64_t *factors)
{
	const char *u;

	if (**e == '\0' || (u = strchr(units, **e)) == NULL)
		return 1;
	(*e)++;
	return factors[u - units];
}

/* *out, the number at the start of s times the unit's factor; what names
 * the kind ("size") in the complaints. */
static int
scaled(const char *s, const char *e, uint64_t v, uint64_t mul,
    const char *what, uint64_t *out, char *errstr)
{
	if (*e != '\0')
		return errstr_set(errstr, "invalid %s '%s'", what, s);
	if (v > UINT64_MAX / mul)
		return errstr_set(errstr, "%s too large '%s'", what, s);
	*out = v * mul;
	return 0;
}

int
opt_size(const char *s, uint64_t *out, char *errstr)
{
	static const uint64_t f[] = { 1ULL << 10, 1ULL << 10, 1ULL << 20,
	    1ULL << 20, 1ULL << 30, 1ULL << 30, 1ULL << 40, 1ULL << 40 };
	uint64_t v, mul;
	const char *e;

	if (leading_number(s, &v, &e) < 0)
		return errstr_set(errstr, "invalid size '%s'", s);
	mul = unit_factor(&e, "kKmMgGtT", f);
	if (mul > 1 && (strcmp(e, "iB") == 0 || strcmp(e, "ib") == 0))
		e += 2;
	else if (strcmp(e, "B") == 0 || strcmp(e, "b") == 0)
		e++;
	return scaled(s, e, v, mul, "size", out, errstr);
}

int
opt_duration(const char *s, uint64_t *secs, char *errstr)
{
	static const uint64_t f[] = { 1, 60, 3600, 86400 };
	uint64_t v, mul;
	const char *e;

	if (leading_number(s, &v, &e) < 0)
		return errstr_set(errstr, "invalid duration '%s'", s);
	mul = unit_factor(&e, "smhd", f);
	return scaled(s, e, v, mul, "duration", secs, errstr);
}

int
opt_long(const char *s, long min, long max, long *out, char *errstr)
{
	long v;
	char *e;

	errno = 0;
	v = strtol(s, &e, 10);
	if (s[0] == '\0' || isspace((unsigned char)s[0]) || *e != '\0' ||
	    errno != 0)
		return errstr_set(errstr, "invalid number '%s'", s);
	if (v < min || v > max)
		return errstr_set(errstr, "'%s' out of range %ld..%ld", s, min,
		    max);
	*out = v;
	return 0;
}
