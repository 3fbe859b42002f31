/* common/pitr: the chunk trailer, the tail sink, the directory built
 * beside DIR and renamed at the end. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pitr.h"
#include "tap.h"

#define R1	"0123456789abcdef0123456789abcdef01234567"
#define R2	"fedcba9876543210fedcba9876543210fedcba98"

static struct archive_obj
chunk(const char *replid, uint64_t start, uint64_t end)
{
	struct archive_obj o;

	memset(&o, 0, sizeof(o));
	o.kind = ARCHIVE_CHUNK;
	snprintf(o.replid, sizeof(o.replid), "%s", replid);
	o.start = start;
	o.end = end;
	return o;
}

/* Feeds s to a fresh tail in pieces of step bytes, then checks it
 * against o; returns pitr_trailer_check's result. */
static int
check(const char *s, size_t step, const struct archive_obj *o, char *err)
{
	struct pitr_tail t;
	size_t i, n = strlen(s), k;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < n; i += k) {
		k = n - i < step ? n - i : step;
		if (pitr_tail_sink(&t, s + i, k, err) < 0)
			return -2;
	}
	return pitr_trailer_check(&t, o, err);
}

static void
test_trailer(void)
{
	struct archive_obj o = chunk(R1, 1001, 1081), other;
	char buf[PITR_TRAILER_MAX + 1], body[4096], err[ERRSTR_LEN];
	int n;

	n = pitr_trailer(buf, sizeof(buf), R1, 1001, 1081);
	ok(n > 0 && strcmp(buf, "#rdbpipe:" R1
	    ":00000000000000001001-00000000000000001081\r\n") == 0,
	    "the trailer: %s", buf);
	ok(pitr_trailer(buf, sizeof(buf), R1, UINT64_MAX, UINT64_MAX) ==
	    PITR_TRAILER_MAX, "the longest fits PITR_TRAILER_MAX");
	ok(pitr_trailer(buf, sizeof(buf), "nothex", 1, 2) == -1,
	    "a bad replid is refused");

	snprintf(body, sizeof(body), "#TS:100\r\n*1\r\n$4\r\nPING\r\n%s",
	    "#rdbpipe:" R1 ":1001-1081\r\n");
	ok(check(body, 1, &o, err) == 0, "fed byte by byte: accepted");
	ok(check(body, 7, &o, err) == 0, "fed 7 by 7: accepted");
	ok(check(body, 4096, &o, err) == 0, "fed at once: accepted");
	ok(check("#rdbpipe:" R1 ":1001-1081\r\n", 3, &o, err) == 0,
	    "the trailer alone (the whole plaintext) is accepted");
	ok(check("#rdbpipe:" R1 ":00000000000000001001-00000000000000001081"
	    "\r\n", 5, &o, err) == 0, "leading zeros are the same offsets");
	/* A long plaintext: only the tail is kept. */
	memset(body, 'x', 3000);
	snprintf(body + 3000, sizeof(body) - 3000, "\r\n#rdbpipe:" R1
	    ":1001-1081\r\n");
	ok(check(body, 1000, &o, err) == 0, "after 3000 bytes: accepted");

	other = chunk(R1, 1001, 1080);
	ok(check("#rdbpipe:" R1 ":1001-1081\r\n", 3, &other, err) == -1 &&
	    strcmp(err, "its trailer is 01234567...:1001-1081: not this "
	    "chunk") == 0, "another END: %s", err);
	other = chunk(R2, 1001, 1081);
	ok(check("#rdbpipe:" R1 ":1001-1081\r\n", 3, &other, err) == -1 &&
	    strstr(err, "not this chunk") != NULL, "another replid: %s", err);

	ok(check("#TS:100\r\n*1\r\n$4\r\nPING\r\n", 3, &o, err) == -1 &&
	    strcmp(err, "no trailer (#rdbpipe:REPLID:START-END) at its end: "
	    "not a whole chunk") == 0, "no trailer: %s", err);
	ok(check("#rdbpipe:" R1 ":1001-1081\r\n*1\r\n", 3, &o, err) == -1,
	    "a trailer followed by more is refused");
	ok(check("#rdbpipe:" R1 ":1001-1081\n", 3, &o, err) == -1,
	    "a trailer without CR is refused");
	ok(check("#rdbpipe:" R1 ":1001-1081x\r\n", 3, &o, err) == -1,
	    "junk after END is refused");
	ok(check("#rdbpipe:" R1 ":-1081\r\n", 3, &o, err) == -1,
	    "no START is refused");
	ok(check("#rdbpipe:" R1 ":1001-99999999999999999999999\r\n", 3, &o,
	    err) == -1, "an END past 64 bits is refused");
	ok(check("x#rdbpipe:" R1 ":1001-1081\r\n", 3, &o, err) == -1,
	    "a trailer not at the start of its line is refused");
	memset(body, 'x', 3000);
	snprintf(body + 3000, sizeof(body) - 3000, "#rdbpipe:" R1
	    ":1001-1081\r\n");
	ok(check(body, 1000, &o, err) == -1,
	    "a last line longer than the tail is refused");
}

