/* dm-verity hash trees (see verity.h): computed here in one streaming pass,
 * and by libcryptsetup, which the tests and `guestimg verify` hold the
 * streaming pass to. libcryptsetup's log goes to our error message, never
 * to the terminal. */
#include "builder/fs/verity.h"
#include "common/dlib.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#define HASHES_PER_BLOCK (VERITY_BLOCK_SIZE / VERITY_DIGEST_LEN)
#define MAX_LEVELS 10                   /* 128^10 blocks: more than 64 bits can count */
#define READ_BLOCKS 256                 /* 1 MiB per read */

/* Blocks in each level of the tree, leaves (level 0) first; returns the
 * number of levels: 0 for a single data block, whose hash is the root. */
static int tree_levels(uint64_t data_blocks, uint64_t blocks[MAX_LEVELS])
{
    int n = 0;
    for (uint64_t level = data_blocks; level > 1; n++) {
        level = (level + HASHES_PER_BLOCK - 1) / HASHES_PER_BLOCK;
        blocks[n] = level;
    }
    return n;
}

uint64_t verity_tree_size(uint64_t data_blocks)
{
    uint64_t blocks[MAX_LEVELS], total = 0;
    for (int i = tree_levels(data_blocks, blocks); i-- > 0;)
        total += blocks[i];
    return total * VERITY_BLOCK_SIZE;
}

/* ------------------------------------------------------ streaming pass --- */

/* The tree under construction: one partly filled block per level. Blocks
 * of a level are completed in order, so each is written once, where it
 * belongs: the top level first in the file, the leaves last. */
struct builder {
    struct verity_info *v;
    EVP_MD_CTX *ctx;
    EVP_MD *md;
    int levels;
    uint64_t offset[MAX_LEVELS];        /* file offset of each level's first block */
    uint64_t done[MAX_LEVELS];          /* blocks of each level written */
    size_t fill[MAX_LEVELS];            /* digests in the pending block */
    uint8_t pending[MAX_LEVELS][VERITY_BLOCK_SIZE];
    int hash_fd;
    const char *hash_name;
};

/* Format 1: sha256(salt || block). */
static void block_digest(struct builder *b, const uint8_t *block, uint8_t out[VERITY_DIGEST_LEN])
{
    EVP_DigestInit_ex2(b->ctx, b->md, NULL);
    EVP_DigestUpdate(b->ctx, b->v->salt, VERITY_SALT_LEN);
    EVP_DigestUpdate(b->ctx, block, VERITY_BLOCK_SIZE);
    EVP_DigestFinal_ex(b->ctx, out, NULL);
}

static int add_digest(struct builder *b, int level, const uint8_t d[VERITY_DIGEST_LEN]);

