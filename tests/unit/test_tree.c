/* builder/fs/tree.c and builder/fs/input.c: merging entries, policies, hard
 * links, spooling archive content, directory and archive inputs. */
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "harness.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static const struct tree_attr A = {.mode = 0644, .origin = "in1"};
static const struct tree_attr B = {.mode = 0644, .origin = "in2"};

static bool err_has(const char *s)
{
    return strstr(err_msg(), s) != NULL;
}

/* Read a node's content through a reader. */
static size_t read_all(struct tree *t, struct tree_node *n, char *buf, size_t cap)
{
    struct tree_reader *r;
    if (tree_reader_open(t, n, &r) < 0)
        return (size_t)-1;
    size_t len = 0;
    ssize_t got;
    while ((got = tree_reader_read(r, buf + len, cap - len)) > 0)
        len += (size_t)got;
    tree_reader_close(r);
    return got < 0 ? (size_t)-1 : len;
}

TEST(add_and_lookup_normalise_paths)
{
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_file_buffer(t, "./usr//bin/./sh", "x", 1, &A), 0);
    struct tree_node *n = tree_lookup(t, "/usr/bin/sh");
    CHECK(n && n->type == TREE_REG && n->size == 1);
    CHECK_STR(n->origin, "in1");
    struct tree_node *d = tree_lookup(t, "usr/bin/");
    CHECK(d && d->type == TREE_DIR && d->mode == 0755 && d->uid == 0);
    CHECK(tree_lookup(t, "/") == tree_root(t));
    CHECK(tree_lookup(t, "/usr/lib") == NULL);
    /* an explicit entry for an implied directory sets its attributes */
    struct tree_attr x = {.mode = 0700, .uid = 5, .gid = 6, .origin = "in1"};
    CHECK_EQ_INT(tree_add_dir(t, "/usr", &x), 0);
    d = tree_lookup(t, "/usr");
    CHECK(d->mode == 0700 && d->uid == 5 && d->gid == 6);
    CHECK(tree_lookup(t, "/usr/bin/sh") == n);
    tree_free(t);
}

TEST(bad_paths_are_refused_naming_input_and_entry)
{
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_dir(t, "/a/../b", &A), -EINVAL);
    CHECK(err_has("in1: /a/../b") && err_has(".."));
    char longname[300];
    memset(longname, 'x', 256);
    longname[256] = 0;
    CHECK_EQ_INT(tree_add_dir(t, longname, &A), -ENAMETOOLONG);
    CHECK(err_has("longer than 255"));
    longname[255] = 0;
    CHECK_EQ_INT(tree_add_dir(t, longname, &A), 0);
    char deep[5000];
    for (int i = 0; i < 2048; i++)
        memcpy(deep + 2 * i, "/d", 2);
    deep[4096] = 0;
    CHECK_EQ_INT(tree_add_dir(t, deep, &A), -ENAMETOOLONG);
    CHECK_EQ_INT(tree_add_symlink(t, "/etc", "/tmp", &A), 0);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/etc/passwd", "x", 1, &B), -ELOOP);
    CHECK(err_has("in2: /etc/passwd: path passes through the symlink /etc (from in1)"));
    CHECK_EQ_INT(tree_add_file_buffer(t, "/f", "x", 1, &A), 0);
    CHECK_EQ_INT(tree_add_dir(t, "/f/g", &B), -ENOTDIR);
    CHECK_EQ_INT(tree_add_hardlink(t, "/h", "/missing", &B), -ENOENT);
    CHECK(err_has("in2: /h: hard link to /missing"));
    CHECK_EQ_INT(tree_add_dir(t, "/dir", &A), 0);
    CHECK_EQ_INT(tree_add_hardlink(t, "/h", "/dir", &B), -EPERM);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/", "x", 1, &A), -EISDIR);
    CHECK_EQ_INT(tree_add_symlink(t, "/s", "", &A), -EINVAL);
    CHECK_EQ_INT(tree_add_special(t, "/c", TREE_CHR, 5000, 1, &A), -ERANGE);
    CHECK_EQ_INT(tree_add_special(t, "/c", TREE_REG, 1, 1, &A), -EINVAL);
    CHECK_EQ_INT(tree_set_xattr(t, "/f", "os2.x", "v", 1), -EINVAL);
    CHECK_EQ_INT(tree_set_xattr(t, "/nope", "user.x", "v", 1), -ENOENT);
    /* nothing above left a stray entry */
    CHECK(tree_lookup(t, "/h") == NULL && tree_lookup(t, "/c") == NULL && tree_lookup(t, "/s") == NULL);
    tree_free(t);
}

