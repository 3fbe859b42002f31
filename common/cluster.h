/*
 * Which shard of a Redis Cluster a node is: its id and its shard's slot
 * ranges, as the continuous archive records them with each base
 * (aof-archive(1), "Redis Cluster") and as aof-fetch --slots picks them.
 *
 * The ranges are read from CLUSTER NODES, which every release with
 * cluster support answers and whose "myself" flag names the node asked;
 * a replica's ranges are its master's.  They are compared as sets of
 * slots and written in one canonical form, ascending and merged, a
 * single slot as N-N ("0-5460,5470-5470"), the form redis-restore makes
 * from CLUSTER SHARDS or CLUSTER NODES.
 */
#ifndef RDBPIPE_CLUSTER_H
#define RDBPIPE_CLUSTER_H

#include <stddef.h>

#include "errstr.h"

struct redis_ctx;

#define CLUSTER_SLOTS		16384
#define CLUSTER_MAP_LEN		(CLUSTER_SLOTS / 8)
#define CLUSTER_ID_LEN		40
/* Swift's max_meta_value_length: the ranges are one metadata value. */
#define CLUSTER_SLOTS_MAX	256

/* A node as the archive names it. */
struct cluster_node {
	char		 id[CLUSTER_ID_LEN + 1];
	int		 master;		/* 0: a replica */
	unsigned char	 map[CLUSTER_MAP_LEN];	/* its shard's slots */
	char		 slots[CLUSTER_SLOTS_MAX + 1];	/* the same, written */
};

/* Reads ranges ("0-5460,5470", N or N-M, comma-separated, in any order)
 * into map; returns 0, or -1 with "bad slot ranges 'S': why". */
int cluster_slots_parse(const char *s, unsigned char *map, char *errstr);

/* Writes map in the canonical form into out; returns its length (0: no
 * slot), or -1 when it does not fit. */
int cluster_slots_format(const unsigned char *map, char *out, size_t len);

/* Finds the "myself" line of a CLUSTER NODES reply and fills me (its
 * shard's slots written into me->slots); returns 0, or -1 with
 * "CLUSTER NODES: why" ("line N: ...", "no line flagged myself", "slot
 * ranges longer than 256 bytes"). */
int cluster_nodes_self(const char *text, struct cluster_node *me,
    char *errstr);

/* Asks the server INFO cluster and, when cluster_enabled is 1, CLUSTER
 * NODES; returns 1 with me filled, 0 when it is no cluster node, -1. */
int cluster_ask(struct redis_ctx *c, struct cluster_node *me, char *errstr);

#endif
