/*
 * A small, strict JSON reader for what Swift and Keystone send back: /info,
 * container listings, SLO manifests, the Keystone v3 token and its catalog.
 * The whole text is parsed into a tree (RFC 8259: no trailing commas, no
 * comments, no garbage after the value, UTF-8 checked, nesting and the
 * number of values bounded; no "\u0000": strings are C strings, names),
 * then read with json_get and friends.  json_escape writes strings back
 * out, for manifests and Keystone requests.
 */
#ifndef RDBPIPE_JSON_H
#define RDBPIPE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "errstr.h"

#define JSON_MAX_DEPTH	64
/* Values in one document, the root and every element and member: a Swift
 * listing of 10,000 objects is about 60,000, a 1,000-segment manifest
 * 6,000, a Keystone catalog a few hundred.  Each costs ~90 bytes: a 64 MiB
 * manifest of "[0,0,0,..." would otherwise cost 3 GiB. */
#define JSON_MAX_NODES	(1 << 20)

enum json_type {
	JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
	JSON_ARRAY, JSON_OBJECT
};

struct json {
	enum json_type	 type;
	char		*key;		/* member name inside an object */
	char		*str;		/* string value, decoded, NUL-terminated */
	size_t		 len;		/* string bytes (never a NUL) */
	double		 num;
	int		 is_u64;	/* the number is an integer in uint64_t */
	uint64_t	 u64;
	struct json	*child;		/* first element or member */
	struct json	*next;		/* next sibling */
	size_t		 n;		/* elements or members */
};

/* Parses len bytes of JSON text; returns the tree (free with json_free) or
 * NULL with "JSON: why at offset N" in errstr. */
struct json *json_parse(const char *text, size_t len, char *errstr);

/* Frees a tree; NULL is fine. */
void json_free(struct json *j);

/* The member called key of an object, or NULL (also when j is no object). */
const struct json *json_get(const struct json *j, const char *key);

/* The string member called key, or NULL when absent or not a string. */
const char *json_get_str(const struct json *j, const char *key);

/* The non-negative integer member called key; returns 0, or -1 when absent
 * or not such a number. */
int json_get_u64(const struct json *j, const char *key, uint64_t *out);

/* Writes s as a JSON string literal with its quotes into dst (cap bytes,
 * NUL-terminated when cap > 0); returns the length the whole literal needs,
 * as snprintf does. */
size_t json_escape(char *dst, size_t cap, const char *s);

#endif
