/*
 * libFuzzer target: the age decryptor alone (header parser, stanzas, MAC,
 * STREAM) with a fixed test identity and a passphrase, fed in two writes
 * split where the input says.  scrypt is capped at 2^4 to stay fast.
 */
#include <stdint.h>
#include <string.h>

#include "age.h"
#include "fuzz.h"

static const char identity[] = "AGE-SECRET-KEY-1X58Q7T5SZ9PAA0WQN733LP9F2JHQFX7NEZJXZM75ANPL08ZG0MWSQSA5L2\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char e[ERRSTR_LEN];
	struct age_dec *d;
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;

	d = age_dec_new(io_sink_null, NULL, e);
	if (d == NULL)
		return 0;
	age_dec_add_identities_text(d, identity, sizeof(identity) - 1, e);
	age_dec_set_passphrase(d, "fuzz", 4, e);
	age_dec_set_max_log_n(d, 4);
	if (age_dec_write(d, data, cut, e) == 0 &&
	    age_dec_write(d, data + cut, size - cut, e) == 0)
		(void)age_dec_finish(d, e);
	age_dec_free(d);
	return 0;
}