/* The entries of dir, . and .. left out. */
static int
entries(const char *dir)
{
	struct dirent *de;
	DIR *dp = opendir(dir);
	int n = 0;

	while (dp != NULL && (de = readdir(dp)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	if (dp != NULL)
		closedir(dp);
	return n;
}

static void
test_dir(void)
{
	char top[] = "/tmp/test_pitr.XXXXXX", path[512], err[ERRSTR_LEN];
	char *text;
	struct pitr_dir d;
	struct stat st;
	size_t len;
	int fd;

	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp\n");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/aof", top);
	ok(pitr_dir_new(&d, path, err) == 0 && strncmp(d.tmp, top,
	    strlen(top)) == 0 && strstr(d.tmp, "/.aof.") != NULL,
	    "the temporary dir is beside DIR: %s", d.tmp);
	ok(stat(d.tmp, &st) == 0 && (st.st_mode & 07777) == 0700,
	    "mode 0700");
	ok(lstat(path, &st) == -1 && errno == ENOENT, "no DIR yet");
	fd = pitr_dir_create(&d, PITR_BASE_FILE, err);
	ok(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0,
	    "a file in it");
	ok(pitr_dir_create(&d, PITR_BASE_FILE, err) == -1,
	    "a file is never created twice: %s", err);
	ok(pitr_dir_manifest(&d, err) == 0, "the manifest");
	ok(pitr_dir_commit(&d, err) == 0, "renamed to DIR");
	snprintf(path, sizeof(path), "%s/aof/" PITR_MANIFEST_FILE, top);
	text = (char *)tap_slurp(path, &len);
	ok(len == strlen(PITR_MANIFEST) && memcmp(text, "file appendonly.aof."
	    "1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 "
	    "type i\n", len) == 0, "the manifest's text");
	free(text);

	snprintf(path, sizeof(path), "%s/aof", top);
	ok(pitr_dir_new(&d, path, err) == -1 && strstr(err, ": exists: "
	    "refusing to write into it") != NULL, "DIR there: %s", err);

	snprintf(path, sizeof(path), "%s/aof2", top);
	ok(pitr_dir_new(&d, path, err) == 0, "a second one");
	fd = pitr_dir_create(&d, PITR_INCR_FILE, err);
	close(fd);
	ok(mkdir(path, 0700) == 0 && pitr_dir_commit(&d, err) == -1 &&
	    strstr(err, "File exists") != NULL,
	    "a DIR made meanwhile is never replaced: %s", err);
	pitr_dir_abort(&d);
	ok(entries(top) == 2, "abort leaves nothing beside DIR");
	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	if (system(path) != 0)
		printf("# could not remove %s\n", top);
}

int
main(void)
{
	test_trailer();
	test_dir();
	return tap_done();
}
