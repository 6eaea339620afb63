/* Manifest → tree: lock, fetch, unpack in dependency order, then the
 * manifest's own changes. */
#include "builder/packages/compose.h"
#include "builder/packages/accounts.h"
#include "builder/packages/deb.h"
#include "builder/packages/fetch.h"
#include "builder/packages/repo.h"
#include "builder/packages/rpm.h"
#include "builder/fs/tree.h"
#include "builder/packages/unpack.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int obtain_lock(const struct manifest *m, const struct compose_opts *o, struct fetcher *f, struct lock *l)
{
    if (!o->locked)
        return repo_resolve(m, f, l);
    _cleanup_free_ char *path = o->lock_path ? xstrdup(o->lock_path) : manifest_lock_path(m);
    if (access(path, F_OK) < 0)
        return err_set(-ENOENT, "%s: no lock file for --locked; run 'guestimg lock %s' first", path, m->path);
    int r = lock_read(path, l);
    if (r == 0 && (r = lock_check_inputs(l, m, path)) < 0)
        lock_free(l);
    return r;
}

static int cmp_name_key(const void *key, const void *elem)
{
    return strcmp(key, ((const struct package *)elem)->name);
}

/* Dependencies before the packages that need them; among the packages
 * whose dependencies are all placed, the first by name; a cycle is broken
 * at its first package by name. s is sorted by name. */
static size_t *install_order(const struct package_set *s)
{
    size_t *order = xcalloc(s->n + 1, sizeof(size_t));
    bool *placed = xcalloc(s->n + 1, sizeof(bool));
    /* each dependency as an index into s (SIZE_MAX: not in the set) */
    size_t **deps = xcalloc(s->n + 1, sizeof(size_t *));
    for (size_t i = 0; i < s->n; i++) {
        deps[i] = xcalloc(s->v[i].ndepends + 1, sizeof(size_t));
        for (size_t d = 0; d < s->v[i].ndepends; d++) {
            const struct package *q = s->n ? bsearch(s->v[i].depends[d], s->v, s->n, sizeof(*s->v), cmp_name_key)
                                           : NULL;
            deps[i][d] = q ? (size_t)(q - s->v) : SIZE_MAX;
        }
    }
    for (size_t k = 0; k < s->n; k++) {
        size_t pick = SIZE_MAX, first = SIZE_MAX;
        for (size_t i = 0; i < s->n && pick == SIZE_MAX; i++) {
            if (placed[i])
                continue;
            if (first == SIZE_MAX)
                first = i;
            bool ready = true;
            for (size_t d = 0; d < s->v[i].ndepends && ready; d++)
                ready = deps[i][d] == SIZE_MAX || deps[i][d] == i || placed[deps[i][d]];
            if (ready)
                pick = i;
        }
        if (pick == SIZE_MAX)
            pick = first;
        placed[pick] = true;
        order[k] = pick;
    }
    for (size_t i = 0; i < s->n; i++)
        free(deps[i]);
    free(deps);
    free(placed);
    return order;
}

/* The host path of a local package the lock names by its manifest path. */
static const char *local_path(const struct manifest *m, const char *rel)
{
    for (size_t i = 0; i < m->nlocals; i++)
        if (!strcmp(m->locals[i].rel, rel))
            return m->locals[i].path;
    if (m->kernel.package_file_rel && !strcmp(m->kernel.package_file_rel, rel))
        return m->kernel.package_file;
    return NULL;
}

