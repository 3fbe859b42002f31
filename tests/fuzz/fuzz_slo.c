/*
 * libFuzzer target: common/slo's manifest reader, the way swift-get walks
 * a manifest from anyone's server: parse and check it (against a total
 * taken from the input's first bytes, or none), hold the checks to what
 * they promise, then build manifests again from the entries it kept
 * (nested at a limit from the input) and read the names back out.  The
 * bulk-delete report is judged on the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "slo.h"

struct built {
	size_t	 n;
	size_t	 entries;
};

/* Every entry of a built manifest names "/SEGCONT/part" of the list. */
static int
check_built(void *arg, const struct slo_part *part, const char *body,
    size_t len, const char *etag, char *errstr)
{
	struct built *b = arg;
	struct json *j;
	const struct json *e;
	char je[ERRSTR_LEN];

	(void)part;
	if (strlen(etag) != MD5_HEX_LEN || strlen(body) != len)
		abort();
	if ((j = json_parse(body, len, je)) == NULL)
		abort();	/* what we write must read back */
	if (j->type != JSON_ARRAY || j->n == 0)
		abort();
	for (e = j->child; e != NULL; e = e->next) {
		const char *path = json_get_str(e, "path");
		uint64_t u;

		if (path == NULL || strncmp(path, "/s/", 3) != 0 ||
		    json_get_u64(e, "size_bytes", &u) < 0 ||
		    !slo_is_md5_hex(json_get_str(e, "etag")))
			abort();
		b->entries++;
	}
	json_free(j);
	b->n++;
	(void)errstr;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slo_manifest m;
	struct slo_parts pl = { NULL, 0, 0 };
	struct swift_limits lim = { 2, 1 << 20, 1, ~0ULL };
	struct built b = { 0, 0 };
	struct slo_part *p;
	char e[ERRSTR_LEN];
	uint64_t total = UINT64_MAX, sum = 0;
	size_t i;
	int rc;

	/* A leading '#' line: the total the entries must add up to. */
	if (size > 0 && data[0] == '#') {
		const uint8_t *nl = memchr(data, '\n', size);

		if (nl == NULL)
			return 0;
		total = strtoull((const char *)data + 1, NULL, 10);
		lim.max_manifest_segments = 2 + total % 7;
		size -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	rc = slo_parse((const char *)data, size, total, "c/o", &m, e);
	if (rc < 0 && (e[0] == '\0' || m.bad == SLO_GOOD))
		abort();	/* a refusal says why */
	if (rc == 0 && m.bad != SLO_GOOD)
		abort();
	for (i = 0; i < m.n; i++) {
		const struct slo_seg *s = &m.seg[i];

		if (s->container == NULL || s->container[0] == '\0' ||
		    s->object[0] == '\0' || s->name[0] != '/' ||
		    (!s->sub && !slo_is_md5_hex(s->hash)))
			abort();
		sum += s->bytes;
		if ((p = slo_parts_add(&pl, "%s", s->object)) == NULL)
			abort();
		p->size = s->bytes;
		memset(p->etag, 'f', MD5_HEX_LEN);
	}
	if (rc == 0 && total != UINT64_MAX && sum != total)
		abort();
	if (m.n > 0) {
		if (slo_manifests(&pl, m.n, "s", "n/slo/x", &lim, check_built,
		    &b, e) < 0)
			abort();
		/* Every part is listed once: the segments in the first level,
		 * each sub-manifest in the one above it; one PUT a
		 * sub-manifest, and the top. */
		if (b.entries != pl.n || b.n != pl.n - m.n + 1)
			abort();
	}
	slo_parts_free(&pl);
	slo_manifest_free(&m);
	(void)slo_bulk_report("c/o", (const char *)data, size, e);
	return 0;
}