TEST(replace_policy_later_input_wins)
{
    struct tree *t = tree_new(NULL);
    char buf[16];
    CHECK_EQ_INT(tree_add_file_buffer(t, "/x", "old", 3, &A), 0);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/x", "newer", 5, &B), 0);
    struct tree_node *x = tree_lookup(t, "/x");
    CHECK_EQ_U64(read_all(t, x, buf, sizeof(buf)), 5);
    CHECK_MEM(buf, "newer", 5);
    CHECK_STR(x->origin, "in2");
    /* a directory replaces a file, a file replaces a directory and its subtree */
    CHECK_EQ_INT(tree_add_file_buffer(t, "/d/a/b", "1", 1, &A), 0);
    CHECK_EQ_INT(tree_add_symlink(t, "/d", "elsewhere", &B), 0);
    CHECK(tree_lookup(t, "/d")->type == TREE_SYMLINK && tree_lookup(t, "/d/a") == NULL);
    CHECK_EQ_INT(tree_add_dir(t, "/d", &A), 0);
    CHECK(tree_lookup(t, "/d")->type == TREE_DIR && tree_lookup(t, "/d")->link_target == NULL);
    /* directories merge: children stay */
    CHECK_EQ_INT(tree_add_file_buffer(t, "/d/k", "k", 1, &A), 0);
    struct tree_attr m = {.mode = 0711, .origin = "in2"};
    CHECK_EQ_INT(tree_add_dir(t, "/d", &m), 0);
    CHECK(tree_lookup(t, "/d/k") != NULL);
    CHECK_EQ_INT(tree_lookup(t, "/d")->mode, 0711);
    tree_free(t);
}

TEST(rpm_conflict_policy)
{
    struct tree *t = tree_new(NULL);
    tree_set_policy(t, TREE_RPM_CONFLICT);
    struct tree_attr p1 = {.mode = 0755, .origin = "pkg-a"}, p2 = {.mode = 0755, .origin = "pkg-b"};
    CHECK_EQ_INT(tree_add_file_buffer(t, "/usr/bin/tool", "same", 4, &p1), 0);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/usr/bin/tool", "same", 4, &p2), 0);
    CHECK_STR(tree_lookup(t, "/usr/bin/tool")->origin, "pkg-a");
    CHECK_EQ_INT(tree_add_file_buffer(t, "/usr/bin/tool", "diff", 4, &p2), -EEXIST);
    CHECK(err_has("/usr/bin/tool") && err_has("pkg-b") && err_has("pkg-a"));
    struct tree_attr p3 = {.mode = 0700, .origin = "pkg-c"};
    CHECK_EQ_INT(tree_add_file_buffer(t, "/usr/bin/tool", "same", 4, &p3), -EEXIST);
    /* directories: fine; the first explicit one keeps its attributes */
    struct tree_attr d1 = {.mode = 0750, .origin = "pkg-a"}, d2 = {.mode = 0755, .origin = "pkg-b"};
    CHECK_EQ_INT(tree_add_dir(t, "/usr/bin", &d1), 0);
    CHECK_EQ_INT(tree_add_dir(t, "/usr/bin", &d2), 0);
    CHECK_EQ_INT(tree_lookup(t, "/usr/bin")->mode, 0750);
    /* a directory and a symlink are not the same kind */
    CHECK_EQ_INT(tree_add_symlink(t, "/usr/bin", "sbin", &p2), -EEXIST);
    CHECK(err_has("symlink from pkg-b conflicts with the directory from pkg-a"));
    CHECK_EQ_INT(tree_add_symlink(t, "/lib", "usr/lib", &p1), 0);
    CHECK_EQ_INT(tree_add_symlink(t, "/lib", "usr/lib", &p2), 0);
    CHECK_EQ_INT(tree_add_symlink(t, "/lib", "usr/lib64", &p2), -EEXIST);
    CHECK_EQ_INT(tree_add_special(t, "/dev/null", TREE_CHR, 1, 3, &p1), 0);
    CHECK_EQ_INT(tree_add_special(t, "/dev/null", TREE_CHR, 1, 3, &p2), 0);
    CHECK_EQ_INT(tree_add_special(t, "/dev/null", TREE_CHR, 1, 5, &p2), -EEXIST);
    tree_free(t);
}

