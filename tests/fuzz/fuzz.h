/* What every fuzz target shares. */
#ifndef RDBPIPE_FUZZ_H
#define RDBPIPE_FUZZ_H

#include <sodium.h>

#include "io.h"

/* libsodium must be initialised before sodium_malloc, as cli_init does. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0;
}

#endif
