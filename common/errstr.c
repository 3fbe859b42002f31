#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errstr.h"

/* Formats into errstr (when there is one); returns -1. */
static int __attribute__((format(printf, 2, 0)))
errstr_vset(char *errstr, const char *fmt, va_list ap)
{
	if (errstr != NULL)
		vsnprintf(errstr, ERRSTR_LEN, fmt, ap);
	return -1;
}

int
errstr_set(char *errstr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errstr_vset(errstr, fmt, ap);
	va_end(ap);
	return -1;
}

int
errstr_sys(char *errstr, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (errstr == NULL)
		return -1;
	va_start(ap, fmt);
	errstr_vset(errstr, fmt, ap);
	va_end(ap);
	n = strlen(errstr);
	snprintf(errstr + n, ERRSTR_LEN - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}
