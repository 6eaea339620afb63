/* builder/fs/ext4.c: images e2fsck accepts for the corner cases of the
 * format (extent trees, >4 GiB files, far-future epochs, big directories,
 * many links), checked with e2fsck and debugfs; and its errors. */
#include "builder/fs/ext4.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <unistd.h>

static char dir[64];
static const struct tree_attr A = {.mode = 0644, .origin = "test"};

static const char *scratch(const char *name)
{
    static char p[4][128];
    static int k;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/test_ext4.XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

static int write_image(struct tree *t, const char *img, const struct ext4_opts *o)
{
    int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -errno;
    close(fd);
    uint64_t size;
    return ext4_write(t, img, o, &size);
}

/* Output of a shell command; the last eight stay valid, so that a check
 * can compare two (each its own buffer). */
static char *run(const char *fmt, const char *arg)
{
    static char *kept[8];
    static int k;
    k = (k + 1) % 8;
    free(kept[k]);
    return kept[k] = sh_output(fmt, arg);
}

static bool fsck_clean(const char *img)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "e2fsck -fn '%s' >/dev/null 2>&1", img);
    return system(cmd) == 0;
}

TEST(extent_trees_and_files_over_4_gib)
{
    /* 12 separate data blocks: more extents than the inode holds */
    const char *sparse = scratch("sparse");
    int fd = open(sparse, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    for (int i = 0; i < 12; i++)
        CHECK(pwrite(fd, "data", 4, (off_t)i * 3 * 4096) == 4);
    close(fd);
    /* 5 GiB logical, data at the start and the end */
    const char *big = scratch("big");
    fd = open(big, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(pwrite(fd, "head", 4, 0) == 4 && pwrite(fd, "tail", 4, (5ll << 30) - 4) == 4);
    close(fd);
    struct tree *t = tree_new(dir);
    CHECK_EQ_INT(tree_add_file_host(t, "/sparse", sparse, 11 * 3 * 4096 + 4, &A), 0);
    CHECK_EQ_INT(tree_add_file_host(t, "/big", big, 5ll << 30, &A), 0);
    struct ext4_opts o = {.epoch = 1};
    const char *img = scratch("img");
    CHECK_EQ_INT(write_image(t, img, &o), 0);
    CHECK(fsck_clean(img));
    char *s = run("debugfs -R 'stat /sparse' %s 2>/dev/null", img);
    CHECK(strstr(s, "(ETB0):") != NULL);   /* an extent tree block below the inode */
    CHECK(strstr(s, "(33):") != NULL);
    s = run("debugfs -R 'stat /big' %s 2>/dev/null", img);
    CHECK(strstr(s, "Size: 5368709120") != NULL);
    CHECK(strstr(s, "Blockcount: 16") != NULL);
    s = run("debugfs -R 'cat /sparse' %s 2>/dev/null | sha256sum", img);
    char want[128];
    snprintf(want, sizeof(want), "%s", run("sha256sum < %s", sparse));
    CHECK_STR(s, want);
    tree_free(t);
}

TEST(epochs_past_2038_use_the_extra_bits)
{
    struct tree *t = tree_new(dir);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/f", "x", 1, &A), 0);
    struct ext4_opts o = {.epoch = 3000000000ll};
    const char *img = scratch("img");
    CHECK_EQ_INT(write_image(t, img, &o), 0);
    CHECK(fsck_clean(img));
    char *s = run("debugfs -R 'stat /f' %s 2>/dev/null", img);
    /* (int32)3000000000 = 0xb2d05e00 with epoch bit 1: 2065-01-24 */
    CHECK(strstr(s, "mtime: 0xb2d05e00:00000001 -- Sat Jan 24 05:20:00 2065") != NULL);
    CHECK(strstr(s, "crtime: 0xb2d05e00:00000001") != NULL);
    o.epoch = EXT4_EPOCH_MAX + 1;
    CHECK_EQ_INT(write_image(t, img, &o), -ERANGE);
    tree_free(t);
}

TEST(big_directories_and_many_links)
{
    struct tree *t = tree_new(dir);
    char p[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(p, sizeof(p), "/many/entry-with-a-longer-name-%05d", i);
        CHECK_EQ_INT(tree_add_file_buffer(t, p, "", 0, &A), 0);
    }
    CHECK_EQ_INT(tree_add_file_buffer(t, "/target", "t", 1, &A), 0);
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof(p), "/links/l%03d", i);
        CHECK_EQ_INT(tree_add_hardlink(t, p, "/target", &A), 0);
    }
    CHECK_EQ_INT(tree_add_dir(t, "/lost+found/kept", &A), 0);
    struct ext4_opts o = {.journal = true};
    const char *img = scratch("img");
    CHECK_EQ_INT(write_image(t, img, &o), 0);
    CHECK(fsck_clean(img));
    char *s = run("debugfs -R 'stat /target' %s 2>/dev/null", img);
    CHECK(strstr(s, "Links: 301") != NULL);
    s = run("debugfs -R 'stat <8>' %s 2>/dev/null", img);   /* the journal inode: epoch 0, not the clock */
    CHECK(strstr(s, "mtime: 0x00000000:00000000") != NULL);
    s = run("debugfs -R 'ls -l /lost+found' %s 2>/dev/null", img);
    CHECK(strstr(s, "kept") != NULL);
    tree_free(t);
}