/* Open a locked package with its bytes checked against the lock. */
static int open_package(const struct manifest *m, struct fetcher *f, const struct package *p, int *fd,
                        const char **name)
{
    if (p->repo) {
        *name = p->location;
        return fetch_verified(f, p->location, "sha256", p->sha256, p->size, fd, NULL);
    }
    *name = local_path(m, p->location);
    if (!*name)
        return err_set(-ENOENT, "%s: the lock lists the local package %s, which the manifest does not", m->path,
                       p->location);
    return open_verified(*name, "sha256", p->sha256, fd);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* What the SBOM gets: the lock's identity and location, the package's own
 * description (meta's strings move). */
static void describe(const struct package *lp, struct package *meta, struct package *out)
{
    *out = (struct package){
        .format = lp->format, .name = xstrdup(lp->name), .epoch = lp->epoch, .version = xstrdup(lp->version),
        .release = dup_or_null(lp->release), .arch = xstrdup(lp->arch), .license = meta->license,
        .source = meta->source, .vendor = meta->vendor, .url = meta->url, .summary = meta->summary,
        .repo = dup_or_null(lp->repo), .location = xstrdup(lp->location), .size = lp->size,
    };
    memcpy(out->sha256, lp->sha256, sizeof(out->sha256));
    out->depends = xcalloc(lp->ndepends + 1, sizeof(char *));
    for (size_t i = 0; i < lp->ndepends; i++)
        out->depends[out->ndepends++] = xstrdup(lp->depends[i]);
    meta->license = meta->source = meta->vendor = meta->url = meta->summary = NULL;
}

static bool same_str(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

/* The package must be the one the lock names, epoch, version, release
 * and arch included (its bytes are the locked ones, so the lock itself
 * would be wrong). A tarball's identity is the manifest's. */
static int check_identity(const struct package *lp, const struct package *meta, const char *name)
{
    if (lp->format == PKG_TAR)
        return 0;
    if (same_str(meta->name, lp->name) && same_str(meta->version, lp->version) && same_str(meta->release, lp->release) &&
        same_str(meta->arch, lp->arch) && meta->epoch == lp->epoch)
        return 0;
    _cleanup_free_ char *want = package_evr(lp);
    _cleanup_free_ char *have = meta->name && meta->version ? package_evr(meta) : xstrdup("?");
    return err_set(-EINVAL, "%s: the lock says %s %s.%s but the package is %s %s.%s", name, lp->name, want, lp->arch,
                   meta->name ? meta->name : "?", have, meta->arch ? meta->arch : "?");
}

static const struct manifest_local *local_entry(const struct manifest *m, const char *rel)
{
    for (size_t i = 0; i < m->nlocals; i++)
        if (!strcmp(m->locals[i].rel, rel))
            return &m->locals[i];
    return NULL;
}

static int install(const struct manifest *m, struct fetcher *f, struct tree *t, struct unpack_owners *owners,
                   const struct package *lp, struct package *out)
{
    int fd;
    const char *name;
    int r = open_package(m, f, lp, &fd, &name);
    if (r < 0)
        return r;
    _cleanup_free_ char *evr = package_evr(lp);
    _cleanup_free_ char *origin = xasprintf("%s-%s.%s", lp->name, evr, lp->arch);
    tree_set_policy(t, manifest_allows_overwrite(m, lp->name) ? TREE_REPLACE : TREE_RPM_CONFLICT);
    struct package meta;
    r = unpack_package(t, fd, lp->format, name, origin, owners, &meta);
    close(fd);
    if (r == 0)
        r = check_identity(lp, &meta, name);
    if (r == 0) {
        const struct manifest_local *l = lp->repo ? NULL : local_entry(m, lp->location);
        if (l && l->license && !meta.license)
            meta.license = xstrdup(l->license);
        describe(lp, &meta, out);
    }
    package_clear(&meta);
    return r;
}

/* ------------------------------------------------------------ manifest --- */

static int owner_ids(const struct accounts *a, const char *owner, const char *group, const char *what, uint32_t *uid,
                     uint32_t *gid)
{
    if (accounts_uid(a, owner, uid) < 0)
        return err_set(-ENOENT, "%s: owner '%s' is not a user of the image", what, owner);
    if (accounts_gid(a, group, gid) < 0)
        return err_set(-ENOENT, "%s: group '%s' is not a group of the image", what, group);
    return 0;
}

static int add_manifest_dirs(const struct manifest *m, struct tree *t, const struct accounts *a)
{
    for (size_t i = 0; i < m->ndirs; i++) {
        const struct manifest_dir *d = &m->dirs[i];
        _cleanup_free_ char *what = xasprintf("%s: directories: %s", m->path, d->path);
        struct tree_attr at = {.mode = d->mode, .mtime = m->epoch, .origin = what};
        int r = owner_ids(a, d->owner, d->group, what, &at.uid, &at.gid);
        _cleanup_free_ char *path = r < 0 ? NULL : unpack_resolve_path(t, d->path, what);
        if (r < 0 || !path || (r = tree_add_dir(t, path, &at)) < 0)
            return r < 0 ? r : -ELOOP;
    }
    return 0;
}

static int add_manifest_files(const struct manifest *m, struct tree *t, const struct accounts *a)
{
    for (size_t i = 0; i < m->nfiles; i++) {
        const struct manifest_file *f = &m->files[i];
        _cleanup_free_ char *what = xasprintf("%s: files: %s", m->path, f->dst);
        struct tree_attr at = {.mode = f->mode, .mtime = m->epoch, .origin = what};
        struct stat st;
        int r = owner_ids(a, f->owner, f->group, what, &at.uid, &at.gid);
        /* the file itself: it is read with O_NOFOLLOW (tree_reader_open) */
        if (r == 0 && lstat(f->src, &st) < 0)
            r = err_sys(-errno, "%s: src %s", what, f->src);
        else if (r == 0 && S_ISLNK(st.st_mode))
            r = err_set(-EINVAL, "%s: src %s is a symbolic link: name the file itself", what, f->src);
        else if (r == 0 && !S_ISREG(st.st_mode))
            r = err_set(-EINVAL, "%s: src %s is not a regular file", what, f->src);
        _cleanup_free_ char *path = r < 0 ? NULL : unpack_resolve_path(t, f->dst, what);
        if (r < 0 || !path || (r = tree_add_file_host(t, path, f->src, (uint64_t)st.st_size, &at)) < 0)
            return r < 0 ? r : -ELOOP;
    }
    return 0;
}

static int add_manifest_symlinks(const struct manifest *m, struct tree *t)
{
    for (size_t i = 0; i < m->nsymlinks; i++) {
        const struct manifest_symlink *s = &m->symlinks[i];
        _cleanup_free_ char *what = xasprintf("%s: symlinks: %s", m->path, s->path);
        struct tree_attr at = {.mode = 0777, .mtime = m->epoch, .origin = what};
        _cleanup_free_ char *path = unpack_resolve_path(t, s->path, what);
        int r = path ? tree_add_symlink(t, path, s->target, &at) : -ELOOP;
        if (r < 0)
            return r;
    }
    return 0;
}

struct matches {
    const char *pattern;
    char **paths;
    size_t n;
};

static int collect_match(struct tree_node *n, const char *path, void *ctx)
{
    struct matches *g = ctx;
    if (n->parent && fnmatch(g->pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0) {
        g->paths = xrealloc(g->paths, (g->n + 1) * sizeof(char *));
        g->paths[g->n++] = xstrdup(path);
    }
    return 0;
}

/* One remove: entry, a path or a shell pattern (*, ?, [...] within a
 * component); what matches nothing is fine. The directories before the
 * first pattern component are followed through the image's symlinks, as
 * a package's files would be. */
static int remove_entry(const struct manifest *m, struct tree *t, const char *entry)
{
    _cleanup_free_ char *what = xasprintf("%s: remove: %s", m->path, entry);
    _cleanup_free_ char *path = unpack_resolve_path(t, entry, what);
    if (!path)
        return -ELOOP;
    if (!strpbrk(path, "*?["))
        return tree_remove(t, path);
    struct matches g = {path, NULL, 0};
    tree_walk(t, collect_match, &g);
    int r = 0;
    for (size_t i = 0; i < g.n; i++) {
        if (r == 0)
            r = tree_remove(t, g.paths[i]); /* below an earlier match: already gone, fine */
        free(g.paths[i]);
    }
    free(g.paths);
    return r;
}

/* Everything the manifest itself changes, once the packages are in. Its
 * paths land as packages' do: through the image's directory symlinks. */
static int apply_manifest(const struct manifest *m, struct tree *t, const struct unpack_owners *owners)
{
    tree_set_policy(t, TREE_REPLACE);
    for (size_t i = 0; i < m->nremove; i++) {
        int r = remove_entry(m, t, m->remove[i]);
        if (r < 0)
            return r;
    }
    struct accounts a;
    int r = accounts_load(t, &a);
    if (r < 0)
        return r;
    if ((r = accounts_merge(&a, m)) == 0 && (r = accounts_write(t, &a, m->epoch)) == 0 &&
        (r = unpack_resolve_owners(t, owners, &a)) == 0 && (r = add_manifest_dirs(m, t, &a)) == 0 &&
        (r = add_manifest_files(m, t, &a)) == 0)
        r = add_manifest_symlinks(m, t);
    accounts_free(&a);
    return r;
}

int compose_tree(const struct manifest *m, const struct compose_opts *o, struct tree *t, struct package_set *pkgs,
                 struct lock *lock)
{
    memset(pkgs, 0, sizeof(*pkgs));
    struct fetcher *f = fetcher_new(o->cache_dir);
    if (!f)
        return -EINVAL;
    int r = obtain_lock(m, o, f, lock);
    if (r < 0) {
        fetcher_free(f);
        return r;
    }
    struct unpack_owners owners = {0};
    size_t *order = install_order(&lock->pkgs);
    struct package *installed = xcalloc(lock->pkgs.n + 1, sizeof(struct package));
    size_t done = 0;
    for (; done < lock->pkgs.n && r == 0; done++) {
        log_progress("installing packages", done, lock->pkgs.n);
        size_t k = order[done];
        r = install(m, f, t, &owners, &lock->pkgs.v[k], &installed[k]);
    }
    if (r == 0)
        r = apply_manifest(m, t, &owners);
    unpack_owners_free(&owners);
    free(order);
    fetcher_free(f);
    pkgs->v = installed;
    pkgs->n = lock->pkgs.n;   /* installed[] follows the lock's (name) order */
    if (r < 0) {
        package_set_free(pkgs);
        lock_free(lock);
    }
    return r;
}

/* -------------------------------------------------------------- kernel --- */

static int read_meta(int fd, enum package_format format, const char *name, struct package *meta)
{
    if (format == PKG_RPM) {
        struct rpm_package rp;
        int r = rpm_read(fd, name, &rp);
        if (r == 0) {
            *meta = rp.meta;
            memset(&rp.meta, 0, sizeof(rp.meta));
            rpm_package_free(&rp);
        }
        return r;
    }
    struct deb_info d;
    int r = deb_read_info(fd, name, &d);
    if (r == 0) {
        *meta = d.meta;
        memset(&d.meta, 0, sizeof(d.meta));
        deb_info_free(&d);
    }
    return r;
}

int compose_kernel(const struct manifest *m, const struct lock *lock, const struct compose_opts *o,
                   const char *out_path, struct package *pkg)
{
    if (m->kernel.from != KERNEL_PACKAGE || !lock->kernel)
        return err_set(-EINVAL, "%s: the kernel does not come from a package", m->path);
    struct fetcher *f = fetcher_new(o->cache_dir);
    if (!f)
        return -EINVAL;
    const struct package *lp = lock->kernel;
    int fd;
    const char *name;
    int r = open_package(m, f, lp, &fd, &name);
    fetcher_free(f);
    if (r < 0)
        return r;
    struct package meta = {0};
    r = read_meta(fd, lp->format, name, &meta);
    if (r == 0)
        r = check_identity(lp, &meta, name);
    if (r == 0)
        r = unpack_extract(fd, lp->format, name, m->kernel.path, out_path);
    close(fd);
    if (r == 0 && pkg)
        describe(lp, &meta, pkg);
    package_clear(&meta);
    return r;
}
