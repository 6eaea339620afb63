/* rpm-md repositories and local packages, resolved with libsolv. */
#include "builder/packages/repo.h"
#include "builder/packages/deb.h"
#include "builder/packages/gpg.h"
#include "builder/packages/rpm.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <solv/chksum.h>
#include <solv/dataiterator.h>
#include <solv/knownid.h>
#include <solv/policy.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/repo.h>
#include <solv/repo_repomdxml.h>
#include <solv/repo_rpmdb.h>
#include <solv/repo_rpmmd.h>
#include <solv/solv_xfopen.h>
#include <solv/solver.h>
#include <solv/transaction.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REPOMD (16u << 20)
#define MAX_SIGNATURE (1u << 20)

static char *url_join(const char *base, const char *rel)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    return xasprintf("%.*s/%s", (int)n, base, rel);
}

static Pool *pool_new(const char *arch)
{
    Pool *pool = pool_create();
    /* Debian builds libsolv for Debian version semantics by default */
    pool_setdisttype(pool, DISTTYPE_RPM);
    pool_setarch(pool, arch);
    return pool;
}

/* A metadata file repomd.xml points at. */
struct md_file {
    const char *type;          /* "primary", "filelists" */
    const char *location;      /* owned by the pool */
    const char *alg;
    char hex[2 * 64 + 1];
    uint64_t size;
};

/* Parse repomd.xml into repo's meta data. */
static int repomd_add(Repo *repo, const uint8_t *xml, size_t len, const char *what)
{
    FILE *fp = len ? fmemopen((void *)xml, len, "r") : NULL;
    if (!fp)
        return err_set(-EINVAL, "%s: empty", what);
    int rc = repo_add_repomdxml(repo, fp, 0);
    fclose(fp);
    if (rc)
        return err_set(-EINVAL, "%s: not a valid repomd.xml: %s", what, pool_errstr(repo->pool));
    return 0;
}

/* The metadata file of type out->type that repomd.xml lists: 1 when it
 * lists one, 0 when none, negative (message set) when its entry is
 * unusable. what names repomd.xml. */
