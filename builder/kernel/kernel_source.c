/* Kernel source: a tarball extracted once into the cache, or a tree in
 * place; either way checked to be a Linux kernel tree and identified by a
 * digest. */
#include "builder/kernel/kernel.h"
#include "builder/kernel/cache.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool exists(const char *dir, const char *rel)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
    return access(p, F_OK) == 0;
}

/* "NAME = value" from the top of the Makefile. */
static bool makefile_var(const char *text, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) || (p[nl] != ' ' && p[nl] != '='))
            continue;
        const char *v = p + nl;
        while (*v == ' ' || *v == '=')
            v++;
        size_t n = strcspn(v, " \t\n");
        if (n >= outlen)
            return false;
        memcpy(out, v, n);
        out[n] = 0;
        return true;
    }
    return false;
}

/* A kernel tree has a Makefile that names its version, a top-level
 * Kconfig, and the x86 architecture. Sets src->version. */
static int check_kernel_tree(const char *tree, const char *input, char **version)
{
    static const char *const need[] = {"Makefile", "Kconfig", "arch/" KERNEL_SRCARCH "/Kconfig",
                                       "scripts/kconfig/Makefile"};
    for (size_t i = 0; i < ARRAY_SIZE(need); i++)
        if (!exists(tree, need[i]))
            return err_set(-EINVAL, "%s: not a Linux kernel source tree (no %s)", input, need[i]);
    _cleanup_free_ char *mf = xasprintf("%s/Makefile", tree), *text = NULL;
    if (file_read_text(mf, &text, 1 << 20) < 0)
        return err_prefix(-EINVAL, "%s: not a Linux kernel source tree", input);
    char v[16], p[16], s[16], x[64] = "";
    if (!makefile_var(text, "VERSION", v, sizeof(v)) || !makefile_var(text, "PATCHLEVEL", p, sizeof(p)) ||
        !makefile_var(text, "SUBLEVEL", s, sizeof(s)))
        return err_set(-EINVAL, "%s: not a Linux kernel source tree (its Makefile names no VERSION, PATCHLEVEL, SUBLEVEL)",
                       input);
    makefile_var(text, "EXTRAVERSION", x, sizeof(x));
    *version = xasprintf("%s.%s.%s%s", v, p, s, x);
    return 0;
}

/* ---------------------------------------------------------- tree digest --- */

struct name_list {
    char **v;
    size_t n;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *path, struct name_list *out)
{
    DIR *d = opendir(path);
    if (!d)
        return err_sys(-errno, "%s: cannot read directory", path);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (streq(e->d_name, ".") || streq(e->d_name, ".."))
            continue;
        out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(out->v, out->n, sizeof(*out->v), cmp_str);
    return 0;
}

