/*
 * swift-get: stream a Swift object to stdout, verified.  A plain object's
 * MD5 is checked against its ETag; a Static Large Object is read segment by
 * segment from its manifest (nested ones too), each segment fetched with
 * If-Match on the manifest's ETag and its MD5 checked as it streams.  A
 * dropped connection resumes with a Range request.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "cli.h"
#include "io.h"
#include "json.h"
#include "md5.h"
#include "opt.h"
#include "progress.h"
#include "swift.h"

#define MANIFEST_MAX	(64 * 1024 * 1024)
#define MAX_DEPTH	10	/* Swift's max_slo_recursion_depth */

static const char *prog = "swift-get";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: swift-get [-qv] [-c CONTAINER] [--retries N] [--insecure]\n"
	    "                 [--progress | --no-progress] OBJECT > data\n"
	    "       swift-get --meta [-qv] [-c CONTAINER] OBJECT\n");
}

enum { OPT_META = 256 };

/* Where the bytes go: MD5 of the current piece, stdout, the meter. */
struct out {
	struct md5		 md5;
	uint64_t		 piece;		/* bytes of the current piece */
	uint64_t		 total;		/* bytes written */
	struct io_fdsink	 fd;
	struct progress		*pr;
};

static int
out_sink(void *arg, const void *buf, size_t len, char *errstr)
{
	struct out *o = arg;

	md5_update(&o->md5, buf, len);
	if (io_sink_fd(&o->fd, buf, len, errstr) < 0)
		return -1;
	o->piece += len;
	o->total += len;
	progress_add(o->pr, len);
	return 0;
}

struct get {
	struct swift_ctx	*c;
	const char		*container;
	const char		*object;
	struct out		 out;
	size_t			 nseg;		/* leaf segments so far */
};

/* GETs container/name into the output, sending If-Match etag; returns 0
 * with resp filled (status judged by the caller) or -1. */
static int
fetch(struct get *g, const char *container, const char *name,
    const char *etag, struct swift_resp *resp, char *errstr)
{
	char ifmatch[SWIFT_ETAG_LEN + 16];
	const char *hdrs[2] = { ifmatch, NULL };
	struct swift_req r;

	snprintf(ifmatch, sizeof(ifmatch), "If-Match: \"%s\"", etag);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.container = container;
	r.object = name;
	r.headers = etag[0] != '\0' ? hdrs : NULL;
	r.sink = out_sink;
	r.sink_arg = &g->out;
	md5_init(&g->out.md5);
	g->out.piece = 0;
	return swift_request(g->c, &r, resp, errstr);
}

/* Splits a manifest entry's "/container/object" name. */
static int
split_name(const char *name, char **container, const char **object)
{
	const char *slash;

	if (name == NULL || name[0] != '/' ||
	    (slash = strchr(name + 1, '/')) == NULL || slash[1] == '\0')
		return -1;
	*container = strndup(name + 1, (size_t)(slash - name - 1));
	*object = slash + 1;
	return *container != NULL ? 0 : -1;
}

static int get_manifest(struct get *g, const char *container,
    const char *name, int depth, char *errstr);

/* Whether a manifest's hash is an MD5 in hex: it goes into If-Match, and
 * a manifest is anyone's JSON (a "\r\n" in it decodes to CR LF). */
static int
is_md5_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n == MD5_HEX_LEN && s[n] == '\0';
}

