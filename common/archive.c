/* The continuous archive's names and chains: see archive.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"

#define OFF_DIGITS	20

void
archive_stamp(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, ARCHIVE_STAMP_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

void
archive_iso(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, ARCHIVE_ISO_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads s against fmt (strptime's) to its very end as UTC; returns 0 or
 * -1.  The round trip through timegm and gmtime_r refuses what strptime
 * lets through (a 31st of February, an hour 24). */
static int
utc_parse(const char *s, const char *fmt, size_t len, time_t *t)
{
	struct tm tm, want, back;
	const char *end;

	if (strlen(s) != len)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, fmt, &tm)) == NULL || *end != '\0')
		return -1;
	want = tm;	/* timegm normalizes its argument */
	*t = timegm(&tm);
	gmtime_r(t, &back);
	if (back.tm_year != want.tm_year || back.tm_mon != want.tm_mon ||
	    back.tm_mday != want.tm_mday || back.tm_hour != want.tm_hour ||
	    back.tm_min != want.tm_min || back.tm_sec != want.tm_sec)
		return -1;
	return 0;
}

/* Whether s holds only digits at the places fmt's digits go: strptime
 * skips spaces and takes signs, which a name must not hold. */
static int
digits_at(const char *s, const char *shape)
{
	for (; *shape != '\0'; s++, shape++) {
		if (*s == '\0')
			return 0;
		if (*shape == '9' ? (*s < '0' || *s > '9') : *s != *shape)
			return 0;
	}
	return *s == '\0';
}

int
archive_iso_parse(const char *s, time_t *t, char *errstr)
{
	if (!digits_at(s, "9999-99-99T99:99:99Z") ||
	    utc_parse(s, "%Y-%m-%dT%H:%M:%SZ", ARCHIVE_ISO_LEN, t) < 0)
		return errstr_set(errstr, "bad time '%.40s': want "
		    "YYYY-MM-DDTHH:MM:SSZ", s);
	return 0;
}

static int
stamp_parse(const char *s, time_t *t)
{
	if (!digits_at(s, "99999999T999999Z"))
		return -1;
	return utc_parse(s, "%Y%m%dT%H%M%SZ", ARCHIVE_STAMP_LEN, t);
}

int
archive_replid_ok(const char *s)
{
	size_t i;

	for (i = 0; i < ARCHIVE_REPLID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* An extension: one or two dot-separated words of lower-case letters. */
static int
ext_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= ARCHIVE_EXT_MAX || s[0] == '.' || s[n - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '.'))
			return 0;
	return 1;
}

