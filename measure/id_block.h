/* SEV-SNP ID block and ID authentication structure (SNP firmware ABI,
 * SNP_LAUNCH_FINISH), as snp-create-id-block (virtee) makes them: the ID
 * block names the expected launch digest and policy, signed with the ID key
 * (ECDSA P-384, SHA-384); the ID key is signed with the author key. */
#ifndef GUESTIMG_MEASURE_ID_BLOCK_H
#define GUESTIMG_MEASURE_ID_BLOCK_H

#include <openssl/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ID_BLOCK_LEN 96
#define ID_AUTH_LEN 4096
#define ID_BLOCK_DIGEST_LEN 48
#define ID_KEY_LEN 1028        /* public key as the firmware reads it */
#define ID_KEY_DIGEST_LEN 48
#define SNP_SIG_FIELD_LEN 72   /* R, S, Qx, Qy: little-endian, zero-padded */   /* SHA-384 of that: what attestation reports carry */

struct id_block_params {
    uint8_t family_id[16], image_id[16];
    uint32_t version;    /* of the ID block format: 1 */
    uint32_t guest_svn;
    uint64_t policy;     /* guest policy: snp-create-id-block's default is 0x30000 */
};

/* snp-create-id-block's defaults: zero IDs, version 1, SVN 0, policy 0x30000
 * (SMT allowed, ABI 0.0, reserved bit 17 set). */
void id_block_params_init(struct id_block_params *p);
void id_block_build(const uint8_t digest[ID_BLOCK_DIGEST_LEN], const struct id_block_params *p,
                    uint8_t block[ID_BLOCK_LEN]);

/* Load an EC P-384 private key from a PEM file; NULL with the error set
 * (naming the file) when it is unreadable or not such a key. */
EVP_PKEY *id_key_load(const char *path);
/* The public key in the firmware's layout (curve id 2, Qx, Qy little-endian). */
int id_key_public(EVP_PKEY *key, uint8_t out[ID_KEY_LEN]);
/* SHA-384 of id_key_public(): the ID_KEY_DIGEST / AUTHOR_KEY_DIGEST of reports. */
int id_key_digest(EVP_PKEY *key, uint8_t out[ID_KEY_DIGEST_LEN]);
/* The ID authentication structure: the block signed by id_key, id_key's
 * public key signed by author_key. ECDSA nonces are random, as in
 * snp-create-id-block: the signatures differ run to run and all verify. */
int id_auth_build(const uint8_t block[ID_BLOCK_LEN], EVP_PKEY *id_key, EVP_PKEY *author_key,
                  uint8_t auth[ID_AUTH_LEN]);

/* Whether sig (R then S, each 72 bytes little-endian, as in ID auth
 * structures and attestation reports) is key's ECDSA SHA-384 signature of
 * data. A signature that does not verify is an answer, not an error:
 * OpenSSL's error queue is left empty. */
bool snp_signature_verify(const uint8_t sig[2 * SNP_SIG_FIELD_LEN], EVP_PKEY *key, const uint8_t *data, size_t len);

#endif
