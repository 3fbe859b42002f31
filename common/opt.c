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

int
opt_size(const char *s, uint64_t *out, char *errstr)
{
	uint64_t v, mul = 1;
	const char *e;

	if (leading_number(s, &v, &e) < 0)
		return errstr_set(errstr, "invalid size '%s'", s);
	switch (tolower((unsigned char)*e)) {
	case 'k': mul = 1ULL << 10; e++; break;
	case 'm': mul = 1ULL << 20; e++; break;
	case 'g': mul = 1ULL << 30; e++; break;
	case 't': mul = 1ULL << 40; e++; break;
	default: break;
	}
	if (mul > 1 && (strcmp(e, "iB") == 0 || strcmp(e, "ib") == 0))
		e += 2;
	else if (strcmp(e, "B") == 0 || strcmp(e, "b") == 0)
		e++;
	if (*e != '\0')
		return errstr_set(errstr, "invalid size '%s'", s);
	if (v > UINT64_MAX / mul)
		return errstr_set(errstr, "size too large '%s'", s);
	*out = v * mul;
	return 0;
}

int
opt_duration(const char *s, uint64_t *secs, char *errstr)
{
	uint64_t v, mul = 1;
	const char *e;

	if (leading_number(s, &v, &e) < 0)
		return errstr_set(errstr, "invalid duration '%s'", s);
	switch (*e) {
	case '\0': break;
	case 's': mul = 1; e++; break;
	case 'm': mul = 60; e++; break;
	case 'h': mul = 3600; e++; break;
	case 'd': mul = 86400; e++; break;
	default: break;
	}
	if (*e != '\0')
		return errstr_set(errstr, "invalid duration '%s'", s);
	if (v > UINT64_MAX / mul)
		return errstr_set(errstr, "duration too large '%s'", s);
	*secs = v * mul;
	return 0;
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