static void name_list_free(struct name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* One line per entry, sorted by path: type, executable bit, content digest
 * (or link target). Modes other than +x, owners and times do not matter to
 * a build, so they are not part of the identity. */
static int digest_tree(const char *root, const char *rel, struct strbuf *manifest, uint64_t *files)
{
    _cleanup_free_ char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
    struct name_list names = {0};
    int r = list_dir(dir, &names);
    for (size_t i = 0; i < names.n && r == 0; i++) {
        _cleanup_free_ char *sub = *rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
        _cleanup_free_ char *path = xasprintf("%s/%s", root, sub);
        struct stat st;
        if (lstat(path, &st) < 0) {
            r = err_sys(-errno, "%s: cannot stat", path);
        } else if (S_ISDIR(st.st_mode)) {
            sb_printf(manifest, "d %s\n", sub);
            r = digest_tree(root, sub, manifest, files);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlink(path, target, sizeof(target) - 1);
            if (n < 0) {
                r = err_sys(-errno, "%s: cannot read link", path);
            } else {
                target[n] = 0;
                sb_printf(manifest, "l %s %s\n", sub, target);
            }
        } else if (S_ISREG(st.st_mode)) {
            char hex[2 * SHA256_LEN + 1];
            r = sha256_file_hex(path, hex, NULL);
            sb_printf(manifest, "f %s %c %s\n", sub, st.st_mode & 0111 ? 'x' : '-', hex);
            if (++*files % 1000 == 0)
                log_progress("kernel source: hashing the tree (files)", *files, 0);
        } else {
            r = err_set(-EINVAL, "%s: not a regular file, directory or symlink", path);
        }
    }
    name_list_free(&names);
    return r;
}

static int open_tree(const char *path, struct kernel_source *src)
{
    int r = check_kernel_tree(path, path, &src->version);
    if (r < 0)
        return r;
    if (exists(path, ".config") || exists(path, "include/config"))
        return err_set(-EINVAL, "%s: the kernel tree is not clean (it has a .config or an in-tree build); "
                       "run 'make mrproper' there", path);
    struct strbuf manifest = STRBUF_INIT;
    uint64_t files = 0;
    r = digest_tree(path, "", &manifest, &files);
    if (r == 0) {
        uint8_t d[SHA256_LEN];
        sha256_buf(manifest.buf ? manifest.buf : "", manifest.len, d);
        hex_encode(d, sizeof(d), src->digest);
        src->tree = xstrdup(path);
    }
    sb_release(&manifest);
    return r;
}

/* ----------------------------------------------------------- extraction --- */

/* Entry names must stay inside the extraction directory. */
static bool safe_entry_name(const char *name)
{
    if (!name || !*name || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        while (*p == '/')
            p++;
    }
    return true;
}

/* No entry may be written through a symlink the archive made: check each
 * directory component below root (remembering the last directory checked,
 * since archives list a directory's entries together). */
static int check_no_symlink_parent(const char *root, const char *name, char **last_ok, const char *input)
{
    const char *slash = strrchr(name, '/');
    if (!slash)
        return 0;
    size_t dl = (size_t)(slash - name);
    if (*last_ok && strlen(*last_ok) == dl && !strncmp(*last_ok, name, dl))
        return 0;
    _cleanup_free_ char *dir = xstrndup(name, dl);
    for (char *p = dir; p;) {
        char *s = strchr(p, '/');
        if (s)
            *s = 0;
        _cleanup_free_ char *path = xasprintf("%s/%s", root, dir);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            return err_set(-EINVAL, "%s: entry %s lies beyond a symbolic link", input, name);
        if (s)
            *s = '/';
        p = s ? s + 1 : NULL;
    }
    free(*last_ok);
    *last_ok = xstrdup(dir);
    return 0;
}

static int archive_fail(struct archive *a, const char *input)
{
    const char *m = archive_error_string(a);
    return err_set(-EINVAL, "%s: cannot extract: %s", input, m ? m : "unknown archive error");
}

static int copy_entry_data(struct archive *in, struct archive *out, const char *input)
{
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(in, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_OK)
            return archive_fail(in, input);
        if (archive_write_data_block(out, buf, size, off) < ARCHIVE_OK)
            return archive_fail(out, input);
    }
}