static int repomd_find(Repo *repo, const char *what, struct md_file *out)
{
    Pool *pool = repo->pool;
    Dataiterator di;
    dataiterator_init(&di, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, out->type, SEARCH_STRING);
    dataiterator_prepend_keyname(&di, REPOSITORY_REPOMD);
    int r = 0;
    if (dataiterator_step(&di)) {
        dataiterator_setpos_parent(&di);
        Id type = 0;
        const char *loc = pool_lookup_str(pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
        const unsigned char *sum = pool_lookup_bin_checksum(pool, SOLVID_POS, REPOSITORY_REPOMD_CHECKSUM, &type);
        out->size = pool_lookup_num(pool, SOLVID_POS, REPOSITORY_REPOMD_SIZE, 0);
        if (!loc || !*loc || strstr(loc, "..") || loc[0] == '/' || strstr(loc, "://"))
            r = err_set(-EINVAL, "%s: %s metadata has no usable location", what, out->type);
        else if (!sum || !solv_chksum_len(type) || solv_chksum_len(type) > 64)
            r = err_set(-EINVAL, "%s: %s metadata has no checksum", what, out->type);
        else {
            out->location = loc;
            out->alg = solv_chksum_type2str(type);
            hex_encode(sum, (size_t)solv_chksum_len(type), out->hex);
            r = 1;
        }
    }
    dataiterator_free(&di);
    return r;
}

/* Parse repomd.xml into repo and find the primary metadata in it. */
static int repomd_primary(Repo *repo, const uint8_t *xml, size_t len, const char *what, struct md_file *md)
{
    md->type = "primary";
    int r = repomd_add(repo, xml, len, what);
    if (r == 0 && (r = repomd_find(repo, what, md)) == 0)
        r = err_set(-EINVAL, "%s: lists no primary metadata", what);
    return r < 0 ? r : 0;
}

/* Add rpm-md XML (primary, or filelists extending the packages already
 * there) from fp, which this closes. */
static int rpmmd_load(Repo *repo, FILE *fp, const char *type, const char *what)
{
    if (!fp)
        return err_set(-EINVAL, "%s: cannot open (unknown compression?)", what);
    bool extend = strcmp(type, "primary");
    int rc = repo_add_rpmmd(repo, fp, extend ? "FL" : NULL, extend ? REPO_EXTEND_SOLVABLES : 0);
    fclose(fp);
    if (rc)
        return err_set(-EINVAL, "%s: corrupt %s metadata: %s", what, type, pool_errstr(repo->pool));
    return 0;
}

/* A solvable as a lock entry (no depends yet). */
static int solvable_package(Solvable *s, const char *baseurl, struct package *p)
{
    Pool *pool = s->repo->pool;
    const char *name = pool_id2str(pool, s->name), *evr = pool_id2str(pool, s->evr);
    const char *colon = strchr(evr, ':'), *dash = strrchr(evr, '-');
    memset(p, 0, sizeof(*p));
    p->format = PKG_RPM;
    p->name = xstrdup(name);
    if (colon && (!dash || colon < dash)) {
        _cleanup_free_ char *e = xstrndup(evr, (size_t)(colon - evr));
        parse_u32(e, &p->epoch);
        evr = colon + 1;
    }
    p->version = dash ? xstrndup(evr, (size_t)(dash - evr)) : xstrdup(evr);
    p->release = dash ? xstrdup(dash + 1) : NULL;
    p->arch = xstrdup(pool_id2str(pool, s->arch));
    if (!baseurl)
        return 0;
    p->repo = xstrdup(s->repo->name);
    const char *loc = solvable_lookup_location(s, NULL), *base = solvable_lookup_str(s, SOLVABLE_MEDIABASE);
    if (!loc || !*loc || loc[0] == '/' || strstr(loc, "..") || strstr(loc, "://"))
        return err_set(-EINVAL, "repository %s: package %s has no usable location", s->repo->name, name);
    /* a remote repository's metadata may name mirrors, not local files */
    if (base && *base && !startswith(base, "http://") && !startswith(base, "https://") &&
        !startswith(baseurl, "file://"))
        return err_set(-EINVAL, "repository %s: package %s: xml:base '%s' is not an HTTP(S) URL", s->repo->name,
                       name, base);
    p->location = url_join(base && *base ? base : baseurl, loc);
    p->size = solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0);
    Id type = 0;
    const unsigned char *sum = solvable_lookup_bin_checksum(s, SOLVABLE_CHECKSUM, &type);
    if (!sum || type != REPOKEY_TYPE_SHA256)
        return err_set(-EINVAL, "repository %s: package %s has no sha256 checksum (%s)", s->repo->name, name,
                       sum ? solv_chksum_type2str(type) : "none");
    hex_encode(sum, 32, p->sha256);
    return 0;
}

/* The names of the installed packages that provide what s requires. */
static void solvable_depends(Solvable *s, Map *installed, struct package *p)
{
    Pool *pool = s->repo->pool;
    Id self = pool_solvable2id(pool, s);
    Queue q;
    queue_init(&q);
    solvable_lookup_deparray(s, SOLVABLE_REQUIRES, &q, 0);
    for (int i = 0; i < q.count; i++) {
        Id dep = q.elements[i], pp, prov;
        if (dep == SOLVABLE_PREREQMARKER)
            continue;
        FOR_PROVIDES(prov, pp, dep) {
            if (prov == self || !MAPTST(installed, prov))
                continue;
            const char *n = pool_id2str(pool, pool->solvables[prov].name);
            bool have = false;
            for (size_t k = 0; k < p->ndepends && !have; k++)
                have = !strcmp(p->depends[k], n);
            if (!have) {
                p->depends = xrealloc(p->depends, (p->ndepends + 1) * sizeof(char *));
                p->depends[p->ndepends++] = xstrdup(n);
            }
        }
    }
    queue_free(&q);
}

