#include "measure/ecdsa_det.h"
#include "common/err.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <string.h>

#define L ECDSA_P384_LEN

static int hmac(const uint8_t key[L], const uint8_t *a, size_t alen, int sep,
                const uint8_t *b, size_t blen, const uint8_t *c, size_t clen, uint8_t out[L])
{
    uint8_t buf[L + 1 + 2 * L];
    size_t n = 0, outlen = 0;
    memcpy(buf, a, alen), n = alen;
    if (sep >= 0)
        buf[n++] = (uint8_t)sep;
    if (b)
        memcpy(buf + n, b, blen), n += blen;
    if (c)
        memcpy(buf + n, c, clen), n += clen;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA384", NULL, key, L, buf, n, out, L, &outlen) ||
        outlen != L) {
        ERR_clear_error();
        return err_set(-EIO, "ECDSA: HMAC-SHA384 failed");
    }
    return 0;
}

static const BIGNUM *p384_order(void)
{
    static BIGNUM *q;
    if (!q) {
        EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp384r1);
        if (g)
            q = BN_dup(EC_GROUP_get0_order(g));
        EC_GROUP_free(g);
    }
    return q;
}

int ecdsa_p384_rfc6979_k(const uint8_t x[L], const uint8_t h1[L], uint8_t k[L])
{
    const BIGNUM *q = p384_order();
    BIGNUM *z = BN_bin2bn(h1, L, NULL), *t = BN_new();
    uint8_t h1o[L], V[L], K[L];
    int rc = -ENOMEM;
    if (!q || !z || !t)
        goto out;
    /* bits2octets(h1): qlen = hlen = 384, so bits2int is the plain
     * integer and one subtraction of q reduces it. */
    if (BN_cmp(z, q) >= 0 && !BN_sub(z, z, q))
        goto out;
    if (BN_bn2binpad(z, h1o, L) != L)
        goto out;
    memset(V, 0x01, L);
    memset(K, 0x00, L);
    if ((rc = hmac(K, V, L, 0x00, x, L, h1o, L, K)) || (rc = hmac(K, V, L, -1, NULL, 0, NULL, 0, V)) ||
        (rc = hmac(K, V, L, 0x01, x, L, h1o, L, K)) || (rc = hmac(K, V, L, -1, NULL, 0, NULL, 0, V)))
        goto out;
    for (int tries = 0; tries < 64; tries++) {
        /* tlen = qlen: one HMAC block gives the 384 bits */
        if ((rc = hmac(K, V, L, -1, NULL, 0, NULL, 0, V)))
            goto out;
        if (!BN_bin2bn(V, L, t)) {
            rc = -ENOMEM;
            goto out;
        }
        if (!BN_is_zero(t) && BN_cmp(t, q) < 0) {
            memcpy(k, V, L);
            rc = 0;
            goto out;
        }
        if ((rc = hmac(K, V, L, 0x00, NULL, 0, NULL, 0, K)) || (rc = hmac(K, V, L, -1, NULL, 0, NULL, 0, V)))
            goto out;
    }
    rc = err_set(-EIO, "ECDSA: no nonce found");
out:
    if (rc == -ENOMEM)
        err_set(rc, "ECDSA: out of memory");
    BN_free(z);
    BN_free(t);
    return rc;
}

int ecdsa_p384_sign_det(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t r_out[L], uint8_t s_out[L])
{
    char group[32] = "";
    BIGNUM *x = NULL, *k = NULL, *r = NULL, *s = NULL, *e = NULL, *kinv = NULL;
    EC_GROUP *g = NULL;
    EC_POINT *R = NULL;
    BN_CTX *ctx = NULL;
    uint8_t xb[L], h1[L], kb[L];
    unsigned int hl = 0;
    int rc;

    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
        strcmp(group, "secp384r1") != 0 ||
        !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &x)) {
        ERR_clear_error();
        return err_set(-EINVAL, "ECDSA: the key is not an EC P-384 private key");
    }
    rc = -ENOMEM;
    if (BN_bn2binpad(x, xb, L) != L || !EVP_Digest(msg, len, h1, &hl, EVP_sha384(), NULL))
        goto out;
    if ((rc = ecdsa_p384_rfc6979_k(xb, h1, kb)))
        goto out;
    rc = -ENOMEM;
    g = EC_GROUP_new_by_curve_name(NID_secp384r1);
    ctx = BN_CTX_new();
    k = BN_bin2bn(kb, L, NULL);
    e = BN_bin2bn(h1, L, NULL);
    r = BN_new(), s = BN_new(), kinv = BN_new();
    if (!g || !ctx || !k || !e || !r || !s || !kinv || !(R = EC_POINT_new(g)))
        goto out;
    const BIGNUM *q = EC_GROUP_get0_order(g);
    /* r = (kG).x mod q; s = k^-1 (e + r x) mod q */
    if (!EC_POINT_mul(g, R, k, NULL, NULL, ctx) || !EC_POINT_get_affine_coordinates(g, R, r, NULL, ctx) ||
        !BN_nnmod(r, r, q, ctx) || !BN_mod_inverse(kinv, k, q, ctx) || !BN_mod_mul(s, r, x, q, ctx) ||
        !BN_mod_add(s, s, e, q, ctx) || !BN_mod_mul(s, s, kinv, q, ctx))
        goto out;
    if (BN_is_zero(r) || BN_is_zero(s)) {
        rc = err_set(-EIO, "ECDSA: degenerate signature");
        goto out;
    }
    if (BN_bn2binpad(r, r_out, L) != L || BN_bn2binpad(s, s_out, L) != L)
        goto out;
    rc = 0;
out:
    if (rc == -ENOMEM)
        err_set(rc, "ECDSA: signing failed");
    ERR_clear_error();
    OPENSSL_cleanse(xb, sizeof(xb));
    OPENSSL_cleanse(kb, sizeof(kb));
    BN_clear_free(x);
    BN_clear_free(k);
    BN_clear_free(kinv);
    BN_free(r);
    BN_free(s);
    BN_free(e);
    EC_POINT_free(R);
    EC_GROUP_free(g);
    BN_CTX_free(ctx);
    return rc;
}
