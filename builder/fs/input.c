/* `guestimg rootfs` inputs into the tree: host directories (scanned, file
 * content referenced, not copied) and archives read with libarchive (tar
 * and cpio, compressed or not; content streamed into the tree's spool).
 * Nothing here ever writes to the host. */
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define XATTR_LIST_MAX_BYTES 65536

/* Host security.selinux labels come from the build host's policy, not from
 * the input: they would make the image depend on the machine. */
static bool host_xattr_wanted(const char *name)
{
    return !streq(name, "security.selinux");
}

/* The extended attributes of the host file at (dirfd, name), named host in
 * errors. They are read through /proc/self/fd/DIRFD/NAME when /proc is
 * there: a short path however deep the directory walk has gone (a host
 * path past PATH_MAX cannot be named directly). The buffers are on the
 * heap: this runs at the bottom of a walk as deep as the image's longest
 * path allows. */
static int copy_host_xattrs(struct tree *t, int dirfd, const char *name, const char *host, const char *path)
{
    static int have_proc = -1;
    if (have_proc < 0)
        have_proc = access("/proc/self/fd", X_OK) == 0;
    _cleanup_free_ char *via = dirfd >= 0 && have_proc ? xasprintf("/proc/self/fd/%d/%s", dirfd, name) : NULL;
    const char *at = via ? via : host;
    _cleanup_free_ char *names = xmalloc(XATTR_LIST_MAX_BYTES);
    ssize_t n = llistxattr(at, names, XATTR_LIST_MAX_BYTES);
    if (n < 0)
        return errno == ENOTSUP ? 0 : err_sys(-errno, "%s: cannot list extended attributes", host);
    _cleanup_free_ uint8_t *value = xmalloc(XATTR_SIZE_MAX);
    for (char *x = names; x < names + n; x += strlen(x) + 1) {
        if (!host_xattr_wanted(x))
            continue;
        ssize_t len = lgetxattr(at, x, value, XATTR_SIZE_MAX);
        if (len < 0) {
            if (errno == ENODATA)
                continue;
            return err_sys(-errno, "%s: cannot read extended attribute %s", host, x);
        }
        int r = tree_set_xattr(t, path, x, value, (size_t)len);
        if (r < 0)
            return err_prefix(r, "%s", host);
    }
    return 0;
}

/* ----------------------------------------------------------- directories --- */

/* Files seen with more than one link: (dev, ino) → first image path, in
 * an open-addressing table (distributions hard-link thousands of files,
 * e.g. Python's optimised bytecode). */
struct seen_inode {
    dev_t dev;
    ino_t ino;
    char *path;                 /* NULL: free slot */
};

struct dir_scan {
    struct tree *t;
    const char *input;
    bool keep_owner;
    struct seen_inode *seen;
    size_t nseen, cap;          /* cap: a power of two, at least twice nseen */
    struct strbuf host, path;   /* current host path and image path */
    char *link;                 /* a symlink's target (LINK_BUF bytes): not on the recursion's stack */
};

#define LINK_BUF 4097

static struct seen_inode *seen_slot(struct seen_inode *v, size_t cap, dev_t dev, ino_t ino)
{
    uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ull) ^ (uint64_t)dev;
    for (size_t i = (size_t)(h ^ (h >> 32)) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!v[i].path || (v[i].dev == dev && v[i].ino == ino))
            return &v[i];
}

/* The path an earlier name of this inode was added at, or NULL (and this
 * name is remembered as the first). */
static const char *first_name_of(struct dir_scan *d, const struct stat *st, const char *path)
{
    if (2 * (d->nseen + 1) > d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        struct seen_inode *v = xcalloc(cap, sizeof(*v));
        for (size_t i = 0; i < d->cap; i++)
            if (d->seen[i].path)
                *seen_slot(v, cap, d->seen[i].dev, d->seen[i].ino) = d->seen[i];
        free(d->seen);
        d->seen = v;
        d->cap = cap;
    }
    struct seen_inode *e = seen_slot(d->seen, d->cap, st->st_dev, st->st_ino);
    if (e->path)
        return e->path;
    *e = (struct seen_inode){st->st_dev, st->st_ino, xstrdup(path)};
    d->nseen++;
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's entry names, sorted (so errors and hard-link names do not
 * depend on the host's readdir order). */
static int list_dir(int fd, const char *host, char ***names, size_t *n)
{
    int dfd = dup(fd);
    DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!dir) {
        int e = errno;
        if (dfd >= 0)
            close(dfd);
        return err_sys(-e, "%s: cannot read the directory", host);
    }
    char **v = NULL;
    size_t count = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(dir))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        v = xrealloc(v, (count + 1) * sizeof(*v));
        v[count++] = xstrdup(de->d_name);
    }
    int e = errno;
    closedir(dir);
    if (e) {
        for (size_t i = 0; i < count; i++)
            free(v[i]);
        free(v);
        return err_sys(-e, "%s: cannot read the directory", host);
    }
    if (count > 1)
        qsort(v, count, sizeof(*v), cmp_str);
    *names = v;
    *n = count;
    return 0;
}

