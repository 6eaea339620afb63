/* Signing through OpenSSL's EVP interface: ECDSA P-384 + SHA-384, or
 * Ed25519 (which hashes internally: no digest is named). */
#include "release/sign.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

/* Never prompt for a passphrase: a build runs unattended. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* "EC secp256r1", "RSA 3072-bit", "ED448"… for messages. */
static char *key_description(EVP_PKEY *k)
{
    const char *type = EVP_PKEY_get0_type_name(k);
    char group[64];
    size_t glen = 0;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
        EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) == 1)
        return xasprintf("EC %s", group);
    return xasprintf("%s %d-bit", type ? type : "unknown", EVP_PKEY_get_bits(k));
}

/* The digest a supported key signs with: SHA-384 for P-384, none (NULL,
 for Ed25519. Sets the error for anything else. */
static int signing_digest(EVP_PKEY *k, const char *path, const EVP_MD **md)
{
    char group[64];
    size_t glen = 0;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
        *md = NULL;
        return 0;
    }
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC && EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) == 1 &&
        !strcmp(group, "secp384r1")) {
        *md = EVP_sha384();
        return 0;
    }
    _cleanup_free_ char *what = key_description(k);
    return err_set(-EINVAL, "%s: unsupported key type %s (use ECDSA P-384 or Ed25519)", path, what);
}

static EVP_PKEY *load_key(const char *path, bool private)
{
    _cleanup_free_ uint8_t *pem = NULL;
    size_t len;
    if (file_read_all(path, &pem, &len, 1 << 20) < 0)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = private ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                          : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (k)
        return k;
    if (private && memmem(pem, len, "ENCRYPTED", 9))
        err_set(-EINVAL, "%s: encrypted private keys are not supported (decrypt it for the signing step)", path);
    else if (!private && memmem(pem, len, "PRIVATE KEY", 11))
        err_set(-EINVAL, "%s: is a private key; give the public key (openssl pkey -pubout)", path);
    else
        err_set(-EINVAL, "%s: not a PEM %s key", path, private ? "private" : "public");
    return NULL;
}

int release_check_key(const char *key_path)
{
    EVP_PKEY *k = load_key(key_path, true);
    if (!k)
        return -EINVAL;
    const EVP_MD *md;
    int r = signing_digest(k, key_path, &md);
    EVP_PKEY_free(k);
    return r;
}

int release_sign(const char *key_path, const void *data, size_t len, uint8_t **sig, size_t *siglen)
{
    EVP_PKEY *k = load_key(key_path, true);
    if (!k)
        return -EINVAL;
    const EVP_MD *md;
    int r = signing_digest(k, key_path, &md);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = 0;
    if (r == 0 && (EVP_DigestSignInit(ctx, NULL, md, NULL, k) != 1 ||
                   EVP_DigestSign(ctx, NULL, &n, data, len) != 1))
        r = err_set(-EIO, "%s: signing failed", key_path);
    if (r == 0) {
        *sig = xmalloc(n);
        if (EVP_DigestSign(ctx, *sig, &n, data, len) != 1) {
            free(*sig);
            *sig = NULL;
            r = err_set(-EIO, "%s: signing failed", key_path);
        }
        *siglen = n;
    }
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    return r;
}

int release_verify_signature(const char *pub_path, const void *data, size_t len, const uint8_t *sig,
                             size_t siglen)
{
    EVP_PKEY *k = load_key(pub_path, false);
    if (!k)
        return -EINVAL;
    const EVP_MD *md;
    int r = signing_digest(k, pub_path, &md);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (r == 0 && EVP_DigestVerifyInit(ctx, NULL, md, NULL, k) != 1)
        r = err_set(-EIO, "%s: cannot verify with this key", pub_path);
    if (r == 0 && EVP_DigestVerify(ctx, sig, siglen, data, len) != 1)
        r = err_set(-EBADMSG, "the signature does not match %s", pub_path);
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    return r;
}
