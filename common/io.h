/*
 * The one set of read/write loops: EINTR retried, short reads and writes
 * looped, 64 KiB buffers.  Streams are named "<stdin>" and "<stdout>" in
 * messages, as sbase does.
 */
#ifndef RDBPIPE_IO_H
#define RDBPIPE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IO_BUFSZ (64 * 1024)

/* Writes all of buf; returns 0, or -1 with errno set. */
int io_writeall(int fd, const void *buf, size_t len);

/* Reads until len bytes or end of file; returns the count (short only at
 * end of file), or -1 with errno set. */
ssize_t io_readfull(int fd, void *buf, size_t len);

/* A sink that data is pushed into, stage after stage (xz, age, the RDB
 * check, the output): returns 0, or -1 with "what: why" in errstr, which
 * every stage passes up unchanged. */
typedef int (*io_sink_fn)(void *arg, const void *buf, size_t len,
    char *errstr);

/* The last stage: a file descriptor and its name for messages. */
struct io_fdsink {
	int		 fd;
	const char	*name;		/* "<stdout>", a path */
};

/* An io_sink_fn writing to a struct io_fdsink: "write NAME: why". */
int io_sink_fd(void *arg, const void *buf, size_t len, char *errstr);

/* An io_sink_fn that discards everything (verification runs). */
int io_sink_null(void *arg, const void *buf, size_t len, char *errstr);

struct progress;

/* Reads fd to its end in IO_BUFSZ pieces, pushing each into sink and
 * counting it on pr (may be NULL); name is the input's name for messages
 * ("read NAME: why"); returns 0 or -1. */
int io_pump(int fd, const char *name, io_sink_fn sink, void *sink_arg,
    struct progress *pr, char *errstr);

/* fsyncs the directory holding path (or path itself if it is one);
 * returns 0 or -1 with errno set. */
int io_fsync_dir(const char *path);

/* Free bytes for unprivileged users on the filesystem holding path;
 * returns 0 or -1 with errno set. */
int io_free_space(const char *path, uint64_t *bytes);

/* Creates a file in the directory dfd named prefix followed by a random
 * suffix, O_CREAT|O_EXCL|O_NOFOLLOW with mode, its name into name (len
 * bytes); returns the fd open for writing, or -1 with errno. */
int io_create_tmp(int dfd, const char *prefix, mode_t mode, char *name,
    size_t len);

/* Renders n random bytes as 2n lowercase hex digits into out (2n + 1
 * bytes); returns 0 or -1 with errno. */
int io_random_hex(char *out, size_t n);

/* Grows buffer p (of *cap bytes; NULL with 0) to hold at least need
 * bytes, doubling from first; returns the buffer to use from now on (*cap
 * updated), or NULL with errno ENOMEM (p and *cap unchanged). */
void *io_grow(void *p, size_t *cap, size_t need, size_t first);

#endif
