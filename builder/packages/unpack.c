/* Package payloads into the tree: RPM cpio payloads driven by the header,
 * tar members of .deb files and tarballs driven by their own headers. */
#include "builder/packages/unpack.h"
#include "builder/packages/deb.h"
#include "builder/packages/rpm.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_SYMLINK_HOPS 40

struct owner_ref {
    char *path;            /* where the entry landed */
    char *user, *group;    /* names; NULL when the input gave none */
    uint32_t uid, gid;     /* numeric ids from a tar header */
    bool numeric;          /* uid/gid are usable when a name is unknown */
    char *origin;
};

static void record_owner(struct unpack_owners *o, const char *path, const char *user, const char *group,
                         uint32_t uid, uint32_t gid, bool numeric, const char *origin)
{
    o->v = xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
    o->v[o->n++] = (struct owner_ref){xstrdup(path), user ? xstrdup(user) : NULL, group ? xstrdup(group) : NULL,
                                      uid, gid, numeric, xstrdup(origin)};
}

/* Owner names other than root's are resolved once the accounts are known;
 * until then the entry is placed as root's. */
static void owner_attr(struct unpack_owners *o, const char *path, const char *user, const char *group,
                       uint32_t uid, uint32_t gid, bool numeric, struct tree_attr *a)
{
    bool user_named = user && *user && strcmp(user, "root");
    bool group_named = group && *group && strcmp(group, "root");
    a->uid = user && *user ? 0 : uid;
    a->gid = group && *group ? 0 : gid;
    if (user_named || group_named)
        record_owner(o, path, user_named ? user : NULL, group_named ? group : NULL, uid, gid, numeric, a->origin);
}

int unpack_resolve_owners(struct tree *t, const struct unpack_owners *o, const struct accounts *a)
{
    for (size_t i = 0; i < o->n; i++) {
        const struct owner_ref *r = &o->v[i];
        struct tree_node *n = tree_lookup(t, r->path);
        if (!n)
            continue; /* removed since (manifest remove:) */
        if (n->hardlink)
            n = n->hardlink;
        if (r->user && accounts_uid(a, r->user, &n->uid) < 0) {
            if (!r->numeric)
                return err_set(-ENOENT, "%s: %s belongs to user '%s', which neither the packages' /etc/passwd "
                               "nor the manifest's accounts define", r->origin, r->path, r->user);
            n->uid = r->uid;
        }
        if (r->group && accounts_gid(a, r->group, &n->gid) < 0) {
            if (!r->numeric)
                return err_set(-ENOENT, "%s: %s belongs to group '%s', which neither the packages' /etc/group "
                               "nor the manifest's accounts define", r->origin, r->path, r->group);
            n->gid = r->gid;
        }
    }
    return 0;
}

void unpack_owners_free(struct unpack_owners *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].path);
        free(o->v[i].user);
        free(o->v[i].group);
        free(o->v[i].origin);
    }
    free(o->v);
    o->v = NULL;
    o->n = 0;
}

/* ------------------------------------------------------------- paths --- */

/* "/" + the components of path with "." dropped and ".." taken back
 * (never above the root): symlink targets are resolved inside the image. */
static char *normalize(const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    for (const char *c = path; *c;) {
        while (*c == '/')
            c++;
        size_t n = strcspn(c, "/");
        if (n == 0)
            break;
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            char *last = strrchr(sb.buf, '/');
            sb.len = last ? (size_t)(last - sb.buf) : 0;
            sb.buf[sb.len] = 0;
        } else if (!(n == 1 && c[0] == '.')) {
            sb_add(&sb, "/", 1);
            sb_add(&sb, c, n);
        }
        c += n;
    }
    if (!sb.len)
        sb_puts(&sb, "/");
    return sb_detach(&sb);
}

static bool has_dotdot(const char *path)
{
    for (const char *c = path; *c;) {
        while (*c == '/')
            c++;
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return true;
        c += n;
    }
    return false;
}

