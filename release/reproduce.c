/* Rebuild and compare: see reproduce.h. */
#include "release/reproduce.h"
#include "builder/kernel/kernel.h"
#include "builder/manifest/manifest.h"
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
#include <sys/stat.h>
#include <unistd.h>

/* An input must be the file the release was built from; `what` completes
 * "RELEASE… with sha256 X": " was built from a manifest". */
static int check_digest(const char *path, const char *hex, const char *what, const char *recorded, const char *release)
{
    if (strcmp(hex, recorded))
        return err_set(-EBADMSG, "%s: sha256 %s, but %s%s with sha256 %s", path, hex, release, what, recorded);
    return 0;
}

static int check_input(const char *path, const char *what, const char *recorded, const char *release)
{
    char hex[65];
    int r = sha256_file_hex(path, hex, NULL);
    return r < 0 ? r : check_digest(path, hex, what, recorded, release);
}

/* The kernel source: a tarball by its sha256, a tree by guestimg's digest. */
static int check_kernel_source(const char *path, const struct release_kernel_provenance *k, const char *release)
{
    _cleanup_free_ char *what = xasprintf("'s kernel was built from the source %s", k->source);
    struct stat st;
    if (stat(path, &st) < 0)
        return err_sys(-errno, "kernel source %s", path);
    if (!S_ISDIR(st.st_mode))
        return check_input(path, what, k->source_sha256, release);
    struct kernel_source src;
    int r = kernel_source_open(path, NULL, &src);
    if (r == 0)
        r = check_digest(path, src.digest, what, k->source_sha256, release);
    kernel_source_free(&src);
    return r;
}

/* What the release's kernel was made from must be here too: the same
 * source and configuration files (profile) or the same file — said now,
 * not after a kernel build that cannot give the same bytes. A package
 * kernel is in the lock, checked with it. */
static int check_kernel_inputs(const struct reproduce_opts *o, const struct release *pub)
{
    const struct release_kernel_provenance *k = &pub->kernel_provenance;
    int r = 0;
    if (!strcmp(k->from, "profile")) {
        r = check_kernel_source(o->build.kernel_source, k, o->release_json);
        for (size_t i = 0; r == 0 && i < k->nconfig_inputs; i++) {
            _cleanup_free_ char *path = xasprintf("%s/%s", o->build.kernel_configs, k->config_inputs[i].name);
            _cleanup_free_ char *what = xasprintf("'s kernel configuration was made from %s", k->config_inputs[i].name);
            r = check_input(path, what, k->config_inputs[i].sha256, o->release_json);
        }
    } else if (!strcmp(k->from, "file")) {
        struct manifest *m = manifest_load(o->build.manifest);
        if (!m)
            return -EINVAL;
        _cleanup_free_ char *what = xasprintf("'s kernel is the file %s", k->source);
        r = check_input(m->kernel.path, what, k->source_sha256, o->release_json);
        manifest_free(m);
    }
    return r;
}

/* --lock, else the release's own lock.json, else the manifest's lock file. */
static char *lock_to_use(const struct reproduce_opts *o)
{
    if (o->build.lock_path)
        return xstrdup(o->build.lock_path);
    _cleanup_free_ char *copy = xstrdup(o->release_json);
    const char *dir = dirname(copy);
    /* the release directory is untrusted: its lock.json must be a regular file */
    struct stat st;
    int fd = file_open_in_dir(dir, BUILD_LOCK_FILE, &st);
    if (fd >= 0) {
        close(fd);
        return xasprintf("%s/%s", dir, BUILD_LOCK_FILE);
    }
    if (fd != -ENOENT)
        return NULL;
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

/* Every artifact release.json lists must be beside it: a rebuild compared
 * with files that are not there says nothing about them. */
static int check_published(const char *release_json, const struct release *pub)
{
    _cleanup_free_ char *copy = xstrdup(release_json);
    const char *dir = dirname(copy);
    for (size_t i = 0; i < pub->nartifacts; i++) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, pub->artifacts[i].name);
        if (access(path, F_OK) < 0)
            return err_sys(-errno, "%s lists the artifact %s, but %s is not there", release_json,
                           pub->artifacts[i].name, path);
    }
    return 0;
}

int release_reproduce(const struct reproduce_opts *o, const struct compare_report *rep)
{
    struct release pub;
    int r = release_load(o->release_json, &pub);
    if (r < 0)
        return r;
    if ((r = check_published(o->release_json, &pub)) < 0) {
        release_free(&pub);
        return r;
    }
    _cleanup_free_ char *lock = NULL;
    if ((r = check_input(o->build.manifest, " was built from a manifest", pub.manifest_sha256, o->release_json)) == 0 &&
        !(lock = lock_to_use(o)))
        r = -EINVAL;
    if (r == 0)
        r = check_input(lock, " was built from a lock file", pub.lock_sha256, o->release_json);
    if (r == 0)
        r = check_kernel_inputs(o, &pub);
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
