#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "conf.h"
#include "io.h"
#include "journal.h"

int
journal_open(struct journal *j, const char *dir, char *errstr)
{
	char e[ERRSTR_LEN];
	size_t i;

	j->fd = -1;
	j->text = NULL;
	j->len = 0;
	if ((size_t)snprintf(j->path, sizeof(j->path), "%s/%s", dir,
	    JOURNAL_NAME) >= sizeof(j->path))
		return errstr_set(errstr, "%s: path too long", dir);
	j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0)
		return errstr_sys(errstr, "%s", dir);
	if (flock(j->dirfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			errstr_set(errstr, "%s: another rdb-install is running",
			    dir);
		else
			errstr_sys(errstr, "lock %s", dir);
		close(j->dirfd);
		j->dirfd = -1;
		return -1;
	}
	if (access(j->path, F_OK) == 0 &&
	    conf_slurp(j->path, &j->text, &j->len, e) < 0) {
		errstr_set(errstr, "%s", e);
		journal_close(j);
		return -1;
	}
	/* A crash can leave NUL bytes (blocks allocated, never written).
	 * The lookups read the text as one string: a NUL would hide every
	 * line after it, those appended by this run too.  Read as line
	 * ends, they leave the lines around them as they were. */
	for (i = 0; i < j->len; i++)
		if (j->text[i] == '\0')
			j->text[i] = '\n';
	return 0;
}

int
journal_create(struct journal *j, const char *text, char *errstr)
{
	char tmp[PATH_MAX + 8];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", j->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errstr_sys(errstr, "%s", tmp);
	if (io_writeall(fd, text, strlen(text)) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0) {
		errstr_sys(errstr, "write %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, j->path) < 0) {
		errstr_sys(errstr, "rename %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (io_fsync_dir(j->path) < 0)
		return errstr_sys(errstr, "fsync the directory of %s", j->path);
	free(j->text);
	if ((j->text = strdup(text)) == NULL)
		return errstr_sys(errstr, "%s", j->path);
	j->len = strlen(text);
	return 0;
}

int
journal_append(struct journal *j, const char *lines, char *errstr)
{
	size_t n = strlen(lines);
	char *t;
	/* A crash mid-append can leave a last line without its newline:
	 * end it first, or the new line would be glued to it ("step
	 * stastep stop") and read as neither. */
	int torn = j->len > 0 && j->text[j->len - 1] != '\n';

	if (j->fd < 0 &&
	    (j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		return errstr_sys(errstr, "%s", j->path);
	if ((torn && io_writeall(j->fd, "\n", 1) < 0) ||
	    io_writeall(j->fd, lines, n) < 0 || fdatasync(j->fd) < 0)
		return errstr_sys(errstr, "write %s", j->path);
	/* Keep the in-memory copy in step, so journal_get sees it. */
	if ((t = realloc(j->text, j->len + torn + n + 1)) == NULL)
		return errstr_sys(errstr, "%s", j->path);
	if (torn)
		t[j->len++] = '\n';
	memcpy(t + j->len, lines, n + 1);
	j->text = t;
	j->len += n;
	return 0;
}

int
journal_add(struct journal *j, const char *key, const char *value,
    char *errstr)
{
	size_t n = strlen(key) + strlen(value) + 2;
	char *line;
	int rc;

	if ((line = malloc(n + 1)) == NULL)
		return errstr_sys(errstr, "%s", j->path);
	snprintf(line, n + 1, "%s %s\n", key, value);
	rc = journal_append(j, line, errstr);
	free(line);
	return rc;
}

int
journal_get(const struct journal *j, const char *key, char *val, size_t len)
{
	const char *p, *found = NULL;
	size_t n = strlen(key), k;

	if (j->text == NULL)
		return -1;
	for (p = j->text; *p; p += strcspn(p, "\n"), p += *p == '\n')
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			found = p + n + 1;
	if (found == NULL)
		return -1;
	k = strcspn(found, "\n");
	if (k >= len)
		return -1;
	memcpy(val, found, k);
	val[k] = '\0';
	return 0;
}

int
journal_next(const struct journal *j, const char *key, const char **pos,
    char *val, size_t len)
{
	const char *p = *pos != NULL ? *pos : j->text;
	size_t n = strlen(key), k;

	if (p == NULL)
		return -1;
	for (; *p; p += strcspn(p, "\n"), p += *p == '\n')
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			p += n + 1;
			k = strcspn(p, "\n");
			if (k >= len)
				continue;
			memcpy(val, p, k);
			val[k] = '\0';
			*pos = p + k;
			return 0;
		}
	*pos = p;
	return -1;
}

int
journal_remove(struct journal *j, char *errstr)
{
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
	if (unlink(j->path) < 0 && errno != ENOENT)
		return errstr_sys(errstr, "remove %s", j->path);
	if (io_fsync_dir(j->path) < 0)
		return errstr_sys(errstr, "fsync the directory of %s", j->path);
	free(j->text);
	j->text = NULL;
	j->len = 0;
	return 0;
}

void
journal_close(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	free(j->text);
	j->fd = j->dirfd = -1;
	j->text = NULL;
}
