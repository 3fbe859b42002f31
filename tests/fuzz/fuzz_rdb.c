/*
 * libFuzzer target: the RDB checker alone (common/rdb), fed the input in
 * pieces whose sizes the input's last bytes choose, with and without an
 * AOF tail allowed.  The verdict must not depend on how the bytes were
 * split: a one-shot feed and a piecewise feed must agree, since rdb-snap,
 * rdb-snap --sync and rdb-pack all see the same file in different pieces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rdb.h"

static int
verdict(const uint8_t *data, size_t size, int aof, size_t step,
    uint64_t *keys)
{
	struct rdb_check c;
	size_t off, n;
	int rc = 0;

	rdb_check_init(&c, aof);
	for (off = 0; off < size && rc == 0; off += n) {
		n = step == 0 ? size - off : step;
		if (n > size - off)
			n = size - off;
		rc = rdb_check_feed(&c, data + off, n);
	}
	if (rc == 0)
		rc = rdb_check_end(&c);
	if (rc < 0 && c.errstr[0] == '\0')
		abort();	/* a refusal always says why */
	*keys = c.keys;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t k1, k2;
	size_t step;
	int aof, a, b;

	if (size < 2)
		return 0;
	aof = data[size - 1] & 1;
	step = 1 + data[size - 2] % 61;
	size -= 2;
	a = verdict(data, size, aof, 0, &k1);
	b = verdict(data, size, aof, step, &k2);
	if (a != b || (a == 0 && k1 != k2))
		abort();
	return 0;
}
