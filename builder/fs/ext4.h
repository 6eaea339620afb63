/* Writing a tree as an ext4 filesystem image with libext2fs: no mke2fs, no
 * loop device, no mount, no root. The result depends only on the tree and
 * these options: entries in sorted order, inode numbers and blocks handed
 * out in that order, every timestamp the epoch, identifiers from the
 * caller (derived from the seed), all-zero 4 KiB blocks of file content
 * stored as holes. See docs/rootfs.md for the layout and features. */
#ifndef GUESTIMG_EXT4_H
#define GUESTIMG_EXT4_H

#include <stdbool.h>
#include <stdint.h>

struct tree;

#define EXT4_BLOCK_SIZE 4096
/* Largest epoch an inode and superblock can hold without ambiguity here. */
#define EXT4_EPOCH_MAX 0xffffffffll

struct ext4_opts {
    uint64_t size;          /* bytes, a multiple of EXT4_BLOCK_SIZE; 0 = auto */
    uint64_t offset;        /* where the filesystem starts in the file (a partition) */
    int64_t epoch;          /* every timestamp; 0..EXT4_EPOCH_MAX */
    uint8_t uuid[16];       /* s_uuid */
    uint8_t hash_seed[16];  /* s_hash_seed (htree directory hashing) */
    bool journal;           /* add a journal (none by default: read-only root) */
    const char *name;       /* the image as messages call it (NULL: the path written) */
};

/* Write the tree as an ext4 filesystem of o->size bytes into the file at
 * path from byte o->offset; the file is cut to offset + size (what lies
 * before offset is left as it is); *size receives it. o->size 0 means
 * auto: the smallest whole number of MiB that holds the tree plus a
 * headroom of 1% + 1 MiB (docs/rootfs.md); it reads host files once first,
 * to count their non-zero blocks. */
int ext4_write(struct tree *t, const char *path, const struct ext4_opts *o, uint64_t *size);

#endif