static uint32_t name_hash(const char *name, const uint8_t seed[16])
{
    uint32_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = (uint32_t)seed[4 * i] | (uint32_t)seed[4 * i + 1] << 8 | (uint32_t)seed[4 * i + 2] << 16 |
               (uint32_t)seed[4 * i + 3] << 24;
    ext2_dirhash_t h, minor;
    CHECK(ext2fs_dirhash2(EXT2_HASH_HALF_MD4, name, (int)strlen(name), NULL, 0, s, &h, &minor) == 0);
    return h;
}

struct named_hash {
    uint32_t hash;
    char name[16];
};

static int cmp_named_hash(const void *a, const void *b)
{
    const struct named_hash *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* Two 7-byte names with the same hash (birthday search), and 255 more
 * 7-byte names hashing below it: 16-byte records, 256 to a leaf, so the
 * pair straddles the first leaf boundary and the second leaf's index
 * entry must carry the collision bit. */
static void colliding_dir(struct tree *t, const uint8_t seed[16], uint32_t *pair_hash)
{
    enum { N = 200000 };
    struct named_hash *v = xmalloc(N * sizeof(*v));
    for (int i = 0; i < N; i++) {
        snprintf(v[i].name, sizeof(v[i].name), "c%06d", i);
        v[i].hash = name_hash(v[i].name, seed);
    }
    qsort(v, N, sizeof(*v), cmp_named_hash);
    int k = -1;
    for (int i = 1; i < N && k < 0; i++)
        if (v[i].hash == v[i - 1].hash && v[i].hash > (1u << 28))
            k = i;
    CHECK(k > 0);
    char p[64];
    for (int j = k - 1; j <= k; j++) {
        snprintf(p, sizeof(p), "/coll/%s", v[j].name);
        CHECK_EQ_INT(tree_add_file_buffer(t, p, v[j].name, 7, &A), 0);
    }
    *pair_hash = v[k].hash;
    free(v);
    for (int i = 0, found = 0; found < 255; i++) {
        snprintf(p, sizeof(p), "/coll/f%06d", i);
        if (name_hash(p + 6, seed) < *pair_hash) {
            CHECK_EQ_INT(tree_add_file_buffer(t, p, "", 0, &A), 0);
            found++;
        }
    }
}

/* Directories past one block are hash-indexed as the kernel indexes them:
 * e2fsck checks the index (limits, counts, hash order of every leaf), two
 * levels past 508 leaves, colliding hashes across a leaf boundary, names
 * with bytes >= 0x80 (the signed half_md4 variant), one-block directories
 * stay linear, and every name is found. */
TEST(large_directories_are_hash_indexed)
{
    struct tree *t = tree_new(dir);
    char p[64];
    for (int i = 0; i < 60000; i++) {   /* 48-byte records: 85 to a leaf, 706 leaves */
        snprintf(p, sizeof(p), "/big/caf\xc3\xa9-%05d-\xff-a-name-of-forty-bytes", i);
        CHECK_EQ_INT(tree_add_file_buffer(t, p, "", 0, &A), 0);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof(p), "/small/s%d", i);
        CHECK_EQ_INT(tree_add_dir(t, p, &A), 0);
    }
    struct ext4_opts o = {.epoch = 1};
    for (int i = 0; i < 16; i++)
        o.hash_seed[i] = (uint8_t)(0x11 * i + 3);
    uint32_t pair_hash;
    colliding_dir(t, o.hash_seed, &pair_hash);
    const char *img = scratch("htree.img");
    CHECK_EQ_INT(write_image(t, img, &o), 0);
    CHECK(fsck_clean(img));
    char *s = run("debugfs -R 'htree_dump /big' %s 2>/dev/null | grep -E 'Indirect levels|Number of entries' | head -3", img);
    CHECK(strstr(s, "Indirect levels: 1") != NULL);
    CHECK(strstr(s, "Number of entries (limit): 508") != NULL);
    s = run("debugfs -R 'htree_dump /coll' %s 2>/dev/null | grep '^Entry #1:'", img);
    char want[64];
    snprintf(want, sizeof(want), "Entry #1: Hash 0x%08x, block 2", pair_hash | 1);
    CHECK(strstr(s, want) != NULL);
    s = run("debugfs -R 'htree_dump /small' %s 2>&1 | tail -1", img);
    CHECK(strstr(s, "Not a hash-indexed directory") != NULL);
    s = run("debugfs -R 'ls /big' %s 2>/dev/null | tr -s ' ' '\\n' | grep -c 'forty-bytes$'", img);
    CHECK_STR(s, "60000\n");
    s = run("debugfs -R 'ls /coll' %s 2>/dev/null | tr -s ' ' '\\n' | grep -c '^[cf][0-9]'", img);
    CHECK_STR(s, "257\n");
    tree_free(t);
}

