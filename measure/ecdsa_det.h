/* Deterministic ECDSA (RFC 6979 section 3.2) for P-384 with SHA-384, as
 * python-ecdsa's SigningKey.sign_deterministic() computes it, so that an
 * ID block signed here is byte for byte the one igvmgen writes with
 * -sign_key K -sign_deterministic 1. OpenSSL 3.0 has no deterministic nonce:
 * the nonce comes from HMAC-SHA384 (EVP_MAC), the arithmetic from BN/EC. */
#ifndef GUESTIMG_MEASURE_ECDSA_DET_H
#define GUESTIMG_MEASURE_ECDSA_DET_H

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

#define ECDSA_P384_LEN 48

/* Sign SHA-384(msg) with key (an EC P-384 private key): r and s big-endian,
 * 48 bytes each. 0, or negative with the error set. */
int ecdsa_p384_sign_det(EVP_PKEY *key, const uint8_t *msg, size_t len,
                        uint8_t r[ECDSA_P384_LEN], uint8_t s[ECDSA_P384_LEN]);
/* The RFC 6979 nonce k for private key x (48 bytes big-endian) and message
 * digest h1 (SHA-384, 48 bytes), big-endian (exposed for the RFC's vectors). */
int ecdsa_p384_rfc6979_k(const uint8_t x[ECDSA_P384_LEN], const uint8_t h1[ECDSA_P384_LEN],
                         uint8_t k[ECDSA_P384_LEN]);

#endif