char *unpack_resolve_path(struct tree *t, const char *path, const char *origin)
{
    if (has_dotdot(path)) {
        err_set(-EINVAL, "%s: %s: '..' in a package path", origin, path);
        return NULL;
    }
    char *p = normalize(path);
    for (int hops = 0; hops <= MAX_SYMLINK_HOPS; hops++) {
        char *redirect = NULL;
        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
            *slash = 0;
            struct tree_node *n = tree_lookup(t, p);
            if (n && n->type == TREE_SYMLINK) {
                const char *target = n->link_target;
                char *dir = xstrndup(p, (size_t)(strrchr(p, '/') - p));
                *slash = '/';
                _cleanup_free_ char *joined =
                    xasprintf("%s/%s%s", target[0] == '/' ? "" : dir, target, slash);
                free(dir);
                redirect = normalize(joined);
                break;
            }
            *slash = '/';
            if (!n)
                break; /* nothing further down exists yet */
        }
        if (!redirect)
            return p;
        free(p);
        p = redirect;
    }
    free(p);
    err_set(-ELOOP, "%s: %s: too many levels of symbolic links in the image", origin, path);
    return NULL;
}

/* ---------------------------------------------------------- archives --- */

static void add_filters(struct archive *a)
{
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_lzma(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_bzip2(a);
}

/* An RPM payload, read with pread from its offset and hashed on the way
 * (the header's PAYLOADDIGEST covers the compressed bytes). */
struct payload {
    int fd;
    uint64_t off;
    EVP_MD_CTX *md;
    int err;
    uint8_t buf[1 << 16];
};

static la_ssize_t payload_read(struct archive *a, void *user, const void **out)
{
    struct payload *p = user;
    ssize_t n;
    do
        n = pread(p->fd, p->buf, sizeof(p->buf), (off_t)p->off);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        p->err = errno;
        if (a)
            archive_set_error(a, errno, "read failed");
        return -1;
    }
    EVP_DigestUpdate(p->md, p->buf, (size_t)n);
    p->off += (uint64_t)n;
    *out = p->buf;
    return n;
}

static int payload_open(struct payload *p, int fd, const struct rpm_package *rp, const char *name,
                        struct archive **out)
{
    if (strcmp(rp->payload_format, "cpio"))
        return err_set(-EINVAL, "%s: payload format '%s' is not cpio", name, rp->payload_format);
    p->fd = fd;
    p->off = rp->payload_offset;
    p->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(p->md, EVP_sha256(), NULL);
    struct archive *a = archive_read_new();
    archive_read_support_format_cpio(a);
    add_filters(a);
    if (archive_read_open(a, p, NULL, payload_read, NULL) != ARCHIVE_OK) {
        int r = err_set(-EINVAL, "%s: cannot read the payload: %s", name, archive_error_string(a));
        archive_read_free(a);
        EVP_MD_CTX_free(p->md);
        return r;
    }
    *out = a;
    return 0;
}

/* Hash what libarchive left unread, and compare with the header's digest. */
static int payload_finish(struct payload *p, const struct rpm_package *rp, const char *name)
{
    for (;;) {
        const void *b;
        la_ssize_t n = payload_read(NULL, p, &b);
        if (n <= 0) {
            if (n < 0)
                return err_sys(-p->err, "%s: read failed", name);
            break;
        }
    }
    uint8_t d[32];
    char have[65];
    EVP_DigestFinal_ex(p->md, d, NULL);
    hex_encode(d, 32, have);
    if (rp->payload_digest && strcasecmp(have, rp->payload_digest))
        return err_set(-EBADMSG, "%s: payload does not match the header's payload digest (corrupt package)", name);
    return 0;
}

/* An entry name ("./usr/bin/x", "usr/bin/x") as an image path; NULL for
 * the root itself. */
static char *entry_path(const char *name)
{
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    while (*name == '/')
        name++;
    size_t n = strlen(name);
    while (n && name[n - 1] == '/')
        n--;
    if (!n || (n == 1 && name[0] == '.'))
        return NULL;
    return xasprintf("/%.*s", (int)n, name);
}

/* ---------------------------------------------------------------- rpm --- */

