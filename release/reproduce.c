/* Rebuild and compare: see reproduce.h. */
#include "release/reproduce.h"
#include "builder/manifest.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/util.h"
#include "release/assemble.h"
#include "release/release.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An input must be the file the release was built from. */
static int check_input(const char *path, const char *what, const char *recorded, const char *release)
{
    char hex[65];
    int r = sha256_file_hex(path, hex, NULL);
    if (r < 0)
        return r;
    if (strcmp(hex, recorded))
        return err_set(-EBADMSG, "%s: sha256 %s, but %s was built from a %s with sha256 %s", path, hex, release,
                       what, recorded);
    return 0;
}

/* --lock, else the release's own lock.json, else the manifest's lock file. */
static char *lock_to_use(const struct reproduce_opts *o)
{
    if (o->build.lock_path)
        return xstrdup(o->build.lock_path);
    _cleanup_free_ char *copy = xstrdup(o->release_json);
    char *published = xasprintf("%s/%s", dirname(copy), BUILD_LOCK_FILE);
    if (access(published, F_OK) == 0)
        return published;
    free(published);
    struct manifest *m = manifest_load(o->build.manifest);
    char *path = m ? manifest_lock_path(m) : NULL;
    manifest_free(m);
    return path;
}

static char *scratch_dir(const char *parent)
{
    const char *tmpdir = getenv("TMPDIR");
    if (!parent)
        parent = tmpdir && *tmpdir ? tmpdir : "/var/tmp";
    char *dir = xasprintf("%s/guestimg-reproduce-XXXXXX", parent);
    int r = mkdtemp_registered(dir);
    if (r < 0) {
        err_sys(r, "%s: cannot create a scratch directory", parent);
        free(dir);
        return NULL;
    }
    return dir;
}

int release_reproduce(const struct reproduce_opts *o, const struct compare_report *rep)
{
    struct release pub;
    int r = release_load(o->release_json, &pub);
    if (r < 0)
        return r;
    _cleanup_free_ char *lock = NULL;
    if ((r = check_input(o->build.manifest, "manifest", pub.manifest_sha256, o->release_json)) == 0 &&
        !(lock = lock_to_use(o)))
        r = -EINVAL;
    if (r == 0)
        r = check_input(lock, "lock file", pub.lock_sha256, o->release_json);
    _cleanup_free_ char *scratch = r == 0 ? scratch_dir(o->scratch_parent) : NULL;
    if (r == 0 && !scratch)
        r = -EIO;
    if (r == 0) {
        _cleanup_free_ char *out = xasprintf("%s/release", scratch);
        struct build_opts b = o->build;
        b.out_dir = out;
        b.locked = true;
        b.lock_path = lock;
        b.image_name = pub.image;
        b.sign_key = NULL;
        r = release_build(&b);
        if (r == 0)
            r = release_compare(o->release_json, out, rep);
    }
    if (scratch) {
        rm_rf(scratch);
        cleanup_unregister(scratch);
    }
    release_free(&pub);
    return r;
}
