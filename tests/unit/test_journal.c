/* common/journal: the lock, appends read back, iteration, removal; the
 * state dir and the journal refused unless they are ours alone. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "tap.h"

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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "cleanup");
	return tap_done();
}
