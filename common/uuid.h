/* UUIDs: parsing, formatting, and name-based (v5, SHA-1) derivation, so
 * that every identifier in an output derives from the seed or a digest. */
#ifndef GUESTIMG_UUID_H
#define GUESTIMG_UUID_H

#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN 37
/* Accepts the canonical 8-4-4-4-12 form, either case. 0 or -EINVAL. */
int uuid_parse(const char *s, uint8_t out[16]);
void uuid_format(const uint8_t u[16], char out[UUID_STR_LEN]);
/* RFC 4122 version 5: SHA-1 of namespace || name. */
void uuid_v5(const uint8_t ns[16], const void *name, size_t len, uint8_t out[16]);

#endif
