/*
 * A container's listing, page after page: what swift-ls prints and what
 * aof-fetch reads an archive from.  See swift_list in swift.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "swift.h"

#define PAGE_MAX	(64 * 1024 * 1024)

/* The query of one page: format=json, then the prefix and the marker
 * (each already encoded, or NULL); returns malloc'd text or NULL. */
static char *
page_query(const char *eprefix, const char *marker)
{
	char *emarker = NULL, *q = NULL;

	if (marker != NULL && (emarker = swift_urlencode(marker, 0)) == NULL)
		return NULL;
	if (asprintf(&q, "format=json%s%s%s%s", eprefix ? "&prefix=" : "",
	    eprefix ? eprefix : "", emarker ? "&marker=" : "",
	    emarker ? emarker : "") < 0)
		q = NULL;
	free(emarker);
	return q;
}

/* Fetches one page after marker (NULL: the first) and parses it into *jp
 * (NULL for an empty page); returns 0 or -1. */
static int
page_get(struct swift_ctx *c, const char *container, const char *eprefix,
    const char *marker, struct json **jp, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;
	struct json *j;
	char e[ERRSTR_LEN], *query;
	int rc;

	*jp = NULL;
	if ((query = page_query(eprefix, marker)) == NULL)
		return errstr_sys(errstr, "memory");
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.container = container;
	r.query = query;
	r.capture_max = PAGE_MAX;
	rc = swift_request(c, &r, &resp, errstr);
	free(query);
	if (rc < 0)
		return -1;
	if (resp.status != 200) {
		free(resp.body);
		if (resp.status == 204)		/* an empty container */
			return 0;
		if (resp.status == 404)
			return errstr_set(errstr, "%s: container not found",
			    container);
		return errstr_set(errstr, "GET %s: HTTP %ld", container,
		    resp.status);
	}
	j = json_parse(resp.body ? resp.body : "", resp.body_len, e);
	free(resp.body);
	if (j == NULL || j->type != JSON_ARRAY) {
		rc = errstr_set(errstr, "GET %s: listing: %s", container,
		    j == NULL ? e : "not a list");
		json_free(j);
		return rc;
	}
	*jp = j;
	return 0;
}

int
swift_list(struct swift_ctx *c, const char *container, const char *prefix,
    swift_list_fn fn, void *arg, char *errstr)
{
	struct swift_entry ent;
	const struct json *k;
	struct json *j;
	char *eprefix = NULL, *marker = NULL;
	int rc = 0;

	if (prefix != NULL && (eprefix = swift_urlencode(prefix, 0)) == NULL)
		return errstr_sys(errstr, "memory");
	for (;;) {
		if ((rc = page_get(c, container, eprefix, marker, &j,
		    errstr)) < 0 || j == NULL || j->child == NULL) {
			json_free(j);
			break;
		}
		for (k = j->child; k != NULL && rc == 0; k = k->next) {
			memset(&ent, 0, sizeof(ent));
			ent.name = json_get_str(k, "name");
			ent.last_modified = json_get_str(k, "last_modified");
			json_get_u64(k, "bytes", &ent.bytes);
			if (ent.name == NULL)
				rc = errstr_set(errstr, "GET %s: listing: an "
				    "entry without a name", container);
			else
				rc = fn(arg, &ent, errstr);
			/* Pages are as long as the cluster's
			 * container_listing_limit; only an empty one ends
			 * the listing. */
			if (rc == 0 && k->next == NULL) {
				free(marker);
				if ((marker = strdup(ent.name)) == NULL)
					rc = errstr_sys(errstr, "memory");
			}
		}
		json_free(j);
		if (rc < 0)
			break;
	}
	free(marker);
	free(eprefix);
	return rc;
}