/* ------------------------------------------------------- repositories --- */

struct resolver {
    const struct manifest *m;
    struct fetcher *f;
    Pool *pool;
    Id *local_ids;       /* per manifest local package: its solvable (rpm), else 0 */
};

static int verify_repomd(struct resolver *rs, const struct manifest_repo *mr, const char *url, const uint8_t *xml,
                         size_t len)
{
    _cleanup_free_ char *sig_url = xasprintf("%s.asc", url);
    _cleanup_free_ uint8_t *sig = NULL;
    size_t siglen;
    int r = fetch_memory(rs->f, sig_url, MAX_SIGNATURE, &sig, &siglen);
    if (r == -ENOENT)
        return err_prefix(-EBADMSG, "repository %s: repomd.xml is not signed, but gpgkey is set", mr->name);
    if (r < 0)
        return r;
    _cleanup_free_ char *what = xasprintf("repository %s: %s", mr->name, url);
    return gpg_verify_detached(mr->gpgkey, xml, len, sig, siglen, what);
}

/* Fetch a metadata file repomd.xml lists, checked against the checksum
 * there (which the signature covers), and add it to repo. */
static int load_metadata(struct resolver *rs, Repo *repo, const struct md_file *md)
{
    const struct manifest_repo *mr = repo->appdata;
    _cleanup_free_ char *url = url_join(mr->baseurl, md->location);
    _cleanup_free_ char *what = xasprintf("repository %s: %s", mr->name, url);
    int fd;
    int r = fetch_verified(rs->f, url, md->alg, md->hex, md->size, &fd, NULL);
    if (r < 0)
        return err_prefix(r, "repository %s", mr->name);
    /* solv_xfopen_fd picks the decompressor from the name's suffix */
    FILE *fp = solv_xfopen_fd(md->location, fd, "r");
    if (!fp)
        close(fd);
    return rpmmd_load(repo, fp, md->type, what);
}

static char *repomd_url(const struct manifest_repo *mr)
{
    return url_join(mr->baseurl, "repodata/repomd.xml");
}

static int load_repository(struct resolver *rs, const struct manifest_repo *mr)
{
    _cleanup_free_ char *url = repomd_url(mr);
    _cleanup_free_ uint8_t *xml = NULL;
    size_t len;
    log_progress("reading repository metadata", 0, 0);
    int r = fetch_memory(rs->f, url, MAX_REPOMD, &xml, &len);
    if (r < 0)
        return err_prefix(r, "repository %s", mr->name);
    if (mr->gpgcheck && (r = verify_repomd(rs, mr, url, xml, len)) < 0)
        return r;
    Repo *repo = repo_create(rs->pool, mr->name);
    repo->appdata = (void *)mr;
    struct md_file md;
    _cleanup_free_ char *what = xasprintf("repository %s: %s", mr->name, url);
    if ((r = repomd_primary(repo, xml, len, what, &md)) < 0)
        return r;
    return load_metadata(rs, repo, &md);
}

/* The files primary.xml lists for each package (createrepo's and
 * libsolv's filter): those of /etc, of every bin/ directory, and
 * /usr/lib/sendmail. Dependencies on other files need filelists.xml. */
static bool primary_lists(const char *path)
{
    return !strncmp(path, "/etc/", 5) || strstr(path, "bin/") || !strcmp(path, "/usr/lib/sendmail");
}

/* tdnf reads every repository's filelists.xml, so that any file
 * dependency resolves. It is large (tens of MB for Azure Linux), and only
 * makes a difference when some package depends on a file primary.xml
 * does not list: it is fetched then, and the result is the same. */
