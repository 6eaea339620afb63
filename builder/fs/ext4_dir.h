/* A directory's blocks as ext4 lays them out, built in memory. Like the
 * kernel, which indexes a directory once it needs a second block: entries
 * that fit in one block are written linear, in the given order; more are
 * hash-indexed (htree: a root block, one level of index blocks past 508
 * leaves, leaves filled in hash order), so that the guest finds a name in a
 * large directory (/usr/lib64, /usr/share/…) by reading two or three
 * blocks instead of all of them. The hash is half_md4 (signed, as the
 * superblock says) with the filesystem's hash seed; no metadata_csum
 * tails. e2fsck's pass 2 checks every part of the result. */
#ifndef GUESTIMG_EXT4_DIR_H
#define GUESTIMG_EXT4_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXT4_DIR_BLOCK 4096

struct ext4_dirent {
    const char *name;       /* 1..255 bytes, not "." or ".." */
    uint32_t ino;
    uint8_t ftype;          /* EXT2_FT_* */
};

struct ext4_dir {
    uint8_t *blocks;        /* nblocks * EXT4_DIR_BLOCK bytes */
    uint64_t nblocks;
    bool indexed;           /* the inode needs EXT2_INDEX_FL */
};

/* The blocks of directory ino (parent: its ".." inode) holding entries
 * v[0..n) (sorted as the linear form should list them). hash_seed is the
 * superblock's s_hash_seed. Fails only for a directory beyond two index
 * levels (tens of millions of entries); name it in messages. */
int ext4_dir_build(const struct ext4_dirent *v, size_t n, uint32_t ino, uint32_t parent,
                   const uint8_t hash_seed[16], const char *name, struct ext4_dir *out);
void ext4_dir_free(struct ext4_dir *d);

#endif
