/*
 * common/slo without a server: manifests built from part lists (nesting
 * past max_manifest_segments, max_manifest_size, odd names) and read back,
 * manifests that must be refused, the bulk-delete report, -m pairs.
 */
#include <stdint.h>

#include "json.h"
#include "md5.h"
#include "slo.h"
#include "tap.h"

#define SEGCONT	"backups_segments"
#define BASE	"obj/slo/1.000000/1048576"

/* What slo_manifests asked to PUT. */
struct put {
	char		*name[64];	/* NULL: the top manifest */
	char		*body[64];
	char		 etag[64][MD5_HEX_LEN + 1];
	size_t		 n;
	int		 fail_at;	/* -1: never */
};

static int
record(void *arg, const struct slo_part *part, const char *body, size_t len,
    const char *etag, char *errstr)
{
	struct put *p = arg;

	if ((int)p->n == p->fail_at)
		return errstr_set(errstr, "PUT: refused");
	if (p->n == 64 || strlen(body) != len)
		return errstr_set(errstr, "test: too many");
	p->name[p->n] = part ? strdup(part->name) : NULL;
	p->body[p->n] = strdup(body);
	snprintf(p->etag[p->n], sizeof(p->etag[0]), "%s", etag);
	p->n++;
	return 0;
}

static void
put_free(struct put *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->name[i]);
		free(p->body[i]);
	}
	memset(p, 0, sizeof(*p));
	p->fail_at = -1;
}

/* n segments named by fmt (with %zu), sizes 1000 + i, ETags MD5 of i. */
static void
segments(struct slo_parts *pl, size_t n, const char *fmt)
{
	struct md5 m;
	struct slo_part *p;
	size_t i;

	for (i = 0; i < n; i++) {
		p = slo_parts_add(pl, fmt, i);
		if (p == NULL) {
			printf("Bail out! memory\n");
			exit(1);
		}
		p->size = 1000 + i;
		md5_init(&m);
		md5_update(&m, &i, sizeof(i));
		md5_final_hex(&m, p->etag);
	}
}

/*
 * A built manifest as Swift hands it back (?multipart-manifest=get):
 * path, etag and size_bytes become name, hash and bytes, and entries
 * naming a sub-manifest get "sub_slo": true.
 */