static struct tree_attr host_attr(const struct dir_scan *d, const struct stat *st)
{
    return (struct tree_attr){
        .mode = st->st_mode & 07777,
        .uid = d->keep_owner ? st->st_uid : 0,
        .gid = d->keep_owner ? st->st_gid : 0,
        .mtime = st->st_mtime,
        .origin = d->input,
    };
}

static int scan_dir(struct dir_scan *d, int fd);

static int scan_entry(struct dir_scan *d, int dirfd, const char *name)
{
    const char *host = d->host.buf, *path = d->path.buf;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return err_sys(-errno, "%s: cannot stat", host);
    struct tree_attr a = host_attr(d, &st);
    int r;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG: {
        const char *first = st.st_nlink > 1 ? first_name_of(d, &st, path) : NULL;
        if (first)
            return tree_add_hardlink(d->t, path, first, &a);
        r = tree_add_file_host(d->t, path, host, (uint64_t)st.st_size, &a);
        break;
    }
    case S_IFDIR: {
        if ((r = tree_add_dir(d->t, path, &a)) < 0 || (r = copy_host_xattrs(d->t, dirfd, name, host, path)) < 0)
            return r;
        int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return err_sys(-errno, "%s: cannot open the directory", host);
        r = scan_dir(d, sub);
        close(sub);
        return r;
    }
    case S_IFLNK: {
        if (!d->link)
            d->link = xmalloc(LINK_BUF);
        ssize_t n = readlinkat(dirfd, name, d->link, LINK_BUF - 1);
        if (n < 0)
            return err_sys(-errno, "%s: cannot read the symlink", host);
        d->link[n] = 0;
        r = tree_add_symlink(d->t, path, d->link, &a);
        break;
    }
    case S_IFCHR:
    case S_IFBLK:
        r = tree_add_special(d->t, path, S_ISCHR(st.st_mode) ? TREE_CHR : TREE_BLK, major(st.st_rdev),
                             minor(st.st_rdev), &a);
        break;
    case S_IFIFO:
        r = tree_add_special(d->t, path, TREE_FIFO, 0, 0, &a);
        break;
    case S_IFSOCK:
        r = tree_add_special(d->t, path, TREE_SOCK, 0, 0, &a);
        break;
    default:
        return err_set(-EINVAL, "%s: unsupported file type", host);
    }
    return r < 0 ? r : copy_host_xattrs(d->t, dirfd, name, host, path);
}

static int scan_dir(struct dir_scan *d, int fd)
{
    char **names = NULL;
    size_t n = 0;
    int r = list_dir(fd, d->host.buf, &names, &n);
    if (r < 0)
        return r;
    size_t hlen = d->host.len, plen = d->path.len;
    for (size_t i = 0; i < n; i++) {
        if (r == 0) {
            sb_printf(&d->host, "/%s", names[i]);
            sb_printf(&d->path, "/%s", names[i]);
            r = scan_entry(d, fd, names[i]);
            d->host.len = hlen;
            d->host.buf[hlen] = 0;
            d->path.len = plen;
            d->path.buf[plen] = 0;
        }
        free(names[i]);
    }
    free(names);
    return r;
}

static int add_directory(struct tree *t, const char *input, const struct stat *st, const struct tree_input_opts *o)
{
    struct dir_scan d = {.t = t, .input = input, .keep_owner = o && o->keep_owner};
    struct tree_attr a = host_attr(&d, st);
    int r = tree_add_dir(t, "/", &a);
    if (r < 0)
        return r;
    int fd = open(input, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot open the directory", input);
    sb_puts(&d.host, input);
    sb_puts(&d.path, "");
    r = copy_host_xattrs(t, -1, NULL, input, "/");
    if (r == 0)
        r = scan_dir(&d, fd);
    close(fd);
    for (size_t i = 0; i < d.cap; i++)
        free(d.seen[i].path);
    free(d.seen);
    free(d.link);
    sb_release(&d.host);
    sb_release(&d.path);
    return r;
}

/* -------------------------------------------------------------- archives --- */

/* An archive's entry names are relative; refuse what could leave the tree
 * before the tree sees it, naming the entry as the archive spells it. */
static int check_entry_name(const char *input, const char *name, const char *what)
{
    if (name[0] == '/')
        return err_set(-EINVAL, "%s: %s: absolute %s", input, name, what);
    for (const char *s = name; *s;) {
        size_t len = strcspn(s, "/");
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return err_set(-EINVAL, "%s: %s: %s contains \"..\"", input, name, what);
        s += len;
        while (*s == '/')
            s++;
    }
    return 0;
}

static int archive_xattrs(struct tree *t, struct archive_entry *e, const char *input, const char *name)
{
    const char *xname;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
        int r = tree_set_xattr(t, name, xname, value, size);
        if (r == -EINVAL) {
            log_warn("%s: %s: extended attribute %s is not supported by ext4; left out", input, name, xname);
            continue;
        }
        if (r < 0)
            return err_prefix(r, "%s", input);
    }
    return 0;
}