/* Streams one leaf segment and checks it against its manifest entry. */
static int
get_segment(struct get *g, const char *container, const char *name,
    const char *hash, uint64_t bytes, char *errstr)
{
	struct swift_resp resp;
	uint64_t off = g->out.total;
	size_t idx = g->nseg++;
	char got[MD5_HEX_LEN + 1];

	if (!is_md5_hex(hash))
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu: "
		    "the manifest's hash is not 32 hex digits", g->container,
		    g->object, idx, (unsigned long long)off);
	if (fetch(g, container, name, hash, &resp, errstr) < 0)
		return -1;
	free(resp.body);
	if (resp.status == 412)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu "
		    "(%s/%s) has changed since the manifest was written",
		    g->container, g->object, idx, (unsigned long long)off,
		    container, name);
	if (resp.status == 404)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu "
		    "(%s/%s) is missing", g->container, g->object, idx,
		    (unsigned long long)off, container, name);
	if (resp.status != 200)
		return errstr_set(errstr, "GET %s/%s: HTTP %ld", container,
		    name, resp.status);
	md5_final_hex(&g->out.md5, got);
	if (strcasecmp(got, hash) != 0)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu: "
		    "MD5 mismatch (expected %s, got %s)", g->container,
		    g->object, idx, (unsigned long long)off, hash, got);
	if (g->out.piece != bytes)
		return errstr_set(errstr, "%s/%s: segment %zu at offset %llu: "
		    "%llu bytes, the manifest says %llu", g->container,
		    g->object, idx, (unsigned long long)off,
		    (unsigned long long)g->out.piece,
		    (unsigned long long)bytes);
	return 0;
}