struct rpm_unpack {
    struct tree *t;
    struct rpm_package rp;
    const char *name, *origin;
    struct unpack_owners *owners;
    char **landed;         /* per header file: where it went, NULL until seen */
};

/* The already-placed member of f's hard-link group, or -1. */
static ssize_t link_leader(const struct rpm_unpack *u, const struct rpm_file *f)
{
    if (f->nlink < 2)
        return -1;
    for (size_t j = 0; j < u->rp.nfiles; j++) {
        const struct rpm_file *g = &u->rp.files[j];
        if (g != f && u->landed[j] && g->device == f->device && g->inode == f->inode && g->nlink > 1)
            return (ssize_t)j;
    }
    return -1;
}

static int rpm_place(struct rpm_unpack *u, struct archive *ar, struct archive_entry *e, size_t idx)
{
    const struct rpm_file *f = &u->rp.files[idx];
    const char *path = u->landed[idx];
    struct tree_attr a = {.mode = f->mode & 07777, .mtime = f->mtime, .origin = u->origin};
    owner_attr(u->owners, path, f->user, f->group, 0, 0, false, &a);
    int64_t size = archive_entry_size(e);
    int r;
    switch (f->mode & S_IFMT) {
    case S_IFREG: {
        ssize_t lead = link_leader(u, f);
        if (size != 0 && (uint64_t)size != f->size)
            return err_set(-EINVAL, "%s: %s: payload has %lld bytes, the header says %llu", u->name, f->path,
                           (long long)size, (unsigned long long)f->size);
        if (lead < 0)
            return tree_add_file_archive(u->t, path, ar, (uint64_t)size, &a);
        /* cpio carries a linked file's bytes on one of its names only */
        r = tree_add_hardlink(u->t, path, u->landed[lead], &a);
        if (r == 0 && size > 0)
            r = tree_set_content_archive(u->t, path, ar, (uint64_t)size);
        return r;
    }
    case S_IFDIR:
        return tree_add_dir(u->t, path, &a);
    case S_IFLNK:
        return tree_add_symlink(u->t, path, f->linkto, &a);
    case S_IFCHR:
    case S_IFBLK:
        return tree_add_special(u->t, path, (f->mode & S_IFMT) == S_IFCHR ? TREE_CHR : TREE_BLK, major(f->rdev),
                                minor(f->rdev), &a);
    case S_IFIFO:
        return tree_add_special(u->t, path, TREE_FIFO, 0, 0, &a);
    case S_IFSOCK:
        return tree_add_special(u->t, path, TREE_SOCK, 0, 0, &a);
    default:
        return err_set(-EINVAL, "%s: %s has an unknown file type (mode %o)", u->name, f->path, f->mode);
    }
}

static int rpm_caps(struct rpm_unpack *u, size_t idx)
{
    const struct rpm_file *f = &u->rp.files[idx];
    if (!f->caps)
        return 0;
    uint8_t x[20];
    _cleanup_free_ char *what = xasprintf("%s: %s", u->name, f->path);
    int r = rpm_caps_to_xattr(f->caps, what, x);
    return r < 0 ? r : tree_set_xattr(u->t, u->landed[idx], "security.capability", x, sizeof(x));
}

/* Every header file is there, and every regular file has its digest. */
static int rpm_check(struct rpm_unpack *u)
{
    for (size_t i = 0; i < u->rp.nfiles; i++) {
        const struct rpm_file *f = &u->rp.files[i];
        if (f->flags & RPMFILE_GHOST)
            continue;
        if (!u->landed[i])
            return err_set(-EINVAL, "%s: %s is in the header but not in the payload", u->name, f->path);
        if ((f->mode & S_IFMT) != S_IFREG || u->rp.file_digest_algo != RPM_HASH_SHA256 || !*f->digest)
            continue;
        struct tree_node *n = tree_lookup(u->t, u->landed[i]);
        if (n && n->hardlink)
            n = n->hardlink;
        uint8_t d[32];
        char hex[65];
        int r = n ? tree_file_sha256(u->t, n, d) : err_set(-ENOENT, "%s: %s vanished", u->name, f->path);
        if (r < 0)
            return r;
        hex_encode(d, 32, hex);
        if (strcasecmp(hex, f->digest))
            return err_set(-EBADMSG, "%s: %s does not match its digest in the header (corrupt package)", u->name,
                           f->path);
    }
    return 0;
}

