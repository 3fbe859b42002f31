/* Bech32 (BIP 173, not Bech32m), as age encodes its keys. */
#ifndef RDBPIPE_BECH32_H
#define RDBPIPE_BECH32_H

#include <stddef.h>
#include <stdint.h>

/* Encodes data under hrp (lower case) into out; upper makes the whole
 * string upper case (age identities); returns 0, or -1 if out is short. */
int bech32_encode(char *out, size_t outlen, const char *hrp,
    const uint8_t *data, size_t len, int upper);

/* Decodes s (all lower or all upper case) into hrp (lower-cased) and
 * data; *len holds data's capacity and receives the length; returns 0 or
 * -1 for a bad checksum, character, case mix, padding or size. */
int bech32_decode(const char *s, char *hrp, size_t hrplen, uint8_t *data,
    size_t *len);

#endif
