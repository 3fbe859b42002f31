/*
 * Error strings, the hiredis way: a common/ function that fails returns -1
 * (or NULL) and leaves a "what: why" text in a caller-supplied buffer of
 * ERRSTR_LEN bytes; only cmd/ prints it.
 */
#ifndef RDBPIPE_ERRSTR_H
#define RDBPIPE_ERRSTR_H

#define ERRSTR_LEN 256

/* Formats into errstr (ERRSTR_LEN bytes, may be NULL); returns -1. */
int errstr_set(char *errstr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like errstr_set, with ": strerror(errno)" appended; returns -1. */
int errstr_sys(char *errstr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
