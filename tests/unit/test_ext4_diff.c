/* release/ext4_diff.c: what differs between two ext4 filesystems, checked
 * against debugfs (e2fsprogs): the paths it names are the paths whose
 * `debugfs stat` or `debugfs cat` differ, the values it gives are the ones
 * debugfs shows; images that are not what they claim are errors naming
 * the image. */
#include "release/ext4_diff.h"
#include "builder/fs/ext4.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

static char dir[64];
static const struct tree_attr A = {.mode = 0644, .origin = "test"};
static const struct tree_attr D = {.mode = 0755, .origin = "test"};

static const char *scratch(const char *name)
{
    static char p[4][128];
    static int k;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/test_ext4_diff.XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

/* Output of a shell command (the caller frees it). */
/* The small tree both images start from: a few directories, files of one
 * block and of several, a symlink. */
static struct tree *base_tree(void)
{
    struct tree *t = tree_new(dir);
    static char big[3 * 4096 + 17];
    memset(big, 'b', sizeof(big));
    if (tree_add_dir(t, "/etc", &D) || tree_add_dir(t, "/bin", &D) ||
        tree_add_file_buffer(t, "/etc/motd", "hello\n", 6, &A) ||
        tree_add_file_buffer(t, "/etc/hostname", "guest\n", 6, &A) ||
        tree_add_file_buffer(t, "/bin/tool", big, sizeof(big), &(struct tree_attr){.mode = 0755, .origin = "test"}) ||
        tree_add_symlink(t, "/bin/sh", "tool", &A))
        abort();
    return t;
}

static const char *const base_paths[] = {"/", "/bin", "/bin/sh", "/bin/tool", "/etc", "/etc/hostname", "/etc/motd",
                                         "/lost+found"};

static void image(struct tree *t, const char *img, int64_t epoch)
{
    int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        abort();
    close(fd);
    struct ext4_opts o = {.epoch = epoch, .size = 4 << 20};
    memset(o.uuid, 0x6a, sizeof(o.uuid));
    memset(o.hash_seed, 0x3c, sizeof(o.hash_seed));
    uint64_t size;
    if (ext4_write(t, img, &o, &size))
        abort();
}

/* What ext4_diff reported: "PATH: WHAT\n" per call ("(superblock)" for NULL). */
static void collect(const char *path, const char *what, void *ctx)
{
    sb_printf(ctx, "%s: %s\n", path ? path : "(superblock)", what);
}

static char *diff(const char *a, const char *b, size_t max, int *count)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    *count = ext4_diff(a, 0, b, 0, max, collect, &sb);
    return sb_detach(&sb);
}

/* The paths (of those given) whose inode or content debugfs shows
 * differently in the two images, one per line: the checksum line aside,
 * which changes with anything in the inode. */
static char *debugfs_differing(const char *a, const char *b, const char *const *paths, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    for (size_t i = 0; i < n; i++) {
        const char *show = "debugfs -R 'stat \"%s\"' %s 2>/dev/null | grep -v checksum; "
                           "debugfs -R 'cat \"%s\"' %s 2>/dev/null | sha256sum";
        _cleanup_free_ char *sa = sh_output(show, paths[i], a, paths[i], a);
        _cleanup_free_ char *sbb = sh_output(show, paths[i], b, paths[i], b);
        if (strcmp(sa, sbb))
            sb_printf(&sb, "%s\n", paths[i]);
    }
    return sb_detach(&sb);
}

/* One field of `debugfs stat PATH` ("Size", "User", "mtime": the text after "NAME: "). */
static char *debugfs_field(const char *img, const char *path, const char *field)
{
    char *s = sh_output("debugfs -R 'stat \"%s\"' %s 2>/dev/null | grep -o '%s: *[^ ]*' | head -1 | sed 's/^[^:]*: *//' | tr -d '\\n'",
                 path, img, field);
    return s;
}

