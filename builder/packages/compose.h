/* A manifest into a root filesystem tree and the packages in it — what
 * `guestimg rootfs --manifest` and `guestimg build` call before writing
 * the image:
 *   1. resolve the packages (builder/packages/repo), or with `locked` take exactly
 *      the lock file's list (refusing a lock made for other inputs);
 *   2. fetch each package through the cache, its sha256 checked before it
 *      is opened;
 *   3. unpack them in dependency order (dependencies first, then by name)
 *      under RPM's file-conflict rules: the same file from two packages
 *      is fine, a different one is an error naming both — unless the
 *      later package is listed in allow-overwrite;
 *   4. apply the manifest: remove, accounts (/etc/passwd, group, shadow
 *      regenerated), package owners resolved by name, then directories,
 *      files and symlinks.
 * No package scriptlet runs. */
#ifndef GUESTIMG_COMPOSE_H
#define GUESTIMG_COMPOSE_H

#include "builder/packages/lock.h"
#include "builder/manifest/manifest.h"
#include "builder/packages/package.h"

#include <stdbool.h>

struct tree;

struct compose_opts {
    const char *cache_dir;   /* NULL: fetch_default_cache_dir() */
    bool locked;             /* resolve nothing: use the manifest's lock file */
    const char *lock_path;   /* with locked: this lock file instead (NULL: manifest_lock_path()) */
};

/* Fill t. pkgs receives every installed package (sorted by name, every
 * field filled: metadata from the package itself, location and digest
 * from the lock). lock receives the lock used; the caller writes it (with
 * lock_write, to manifest_lock_path()) once its own outputs are in place,
 * so that a failed build leaves no lock behind. */
int compose_tree(const struct manifest *m, const struct compose_opts *o, struct tree *t, struct package_set *pkgs,
                 struct lock *lock);

/* The manifest's kernel (kernel.from: package): the file kernel.path of
 * the lock's kernel package, fetched and checked, copied to out_path
 * (atomically). pkg (optional) receives the kernel package's metadata. */
int compose_kernel(const struct manifest *m, const struct lock *lock, const struct compose_opts *o,
                   const char *out_path, struct package *pkg);

#endif