/* Streams every entry of a parsed manifest, in order. */
static int
get_entries(struct get *g, const struct json *list, int depth, char *errstr)
{
	const struct json *e, *sub;
	const char *name, *hash, *obj;
	char *cont;
	uint64_t bytes;
	int rc;

	if (list->type != JSON_ARRAY)
		return errstr_set(errstr, "%s/%s: the manifest is no list",
		    g->container, g->object);
	for (e = list->child; e != NULL; e = e->next) {
		name = json_get_str(e, "name");
		hash = json_get_str(e, "hash");
		sub = json_get(e, "sub_slo");
		if (split_name(name, &cont, &obj) < 0 || hash == NULL ||
		    json_get_u64(e, "bytes", &bytes) < 0)
			return errstr_set(errstr, "%s/%s: a manifest entry "
			    "without name, hash or bytes", g->container,
			    g->object);
		if (json_get(e, "range") != NULL)
			rc = errstr_set(errstr, "%s/%s: %s: segment ranges "
			    "are not supported", g->container, g->object,
			    name);
		else if (sub != NULL && sub->type == JSON_TRUE)
			rc = get_manifest(g, cont, obj, depth + 1, errstr);
		else
			rc = get_segment(g, cont, obj, hash, bytes, errstr);
		free(cont);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Reads a manifest (?multipart-manifest=get) and streams its entries. */
static int
get_manifest(struct get *g, const char *container, const char *name,
    int depth, char *errstr)
{
	struct swift_req r;
	struct swift_resp resp;
	struct json *j;
	char e[ERRSTR_LEN];
	int rc;

	if (depth > MAX_DEPTH)
		return errstr_set(errstr, "%s/%s: manifests nested more than "
		    "%d deep", g->container, g->object, MAX_DEPTH);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.container = container;
	r.object = name;
	r.query = "multipart-manifest=get";
	r.capture_max = MANIFEST_MAX;
	if (swift_request(g->c, &r, &resp, errstr) < 0)
		return -1;
	if (resp.status != 200) {
		free(resp.body);
		return errstr_set(errstr, "GET %s/%s?multipart-manifest=get: "
		    "HTTP %ld", container, name, resp.status);
	}
	j = json_parse(resp.body ? resp.body : "", resp.body_len, e);
	free(resp.body);
	if (j == NULL)
		return errstr_set(errstr, "%s/%s: manifest: %s", container,
		    name, e);
	rc = get_entries(g, j, depth, errstr);
	json_free(j);
	return rc;
}

/* Streams a plain object and checks its MD5 against the ETag. */
static int
get_plain(struct get *g, const char *etag, char *errstr)
{
	struct swift_resp resp;
	char got[MD5_HEX_LEN + 1];

	if (fetch(g, g->container, g->object, etag, &resp, errstr) < 0)
		return -1;
	free(resp.body);
	if (resp.status == 412)
		return errstr_set(errstr, "%s/%s: changed while being read",
		    g->container, g->object);
	if (resp.status == 404)
		return errstr_set(errstr, "%s/%s: not found", g->container,
		    g->object);
	if (resp.status != 200)
		return errstr_set(errstr, "GET %s/%s: HTTP %ld", g->container,
		    g->object, resp.status);
	md5_final_hex(&g->out.md5, got);
	if (strcmp(got, etag) != 0)
		return errstr_set(errstr, "%s/%s: MD5 mismatch at offset 0 "
		    "(expected %s, got %s)", g->container, g->object, etag,
		    got);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		SWIFT_LONGOPTS,
		CMD_LONGOPTS,
		{ "meta", no_argument, NULL, OPT_META },
		{ NULL, 0, NULL, 0 }
	};
	struct swift_cli o;
	struct swift_req r;
	struct swift_resp head;
	struct progress pr;
	struct get g;
	char e[ERRSTR_LEN];
	int c, rc, meta = 0;

	memset(&g, 0, sizeof(g));
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
		case OPT_META:
			meta = 1;
			break;
		default:
			cmd_other_option(c);
		}
	}
	if (optind == argc)
		usage_error("no OBJECT named");
	if (optind + 1 < argc)
		usage_error("unexpected argument '%s'", argv[optind + 1]);
	g.container = o.container;
	g.object = argv[optind];
	if (*g.object == '\0')
		usage_error("empty OBJECT name");
	if (!meta && cli_binary_out(STDOUT_FILENO, e) < 0)
		errx(1, "%s", e);
	o.so.log_prog = o.co.verbose ? prog : NULL;
	if (!o.co.quiet)
		o.so.warn = cmd_warn;
	if ((g.c = swift_new(&o.so, e)) == NULL)
		errx(1, "%s", e);

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	r.container = g.container;
	r.object = g.object;
	if (swift_request(g.c, &r, &head, e) < 0)
		errx(1, "%s", e);
	if (head.status == 404)
		errx(1, "%s/%s: not found", g.container, g.object);
	if (head.status != 200)
		errx(1, "HEAD %s/%s: HTTP %ld", g.container, g.object,
		    head.status);
	if (meta) {
		swift_free(g.c);
		/* What a listing of backups needs without the bytes. */
		printf("bytes=%llu\nlast-modified=%s\n%s",
		    (unsigned long long)head.length, head.last_modified,
		    head.meta);
		if (fclose(stdout) == EOF)
			err(1, "write <stdout>");
		return 0;
	}

	g.out.fd.fd = STDOUT_FILENO;
	g.out.fd.name = "<stdout>";
	g.out.pr = &pr;
	progress_init(&pr, prog, cli_out_progress(&o.co),
	    head.length);
	if (head.slo)
		rc = get_manifest(&g, g.container, g.object, 0, e);
	else if (head.dlo) {
		/* A dynamic large object's ETag covers its segments' ETags,
		 * not the bytes: nothing to check them against. */
		if (!o.co.quiet)
			warnx("%s/%s: a dynamic large object: its bytes are "
			    "not verified", g.container, g.object);
		rc = fetch(&g, g.container, g.object, "", &head, e);
		if (rc == 0 && head.status != 200)
			rc = errstr_set(e, "GET %s/%s: HTTP %ld", g.container,
			    g.object, head.status);
	} else
		rc = get_plain(&g, head.etag, e);
	progress_end(&pr);
	if (rc == 0 && g.out.total != head.length)
		rc = errstr_set(e, "%s/%s: %llu bytes read, %llu expected",
		    g.container, g.object, (unsigned long long)g.out.total,
		    (unsigned long long)head.length);
	swift_free(g.c);
	if (rc < 0)
		errx(1, "%s", e);
	if (close(STDOUT_FILENO) < 0)
		err(1, "close <stdout>");
	if (o.co.verbose) {
		char b[32];

		progress_fmt_bytes(b, sizeof(b), g.out.total);
		fprintf(stderr, "%s: %s/%s: %s verified%s\n", prog,
		    g.container, g.object, b, head.slo ? " segment by segment" :
		    head.dlo ? " (not: dynamic large object)" : "");
	}
	return 0;
}