static char *
as_stored(const char *body)
{
	static const char *from[] = { "{\"path\":", ",\"etag\":",
	    ",\"size_bytes\":" };
	static const char *to[] = { "{\"name\":", ",\"hash\":", ",\"bytes\":" };
	char *out = calloc(1, strlen(body) * 2 + 1), *o = out;
	const char *s = body;
	size_t i;

	while (*s != '\0') {
		for (i = 0; i < 3; i++)
			if (strncmp(s, from[i], strlen(from[i])) == 0)
				break;
		if (i < 3) {
			if (i == 0 && strstr(s, "/manifest-") != NULL &&
			    strstr(s, "/manifest-") < strchr(s, '}')) {
				strcpy(o, "{\"sub_slo\":true,");
				o += strlen(o);
				strcpy(o, to[i] + 1);
			} else
				strcpy(o, to[i]);
			o += strlen(o);
			s += strlen(from[i]);
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static const struct swift_limits big = { 1000, 8 * 1024 * 1024, 1, ~0ULL };

static void
test_flat(void)
{
	struct slo_parts pl = { NULL, 0, 0 };
	struct slo_manifest m;
	struct put p = { .fail_at = -1 };
	struct md5 md;
	char e[ERRSTR_LEN], want[MD5_HEX_LEN + 1], *st;
	size_t i;
	uint64_t sum = 0;

	segments(&pl, 5, BASE "/%08zu");
	ok(slo_manifests(&pl, 5, SEGCONT, BASE, &big, record, &p, e) == 0,
	    "5 segments: one manifest");
	ok(p.n == 1 && p.name[0] == NULL && pl.n == 5,
	    "only the top one, no sub-manifest part");
	md5_init(&md);
	for (i = 0; i < 5; i++) {
		md5_update(&md, pl.v[i].etag, MD5_HEX_LEN);
		sum += pl.v[i].size;
	}
	md5_final_hex(&md, want);
	ok(strcmp(p.etag[0], want) == 0,
	    "its ETag is the MD5 of the segment ETags");
	st = as_stored(p.body[0]);
	e[0] = '\0';	/* filled only on a failure */
	ok(slo_parse(st, strlen(st), sum, "c/o", &m, e) == 0 && m.n == 5,
	    "reads back: %s", e);
	ok(m.n == 5 && strcmp(m.seg[0].container, SEGCONT) == 0 &&
	    strcmp(m.seg[4].object, BASE "/00000004") == 0 &&
	    m.seg[4].bytes == 1004 && !m.seg[4].sub &&
	    strcmp(m.seg[4].hash, pl.v[4].etag) == 0,
	    "entries name the segments container, the part, size and hash");
	slo_manifest_free(&m);
	free(st);
	put_free(&p);

	p.fail_at = 0;
	ok(slo_manifests(&pl, 5, SEGCONT, BASE, &big, record, &p, e) < 0 &&
	    strcmp(e, "PUT: refused") == 0, "a failed PUT is passed up");
	put_free(&p);
	ok(slo_manifests(&pl, 0, SEGCONT, BASE, &big, record, &p, e) < 0,
	    "no segments: refused");
	slo_parts_free(&pl);
}

/* Walks the recorded manifests from the top, as swift-get would, and
 * counts the leaf segments, checking every sub-manifest against the
 * entry naming it. */
static size_t
walk(struct put *p, const char *body, uint64_t total, int depth, int *good)
{
	struct slo_manifest m;
	char e[ERRSTR_LEN], *st = as_stored(body);
	size_t i, j, leaves = 0;

	if (slo_parse(st, strlen(st), total, "c/o", &m, e) < 0) {
		printf("# %s\n", e);
		*good = 0;
	}
	for (i = 0; i < m.n; i++) {
		if (!m.seg[i].sub) {
			leaves++;
			continue;
		}
		for (j = 0; j < p->n; j++)
			if (p->name[j] != NULL &&
			    strcmp(p->name[j], m.seg[i].object) == 0)
				break;
		if (j == p->n || strcmp(p->etag[j], m.seg[i].hash) != 0 ||
		    depth > SLO_MAX_DEPTH)
			*good = 0;
		else
			leaves += walk(p, p->body[j], m.seg[i].bytes, depth + 1,
			    good);
	}
	slo_manifest_free(&m);
	free(st);
	return leaves;
}

static void
test_nested(void)
{
	struct slo_parts pl = { NULL, 0, 0 };
	struct swift_limits four = { 4, 8 * 1024 * 1024, 1, ~0ULL };
	struct swift_limits two = { 2, 8 * 1024 * 1024, 1, ~0ULL };
	struct swift_limits one = { 1, 8 * 1024 * 1024, 1, ~0ULL };
	struct put p = { .fail_at = -1 };
	char e[ERRSTR_LEN];
	uint64_t sum = 0;
	size_t i;
	int good = 1;

	segments(&pl, 10, BASE "/%08zu");
	for (i = 0; i < 10; i++)
		sum += pl.v[i].size;
	ok(slo_manifests(&pl, 10, SEGCONT, BASE, &four, record, &p, e) == 0,
	    "10 segments, max_manifest_segments 4: %s", e);
	ok(p.n == 4 && pl.n == 13, "3 sub-manifests (4+4+2) and the top");
	ok(p.name[0] && strcmp(p.name[0], BASE "/manifest-1-00000000") == 0 &&
	    p.name[2] && strcmp(p.name[2], BASE "/manifest-1-00000002") == 0 &&
	    p.name[3] == NULL, "named BASE/manifest-LEVEL-N, the top last");
	ok(pl.v[12].size == 1008 + 1009 &&
	    strcmp(pl.v[12].name, BASE "/manifest-1-00000002") == 0,
	    "a sub-manifest part holds its size");
	ok(walk(&p, p.body[3], sum, 0, &good) == 10 && good,
	    "walking it from the top finds the 10 segments in order");
	put_free(&p);
	slo_parts_free(&pl);

	segments(&pl, 20, BASE "/%08zu");
	ok(slo_manifests(&pl, 20, SEGCONT, BASE, &two, record, &p, e) == 0,
	    "20 segments, max_manifest_segments 2: %s", e);
	ok(pl.n == 20 + 10 + 5 + 3 + 2 && p.n == 21,
	    "four levels of sub-manifests (10, 5, 3, 2), then the top");
	ok(p.name[20] == NULL && p.name[19] != NULL &&
	    strcmp(p.name[19], BASE "/manifest-4-00000001") == 0,
	    "the deepest level is 4");
	for (sum = 0, i = 0; i < 20; i++)
		sum += pl.v[i].size;
	good = 1;
	ok(walk(&p, p.body[20], sum, 0, &good) == 20 && good,
	    "every segment is reached once, sizes adding up at every level");
	put_free(&p);
	ok(slo_manifests(&pl, 20, SEGCONT, BASE, &one, record, &p, e) < 0 &&
	    strstr(e, "one entry a manifest") != NULL,
	    "limits fitting one entry a manifest are refused: %s", e);
	put_free(&p);
	slo_parts_free(&pl);
}

static void
test_size_limit(void)
{
	struct slo_parts pl = { NULL, 0, 0 };
	struct put p = { .fail_at = -1 };
	struct swift_limits small = { 1000, 400, 1, ~0ULL };
	char e[ERRSTR_LEN];
	size_t i;

	segments(&pl, 6, BASE "/%08zu");
	ok(slo_manifests(&pl, 6, SEGCONT, BASE, &small, record, &p, e) == 0,
	    "max_manifest_size 400: %s", e);
	for (i = 0; i < p.n; i++)
		if (strlen(p.body[i]) > 400)
			break;
	ok(p.n > 1 && i == p.n, "%zu manifests, none over 400 bytes", p.n);
	put_free(&p);
	slo_parts_free(&pl);
}

static void
test_odd_names(void)
{
	static const char *names[] = { "a b/c d", "100%/x%2Fy", "#frag?q=1&r",
	    "caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80", "quote\"back\\slash",
	    "tab\tand\x01" "ctl" };
	struct slo_parts pl = { NULL, 0, 0 };
	struct slo_manifest m;
	struct put p = { .fail_at = -1 };
	struct slo_part *part;
	char e[ERRSTR_LEN], *st;
	size_t i, n = sizeof(names) / sizeof(names[0]);
	uint64_t sum = 0;
	int same = 1;

	for (i = 0; i < n; i++) {
		part = slo_parts_add(&pl, "%s/slo/%08zu", names[i], i);
		part->size = i + 1;
		sum += i + 1;
		memset(part->etag, 'a', MD5_HEX_LEN);
	}
	ok(slo_manifests(&pl, n, "odd segs", BASE, &big, record, &p, e) == 0,
	    "odd names: built");
	st = as_stored(p.body[0]);
	e[0] = '\0';	/* filled only on a failure */
	ok(slo_parse(st, strlen(st), sum, "c/o", &m, e) == 0 && m.n == n,
	    "odd names: read back: %s", e);
	for (i = 0; i < m.n; i++) {
		char want[256];

		snprintf(want, sizeof(want), "%s/slo/%08zu", names[i], i);
		if (strcmp(m.seg[i].container, "odd segs") != 0 ||
		    strcmp(m.seg[i].object, want) != 0) {
			printf("# %s != %s\n", m.seg[i].object, want);
			same = 0;
		}
	}
	ok(same, "spaces, %%, #, ?, UTF-8, quotes, backslashes and control "
	    "characters come back unchanged");
	slo_manifest_free(&m);
	free(st);
	put_free(&p);
	slo_parts_free(&pl);
}

#define H32	"0123456789abcdef0123456789ABCDEF"
#define SEG(n, b)	"{\"name\":\"/c_segments/" n "\",\"hash\":\"" H32 \
	"\",\"bytes\":" #b "}"

/* slo_parse refuses body with a message holding why and keeps the first
 * good entries. */
static void
refused(const char *body, uint64_t total, enum slo_bad bad, size_t good,
    const char *why)
{
	struct slo_manifest m;
	char e[ERRSTR_LEN];
	int rc;

	rc = slo_parse(body, strlen(body), total, "c/o", &m, e);
	ok(rc < 0 && m.bad == bad && m.n == good && strncmp(e, "c/o: ", 5) ==
	    0 && strstr(e, why) != NULL, "refused (%s): %s", why,
	    rc < 0 ? e : "accepted");
	slo_manifest_free(&m);
}

/* A lone entry whose name, hash or bytes is of the wrong kind, or whose
 * name is no /container/object. */
static const char *const lone_bad[] = {
	"[{\"name\":7,\"hash\":\"" H32 "\",\"bytes\":1}]",
	"[{\"name\":\"/c/a\",\"hash\":[],\"bytes\":1}]",
	"[{\"name\":\"/c/a\",\"hash\":\"" H32 "\",\"bytes\":\"1\"}]",
	"[{\"name\":\"/c/a\",\"hash\":\"" H32 "\",\"bytes\":-1}]",
	"[{\"name\":\"/c/a\",\"hash\":\"" H32 "\",\"bytes\":1.5}]",
	"[{\"name\":\"c/a\",\"hash\":\"" H32 "\",\"bytes\":1}]",
	"[{\"name\":\"/c\",\"hash\":\"" H32 "\",\"bytes\":1}]",
	"[{\"name\":\"/c/\",\"hash\":\"" H32 "\",\"bytes\":1}]",
	/* Found by fuzz_slo: "//x" named an empty container, the account. */
	"[{\"name\":\"///////+//y=2/00000000\",\"hash\":\"" H32
	    "\",\"bytes\":1}]",
};

static void
test_bad(void)
{
	struct slo_manifest m;
	char e[ERRSTR_LEN];
	size_t i;
	const char *sub = "[{\"name\":\"/c_segments/m\",\"hash\":\"x\","
	    "\"bytes\":5,\"sub_slo\":true}]";

	refused("", ~0ULL, SLO_BAD_JSON, 0, "manifest: JSON");
	refused("[" SEG("a", 1) ",]", ~0ULL, SLO_BAD_JSON, 0, "JSON");
	refused("{\"name\":\"/c/a\"}", ~0ULL, SLO_BAD_LIST, 0, "no list");
	refused("\"[]\"", ~0ULL, SLO_BAD_LIST, 0, "no list");
	refused("[]", ~0ULL, SLO_BAD_LIST, 0, "lists nothing");
	refused("[{\"hash\":\"" H32 "\",\"bytes\":1}]", ~0ULL, SLO_BAD_ENTRY,
	    0, "without name, hash or bytes");
	refused("[" SEG("a", 1) ",{\"name\":\"/c/b\",\"bytes\":1}]", ~0ULL,
	    SLO_BAD_ENTRY, 1, "without name, hash or bytes");
	refused("[" SEG("a", 1) "," SEG("b", 2) ",{\"name\":\"/c/x\",\"hash\":\""
	    H32 "\"}]", ~0ULL, SLO_BAD_ENTRY, 2, "without name");
	for (i = 0; i < sizeof(lone_bad) / sizeof(lone_bad[0]); i++)
		refused(lone_bad[i], ~0ULL, SLO_BAD_ENTRY, 0, "without name");
	refused("[" SEG("a", 1) ",{\"name\":\"/c/a\",\"hash\":\"" H32 "\","
	    "\"bytes\":1,\"range\":\"0-0\"}]", ~0ULL, SLO_BAD_RANGE, 1,
	    "/c/a: segment ranges are not supported");
	refused("[{\"name\":\"/c/a\",\"hash\":\"0123456789abcdef0123456789abcd"
	    "\\r\\n\",\"bytes\":1}]", ~0ULL, SLO_BAD_HASH, 0,
	    "hash is not 32 hex digits");
	refused("[" SEG("a", 1) ",{\"name\":\"/c/a\",\"hash\":\"" H32 "0\","
	    "\"bytes\":1}]", ~0ULL, SLO_BAD_HASH, 1, "entry 1: the manifest's "
	    "hash is not 32 hex digits");
	refused("[{\"name\":\"/c/a\",\"hash\":\"0123456789abcdef0123456789abcdeg"
	    "\",\"bytes\":1}]", ~0ULL, SLO_BAD_HASH, 0, "not 32 hex");
	refused("[{\"name\":\"/c/a\",\"hash\":\"\",\"bytes\":1}]", ~0ULL,
	    SLO_BAD_HASH, 0, "not 32 hex");
	refused("[" SEG("a", 1) "," SEG("b", 2) "]", 4, SLO_BAD_SIZES, 2,
	    "sizes add up to 3 bytes, not 4");
	refused("[" SEG("a", 1) "," SEG("b", 2) "]", 0, SLO_BAD_SIZES, 2,
	    "sizes add up to 3 bytes, not 0");
	refused("[" SEG("a", 18446744073709551615) "," SEG("b", 1) "]", ~0ULL,
	    SLO_BAD_SIZES, 2, "more than 2^64");

	ok(slo_parse("[" SEG("a", 1) "," SEG("b", 2) "]", strlen("["
	    SEG("a", 1) "," SEG("b", 2) "]"), 3, "c/o", &m, e) == 0 &&
	    m.n == 2 && m.bad == SLO_GOOD, "sizes adding up: accepted");
	slo_manifest_free(&m);
	ok(slo_parse(sub, strlen(sub), 5, "c/o", &m, e) == 0 && m.n == 1 &&
	    m.seg[0].sub, "a sub-manifest's hash is not sent: not checked");
	slo_manifest_free(&m);
}

static void
test_report(void)
{
	char e[ERRSTR_LEN];
	const char *good = "{\"Response Status\": \"200 OK\", \"Errors\": [],"
	    " \"Number Deleted\": 4}";
	const char *gone = "{\"Response Status\": \"400 Bad Request\", "
	    "\"Errors\": [[\"/c_segments/x\", \"403 Forbidden\"]]}";

	ok(slo_bulk_report("c/o", good, strlen(good), e) == 0,
	    "report: 200 OK");
	ok(slo_bulk_report("c/o", gone, strlen(gone), e) < 0 &&
	    strcmp(e, "DELETE c/o: 400 Bad Request: 403 Forbidden") == 0,
	    "report: the status and the first error: %s", e);
	ok(slo_bulk_report("c/o", "{}", 2, e) < 0 &&
	    strcmp(e, "DELETE c/o: no status in the report") == 0,
	    "report: no status");
	ok(slo_bulk_report("c/o", "<html>", 6, e) < 0 &&
	    strncmp(e, "DELETE c/o: report: JSON", 24) == 0,
	    "report: not JSON: %s", e);
}

static void
test_meta(void)
{
	const char *eq;

	ok(slo_meta_ok("Rdb-Version_2=11 x", &eq) && *eq == '=',
	    "meta: KEY=VALUE");
	ok(slo_meta_ok("k=", &eq), "meta: an empty value");
	ok(!slo_meta_ok("=v", &eq) && !slo_meta_ok("novalue", &eq) &&
	    !slo_meta_ok("a b=c", &eq) && !slo_meta_ok("k=a\r\nX-Evil: 1", &eq)
	    && !slo_meta_ok("k=\x7f", &eq), "meta: bad keys and values");
	ok(slo_is_md5_hex(H32) && !slo_is_md5_hex(H32 "0") &&
	    !slo_is_md5_hex("0123456789abcdef0123456789abcde\n"),
	    "md5 hex");
}

int
main(void)
{
	test_flat();
	test_nested();
	test_size_limit();
	test_odd_names();
	test_bad();
	test_report();
	test_meta();
	return tap_done();
}
