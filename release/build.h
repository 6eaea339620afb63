/* `guestimg build`: a manifest into a release directory, every step in
 * this process through the libraries:
 *
 *   packages (resolve or lock, fetch, unpack: builder/packages/compose) → files.tsv
 *   → ext4, dm-verity, disk layout (builder/fs/rootfs) → kernel (built from a
 *   profile through the shared cache, from a package, or a file) → command
 *   line → launch measurements (release/measurements) → SBOMs, measurement
 *   files, release.json and its signature (release/assemble).
 *
 * Everything is written into a temporary directory beside DIR, renamed into
 * place only when every step succeeded (release/outdir): a failed or
 * interrupted build leaves DIR as it was. `guestimg reproduce` runs the same
 * function into a scratch directory. docs/release.md lists what DIR holds. */
#ifndef GUESTIMG_RELEASE_BUILD_H
#define GUESTIMG_RELEASE_BUILD_H

#include <stdbool.h>

#define BUILD_IMAGE_DEFAULT "kata-containers.img"
#define BUILD_KERNEL_FILE "vmlinuz"
#define BUILD_KERNEL_CONFIG_FILE "kernel.config"
#define BUILD_KERNEL_INPUTS_FILE "kernel.inputs.txt"   /* the kernel cache's record of a profile build */
#define BUILD_LOCK_FILE "lock.json"
#define BUILD_FILES_TSV "files.tsv"
#define BUILD_ROOT_HASH_FILE "root_hash.txt"

struct build_opts {
    const char *manifest;        /* the manifest's path */
    const char *out_dir;         /* DIR: appears whole or not at all */
    const char *sign_key;        /* PEM private key (ECDSA P-384, Ed25519); NULL: unsigned */
    const char *cache_dir;       /* package cache; NULL: the default */
    bool locked;                 /* resolve nothing: exactly the lock file's packages */
    const char *lock_path;       /* with locked: this lock file (NULL: the manifest's) */
    const char *image_name;      /* NULL: BUILD_IMAGE_DEFAULT */
    const char *kernel_source;   /* kernel.from profile: a kernel tarball or clean tree */
    const char *kernel_configs;  /* kernel.from profile: the kernel-configs directory */
    unsigned jobs;               /* kernel build: make -jN (0: 2) */
};

/* Build the release. Without locked, the manifest's lock file is written
 * too (as `guestimg lock` would), just before the release is published.
 * Inputs that would make the build fail late — the signing key, the
 * manifest's kernel and measure sections, the firmware's sha256, the image
 * name — are checked before the first long step. Errors name the input or
 * step at fault. */
int release_build(const struct build_opts *o);

#endif
