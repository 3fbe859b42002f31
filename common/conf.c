#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "io.h"

/* Includes nest at most this deep: a loop is an error, not a hang. */
#define CONF_DEPTH_MAX 16

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Appends one byte to a growing token; returns 0 or -1. */
static int
tok_put(char **tok, size_t *len, size_t *cap, char ch)
{
	char *n;

	if (*len + 2 > *cap) {
		/* Not realloc: the old copy may hold a password, and is
		 * wiped before it is freed. */
		if ((n = malloc(*cap ? *cap * 2 : 32)) == NULL)
			return -1;
		if (*tok != NULL) {
			memcpy(n, *tok, *len);
			explicit_bzero(*tok, *cap);
			free(*tok);
		}
		*cap = *cap ? *cap * 2 : 32;
		*tok = n;
	}
	(*tok)[(*len)++] = ch;
	(*tok)[*len] = '\0';
	return 0;
}

/* A character inside quotes q, past any escape: the closing quote ends
 * the token (*done) and must be followed by a blank, the end of the line
 * leaves the quote open, anything else is taken.  Returns 0 or -1. */
static int
quoted(const char *p, char q, char **tok, size_t *len, size_t *cap,
    int *done)
{
	if (*p == q) {
		if (p[1] && !isspace((unsigned char)p[1]))
			return -1;
		*done = 1;
		return 0;
	}
	if (*p == '\0')
		return -1;
	return tok_put(tok, len, cap, *p);
}

void
conf_argv_free(int argc, char **argv)
{
	int i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++) {
		explicit_bzero(argv[i], strlen(argv[i]));
		free(argv[i]);
	}
	free(argv);
}

/* The states and rules are sdssplitargs's, so a line means here what it
 * means to the server: a closing quote must be followed by a blank. */
int
conf_split(const char *line, size_t len, char ***argvp)
{
	char *s, *p, *tok = NULL, **argv = NULL, **nv;
	size_t tlen, tcap;
	int argc = 0, inq, insq, done, h1, h2;

	if ((s = malloc(len + 1)) == NULL)
		return -1;
	memcpy(s, line, len);
	s[len] = '\0';
	p = s;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		inq = insq = done = 0;
		tlen = 0;
		tcap = 32;
		if ((tok = calloc(1, tcap)) == NULL)
			goto fail;
		while (!done) {
			if (inq) {
				if (p[0] == '\\' && p[1] == 'x' &&
				    (h1 = hexval((unsigned char)p[2])) >= 0 &&
				    (h2 = hexval((unsigned char)p[3])) >= 0) {
					if (tok_put(&tok, &tlen, &tcap,
					    (char)(h1 * 16 + h2)) < 0)
						goto fail;
					p += 3;
				} else if (p[0] == '\\' && p[1]) {
					char ch;

					p++;
					switch (*p) {
					case 'n': ch = '\n'; break;
					case 'r': ch = '\r'; break;
					case 't': ch = '\t'; break;
					case 'b': ch = '\b'; break;
					case 'a': ch = '\a'; break;
					default: ch = *p; break;
					}
					if (tok_put(&tok, &tlen, &tcap, ch) < 0)
						goto fail;
				} else if (quoted(p, '"', &tok, &tlen, &tcap,
				    &done) < 0)
					goto fail;
			} else if (insq) {
				if (p[0] == '\\' && p[1] == '\'') {
					p++;
					if (tok_put(&tok, &tlen, &tcap, '\'') < 0)
						goto fail;
				} else if (quoted(p, '\'', &tok, &tlen, &tcap,
				    &done) < 0)
					goto fail;
			} else {
				switch (*p) {
				case ' ': case '\n': case '\r': case '\t':
				case '\0':
					done = 1;
					break;
				case '"':
					inq = 1;
					break;
				case '\'':
					insq = 1;
					break;
				default:
					if (tok_put(&tok, &tlen, &tcap, *p) < 0)
						goto fail;
					break;
				}
			}
			if (*p)
				p++;
		}
		if ((nv = realloc(argv, sizeof(*argv) * (size_t)(argc + 2))) ==
		    NULL)
			goto fail;
		argv = nv;
		argv[argc++] = tok;
		argv[argc] = NULL;
		tok = NULL;
	}
	if (argv == NULL && (argv = calloc(1, sizeof(*argv))) == NULL)
		goto fail;
	explicit_bzero(s, len);
	free(s);
	*argvp = argv;
	return argc;
