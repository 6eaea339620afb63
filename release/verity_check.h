/* Recompute a release's dm-verity root hash from its image (libcryptsetup,
 * through builder/fs/verity), and check the hash tree and partition table the
 * image carries against it. */
#ifndef GUESTIMG_RELEASE_VERITY_CHECK_H
#define GUESTIMG_RELEASE_VERITY_CHECK_H

#include "release/release.h"

/* Fills root_hex with the root hash the image's data gives, and
 * *tree_matches with whether the hash tree the image carries (kata:
 * partition 2; raw: IMAGE.verity) is the one that data gives. *table
 * receives the dm-mod.create table the kernel command line must carry
 * (kata: /dev/vda1 and /dev/vda2; raw: /dev/vda and /dev/vdb), allocated. Errors: the image cannot be read,
 * -EBADMSG when its partition table is not the kata layout of the recorded
 * parameters. */
int release_verity_recompute(const struct release *r, const char *dir, char root_hex[65], char **table,
                             bool *tree_matches);

#endif
