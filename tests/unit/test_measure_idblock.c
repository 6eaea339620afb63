/* measure/id_block: the ID block against snp-create-id-block's output, and
 * the ID auth signatures verified through OpenSSL. */
#include "harness.h"

#include "common/err.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"
#include "measure/id_block.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

static char *fixture(const char *rel)
{
    const char *root = getenv("GUESTIMG_ROOT");
    return xasprintf("%s/tests/fixtures/%s", root && *root ? root : ".", rel);
}

static EVP_PKEY *load_key(const char *name)
{
    _cleanup_free_ char *path = fixture(name);
    EVP_PKEY *k = id_key_load(path);
    if (!k)
        FAIL_("%s", err_msg());
    return k;
}

/* From tests/fixtures/idblock-vectors.tsv (snp-create-id-block's output). */
static const char measurement[] = "B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7t";
static const char block_b64[] = "B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7t"
                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAwAAAAAA";

TEST(default_id_block_matches_snp_create_id_block)
{
    uint8_t digest[48], block[ID_BLOCK_LEN];
    CHECK_EQ_INT(base64_decode(measurement, digest, sizeof(digest)), 48);
    struct id_block_params p;
    id_block_params_init(&p);
    id_block_build(digest, &p, block);
    _cleanup_free_ char *b64 = base64_encode(block, sizeof(block));
    CHECK_STR(b64, block_b64);
}

/* The SNP signature at sig (r, s little-endian in 72 bytes each) is key's
 * ECDSA-SHA384 signature of data. */
static bool verifies(EVP_PKEY *key, const uint8_t *sig, const uint8_t *data, size_t len)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_lebin2bn(sig, 72, NULL), BN_lebin2bn(sig + 72, 72, NULL));
    uint8_t *der = NULL;
    int der_len = i2d_ECDSA_SIG(s, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) == 1 &&
              EVP_DigestVerify(md, der, (size_t)der_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return ok;
}

TEST(id_auth_signatures_verify)
{
    EVP_PKEY *id = load_key("keys/id-p384.pem"), *author = load_key("keys/author-p384.pem");
    uint8_t digest[48] = {1, 2, 3}, block[ID_BLOCK_LEN], auth[ID_AUTH_LEN];
    struct id_block_params p;
    id_block_params_init(&p);
    p.policy = 0x30001;
    id_block_build(digest, &p, block);
    CHECK_EQ_INT(id_auth_build(block, id, author, auth), 0);
    CHECK_EQ_U64(auth[0], 1);
    CHECK_EQ_U64(auth[4], 1);
    CHECK(verifies(id, auth + 0x40, block, sizeof(block)));
    CHECK(verifies(author, auth + 0x680, auth + 0x240, ID_KEY_LEN));
    CHECK(!verifies(author, auth + 0x40, block, sizeof(block)));
    block[0x58] ^= 1;
    CHECK(!verifies(id, auth + 0x40, block, sizeof(block)));

    uint8_t pub[ID_KEY_LEN], d[48], want[48];
    CHECK_EQ_INT(id_key_public(author, pub), 0);
    CHECK_MEM(pub, auth + 0x880, ID_KEY_LEN);
    CHECK_EQ_INT(id_key_digest(author, d), 0);
    sha384_buf(auth + 0x880, ID_KEY_LEN, want);
    CHECK_MEM(d, want, 48);
    EVP_PKEY_free(id);
    EVP_PKEY_free(author);
}

TEST(keys_that_are_not_p384_private_keys)
{
    CHECK(id_key_load("/nonexistent.pem") == NULL);
    CHECK_STR(err_msg(), "/nonexistent.pem: cannot open: No such file or directory");
    _cleanup_free_ char *readme = fixture("keys/README.md");
    CHECK(id_key_load(readme) == NULL);
    CHECK(endswith(err_msg(), "README.md: not a PEM EC P-384 private key (SNP signs with P-384 only)"));
}