TEST(hard_links_survive_replacing_and_removing_their_target)
{
    struct tree *t = tree_new(NULL);
    char buf[16];
    CHECK_EQ_INT(tree_add_file_buffer(t, "/a", "data", 4, &A), 0);
    CHECK_EQ_INT(tree_set_xattr(t, "/a", "user.k", "v", 1), 0);
    CHECK_EQ_INT(tree_add_hardlink(t, "/b", "/a", &A), 0);
    CHECK_EQ_INT(tree_add_hardlink(t, "/c", "/b", &A), 0);
    struct tree_node *a = tree_lookup(t, "/a"), *b = tree_lookup(t, "/b"), *c = tree_lookup(t, "/c");
    CHECK(b->hardlink == a && c->hardlink == a && b->type == TREE_REG);
    /* a hard link to itself is nothing new */
    CHECK_EQ_INT(tree_add_hardlink(t, "/b", "/a", &A), 0);
    CHECK(tree_lookup(t, "/b") == b && b->hardlink == a);
    /* replacing the target: the other names keep the old inode */
    CHECK_EQ_INT(tree_add_file_buffer(t, "/a", "new", 3, &B), 0);
    CHECK(b->hardlink == NULL && c->hardlink == b);
    CHECK_EQ_U64(read_all(t, c, buf, sizeof(buf)), 4);
    CHECK_MEM(buf, "data", 4);
    CHECK(b->nxattrs == 1 && a->nxattrs == 0);
    /* removing it */
    CHECK_EQ_INT(tree_remove(t, "/b"), 0);
    CHECK(tree_lookup(t, "/b") == NULL && c->hardlink == NULL);
    CHECK_EQ_U64(read_all(t, c, buf, sizeof(buf)), 4);
    /* removing a subtree holding links into and out of it */
    CHECK_EQ_INT(tree_add_file_buffer(t, "/d/in", "in", 2, &A), 0);
    CHECK_EQ_INT(tree_add_hardlink(t, "/out", "/d/in", &A), 0);
    CHECK_EQ_INT(tree_add_hardlink(t, "/d/l", "/c", &A), 0);
    CHECK_EQ_INT(tree_remove(t, "/d"), 0);
    struct tree_node *out = tree_lookup(t, "/out");
    CHECK(out && out->hardlink == NULL);
    CHECK_EQ_U64(read_all(t, out, buf, sizeof(buf)), 2);
    /* a hard link may not replace the directory holding its target */
    CHECK_EQ_INT(tree_add_file_buffer(t, "/e/f", "f", 1, &A), 0);
    CHECK_EQ_INT(tree_add_hardlink(t, "/e", "/e/f", &A), -EINVAL);
    CHECK(tree_lookup(t, "/e/f") != NULL);
    CHECK_EQ_INT(tree_remove(t, "/e"), 0);
    CHECK_EQ_INT(tree_remove(t, "/absent"), 0);
    CHECK_EQ_INT(tree_remove(t, "/"), -EINVAL);
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_U64(s.files, 3);
    CHECK_EQ_U64(s.hardlinks, 0);
    tree_free(t);
}

static int collect(struct tree_node *n, const char *path, void *ctx)
{
    char *out = ctx;
    strcat(out, path);
    strcat(out, n->type == TREE_DIR ? "/ " : " ");
    return 0;
}

TEST(walk_is_sorted_bytewise)
{
    struct tree *t = tree_new(NULL);
    const char *names[] = {"/b/z", "/a", "/B", "/b/a", "/b/A", "/\xc3\xa9", "/b/a.b"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        CHECK_EQ_INT(tree_add_file_buffer(t, names[i], "", 0, &A), 0);
    tree_sort(t);
    char out[256] = "";
    CHECK_EQ_INT(tree_walk(t, collect, out), 0);
    CHECK_STR(out, "// /B /a /b/ /b/A /b/a /b/a.b /b/z /\xc3\xa9 ");
    tree_free(t);
}

TEST(xattrs_sorted_and_replaced)
{
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/f", "", 0, &A), 0);
    CHECK_EQ_INT(tree_set_xattr(t, "/f", "user.b", "2", 1), 0);
    CHECK_EQ_INT(tree_set_xattr(t, "/f", "security.capability", "\1\0\0\2", 4), 0);
    CHECK_EQ_INT(tree_set_xattr(t, "/f", "user.b", "33", 2), 0);
    /* version 2; user::rw-, group::r--, other::r-- (linux/posix_acl_xattr.h) */
    static const char acl[] = "\2\0\0\0" "\1\0\6\0\377\377\377\377" "\4\0\4\0\377\377\377\377"
                              "\40\0\4\0\377\377\377\377";
    CHECK_EQ_INT(tree_set_xattr(t, "/f", "system.posix_acl_access", acl, sizeof(acl) - 1), 0);
    /* not an ACL: refused naming the entry (the input's name is added by its reader) */
    static const char *const bad[] = {"", "garbage!", "\2\0\0\0\1\0\6\0", "\2\0\0\0",
                                      "\2\0\0\0\3\0\6\0\0\0\0\0", "\2\0\0\0\1\0\10\0\0\0\0\0"};
    static const size_t bad_len[] = {0, 8, 8, 4, 12, 12};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_EQ_INT(tree_set_xattr(t, "/f", "system.posix_acl_default", bad[i], bad_len[i]), -EBADMSG);
        CHECK(err_has("/f: system.posix_acl_default: not a POSIX ACL"));
    }
    struct tree_node *f = tree_lookup(t, "/f");
    CHECK_EQ_U64(f->nxattrs, 3);
    CHECK_STR(f->xattrs[0].name, "security.capability");
    CHECK_STR(f->xattrs[1].name, "system.posix_acl_access");
    CHECK_STR(f->xattrs[2].name, "user.b");
    CHECK_EQ_U64(f->xattrs[2].len, 2);
    tree_free(t);
}

TEST(scales_to_large_directories)
{
    struct tree *t = tree_new(NULL);
    char p[64];
    for (int i = 0; i < 100000; i++) {
        snprintf(p, sizeof(p), "/big/f%07d", (i * 7919) % 100000);
        CHECK_EQ_INT(tree_add_file_buffer(t, p, "", 0, &A), 0);
    }
    for (int i = 0; i < 100000; i += 997) {
        snprintf(p, sizeof(p), "/big/f%07d", i);
        CHECK(tree_lookup(t, p) != NULL);
    }
    tree_sort(t);
    struct tree_node *big = tree_lookup(t, "/big");
    CHECK_EQ_U64(big->nchildren, 100000);
    CHECK_STR(big->children[0]->name, "f0000000");
    CHECK_STR(big->children[99999]->name, "f0099999");
    tree_free(t);
}

