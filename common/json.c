#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char	*p;
	const char	*start;
	const char	*end;
	char		*errstr;
	size_t		 nodes;		/* values so far */
};

static int
fail(struct parser *ps, const char *why)
{
	return errstr_set(ps->errstr, "JSON: %s at offset %zu", why,
	    (size_t)(ps->p - ps->start));
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (ps->end - ps->p < 4)
		return fail(ps, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(ps, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Parses a string literal at ps->p (on its quote) into malloc'd memory. */
static int
parse_string(struct parser *ps, char **out, size_t *outlen)
{
	const char *q;
	char *buf, *o;
	size_t n;
	unsigned cp, lo;

	ps->p++;
	/* The decoded text is never longer than the literal. */
	for (q = ps->p; q < ps->end && *q != '"'; q++)
		if (*q == '\\')
			q++;
	if (q >= ps->end)
		return fail(ps, "unterminated string");
	buf = o = malloc((size_t)(q - ps->p) + 1);
	if (buf == NULL)
		return fail(ps, "out of memory");
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;

		if (c < 0x20) {
			free(buf);
			return fail(ps, "control character in string");
		}
		if (c != '\\') {
			n = utf8_len((const unsigned char *)ps->p,
			    (size_t)(ps->end - ps->p));
			if (n == 0) {
				free(buf);
				return fail(ps, "invalid UTF-8");
			}
			memcpy(o, ps->p, n);
			o += n;
			ps->p += n;
			continue;
		}
		ps->p++;
		switch (*ps->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(ps, &cp) < 0) {
				free(buf);
				return -1;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(buf);
				return fail(ps, "lone low surrogate");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
				    ps->p[1] != 'u') {
					free(buf);
					return fail(ps, "lone high surrogate");
				}
				ps->p += 2;
				if (hex4(ps, &lo) < 0) {
					free(buf);
					return -1;
				}
				if (lo < 0xdc00 || lo > 0xdfff) {
					free(buf);
					return fail(ps, "bad surrogate pair");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			/* A NUL would cut a name short where it is
			 * used as a C string. */
			if (cp == 0) {
				free(buf);
				return fail(ps, "\\u0000 in a string");
			}
			o += put_utf8(o, cp);
			break;
		default:
			ps->p--;
			free(buf);
			return fail(ps, "bad escape");
		}
	}
	ps->p++;
	*o = '\0';
	*out = buf;
	*outlen = (size_t)(o - buf);
	return 0;
}

static int
parse_number(struct parser *ps, struct json *j)
{
	const char *s = ps->p, *digits;
	char tmp[64];
	int integer = 1;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	digits = ps->p;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (ps->p < ps->end && *ps->p >= '1' && *ps->p <= '9')
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	else
		return fail(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		integer = 0;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integer = 0;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if ((size_t)(ps->p - s) >= sizeof(tmp))
		return fail(ps, "number too long");
	memcpy(tmp, s, (size_t)(ps->p - s));
	tmp[ps->p - s] = '\0';
	j->type = JSON_NUMBER;
	j->num = strtod(tmp, NULL);
	/* Sizes must be exact: integers that fit are kept as such. */
	if (integer && s == digits && ps->p - s <= 20) {
		uint64_t v = 0;
		const char *d;

		for (d = s; d < ps->p; d++) {
			if (v > (UINT64_MAX - (uint64_t)(*d - '0')) / 10)
				return 0;
			v = v * 10 + (uint64_t)(*d - '0');
		}
		j->is_u64 = 1;
		j->u64 = v;
	}
	return 0;
}

static int
literal(struct parser *ps, const char *word, enum json_type t, struct json *j)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "unexpected character");
	ps->p += n;
	j->type = t;
	return 0;
}

static int parse_value(struct parser *ps, struct json *j, int depth);

/* Parses the elements (or members) of an array (or object) after its
 * opening bracket. */
static int
parse_container(struct parser *ps, struct json *j, int depth)
{
	int obj = j->type == JSON_OBJECT;
	char close = obj ? '}' : ']';
	struct json **tail = &j->child, *k;

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (++ps->nodes > JSON_MAX_NODES)
			return errstr_set(ps->errstr, "JSON: more than %d "
			    "values at offset %zu", JSON_MAX_NODES,
			    (size_t)(ps->p - ps->start));
		k = calloc(1, sizeof(*k));
		if (k == NULL)
			return fail(ps, "out of memory");
		*tail = k;
		tail = &k->next;
		j->n++;
		skip_ws(ps);
		if (obj) {
			size_t klen;

			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a member name");
			if (parse_string(ps, &k->key, &klen) < 0)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
		}
		if (parse_value(ps, k, depth + 1) < 0)
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return fail(ps, obj ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

static int
parse_value(struct parser *ps, struct json *j, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return fail(ps, "nested too deeply");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end");
	switch (*ps->p) {
	case '{':
	case '[':
		j->type = *ps->p == '{' ? JSON_OBJECT : JSON_ARRAY;
		ps->p++;
		return parse_container(ps, j, depth);
	case '"':
		j->type = JSON_STRING;
		return parse_string(ps, &j->str, &j->len);
	case 't':
		return literal(ps, "true", JSON_TRUE, j);
	case 'f':
		return literal(ps, "false", JSON_FALSE, j);
	case 'n':
		return literal(ps, "null", JSON_NULL, j);
	default:
		return parse_number(ps, j);
	}
}

struct json *
json_parse(const char *text, size_t len, char *errstr)
{
	struct parser ps = { text, text, text + len, errstr, 1 };
	struct json *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		errstr_set(errstr, "JSON: out of memory");
		return NULL;
	}
	if (parse_value(&ps, j, 0) < 0) {
		json_free(j);
		return NULL;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing data");
		json_free(j);
		return NULL;
	}
	return j;
}

void
json_free(struct json *j)
{
	struct json *k, *next;

	if (j == NULL)
		return;
	for (k = j->child; k != NULL; k = next) {
		next = k->next;
		json_free(k);
	}
	free(j->key);
	free(j->str);
	free(j);
}

const struct json *
json_get(const struct json *j, const char *key)
{
	const struct json *k;

	if (j == NULL || j->type != JSON_OBJECT)
		return NULL;
	for (k = j->child; k != NULL; k = k->next)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

const char *
json_get_str(const struct json *j, const char *key)
{
	const struct json *k = json_get(j, key);

	return k != NULL && k->type == JSON_STRING ? k->str : NULL;
}

int
json_get_u64(const struct json *j, const char *key, uint64_t *out)
{
	const struct json *k = json_get(j, key);

	if (k == NULL || k->type != JSON_NUMBER || !k->is_u64)
		return -1;
	*out = k->u64;
	return 0;
}

/* Appends c to dst while room is left for the terminator. */
static void
emit(char *dst, size_t cap, size_t *n, char c)
{
	if (*n + 1 < cap)
		dst[*n] = c;
	(*n)++;
}

size_t
json_escape(char *dst, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	emit(dst, cap, &n, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			emit(dst, cap, &n, '\\');
			emit(dst, cap, &n, (char)c);
		} else if (c < 0x20) {
			emit(dst, cap, &n, '\\');
			emit(dst, cap, &n, 'u');
			emit(dst, cap, &n, '0');
			emit(dst, cap, &n, '0');
			emit(dst, cap, &n, hex[c >> 4]);
			emit(dst, cap, &n, hex[c & 15]);
		} else
			emit(dst, cap, &n, (char)c);
	}
	emit(dst, cap, &n, '"');
	if (cap > 0)
		dst[n < cap ? n : cap - 1] = '\0';
	return n;
}
