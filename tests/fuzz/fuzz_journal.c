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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct journal j;
	char e[ERRSTR_LEN];
	FILE *f;

	if (dir[sizeof(dir) - 7] == 'X' && mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_NAME);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();

	if (journal_open(&j, dir, e) < 0 || j.text == NULL)
		abort();
	read_all(&j);
	if (journal_add(&j, "fuzz-step", "appended", e) < 0)
		abort();
	check_appended(&j);
	read_all(&j);
	journal_close(&j);

	if (journal_open(&j, dir, e) < 0 || j.text == NULL)
		abort();
	check_appended(&j);
	journal_close(&j);
	return 0;
}