fail:
	if (tok != NULL) {
		explicit_bzero(tok, tlen);
		free(tok);
	}
	conf_argv_free(argc, argv);
	explicit_bzero(s, len);
	free(s);
	return -1;
}

/* conf_slurp with extra open flags (O_NOFOLLOW). */
static int
slurp(const char *path, int flags, char **bufp, size_t *lenp, char *errstr)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO named by a hostile include must not block the
	 * open; anything but a regular file is refused before reading. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags)) < 0)
		return errstr_sys(errstr, "%s", path);
	if (fstat(fd, &st) < 0) {
		errstr_sys(errstr, "%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return errstr_set(errstr, "%s: not a regular file", path);
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		errstr_sys(errstr, "%s", path);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		errstr_sys(errstr, "%s", path);
		close(fd);
		return -1;
	}
	n = io_readfull(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		errstr_sys(errstr, "read %s", path);
		explicit_bzero(buf, (size_t)st.st_size);
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	*bufp = buf;
	*lenp = (size_t)n;
	return 0;
}

int
conf_slurp(const char *path, char **bufp, size_t *lenp, char *errstr)
{
	return slurp(path, 0, bufp, lenp, errstr);
}

/* The file an edit reads and replaces: path may be a symlink only when
 * root (or we) own it, as protected_symlinks would have it: one the
 * redis user swapped in for its config could point at any file of
 * root's.  Its real path goes into real; returns 0 or -1. */
static int
edit_target(const char *path, char *real, char *errstr)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errstr_sys(errstr, "%s", path);
	if (S_ISLNK(st.st_mode) && st.st_uid != 0 && st.st_uid != geteuid())
		return errstr_set(errstr, "%s: a symlink owned by uid %ld: not "
		    "followed", path, (long)st.st_uid);
	if (realpath(path, real) == NULL)
		return errstr_sys(errstr, "%s", path);
	return 0;
}

int
conf_slurp_edit(const char *path, char **bufp, size_t *lenp, char *errstr)
{
	char real[PATH_MAX];

	if (edit_target(path, real, errstr) < 0)
		return -1;
	/* O_NOFOLLOW: a link swapped in since realpath() is not read. */
	return slurp(real, O_NOFOLLOW, bufp, lenp, errstr);
}

static int conf_load_at(struct conf *c, const char *path, int depth,
    char *errstr);

static int
conf_include(struct conf *c, const char *pattern, int depth, char *errstr)
{
	glob_t g;
	size_t i;
	int rc;

	/* Redis 7 globs only when the name holds a wildcard; a plain name
	 * that does not exist is a fatal error there, so here too. */
	if (strpbrk(pattern, "*?[") == NULL)
		return conf_load_at(c, pattern, depth + 1, errstr);
	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0)
		return errstr_set(errstr, "include %s: glob failed", pattern);
	for (i = 0; i < g.gl_pathc; i++)
		if (conf_load_at(c, g.gl_pathv[i], depth + 1, errstr) < 0) {
			globfree(&g);
			return -1;
		}
	globfree(&g);
	return 0;
}

static int
conf_load_at(struct conf *c, const char *path, int depth, char *errstr)
{
	struct conf_line *nv, *l;
	char *buf, *p, *end, *nl, **argv;
	size_t len, tlen;
	int argc, lineno = 0;

	if (depth > CONF_DEPTH_MAX)
		return errstr_set(errstr, "%s: includes nest too deep", path);
	if (conf_slurp(path, &buf, &len, errstr) < 0)
		return -1;
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		/* sdstrim(line, " \t\r\n") */
		while (p < nl && strchr(" \t\r", *p) != NULL)
			p++;
		tlen = (size_t)(nl - p);
		while (tlen > 0 && strchr(" \t\r", p[tlen - 1]) != NULL)
			tlen--;
		if (tlen == 0 || *p == '#')
			continue;
		argc = conf_split(p, tlen, &argv);
		if (argc < 0) {
			errstr_set(errstr, "%s:%d: unbalanced quotes", path,
			    lineno);
			goto fail;
		}
		if (argc == 0) {
			conf_argv_free(argc, argv);
			continue;
		}
		if ((nv = realloc(c->v, sizeof(*nv) * (c->n + 1))) == NULL) {
			conf_argv_free(argc, argv);
			errstr_sys(errstr, "%s", path);
			goto fail;
		}
		c->v = nv;
		l = &c->v[c->n++];
		l->file = strdup(path);
		l->lineno = lineno;
		l->off = p - buf;
		l->len = tlen;
		l->argc = argc;
		l->argv = argv;
		if (l->file == NULL) {
			errstr_sys(errstr, "%s", path);
			goto fail;
		}
		if (strcasecmp(argv[0], "include") == 0 && argc == 2 &&
		    conf_include(c, argv[1], depth, errstr) < 0)
			goto fail;
	}
	explicit_bzero(buf, len);
	free(buf);
	return 0;
