#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errstr.h"
#include "io.h"
#include "secret.h"

static int
secret_alloc(struct secret *s, size_t len, char *errstr)
{
	s->buf = sodium_malloc(len + 1);
	if (s->buf == NULL)
		return errstr_sys(errstr, "secure memory");
	s->len = 0;
	return 0;
}

int
secret_read_file(struct secret *s, const char *path, int strip_newline,
    char *errstr)
{
	struct stat st;
	ssize_t n;
	int fd;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errstr_sys(errstr, "%s", path);
	if (fstat(fd, &st) < 0) {
		errstr_sys(errstr, "%s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errstr_set(errstr, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > SECRET_MAX) {
		errstr_set(errstr, "%s: larger than %d bytes", path, SECRET_MAX);
		goto fail;
	}
	s->exposed = (st.st_mode & (S_IRWXG | S_IRWXO)) != 0;
	if (secret_alloc(s, SECRET_MAX, errstr) < 0)
		goto fail;
	n = io_readfull(fd, s->buf, SECRET_MAX);
	if (n < 0) {
		errstr_sys(errstr, "read %s", path);
		goto fail;
	}
	close(fd);
	s->len = (size_t)n;
	if (strip_newline && s->len > 0 && s->buf[s->len - 1] == '\n') {
		s->len--;
		if (s->len > 0 && s->buf[s->len - 1] == '\r')
			s->len--;
	}
	s->buf[s->len] = '\0';
	s->name = path;
	return 0;
fail:
	close(fd);
	secret_free(s);
	return -1;
}

int
secret_from_env(struct secret *s, const char *name, char *errstr)
{
	char *v = getenv(name);
	size_t len;

	memset(s, 0, sizeof(*s));
	if (v == NULL)
		return 1;
	len = strlen(v);
	if (secret_alloc(s, len, errstr) < 0)
		return -1;
	memcpy(s->buf, v, len);
	s->buf[len] = '\0';
	s->len = len;
	/* Children need not inherit it, and /proc/PID/environ keeps what the
	 * process started with; wiping our copy is what can be done here. */
	sodium_memzero(v, len);
	unsetenv(name);
	return 0;
}

int
secret_copy(struct secret *dst, const struct secret *src, char *errstr)
{
	memset(dst, 0, sizeof(*dst));
	if (src->buf == NULL)
		return 0;
	if (secret_alloc(dst, src->len, errstr) < 0)
		return -1;
	memcpy(dst->buf, src->buf, src->len + 1);
	dst->len = src->len;
	dst->exposed = src->exposed;
	dst->name = src->name;
	return 0;
}

void
secret_free_str(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

void
secret_free(struct secret *s)
{
	if (s->buf != NULL)
		sodium_free(s->buf);	/* zeroes before freeing */
	s->buf = NULL;
	s->len = 0;
}
