/* common/archive: the archive's names, and the chains a listing makes. */
#include <stdio.h>
#include <string.h>

#include "archive.h"
#include "tap.h"

#define P	"redis/db1"
#define R1	"0123456789abcdef0123456789abcdef01234567"
#define R2	"fedcba9876543210fedcba9876543210fedcba98"

/* 2026-12-02T06:00:00Z */
#define T0	((time_t)1796191200)

static char names[32][256];
static const char *list[32];
static size_t nlist;

static void
add_base(const char *replid, uint64_t off, time_t t)
{
	if (archive_base_name(names[nlist], sizeof(names[0]), P, replid, off,
	    t, "zst.age") < 0)
		abort();
	list[nlist] = names[nlist];
	nlist++;
}

static void
add_chunk(const char *replid, uint64_t start, uint64_t end, time_t t0,
    time_t t1)
{
	if (archive_chunk_name(names[nlist], sizeof(names[0]), P, replid,
	    start, end, t0, t1, "zst.age") < 0)
		abort();
	list[nlist] = names[nlist];
	nlist++;
}

static void
test_names(void)
{
	char buf[256], err[ERRSTR_LEN], iso[ARCHIVE_ISO_LEN + 1];
	struct archive_obj o;
	time_t t;

	ok(archive_base_name(buf, sizeof(buf), P, R1, 42, T0, "zst.age") == 0 &&
	    strcmp(buf, P "/archive/" R1 "/00000000000000000042.base."
	    "20261202T060000Z.rdb.zst.age") == 0, "base name: %s", buf);
	ok(archive_chunk_name(buf, sizeof(buf), P, R1, 43, 1000, T0, T0 + 61,
	    "xz") == 0 && strcmp(buf, P "/archive/" R1 "/00000000000000000043-"
	    "00000000000000001000.20261202T060000Z-20261202T060101Z.aof.xz")
	    == 0, "chunk name: %s", buf);
	ok(archive_parse(P, buf, &o, err) == 0 && o.kind == ARCHIVE_CHUNK &&
	    o.start == 43 && o.end == 1000 && o.open == T0 &&
	    o.close == T0 + 61 && strcmp(o.ext, "xz") == 0 &&
	    strcmp(o.replid, R1) == 0, "a chunk name reads back");
	ok(archive_chunk_name(buf, sizeof(buf), P, R1, 44, 43, T0, T0, "zst")
	    == -1, "a chunk ending before it starts has no name");
	ok(archive_base_name(buf, sizeof(buf), P, "ABC", 1, T0, "zst") == -1,
	    "a replid that is not 40 hex digits has no name");
	ok(archive_base_name(buf, 20, P, R1, 1, T0, "zst") == -1,
	    "a name that does not fit is refused");
	ok(archive_parse(P, P "/2026-12-01/dump.rdb.zst.age", &o, err) == 1,
	    "a backup beside the archive is not ours");
	ok(archive_parse(P, P "/archive/" R1 "/notes.txt", &o, err) == 1,
	    "a stray file in the archive is not ours");
	ok(archive_parse(P, P "/archive/" R1 "/00000000000000000043-"
	    "00000000000000001000.20261302T060000Z-20261202T060101Z.aof.zst",
	    &o, err) == -1 && strstr(err, ": bad chunk times") != NULL,
	    "month 13 in a chunk's name: %s", err);
	ok(archive_parse(P, P "/archive/" R1 "/00000000000000000043-"
	    "00000000000000001000.20261202T060101Z-20261202T060000Z.aof.zst",
	    &o, err) == -1 && strstr(err, ": its range runs backwards") !=
	    NULL, "a chunk closing before it opened: %s", err);
	ok(archive_parse(P, P "/archive/" R1 "/00000000000000000042.base."
	    "20261202T060000Z.rdb.../x", &o, err) == 1,
	    "an extension with a slash is not ours");
	ok(archive_iso_parse("2026-12-02T06:00:00Z", &t, err) == 0 && t == T0,
	    "an ISO time reads");
	archive_iso(T0 + 3661, iso);
	ok(strcmp(iso, "2026-12-02T07:01:01Z") == 0, "an ISO time writes: %s",
	    iso);
	ok(archive_iso_parse("2026-02-31T06:00:00Z", &t, err) == -1 &&
	    strcmp(err, "bad time '2026-02-31T06:00:00Z': want "
	    "YYYY-MM-DDTHH:MM:SSZ") == 0, "the 31st of February: %s", err);
	ok(archive_iso_parse("2026-12-02 06:00:00", &t, err) == -1,
	    "a time without T and Z is refused");
	ok(archive_iso_parse("2026-12-02T6:00:00Z", &t, err) == -1,
	    "a time with a short hour is refused");
}

