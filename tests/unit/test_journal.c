/* common/journal: the lock, appends read back, iteration, removal. */
#include <stdlib.h>
#include <unistd.h>

#include "journal.h"
#include "tap.h"

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
	snprintf(v, sizeof(v), "rm -rf %s", dir);
	ok(system(v) == 0, "cleanup");
	return tap_done();
}