int
archive_base_name(char *out, size_t len, const char *prefix,
    const char *replid, uint64_t offset, time_t t, const char *ext)
{
	char ts[ARCHIVE_STAMP_LEN + 1];
	int n;

	if (!archive_replid_ok(replid) || !ext_ok(ext))
		return -1;
	archive_stamp(t, ts);
	n = snprintf(out, len, "%s/archive/%s/%0*" PRIu64 ".base.%s.rdb.%s",
	    prefix, replid, OFF_DIGITS, offset, ts, ext);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
archive_chunk_name(char *out, size_t len, const char *prefix,
    const char *replid, uint64_t start, uint64_t end, time_t open,
    time_t close, const char *ext)
{
	char t0[ARCHIVE_STAMP_LEN + 1], t1[ARCHIVE_STAMP_LEN + 1];
	int n;

	if (!archive_replid_ok(replid) || !ext_ok(ext) || start > end ||
	    open > close)
		return -1;
	archive_stamp(open, t0);
	archive_stamp(close, t1);
	n = snprintf(out, len, "%s/archive/%s/%0*" PRIu64 "-%0*" PRIu64
	    ".%s-%s.aof.%s", prefix, replid, OFF_DIGITS, start, OFF_DIGITS,
	    end, t0, t1, ext);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Reads OFF_DIGITS digits at s into *v; returns 0 or -1. */
static int
offset_parse(const char *s, uint64_t *v)
{
	char buf[OFF_DIGITS + 1], *end;
	int i;

	for (i = 0; i < OFF_DIGITS; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		buf[i] = s[i];
	}
	buf[i] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* Reads a time stamp at s (exactly ARCHIVE_STAMP_LEN characters). */
static int
stamp_at(const char *s, time_t *t)
{
	char buf[ARCHIVE_STAMP_LEN + 1];

	if (strnlen(s, ARCHIVE_STAMP_LEN) < ARCHIVE_STAMP_LEN)
		return -1;
	memcpy(buf, s, ARCHIVE_STAMP_LEN);
	buf[ARCHIVE_STAMP_LEN] = '\0';
	return stamp_parse(buf, t);
}

/* The part of a name after the replid: a base or a chunk.  Returns 0, 1
 * when it is not shaped like ours, -1 when it is and is wrong. */
static int
leaf_parse(const char *s, struct archive_obj *o, char *errstr)
{
	const char *p = s + OFF_DIGITS;

	if (offset_parse(s, &o->start) < 0)
		return 1;
	if (strncmp(p, ".base.", 6) == 0) {
		o->kind = ARCHIVE_BASE;
		o->end = o->start;
		p += 6;
		if (stamp_at(p, &o->open) < 0)
			return errstr_set(errstr, "%s: bad base time", o->name);
		o->close = o->open;
		p += ARCHIVE_STAMP_LEN;
		if (strncmp(p, ".rdb.", 5) != 0)
			return 1;
		p += 5;
	} else if (*p == '-') {
		o->kind = ARCHIVE_CHUNK;
		if (offset_parse(p + 1, &o->end) < 0 ||
		    p[1 + OFF_DIGITS] != '.')
			return 1;
		p += 2 + OFF_DIGITS;
		if (stamp_at(p, &o->open) < 0 ||
		    p[ARCHIVE_STAMP_LEN] != '-' ||
		    stamp_at(p + ARCHIVE_STAMP_LEN + 1, &o->close) < 0)
			return errstr_set(errstr, "%s: bad chunk times",
			    o->name);
		p += 2 * ARCHIVE_STAMP_LEN + 1;
		if (strncmp(p, ".aof.", 5) != 0)
			return 1;
		p += 5;
		if (o->start > o->end || o->open > o->close)
			return errstr_set(errstr, "%s: its range runs "
			    "backwards", o->name);
	} else
		return 1;
	if (!ext_ok(p))
		return 1;
	memcpy(o->ext, p, strlen(p) + 1);
	return 0;
}

int
archive_parse(const char *prefix, const char *name, struct archive_obj *o,
    char *errstr)
{
	size_t plen = strlen(prefix);
	const char *p;

	memset(o, 0, sizeof(*o));
	o->name = name;
	if (strncmp(name, prefix, plen) != 0 ||
	    strncmp(name + plen, "/archive/", 9) != 0)
		return 1;
	p = name + plen + 9;
	if (strnlen(p, ARCHIVE_REPLID_LEN + 1) <= ARCHIVE_REPLID_LEN ||
	    p[ARCHIVE_REPLID_LEN] != '/')
		return 1;
	memcpy(o->replid, p, ARCHIVE_REPLID_LEN);
	o->replid[ARCHIVE_REPLID_LEN] = '\0';
	if (!archive_replid_ok(o->replid))
		return 1;
	return leaf_parse(p + ARCHIVE_REPLID_LEN + 1, o, errstr);
}

/* Orders objects by replid, then START, then kind (a base before a chunk
 * at the same offset cannot happen: a chunk starts at OFFSET + 1), then
 * END, longest last. */
static int
obj_cmp(const void *a, const void *b)
{
	const struct archive_obj *x = a, *y = b;
	int c = strcmp(x->replid, y->replid);

	if (c != 0)
		return c;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind == ARCHIVE_BASE ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

static int
base_cmp(const void *a, const void *b)
{
	const struct archive_base *x = a, *y = b;

	if (x->base.open != y->base.open)
		return x->base.open < y->base.open ? -1 : 1;
	if (x->base.start != y->base.start)
		return x->base.start < y->base.start ? -1 : 1;
	return strcmp(x->base.replid, y->base.replid);
}

/* Walks the chunks objs[from..to) of one base (sorted) into its chain:
 * from the base's OFFSET + 1, each next chunk the one starting right after
 * the last, the longest of several; what is left past a hole sets gap. */
static void
chain_walk(struct archive_base *b, struct archive_obj *objs, size_t from,
    size_t to)
{
	uint64_t next = b->base.start + 1;
	size_t i;

	b->chain = objs + from;
	b->shipped = b->base.start;
	for (i = from; i < to; i++)
		if (objs[i].end > b->shipped)
			b->shipped = objs[i].end;
	/* Keep only the chain at the front of the run: chunk i joins when it
	 * starts at next; a longer chunk at the same start replaces the
	 * shorter one (the sort put it after). */
	for (i = from; i < to; i++) {
		if (objs[i].start != next && !(b->nchain > 0 &&
		    objs[i].start == b->chain[b->nchain - 1].start))
			break;
		if (b->nchain > 0 && objs[i].start ==
		    b->chain[b->nchain - 1].start)
			b->nchain--;
		b->chain[b->nchain++] = objs[i];
		next = objs[i].end + 1;
	}
	for (; i < to; i++)
		if (objs[i].start >= next) {
			b->gap = next;
			break;
		}
	/* A second is covered once a chunk closed after it: what arrived
	 * during the chunk's last second may go on in the next one. */
	b->last = b->nchain > 0 ? b->chain[b->nchain - 1].close - 1 :
	    b->base.open - 1;
}

int
archive_index_build(const char *prefix, const char *const *names, size_t n,
    struct archive_index *ix, char *errstr)
{
	struct archive_obj *objs;
	size_t i, k = 0, nb = 0, j;
	int rc;

	memset(ix, 0, sizeof(*ix));
	if ((objs = calloc(n + 1, sizeof(*objs))) == NULL)
		return errstr_sys(errstr, "archive index");
	for (i = 0; i < n; i++) {
		rc = archive_parse(prefix, names[i], &objs[k], errstr);
		if (rc < 0) {
			free(objs);
			return -1;
		}
		if (rc == 1) {
			if (strncmp(names[i], prefix, strlen(prefix)) == 0)
				ix->ignored++;
			continue;
		}
		if (objs[k].kind == ARCHIVE_BASE)
			nb++;
		k++;
	}
	qsort(objs, k, sizeof(*objs), obj_cmp);
	if ((ix->v = calloc(nb + 1, sizeof(*ix->v))) == NULL) {
		free(objs);
		return errstr_sys(errstr, "archive index");
	}
	/* Chunks before the first base of their directory belong to a base
	 * that is gone: they cannot be restored and are left out. */
	for (i = 0; i < k; i = j) {
		if (objs[i].kind != ARCHIVE_BASE) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < k && objs[j].kind == ARCHIVE_CHUNK &&
		    strcmp(objs[j].replid, objs[i].replid) == 0; j++)
			;
		ix->v[ix->n].base = objs[i];
		chain_walk(&ix->v[ix->n], objs, i + 1, j);
		ix->n++;
	}
	/* The chains point into objs, which the index keeps. */
	qsort(ix->v, ix->n, sizeof(*ix->v), base_cmp);
	ix->objs = objs;
	return 0;
}

void
archive_index_free(struct archive_index *ix)
{
	free(ix->v);
	free(ix->objs);
	memset(ix, 0, sizeof(*ix));
}

const struct archive_base *
archive_newest(const struct archive_index *ix)
{
	return ix->n == 0 ? NULL : &ix->v[ix->n - 1];
}

int
archive_plan(const struct archive_index *ix, const char *prefix, time_t t,
    const struct archive_base **bp, size_t *nchunks, char *errstr)
{
	char want[ARCHIVE_ISO_LEN + 1], end[ARCHIVE_ISO_LEN + 1];
	const struct archive_base *b, *newest = NULL;
	size_t i, k;

	archive_iso(t, want);
	/* Newest first: the shortest replay.  An older base whose chain
	 * reaches t serves when the newer one's does not. */
	for (i = ix->n; i-- > 0;) {
		b = &ix->v[i];
		if (b->base.open > t)
			continue;
		if (newest == NULL)
			newest = b;
		if (b->last < t)
			continue;
		/* Every chunk that opened by t: one that closed in t's
		 * second may be followed by more of it. */
		for (k = 0; k < b->nchain && b->chain[k].open <= t; k++)
			;
		*bp = b;
		*nchunks = k;
		return 0;
	}
	if (newest == NULL)
		return errstr_set(errstr, "%s/archive: no base at or before "
		    "%s; cannot restore to it", prefix, want);
	archive_iso(newest->last, end);
	if (newest->gap != 0)
		return errstr_set(errstr, "%s/archive/%s: no chunk starts at "
		    "offset %" PRIu64 " (chain ends at %s); cannot restore to "
		    "%s", prefix, newest->base.replid, newest->gap, end, want);
	return errstr_set(errstr, "%s/archive/%s: the archive ends at %s; "
	    "cannot restore to %s", prefix, newest->base.replid, end, want);
}
