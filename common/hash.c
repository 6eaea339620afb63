#include "common/hash.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

void sha256_buf(const void *buf, size_t len, uint8_t out[SHA256_LEN])
{
    EVP_Digest(buf, len, out, NULL, EVP_sha256(), NULL);
}

void sha384_buf(const void *buf, size_t len, uint8_t out[SHA384_LEN])
{
    EVP_Digest(buf, len, out, NULL, EVP_sha384(), NULL);
}

int hash_fd(int fd, const char *alg, const char *what, uint8_t *out, size_t *outlen, uint64_t *size)
{
    return hash_fd_max(fd, alg, what, UINT64_MAX, out, outlen, size);
}

int hash_fd_max(int fd, const char *alg, const char *what, uint64_t max, uint8_t *out, size_t *outlen,
                uint64_t *size)
{
    const EVP_MD *md = EVP_get_digestbyname(alg);
    if (!md)
        return err_set(-EINVAL, "unknown digest %s", alg);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, md, NULL);
    const size_t bufsz = 1 << 20;
    _cleanup_free_ uint8_t *buf = xmalloc(bufsz);
    uint64_t total = 0;
    while (total < max) {
        ssize_t n = pread(fd, buf, (size_t)(max - total < bufsz ? max - total : bufsz), (off_t)total);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            EVP_MD_CTX_free(ctx);
            return err_sys(-e, "%s: read failed", what);
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        total += (uint64_t)n;
    }
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
    if (outlen)
        *outlen = len;
    if (size)
        *size = total;
    return 0;
}

int hash_file(const char *path, const char *alg, uint8_t *out, size_t *outlen, uint64_t *size)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot open", path);
    return hash_fd(fd, alg, path, out, outlen, size);
}

int sha256_file_hex(const char *path, char out[2 * SHA256_LEN + 1], uint64_t *size)
{
    uint8_t d[SHA256_LEN];
    int r = hash_file(path, "sha256", d, NULL, size);
    if (r < 0)
        return r;
    hex_encode(d, sizeof(d), out);
    return 0;
}