static int archive_entry_add(struct tree *t, struct archive *ar, struct archive_entry *e, const char *input)
{
    const char *name = archive_entry_pathname(e);
    if (!name || !*name)
        return err_set(-EINVAL, "%s: an entry has no name", input);
    int r = check_entry_name(input, name, "path");
    if (r < 0)
        return r;
    la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
    if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX)
        return err_set(-ERANGE, "%s: %s: owner %lld:%lld is out of range", input, name, (long long)uid,
                       (long long)gid);
    struct tree_attr a = {
        .mode = archive_entry_perm(e),
        .uid = (uint32_t)uid,
        .gid = (uint32_t)gid,
        .mtime = archive_entry_mtime(e),
        .origin = input,
    };
    la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (size < 0)
        return err_set(-EINVAL, "%s: %s: negative size", input, name);
    const char *hardlink = archive_entry_hardlink(e);
    if (hardlink) {
        if ((r = check_entry_name(input, hardlink, "hard link target")) < 0 ||
            (r = tree_add_hardlink(t, name, hardlink, &a)) < 0)
            return r;
        /* cpio: the data of a multiply-linked file comes with its last name */
        if (size > 0 && (r = tree_set_content_archive(t, name, ar, (uint64_t)size)) < 0)
            return r;
        return archive_xattrs(t, e, input, name);
    }
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        r = tree_add_file_archive(t, name, ar, (uint64_t)size, &a);
        break;
    case AE_IFDIR:
        r = tree_add_dir(t, name, &a);
        break;
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        r = tree_add_symlink(t, name, target ? target : "", &a);
        break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
        r = tree_add_special(t, name, archive_entry_filetype(e) == AE_IFCHR ? TREE_CHR : TREE_BLK,
                             (uint32_t)archive_entry_rdevmajor(e), (uint32_t)archive_entry_rdevminor(e), &a);
        break;
    case AE_IFIFO:
        r = tree_add_special(t, name, TREE_FIFO, 0, 0, &a);
        break;
    case AE_IFSOCK:
        r = tree_add_special(t, name, TREE_SOCK, 0, 0, &a);
        break;
    default:
        return err_set(-EINVAL, "%s: %s: unsupported entry type", input, name);
    }
    return r < 0 ? r : archive_xattrs(t, e, input, name);
}

/* A reader for the formats and compressions guestimg accepts; none of the
 * filters that would run an external program. */
struct archive *tree_archive_reader(void)
{
    struct archive *ar = archive_read_new();
    archive_read_support_filter_gzip(ar);
    archive_read_support_filter_bzip2(ar);
    archive_read_support_filter_xz(ar);
    archive_read_support_filter_lzma(ar);
    archive_read_support_filter_zstd(ar);
    archive_read_support_format_tar(ar);
    archive_read_support_format_gnutar(ar);
    archive_read_support_format_cpio(ar);
    return ar;
}

/* Entry names are bytes, and stay the same bytes whatever the caller's
 * locale: libarchive converts names to the locale's charset, so read them
 * under C.UTF-8, where UTF-8 (pax) and raw (ustar, cpio) names pass as they are. */
static int add_entries(struct tree *t, struct archive *ar, const char *input);

int tree_add_archive(struct tree *t, struct archive *ar, const char *input)
{
    locale_t utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
    locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
    int r = add_entries(t, ar, input);
    if (utf8) {
        uselocale(old);
        freelocale(utf8);
    }
    return r;
}

static int add_entries(struct tree *t, struct archive *ar, const char *input)
{
    struct archive_entry *e;
    _cleanup_free_ char *last = NULL;
    for (;;) {
        int r = archive_read_next_header(ar, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN) {
            const char *msg = archive_error_string(ar) ? archive_error_string(ar) : "corrupt or truncated";
            if (last)
                return err_set(-EINVAL, "%s: corrupt archive after the entry %s: %s", input, last, msg);
            return err_set(-EINVAL, "%s: not a readable tar or cpio archive: %s", input, msg);
        }
        if (r == ARCHIVE_WARN)
            log_warn("%s: %s", input, archive_error_string(ar) ? archive_error_string(ar) : "archive warning");
        if ((r = archive_entry_add(t, ar, e, input)) < 0)
            return r;
        free(last);
        last = xstrdup(archive_entry_pathname(e));
    }
}

static int add_archive_file(struct tree *t, const char *input)
{
    struct archive *ar = tree_archive_reader();
    int r;
    if (archive_read_open_filename(ar, input, 1 << 16) != ARCHIVE_OK)
        r = err_set(-EINVAL, "%s: not a directory or a readable tar or cpio archive: %s", input,
                    archive_error_string(ar) ? archive_error_string(ar) : "corrupt or truncated");
    else
        r = tree_add_archive(t, ar, input);
    archive_read_free(ar);
    return r;
}

int tree_add_input(struct tree *t, const char *input, const struct tree_input_opts *o)
{
    struct stat st;
    if (stat(input, &st) < 0)
        return err_sys(-errno, "%s: cannot read the input", input);
    if (S_ISDIR(st.st_mode))
        return add_directory(t, input, &st, o);
    int fd = open(input, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot read the input", input);
    close(fd);
    return add_archive_file(t, input);
}
