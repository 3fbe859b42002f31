/* common/journal: the lock, appends read back, iteration, removal. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "journal.h"
#include "tap.h"

/* Writes the journal's bytes as a crash may have left them. */
static void
put(const char *dir, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_NAME);
	if ((f = fopen(path, "w")) == NULL || fwrite(text, 1, len, f) != len ||
	    fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* Regressions found by tests/fuzz/fuzz_journal.c: a journal a crash cut
 * mid-line, or left with NUL bytes, must still read back what is
 * appended to it, from memory and after reopening. */
static void
torn(const char *dir)
{
	static const char cut[] = "rdb-install 1\nstep sta";
	static const char nul[] = "rdb-install 1\nstep move\n\0\0\0\0step in\0\0";
	struct journal j;
	char e[ERRSTR_LEN], v[64], disk[64];
	const char *pos = NULL;
	FILE *f;
	size_t n;

	put(dir, cut, sizeof(cut) - 1);
	ok(journal_open(&j, dir, e) == 0 && journal_add(&j, "step", "stop",
	    e) == 0 && journal_get(&j, "step", v, sizeof(v)) == 0 &&
	    strcmp(v, "stop") == 0, "a line appended after a torn one reads "
	    "back: %s", v);
	journal_close(&j);
	ok(journal_open(&j, dir, e) == 0 && journal_get(&j, "step", v,
	    sizeof(v)) == 0 && strcmp(v, "stop") == 0,
	    "and after reopening: %s", v);
	ok(journal_next(&j, "step", &pos, v, sizeof(v)) == 0 &&
	    strcmp(v, "sta") == 0, "the torn line stays a line of its own");
	f = fopen(j.path, "r");
	n = f != NULL ? fread(disk, 1, sizeof(disk) - 1, f) : 0;
	disk[n] = '\0';
	if (f != NULL)
		fclose(f);
	ok(strcmp(disk, "rdb-install 1\nstep sta\nstep stop\n") == 0,
	    "on disk: the torn line ended, then the new one");
	journal_close(&j);

	put(dir, nul, sizeof(nul) - 1);
	ok(journal_open(&j, dir, e) == 0 && journal_get(&j, "step", v,
	    sizeof(v)) == 0 && strcmp(v, "in") == 0 &&
	    journal_get(&j, "rdb-install", v, sizeof(v)) == 0,
	    "NUL bytes from a crash end lines, they hide none: %s", v);
	ok(journal_add(&j, "step", "install", e) == 0 &&
	    journal_get(&j, "step", v, sizeof(v)) == 0 &&
	    strcmp(v, "install") == 0, "a line appended after them reads "
	    "back: %s", v);
	journal_close(&j);
	ok(journal_open(&j, dir, e) == 0 && journal_get(&j, "step", v,
	    sizeof(v)) == 0 && strcmp(v, "install") == 0,
	    "and after reopening: %s", v);
	ok(journal_remove(&j, e) == 0, "remove");
	journal_close(&j);
}

int
main(void)
{
	char dir[] = "/tmp/test_journal.XXXXXX", e[ERRSTR_LEN], v[64];
	struct journal j, k;
	const char *pos = NULL;

	if (mkdtemp(dir) == NULL)
		return 1;
	ok(journal_open(&j, dir, e) == 0 && j.text == NULL,
	    "open an empty dir: no journal yet");
	ok(journal_open(&k, dir, e) < 0 &&
	    strstr(e, "another rdb-install is running") != NULL,
	    "a second open is refused while the first holds the lock");
	ok(journal_create(&j, "rdb-install 1\nstep staged\n", e) == 0,
	    "create");
	ok(journal_add(&j, "mv", "a\tb", e) == 0 &&
	    journal_add(&j, "mv", "c\td", e) == 0 &&
	    journal_add(&j, "step", "stop", e) == 0, "append three lines");
	ok(journal_get(&j, "step", v, sizeof(v)) == 0 &&
	    strcmp(v, "stop") == 0, "the last value of a key wins");
	ok(journal_get(&j, "nope", v, sizeof(v)) < 0, "a missing key");
	ok(journal_next(&j, "mv", &pos, v, sizeof(v)) == 0 &&
	    strcmp(v, "a\tb") == 0 &&
	    journal_next(&j, "mv", &pos, v, sizeof(v)) == 0 &&
	    strcmp(v, "c\td") == 0 &&
	    journal_next(&j, "mv", &pos, v, sizeof(v)) < 0,
	    "iterate over every line of a key, in order");
	journal_close(&j);
	ok(journal_open(&k, dir, e) == 0 && k.text != NULL &&
	    journal_get(&k, "step", v, sizeof(v)) == 0 &&
	    strcmp(v, "stop") == 0, "reopened: what was written is there");
	ok(journal_remove(&k, e) == 0 && access(k.path, F_OK) < 0,
	    "remove");
	journal_close(&k);
	torn(dir);
	snprintf(v, sizeof(v), "rm -rf %s", dir);
	ok(system(v) == 0, "cleanup");
	return tap_done();
}
