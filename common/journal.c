#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "io.h"
#include "journal.h"

/* A journal bigger than this was not written by us. */
#define JOURNAL_MAX (1024 * 1024)

void
journal_key(const char *dir, const struct stat *st, char *key)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[crypto_hash_sha256_BYTES];
	char buf[PATH_MAX + 64];
	int n, i;

	n = snprintf(buf, sizeof(buf), "%ju:%ju:%s", (uintmax_t)st->st_dev,
	    (uintmax_t)st->st_ino, dir);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	crypto_hash_sha256(h, (const unsigned char *)buf, (size_t)n);
	for (i = 0; i < JOURNAL_KEY_LEN / 2; i++) {
		key[2 * i] = hex[h[i] >> 4];
		key[2 * i + 1] = hex[h[i] & 15];
	}
	key[JOURNAL_KEY_LEN] = '\0';
}

/* Opens the state dir, making it when missing; returns 0 or -1. */
static int
open_state(struct journal *j, const char *statedir, char *errstr)
{
	struct stat st;

	if (mkdir(statedir, 0700) < 0 && errno != EEXIST)
		return errstr_sys(errstr, "state dir %s", statedir);
	j->sdfd = open(statedir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (j->sdfd < 0)
		return errstr_sys(errstr, "state dir %s", statedir);
	if (fstat(j->sdfd, &st) < 0)
		return errstr_sys(errstr, "state dir %s", statedir);
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return errstr_set(errstr, "state dir %s: owned by uid %ld, "
		    "mode %03o: it must be ours alone (uid %ld, not group- or "
		    "other-writable)", statedir, (long)st.st_uid,
		    (unsigned)(st.st_mode & 0777), (long)geteuid());
	return 0;
}

/* Reads the journal when there is one and it is ours alone; returns 0
 * or -1. */
static int
read_journal(struct journal *j, const char *dir, char *errstr)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(j->sdfd, j->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		errstr_sys(errstr, "journal %s", j->path);
		goto refused;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != 0600 || st.st_size > JOURNAL_MAX) {
		errstr_set(errstr, "journal %s: not ours alone (uid %ld, mode "
		    "%03o; want uid %ld, 0600): move it away, check %s by "
		    "hand, then run rdb-install again", j->path,
		    (long)st.st_uid, (unsigned)(st.st_mode & 07777),
		    (long)geteuid(), dir);
		goto refused;
	}
	if ((j->text = malloc((size_t)st.st_size + 1)) == NULL ||
	    (n = io_readfull(fd, j->text, (size_t)st.st_size)) < 0) {
		errstr_sys(errstr, "read %s", j->path);
		close(fd);
		return -1;
	}
	close(fd);
	j->text[n] = '\0';
	j->len = (size_t)n;
	return 0;
refused:
	if (fd >= 0)
		close(fd);
	return -1;
}

int
journal_open(struct journal *j, const char *statedir, int dfd,
    const char *dir, const struct stat *st, char *errstr)
{
	size_t i;

	j->fd = j->sdfd = -1;
	j->lockfd = dfd;
	j->text = NULL;
	j->len = 0;
	journal_key(dir, st, j->key);
	snprintf(j->name, sizeof(j->name), "%s.journal", j->key);
	if ((size_t)snprintf(j->path, sizeof(j->path), "%s/%s", statedir,
	    j->name) >= sizeof(j->path))
		return errstr_set(errstr, "%s: path too long", statedir);
	if (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return errstr_set(errstr, "%s: another rdb-install is "
			    "running", dir);
		return errstr_sys(errstr, "lock %s", dir);
	}
	if (open_state(j, statedir, errstr) < 0 ||
	    read_journal(j, dir, errstr) < 0) {
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
	char tmp[sizeof(j->name) + 24];
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.", j->name);
	fd = io_create_tmp(j->sdfd, tmp, 0600, tmp, sizeof(tmp));
	if (fd < 0)
		return errstr_sys(errstr, "journal %s", j->path);
	if (io_writeall(fd, text, strlen(text)) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0) {
		errstr_sys(errstr, "write %s", j->path);
		close(fd);
		unlinkat(j->sdfd, tmp, 0);
		return -1;
	}
	if (renameat(j->sdfd, tmp, j->sdfd, j->name) < 0) {
		errstr_sys(errstr, "rename to %s", j->path);
		unlinkat(j->sdfd, tmp, 0);
		return -1;
	}
	if (fsync(j->sdfd) < 0)
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

	if (j->fd < 0 && (j->fd = openat(j->sdfd, j->name, O_WRONLY |
	    O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0)
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
	if (unlinkat(j->sdfd, j->name, 0) < 0 && errno != ENOENT)
		return errstr_sys(errstr, "remove %s", j->path);
	if (fsync(j->sdfd) < 0)
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
	if (j->sdfd >= 0)
		close(j->sdfd);
	if (j->lockfd >= 0)
		flock(j->lockfd, LOCK_UN);
	free(j->text);
	j->fd = j->sdfd = j->lockfd = -1;
	j->text = NULL;
}
