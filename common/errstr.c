#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errstr.h"

int
errstr_set(char *errstr, const char *fmt, ...)
{
	va_list ap;

	if (errstr == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(errstr, ERRSTR_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

int
errstr_sys(char *errstr, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n;

	if (errstr == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(errstr, ERRSTR_LEN, fmt, ap);
	va_end(ap);
	n = strlen(errstr);
	snprintf(errstr + n, ERRSTR_LEN - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}