TEST(names_the_one_file_that_differs_as_debugfs_sees_it)
{
    const char *a = xstrdup(scratch("a.img")), *b = xstrdup(scratch("b.img"));
    struct tree *t = base_tree();
    image(t, a, 1000000000);
    tree_free(t);
    t = base_tree();
    CHECK_EQ_INT(tree_add_file_buffer(t, "/etc/motd", "hellO, world\n", 13, &A), 0);   /* replaced */
    image(t, b, 1000000000);
    tree_free(t);

    _cleanup_free_ char *by_debugfs = debugfs_differing(a, b, base_paths, ARRAY_SIZE(base_paths));
    CHECK_STR(by_debugfs, "/etc/motd\n");
    int n;
    _cleanup_free_ char *got = diff(a, b, 40, &n);
    CHECK_EQ_INT(n, 1);
    /* the sizes debugfs shows; the content differs in its first block */
    _cleanup_free_ char *sa = debugfs_field(a, "/etc/motd", "Size"), *sb = debugfs_field(b, "/etc/motd", "Size");
    _cleanup_free_ char *want = xasprintf("/etc/motd: size %s -> %s, data differs from byte 0\n", sa, sb);
    CHECK_STR(got, want);
    CHECK_STR(sa, "6");
    /* the same image: nothing */
    _cleanup_free_ char *none = diff(a, a, 40, &n);
    CHECK_EQ_INT(n, 0);
    CHECK_STR(none, "");
    free((void *)a);
    free((void *)b);
}

TEST(names_an_inode_mtime_and_owner_debugfs_set)
{
    const char *a = xstrdup(scratch("a.img")), *b = xstrdup(scratch("b.img"));
    struct tree *t = base_tree();
    image(t, a, 0);
    tree_free(t);
    _cleanup_free_ char *cp = sh_output("cp %s %s && debugfs -w -R 'sif /etc/hostname mtime 20010203040506' %s 2>&1 >/dev/null "
                                 "&& debugfs -w -R 'sif /bin/tool uid 1000' %s 2>&1 >/dev/null && echo ok",
                                 a, b, b, b);
    CHECK(strstr(cp, "ok") != NULL);
    _cleanup_free_ char *by_debugfs = debugfs_differing(a, b, base_paths, ARRAY_SIZE(base_paths));
    CHECK_STR(by_debugfs, "/bin/tool\n/etc/hostname\n");
    /* debugfs's values: mtime 0x3a7b8372:00000000 (2001-02-03 04:05:06 UTC), User 1000 */
    _cleanup_free_ char *mt = debugfs_field(b, "/etc/hostname", "mtime"), *uid = debugfs_field(b, "/bin/tool", "User");
    CHECK_STR(mt, "0x3a7b8372:00000000");
    int n;
    _cleanup_free_ char *got = diff(a, b, 40, &n);
    _cleanup_free_ char *want = xasprintf("/bin/tool: uid 0 -> %s\n/etc/hostname: mtime 0 -> %lld\n", uid,
                                          strtoll(mt, NULL, 16));
    CHECK_STR(got, want);
    CHECK_EQ_INT(n, 2);
    free((void *)a);
    free((void *)b);
}