static int rpm_entries(struct rpm_unpack *u, struct archive *ar)
{
    struct archive_entry *e;
    int rc;
    while ((rc = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
        _cleanup_free_ char *path = entry_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        const struct rpm_file *f = path ? rpm_find_file(&u->rp, path) : NULL;
        if (!f)
            return err_set(-EINVAL, "%s: payload entry %s is not in the header", u->name,
                           path ? path : "(root)");
        size_t idx = (size_t)(f - u->rp.files);
        if (u->landed[idx])
            return err_set(-EINVAL, "%s: payload has %s twice", u->name, path);
        if (!(u->landed[idx] = unpack_resolve_path(u->t, f->path, u->origin)))
            return -ELOOP;
        int r = rpm_place(u, ar, e, idx);
        if (r == 0)
            r = rpm_caps(u, idx);
        if (r < 0)
            return r;
    }
    if (rc != ARCHIVE_EOF)
        return err_set(-EINVAL, "%s: damaged payload: %s", u->name, archive_error_string(ar));
    return 0;
}

static int unpack_rpm(struct tree *t, int fd, const char *name, const char *origin, struct unpack_owners *owners,
                      struct package *meta)
{
    struct rpm_unpack u = {.t = t, .name = name, .origin = origin, .owners = owners};
    int r = rpm_read(fd, name, &u.rp);
    if (r < 0)
        return r;
    u.landed = xcalloc(u.rp.nfiles + 1, sizeof(char *));
    struct payload *p = xmalloc(sizeof(*p));
    struct archive *ar = NULL;
    r = payload_open(p, fd, &u.rp, name, &ar);
    if (r == 0) {
        r = rpm_entries(&u, ar);
        if (r == 0)
            r = payload_finish(p, &u.rp, name);
        if (r == 0)
            r = rpm_check(&u);
        archive_read_free(ar);
        EVP_MD_CTX_free(p->md);
    }
    free(p);
    if (r == 0) {
        *meta = u.rp.meta;
        memset(&u.rp.meta, 0, sizeof(u.rp.meta));
    }
    for (size_t i = 0; i < u.rp.nfiles; i++)
        free(u.landed[i]);
    free(u.landed);
    rpm_package_free(&u.rp);
    return r;
}

/* ---------------------------------------------------------- deb, tar --- */

static int tar_xattrs(struct tree *t, struct archive_entry *e, const char *name, const char *path)
{
    const char *xname;
    const void *value;
    size_t len;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xname, &value, &len) == ARCHIVE_OK) {
        int r = tree_set_xattr(t, path, xname, value, len);
        if (r < 0)
            return err_prefix(r, "%s", name);
    }
    return 0;
}

static int tar_place(struct tree *t, struct archive *ar, struct archive_entry *e, const char *name,
                     const char *path, const struct tree_attr *a)
{
    const char *hl = archive_entry_hardlink(e);
    if (hl) {
        _cleanup_free_ char *target = entry_path(hl);
        _cleanup_free_ char *landed = target ? unpack_resolve_path(t, target, a->origin) : NULL;
        if (!landed)
            return target ? -ELOOP : err_set(-EINVAL, "%s: %s: hard link to the root", name, path);
        return tree_add_hardlink(t, path, landed, a);
    }
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return tree_add_file_archive(t, path, ar, (uint64_t)MAX(archive_entry_size(e), 0), a);
    case AE_IFDIR:
        return tree_add_dir(t, path, a);
    case AE_IFLNK:
        return tree_add_symlink(t, path, archive_entry_symlink(e) ? archive_entry_symlink(e) : "", a);
    case AE_IFCHR:
    case AE_IFBLK:
        return tree_add_special(t, path, archive_entry_filetype(e) == AE_IFCHR ? TREE_CHR : TREE_BLK,
                                (uint32_t)archive_entry_rdevmajor(e), (uint32_t)archive_entry_rdevminor(e), a);
    case AE_IFIFO:
        return tree_add_special(t, path, TREE_FIFO, 0, 0, a);
    case AE_IFSOCK:
        return tree_add_special(t, path, TREE_SOCK, 0, 0, a);
    default:
        return err_set(-EINVAL, "%s: %s has an unknown file type", name, path);
    }
}

