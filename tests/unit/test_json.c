/* common/json: what Swift and Keystone send, and what they must not. */
#include "json.h"
#include "tap.h"

static struct json *
parse(const char *s, char *e)
{
	return json_parse(s, strlen(s), e);
}

static int
refused(const char *s, const char *why)
{
	char e[ERRSTR_LEN];
	struct json *j = parse(s, e);

	json_free(j);
	return ok(j == NULL && strstr(e, why) != NULL,
	    "refused %s: %s", s, j == NULL ? e : "(parsed)");
}

int
main(void)
{
	char e[ERRSTR_LEN], buf[128];
	struct json *j;
	const struct json *k, *ep;
	uint64_t u;
	int depth;
	size_t n;

	j = parse("{\"swift\": {\"max_file_size\": 5368709122, "
	    "\"version\": \"2.30.1\"}, \"slo\": {\"max_manifest_segments\": 1000,"
	    " \"min_segment_size\": 1048576, \"max_manifest_size\": 8388608,"
	    " \"yield_frequency\": 10.5}}", e);
	ok(j != NULL, "parses /info");
	ok(json_get_u64(json_get(j, "slo"), "max_manifest_segments", &u) == 0 &&
	    u == 1000, "max_manifest_segments");
	ok(json_get_u64(json_get(j, "swift"), "max_file_size", &u) == 0 &&
	    u == 5368709122ULL, "max_file_size past 32 bits");
	ok(json_get_u64(json_get(j, "slo"), "yield_frequency", &u) < 0,
	    "a fraction is no integer");
	ok(json_get(j, "nope") == NULL, "absent member");
	ok(strcmp(json_get_str(json_get(j, "swift"), "version"), "2.30.1") == 0,
	    "string member");
	json_free(j);

	j = parse("[{\"hash\":\"d41d8cd98f00b204e9800998ecf8427e\",\"last_modified\":"
	    "\"2026-11-25T12:00:00.000000\",\"bytes\":0,\"name\":\"a b\\/\\u00e9\\ud83d\\ude00\","
	    "\"content_type\":\"application/octet-stream\"},{\"bytes\":18446744073709551615,"
	    "\"name\":\"z\"}]", e);
	ok(j != NULL && j->type == JSON_ARRAY && j->n == 2, "listing: 2 entries");
	k = j != NULL ? j->child : NULL;
	ok(k != NULL && strcmp(json_get_str(k, "name"),
	    "a b/\xc3\xa9\xf0\x9f\x98\x80") == 0, "escapes and surrogate pairs decode to UTF-8");
	ok(k != NULL && json_get_u64(k->next, "bytes", &u) == 0 &&
	    u == UINT64_MAX, "UINT64_MAX exact");
	json_free(j);

	j = parse("{\"token\":{\"catalog\":[{\"type\":\"identity\",\"endpoints\":[]},"
	    "{\"type\":\"object-store\",\"endpoints\":[{\"interface\":\"public\","
	    "\"region\":\"RegionOne\",\"url\":\"http://127.0.0.1:8080/v1/AUTH_x\"}]}]}}", e);
	k = json_get(json_get(j, "token"), "catalog");
	ok(k != NULL && k->type == JSON_ARRAY && k->n == 2, "catalog");
	ep = k != NULL ? json_get(k->child->next, "endpoints") : NULL;
	ok(ep != NULL && strcmp(json_get_str(ep->child, "url"),
	    "http://127.0.0.1:8080/v1/AUTH_x") == 0, "endpoint url");
	json_free(j);

	j = parse(" [ true , false , null , -0 , 1.5e3 , \"\" , { } , [ ] ] ", e);
	ok(j != NULL && j->n == 8 && j->child->type == JSON_TRUE &&
	    j->child->next->next->next->type == JSON_NUMBER, "literals, numbers, empties");
	ok(j != NULL && j->child->next->next->next->next->num == 1500.0, "1.5e3");
	json_free(j);
	/* A NUL would cut a name short: "a\u0000b" is refused, as a key too. */
	j = json_parse("\"a\\u0000b\"", 10, e);
	ok(j == NULL && strcmp(e, "JSON: \\u0000 in a string at offset 8") == 0,
	    "\\u0000 refused: %s", j == NULL ? e : "(parsed)");
	json_free(j);
	refused("{\"name\\u0000x\":1}", "\\u0000 in a string");
	refused("[{\"name\":\"/c/o\\u0000.rdb\"}]", "\\u0000 in a string");
	j = parse("\"a\\u0001b\"", e);
	ok(j != NULL && j->len == 3 && j->str[1] == 1, "\\u0001 is kept");
	json_free(j);
	j = parse("18446744073709551616", e);
	ok(j != NULL && !j->is_u64, "2^64 is not a u64");
	json_free(j);

	refused("", "unexpected end");
	refused("[1,]", "bad number");
	refused("{\"a\":1,}", "expected a member name");
	refused("{\"a\" 1}", "expected ':'");
	refused("[1 2]", "expected ',' or ']'");
	refused("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	refused("[1] x", "trailing data");
	refused("\"abc", "unterminated string");
	refused("\"a\tb\"", "control character");
	refused("\"\\x\"", "bad escape");
	refused("\"\\u12\"", "truncated");
	refused("\"\\u12x4\"", "bad \\u escape");
	refused("\"\\ud800\"", "lone high surrogate");
	refused("\"\\udc00\"", "lone low surrogate");
	refused("\"\\ud800\\u0041\"", "bad surrogate pair");
	refused("\"\xc3\"", "invalid UTF-8");
	refused("\"\xc0\xaf\"", "invalid UTF-8");
	refused("\"\xed\xa0\x80\"", "invalid UTF-8");
	refused("01", "trailing data");
	refused("-", "bad number");
	refused("1.", "bad number");
	refused("1e", "bad number");
	refused(".5", "bad number");
	refused("tru", "unexpected character");
	refused("nul", "unexpected character");
	refused("{1:2}", "expected a member name");
	refused("//x", "bad number");
	ok(parse("[1,,]", e) == NULL && strcmp(e, "JSON: bad number at offset 3") == 0,
	    "offset in the message: %s", e);
	/* Nesting deeper than JSON_MAX_DEPTH is refused, not a stack crash. */
	{
		static char deep[100001];

		memset(deep, '[', sizeof(deep) - 1);
		refused(deep, "nested too deeply");
		for (depth = 0; depth < JSON_MAX_DEPTH; depth++)
			deep[JSON_MAX_DEPTH + depth] = ']';
		deep[2 * JSON_MAX_DEPTH] = '\0';
		j = parse(deep, e);
		ok(j != NULL, "nesting of exactly JSON_MAX_DEPTH parses");
		json_free(j);
	}
	/* A document of more than JSON_MAX_NODES values is refused: bytes
	 * alone do not bound the tree ("[0,0,0,..." costs ~90 bytes a value). */
	{
		size_t i;
		char *big = malloc(2 * (size_t)JSON_MAX_NODES + 2);
		char want[ERRSTR_LEN];

		/* The root and JSON_MAX_NODES - 1 elements: at the limit. */
		big[0] = '[';
		for (i = 0; i < (size_t)JSON_MAX_NODES - 1; i++) {
			big[1 + 2 * i] = '0';
			big[2 + 2 * i] = ',';
		}
		big[2 * i] = ']';
		j = json_parse(big, 2 * i + 1, e);
		ok(j != NULL && j->n == (size_t)JSON_MAX_NODES - 1,
		    "%d values, the root included, parse", JSON_MAX_NODES);
		json_free(j);
		/* One more is one too many. */
		big[2 * i] = ',';
		big[2 * i + 1] = '0';
		big[2 * i + 2] = ']';
		j = json_parse(big, 2 * i + 3, e);
		snprintf(want, sizeof(want), "JSON: more than %d values at "
		    "offset %zu", JSON_MAX_NODES, 2 * i + 1);
		ok(j == NULL && strcmp(e, want) == 0, "%d are refused: %s",
		    JSON_MAX_NODES + 1, j == NULL ? e : "(parsed)");
		json_free(j);
		free(big);
	}
	/* Every prefix of a valid text is refused, never read past its end. */
	{
		const char *full = "{\"a\":[1,\"x\\u00e9\",{\"b\":null}],\"c\":true}";
		int bad = 0;

		for (n = 0; n < strlen(full); n++) {
			j = json_parse(full, n, e);
			if (j != NULL)
				bad++;
			json_free(j);
		}
		ok(bad == 0, "every truncation refused");
	}

	n = json_escape(buf, sizeof(buf), "a\"b\\c\n\x01/\xc3\xa9");
	ok(strcmp(buf, "\"a\\\"b\\\\c\\u000a\\u0001/\xc3\xa9\"") == 0 &&
	    n == strlen(buf), "escape: %s", buf);
	n = json_escape(buf, 4, "abcdef");
	ok(n == 8 && strcmp(buf, "\"ab") == 0, "escape truncates like snprintf");
	json_escape(buf, sizeof(buf), "x\"\\\x1f\xf0\x9f\x98\x80");
	j = parse(buf, e);
	ok(j != NULL && strcmp(j->str, "x\"\\\x1f\xf0\x9f\x98\x80") == 0,
	    "escape then parse round trip");
	json_free(j);
	return tap_done();
}
