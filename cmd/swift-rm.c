/*
 * swift-rm: delete objects; a Static Large Object goes with its segments
 * (?multipart-manifest=delete).  A name that is not there is reported and
 * the others are still deleted.
 */
#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cli.h"
#include "json.h"
#include "opt.h"
#include "swift.h"

static const char *prog = "swift-rm";

static void
usage(FILE *f)
{
	fprintf(f, "usage: swift-rm [-qv] [-c CONTAINER] [--retries N] "
	    "[--insecure] OBJECT...\n");
}

/* Judges the bulk-delete report of ?multipart-manifest=delete, which
 * answers 200 whatever happened and tells the truth in its body. */
static int
bulk_report(const char *name, const struct swift_resp *resp, char *errstr)
{
	const struct json *errs;
	const char *status;
	struct json *j;
	char e[ERRSTR_LEN];
	uint64_t found = 0;
	int rc = 0;

	j = json_parse(resp->body ? resp->body : "", resp->body_len, e);
	if (j == NULL)
		return errstr_set(errstr, "DELETE %s: report: %s", name, e);
	status = json_get_str(j, "Response Status");
	errs = json_get(j, "Errors");
	json_get_u64(j, "Number Deleted", &found);
	if (status == NULL || (strncmp(status, "200", 3) != 0 &&
	    strncmp(status, "204", 3) != 0)) {
		const struct json *first = errs && errs->child ?
		    errs->child : NULL;
		const struct json *why = first && first->child &&
		    first->child->next ? first->child->next : NULL;

		rc = errstr_set(errstr, "DELETE %s: %s%s%s", name,
		    status ? status : "no status in the report",
		    why && why->type == JSON_STRING ? ": " : "",
		    why && why->type == JSON_STRING ? why->str : "");
	}
	json_free(j);
	return rc;
}

/* Deletes one object; returns 0, 1 when it is not there, or -1. */
static int
rm_one(struct swift_ctx *sc, const char *container, const char *object,
    char *errstr)
{
	const char *accept[2] = { "Accept: application/json", NULL };
	struct swift_req r;
	struct swift_resp resp;
	int slo, rc;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	r.container = container;
	r.object = object;
	if (swift_request(sc, &r, &resp, errstr) < 0)
		return -1;
	if (resp.status == 404)
		return 1;
	if (resp.status != 200)
		return errstr_set(errstr, "HEAD %s/%s: HTTP %ld", container,
		    object, resp.status);
	slo = resp.slo;
	r.method = "DELETE";
	if (slo) {
		r.query = "multipart-manifest=delete";
		r.headers = accept;
		r.capture_max = 16 * 1024 * 1024;
	}
	if (swift_request(sc, &r, &resp, errstr) < 0)
		return -1;
	/* A retry after a lost reply finds it already gone. */
	if (resp.status == 404)
		rc = resp.tries > 1 ? 0 : 1;
	else if (resp.status == 200 && slo) {
		char name[2048];

		snprintf(name, sizeof(name), "%s/%s", container, object);
		rc = bulk_report(name, &resp, errstr);
	} else if (resp.status == 204 || resp.status == 200)
		rc = 0;
	else
		rc = errstr_set(errstr, "DELETE %s/%s: HTTP %ld", container,
		    object, resp.status);
	free(resp.body);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		SWIFT_LONGOPTS,
		CMD_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *container;
	struct swift_cli o;
	struct swift_ctx *sc;
	char e[ERRSTR_LEN];
	int c, i, failed = 0, rc;

	swift_cli_init(&o);
	if (cli_init(e) < 0)
		errx(1, "%s", e);
	while ((c = getopt_long(argc, argv, SWIFT_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if ((rc = swift_cli_option(&o, c, optarg, e)) < 0)
			usage_error("%s", e);
		if (rc > 0)
			continue;
		switch (c) {
		default:
			cmd_other_option(c);
		}
	}
	if (optind == argc)
		usage_error("no OBJECT named");
	for (i = optind; i < argc; i++)
		if (*argv[i] == '\0')
			usage_error("empty OBJECT name");
	container = o.container;
	o.so.log_prog = o.co.verbose ? prog : NULL;
	if (!o.co.quiet)
		o.so.warn = cmd_warn;
	if ((sc = swift_new(&o.so, e)) == NULL)
		errx(1, "%s", e);
	for (i = optind; i < argc; i++) {
		rc = rm_one(sc, container, argv[i], e);
		if (rc == 1)
			warnx("%s/%s: not found", container, argv[i]);
		else if (rc < 0)
			warnx("%s", e);
		else if (o.co.verbose)
			fprintf(stderr, "%s: deleted %s/%s\n", prog, container,
			    argv[i]);
		if (rc != 0)
			failed = 1;
	}
	swift_free(sc);
	return failed;
}