static int add_file_provides(struct resolver *rs)
{
    Pool *pool = rs->pool;
    Queue files;
    queue_init(&files);
    pool_addfileprovides_queue(pool, &files, NULL);
    bool need = false;
    for (int i = 0; i < files.count && !need; i++)
        need = !primary_lists(pool_id2str(pool, files.elements[i]));
    queue_free(&files);
    int r = 0;
    Repo *repo;
    Id k;
    FOR_REPOS(k, repo) {
        const struct manifest_repo *mr = repo->appdata;
        if (!need || !mr || r < 0)
            continue;
        log_progress("reading file lists", 0, 0);
        _cleanup_free_ char *url = repomd_url(mr);
        _cleanup_free_ char *what = xasprintf("repository %s: %s", mr->name, url);
        struct md_file md = {.type = "filelists"};
        if ((r = repomd_find(repo, what, &md)) > 0)
            r = load_metadata(rs, repo, &md);
    }
    if (r < 0)
        return r;
    if (need)
        pool_addfileprovides(pool);
    pool_createwhatprovides(pool);
    return 0;
}

/* ------------------------------------------------------ local packages --- */

/* Size and sha256 of a local file; the caller reads it afterwards. */
static int local_digest(const struct manifest_local *l, struct package *p)
{
    int r = sha256_file_hex(l->path, p->sha256, &p->size);
    if (r < 0)
        return r;
    p->location = xstrdup(l->rel);
    return 0;
}

static int add_local_rpms(struct resolver *rs)
{
    const struct manifest *m = rs->m;
    rs->local_ids = xcalloc(m->nlocals + 1, sizeof(Id));
    Repo *repo = NULL;
    for (size_t i = 0; i < m->nlocals; i++) {
        if (m->locals[i].format != PKG_RPM)
            continue;
        if (!repo)
            repo = repo_create(rs->pool, "@local");
        Id id = repo_add_rpm(repo, m->locals[i].path, REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE | RPM_ADD_NO_RPMLIBREQS);
        if (!id)
            return err_set(-EINVAL, "%s: %s", m->locals[i].path, pool_errstr(rs->pool));
        rs->local_ids[i] = id;
    }
    if (repo)
        repo_internalize(repo);
    return 0;
}

/* ------------------------------------------------------------- solving --- */

/* A problem caused by a file nobody provides: what to do about it. */
static const char *file_dep_hint(Solver *solv, Id problem)
{
    Queue rules;
    queue_init(&rules);
    solver_findallproblemrules(solv, problem, &rules);
    const char *hint = NULL;
    for (int i = 0; i < rules.count && !hint; i++) {
        Id from, to, dep;
        if (solver_ruleinfo(solv, rules.elements[i], &from, &to, &dep) == SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP &&
            pool_dep2str(solv->pool, dep)[0] == '/')
            hint = " (no package of the repositories has that file, filelists.xml included: add a repository or "
                   "a local package that ships it)";
    }
    queue_free(&rules);
    return hint;
}

static int problems_error(Solver *solv)
{
    struct strbuf sb = STRBUF_INIT;
    int n = solver_problem_count(solv);
    for (Id p = 1; p <= n; p++) {
        const char *hint = file_dep_hint(solv, p);
        sb_printf(&sb, "%s%s%s", p > 1 ? "; " : "", solver_problem2str(solv, p), hint ? hint : "");
    }
    _cleanup_free_ char *msg = sb_detach(&sb);
    return err_set(-ENOENT, "cannot resolve the packages: %s", msg);
}

/* Does package p obsolete package q? */
static bool obsoletes(Pool *pool, Id p, Id q)
{
    Solvable *s = pool_id2solvable(pool, p);
    if (!s->obsoletes)
        return false;
    for (const Id *o = s->repo->idarraydata + s->obsoletes; *o; o++)
        if (pool_match_nevr(pool, pool_id2solvable(pool, q), *o))
            return true;
    return false;
}

