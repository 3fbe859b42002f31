/* common/aofman: the manifest of a multi-part AOF dir, read as Redis 7
 * reads it and written back under the target's names. */
#include <stdio.h>
#include <string.h>

#include "aofman.h"
#include "tap.h"

static int
parse(const char *text, struct aofman *m, char *err)
{
	return aofman_parse(text, strlen(text), m, err);
}

/* refused TEXT WHY: the manifest is refused with exactly WHY. */
static void
refused(const char *text, const char *why)
{
	struct aofman m;
	char err[ERRSTR_LEN] = "";

	ok(parse(text, &m, err) == -1 && strcmp(err, why) == 0,
	    "refused: %s (got: %s)", why, err);
}

static void
test_parse(void)
{
	struct aofman m;
	char err[ERRSTR_LEN];

	ok(parse("file appendonly.aof.1.base.rdb seq 1 type b\n"
	    "file appendonly.aof.1.incr.aof seq 1 type i\n", &m, err) == 0 &&
	    strcmp(m.base.name, "appendonly.aof.1.base.rdb") == 0 &&
	    m.base.seq == 1 && m.nincr == 1 &&
	    strcmp(m.incr[0].name, "appendonly.aof.1.incr.aof") == 0,
	    "aof-fetch's two-line manifest");
	ok(parse("# a comment\nfile \"my aof.2.base.rdb\" type b seq 2\n"
	    "type i seq 2 file x.2.incr.aof\nfile y seq 3 type i\n", &m,
	    err) == 0 && strcmp(m.base.name, "my aof.2.base.rdb") == 0 &&
	    m.base.seq == 2 && m.nincr == 2 && m.incr[1].seq == 3,
	    "pairs in any order, quotes, comments, two incr files");
	ok(parse("file b.rdb seq 1 type b\n", &m, err) == 0 && m.nincr == 0,
	    "a base alone");
	refused("", "no base file (type b)");
	refused("file a.aof seq 1 type i\n", "no base file (type b)");
	refused("file b.rdb seq 1 type b", "line 1: no newline at its end");
	refused("file b.rdb seq 1 type b\nfile c.rdb seq 2 type b\n",
	    "line 2: a second base");
	refused("file b.aof seq 1 type b\n", "line 1: base b.aof: not an RDB "
	    "(.rdb)");
	refused("file b.rdb seq 1 type b\nfile h.rdb seq 1 type h\n",
	    "line 2: h.rdb: a history file (only a base and incr files are "
	    "installed)");
	refused("file ../b.rdb seq 1 type b\n", "line 1: not a plain file name");
	refused("file /etc/b.rdb seq 1 type b\n",
	    "line 1: not a plain file name");
	refused("file .. seq 1 type b\n", "line 1: not a plain file name");
	refused("file \"a\\nb.rdb\" seq 1 type b\n",
	    "line 1: not a plain file name");
	refused("file b.rdb seq x type b\n", "line 1: seq x: not a number > 0");
	refused("file b.rdb seq 0 type b\n", "line 1: seq 0: not a number > 0");
	refused("file b.rdb seq 1 type z\n", "line 1: type z: not b, h or i");
	refused("file b.rdb seq 1\n", "line 1: not \"file NAME seq N type T\"");
	refused("file b.rdb seq 1 type b extra\n",
	    "line 1: not \"file NAME seq N type T\"");
	refused("file \"b.rdb seq 1 type b\n", "line 1: unbalanced quotes");
	refused("file b.rdb seq 1 type b\nfile b.rdb seq 2 type i\n",
	    "line 2: b.rdb listed twice");
	refused("file b.rdb seq 1 type b\nfile i seq 2 type i\n"
	    "file j seq 2 type i\n", "line 3: seq 2 after 2");
	ok(aofman_parse("file b.rdb\0", 11, &m, err) == -1 &&
	    strcmp(err, "a NUL byte: not a manifest") == 0, "a NUL byte");
}

static void
test_format(void)
{
	struct aofman m, t, back;
	char err[ERRSTR_LEN], buf[1024];
	int n;

	ok(parse("file a.1.base.rdb seq 1 type b\nfile a.1.incr.aof seq 1 "
	    "type i\nfile a.4.incr.aof seq 4 type i\n", &m, err) == 0,
	    "parsed");
	ok(aofman_rename(&m, "appendonly.aof", &t, err) == 0 &&
	    (n = aofman_format(&t, buf, sizeof(buf), err)) > 0 &&
	    strcmp(buf, "file appendonly.aof.1.base.rdb seq 1 type b\n"
	    "file appendonly.aof.1.incr.aof seq 1 type i\n"
	    "file appendonly.aof.4.incr.aof seq 4 type i\n") == 0,
	    "renamed for appendonly.aof, seqs kept: %s", buf);
	ok(aofman_rename(&m, "my \"aof\"\\", &t, err) == 0 &&
	    (n = aofman_format(&t, buf, sizeof(buf), err)) > 0 &&
	    strncmp(buf, "file \"my \\\"aof\\\"\\\\.1.base.rdb\" seq 1 "
	    "type b\n", 43) == 0 && aofman_parse(buf, (size_t)n, &back,
	    err) == 0 && strcmp(back.base.name, "my \"aof\"\\.1.base.rdb") == 0 &&
	    strcmp(back.incr[1].name, "my \"aof\"\\.4.incr.aof") == 0,
	    "a name with a space and quotes is quoted and reads back: %s", buf);
	ok(aofman_format(&t, buf, 40, err) == -1 &&
	    strcmp(err, "manifest: too long") == 0, "a buffer too small");
}

int
main(void)
{
	test_parse();
	test_format();
	return tap_done();
}