/* ---- archives ---- */

struct mem_archive {
    uint8_t buf[1 << 20];
    size_t used;
    struct archive *w;
};

static void ar_begin(struct mem_archive *m, int format)
{
    m->w = archive_write_new();
    archive_write_set_format(m->w, format);
    archive_write_open_memory(m->w, m->buf, sizeof(m->buf), &m->used);
}

static void ar_add(struct mem_archive *m, const char *name, unsigned type, const void *data, size_t len,
                   const char *link, bool hard)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0640);
    archive_entry_set_uid(e, 7);
    archive_entry_set_gid(e, 8);
    archive_entry_set_size(e, (la_int64_t)len);
    if (link && hard)
        archive_entry_set_hardlink(e, link);
    else if (link)
        archive_entry_set_symlink(e, link);
    if (type == AE_IFREG && !strcmp(name, "x/cap"))
        archive_entry_xattr_add_entry(e, "security.capability", "\1\0\0\2\0\x20\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
    archive_write_header(m->w, e);
    if (len)
        archive_write_data(m->w, data, len);
    archive_entry_free(e);
}

static int ar_load(struct tree *t, struct mem_archive *m)
{
    archive_write_close(m->w);
    archive_write_free(m->w);
    struct archive *r = tree_archive_reader();
    archive_read_open_memory(r, m->buf, m->used);
    int rc = tree_add_archive(t, r, "test.tar");
    archive_read_free(r);
    return rc;
}

