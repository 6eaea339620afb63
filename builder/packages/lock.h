/* The lock file (MANIFEST.lock.json): every package a manifest resolved
 * to — name, EVR, arch, repository, URL (or the local path), size, sha256
 * and the names of the packages it depends on — sorted, so that the same
 * resolution always writes the same bytes. A --locked build resolves
 * nothing: it fetches exactly these files and refuses any whose bytes
 * differ. The lock also records what was asked (the manifest's
 * repositories, package names, local files, arch, weak-deps, kernel
 * package) so that a lock that no longer matches its manifest is refused
 * instead of silently building something else. */
#ifndef GUESTIMG_LOCK_H
#define GUESTIMG_LOCK_H

#include "builder/manifest/manifest.h"
#include "builder/packages/package.h"

#include <jansson.h>

#define LOCK_VERSION 1

struct lock {
    struct package_set pkgs;   /* sorted by name, then arch; location is the URL, or
                                  for local files (repo NULL) the manifest's path */
    struct package *kernel;    /* the kernel package (manifest kernel.from: package), or NULL */
    json_t *inputs;            /* lock_inputs() of the manifest it was made for */
};

/* What of a manifest decides its resolution. */
json_t *lock_inputs(const struct manifest *m);
/* Sort packages (and each one's depends) into lock order. */
void lock_sort(struct lock *l);
int lock_write(const struct lock *l, const char *path);
/* Read and check a lock file (every field typed; messages name the file
 * and the entry). */
int lock_read(const char *path, struct lock *out);
/* The lock must have been made for this manifest's inputs. */
int lock_check_inputs(const struct lock *l, const struct manifest *m, const char *path);
void lock_free(struct lock *l);

#endif