/* Write level's pending block (zero-padded) and hand its digest up. */
static int complete_block(struct builder *b, int level)
{
    uint8_t *blk = b->pending[level];
    memset(blk + b->fill[level] * VERITY_DIGEST_LEN, 0, VERITY_BLOCK_SIZE - b->fill[level] * VERITY_DIGEST_LEN);
    off_t at = (off_t)(b->offset[level] + b->done[level] * VERITY_BLOCK_SIZE);
    for (size_t put = 0; put < VERITY_BLOCK_SIZE;) {
        ssize_t n = pwrite(b->hash_fd, blk + put, VERITY_BLOCK_SIZE - put, at + (off_t)put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_sys(-errno, "%s: cannot write the dm-verity hash tree", b->hash_name);
        put += (size_t)n;
    }
    b->done[level]++;
    b->fill[level] = 0;
    uint8_t d[VERITY_DIGEST_LEN];
    block_digest(b, blk, d);
    if (level + 1 == b->levels) {
        memcpy(b->v->root_hash, d, VERITY_DIGEST_LEN);
        return 0;
    }
    return add_digest(b, level + 1, d);
}

static int add_digest(struct builder *b, int level, const uint8_t d[VERITY_DIGEST_LEN])
{
    memcpy(b->pending[level] + b->fill[level] * VERITY_DIGEST_LEN, d, VERITY_DIGEST_LEN);
    if (++b->fill[level] < HASHES_PER_BLOCK)
        return 0;
    return complete_block(b, level);
}

/* Read exactly len bytes at off: the data blocks must all be there. */
static int read_exact(int fd, const char *name, uint8_t *buf, size_t len, uint64_t off)
{
    while (len) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? err_sys(-errno, "%s: read failed", name)
                         : err_set(-EIO, "%s: ends before the last block to hash", name);
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int hash_data(struct builder *b, int data_fd, uint64_t data_off, const char *data_name, uint8_t *buf)
{
    struct verity_info *v = b->v;
    for (uint64_t blk = 0; blk < v->data_blocks;) {
        size_t n = (size_t)MIN((uint64_t)READ_BLOCKS, v->data_blocks - blk);
        int r = read_exact(data_fd, data_name, buf, n * VERITY_BLOCK_SIZE, data_off + blk * VERITY_BLOCK_SIZE);
        if (r < 0)
            return r;
        for (size_t i = 0; i < n; i++) {
            uint8_t d[VERITY_DIGEST_LEN];
            block_digest(b, buf + i * VERITY_BLOCK_SIZE, d);
            if (b->levels == 0) {
                memcpy(v->root_hash, d, VERITY_DIGEST_LEN);
            } else if ((r = add_digest(b, 0, d)) < 0) {
                return r;
            }
        }
        blk += n;
    }
    /* the last, partly filled block of each level, bottom up */
    for (int level = 0; level < b->levels; level++)
        if (b->fill[level]) {
            int r = complete_block(b, level);
            if (r < 0)
                return r;
        }
    return 0;
}

int verity_hash_tree(int data_fd, uint64_t data_off, const char *data_name, int hash_fd, uint64_t tree_off,
                     const char *hash_name, struct verity_info *v)
{
    if (!v->data_blocks)
        return err_set(-EINVAL, "%s: no data blocks to hash", data_name);
    struct builder *b = xcalloc(1, sizeof(*b));
    b->v = v;
    b->hash_fd = hash_fd;
    b->hash_name = hash_name;
    uint64_t blocks[MAX_LEVELS];
    b->levels = tree_levels(v->data_blocks, blocks);
    uint64_t at = tree_off;
    for (int i = b->levels; i-- > 0;) {
        b->offset[i] = at;
        at += blocks[i] * VERITY_BLOCK_SIZE;
    }
    b->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    b->ctx = EVP_MD_CTX_new();
    uint8_t *buf = xmalloc(READ_BLOCKS * VERITY_BLOCK_SIZE);
    posix_fadvise(data_fd, (off_t)data_off, (off_t)(v->data_blocks * VERITY_BLOCK_SIZE), POSIX_FADV_SEQUENTIAL);
    int r = b->md && b->ctx ? hash_data(b, data_fd, data_off, data_name, buf)
                            : err_set(-ENOSYS, "OpenSSL has no SHA256");
    free(buf);
    EVP_MD_CTX_free(b->ctx);
    EVP_MD_free(b->md);
    free(b);
    return r;
}

/* ------------------------------------------------------- libcryptsetup --- */

/* libcryptsetup is loaded when a tree is first formatted (common/dlib.h):
 * `guestimg verify` reaches it only at its dm-verity check. */
static DLIB_PTR(crypt_set_log_callback);
static DLIB_PTR(crypt_init);
static DLIB_PTR(crypt_metadata_locking);
static DLIB_PTR(crypt_format);
static DLIB_PTR(crypt_volume_key_get);
static DLIB_PTR(crypt_free);
static const struct dlib_sym cryptsetup_syms[] = {
    DLIB_SYM(crypt_set_log_callback), DLIB_SYM(crypt_init),           DLIB_SYM(crypt_metadata_locking),
    DLIB_SYM(crypt_format),           DLIB_SYM(crypt_volume_key_get), DLIB_SYM(crypt_free),
};
static struct dlib cryptsetup = DLIB("libcryptsetup.so.12", "libcryptsetup12", cryptsetup_syms);

static char last_log[512];

static void on_log(int level, const char *msg, void *ctx)
{
    (void)ctx;
    if (level != CRYPT_LOG_ERROR)
        return;
    snprintf(last_log, sizeof(last_log), "%s", msg);
    size_t n = strlen(last_log);
    while (n && (last_log[n - 1] == '\n' || last_log[n - 1] == '.'))
        last_log[--n] = 0;
}

int verity_format(const char *data_path, const char *hash_path, struct verity_info *v)
{
    struct crypt_device *cd = NULL;
    _cleanup_free_ char *what = xasprintf("the dm-verity hash tree of %s", data_path);
    int r = dlib_load(&cryptsetup, what);
    if (r < 0)
        return r;
    last_log[0] = 0;
    sym_crypt_set_log_callback(NULL, on_log, NULL);
    r = sym_crypt_init(&cd, hash_path);
    if (r < 0)
        return err_sys(r, "%s: cannot open for the verity hash tree%s%s", hash_path, *last_log ? ": " : "", last_log);
    sym_crypt_set_log_callback(cd, on_log, NULL);
    sym_crypt_metadata_locking(cd, 0);   /* no lock directory needed: nothing is activated */
    struct crypt_params_verity p = {
        .hash_name = "sha256",
        .data_device = data_path,
        .salt = (const char *)v->salt,
        .salt_size = VERITY_SALT_LEN,
        .hash_type = 1,
        .data_block_size = VERITY_BLOCK_SIZE,
        .hash_block_size = VERITY_BLOCK_SIZE,
        .data_size = v->data_blocks,
        .hash_area_offset = v->hash_offset,
        .flags = CRYPT_VERITY_CREATE_HASH | CRYPT_VERITY_NO_HEADER,
    };
    r = sym_crypt_format(cd, CRYPT_VERITY, NULL, NULL, NULL, NULL, 0, &p);
    if (r < 0) {
        sym_crypt_free(cd);
        return err_set(r, "%s: cannot compute the dm-verity hash tree: %s", data_path,
                       *last_log ? last_log : strerror(-r));
    }
    char key[VERITY_DIGEST_LEN];
    size_t len = sizeof(key);
    r = sym_crypt_volume_key_get(cd, CRYPT_ANY_SLOT, key, &len, NULL, 0);
    sym_crypt_free(cd);
    if (r < 0 || len != VERITY_DIGEST_LEN)
        return err_set(r < 0 ? r : -EIO, "%s: cannot read the dm-verity root hash", hash_path);
    memcpy(v->root_hash, key, VERITY_DIGEST_LEN);
    return 0;
}

/* ------------------------------------------------ what the guest is told --- */

char *verity_dm_table(const struct verity_info *v, const char *data_dev, const char *hash_dev)
{
    char root[2 * VERITY_DIGEST_LEN + 1], salt[2 * VERITY_SALT_LEN + 1];
    hex_encode(v->root_hash, VERITY_DIGEST_LEN, root);
    hex_encode(v->salt, VERITY_SALT_LEN, salt);
    /* <start> <sectors> verity <version> <data> <hash> <dbs> <hbs> <data blocks> <hash start block> <alg> <root> <salt> */
    return xasprintf("dm-verity,,,ro,0 %llu verity 1 %s %s %d %d %llu %llu sha256 %s %s",
                     (unsigned long long)v->data_blocks * (VERITY_BLOCK_SIZE / 512), data_dev, hash_dev,
                     VERITY_BLOCK_SIZE, VERITY_BLOCK_SIZE, (unsigned long long)v->data_blocks,
                     (unsigned long long)(v->hash_offset / VERITY_BLOCK_SIZE), root, salt);
}

char *verity_kata_params(const struct verity_info *v)
{
    char root[2 * VERITY_DIGEST_LEN + 1], salt[2 * VERITY_SALT_LEN + 1];
    hex_encode(v->root_hash, VERITY_DIGEST_LEN, root);
    hex_encode(v->salt, VERITY_SALT_LEN, salt);
    return xasprintf("root_hash=%s,salt=%s,data_blocks=%llu,data_block_size=%d,hash_block_size=%d", root, salt,
                     (unsigned long long)v->data_blocks, VERITY_BLOCK_SIZE, VERITY_BLOCK_SIZE);
}