/* What tdnf installs for a name it is asked for: the best version of the
 * packages of that name, unless a package that provides the name and
 * obsoletes that one is better (the package was renamed); with no package
 * of that name, the best of those that provide it. 0 when nothing does. */
static Id best_for_name(Pool *pool, const char *name)
{
    Id id = pool_str2id(pool, name, 0), p, pp, best = 0;
    if (!id)
        return 0;
    Queue q;
    queue_init(&q);
    FOR_PROVIDES(p, pp, id)
        if (pool_id2solvable(pool, p)->name == id)
            queue_push(&q, p);
    if (q.count) {
        pool_best_solvables(pool, &q, 0);
        queue_truncate(&q, 1);
        FOR_PROVIDES(p, pp, id)
            if (pool_id2solvable(pool, p)->name != id && obsoletes(pool, p, q.elements[0]))
                queue_push(&q, p);
    } else {
        FOR_PROVIDES(p, pp, id)
            queue_push(&q, p);
    }
    if (q.count) {
        pool_best_solvables(pool, &q, 0);
        best = q.elements[0];
    }
    queue_free(&q);
    return best;
}

/* One job per package the manifest names: install exactly the package
 * tdnf would choose (so a newest version whose dependencies fail is an
 * error, not a silent older one), and the local .rpm files. */
static int make_jobs(struct resolver *rs, Queue *job)
{
    const struct manifest *m = rs->m;
    for (size_t i = 0; i < m->npackages; i++) {
        Id p = best_for_name(rs->pool, m->packages[i]);
        if (!p)
            return err_set(-ENOENT, "package '%s' is in none of the repositories", m->packages[i]);
        queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE, p);
    }
    for (size_t i = 0; i < m->nlocals; i++)
        if (rs->local_ids[i])
            queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE, rs->local_ids[i]);
    return 0;
}

/* The solver as tdnf configures it for an install; weak dependencies
 * only when the manifest asks (tdnf installs them). */
static Solver *solver_like_tdnf(Pool *pool, bool weak_deps)
{
    Solver *solv = solver_create(pool);
    static const int flags[] = {SOLVER_FLAG_BEST_OBEY_POLICY, SOLVER_FLAG_ALLOW_VENDORCHANGE, SOLVER_FLAG_KEEP_ORPHANS,
                                SOLVER_FLAG_YUM_OBSOLETES, SOLVER_FLAG_ALLOW_DOWNGRADE,
                                SOLVER_FLAG_INSTALL_ALSO_UPDATES};
    for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
        solver_set_flag(solv, flags[i], 1);
    solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, !weak_deps);
    return solv;
}

/* Solve and append every package to install to out. */
static int solve(struct resolver *rs, struct package_set *out)
{
    Pool *pool = rs->pool;
    Queue job;
    queue_init(&job);
    int r = make_jobs(rs, &job);
    if (r < 0 || !job.count) {
        queue_free(&job);
        return r;
    }
    Solver *solv = solver_like_tdnf(pool, rs->m->weak_deps);
    if (solver_solve(solv, &job)) {
        r = problems_error(solv);
        solver_free(solv);
        queue_free(&job);
        return r;
    }
    Transaction *trans = solver_create_transaction(solv);
    Map installed;
    map_init(&installed, pool->nsolvables);
    for (int i = 0; i < trans->steps.count; i++)
        MAPSET(&installed, trans->steps.elements[i]);
    out->v = xrealloc(out->v, (out->n + (size_t)trans->steps.count + 1) * sizeof(struct package));
    for (int i = 0; i < trans->steps.count && r == 0; i++) {
        Solvable *s = pool_id2solvable(pool, trans->steps.elements[i]);
        const struct manifest_repo *mr = s->repo->appdata;
        struct package *p = &out->v[out->n++];
        r = solvable_package(s, mr ? mr->baseurl : NULL, p);
        if (r == 0)
            solvable_depends(s, &installed, p);
        if (r == 0 && !mr) {
            /* a local .rpm: find which */
            for (size_t k = 0; k < rs->m->nlocals; k++)
                if (rs->local_ids[k] == trans->steps.elements[i])
                    r = local_digest(&rs->m->locals[k], p);
        }
    }
    map_free(&installed);
    transaction_free(trans);
    solver_free(solv);
    queue_free(&job);
    return r;
}

