#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aofman.h"
#include "conf.h"

/* Redis's AOF_MANIFEST_LINE_MAX: a longer line is refused by its loader. */
#define LINE_MAX_LEN	1024

/* A name from a manifest: a plain file name of the dir. */
static int
plain_name(const char *v)
{
	size_t i;

	if (*v == '\0' || strcmp(v, ".") == 0 || strcmp(v, "..") == 0 ||
	    strlen(v) > NAME_MAX - 40)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] == '/' || (unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && strcmp(s + n - t, tail) == 0;
}

/* One "file NAME seq N type T" line, its pairs in any order, into f and
 * *type; returns 0 or -1. */
static int
parse_line(int lineno, char **argv, int argc, struct aofman_file *f,
    char *type, char *errstr)
{
	const char *name = NULL, *seq = NULL, *t = NULL;
	char *end;
	int i;

	if (argc < 6 || argc % 2 != 0)
		return errstr_set(errstr, "line %d: not \"file NAME seq N "
		    "type T\"", lineno);
	for (i = 0; i < argc; i += 2) {
		if (strcmp(argv[i], "file") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "seq") == 0)
			seq = argv[i + 1];
		else if (strcmp(argv[i], "type") == 0)
			t = argv[i + 1];
	}
	if (name == NULL || seq == NULL || t == NULL)
		return errstr_set(errstr, "line %d: not \"file NAME seq N "
		    "type T\"", lineno);
	if (!plain_name(name))
		return errstr_set(errstr, "line %d: not a plain file name",
		    lineno);
	f->seq = strtoll(seq, &end, 10);
	if (*seq < '0' || *seq > '9' || *end != '\0' || f->seq <= 0)
		return errstr_set(errstr, "line %d: seq %s: not a number > 0",
		    lineno, seq);
	if (strlen(t) != 1 || strchr("bhi", t[0]) == NULL)
		return errstr_set(errstr, "line %d: type %s: not b, h or i",
		    lineno, t);
	snprintf(f->name, sizeof(f->name), "%s", name);
	*type = t[0];
	return 0;
}

/* Adds a parsed file to m; returns 0 or -1. */
static int
add_file(struct aofman *m, int lineno, const struct aofman_file *f,
    char type, char *errstr)
{
	int i;

	if (strcmp(f->name, m->base.name) == 0)
		return errstr_set(errstr, "line %d: %s listed twice", lineno,
		    f->name);
	for (i = 0; i < m->nincr; i++)
		if (strcmp(f->name, m->incr[i].name) == 0)
			return errstr_set(errstr, "line %d: %s listed twice",
			    lineno, f->name);
	switch (type) {
	case 'h':
		return errstr_set(errstr, "line %d: %s: a history file (only "
		    "a base and incr files are installed)", lineno, f->name);
	case 'b':
		if (m->base.name[0] != '\0')
			return errstr_set(errstr, "line %d: a second base",
			    lineno);
		if (!ends_with(f->name, ".rdb"))
			return errstr_set(errstr, "line %d: base %s: not an "
			    "RDB (.rdb)", lineno, f->name);
		m->base = *f;
		return 0;
	default:
		if (m->nincr == AOFMAN_MAX_INCR)
			return errstr_set(errstr, "line %d: more than %d incr "
			    "files", lineno, AOFMAN_MAX_INCR);
		if (m->nincr > 0 && f->seq <= m->incr[m->nincr - 1].seq)
			return errstr_set(errstr, "line %d: seq %lld after "
			    "%lld", lineno, f->seq, m->incr[m->nincr - 1].seq);
		m->incr[m->nincr++] = *f;
		return 0;
	}
}

int
aofman_parse(const char *text, size_t len, struct aofman *m, char *errstr)
{
	struct aofman_file f;
	const char *p = text, *nl, *end = text + len;
	char **argv, type = 0;
	int argc, lineno = 0, rc;

	memset(m, 0, sizeof(*m));
	if (len > AOFMAN_MAX_SIZE)
		return errstr_set(errstr, "larger than %d bytes",
		    AOFMAN_MAX_SIZE);
	if (memchr(text, '\0', len) != NULL)
		return errstr_set(errstr, "a NUL byte: not a manifest");
	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return errstr_set(errstr, "line %d: no newline at its "
			    "end", lineno);
		if (nl - p >= LINE_MAX_LEN)
			return errstr_set(errstr, "line %d: longer than %d "
			    "bytes", lineno, LINE_MAX_LEN - 1);
		if (*p == '#')
			continue;
		if ((argc = conf_split(p, (size_t)(nl - p), &argv)) < 0)
			return errstr_set(errstr, "line %d: unbalanced "
			    "quotes", lineno);
		memset(&f, 0, sizeof(f));
		rc = parse_line(lineno, argv, argc, &f, &type, errstr);
		conf_argv_free(argc, argv);
		if (rc < 0 || add_file(m, lineno, &f, type, errstr) < 0)
			return -1;
	}
	if (m->base.name[0] == '\0')
		return errstr_set(errstr, "no base file (type b)");
	return 0;
}

int
aofman_rename(const struct aofman *m, const char *aoffile,
    struct aofman *out, char *errstr)
{
	int i, n;

	*out = *m;
	n = snprintf(out->base.name, sizeof(out->base.name), "%s.%lld.base.rdb",
	    aoffile, m->base.seq);
	for (i = 0; i < m->nincr && n >= 0 && (size_t)n < sizeof(out->base.name);
	    i++)
		n = snprintf(out->incr[i].name, sizeof(out->incr[i].name),
		    "%s.%lld.incr.aof", aoffile, m->incr[i].seq);
	if (n < 0 || (size_t)n >= sizeof(out->base.name))
		return errstr_set(errstr, "%s: name too long", aoffile);
	return 0;
}

/* Appends one name as sdssplitargs reads it back: bare when it is made
 * of safe bytes, else in double quotes with \\, \" and \xHH escapes. */
static size_t
put_name(char *buf, size_t len, size_t n, const char *name)
{
	size_t i;

	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == strlen(name))
		return n + (size_t)snprintf(buf + n, n < len ? len - n : 0,
		    "%s", name);
	n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "\"");
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '\\' || c == '"')
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
			    "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
			    "\\x%02x", c);
		else
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
			    "%c", c);
	}
	return n + (size_t)snprintf(buf + n, n < len ? len - n : 0, "\"");
}

int
aofman_format(const struct aofman *m, char *buf, size_t len, char *errstr)
{
	size_t n = 0;
	int i;

	for (i = -1; i < m->nincr; i++) {
		const struct aofman_file *f = i < 0 ? &m->base : &m->incr[i];

		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "file ");
		n = put_name(buf, len, n, f->name);
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
		    " seq %lld type %c\n", f->seq, i < 0 ? 'b' : 'i');
	}
	if (n >= len)
		return errstr_set(errstr, "manifest: too long");
	return (int)n;
}