TEST(archive_content_is_spooled_and_hashed)
{
    static struct mem_archive m;
    ar_begin(&m, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
    static uint8_t big[3 * 4096 + 100];
    memset(big + 4096, 0xab, 4096);   /* block 0 zero, block 1 data, block 2 zero, tail data */
    big[sizeof(big) - 1] = 1;
    ar_add(&m, "./", AE_IFDIR, NULL, 0, NULL, false);
    ar_add(&m, "x/big", AE_IFREG, big, sizeof(big), NULL, false);
    ar_add(&m, "x/cap", AE_IFREG, "small", 5, NULL, false);
    ar_add(&m, "x/link", AE_IFLNK, NULL, 0, "big", false);
    ar_add(&m, "x/hard", AE_IFREG, NULL, 0, "x/big", true);
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(ar_load(t, &m), 0);
    struct tree_node *n = tree_lookup(t, "/x/big");
    CHECK(n && n->content == TREE_CONTENT_SPOOL && n->have_sha256 && n->uid == 7 && n->gid == 8 &&
          n->mode == 0640);
    CHECK_EQ_U64(n->spool_offset % TREE_BLOCK_SIZE, 0);
    uint8_t want[32], got[32];
    sha256_buf(big, sizeof(big), want);
    CHECK_MEM(n->sha256, want, 32);
    static char back[sizeof(big) + 16];
    CHECK_EQ_U64(read_all(t, n, back, sizeof(back)), sizeof(big));
    CHECK_MEM(back, big, sizeof(big));
    uint64_t blocks, runs;
    CHECK_EQ_INT(tree_file_data_blocks(t, n, &blocks, &runs), 0);
    CHECK_EQ_U64(blocks, 2);
    CHECK_EQ_U64(runs, 2);
    struct tree_node *cap = tree_lookup(t, "/x/cap");
    CHECK_EQ_U64(cap->spool_offset % TREE_BLOCK_SIZE, 0);
    CHECK(cap->nxattrs == 1 && !strcmp(cap->xattrs[0].name, "security.capability") && cap->xattrs[0].len == 20);
    CHECK_EQ_INT(tree_file_sha256(t, cap, got), 0);
    sha256_buf("small", 5, want);
    CHECK_MEM(got, want, 32);
    CHECK_STR(tree_lookup(t, "/x/link")->link_target, "big");
    CHECK(tree_lookup(t, "/x/hard")->hardlink == n);
    CHECK_EQ_INT(tree_root(t)->mode, 0755);
    CHECK_EQ_INT(tree_root(t)->uid, 7);
    tree_free(t);
}

TEST(archive_bad_entries_name_input_and_entry)
{
    static struct mem_archive m;
    struct {
        const char *name;
        unsigned type;
        const char *link;
        bool hard;
        const char *err;
    } cases[] = {
        {"/etc/passwd", AE_IFREG, NULL, false, "test.tar: /etc/passwd: absolute path"},
        {"a/../../etc", AE_IFREG, NULL, false, "test.tar: a/../../etc: path contains \"..\""},
        {"h", AE_IFREG, "missing", true, "test.tar: h: hard link to missing, which is not in the tree"},
        {"h", AE_IFREG, "../x", true, "test.tar: ../x: hard link target contains \"..\""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ar_begin(&m, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        ar_add(&m, "ok", AE_IFREG, "1", 1, NULL, false);
        ar_add(&m, cases[i].name, cases[i].type, NULL, 0, cases[i].link, cases[i].hard);
        struct tree *t = tree_new(NULL);
        CHECK(ar_load(t, &m) < 0);
        if (!err_has(cases[i].err))
            FAIL_("case %zu: '%s' lacks '%s'", i, err_msg(), cases[i].err);
        tree_free(t);
    }
    /* a symlink, then a file written through it */
    ar_begin(&m, ARCHIVE_FORMAT_TAR_USTAR);
    ar_add(&m, "etc", AE_IFLNK, NULL, 0, "/tmp", false);
    ar_add(&m, "etc/passwd", AE_IFREG, "root", 4, NULL, false);
    struct tree *t = tree_new(NULL);
    CHECK(ar_load(t, &m) < 0);
    CHECK(err_has("test.tar: etc/passwd: path passes through the symlink /etc"));
    tree_free(t);
    /* truncated data */
    ar_begin(&m, ARCHIVE_FORMAT_TAR_USTAR);
    static uint8_t data[20000];
    ar_add(&m, "f", AE_IFREG, data, sizeof(data), NULL, false);
    archive_write_close(m.w);
    archive_write_free(m.w);
    struct archive *r = tree_archive_reader();
    archive_read_open_memory(r, m.buf, 5000);
    t = tree_new(NULL);
    CHECK(tree_add_archive(t, r, "cut.tar") < 0);
    CHECK(err_has("cut.tar"));
    archive_read_free(r);
    tree_free(t);
}

/* ---- directory inputs ---- */

static void write_file(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd >= 0) {
        if (write(fd, data, strlen(data)) < 0) {
        }
        close(fd);
    }
}

TEST(directory_input)
{
    char dir[] = "/tmp/test_tree.XXXXXX";
    CHECK(mkdtemp(dir));
    char p[256], q[256];
    snprintf(p, sizeof(p), "%s/sub", dir);
    mkdir(p, 0750);
    snprintf(p, sizeof(p), "%s/sub/file", dir);
    write_file(p, "hello");
    snprintf(q, sizeof(q), "%s/hard", dir);
    CHECK(link(p, q) == 0);
    snprintf(p, sizeof(p), "%s/sym", dir);
    CHECK(symlink("sub/file", p) == 0);
    snprintf(p, sizeof(p), "%s/fifo", dir);
    CHECK(mkfifo(p, 0600) == 0);
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_input(t, dir, &(struct tree_input_opts){0}), 0);
    struct tree_node *f = tree_lookup(t, "/sub/file"), *h = tree_lookup(t, "/hard");
    /* the first name in sorted order holds the inode */
    CHECK(h && h->hardlink == NULL && f->hardlink == h);
    CHECK(h->content == TREE_CONTENT_HOST && h->size == 5 && h->uid == 0 && h->mode == 0640);
    CHECK_STR(tree_lookup(t, "/sym")->link_target, "sub/file");
    CHECK(tree_lookup(t, "/fifo")->type == TREE_FIFO);
    CHECK_EQ_INT(tree_lookup(t, "/sub")->mode, 0750);
    CHECK_EQ_INT(tree_root(t)->mode, 0700);   /* mkdtemp's */
    uint8_t got[32], want[32];
    CHECK_EQ_INT(tree_file_sha256(t, f, got), 0);
    sha256_buf("hello", 5, want);
    CHECK_MEM(got, want, 32);
    /* a host file that changes under us is an error, not a silent mix */
    snprintf(p, sizeof(p), "%s/sub/file", dir);
    write_file(p, "hello, longer");
    f = tree_lookup(t, "/hard");
    struct tree_reader *r;
    CHECK_EQ_INT(tree_reader_open(t, f, &r), -ESTALE);
    tree_free(t);
    /* inputs that are neither directories nor archives */
    t = tree_new(NULL);
    snprintf(p, sizeof(p), "%s/missing", dir);
    CHECK(tree_add_input(t, p, NULL) < 0);
    CHECK(err_has(p));
    snprintf(p, sizeof(p), "%s/sub/file", dir);
    CHECK(tree_add_input(t, p, NULL) < 0);
    CHECK(err_has("not a directory or a readable tar or cpio archive"));
    tree_free(t);
    CHECK_EQ_INT(rm_rf(dir), 0);
}

/* A host file's path is kept as its input's path when it ends in the
 * entry's own image path (the rest is rebuilt when it is opened): another
 * name that takes the inode over, or a host path named otherwise, still
 * reads the file that was added. */
TEST(host_paths_survive_the_inode_moving_to_another_name)
{
    char dir[] = "/tmp/test_tree.XXXXXX";
    CHECK(mkdtemp(dir));
    char p[256], buf[16];
    snprintf(p, sizeof(p), "%s/a", dir);
    write_file(p, "one");
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_input(t, dir, &(struct tree_input_opts){0}), 0);
    /* a name only the tree has, not the host */
    CHECK_EQ_INT(tree_add_hardlink(t, "/elsewhere/x", "/a", &B), 0);
    /* the host file under a name that is not its path */
    CHECK_EQ_INT(tree_add_file_host(t, "./other//name", p, 3, &A), 0);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/a", "two", 3, &B), 0);
    struct tree_node *x = tree_lookup(t, "/elsewhere/x");
    CHECK(x && x->hardlink == NULL && x->content == TREE_CONTENT_HOST);
    CHECK_EQ_U64(read_all(t, x, buf, sizeof(buf)), 3);
    CHECK(!memcmp(buf, "one", 3));
    CHECK_EQ_U64(read_all(t, tree_lookup(t, "/other/name"), buf, sizeof(buf)), 3);
    CHECK(!memcmp(buf, "one", 3));
    CHECK_EQ_U64(read_all(t, tree_lookup(t, "/a"), buf, sizeof(buf)), 3);
    CHECK(!memcmp(buf, "two", 3));
    tree_free(t);
    CHECK_EQ_INT(rm_rf(dir), 0);
}

