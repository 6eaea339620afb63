/* An IGVM file's SNP ID block: the ID key's signature over the ID block the
 * firmware checks at SNP_LAUNCH_FINISH, and the key's digest. */
#include "measure/igvm.h"
#include "measure/id_block.h"
#include "common/le.h"
#include "common/err.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

#define ALGO_ECDSA_P384_SHA384 1
#define CURVE_P384 2
#define FIELD_LEN 72 /* r, s, Qx, Qy: little-endian, zero above P-384's 48 bytes */
#define P384_LEN 48

/* A 72-byte little-endian field as 48 big-endian bytes; false if it has
 * bits above 384. */
static bool field_be(const uint8_t *le, uint8_t be[P384_LEN])
{
    for (size_t i = P384_LEN; i < FIELD_LEN; i++)
        if (le[i])
            return false;
    for (size_t i = 0; i < P384_LEN; i++)
        be[i] = le[P384_LEN - 1 - i];
    return true;
}

/* The public key from Qx, Qy, or NULL when they are no point of P-384. */
static EVP_PKEY *public_key(const uint8_t *qx, const uint8_t *qy)
{
    uint8_t point[1 + 2 * P384_LEN] = {POINT_CONVERSION_UNCOMPRESSED};
    if (!field_be(qx, point + 1) || !field_be(qy, point + 1 + P384_LEN))
        return NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
        OSSL_PARAM_END,
    };
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

int igvm_id_block_check(const struct igvm_id_block *id, uint64_t policy, bool *valid,
                        uint8_t key_digest[GCTX_LD_LEN])
{
    const uint8_t *k = id->id_public_key;
    if (id->id_key_algorithm != ALGO_ECDSA_P384_SHA384 || get_le32(k) != CURVE_P384)
        return err_set(-EINVAL, "ID key algorithm %u, curve %u: not ECDSA P-384 with SHA-384",
                       id->id_key_algorithm, get_le32(k));
    EVP_PKEY *key = public_key(k + 8, k + 8 + FIELD_LEN);
    if (!key) {
        ERR_clear_error();
        return err_set(-EINVAL, "the ID key is not a point of P-384");
    }
    struct id_block_params p = {.version = id->version, .guest_svn = id->guest_svn, .policy = policy};
    memcpy(p.family_id, id->family_id, sizeof(p.family_id));
    memcpy(p.image_id, id->image_id, sizeof(p.image_id));
    uint8_t block[ID_BLOCK_LEN];
    id_block_build(id->ld, &p, block);
    *valid = snp_signature_verify(id->id_key_signature, key, block, sizeof(block));
    int r = id_key_digest(key, key_digest);
    EVP_PKEY_free(key);
    return r;
}
