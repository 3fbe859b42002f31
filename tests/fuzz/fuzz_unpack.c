/*
 * libFuzzer target: the whole unpack path of rdb-pack -d (sniffing, age,
 * xz, the RDB check) on arbitrary input, split in two writes at a point
 * the input chooses so that partial-header paths are reached too.  The
 * identity is a fixed test key (not a secret); the corpus is seeded with
 * files encrypted to it (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pack.h"

#define FUZZ_IDENTITY "AGE-SECRET-KEY-1X58Q7T5SZ9PAA0WQN733LP9F2JHQFX7NEZJXZM75ANPL08ZG0MWSQSA5L2\n"
#define FUZZ_PASSPHRASE "fuzz"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secret id, pass;
	struct unpack_cfg cfg;
	struct unpack *u;
	char e[ERRSTR_LEN];
	size_t cut;

	if (id.buf == NULL) {
		id.buf = strdup(FUZZ_IDENTITY);
		id.len = strlen(id.buf);
		pass.buf = strdup(FUZZ_PASSPHRASE);
		pass.len = strlen(pass.buf);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.threads = 1;
	cfg.raw = size > 0 && (data[0] & 1);
	cfg.identity_files[cfg.nidentity_files++] = &id;
	cfg.passphrase = &pass;
	cfg.max_log_n = 4;	/* keep scrypt cheap */
	cfg.memlimit = 64 << 20;	/* a hostile zstd window stays small */
	u = unpack_new(&cfg, io_sink_null, NULL, e);
	if (u == NULL)
		return 0;
	cut = size > 0 ? data[size - 1] % (size + 1) : 0;
	if (unpack_write(u, data, cut, e) == 0 &&
	    unpack_write(u, data + cut, size - cut, e) == 0)
		(void)unpack_finish(u, e);
	unpack_free(u, NULL);
	return 0;
}
