#include "measure/id_block.h"
#include "common/le.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

/* ID block: digest, family ID, image ID, version, guest SVN, policy. */
enum {
    IDB_DIGEST = 0x00,
    IDB_FAMILY_ID = 0x30,
    IDB_IMAGE_ID = 0x40,
    IDB_VERSION = 0x50,
    IDB_GUEST_SVN = 0x54,
    IDB_POLICY = 0x58,
};

/* ID auth: algorithms, block signature, ID key, ID key signature, author key. */
enum {
    IDA_ID_KEY_ALGO = 0x000,
    IDA_AUTH_KEY_ALGO = 0x004,
    IDA_ID_BLOCK_SIG = 0x040,
    IDA_ID_KEY = 0x240,
    IDA_ID_KEY_SIG = 0x680,
    IDA_AUTHOR_KEY = 0x880,
};

#define ALGO_ECDSA_P384_SHA384 1
#define CURVE_P384 2
#define COORD_LEN SNP_SIG_FIELD_LEN
#define KEY_QX 0x04
#define KEY_QY (KEY_QX + COORD_LEN)
#define SIG_R 0x00
#define SIG_S COORD_LEN

#define DEFAULT_POLICY 0x30000

void id_block_params_init(struct id_block_params *p)
{
    memset(p, 0, sizeof(*p));
    p->version = 1;
    p->policy = DEFAULT_POLICY;
}

void id_block_build(const uint8_t digest[ID_BLOCK_DIGEST_LEN], const struct id_block_params *p,
                    uint8_t block[ID_BLOCK_LEN])
{
    memset(block, 0, ID_BLOCK_LEN);
    memcpy(block + IDB_DIGEST, digest, ID_BLOCK_DIGEST_LEN);
    memcpy(block + IDB_FAMILY_ID, p->family_id, sizeof(p->family_id));
    memcpy(block + IDB_IMAGE_ID, p->image_id, sizeof(p->image_id));
    put_le32(block + IDB_VERSION, p->version);
    put_le32(block + IDB_GUEST_SVN, p->guest_svn);
    put_le64(block + IDB_POLICY, p->policy);
}

EVP_PKEY *id_key_load(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        err_sys(-errno, "%s: cannot open", path);
        return NULL;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    char group[64] = "";
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
        strcmp(group, SN_secp384r1)) {
        EVP_PKEY_free(key);
        ERR_clear_error(); /* the message below says it all */
        err_set(-EINVAL, "%s: not a PEM EC P-384 private key (SNP signs with P-384 only)", path);
        return NULL;
    }
    return key;
}

static int put_bn_le(uint8_t *out, const BIGNUM *bn)
{
    return BN_bn2lebinpad(bn, out, COORD_LEN) == COORD_LEN ? 0 : -EINVAL;
}

int id_key_public(EVP_PKEY *key, uint8_t out[ID_KEY_LEN])
{
    BIGNUM *x = NULL, *y = NULL;
    memset(out, 0, ID_KEY_LEN);
    put_le32(out, CURVE_P384);
    int r = -EINVAL;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) && put_bn_le(out + KEY_QX, x) == 0 &&
        put_bn_le(out + KEY_QY, y) == 0)
        r = 0;
    BN_free(x);
    BN_free(y);
    return r < 0 ? err_set(r, "cannot read the public point of an EC key") : 0;
}

int id_key_digest(EVP_PKEY *key, uint8_t out[ID_KEY_DIGEST_LEN])
{
    uint8_t pub[ID_KEY_LEN];
    int r = id_key_public(key, pub);
    if (r < 0)
        return r;
    sha384_buf(pub, sizeof(pub), out);
    return 0;
}

/* ECDSA over SHA-384 of data, r and s stored little-endian (512 bytes). */
static int sign(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t *out)
{
    uint8_t der[256];
    size_t der_len = sizeof(der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) > 0 &&
             EVP_DigestSign(md, der, &der_len, data, len) > 0;
    EVP_MD_CTX_free(md);
    if (!ok)
        return err_set(-EINVAL, "ECDSA P-384 signing failed");
    const uint8_t *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig)
        return err_set(-EINVAL, "ECDSA P-384 signing gave a malformed signature");
    memset(out, 0, 512);
    int r = put_bn_le(out + SIG_R, ECDSA_SIG_get0_r(sig)) == 0 &&
                    put_bn_le(out + SIG_S, ECDSA_SIG_get0_s(sig)) == 0
                ? 0
                : err_set(-EINVAL, "ECDSA P-384 signature does not fit its field");
    ECDSA_SIG_free(sig);
    return r;
}

int id_auth_build(const uint8_t block[ID_BLOCK_LEN], EVP_PKEY *id_key, EVP_PKEY *author_key,
                  uint8_t auth[ID_AUTH_LEN])
{
    memset(auth, 0, ID_AUTH_LEN);
    put_le32(auth + IDA_ID_KEY_ALGO, ALGO_ECDSA_P384_SHA384);
    put_le32(auth + IDA_AUTH_KEY_ALGO, ALGO_ECDSA_P384_SHA384);
    int r;
    if ((r = sign(id_key, block, ID_BLOCK_LEN, auth + IDA_ID_BLOCK_SIG)) < 0 ||
        (r = id_key_public(id_key, auth + IDA_ID_KEY)) < 0 ||
        (r = sign(author_key, auth + IDA_ID_KEY, ID_KEY_LEN, auth + IDA_ID_KEY_SIG)) < 0 ||
        (r = id_key_public(author_key, auth + IDA_AUTHOR_KEY)) < 0)
        return r;
    return 0;
}

bool snp_signature_verify(const uint8_t sig[2 * SNP_SIG_FIELD_LEN], EVP_PKEY *key, const uint8_t *data, size_t len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *br = BN_lebin2bn(sig, SNP_SIG_FIELD_LEN, NULL);
    BIGNUM *bs = BN_lebin2bn(sig + SNP_SIG_FIELD_LEN, SNP_SIG_FIELD_LEN, NULL);
    if (!es || !br || !bs || !ECDSA_SIG_set0(es, br, bs))
        abort(); /* allocation only */
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(es, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = der_len > 0 && md && EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) == 1 &&
              EVP_DigestVerify(md, der, (size_t)der_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    ERR_clear_error();
    return ok;
}