static void
test_chains(void)
{
	struct archive_index ix;
	const struct archive_base *b;
	char err[ERRSTR_LEN];
	size_t n;

	nlist = 0;
	/* Listed out of order: a base R1 at 100 with chunks 101-200,
	 * 201-300 (and a shorter duplicate 201-250), a hole at 301, then
	 * 401-500; a newer base R2 at 1000 with 1001-1100. */
	add_chunk(R1, 401, 500, T0 + 300, T0 + 360);
	add_chunk(R1, 201, 300, T0 + 120, T0 + 180);
	add_base(R2, 1000, T0 + 600);
	add_chunk(R1, 101, 200, T0 + 60, T0 + 120);
	add_base(R1, 100, T0 + 60);
	add_chunk(R1, 201, 250, T0 + 120, T0 + 150);
	add_chunk(R2, 1001, 1100, T0 + 600, T0 + 660);
	list[nlist++] = P "/archive/README";
	ok(archive_index_build(P, list, nlist, &ix, err) == 0 && ix.n == 2 &&
	    ix.ignored == 1, "two bases, one name ignored");
	b = &ix.v[0];
	ok(b->base.start == 100 && b->nchain == 2 && b->chain[0].start ==
	    101 && b->chain[1].end == 300 && b->gap == 301 && b->shipped == 500
	    && b->last == T0 + 179, "R1's chain stops at the hole at 301");
	ok(archive_newest(&ix) == &ix.v[1] && ix.v[1].shipped == 1100,
	    "the newest base resumes after 1100");
	ok(archive_plan(&ix, P, T0 + 150, &b, &n, err) == 0 && b == &ix.v[0] &&
	    n == 2, "a time inside R1's chain needs both chunks");
	ok(archive_plan(&ix, P, T0 + 60, &b, &n, err) == 0 && b == &ix.v[0] &&
	    n == 1, "the base's own second needs its first chunk");
	ok(archive_plan(&ix, P, T0 + 300, &b, &n, err) == -1 &&
	    strcmp(err, P "/archive/" R1 ": no chunk starts at offset 301 "
	    "(chain ends at 2026-12-02T06:02:59Z); cannot restore to "
	    "2026-12-02T06:05:00Z") == 0, "past the hole: %s", err);
	ok(archive_plan(&ix, P, T0 + 620, &b, &n, err) == 0 && b == &ix.v[1] &&
	    n == 1, "a time in the new base's window");
	ok(archive_plan(&ix, P, T0 + 660, &b, &n, err) == -1 &&
	    strcmp(err, P "/archive/" R2 ": the archive ends at "
	    "2026-12-02T06:10:59Z; cannot restore to 2026-12-02T06:11:00Z") ==
	    0, "past the end: %s", err);
	ok(archive_plan(&ix, P, T0, &b, &n, err) == -1 &&
	    strcmp(err, P "/archive: no base at or before "
	    "2026-12-02T06:00:00Z; cannot restore to it") == 0,
	    "before the first base: %s", err);
	archive_index_free(&ix);

	nlist = 0;
	add_chunk(R1, 101, 200, T0, T0 + 60);
	ok(archive_index_build(P, list, nlist, &ix, err) == 0 && ix.n == 0 &&
	    archive_newest(&ix) == NULL, "chunks without their base: no base");
	archive_index_free(&ix);
	list[0] = P "/archive/" R1 "/00000000000000000001-"
	    "00000000000000000000.20261202T060000Z-20261202T060000Z.aof.zst";
	ok(archive_index_build(P, list, 1, &ix, err) == -1 &&
	    strstr(err, ": its range runs backwards") != NULL,
	    "a listing with a bad name is refused: %s", err);
}

int
main(void)
{
	test_names();
	test_chains();
	return tap_done();
}