/* Tar entries keep their header's mode; owners by name (as dpkg does:
 * the image's id for a known name, else the header's number). */
static int tar_entries(struct tree *t, struct archive *ar, const char *name, const char *origin,
                       struct unpack_owners *owners)
{
    struct archive_entry *e;
    int rc;
    while ((rc = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
        _cleanup_free_ char *p = entry_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        if (!p)
            continue; /* the archive's "./": the image root keeps its attributes */
        _cleanup_free_ char *path = unpack_resolve_path(t, p, origin);
        if (!path)
            return -ELOOP;
        struct tree_attr a = {.mode = archive_entry_perm(e) & 07777, .mtime = archive_entry_mtime(e),
                              .origin = origin};
        owner_attr(owners, path, archive_entry_uname(e), archive_entry_gname(e), (uint32_t)archive_entry_uid(e),
                   (uint32_t)archive_entry_gid(e), true, &a);
        int r = tar_place(t, ar, e, name, path, &a);
        if (r == 0 && !archive_entry_hardlink(e))
            r = tar_xattrs(t, e, name, path);
        if (r < 0)
            return r;
    }
    if (rc != ARCHIVE_EOF)
        return err_set(-EINVAL, "%s: damaged archive: %s", name, archive_error_string(ar));
    return 0;
}

static int unpack_deb(struct tree *t, int fd, const char *name, const char *origin, struct unpack_owners *owners,
                      struct package *meta)
{
    struct deb_info info;
    int r = deb_read_info(fd, name, &info);
    if (r < 0)
        return r;
    struct archive *outer, *inner;
    r = deb_open_member(fd, name, "data.tar", &outer, &inner);
    if (r == 0) {
        r = tar_entries(t, inner, name, origin, owners);
        archive_read_free(inner);
        archive_read_free(outer);
    }
    if (r == 0) {
        *meta = info.meta;
        memset(&info.meta, 0, sizeof(info.meta));
    }
    deb_info_free(&info);
    return r;
}

static int open_tarball(int fd, const char *name, struct archive **out)
{
    if (lseek(fd, 0, SEEK_SET) < 0)
        return err_sys(-errno, "%s: cannot seek", name);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    add_filters(a);
    if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
        int r = err_set(-EINVAL, "%s: not a tar archive: %s", name, archive_error_string(a));
        archive_read_free(a);
        return r;
    }
    *out = a;
    return 0;
}

int unpack_package(struct tree *t, int fd, enum package_format format, const char *name, const char *origin,
                   struct unpack_owners *owners, struct package *meta)
{
    memset(meta, 0, sizeof(*meta));
    if (format == PKG_RPM)
        return unpack_rpm(t, fd, name, origin, owners, meta);
    if (format == PKG_DEB)
        return unpack_deb(t, fd, name, origin, owners, meta);
    struct archive *a;
    int r = open_tarball(fd, name, &a);
    if (r < 0)
        return r;
    r = tar_entries(t, a, name, origin, owners);
    archive_read_free(a);
    return r;
}

/* ---------------------------------------------------------- extract --- */

/* Copy the current entry's data to out_path, atomically; its sha256 must
 * be want (hex) when given. */