/* A host directory as deep as the image's longest path (4095 bytes) allows,
 * its host path far past PATH_MAX: scanned without overflowing the stack
 * (a symlink buffer per level did at ~1,900 levels: SIGSEGV), extended
 * attributes read however long the host path; one level deeper is the
 * tree's "path longer than 4095 bytes", naming the input. */
TEST(directory_input_deeper_than_path_max)
{
    char dir[] = "/tmp/test_tree.XXXXXX";
    CHECK(mkdtemp(dir));
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    for (int i = 0; i < 2046; i++) { /* "/d" x 2046: 4092 bytes */
        CHECK(mkdirat(fd, "d", 0755) == 0);
        int sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        CHECK(sub >= 0);
        close(fd);
        fd = sub;
    }
    CHECK(fsetxattr(fd, "user.deep", "yes", 3, 0) == 0);
    CHECK(symlinkat("../d", fd, "s") == 0); /* "/s": 4094 bytes */
    int f = openat(fd, "f", O_WRONLY | O_CREAT, 0644);
    CHECK(f >= 0);
    CHECK(write(f, "bottom", 6) == 6);
    close(f);
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_input(t, dir, &(struct tree_input_opts){0}), 0);
    struct strbuf path = STRBUF_INIT;
    for (int i = 0; i < 2046; i++)
        sb_puts(&path, "/d");
    struct tree_node *n = tree_lookup(t, path.buf);
    CHECK(n && n->type == TREE_DIR && n->nxattrs == 1 && !strcmp(n->xattrs[0].name, "user.deep"));
    size_t plen = path.len;
    sb_puts(&path, "/s");
    CHECK((n = tree_lookup(t, path.buf)) && n->type == TREE_SYMLINK && !strcmp(n->link_target, "../d"));
    path.len = plen;
    path.buf[plen] = 0;
    sb_puts(&path, "/f");
    CHECK((n = tree_lookup(t, path.buf)) && n->size == 6);
    tree_free(t);
    /* one level more: "/d" x 2047 + "/d" is 4096 bytes */
    CHECK(mkdirat(fd, "d", 0755) == 0);
    int sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
    CHECK(sub >= 0 && mkdirat(sub, "d", 0755) == 0);
    close(sub);
    close(fd);
    t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_input(t, dir, &(struct tree_input_opts){0}), -ENAMETOOLONG);
    CHECK(err_has(dir) && err_has("path longer than 4095 bytes"));
    tree_free(t);
    sb_release(&path);
    /* (rm_rf stops at 256 levels; GNU rm goes down by file descriptor) */
    _cleanup_free_ char *rm = xasprintf("rm -rf '%s'", dir);
    CHECK_EQ_INT(system(rm), 0);
}

/* tree_digest() (the default seed): the same for the same image content
 * however the tree was built (entry order, which name holds a hard-linked
 * inode, mtimes), different when anything the image shows differs. */
static struct tree *digest_tree(bool reverse, int change)
{
    struct tree *t = tree_new(NULL);
    struct tree_attr a = A;
    a.mtime = reverse ? 1 : 2;
    if (!reverse) {
        CHECK_EQ_INT(tree_add_file_buffer(t, "/z/file", "data", 4, &a), 0);
        CHECK_EQ_INT(tree_add_hardlink(t, "/a/link", "/z/file", &a), 0);
    } else {
        CHECK_EQ_INT(tree_add_file_buffer(t, "/a/link", "data", 4, &a), 0);
        CHECK_EQ_INT(tree_add_hardlink(t, "/z/file", "/a/link", &a), 0);
    }
    CHECK_EQ_INT(tree_add_symlink(t, "/s", change == 1 ? "other" : "target", &a), 0);
    a.mode = change == 2 ? 0600 : 0644;
    a.uid = change == 3 ? 1 : 0;
    CHECK_EQ_INT(tree_add_file_buffer(t, "/m", change == 4 ? "y" : "x", 1, &a), 0);
    CHECK_EQ_INT(tree_add_special(t, "/dev", TREE_CHR, 1, change == 5 ? 5 : 3, &a), 0);
    CHECK_EQ_INT(tree_set_xattr(t, "/m", "user.k", change == 6 ? "w" : "v", 1), 0);
    if (change == 7)
        CHECK_EQ_INT(tree_add_dir(t, "/extra", &a), 0);
    return t;
}

