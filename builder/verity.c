/* dm-verity through libcryptsetup (see verity.h). libcryptsetup formats a
 * hash tree on plain files, with no device-mapper and no root; its log
 * goes to our error message, never to the terminal. */
#include "builder/verity.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/util.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <string.h>

#define HASHES_PER_BLOCK (VERITY_BLOCK_SIZE / VERITY_DIGEST_LEN)

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

uint64_t verity_tree_size(uint64_t data_blocks)
{
    /* levels until one block's hashes remain: that block's hash is the root */
    uint64_t total = 0, level = data_blocks;
    while (level > 1) {
        level = (level + HASHES_PER_BLOCK - 1) / HASHES_PER_BLOCK;
        total += level;
    }
    return total * VERITY_BLOCK_SIZE;
}

int verity_format(const char *data_path, const char *hash_path, struct verity_info *v)
{
    struct crypt_device *cd = NULL;
    last_log[0] = 0;
    crypt_set_log_callback(NULL, on_log, NULL);
    int r = crypt_init(&cd, hash_path);
    if (r < 0)
        return err_sys(r, "%s: cannot open for the verity hash tree%s%s", hash_path, *last_log ? ": " : "", last_log);
    crypt_set_log_callback(cd, on_log, NULL);
    crypt_metadata_locking(cd, 0);   /* no lock directory needed: nothing is activated */
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
    r = crypt_format(cd, CRYPT_VERITY, NULL, NULL, NULL, NULL, 0, &p);
    if (r < 0) {
        crypt_free(cd);
        return err_set(r, "%s: cannot compute the dm-verity hash tree: %s", data_path,
                       *last_log ? last_log : strerror(-r));
    }
    char key[VERITY_DIGEST_LEN];
    size_t len = sizeof(key);
    r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, key, &len, NULL, 0);
    crypt_free(cd);
    if (r < 0 || len != VERITY_DIGEST_LEN)
        return err_set(r < 0 ? r : -EIO, "%s: cannot read the dm-verity root hash", hash_path);
    memcpy(v->root_hash, key, VERITY_DIGEST_LEN);
    return 0;
}

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
