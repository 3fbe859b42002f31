/*
 * The replica-protocol engine, without a server: recorded exchanges (a
 * full resync with either RDB form, a partial one, errors) fed in pieces
 * of every size, the commands, offsets and ACKs that come out checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "repl.h"
#include "tap.h"
#include "testbuf.h"

#define ID1 "0123456789abcdef0123456789abcdef01234567"
#define ID2 "fedcba9876543210fedcba9876543210fedcba98"
#define MARK "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"

/* What came out of the engine. */
struct seen {
	char		 replid[41];
	uint64_t	 base;
	int		 full, resumed, rdb_done;
	struct buf	 rdb, kept, sent;
	uint64_t	 ends[16];
	int		 keeps[16];
	int		 ncmd;
};

static int
cb_full(void *arg, const char *replid, uint64_t off, char *e)
{
	struct seen *s = arg;

	(void)e;
	snprintf(s->replid, sizeof(s->replid), "%s", replid);
	s->base = off;
	s->full++;
	return 0;
}

static int
cb_resumed(void *arg, const char *replid, char *e)
{
	struct seen *s = arg;

	(void)e;
	snprintf(s->replid, sizeof(s->replid), "%s", replid);
	s->resumed++;
	return 0;
}

static int
cb_rdb(void *arg, const void *buf, size_t len, char *e)
{
	return buf_sink(&((struct seen *)arg)->rdb, buf, len, e);
}

static int
cb_rdb_end(void *arg, const struct snap_result *r, char *e)
{
	(void)r;
	(void)e;
	((struct seen *)arg)->rdb_done++;
	return 0;
}

static int
cb_cmd(void *arg, const void *buf, size_t len, uint64_t end, int keep,
    char *e)
{
	struct seen *s = arg;

	if (s->ncmd < 16) {
		s->ends[s->ncmd] = end;
		s->keeps[s->ncmd] = keep;
	}
	s->ncmd++;
	return keep ? buf_sink(&s->kept, buf, len, e) : 0;
}

static int
cb_send(void *arg, const void *buf, size_t len, char *e)
{
	return buf_sink(&((struct seen *)arg)->sent, buf, len, e);
}

static void
seen_free(struct seen *s)
{
	free(s->rdb.p);
	free(s->kept.p);
	free(s->sent.p);
	memset(s, 0, sizeof(*s));
}

static void
start(struct repl *r, struct seen *s, const char *replid, uint64_t off)
{
	static const struct repl_cb cb0 = { cb_full, cb_resumed, cb_rdb,
	    cb_rdb_end, cb_cmd, cb_send, NULL };
	struct repl_cb cb = cb0;

	memset(s, 0, sizeof(*s));
	cb.arg = s;
	repl_init(r, &cb, replid, off);
}

/* Feeds p in pieces of size k; returns repl_feed's last result. */
static int
feed(struct repl *r, const void *p, size_t n, size_t k, char *e)
{
	const unsigned char *c = p;
	size_t o, t;

	for (o = 0; o < n; o += t) {
		t = n - o < k ? n - o : k;
		if (repl_feed(r, c + o, t, e) < 0)
			return -1;
	}
	return 0;
}

static const char stream[] =
    "*1\r\n$4\r\nPING\r\n"
    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
    "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$4\r\nb\r\nc\r\n"
    "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"
    "*3\r\n$3\r\nset\r\n$0\r\n\r\n$0\r\n\r\n";
static const char kept[] =
    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
    "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$4\r\nb\r\nc\r\n"
    "*3\r\n$3\r\nset\r\n$0\r\n\r\n$0\r\n\r\n";

/* Builds the whole exchange of a full resync; returns its length. */
static size_t
exchange(char *out, size_t cap, const unsigned char *rdb, size_t rdblen,
    int diskless)
{
	size_t n;

	n = (size_t)snprintf(out, cap, "+FULLRESYNC " ID1 " 1000\r\n\n\n");
	if (diskless)
		n += (size_t)snprintf(out + n, cap - n, "$EOF:" MARK "\r\n");
	else
		n += (size_t)snprintf(out + n, cap - n, "$%zu\r\n", rdblen);
	memcpy(out + n, rdb, rdblen);
	n += rdblen;
	if (diskless) {
		memcpy(out + n, MARK, 40);
		n += 40;
	}
	return n;
}

