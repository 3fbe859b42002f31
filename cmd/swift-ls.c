/*
 * swift-ls: list a container's objects, one name a line, in Swift's order
 * (byte order of the UTF-8 names), through every page of the listing.
 */
#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "swiftcmd.h"
#include "cli.h"
#include "json.h"
#include "opt.h"
#include "swift.h"

#define PAGE_MAX	(64 * 1024 * 1024)

static const char *prog = "swift-ls";

static void
usage(FILE *f)
{
	fprintf(f, "usage: swift-ls [-lv] [-c CONTAINER] [--retries N] "
	    "[--insecure] [PREFIX]\n");
}

/* Prints one listing entry; returns 0, or -1 when it has no name. */
static int
print_entry(const struct json *e, int longfmt)
{
	const char *name = json_get_str(e, "name");
	const char *mod = json_get_str(e, "last_modified");
	uint64_t bytes = 0;

	if (name == NULL)
		return -1;
	if (longfmt) {
		/* "2026-11-25T12:00:00.123456" as "2026-11-25 12:00:00". */
		char t[20] = "-";

		if (mod != NULL && strlen(mod) >= 19) {
			memcpy(t, mod, 19);
			t[10] = ' ';
			t[19] = '\0';
		}
		json_get_u64(e, "bytes", &bytes);
		printf("%12llu  %s  %s\n", (unsigned long long)bytes, t, name);
	} else
		printf("%s\n", name);
	return 0;
}

int
main(int argc, char *argv[])
{
	int c, longfmt = 0, more = 1;
	const struct cmd_opt rows[] = {
		CMD_SET(swift_set),
		CMD_FLAG("long", 'l', &longfmt),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	const char *container, *prefix = NULL;
	const struct json *k, *last;
	struct cmd_getopt g;
	struct swift_cli o;
	struct swift_ctx *sc;
	struct swift_req r;
	struct swift_resp resp;
	struct json *j;
	char e[ERRSTR_LEN], *marker = NULL, *eprefix = NULL, *query = NULL;

	swiftcmd_init(&o);
	cmd_getopt_init(&g, rows, NULL);
	while ((c = swiftcmd_option(argc, argv, &g, &o)) != -1)
		cmd_other_option(c);
	if (optind < argc)
		prefix = argv[optind++];
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	container = o.container;
	sc = swiftcmd_connect(&o);
	if (prefix != NULL && (eprefix = swift_urlencode(prefix, 0)) == NULL)
		err(1, "memory");
	while (more) {
		char *emarker = marker ? swift_urlencode(marker, 0) : NULL;

		free(query);
		if ((marker != NULL && emarker == NULL) ||
		    asprintf(&query, "format=json%s%s%s%s",
		    eprefix ? "&prefix=" : "", eprefix ? eprefix : "",
		    emarker ? "&marker=" : "", emarker ? emarker : "") < 0)
			err(1, "memory");
		free(emarker);
		memset(&r, 0, sizeof(r));
		r.method = "GET";
		r.container = container;
		r.query = query;
		r.capture_max = PAGE_MAX;
		if (swift_request(sc, &r, &resp, e) < 0)
			errx(1, "%s", e);
		if (resp.status == 404)
			errx(1, "%s: container not found", container);
		if (resp.status == 204) {
			free(resp.body);
			break;
		}
		if (resp.status != 200)
			errx(1, "GET %s: HTTP %ld", container, resp.status);
		j = json_parse(resp.body ? resp.body : "", resp.body_len, e);
		free(resp.body);
		if (j == NULL || j->type != JSON_ARRAY)
			errx(1, "GET %s: listing: %s", container,
			    j == NULL ? e : "not a list");
		last = NULL;
		for (k = j->child; k != NULL; k = k->next) {
			if (print_entry(k, longfmt) < 0)
				errx(1, "GET %s: listing: an entry without a "
				    "name", container);
			last = k;
		}
		/* Pages are as long as the cluster's container_listing_limit;
		 * only an empty one ends the listing. */
		more = last != NULL;
		free(marker);
		marker = last ? strdup(json_get_str(last, "name")) : NULL;
		if (last != NULL && marker == NULL)
			err(1, "memory");
		json_free(j);
	}
	free(marker);
	free(eprefix);
	free(query);
	swift_free(sc);
	if (fclose(stdout) != 0)
		err(1, "write <stdout>");
	return 0;
}
