/* The root filesystem step in one call: a tree becomes an ext4 image, its
 * dm-verity hash tree, the disk layout, Kata's root_hash.txt and the
 * kernel command line that mounts it. `guestimg rootfs` and `guestimg
 * build` both call rootfs_build().
 *
 * Identifiers derive from one 16-byte seed (docs/rootfs.md), given or
 * derived from the tree's content (seed_from_tree):
 *   fs UUID        = UUIDv5(namespace = seed, name = "guestimg ext4 uuid")
 *   htree seed     = UUIDv5(seed, "guestimg ext4 hash seed")
 *   verity salt    = HMAC-SHA256(key = seed, "guestimg verity salt")
 *   MBR disk id    = first 4 bytes (little-endian) of HMAC-SHA256(seed, "guestimg disk id") */
#ifndef GUESTIMG_ROOTFS_H
#define GUESTIMG_ROOTFS_H

#include "builder/fs/verity.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct tree;

enum rootfs_layout { ROOTFS_RAW, ROOTFS_KATA };

/* Used when neither --epoch nor SOURCE_DATE_EPOCH is given: the Unix epoch. */
#define ROOTFS_DEFAULT_EPOCH 0

struct rootfs_opts {
    enum rootfs_layout layout;
    int64_t epoch;
    uint8_t seed[16];
    bool seed_from_tree;    /* instead: seed = UUIDv5(nil UUID, tree_digest()) */
    uint64_t size;          /* filesystem bytes; 0 = auto */
    bool verity;
    bool journal;
};

struct rootfs_ids {
    uint8_t fs_uuid[16];
    uint8_t hash_seed[16];
    uint8_t salt[VERITY_SALT_LEN];
    uint32_t disk_id;
};
void rootfs_derive_ids(const uint8_t seed[16], struct rootfs_ids *ids);

struct rootfs_result {
    enum rootfs_layout layout;
    char *image;             /* file names (not paths): the JSON does not depend on the directory */
    char *hash_file;         /* raw layout with verity: IMAGE.verity; else NULL */
    char *root_hash_txt;     /* path of root_hash.txt (verity only), else NULL */
    char image_sha256[65];
    char seed[37];           /* the seed used, as a UUID */
    char fs_uuid[37];
    uint64_t fs_size;
    bool verity;
    struct verity_info v;
    char *cmdline;
};

/* Write image (and IMAGE.verity for the raw layout, root_hash.txt beside
 * it with verity). Every output goes to a temporary file first and is
 * renamed into place only when all of them are complete. */
int rootfs_build(struct tree *t, const char *image, const struct rootfs_opts *o, struct rootfs_result *res);
/* Refuse an image name rootfs_build could not write whole (empty, ending in
 * '/', a directory, root_hash.txt itself): called by rootfs_build, and by
 * callers before they write anything else. */
int rootfs_check_output(const char *image, const struct rootfs_opts *o);
/* The dm-verity table (dm-mod.create=) of a verity image as the guest sees
 * its disks: kata /dev/vda1 + /dev/vda2, raw /dev/vda + /dev/vdb. Allocated. */
char *rootfs_dm_table(const struct rootfs_result *r);
json_t *rootfs_result_json(const struct rootfs_result *r);
void rootfs_result_free(struct rootfs_result *r);

#endif