static int extract_entry(struct archive *ar, const char *name, const char *member, const char *out_path,
                         const char *want)
{
    struct atomic_file af;
    int r = atomic_open(&af, out_path, 0644);
    if (r < 0)
        return r;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    static _Thread_local char buf[1 << 16];
    la_ssize_t n;
    while (r == 0 && (n = archive_read_data(ar, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            r = err_set(-EINVAL, "%s: %s: %s", name, member, archive_error_string(ar));
            break;
        }
        EVP_DigestUpdate(md, buf, (size_t)n);
        r = write_all(af.fd, buf, (size_t)n, out_path);
    }
    uint8_t d[32];
    char have[65];
    EVP_DigestFinal_ex(md, d, NULL);
    EVP_MD_CTX_free(md);
    hex_encode(d, 32, have);
    if (r == 0 && want && *want && strcasecmp(want, have))
        r = err_set(-EBADMSG, "%s: %s does not match its digest in the header (corrupt package)", name, member);
    if (r < 0) {
        atomic_abort(&af);
        return r;
    }
    return atomic_commit(&af);
}

/* Find member among ar's entries; *e receives it. */
static int find_member(struct archive *ar, const char *name, const char *member, struct archive_entry **e)
{
    int rc;
    while ((rc = archive_read_next_header(ar, e)) == ARCHIVE_OK) {
        _cleanup_free_ char *p = entry_path(archive_entry_pathname(*e) ? archive_entry_pathname(*e) : "");
        if (p && !strcmp(p, member))
            return 0;
    }
    if (rc != ARCHIVE_EOF)
        return err_set(-EINVAL, "%s: damaged payload: %s", name, archive_error_string(ar));
    return err_set(-ENOENT, "%s: has no file %s", name, member);
}

/* Move ar to the entry that carries f's bytes: f's own, or for a hard
 * link the name of its inode that cpio gave the data to. */
static int find_content(struct archive *ar, const struct rpm_package *rp, const struct rpm_file *f, const char *name)
{
    struct archive_entry *e;
    int rc;
    while ((rc = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
        _cleanup_free_ char *p = entry_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        const struct rpm_file *g = p ? rpm_find_file(rp, p) : NULL;
        bool same = g == f || (g && f->nlink > 1 && g->device == f->device && g->inode == f->inode);
        if (same && (archive_entry_size(e) > 0 || f->size == 0))
            return 0;
    }
    if (rc != ARCHIVE_EOF)
        return err_set(-EINVAL, "%s: damaged payload: %s", name, archive_error_string(ar));
    return err_set(-EINVAL, "%s: the payload lacks the bytes of %s", name, f->path);
}

static int extract_rpm(int fd, const char *name, const char *member, const char *out_path)
{
    struct rpm_package rp;
    int r = rpm_read(fd, name, &rp);
    if (r < 0)
        return r;
    const struct rpm_file *f = rpm_find_file(&rp, member);
    if (!f)
        r = err_set(-ENOENT, "%s: has no file %s", name, member);
    else if ((f->mode & S_IFMT) != S_IFREG)
        r = err_set(-EINVAL, "%s: %s is not a regular file%s%s", name, member,
                    (f->mode & S_IFMT) == S_IFLNK ? "; it links to " : "", f->linkto);
    struct payload *p = xmalloc(sizeof(*p));
    struct archive *ar = NULL;
    if (r == 0 && (r = payload_open(p, fd, &rp, name, &ar)) == 0) {
        if ((r = find_content(ar, &rp, f, name)) == 0)
            r = extract_entry(ar, name, member, out_path,
                              rp.file_digest_algo == RPM_HASH_SHA256 ? f->digest : NULL);
        archive_read_free(ar);
        EVP_MD_CTX_free(p->md);
    }
    free(p);
    rpm_package_free(&rp);
    return r;
}

int unpack_extract(int fd, enum package_format format, const char *name, const char *member, const char *out_path)
{
    if (format == PKG_RPM)
        return extract_rpm(fd, name, member, out_path);
    struct archive *outer = NULL, *inner;
    int r = format == PKG_DEB ? deb_open_member(fd, name, "data.tar", &outer, &inner)
                              : open_tarball(fd, name, &inner);
    if (r < 0)
        return r;
    struct archive_entry *e;
    if ((r = find_member(inner, name, member, &e)) == 0) {
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
            r = err_set(-EINVAL, "%s: %s is not a regular file%s%s", name, member,
                        archive_entry_symlink(e) ? "; it links to " : "",
                        archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
        else
            r = extract_entry(inner, name, member, out_path, NULL);
    }
    archive_read_free(inner);
    if (outer)
        archive_read_free(outer);
    return r;
}
