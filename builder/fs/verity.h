/* dm-verity hash trees as the kernel and veritysetup read them: sha256,
 * 4096-byte data and hash blocks, format version 1, no superblock (the
 * parameters travel on the kernel command line).
 *
 * Two producers of the same bytes: verity_hash_tree(), one streaming pass
 * with 1 MiB reads, which `guestimg rootfs` uses; and verity_format(),
 * libcryptsetup's own (crypt_format), the reference: `guestimg verify`
 * recomputes published trees with it and the tests require the two to
 * agree byte for byte. libcryptsetup reads the data 4 KiB at a time and
 * sets up a hash context per block, a fifth more time than hashing the
 * data needs (docs/rootfs.md, "Speed and memory"). */
#ifndef GUESTIMG_VERITY_H
#define GUESTIMG_VERITY_H

#include <stddef.h>
#include <stdint.h>

#define VERITY_BLOCK_SIZE 4096
#define VERITY_SALT_LEN 32
#define VERITY_DIGEST_LEN 32

struct verity_info {
    uint64_t data_blocks;                 /* VERITY_BLOCK_SIZE blocks hashed */
    uint8_t salt[VERITY_SALT_LEN];
    uint8_t root_hash[VERITY_DIGEST_LEN];
    uint64_t hash_offset;                 /* bytes into the hash device where the tree starts */
};

/* Hash v->data_blocks blocks of data_fd from byte data_off, with v->salt,
 * into a tree written to hash_fd from byte tree_off (the top level first,
 * the leaves last; verity_tree_size() bytes); fills v->root_hash. The two
 * may be one file (the kata disk). The names are for messages. */
int verity_hash_tree(int data_fd, uint64_t data_off, const char *data_name, int hash_fd, uint64_t tree_off,
                     const char *hash_name, struct verity_info *v);

/* The same with libcryptsetup: the first v->data_blocks blocks of
 * data_path, the tree written to hash_path (an existing file, e.g. a
 * temporary one) at v->hash_offset. */
int verity_format(const char *data_path, const char *hash_path, struct verity_info *v);

/* Bytes the hash tree takes for data_blocks blocks. */
uint64_t verity_tree_size(uint64_t data_blocks);

/* The dm-mod.create table for a verity root on data_dev / hash_dev
 * ("/dev/vda1"): "dm-verity,,,ro,0 <sectors> verity 1 …"; allocated. */
char *verity_dm_table(const struct verity_info *v, const char *data_dev, const char *hash_dev);

/* Kata's root_hash.txt line (kernel_verity_params), no newline; allocated. */
char *verity_kata_params(const struct verity_info *v);

#endif