TEST(an_added_file_and_another_epoch_bounded_by_max)
{
    const char *a = xstrdup(scratch("a.img")), *b = xstrdup(scratch("b.img"));
    struct tree *t = base_tree();
    image(t, a, 0);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/etc/new", "n\n", 2, &A), 0);
    image(t, b, 0);
    tree_free(t);
    int n;
    _cleanup_free_ char *got = diff(a, b, 40, &n);
    CHECK(strstr(got, "\n/etc/new: only in the second\n") != NULL);
    /* the superblock counts the inode and block it took: as dumpe2fs says */
    _cleanup_free_ char *fa = sh_output("dumpe2fs -h %s 2>/dev/null | sed -n 's/^Free inodes: *//p' | tr -d '\\n'", a);
    _cleanup_free_ char *fb = sh_output("dumpe2fs -h %s 2>/dev/null | sed -n 's/^Free inodes: *//p' | tr -d '\\n'", b);
    _cleanup_free_ char *fi = xasprintf("free inodes %s -> %s", fa, fb);
    const char *nl = strchr(got, '\n');
    const char *hit = strstr(got, fi);
    CHECK(!strncmp(got, "(superblock): ", 14) && hit && hit < nl);
    /* /etc holds one more entry */
    CHECK(strstr(got, "\n/etc: ") != NULL);
    /* the same tree under another epoch: every inode's times, and the
     * superblock's; bounded, with the count of the rest */
    t = base_tree();
    image(t, b, 86400);
    tree_free(t);
    _cleanup_free_ char *all = diff(a, b, 3, &n);
    CHECK_EQ_INT(n, 1 + (int)ARRAY_SIZE(base_paths));
    _cleanup_free_ char *more = xasprintf("…: %d more\n", n - 3);
    CHECK(strlen(all) > strlen(more) && !strcmp(all + strlen(all) - strlen(more), more));
    CHECK(strstr(all, "\n/: atime 0 -> 86400, ctime 0 -> 86400, mtime 0 -> 86400, crtime 0 -> 86400\n") != NULL);
    free((void *)a);
    free((void *)b);
}

TEST(an_image_that_is_no_ext4_or_loops_is_an_error_naming_it)
{
    const char *a = xstrdup(scratch("a.img")), *b = xstrdup(scratch("b.img"));
    struct tree *t = base_tree();
    image(t, a, 0);
    tree_free(t);
    CHECK_EQ_INT(file_write_atomic(b, "not a filesystem", 16, 0644), 0);
    int n;
    free(diff(a, b, 40, &n));
    CHECK_EQ_INT(n, -EBADMSG);
    _cleanup_free_ char *w = xasprintf("%s: no ext4 filesystem at byte 0: ", b);
    CHECK(!strncmp(err_msg(), w, strlen(w)));
    /* a directory linked into itself (debugfs link): the walk stops there */
    _cleanup_free_ char *cp = sh_output("cp %s %s && debugfs -w -R 'link /etc /etc/loop' %s 2>&1 >/dev/null && echo ok", a, b, b);
    CHECK(strstr(cp, "ok") != NULL);
    _cleanup_free_ char *ino = debugfs_field(b, "/etc", "Inode");
    free(diff(a, b, 40, &n));
    CHECK_EQ_INT(n, -EBADMSG);
    _cleanup_free_ char *loop = xasprintf("%s: the directory /etc/loop (inode %s) is reached twice", b, ino);
    CHECK_STR(err_msg(), loop);
    free((void *)a);
    free((void *)b);
}

TEST(fs_offset_reads_partition_one)
{
    const char *img = scratch("disk.img");
    uint64_t off;
    CHECK_EQ_INT(ext4_diff_fs_offset(img, "raw", &off), 0);
    CHECK_EQ_U64(off, 0);
    /* sfdisk (util-linux) writes the table */
    _cleanup_free_ char *s = sh_output("truncate -s 8M %s && printf '2048,4096,83\\n' | sfdisk -q %s >/dev/null 2>&1 && echo ok",
                                img, img);
    CHECK(strstr(s, "ok") != NULL);
    CHECK_EQ_INT(ext4_diff_fs_offset(img, "kata", &off), 0);
    CHECK_EQ_U64(off, 2048 * 512);
    /* cut inside partition 1 */
    CHECK_EQ_INT(truncate(img, 2 << 20), 0);
    CHECK_EQ_INT(ext4_diff_fs_offset(img, "kata", &off), -EBADMSG);
    _cleanup_free_ char *w = xasprintf("%s: partition 1 (sectors 2048+4096) lies outside the file", img);
    CHECK_STR(err_msg(), w);
    CHECK_EQ_INT(truncate(img, 0), 0);
    CHECK_EQ_INT(ext4_diff_fs_offset(img, "kata", &off), -EBADMSG);
    w = (free(w), xasprintf("%s: no partition table", img));
    CHECK_STR(err_msg(), w);
    CHECK_EQ_INT(ext4_diff_fs_offset(img, "qcow", &off), -EINVAL);
}

