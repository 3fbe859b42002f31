/* common/cluster: slot ranges, and a node's own line of CLUSTER NODES. */
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "tap.h"

#define ID1	"07c37dfeb235213a872192d90877d0cd55635b91"
#define ID2	"67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1"
#define ID3	"292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f"

/* Three masters (the second importing a slot) and a replica of the
 * third, as Redis 7 answers CLUSTER NODES. */
#define NODES(f1, f4) \
	ID1 " 127.0.0.1:30001@40001 " f1 " - 0 0 1 connected 0-5460 5470\n" \
	ID2 " 127.0.0.1:30002@40002 master - 0 1 2 connected 5461-5469 " \
	    "5471-10922 [5471-<-" ID1 "]\n" \
	ID3 " 127.0.0.1:30003@40003 master - 0 1 3 connected 10923-16383\n" \
	"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30004@40004 " f4 \
	    " " ID3 " 0 1 3 connected\n"

static void
test_ranges(void)
{
	unsigned char a[CLUSTER_MAP_LEN], b[CLUSTER_MAP_LEN];
	char out[CLUSTER_SLOTS_MAX + 1], err[ERRSTR_LEN];

	ok(cluster_slots_parse("5470,0-5460,5461-5469", a, err) == 0 &&
	    cluster_slots_format(a, out, sizeof(out)) == 6 &&
	    strcmp(out, "0-5470") == 0,
	    "ranges are merged and sorted: %s", out);
	ok(cluster_slots_parse("16383", a, err) == 0 &&
	    cluster_slots_format(a, out, sizeof(out)) > 0 &&
	    strcmp(out, "16383-16383") == 0, "a single slot is N-N: %s", out);
	ok(cluster_slots_parse("0-16383", a, err) == 0 &&
	    cluster_slots_parse("0-100,101-16383", b, err) == 0 &&
	    memcmp(a, b, sizeof(a)) == 0, "the same slots, written two ways");
	ok(cluster_slots_format(a, out, 5) == -1, "too long for out");
	memset(a, 0, sizeof(a));
	ok(cluster_slots_format(a, out, sizeof(out)) == 0 && *out == '\0',
	    "no slot: empty");
	ok(cluster_slots_parse("1-16384", a, err) == -1 && strcmp(err,
	    "bad slot ranges '1-16384': want N or N-M (0 to 16383), "
	    "comma-separated") == 0, "a slot past 16383: %s", err);
	ok(cluster_slots_parse("5-3", a, err) == -1, "a range backwards");
	ok(cluster_slots_parse("1,,2", a, err) == -1, "an empty range");
	ok(cluster_slots_parse("1-", a, err) == -1, "a range without end");
	ok(cluster_slots_parse("1 2", a, err) == -1, "a space");
	ok(cluster_slots_parse("", a, err) == -1 && strcmp(err,
	    "bad slot ranges '': no slot") == 0, "nothing: %s", err);
	ok(cluster_slots_parse("000001", a, err) == -1, "six digits");
}

static void
test_nodes(void)
{
	struct cluster_node me;
	char err[ERRSTR_LEN], many[1024];
	int i, n;

	ok(cluster_nodes_self(NODES("myself,master", "slave"), &me, err) ==
	    0 && strcmp(me.id, ID1) == 0 && me.master &&
	    strcmp(me.slots, "0-5460,5470-5470") == 0,
	    "a master: its own slots: %s", me.slots);
	ok(cluster_nodes_self(NODES("master", "myself,slave"), &me, err) ==
	    0 && !me.master && strcmp(me.id,
	    "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca") == 0 &&
	    strcmp(me.slots, "10923-16383") == 0,
	    "a replica: its master's slots: %s", me.slots);
	ok(cluster_nodes_self("\r\n" ID2 " 1.2.3.4:1@2 myself,master - 0 0 2 "
	    "connected 5461-5469 5471-10922 [5471-<-" ID1 "]\r\n", &me, err) ==
	    0 && strcmp(me.slots, "5461-5469,5471-10922") == 0,
	    "CR LF, an empty line, a slot being imported is not served: %s",
	    me.slots);
	ok(cluster_nodes_self(ID1 " 1.2.3.4:1@2 myself,master - 0 0 1 "
	    "connected\n", &me, err) == 0 && me.slots[0] == '\0',
	    "a master without slots");
	ok(cluster_nodes_self(NODES("master", "slave"), &me, err) == -1 &&
	    strcmp(err, "CLUSTER NODES: no line flagged myself") == 0,
	    "no myself: %s", err);
	ok(cluster_nodes_self(ID1 " x myself,master\n", &me, err) == -1 &&
	    strcmp(err, "CLUSTER NODES: line 1: not a node's line") == 0,
	    "a short line: %s", err);
	ok(cluster_nodes_self(ID1 " 1.2.3.4:1@2 myself,master - 0 0 1 "
	    "connected 0-99999\n", &me, err) == -1 && strcmp(err,
	    "CLUSTER NODES: line 1: bad slot in 0-99999") == 0,
	    "a bad slot: %s", err);
	ok(cluster_nodes_self("abc 1.2.3.4:1@2 myself,master - 0 0 1 "
	    "connected 0\n", &me, err) == -1 && strcmp(err,
	    "CLUSTER NODES: line 1: not a node id: abc") == 0,
	    "a short id: %s", err);
	ok(cluster_nodes_self(ID1 " 1.2.3.4:1@2 myself,slave " ID2 " 0 0 1 "
	    "connected\n", &me, err) == -1 && strcmp(err,
	    "CLUSTER NODES: no line for the master " ID2) == 0,
	    "a replica of a master not listed: %s", err);
	n = snprintf(many, sizeof(many), ID1 " 1.2.3.4:1@2 myself,master - 0 "
	    "0 1 connected");
	for (i = 0; i < 100; i += 2)
		n += snprintf(many + n, sizeof(many) - (size_t)n, " %d", i);
	ok(cluster_nodes_self(many, &me, err) == -1 && strcmp(err,
	    "CLUSTER NODES: the slot ranges of " ID1 " are longer than 256 "
	    "bytes") == 0,
	    "ranges too long for Swift's metadata: %s", err);
}

int
main(void)
{
	test_ranges();
	test_nodes();
	return tap_done();
}
