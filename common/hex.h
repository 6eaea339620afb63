/* Hex and base64 text. */
#ifndef GUESTIMG_HEX_H
#define GUESTIMG_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void hex_encode(const uint8_t *buf, size_t len, char *out);
/* Allocating variant. */
char *hex_string(const uint8_t *buf, size_t len);
/* Decode exactly: s must be 2*n hex digits (either case); returns the byte
 * count, or -EINVAL (malformed) / -E2BIG (longer than max). No message. */
int hex_decode(const char *s, uint8_t *out, size_t max);
/* Standard base64 with padding; returns an allocated string. */
char *base64_encode(const uint8_t *buf, size_t len);
/* Decode standard base64 (padding required); returns byte count or -EINVAL. */
int base64_decode(const char *s, uint8_t *out, size_t max);

#endif