/* `debugfs bmap PATH 0`: the physical block of PATH's first logical block. */
static char *debugfs_bmap0(const char *img, const char *path)
{
    return sh_output("debugfs -R 'bmap \"%s\" 0' %s 2>/dev/null | tr -d '\n'", path, img);
}

TEST(an_added_file_moves_inodes_and_blocks_as_debugfs_says)
{
    const char *a = xstrdup(scratch("a.img")), *b = xstrdup(scratch("b.img"));
    struct tree *t = base_tree();
    image(t, a, 0);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/bin/new", "n\n", 2, &A), 0);   /* numbered and placed before the rest */
    image(t, b, 0);
    tree_free(t);
    int n;
    _cleanup_free_ char *got = diff(a, b, 40, &n);
    CHECK(strstr(got, "\n/bin/new: only in the second\n") != NULL);
    static const char *const moved[] = {"/bin/tool", "/etc/hostname", "/etc/motd"};
    for (size_t i = 0; i < ARRAY_SIZE(moved); i++) {
        _cleanup_free_ char *ia = debugfs_field(a, moved[i], "Inode"), *ib = debugfs_field(b, moved[i], "Inode");
        _cleanup_free_ char *pa = debugfs_bmap0(a, moved[i]), *pb = debugfs_bmap0(b, moved[i]);
        CHECK(strcmp(ia, ib) && strcmp(pa, pb));   /* the premise: debugfs sees them moved */
        _cleanup_free_ char *want = xasprintf("\n%s: ino %s -> %s, block 0 at %s -> %s\n", moved[i], ia, ib, pa, pb);
        CHECK(strstr(got, want) != NULL);
    }
    free((void *)a);
    free((void *)b);
}

TEST(the_first_block_whose_bytes_differ_as_cmp_finds_it)
{
    const char *a = xstrdup(scratch("a.img")), *b = xstrdup(scratch("b.img"));
    struct tree *t = base_tree();
    image(t, a, 0);
    tree_free(t);
    /* /bin/tool's last byte, in its fourth block, through debugfs */
    _cleanup_free_ char *cp = sh_output("cp %s %s && debugfs -R 'cat /bin/tool' %s 2>/dev/null > %s/tool && "
                                 "printf c | dd of=%s/tool bs=1 seek=12304 conv=notrunc status=none && "
                                 "debugfs -w -R 'rm /bin/tool' %s 2>/dev/null && "
                                 "debugfs -w -R 'write %s/tool /bin/tool' %s 2>/dev/null >/dev/null && echo ok",
                                 a, b, a, dir, dir, b, dir, b);
    CHECK(strstr(cp, "ok") != NULL);
    /* the first differing byte, by cmp (1-based) */
    _cleanup_free_ char *at = sh_output("debugfs -R 'cat /bin/tool' %s 2>/dev/null > %s/ta && debugfs -R 'cat /bin/tool' %s 2>/dev/null > %s/tb && "
                                 "cmp -l %s/ta %s/tb | head -1 | awk '{printf \"%%s\", $1}'", a, dir, b, dir, dir, dir);
    long byte = strtol(at, NULL, 10) - 1;
    CHECK_EQ_INT(byte, 12304);
    int n;
    _cleanup_free_ char *got = diff(a, b, 40, &n);
    _cleanup_free_ char *want = xasprintf("data differs from byte %ld", byte / 4096 * 4096);
    const char *line = strstr(got, "\n/bin/tool: ");
    CHECK(line && strstr(line, want) && strstr(line, want) < strchr(line + 1, '\n'));
    free((void *)a);
    free((void *)b);
}

TEST(zz_cleanup)
{
    CHECK_EQ_INT(rm_rf(dir), 0);
}
