#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "errstr.h"
#include "io.h"
#include "progress.h"

int
io_writeall(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
io_readfull(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
io_sink_fd(void *arg, const void *buf, size_t len, char *errstr)
{
	struct io_fdsink *s = arg;

	if (io_writeall(s->fd, buf, len) < 0)
		return errstr_sys(errstr, "write %s", s->name);
	return 0;
}

int
io_sink_null(void *arg, const void *buf, size_t len, char *errstr)
{
	(void)arg;
	(void)buf;
	(void)len;
	(void)errstr;
	return 0;
}

int
io_pump(int fd, const char *name, io_sink_fn sink, void *sink_arg,
    struct progress *pr, char *errstr)
{
	static _Thread_local char buf[IO_BUFSZ];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errstr_sys(errstr, "read %s", name);
		}
		if (n == 0)
			return 0;
		if (pr != NULL)
			progress_add(pr, (uint64_t)n);
		if (sink(sink_arg, buf, (size_t)n, errstr) < 0)
			return -1;
	}
}

int
io_fsync_dir(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;
	const char *dir = path;
	int fd, rc, saved;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (strlen(path) >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(tmp, path);
		dir = dirname(tmp);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
io_free_space(const char *path, uint64_t *bytes)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -1;
	*bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int
io_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[32];
	size_t i;

	if (n > sizeof(b)) {
		errno = EINVAL;
		return -1;
	}
	if (getrandom(b, n, 0) != (ssize_t)n)
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

int
io_create_tmp(int dfd, const char *prefix, mode_t mode, char *name,
    size_t len)
{
	char r[17];
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		if (io_random_hex(r, 8) < 0)
			return -1;
		if ((size_t)snprintf(name, len, "%s%s", prefix, r) >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

void *
io_grow(void *p, size_t *cap, size_t need, size_t first)
{
	void *n;
	size_t c;

	if (p != NULL && need <= *cap)
		return p;
	for (c = *cap ? *cap : first; c < need; c *= 2)
		;
	if ((n = realloc(p, c)) == NULL)
		return NULL;
	*cap = c;
	return n;
}