TEST(tree_digest_is_what_the_image_shows)
{
    uint8_t base[32], d[32];
    struct tree *t = digest_tree(false, 0);
    CHECK_EQ_INT(tree_digest(t, base), 0);
    CHECK_EQ_INT(tree_digest(t, d), 0);   /* again: the same */
    CHECK_MEM(d, base, 32);
    tree_free(t);
    t = digest_tree(true, 0);
    CHECK_EQ_INT(tree_digest(t, d), 0);
    CHECK_MEM(d, base, 32);
    tree_free(t);
    for (int change = 1; change <= 7; change++) {
        t = digest_tree(false, change);
        CHECK_EQ_INT(tree_digest(t, d), 0);
        CHECK(memcmp(d, base, 32) != 0);
        tree_free(t);
    }
}

/* Issue 17: holes and sizes. */

/* What tree_digest() must give for a tree of "/" and "/f" alone, framed as
 * builder/fs/tree.c says (little-endian u64s, NUL-terminated strings), the
 * file known by id. */
static void one_file_digest(struct tree *t, const uint8_t id[32], uint8_t out[32])
{
    const struct tree_node *root = tree_root(t), *f = tree_lookup(t, "/f");
    uint64_t fields[][6] = {{TREE_DIR, root->mode, root->uid, root->gid},
                            {TREE_REG, f->mode, f->uid, f->gid, f->size}};
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 2; i++) {
        sb_add(&sb, i ? "/f" : "/", i ? 3 : 2);
        for (int k = 0; k < (i ? 5 : 4); k++)
            for (int b = 0; b < 8; b++)
                sb_add(&sb, &(char){(char)(fields[i][k] >> (8 * b))}, 1);
        if (i)
            sb_add(&sb, id, 32);
        sb_add(&sb, "\0\0\0\0\0\0\0\0", 8);   /* no xattrs */
    }
    sha256_buf(sb.buf, sb.len, out);
    sb_release(&sb);
}

static struct tree *one_file_tree(const char *host, const void *buf, size_t len)
{
    struct tree *t = tree_new(NULL);
    if (host)
        CHECK_EQ_INT(tree_add_file_host(t, "/f", host, len, &A), 0);
    else
        CHECK_EQ_INT(tree_add_file_buffer(t, "/f", buf, len, &A), 0);
    return t;
}

/* A sparse file of len bytes holding data at the given offsets (holes elsewhere). */
static void write_sparse(const char *path, uint64_t len, const uint64_t *at, const char *const *data, int n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ_INT(ftruncate(fd, (off_t)len), 0);
    for (int i = 0; i < n; i++) {
        size_t l = data[i] ? strlen(data[i]) : TREE_BLOCK_SIZE;
        static const uint8_t zero_block[TREE_BLOCK_SIZE];
        CHECK(pwrite(fd, data[i] ? (const void *)data[i] : zero_block, l, (off_t)at[i]) == (ssize_t)l);
    }
    close(fd);
}

/* Up to 4 GiB a file is known by the sha256 of all its bytes, as before
 * (the seeds of existing trees stay the same): with holes or zeros written
 * out, from a buffer, a host file or an archive. */
