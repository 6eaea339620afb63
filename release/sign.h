/* Detached signatures over release.json that plain OpenSSL verifies:
 *   ECDSA P-384 with SHA-384 (DER signature):
 *     openssl dgst -sha384 -verify pub.pem -signature release.json.sig release.json
 *   Ed25519 (64-byte signature over the bytes themselves):
 *     openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in release.json -sigfile release.json.sig
 * Keys are PEM files; any other key type (RSA, other curves, encrypted
 * keys) is an error naming the file and what it holds. */
#ifndef GUESTIMG_RELEASE_SIGN_H
#define GUESTIMG_RELEASE_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* Check that key_path holds a private key release_sign() can use (a build
 * checks its key before hours of work, not after). */
int release_check_key(const char *key_path);
/* Sign data with the private key in key_path; *sig is allocated. */
int release_sign(const char *key_path, const void *data, size_t len, uint8_t **sig, size_t *siglen);
/* 0 when sig is a valid signature of data by the public key in pub_path;
 * -EBADMSG (with a message) when it is not; other errors for unusable keys. */
int release_verify_signature(const char *pub_path, const void *data, size_t len, const uint8_t *sig,
                             size_t siglen);

#endif