TEST(errors_name_the_entry)
{
    struct tree *t = tree_new(dir);
    CHECK_EQ_INT(tree_add_file_buffer(t, "/lost+found", "x", 1, &A), 0);
    struct ext4_opts o = {0};
    const char *img = scratch("img");
    CHECK_EQ_INT(write_image(t, img, &o), -EINVAL);
    CHECK(strstr(err_msg(), "/lost+found must be a directory") != NULL);
    tree_free(t);

    t = tree_new(dir);
    static uint8_t v[4000];
    CHECK_EQ_INT(tree_add_file_buffer(t, "/x", "x", 1, &A), 0);
    CHECK_EQ_INT(tree_set_xattr(t, "/x", "user.a", v, sizeof(v)), 0);
    CHECK_EQ_INT(tree_set_xattr(t, "/x", "user.b", v, sizeof(v)), 0);
    CHECK_EQ_INT(write_image(t, img, &o), -E2BIG);
    CHECK(strstr(err_msg(), "test: /x: extended attributes do not fit") != NULL);
    tree_free(t);

    t = tree_new(dir);
    char p[32];
    for (int i = 0; i < 400; i++) {
        snprintf(p, sizeof(p), "/f%d", i);
        CHECK_EQ_INT(tree_add_file_buffer(t, p, "x", 1, &A), 0);
    }
    o.size = 1 << 20;
    o.name = "small.img";
    CHECK_EQ_INT(write_image(t, img, &o), -ENOSPC);
    CHECK(strstr(err_msg(), "small.img: the tree does not fit in 1048576 bytes (--size)") != NULL);
    tree_free(t);
    rm_rf(dir);
}