static void
test_full(const unsigned char *rdb, size_t rdblen, int diskless)
{
	static char x[8192];
	char e[ERRSTR_LEN], want_ack[128];
	struct repl r;
	struct seen s;
	size_t n = exchange(x, sizeof(x), rdb, rdblen, diskless), k;
	uint64_t getack_end = 1000 +
	    (uint64_t)(strstr(stream, "*3\r\n$3\r\nset") - stream);
	int good = 1;

	snprintf(want_ack, sizeof(want_ack),
	    "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n1000\r\n"
	    "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n%" PRIu64 "\r\n",
	    getack_end);
	for (k = 1; k <= n + sizeof(stream); k++) {
		start(&r, &s, NULL, 0);
		/* After a diskless transfer the master sends nothing until
		 * the first ACK: the stream comes in reads of its own. */
		if (feed(&r, x, n, k, e) < 0 ||
		    feed(&r, stream, sizeof(stream) - 1, k, e) < 0) {
			ok(0, "full resync, pieces of %zu: %s", k, e);
			good = 0;
		} else if (s.full != 1 || strcmp(s.replid, ID1) != 0 ||
		    s.base != 1000 || s.rdb_done != 1 || s.rdb.n != rdblen ||
		    memcmp(s.rdb.p, rdb, rdblen) != 0 || s.ncmd != 5 ||
		    s.kept.n != sizeof(kept) - 1 ||
		    memcmp(s.kept.p, kept, s.kept.n) != 0 ||
		    s.keeps[0] || !s.keeps[1] || s.keeps[3] ||
		    s.ends[0] != 1014 || s.ends[3] != getack_end ||
		    r.offset != 1000 + sizeof(stream) - 1 ||
		    s.sent.n != strlen(want_ack) ||
		    memcmp(s.sent.p, want_ack, s.sent.n) != 0) {
			ok(0, "full resync, pieces of %zu: wrong result", k);
			good = 0;
		}
		repl_free(&r);
		seen_free(&s);
		if (!good)
			break;
	}
	ok(good, "full resync (%s), fed in pieces of 1 to %zu bytes",
	    diskless ? "$EOF:<mark>" : "$<len>", n + sizeof(stream));
}

static void
test_continue(void)
{
	static char x[1024];
	char e[ERRSTR_LEN];
	struct repl r;
	struct seen s;
	size_t n, k;
	int good = 1;

	n = (size_t)snprintf(x, sizeof(x), "+CONTINUE " ID2 "\r\n%s", stream);
	for (k = 1; k <= n && good; k++) {
		start(&r, &s, ID1, 499);
		if (feed(&r, x, n, k, e) < 0 || s.resumed != 1 || s.full ||
		    strcmp(s.replid, ID2) != 0 || s.ends[0] != 513 ||
		    s.kept.n != sizeof(kept) - 1 ||
		    r.offset != 499 + sizeof(stream) - 1)
			good = 0;
		repl_free(&r);
		seen_free(&s);
	}
	ok(good, "+CONTINUE NEWID: the stream goes on at the offset asked "
	    "for, under the new id");
	start(&r, &s, ID1, 7);
	ok(repl_feed(&r, "+CONTINUE\r\n", 11, e) == 0 && s.resumed == 1 &&
	    strcmp(s.replid, ID1) == 0 && r.state == REPL_STREAM,
	    "+CONTINUE: the id asked for");
	repl_free(&r);
	seen_free(&s);
}

static void
expect_fail(const char *replid, const char *in, const char *why)
{
	char e[ERRSTR_LEN] = "";
	struct repl r;
	struct seen s;
	int rc;

	start(&r, &s, replid, 5);
	rc = repl_feed(&r, in, strlen(in), e);
	ok(rc == -1 && strcmp(e, why) == 0, "refused: %s (%s)", why, e);
	repl_free(&r);
	seen_free(&s);
}

int
main(void)
{
	unsigned char *rdb;
	size_t rdblen;
	char psync[32];

	rdb = tap_slurp(tap_fixture("rdb/encodings.rdb"), &rdblen);
	if (rdb == NULL)
		return 1;
	test_full(rdb, rdblen, 0);
	test_full(rdb, rdblen, 1);
	free(rdb);
	test_continue();

	expect_fail(NULL, "-NOMASTERLINK Can't SYNC while not connected "
	    "with my master\r\n", "PSYNC: NOMASTERLINK Can't SYNC while not "
	    "connected with my master");
	expect_fail(NULL, "+FULLRESYNC xyz 1\r\n", "PSYNC: bad reply: "
	    "+FULLRESYNC xyz 1");
	expect_fail(NULL, "+CONTINUE\r\n",
	    "PSYNC: +CONTINUE to a full resync request");
	/* Found by fuzz_repl: a new id must not turn it into a resume from
	 * offset 0. */
	expect_fail(NULL, "+CONTINUE " ID1 "\r\n",
	    "PSYNC: +CONTINUE to a full resync request");
	expect_fail(NULL, "+OK\r\n", "PSYNC: unexpected reply: +OK");
	expect_fail(NULL, "+FULLRESYNC " ID1 " 1\r\n-LOADING\r\n",
	    "PSYNC: LOADING");
	expect_fail(NULL, "+FULLRESYNC " ID1 " 1\r\n$x\r\n",
	    "PSYNC: unexpected reply: $x");
	expect_fail(ID1, "+CONTINUE\r\n*1\r\n$4\r\nPINGxx",
	    "replication stream: bad framing at offset 19");
	expect_fail(ID1, "+CONTINUE\r\n$4\r\n", "replication stream: bad "
	    "framing at offset 9");
	expect_fail(ID1, "+CONTINUE\r\n*0\r\n", "replication stream: empty "
	    "command at offset 5");

	ok(repl_psync_cmd(psync, sizeof(psync), NULL, 0) == 0 &&
	    strcmp(psync, "-1") == 0, "PSYNC ? -1");
	ok(repl_psync_cmd(psync, sizeof(psync), ID1, 41) == 0 &&
	    strcmp(psync, "42") == 0, "PSYNC at the offset after the last");
	return tap_done();
}
