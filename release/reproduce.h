/* `guestimg reproduce`: rebuild a published release from its manifest and
 * lock in a scratch directory (release_build, locked) and compare the two
 * (release_compare). */
#ifndef GUESTIMG_RELEASE_REPRODUCE_H
#define GUESTIMG_RELEASE_REPRODUCE_H

#include "release/build.h"
#include "release/compare.h"

struct reproduce_opts {
    const char *release_json;   /* the published release.json */
    const char *scratch_parent; /* where the scratch directory goes (NULL: $TMPDIR, else /var/tmp) */
    /* how to build: manifest (required), lock_path (NULL: the release's own
     * lock.json beside release_json, else the manifest's lock file),
     * cache_dir, kernel_source, kernel_configs, jobs. reproduce sets the
     * rest: locked, the image name the release uses, no signature. */
    struct build_opts build;
};

/* The manifest must be the one the release records (manifest_sha256) and
 * the lock the one it was built with (lock_sha256): otherwise an error
 * saying so, before anything is built. Returns the number of differing
 * artifacts (reported through rep; 0: the rebuild is the release), or a
 * negative error. The scratch directory is removed in every case. */
int release_reproduce(const struct reproduce_opts *o, const struct compare_report *rep);

#endif
