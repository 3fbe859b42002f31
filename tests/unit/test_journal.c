/* common/journal: the lock, appends read back, iteration, removal; the
 * state dir and the journal refused unless they are ours alone. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "tap.h"

/* Writes the journal's bytes as a crash may have left them (root's, 0600:
 * anything else is refused unread). */
static void
put(const char *path, const char *text, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    fchmod(fd, 0600) < 0 || write(fd, text, len) != (ssize_t)len ||
	    close(fd) < 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* Regressions found by tests/fuzz/fuzz_journal.c: a journal a crash cut
 * mid-line, or left with NUL bytes, must still read back what is
 * appended to it, from memory and after reopening. */
static void
torn(const char *state, int dfd, const char *data, const struct stat *st)
{
	static const char cut[] = "rdb-install 1\nstep sta";
	static const char nul[] = "rdb-install 1\nstep move\n\0\0\0\0step in\0\0";
	struct journal j;
	char e[ERRSTR_LEN], v[64], disk[64], path[PATH_MAX];
	const char *pos = NULL;
	FILE *f;
	size_t n;

	ok(journal_open(&j, state, dfd, data, st, e) == 0, "open: %s", e);
	snprintf(path, sizeof(path), "%s", j.path);
	journal_close(&j);
	put(path, cut, sizeof(cut) - 1);
	ok(journal_open(&j, state, dfd, data, st, e) == 0 && journal_add(&j, "step", "stop",
	    e) == 0 && journal_get(&j, "step", v, sizeof(v)) == 0 &&
	    strcmp(v, "stop") == 0, "a line appended after a torn one reads "
	    "back: %s", v);
	journal_close(&j);
	ok(journal_open(&j, state, dfd, data, st, e) == 0 && journal_get(&j, "step", v,
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

	put(path, nul, sizeof(nul) - 1);
	ok(journal_open(&j, state, dfd, data, st, e) == 0 && journal_get(&j, "step", v,
	    sizeof(v)) == 0 && strcmp(v, "in") == 0 &&
	    journal_get(&j, "rdb-install", v, sizeof(v)) == 0,
	    "NUL bytes from a crash end lines, they hide none: %s", v);
	ok(journal_add(&j, "step", "install", e) == 0 &&
	    journal_get(&j, "step", v, sizeof(v)) == 0 &&
	    strcmp(v, "install") == 0, "a line appended after them reads "
	    "back: %s", v);
	journal_close(&j);
	ok(journal_open(&j, state, dfd, data, st, e) == 0 && journal_get(&j, "step", v,
	    sizeof(v)) == 0 && strcmp(v, "install") == 0,
	    "and after reopening: %s", v);
	ok(journal_remove(&j, e) == 0, "remove");
	journal_close(&j);
}

int
main(void)
{
	char dir[] = "/tmp/test_journal.XXXXXX", e[ERRSTR_LEN], v[64];
	char state[64], data[64], cmd[128];
	struct journal j, k;
	const char *pos = NULL;
	struct stat st;
	int dfd, dfd2;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	if (mkdir(data, 0750) < 0 ||
	    (dfd = open(data, O_RDONLY | O_DIRECTORY)) < 0 ||
	    (dfd2 = open(data, O_RDONLY | O_DIRECTORY)) < 0 ||
	    fstat(dfd, &st) < 0)
		return 1;
	ok(journal_open(&j, state, dfd, data, &st, e) == 0 && j.text == NULL,
	    "open: the state dir made, no journal yet");
	ok(stat(state, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "the state dir is made mode 0700");
	fstat(dfd, &st);
	ok(journal_open(&k, state, dfd2, data, &st, e) < 0 &&
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
	ok(strncmp(j.path, state, strlen(state)) == 0 &&
	    stat(j.path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the journal is in the state dir, mode 0600: %s", j.path);
	journal_close(&j);
	fstat(dfd, &st);
	ok(journal_open(&k, state, dfd, data, &st, e) == 0 && k.text != NULL &&
	    journal_get(&k, "step", v, sizeof(v)) == 0 &&
	    strcmp(v, "stop") == 0, "reopened: what was written is there");
	journal_close(&k);
	chmod(k.path, 0644);
	ok(journal_open(&k, state, dfd, data, &st, e) < 0 &&
	    strstr(e, "not ours alone (uid 0, mode 644; want uid 0, 0600): move it away") != NULL,
	    "a journal of mode 0644 is refused: %s", e);
	chmod(k.path, 0600);
	chmod(state, 0777);
	ok(journal_open(&k, state, dfd, data, &st, e) < 0 &&
	    strstr(e, "it must be ours alone") != NULL,
	    "a state dir others can write is refused: %s", e);
	chmod(state, 0700);
	ok(journal_open(&k, state, dfd, data, &st, e) == 0 &&
	    journal_remove(&k, e) == 0 && access(k.path, F_OK) < 0,
	    "remove");
	journal_close(&k);
	if (symlink("/etc/passwd", k.path) < 0)
		return 1;
	ok(journal_open(&k, state, dfd, data, &st, e) < 0 &&
	    strstr(e, "Too many levels of symbolic links") != NULL,
	    "a journal that is a symlink is refused: %s", e);
	unlink(k.path);
	torn(state, dfd, data, &st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "cleanup");
	return tap_done();
}
