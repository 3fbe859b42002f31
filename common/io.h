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

/* A sink that data is pushed into, stage after stage: returns 0 or -1 with
 * the reason in the sink's own error string. */
typedef int (*io_sink_fn)(void *arg, const void *buf, size_t len);

/* An io_sink_fn whose arg is a pointer to an int fd; errno on failure. */
int io_sink_fd(void *arg, const void *buf, size_t len);

/* fsyncs the directory holding path (or path itself if it is one);
 * returns 0 or -1 with errno set. */
int io_fsync_dir(const char *path);

/* Free bytes for unprivileged users on the filesystem holding path;
 * returns 0 or -1 with errno set. */
int io_free_space(const char *path, uint64_t *bytes);

#endif