/* Size, sha256, name and EVR of a local package file, read from the file
 * (a tarball's from the manifest). d, when given, keeps a deb's control
 * data. */
static int local_identity(const struct manifest_local *l, enum package_format format, struct package *p,
                          struct deb_info *d)
{
    memset(p, 0, sizeof(*p));
    p->format = format;
    int r = local_digest(l, p);
    if (r == 0 && format == PKG_TAR) {
        p->name = xstrdup(l->name);
        p->version = xstrdup(l->version);
        p->arch = xstrdup("noarch");
        return 0;
    }
    _cleanup_close_ int fd = r < 0 ? -1 : open(l->path, O_RDONLY | O_CLOEXEC);
    if (r == 0 && fd < 0)
        r = err_sys(-errno, "%s: cannot open", l->path);
    if (r < 0)
        return r;
    struct rpm_package rp;
    struct deb_info own;
    const struct package *meta;
    if (format == PKG_RPM) {
        if ((r = rpm_read(fd, l->path, &rp)) < 0)
            return r;
        meta = &rp.meta;
    } else {
        if (!d)
            d = &own;
        if ((r = deb_read_info(fd, l->path, d)) < 0)
            return r;
        meta = &d->meta;
    }
    p->name = xstrdup(meta->name);
    p->epoch = meta->epoch;
    p->version = xstrdup(meta->version);
    p->release = meta->release ? xstrdup(meta->release) : NULL;
    p->arch = xstrdup(meta->arch);
    if (format == PKG_RPM)
        rpm_package_free(&rp);
    else if (d == &own)
        deb_info_free(&own);
    return 0;
}

/* .deb files and tarballs, as they are. info[k] receives the control
 * data of set entry k when it is a deb. */
static int add_other_locals(const struct manifest *m, struct package_set *out, struct deb_info *debs,
                            const struct deb_info **info)
{
    for (size_t i = 0; i < m->nlocals; i++) {
        const struct manifest_local *l = &m->locals[i];
        if (l->format == PKG_RPM)
            continue;
        struct package *p = &out->v[out->n];
        int r = local_identity(l, l->format, p, &debs[i]);
        if (r < 0) {
            package_clear(p);
            return r;
        }
        if (l->format == PKG_DEB)
            info[out->n] = &debs[i];
        out->n++;
    }
    return 0;
}

/* The kernel package: a local file, or the best version of a repository
 * package (not installed, so its dependencies do not matter). */
static int resolve_kernel(struct resolver *rs, struct package **out)
{
    const struct manifest_kernel *k = &rs->m->kernel;
    *out = xcalloc(1, sizeof(struct package));
    if (k->package_file) {
        struct manifest_local l = {.path = k->package_file, .rel = k->package_file_rel};
        return local_identity(&l, endswith(l.path, ".rpm") ? PKG_RPM : PKG_DEB, *out, NULL);
    }
    Id p = best_for_name(rs->pool, k->package);
    if (!p)
        return err_set(-ENOENT, "kernel package '%s' is in none of the repositories", k->package);
    Solvable *s = pool_id2solvable(rs->pool, p);
    const struct manifest_repo *mr = s->repo->appdata;
    return mr ? solvable_package(s, mr->baseurl, *out)
              : err_set(-EINVAL, "kernel package '%s' must come from a repository", k->package);
}

