/* common/conf: sdssplitargs quoting, includes, last wins, byte-exact edits. */
#include <glob.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char dir[] = "/tmp/test_conf.XXXXXX";

static const char *
path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", name);
		exit(1);
	}
}

static int
split_is(const char *line, int n, const char *a0, const char *a1)
{
	char **argv;
	int argc = conf_split(line, strlen(line), &argv), good;

	good = argc == n && (n < 1 || strcmp(argv[0], a0) == 0) &&
	    (n < 2 || strcmp(argv[1], a1) == 0);
	if (argc >= 0)
		conf_argv_free(argc, argv);
	return good;
}

static int
file_is(const char *name, const char *want)
{
	char *buf, e[ERRSTR_LEN];
	size_t len;
	int same;

	if (conf_slurp(path(name), &buf, &len, e) < 0)
		return 0;
	same = len == strlen(want) && memcmp(buf, want, len) == 0;
	free(buf);
	return same;
}

int
main(void)
{
	struct conf c;
	struct stat st;
	const struct conf_line *l;
	glob_t g;
	char e[ERRSTR_LEN], inc[512];
	const char *orig;

	if (mkdtemp(dir) == NULL)
		return 1;

	ok(split_is("  dir /var/lib/redis  ", 2, "dir", "/var/lib/redis"),
	    "split: plain words, blanks around");
	ok(split_is("requirepass \"a b\\x41\\n\"", 2, "requirepass", "a bA\n"),
	    "split: double quotes with \\x and \\n escapes");
	ok(split_is("requirepass 'it\\'s'", 2, "requirepass", "it's"),
	    "split: single quotes with \\'");
	ok(split_is("save \"\"", 2, "save", ""), "split: an empty argument");
	ok(split_is("x \"open", -1, NULL, NULL), "split: unterminated quote");
	ok(split_is("x \"a\"b", -1, NULL, NULL),
	    "split: closing quote followed by a non-blank");
	ok(split_is("x 'open", -1, NULL, NULL),
	    "split: unterminated single quote");
	ok(split_is("x 'a'b", -1, NULL, NULL),
	    "split: closing single quote followed by a non-blank");
	ok(split_is("x 'a\"b' c", 3, "x", "a\"b"),
	    "split: a double quote inside single quotes is taken");
	ok(split_is("   ", 0, NULL, NULL), "split: a blank line");

	snprintf(inc, sizeof(inc),
	    "# comment\r\n"
	    "dir /one\n"
	    "appendonly yes\n"
	    "include %s/inc-*.conf\n"
	    "dbfilename \"my dump.rdb\"\n", dir);
	put("main.conf", inc);
	put("inc-a.conf", "DIR /two\nappendonly no\n");
	put("inc-b.conf", "  appendonly   yes  \r\nport 7000\n");
	ok(conf_load(&c, path("main.conf"), e) == 0, "load with a glob include");
	ok(strcmp(conf_get(&c, "dir", "?"), "/two") == 0,
	    "the last occurrence wins, names case-insensitive");
	ok(strcmp(conf_get(&c, "dbfilename", "?"), "my dump.rdb") == 0,
	    "quoted value");
	ok(strcmp(conf_get(&c, "appendfilename", "dflt"), "dflt") == 0,
	    "default when absent");
	l = conf_last(&c, "appendonly");
	ok(l != NULL && strcmp(l->file, path("inc-b.conf")) == 0 &&
	    l->lineno == 1, "the winning appendonly is in the second include");
	chmod(path("inc-b.conf"), 0640);
	ok(l != NULL && conf_edit_line(l, "appendonly no", e) == 0,
	    "edit the winning line");
	ok(file_is("inc-b.conf", "  appendonly no  \r\nport 7000\n"),
	    "only the directive's bytes changed, blanks and CR kept");
	ok(stat(path("inc-b.conf"), &st) == 0 && (st.st_mode & 07777) == 0640,
	    "mode kept");
	ok(glob(path(".inc-b.conf.rdb-install.*"), 0, NULL, &g) ==
	    GLOB_NOMATCH, "no temporary file left");
	conf_free(&c);
	ok(conf_load(&c, path("main.conf"), e) == 0 &&
	    strcmp(conf_get(&c, "appendonly", "?"), "no") == 0,
	    "read back: appendonly no");
	conf_free(&c);
	orig = "  appendonly   yes  \r\nport 7000\n";
	ok(conf_replace_file(path("inc-b.conf"), orig, strlen(orig), e) == 0 &&
	    file_is("inc-b.conf", orig), "replace restores exact bytes");

	put("loop.conf", "include loop.conf\n");
	ok(chdir(dir) == 0 && conf_load(&c, "loop.conf", e) < 0 &&
	    strstr(e, "nest too deep") != NULL, "an include loop is an error");
	put("bad.conf", "dir /x\nrequirepass \"unbalanced\n");
	ok(conf_load(&c, path("bad.conf"), e) < 0 &&
	    strstr(e, "bad.conf:2: unbalanced quotes") != NULL,
	    "unbalanced quotes name file and line: %s", e);
	put("missing.conf", "include /nonexistent/x.conf\n");
	ok(conf_load(&c, path("missing.conf"), e) < 0 &&
	    strstr(e, "/nonexistent/x.conf") != NULL,
	    "a missing plain include is an error");

	/* The config's dir may be the redis user's: a link planted at a
	 * temp name (an older version's fixed one) is never written through,
	 * and only a regular file is read or replaced. */
	put("victim", "precious\n");
	ok(symlink(path("victim"), path("inc-b.conf.rdb-install-tmp")) == 0 &&
	    conf_replace_file(path("inc-b.conf"), "x\n", 2, e) == 0 &&
	    file_is("victim", "precious\n") && file_is("inc-b.conf", "x\n"),
	    "a planted link at a temp name is not followed");
	ok(symlink(path("victim"), path("lnk.conf")) == 0 &&
	    (geteuid() != 0 || lchown(path("lnk.conf"), 65534, 65534) == 0) &&
	    (geteuid() != 0 ? 1 : conf_replace_file(path("lnk.conf"), "x\n", 2,
	    e) < 0 && strstr(e, "lnk.conf: a symlink owned by uid 65534: not "
	    "followed") != NULL) && file_is("victim", "precious\n"),
	    "a config swapped for another user's link is not written through");
	ok(unlink(path("lnk.conf")) == 0 &&
	    symlink(path("victim"), path("lnk.conf")) == 0 &&
	    conf_replace_file(path("lnk.conf"), "x\n", 2, e) == 0 &&
	    file_is("victim", "x\n"), "our own link is followed");
	{
		char *buf = NULL;
		size_t blen;

		ok(geteuid() != 0 ||
		    (lchown(path("lnk.conf"), 65534, 65534) == 0 &&
		    conf_slurp_edit(path("lnk.conf"), &buf, &blen, e) < 0 &&
		    strstr(e, "not followed") != NULL),
		    "a file to edit is not read through another user's link");
		free(buf);
	}
	ok(mkfifo(path("fifo"), 0600) == 0 &&
	    conf_load(&c, path("fifo"), e) < 0 &&
	    strstr(e, "fifo: not a regular file") != NULL,
	    "a FIFO is refused, not waited on: %s", e);
	ok(conf_replace_file(path("fifo"), "x\n", 2, e) < 0 &&
	    strstr(e, "fifo: not a regular file") != NULL,
	    "a FIFO is not replaced: %s", e);

	snprintf(inc, sizeof(inc), "rm -rf %s", dir);
	ok(system(inc) == 0, "cleanup");
	return tap_done();
}
