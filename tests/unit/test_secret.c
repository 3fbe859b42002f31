/*
 * common/secret: secret files (one trailing newline stripped on request,
 * the group/other flag, symlinks, directories and oversized files
 * refused with their messages), secrets from the environment (copied,
 * then gone from it), copies, and frees that are safe twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errstr.h"
#include "secret.h"
#include "tap.h"

static char dir[] = "/tmp/test_secret.XXXXXX";
static char path[512];

/* Writes a file of len bytes at mode; returns its path. */
static const char *
put(const char *name, const void *data, size_t len, mode_t mode)
{
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) < 0 || close(fd) < 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	return path;
}

/* Reads name and checks the bytes kept; returns the ok() result. */
static int
reads_as(const char *name, const char *data, size_t len, int strip,
    const char *want, size_t wantlen)
{
	struct secret s;
	char e[ERRSTR_LEN];
	const char *p = put(name, data, len, 0600);
	int good;

	good = secret_read_file(&s, p, strip, e) == 0 && s.len == wantlen &&
	    memcmp(s.buf, want, wantlen) == 0 && s.buf[s.len] == '\0' &&
	    !s.exposed && s.name == p;
	secret_free(&s);
	return ok(good, "%s, %s: %zu bytes kept", name,
	    strip ? "stripped" : "as is", wantlen);
}

static void
files(void)
{
	struct secret s;
	char e[ERRSTR_LEN], want[1024], link[600], *big;
	const char *p;

	reads_as("plain", "hunter2", 7, 1, "hunter2", 7);
	reads_as("nl", "hunter2\n", 8, 1, "hunter2", 7);
	reads_as("nl-kept", "hunter2\n", 8, 0, "hunter2\n", 8);
	reads_as("crlf", "hunter2\r\n", 9, 1, "hunter2", 7);
	reads_as("two-nl", "hunter2\n\n", 9, 1, "hunter2\n", 8);
	reads_as("cr-only", "hunter2\r", 8, 1, "hunter2\r", 8);
	reads_as("nl-alone", "\n", 1, 1, "", 0);
	reads_as("empty", "", 0, 1, "", 0);
	reads_as("nul", "a\0b\n", 4, 1, "a\0b", 3);

	p = put("exposed", "x\n", 2, 0640);
	ok(secret_read_file(&s, p, 1, e) == 0 && s.exposed && s.len == 1,
	    "a group-readable file reads, flagged exposed");
	secret_free(&s);
	p = put("world", "x\n", 2, 0604);
	ok(secret_read_file(&s, p, 1, e) == 0 && s.exposed,
	    "so does a world-readable one");
	secret_free(&s);

	big = calloc(1, SECRET_MAX + 1);
	memset(big, 'k', SECRET_MAX + 1);
	p = put("max", big, SECRET_MAX, 0600);
	ok(secret_read_file(&s, p, 0, e) == 0 && s.len == SECRET_MAX &&
	    s.buf[SECRET_MAX] == '\0', "%d bytes, the most, read whole",
	    SECRET_MAX);
	secret_free(&s);
	p = put("big", big, SECRET_MAX + 1, 0600);
	snprintf(want, sizeof(want), "%s: larger than %d bytes", p,
	    SECRET_MAX);
	ok(secret_read_file(&s, p, 0, e) < 0 && strcmp(e, want) == 0 &&
	    s.buf == NULL, "one byte more is refused: %s", e);
	free(big);

	p = put("target", "x", 1, 0600);
	snprintf(link, sizeof(link), "%s/link", dir);
	if (symlink(p, link) < 0) {
		printf("Bail out! symlink\n");
		exit(1);
	}
	snprintf(want, sizeof(want), "%s: %s", link, strerror(ELOOP));
	ok(secret_read_file(&s, link, 0, e) < 0 && strcmp(e, want) == 0 &&
	    s.buf == NULL, "a symlink is not followed: %s", e);
	unlink(link);

	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	ok(secret_read_file(&s, dir, 0, e) < 0 && strcmp(e, want) == 0,
	    "a directory is refused: %s", e);
	snprintf(link, sizeof(link), "%s/missing", dir);
	snprintf(want, sizeof(want), "%s: %s", link, strerror(ENOENT));
	ok(secret_read_file(&s, link, 0, e) < 0 && strcmp(e, want) == 0,
	    "a missing file: %s", e);
}

static void
env(void)
{
	struct secret s, c;
	char e[ERRSTR_LEN];

	unsetenv("TEST_SECRET");
	ok(secret_from_env(&s, "TEST_SECRET", e) == 1 && s.buf == NULL,
	    "an unset variable returns 1");
	setenv("TEST_SECRET", "s3cret value", 1);
	ok(secret_from_env(&s, "TEST_SECRET", e) == 0 && s.len == 12 &&
	    strcmp(s.buf, "s3cret value") == 0 &&
	    getenv("TEST_SECRET") == NULL,
	    "a set one is copied, and gone from the environment");

	ok(secret_copy(&c, &s, e) == 0 && c.buf != s.buf && c.len == 12 &&
	    strcmp(c.buf, "s3cret value") == 0, "a copy is its own memory");
	secret_free(&s);
	ok(strcmp(c.buf, "s3cret value") == 0,
	    "and outlives the original's free");
	secret_free(&c);
	secret_free(&c);
	ok(c.buf == NULL && c.len == 0, "freeing twice is safe");

	memset(&s, 0, sizeof(s));
	s.len = 5;
	ok(secret_copy(&c, &s, e) == 0 && c.buf == NULL && c.len == 0,
	    "copying an empty secret gives an empty one");

	setenv("TEST_SECRET", "", 1);
	ok(secret_from_env(&s, "TEST_SECRET", e) == 0 && s.len == 0 &&
	    s.buf != NULL && s.buf[0] == '\0' && getenv("TEST_SECRET") == NULL,
	    "an empty variable is an empty secret");
	secret_free(&s);

	secret_free_str(NULL);
	secret_free_str(strdup("password"));
	ok(1, "secret_free_str takes NULL and a malloc'd string");
}

int
main(void)
{
	char cmd[600];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL) {
		printf("Bail out! setup\n");
		return 1;
	}
	files();
	env();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