static int extract_tarball(const char *tarball, const char *dest)
{
    struct stat st;
    uint64_t total = stat(tarball, &st) == 0 ? (uint64_t)st.st_size : 0;
    struct archive *in = archive_read_new();
    archive_read_support_filter_all(in);
    archive_read_support_format_tar(in);
    struct archive *out = archive_write_disk_new();
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    char *last_ok = NULL;
    int r = 0;
    if (archive_read_open_filename(in, tarball, 1 << 16) != ARCHIVE_OK)
        r = archive_fail(in, tarball);
    for (uint64_t n = 0; r == 0; n++) {
        struct archive_entry *e;
        int h = archive_read_next_header(in, &e);
        if (h == ARCHIVE_EOF)
            break;
        if (h < ARCHIVE_WARN) {
            r = archive_fail(in, tarball);
            break;
        }
        const char *name = archive_entry_pathname(e), *link = archive_entry_hardlink(e);
        if (!safe_entry_name(name) || (link && !safe_entry_name(link))) {
            r = err_set(-EINVAL, "%s: entry '%s' would be written outside the tree", tarball, name ? name : "");
            break;
        }
        r = check_no_symlink_parent(dest, name, &last_ok, tarball);
        if (r < 0)
            break;
        _cleanup_free_ char *full = xasprintf("%s/%s", dest, name);
        archive_entry_set_pathname(e, full);
        if (link) {
            _cleanup_free_ char *full_link = xasprintf("%s/%s", dest, link);
            archive_entry_set_hardlink(e, full_link);
        }
        if (archive_write_header(out, e) < ARCHIVE_WARN) {
            r = archive_fail(out, tarball);
            break;
        }
        if (archive_entry_size(e) > 0)
            r = copy_entry_data(in, out, tarball);
        if (r == 0 && archive_write_finish_entry(out) < ARCHIVE_WARN)
            r = archive_fail(out, tarball);
        if (n % 2000 == 0)
            log_progress("kernel source: extracting (bytes)", (uint64_t)archive_filter_bytes(in, -1), total);
    }
    free(last_ok);
    archive_read_free(in);
    archive_write_free(out);
    return r;
}

/* The tree inside an extracted tarball: the directory itself, or its only
 * subdirectory ("linux-source-6.1/"). */
static char *tree_root(const char *dir)
{
    if (exists(dir, "Makefile"))
        return xstrdup(dir);
    struct name_list names = {0};
    char *root = NULL;
    if (list_dir(dir, &names) == 0 && names.n == 1)
        root = xasprintf("%s/%s", dir, names.v[0]);
    name_list_free(&names);
    return root ? root : xstrdup(dir);
}

static int open_tarball(const char *path, const char *cache_dir, struct kernel_source *src)
{
    log_progress("kernel source: hashing the tarball", 0, 0);
    int r = sha256_file_hex(path, src->digest, NULL);
    if (r < 0)
        return r;
    _cleanup_free_ char *srcdir = xasprintf("%s/src", cache_dir);
    _cleanup_free_ char *final = xasprintf("%s/%s", srcdir, src->digest);
    _cleanup_free_ char *lockpath = xasprintf("%s.lock", final);
    r = mkdir_p(srcdir, 0755);
    if (r < 0)
        return r;
    struct cache_lock lock;
    r = cache_lock_take(&lock, lockpath, "the same kernel source being extracted");
    if (r < 0)
        return r;
    if (access(final, F_OK) < 0) {
        char *tmp = NULL;
        r = cache_temp_dir(srcdir, src->digest, &tmp);
        if (r == 0) {
            r = extract_tarball(path, tmp);
            if (r == 0) {
                _cleanup_free_ char *root = tree_root(tmp);
                char *version = NULL;
                r = check_kernel_tree(root, path, &version);
                free(version);
            }
            r = cache_temp_finish(tmp, final, r);
        }
    }
    cache_lock_release(&lock);
    if (r < 0)
        return r;
    src->tree = tree_root(final);
    return check_kernel_tree(src->tree, path, &src->version);
}

int kernel_source_open(const char *path, const char *cache_dir, struct kernel_source *src)
{
    memset(src, 0, sizeof(*src));
    struct stat st;
    if (stat(path, &st) < 0)
        return err_sys(-errno, "%s: cannot open kernel source", path);
    int r = S_ISDIR(st.st_mode) ? open_tree(path, src) : open_tarball(path, cache_dir, src);
    if (r < 0)
        kernel_source_free(src);
    return r;
}

void kernel_source_free(struct kernel_source *src)
{
    free(src->tree);
    free(src->version);
    memset(src, 0, sizeof(*src));
}
