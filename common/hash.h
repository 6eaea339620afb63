/* Hashing through OpenSSL's EVP interface. */
#ifndef GUESTIMG_HASH_H
#define GUESTIMG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA384_LEN 48

void sha256_buf(const void *buf, size_t len, uint8_t out[SHA256_LEN]);
void sha384_buf(const void *buf, size_t len, uint8_t out[SHA384_LEN]);
/* Digest of everything in an open file, from offset 0 (read with pread:
 * the file offset is left alone); what names it in errors. */
int hash_fd(int fd, const char *alg, const char *what, uint8_t *out, size_t *outlen, uint64_t *size);
/* The same over the first max bytes at most (*size says how many there were):
 * a file that should have N bytes is read to N + 1, never further. */
int hash_fd_max(int fd, const char *alg, const char *what, uint64_t max, uint8_t *out, size_t *outlen,
                uint64_t *size);
/* Digest of a whole file, streamed (alg is an OpenSSL name: "sha256", …).
 * If size is non-NULL it receives the file's length. Sets the error. */
int hash_file(const char *path, const char *alg, uint8_t *out, size_t *outlen, uint64_t *size);
/* sha256 of a file as 64 hex digits + NUL. */
int sha256_file_hex(const char *path, char out[2 * SHA256_LEN + 1], uint64_t *size);

#endif
