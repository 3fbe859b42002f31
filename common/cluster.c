/* A cluster node's id and slot ranges: see cluster.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "redis.h"

#define FIELDS_MAX	8	/* the fields before the slots */

/* Reads a slot number at s (up to stop); returns what follows, or NULL. */
static const char *
slot_parse(const char *s, const char *stop, unsigned *v)
{
	const char *p = s;

	for (*v = 0; p < stop && *p >= '0' && *p <= '9' && p - s < 5; p++)
		*v = *v * 10 + (unsigned)(*p - '0');
	return p == s || *v >= CLUSTER_SLOTS ? NULL : p;
}

/* Adds "N" or "N-M" (s to stop) to map; returns 0 or -1. */
static int
range_add(const char *s, const char *stop, unsigned char *map)
{
	unsigned a, b, i;
	const char *p;

	if ((p = slot_parse(s, stop, &a)) == NULL)
		return -1;
	b = a;
	if (p < stop && (*p++ != '-' || (p = slot_parse(p, stop, &b)) ==
	    NULL))
		return -1;
	if (p != stop || b < a)
		return -1;
	for (i = a; i <= b; i++)
		map[i / 8] |= (unsigned char)(1u << (i % 8));
	return 0;
}

int
cluster_slots_parse(const char *s, unsigned char *map, char *errstr)
{
	const char *p = s, *q;

	memset(map, 0, CLUSTER_MAP_LEN);
	if (*s == '\0')
		return errstr_set(errstr, "bad slot ranges '': no slot");
	for (;;) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if (range_add(p, q, map) < 0)
			return errstr_set(errstr, "bad slot ranges '%s': want "
			    "N or N-M (0 to %d), comma-separated", s,
			    CLUSTER_SLOTS - 1);
		if (*q == '\0')
			return 0;
		p = q + 1;
	}
}

static int
has(const unsigned char *map, unsigned i)
{
	return map[i / 8] >> (i % 8) & 1;
}

int
cluster_slots_format(const unsigned char *map, char *out, size_t len)
{
	size_t n = 0;
	unsigned i, j;
	int w;

	if (len == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < CLUSTER_SLOTS; i = j) {
		if (!has(map, i)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < CLUSTER_SLOTS && has(map, j); j++)
			;
		w = snprintf(out + n, len - n, "%s%u-%u", n ? "," : "", i,
		    j - 1);
		if (w < 0 || (size_t)w >= len - n)
			return -1;
		n += (size_t)w;
	}
	return (int)n;
}

/* One line of CLUSTER NODES: its first fields and where the slots are. */
struct nodes_line {
	const char	*f[FIELDS_MAX];
	size_t		 flen[FIELDS_MAX];
	const char	*slots, *end;
};

/* Splits the line at s (up to its newline) into l; returns what follows
 * the line, with l->f[0] NULL for an empty one, or NULL when it has fewer
 * fields than a node's line. */
static const char *
line_split(const char *s, struct nodes_line *l)
{
	const char *p = s, *e = strchr(s, '\n');
	int i;

	if (e == NULL)
		e = s + strlen(s);
	memset(l, 0, sizeof(*l));
	l->end = e > s && e[-1] == '\r' ? e - 1 : e;
	for (i = 0; i < FIELDS_MAX; i++) {
		while (p < l->end && *p == ' ')
			p++;
		if (p == l->end)
			return i == 0 ? (*e ? e + 1 : e) : NULL;
		l->f[i] = p;
		while (p < l->end && *p != ' ')
			p++;
		l->flen[i] = (size_t)(p - l->f[i]);
	}
	while (p < l->end && *p == ' ')
		p++;
	l->slots = p;
	return *e ? e + 1 : e;
}

/* Whether flag is one of the comma-separated flags of field f. */
static int
flag_has(const char *f, size_t len, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = f, *q;

	for (; p < f + len; p = q + 1) {
		for (q = p; q < f + len && *q != ','; q++)
			;
		if ((size_t)(q - p) == n && memcmp(p, flag, n) == 0)
			return 1;
	}
	return 0;
}