TEST(zero_blocks_and_holes_keep_the_sha256_as_identity)
{
    enum { LEN = 5 * 4096 + 100 };
    static uint8_t content[LEN];
    memset(content + 4096, 0xab, 4096);       /* block 1 data; 0, 2, 3 zero; 4 data; tail */
    memset(content + 4 * 4096 + 7, 0xcd, 9);
    content[LEN - 1] = 1;
    char dir[] = "/tmp/guestimg-test-XXXXXX";
    CHECK(mkdtemp(dir));
    _cleanup_free_ char *dense = xasprintf("%s/dense", dir), *sparse = xasprintf("%s/sparse", dir);
    CHECK_EQ_INT(file_write_atomic(dense, content, LEN, 0644), 0);
    int fd = open(sparse, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ_INT(ftruncate(fd, LEN), 0);
    CHECK(pwrite(fd, content + 4096, 4096, 4096) == 4096);
    CHECK(pwrite(fd, content + 4 * 4096, LEN - 4 * 4096, 4 * 4096) == LEN - 4 * 4096);
    close(fd);
    uint8_t sha[32], want[32], d[32], got[32];
    sha256_buf(content, LEN, sha);
    for (int i = 0; i < 4; i++) {
        struct tree *t;
        if (i < 3) {
            t = one_file_tree(i == 0 ? NULL : i == 1 ? dense : sparse, content, LEN);
        } else {
            static struct mem_archive m;
            ar_begin(&m, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
            ar_add(&m, "f", AE_IFREG, content, LEN, NULL, false);
            t = tree_new(NULL);
            CHECK_EQ_INT(ar_load(t, &m), 0);
        }
        one_file_digest(t, sha, want);
        CHECK_EQ_INT(tree_digest(t, d), 0);
        CHECK_MEM(d, want, 32);
        CHECK_EQ_INT(tree_file_sha256(t, tree_lookup(t, "/f"), got), 0);
        CHECK_MEM(got, sha, 32);
        uint64_t blocks, runs;
        CHECK_EQ_INT(tree_file_data_blocks(t, tree_lookup(t, "/f"), &blocks, &runs), 0);
        CHECK_EQ_U64(blocks, 3);
        CHECK_EQ_U64(runs, 2);
        tree_free(t);
    }
    CHECK_EQ_INT(rm_rf(dir), 0);
}

/* Past 4 GiB, the identity never hashes a hole: data blocks and their
 * places. It follows from the content alone (zeros written out or a hole:
 * the same), and the conflict check compares it. */
TEST(a_file_past_4_gib_is_known_without_hashing_its_holes)
{
    char dir[] = "/tmp/guestimg-test-XXXXXX";
    CHECK(mkdtemp(dir));
    const uint64_t len = ((uint64_t)5 << 30) + 100;
    const uint64_t at[] = {((uint64_t)1 << 30) + 10, len - 3, (uint64_t)2 << 30};
    const char *data[] = {"abc", "end", NULL};   /* NULL: a block of zeros written out */
    _cleanup_free_ char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir), *c = xasprintf("%s/c", dir);
    write_sparse(a, len, at, data, 2);
    write_sparse(b, len, at, data, 3);
    const uint64_t moved[] = {((uint64_t)1 << 30) + 4096 + 10, len - 3};
    write_sparse(c, len, moved, data, 2);
    uint8_t da[32], d[32];
    struct tree *t = one_file_tree(a, NULL, len);
    CHECK_EQ_INT(tree_digest(t, da), 0);
    uint64_t blocks, runs;
    CHECK_EQ_INT(tree_file_data_blocks(t, tree_lookup(t, "/f"), &blocks, &runs), 0);
    CHECK_EQ_U64(blocks, 2);
    CHECK_EQ_U64(runs, 2);
    tree_free(t);
    t = one_file_tree(b, NULL, len);
    CHECK_EQ_INT(tree_digest(t, d), 0);
    CHECK_MEM(d, da, 32);
    tree_free(t);
    t = one_file_tree(c, NULL, len);
    CHECK_EQ_INT(tree_digest(t, d), 0);
    CHECK(memcmp(d, da, 32) != 0);
    tree_free(t);
    /* the conflict check: the same content from two packages is one file */
    t = tree_new(NULL);
    tree_set_policy(t, TREE_RPM_CONFLICT);
    CHECK_EQ_INT(tree_add_file_host(t, "/f", a, len, &A), 0);
    CHECK_EQ_INT(tree_add_file_host(t, "/f", b, len, &B), 0);
    CHECK_EQ_INT(tree_add_file_host(t, "/f", c, len, &B), -EEXIST);
    CHECK(err_has("/f: file from in2 conflicts with the file from in1"));
    tree_free(t);
    CHECK_EQ_INT(rm_rf(dir), 0);
}

TEST(files_past_ext4s_largest_are_refused_by_their_size)
{
    struct tree *t = tree_new(NULL);
    CHECK_EQ_INT(tree_add_file_host(t, "/huge", "/in/huge", TREE_FILE_MAX + 1, &A), -EFBIG);
    CHECK(err_has("/in/huge: /huge: 17592186040321 bytes, past ext4's largest file (17592186040320 bytes"));
    CHECK(!tree_lookup(t, "/huge"));
    CHECK_EQ_INT(tree_add_file_host(t, "/max", "/in/max", TREE_FILE_MAX, &A), 0);
    tree_free(t);
}

/* A size limit stops archive data as it streams in, counting the spooled
 * data the tree still holds: replaced content no longer counts, zeros never. */
TEST(a_size_limit_stops_archive_data_as_it_streams)
{
    static uint8_t data[8192], zeros[512 * 1024];
    memset(data, 0x5a, sizeof(data));
    struct tree *t = tree_new(NULL);
    tree_set_size_limit(t, 12288);
    static struct mem_archive m;
    for (int i = 0; i < 2; i++) {   /* /a twice: the second replaces the first */
        ar_begin(&m, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        ar_add(&m, "a", AE_IFREG, data, sizeof(data), NULL, false);
        ar_add(&m, "z", AE_IFREG, zeros, sizeof(zeros), NULL, false);
        CHECK_EQ_INT(ar_load(t, &m), 0);
    }
    /* the zeros are a hole of the spool */
    struct tree_reader *r;
    CHECK_EQ_INT(tree_reader_open(t, tree_lookup(t, "/z"), &r), 0);
    CHECK_EQ_U64(tree_reader_skip_hole(r), sizeof(zeros));
    tree_reader_close(r);
    ar_begin(&m, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
    ar_add(&m, "b", AE_IFREG, data, sizeof(data), NULL, false);
    CHECK_EQ_INT(ar_load(t, &m), -ENOSPC);
    CHECK(err_has("test.tar: b: the tree does not fit in 12288 bytes (--size): its data passes that already"));
    CHECK(!tree_lookup(t, "/b"));
    CHECK_EQ_INT(tree_remove(t, "/a"), 0);   /* room again */
    ar_begin(&m, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
    ar_add(&m, "b", AE_IFREG, data, sizeof(data), NULL, false);
    CHECK_EQ_INT(ar_load(t, &m), 0);
    tree_free(t);
}
