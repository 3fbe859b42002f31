/*
 * libFuzzer target: common/journal, the reader of rdb-install's restore
 * journal, which a run after a crash trusts to know what was planned and
 * how far it got.  Each input is the journal file: it is opened (locked,
 * read), every key rdb-install reads is looked up with buffers from one
 * byte to PATH_MAX, the move lines walked; then a line is appended, as
 * each step is journaled, and must read back both from memory and after
 * reopening the file: what the reader sees is what was written.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "journal.h"

static char dir[] = "/tmp/fuzz_journal.XXXXXX";

static const char *keys[] = {
	"rdb-install", "conf", "dir", "dbfilename", "aof", "aofdir",
	"aoffile", "keys", "rdb_version", "was_up", "chown", "edit",
	"confcopy", "step", "moves", "move", "loaded", "", "s", "step ",
};

/* A value is one line, shorter than its buffer. */
static void
check_value(const char *v, size_t len)
{
	size_t n = strnlen(v, len);

	if (n >= len || memchr(v, '\n', n) != NULL)
		abort();
}

static void
read_all(const struct journal *j)
{
	static const size_t lens[] = { 1, 2, 8, 64, PATH_MAX };
	static char v[PATH_MAX];
	const char *pos;
	size_t k, l, lines;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			if (journal_get(j, keys[k], v, lens[l]) == 0)
				check_value(v, lens[l]);
			pos = NULL;
			for (lines = 0; journal_next(j, keys[k], &pos, v,
			    lens[l]) == 0; lines++) {
				check_value(v, lens[l]);
				if (lines > j->len)
					abort();	/* no progress */
			}
		}
}

/* The appended line is the last "fuzz-step" and reads back. */
static void
check_appended(const struct journal *j)
{
	char v[64];
	const char *pos = NULL;
	int seen = 0;

	if (journal_get(j, "fuzz-step", v, sizeof(v)) < 0 ||
	    strcmp(v, "appended") != 0)
		abort();
	while (journal_next(j, "fuzz-step", &pos, v, sizeof(v)) == 0)
		seen = strcmp(v, "appended") == 0;
	if (!seen)
		abort();
}

/* Writes the input where the journal of data lives, as root's 0600
 * file (anything else is refused before it is read). */
static void
put(const char *path, const uint8_t *data, size_t size)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || fchmod(fd, 0600) < 0 ||
	    write(fd, data, size) != (ssize_t)size || close(fd) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char state[64], ddir[64], path[PATH_MAX];
	static struct stat st;
	static int dfd = -1;
	struct journal j;
	char e[ERRSTR_LEN];

	if (dfd < 0) {
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(state, sizeof(state), "%s/state", dir);
		snprintf(ddir, sizeof(ddir), "%s/data", dir);
		if (mkdir(ddir, 0750) < 0 ||
		    (dfd = open(ddir, O_RDONLY | O_DIRECTORY)) < 0 ||
		    fstat(dfd, &st) < 0)
			abort();
		/* The first open makes the state dir and names the file. */
		if (journal_open(&j, state, dfd, ddir, &st, e) < 0)
			abort();
		snprintf(path, sizeof(path), "%s", j.path);
		journal_close(&j);
	}
	if (size == 0)
		return 0;	/* no journal at all is another path */
	put(path, data, size);

	if (journal_open(&j, state, dfd, ddir, &st, e) < 0) {
		/* Only its size may make it refused. */
		if (size <= 1024 * 1024)
			abort();
		return 0;
	}
	if (j.text == NULL)
		abort();
	read_all(&j);
	if (journal_add(&j, "fuzz-step", "appended", e) < 0)
		abort();
	check_appended(&j);
	read_all(&j);
	journal_close(&j);

	if (journal_open(&j, state, dfd, ddir, &st, e) < 0 || j.text == NULL)
		abort();
	check_appended(&j);
	journal_close(&j);
	return 0;
}