/* Does relation name req (from a Depends) name package q? */
static bool deb_satisfies(const struct package *q, const struct deb_info *qd, const char *req)
{
    if (!strcmp(req, q->name))
        return true;
    for (size_t v = 0; qd && v < qd->nprovides; v++)
        if (!strcmp(req, qd->provides[v]))
            return true;
    return false;
}

/* A deb's depends: the packages of the set its Depends and Pre-Depends
 * name, directly or through a deb's Provides. */
static void deb_depends(struct package_set *set, const struct deb_info **info)
{
    for (size_t i = 0; i < set->n; i++) {
        if (!info[i])
            continue;
        struct package *p = &set->v[i];
        for (size_t j = 0; j < set->n; j++) {
            for (size_t k = 0; j != i && k < info[i]->nrequires; k++)
                if (deb_satisfies(&set->v[j], info[j], info[i]->requires[k])) {
                    p->depends = xrealloc(p->depends, (p->ndepends + 1) * sizeof(char *));
                    p->depends[p->ndepends++] = xstrdup(set->v[j].name);
                    break;
                }
        }
    }
}

int repo_resolve(const struct manifest *m, struct fetcher *f, struct lock *out)
{
    memset(out, 0, sizeof(*out));
    struct resolver rs = {m, f, pool_new(m->arch), NULL};
    struct deb_info *debs = xcalloc(m->nlocals + 1, sizeof(struct deb_info));
    const struct deb_info **info = NULL;
    int r = 0;
    for (size_t i = 0; i < m->nrepos && r == 0; i++)
        r = load_repository(&rs, &m->repos[i]);
    if (r == 0)
        r = add_local_rpms(&rs);
    if (r == 0)
        r = add_file_provides(&rs);
    if (r == 0)
        r = solve(&rs, &out->pkgs);
    if (r == 0) {
        out->pkgs.v = xrealloc(out->pkgs.v, (out->pkgs.n + m->nlocals + 1) * sizeof(struct package));
        info = xcalloc(out->pkgs.n + m->nlocals + 1, sizeof(*info));
        r = add_other_locals(m, &out->pkgs, debs, info);
    }
    if (r == 0) {
        deb_depends(&out->pkgs, info);
        if (m->kernel.from == KERNEL_PACKAGE)
            r = resolve_kernel(&rs, &out->kernel);
    }
    for (size_t i = 0; i < m->nlocals; i++)
        deb_info_free(&debs[i]);
    free(debs);
    free(info);
    free(rs.local_ids);
    pool_free(rs.pool);
    if (r < 0) {
        lock_free(out);
        return r;
    }
    out->inputs = lock_inputs(m);
    lock_sort(out);
    return 0;
}

int repo_parse_metadata(const uint8_t *repomd, size_t repomd_len, const uint8_t *primary, size_t primary_len,
                        const char *baseurl, struct package_set *out)
{
    memset(out, 0, sizeof(*out));
    if (!repomd_len || !primary_len)
        return err_set(-EINVAL, "empty metadata");
    struct manifest_repo mr = {.name = "fuzz", .baseurl = (char *)baseurl};
    Pool *pool = pool_new("x86_64");
    Repo *repo = repo_create(pool, mr.name);
    repo->appdata = &mr;
    struct md_file md;
    int r = repomd_primary(repo, repomd, repomd_len, "repomd.xml", &md);
    if (r == 0)
        r = rpmmd_load(repo, fmemopen((void *)primary, primary_len, "r"), "primary", "primary.xml");
    if (r == 0) {
        out->v = xcalloc((size_t)repo->nsolvables + 1, sizeof(struct package));
        Solvable *s;
        Id p;
        FOR_REPO_SOLVABLES(repo, p, s) {
            if ((r = solvable_package(s, baseurl, &out->v[out->n++])) < 0)
                break;
        }
    }
    pool_free(pool);
    if (r < 0) {
        package_set_free(out);
        return r;
    }
    struct lock l = {.pkgs = *out};
    lock_sort(&l);
    *out = l.pkgs;
    return 0;
}
