/* common/snap: the "$EOF:<mark>" detector fed in pieces of every size, and
 * the reason for a failed save picked out of a Redis log. */
#include <string.h>

#include "snap.h"
#include "tap.h"

static const char mark[] = "0123456789abcdef0123456789abcdef01234567";

struct collect {
	unsigned char	 buf[4096];
	size_t		 len;
};

static int
collect(void *arg, const void *buf, size_t len, char *errstr)
{
	struct collect *c = arg;

	(void)errstr;
	if (c->len + len > sizeof(c->buf))
		return -1;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	return 0;
}

/* Feeds data+mark in pieces of size piece; returns 1 when the detector
 * found the mark exactly at the end and passed on exactly data. */
static int
run(const unsigned char *data, size_t len, size_t piece, int with_mark)
{
	unsigned char all[2048];
	struct snap_eof e;
	struct collect c = { .len = 0 };
	size_t total = len, off, n;

	memcpy(all, data, len);
	if (with_mark) {
		memcpy(all + len, mark, SNAP_MARK_LEN);
		total += SNAP_MARK_LEN;
	}
	snap_eof_init(&e, mark);
	for (off = 0; off < total; off += n) {
		n = total - off < piece ? total - off : piece;
		if (snap_eof_feed(&e, all + off, n, collect, &c, NULL) < 0)
			return 0;
	}
	if (!with_mark)
		return !e.found && c.len + e.held == total;
	return e.found && c.len == len &&
	    memcmp(c.buf, data, len) == 0;
}

static const char log_ok[] =
    "10797:M 25 Nov 2026 12:01:17.982 * Ready to accept connections\n"
    "10797:M 25 Nov 2026 12:01:18.468 * Background saving started by pid 10801\n"
    "10801:C 25 Nov 2026 12:01:18.480 # Write error saving DB on disk: old\n"
    "10797:M 25 Nov 2026 12:01:18.490 # Background saving error\n"
    "10797:M 25 Nov 2026 12:01:19.468 * Background saving started by pid 10809\n"
    "10797:M 25 Nov 2026 12:01:19.470 # WARNING something unrelated\n"
    "10809:C 25 Nov 2026 12:01:19.480 # Failed opening the temp RDB file temp-10809.rdb (in server root dir unknown) for saving: No such file or directory\r\n"
    "10809:C 25 Nov 2026 12:01:19.481 # second complaint\n"
    "10797:M 25 Nov 2026 12:01:19.490 # Background saving error\n";

static const char log_signal[] =
    "1:M 25 Nov 2026 12:01:19.468 * Background saving started by pid 22\n"
    "1:M 25 Nov 2026 12:01:20.000 # Background saving terminated by signal 9\n"
    "1:M 25 Nov 2026 12:01:20.001 # Background saving error";

static const char log_fork[] =
    "1:M 25 Nov 2026 12:01:19.468 * Background saving started by pid 22\n"
    "22:C 25 Nov 2026 12:01:19.480 * DB saved on disk\n"
    "1:M 25 Nov 2026 12:01:19.490 * Background saving terminated with success\n"
    "1:M 25 Nov 2026 12:01:21.000 # Can't save in background: fork: Cannot allocate memory\n";

int
main(void)
{
	unsigned char data[1500];
	char why[200];
	size_t i, piece;
	int all_ok;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 13);
	/* The mark's own bytes inside the data must not end the transfer. */
	memcpy(data + 500, mark, SNAP_MARK_LEN);
	memcpy(data + 1000, mark, 20);

	all_ok = 1;
	for (piece = 1; piece <= 100 && all_ok; piece++)
		all_ok = run(data, sizeof(data), piece, 1);
	ok(all_ok, "found at the end and never passed on, pieces of 1..100");
	ok(run(data, sizeof(data), sizeof(data) + SNAP_MARK_LEN, 1),
	    "one piece");
	ok(run(data, 0, 1, 1) && run(data, 0, 40, 1), "an empty RDB");
	ok(run(data, 10, 3, 1), "less data than a mark");
	ok(run(data, 1000, 1000, 0) && run(data, 1001, 1001, 0),
	    "no mark at the end: not found");
	{
		struct snap_eof e;
		struct collect c = { .len = 0 };
		int r1, r2;

		/* A read that ends right after mark-like bytes inside the
		 * RDB is only a candidate: the caller asks the RDB checker
		 * too, and the next bytes clear it. */
		snap_eof_init(&e, mark);
		snap_eof_feed(&e, data, 540, collect, &c, NULL);
		r1 = e.found;
		snap_eof_feed(&e, data + 540, 100, collect, &c, NULL);
		r2 = e.found;
		snap_eof_feed(&e, mark, SNAP_MARK_LEN, collect, &c, NULL);
		ok(r1 && !r2 && e.found && c.len == 640 &&
		    memcmp(c.buf, data, 640) == 0,
		    "a candidate inside the data is cleared by what follows");
	}
	all_ok = 1;
	for (piece = 1; piece <= 64 && all_ok; piece++)
		all_ok = run(data, 1000, piece, 0);
	ok(all_ok, "no mark: not found, everything but 40 bytes passed on");

	ok(snap_log_reason(log_ok, sizeof(log_ok) - 1, why, sizeof(why)) == 0 &&
	    strcmp(why, "Failed opening the temp RDB file temp-10809.rdb (in "
	    "server root dir unknown) for saving: No such file or directory")
	    == 0, "the last save's child's first warning: %s", why);
	ok(snap_log_reason(log_signal, sizeof(log_signal) - 1, why,
	    sizeof(why)) == 0 &&
	    strcmp(why, "Background saving terminated by signal 9") == 0,
	    "no child warning: the parent's: %s", why);
	ok(snap_log_reason(log_fork, sizeof(log_fork) - 1, why,
	    sizeof(why)) == 0 &&
	    strcmp(why, "Can't save in background: fork: Cannot allocate memory") == 0,
	    "a failed fork after the last save: %s", why);
	ok(snap_log_reason("x\ny\n", 4, why, sizeof(why)) < 0,
	    "a log without a save");
	ok(snap_log_reason(log_ok, sizeof(log_ok) - 1, why, 10) == 0 &&
	    strcmp(why, "Failed op") == 0, "cut to the buffer");
	return tap_done();
}
