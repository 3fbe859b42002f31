/*
 * libFuzzer target: common/conf, the reader of a redis.conf that the
 * redis user may rewrite (CONFIG REWRITE).  Each input is written to a
 * private temp file and loaded (quoting, escapes, includes); every line
 * is also split alone.  Includes may name any path: the target runs in an
 * empty temp dir so a relative glob finds only the file itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char dir[] = "/tmp/fuzz_conf.XXXXXX";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char path[64], e[ERRSTR_LEN], **argv;
	const char *p = (const char *)data, *nl;
	size_t left = size;
	FILE *f;
	int argc;

	if (dir[sizeof(dir) - 7] == 'X' && (mkdtemp(dir) == NULL ||
	    chdir(dir) < 0))
		abort();
	while (left > 0) {
		nl = memchr(p, '\n', left);
		argc = conf_split(p, nl ? (size_t)(nl - p) : left, &argv);
		if (argc >= 0)
			conf_argv_free(argc, argv);
		if (nl == NULL)
			break;
		left -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	snprintf(path, sizeof(path), "%s/redis.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	memset(&c, 0, sizeof(c));
	if (conf_load(&c, path, e) == 0) {
		(void)conf_get(&c, "dir", ".");
		(void)conf_get(&c, "dbfilename", "dump.rdb");
		(void)conf_last(&c, "appendonly");
	} else if (e[0] == '\0') {
		abort();
	}
	conf_free(&c);
	return 0;
}
