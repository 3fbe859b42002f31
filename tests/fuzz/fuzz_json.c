/*
 * libFuzzer target: common/json on arbitrary text, the way Swift listings,
 * SLO manifests and Keystone catalogs are read: parse, then walk every
 * node with the accessors the programs use, and write every string back
 * out with json_escape (whose length must match what it wrote).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

static void
walk(const struct json *j, int depth)
{
	static const char *keys[] = { "name", "bytes", "hash", "path",
	    "etag", "size_bytes", "subdir", "token", "catalog", "slo" };
	const struct json *c;
	char buf[256];
	uint64_t u;
	size_t i, need;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		(void)json_get_str(j, keys[i]);
		(void)json_get_u64(j, keys[i], &u);
	}
	if (j->type == JSON_STRING) {
		need = json_escape(buf, sizeof(buf), j->str);
		if (need < sizeof(buf) && strlen(buf) != need)
			abort();
	}
	for (c = j->child; c != NULL; c = c->next) {
		if (j->type == JSON_OBJECT && c->key == NULL)
			abort();
		if (depth > JSON_MAX_DEPTH + 1)
			abort();
		walk(c, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *j;
	char e[ERRSTR_LEN];

	j = json_parse((const char *)data, size, e);
	if (j == NULL) {
		if (e[0] == '\0')
			abort();	/* a refusal always says why */
		return 0;
	}
	walk(j, 0);
	json_free(j);
	return 0;
}