/* Adds the slots of line l to map, migrations ([N->-ID], [N-<-ID]) being
 * no slot served; returns 0 or -1. */
static int
line_slots(const struct nodes_line *l, unsigned char *map)
{
	const char *p = l->slots, *q;

	for (;;) {
		while (p < l->end && *p == ' ')
			p++;
		if (p == l->end)
			return 0;
		for (q = p; q < l->end && *q != ' '; q++)
			;
		if (*p != '[' && range_add(p, q, map) < 0)
			return -1;
		p = q;
	}
}

/* Finds the line whose field k is want (NULL: flagged myself) into l;
 * returns its line number, 0 when none, -1 on a line that is not one. */
static int
line_find(const char *text, int k, const char *want, struct nodes_line *l,
    int *bad)
{
	const char *p = text;
	int n;

	for (n = 1; *p != '\0'; n++) {
		if ((p = line_split(p, l)) == NULL) {
			*bad = n;
			return -1;
		}
		if (l->f[0] == NULL)
			continue;
		if (want == NULL ? flag_has(l->f[2], l->flen[2], "myself") :
		    l->flen[k] == strlen(want) && memcmp(l->f[k], want,
		    l->flen[k]) == 0)
			return n;
	}
	return 0;
}

int
cluster_nodes_self(const char *text, struct cluster_node *me, char *errstr)
{
	struct nodes_line l;
	char master[CLUSTER_ID_LEN + 1];
	int n, bad = 0;

	memset(me, 0, sizeof(*me));
	if ((n = line_find(text, 0, NULL, &l, &bad)) <= 0)
		goto none;
	if (l.flen[0] != CLUSTER_ID_LEN)
		return errstr_set(errstr, "CLUSTER NODES: line %d: not a "
		    "node id: %.*s", n, (int)l.flen[0], l.f[0]);
	memcpy(me->id, l.f[0], CLUSTER_ID_LEN);
	me->master = flag_has(l.f[2], l.flen[2], "master");
	if (!me->master) {
		/* A replica's slots are its master's. */
		if (l.flen[3] != CLUSTER_ID_LEN)
			return errstr_set(errstr, "CLUSTER NODES: line %d: "
			    "a replica without a master", n);
		memcpy(master, l.f[3], CLUSTER_ID_LEN);
		master[CLUSTER_ID_LEN] = '\0';
		if ((n = line_find(text, 0, master, &l, &bad)) <= 0) {
			if (n == 0)
				return errstr_set(errstr, "CLUSTER NODES: no "
				    "line for the master %s", master);
			goto none;
		}
	}
	if (line_slots(&l, me->map) < 0)
		return errstr_set(errstr, "CLUSTER NODES: line %d: bad slot "
		    "in %.*s", n, (int)(l.end - l.slots), l.slots);
	if (cluster_slots_format(me->map, me->slots, sizeof(me->slots)) < 0)
		return errstr_set(errstr, "CLUSTER NODES: the slot ranges of "
		    "%s are longer than %d bytes", me->id, CLUSTER_SLOTS_MAX);
	return 0;
none:
	if (bad)
		return errstr_set(errstr, "CLUSTER NODES: line %d: not a "
		    "node's line", bad);
	return errstr_set(errstr, "CLUSTER NODES: no line flagged myself");
}

int
cluster_ask(struct redis_ctx *c, struct cluster_node *me, char *errstr)
{
	static const char *nodes[] = { "CLUSTER", "NODES" };
	char *info, on[8];
	redisReply *r;
	int rc;

	if ((info = redis_info(c, "cluster", errstr)) == NULL)
		return -1;
	rc = redis_info_field(info, "cluster_enabled", on, sizeof(on));
	free(info);
	if (rc < 0 || strcmp(on, "1") != 0)
		return 0;
	if ((r = redis_cmd(c, errstr, 2, nodes)) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_STRING)
		rc = errstr_set(errstr, "CLUSTER NODES: not a text reply");
	else
		rc = cluster_nodes_self(r->str, me, errstr);
	freeReplyObject(r);
	return rc < 0 ? -1 : 1;
}