fail:
	explicit_bzero(buf, len);
	free(buf);
	return -1;
}

int
conf_load(struct conf *c, const char *path, char *errstr)
{
	c->v = NULL;
	c->n = 0;
	if (conf_load_at(c, path, 0, errstr) < 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}

const struct conf_line *
conf_last(const struct conf *c, const char *name)
{
	size_t i;

	for (i = c->n; i > 0; i--)
		if (strcasecmp(c->v[i - 1].argv[0], name) == 0)
			return &c->v[i - 1];
	return NULL;
}

const char *
conf_get(const struct conf *c, const char *name, const char *dflt)
{
	const struct conf_line *l = conf_last(c, name);

	if (l == NULL || l->argc < 2)
		return dflt;
	return l->argv[1];
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		conf_argv_free(c->v[i].argc, c->v[i].argv);
		free(c->v[i].file);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int
conf_replace_file(const char *path, const void *buf, size_t len,
    char *errstr)
{
	char real[PATH_MAX], dir[PATH_MAX], tmp[NAME_MAX + 1] = "", *base;
	struct stat st;
	int dfd, fd = -1;

	/* A symlinked config is edited where it lives, the link kept.  The
	 * rest goes through its directory's fd: that directory may be the
	 * redis user's (Debian's /etc/redis is redis:redis 2770), so the
	 * temp file gets a random name, O_EXCL|O_NOFOLLOW, and the file
	 * replaced must be a regular one. */
	if (edit_target(path, real, errstr) < 0)
		return -1;
	memcpy(dir, real, sizeof(dir));
	base = strrchr(dir, '/');
	*base++ = '\0';
	if ((dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errstr_sys(errstr, "%s", real);
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		errstr_sys(errstr, "%s", real);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errstr_set(errstr, "%s: not a regular file", real);
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), ".%.200s.rdb-install.", base);
	if ((fd = io_create_tmp(dfd, tmp, 0600, tmp, sizeof(tmp))) < 0) {
		errstr_sys(errstr, "a temp file beside %s", real);
		tmp[0] = '\0';
		goto fail;
	}
	if (fchown(fd, st.st_uid, st.st_gid) < 0 && geteuid() == 0) {
		errstr_sys(errstr, "chown %s/%s", dir, tmp);
		goto fail;
	}
	if (fchmod(fd, st.st_mode & 07777) < 0) {
		errstr_sys(errstr, "chmod %s/%s", dir, tmp);
		goto fail;
	}
	if (io_writeall(fd, buf, len) < 0 || fsync(fd) < 0) {
		errstr_sys(errstr, "write %s/%s", dir, tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		errstr_sys(errstr, "close %s/%s", dir, tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		errstr_sys(errstr, "rename %s/%s", dir, tmp);
		goto fail;
	}
	if (fsync(dfd) < 0) {
		errstr_sys(errstr, "fsync the directory of %s", real);
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return -1;
}

int
conf_edit_line(const struct conf_line *line, const char *text, char *errstr)
{
	char *buf, *out;
	size_t len, tlen = strlen(text), olen;
	int rc;

	if (conf_slurp_edit(line->file, &buf, &len, errstr) < 0)
		return -1;
	if ((size_t)line->off + line->len > len) {
		explicit_bzero(buf, len);
		free(buf);
		return errstr_set(errstr, "%s: changed while being edited",
		    line->file);
	}
	olen = len - line->len + tlen;
	if ((out = malloc(olen + 1)) == NULL) {
		explicit_bzero(buf, len);
		free(buf);
		return errstr_sys(errstr, "%s", line->file);
	}
	memcpy(out, buf, (size_t)line->off);
	memcpy(out + line->off, text, tlen);
	memcpy(out + line->off + tlen, buf + line->off + line->len,
	    len - (size_t)line->off - line->len);
	rc = conf_replace_file(line->file, out, olen, errstr);
	explicit_bzero(buf, len);
	explicit_bzero(out, olen);
	free(buf);
	free(out);
	return rc;
}
