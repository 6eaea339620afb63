/* builder/fs/verity.c and builder/fs/disk.c: hash tree sizes and root hashes as
 * veritysetup computes them; the kernel table and Kata's line; the MBR. */
#include "builder/fs/disk.h"
#include "builder/fs/rootfs.h"
#include "builder/fs/verity.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* A data file of n blocks: sparse, with a distinct block every 7th, so
 * that equal and different blocks both occur at every level. */
static void make_data(const char *path, uint64_t n)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)(n * 4096)) == 0);
    for (uint64_t i = 0; i < n; i += 7)
        CHECK(pwrite(fd, &i, sizeof(i), (off_t)(i * 4096 + i % 4000)) == sizeof(i));
    close(fd);
}

static void file_bytes(const char *path, uint64_t off, uint64_t len, uint8_t **out)
{
    *out = xmalloc(len ? len : 1);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && pread(fd, *out, len, (off_t)off) == (ssize_t)len);
    close(fd);
}

/* The streaming pass and libcryptsetup give the same tree and root hash at
 * every level boundary (1 block: no tree; 128: one block; 129: two levels;
 * 16384/16385: a third level), and veritysetup accepts them. */
TEST(streaming_tree_equals_libcryptsetup_and_veritysetup_accepts_it)
{
    char dir[] = "/tmp/test_verity.XXXXXX";
    CHECK(mkdtemp(dir));
    char data[128], ref[128], ours[128], cmd[512];
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(ref, sizeof(ref), "%s/ref", dir);
    snprintf(ours, sizeof(ours), "%s/ours", dir);
    uint64_t blocks[] = {1, 2, 127, 128, 129, 4097, 16384, 16385, 16513};
    for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
        make_data(data, blocks[i]);
        struct verity_info want = {.data_blocks = blocks[i]}, got;
        for (int k = 0; k < VERITY_SALT_LEN; k++)
            want.salt[k] = (uint8_t)(0xa5 ^ k ^ i);
        got = want;
        snprintf(cmd, sizeof(cmd), ": > %s", ref);
        CHECK(system(cmd) == 0);
        CHECK_EQ_INT(verity_format(data, ref, &want), 0);
        int dfd = open(data, O_RDONLY), hfd = open(ours, O_RDWR | O_CREAT | O_TRUNC, 0644);
        CHECK(dfd >= 0 && hfd >= 0);
        CHECK_EQ_INT(verity_hash_tree(dfd, 0, data, hfd, 0, ours, &got), 0);
        close(dfd);
        close(hfd);
        CHECK_MEM(got.root_hash, want.root_hash, VERITY_DIGEST_LEN);
        struct stat a, b;
        CHECK(stat(ref, &a) == 0 && stat(ours, &b) == 0);
        CHECK_EQ_U64(verity_tree_size(blocks[i]), a.st_size);
        CHECK_EQ_U64(b.st_size, a.st_size);
        snprintf(cmd, sizeof(cmd), "cmp -s %s %s", ref, ours);
        CHECK(system(cmd) == 0);
        char root[65], salt[65];
        hex_encode(got.root_hash, 32, root);
        hex_encode(got.salt, 32, salt);
        snprintf(cmd, sizeof(cmd), "veritysetup verify --no-superblock --salt=%s %s %s %s && echo ok", salt, data,
                 ours, root);
        _cleanup_free_ char *ok = sh_output("%s", cmd);
        CHECK_STR(ok, "ok\n");
    }
    rm_rf(dir);
}

/* Data and tree inside one file at offsets (the kata disk), and a tree
 * that differs in one data byte from libcryptsetup's differs in its root. */
TEST(streaming_tree_at_offsets_in_one_file)
{
    char dir[] = "/tmp/test_verity.XXXXXX";
    CHECK(mkdtemp(dir));
    char data[128], ref[128], disk[128], cmd[512];
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(ref, sizeof(ref), "%s/ref", dir);
    snprintf(disk, sizeof(disk), "%s/disk", dir);
    const uint64_t n = 300, data_off = 1 << 20, tree_off = data_off + n * 4096 + 8192;
    make_data(data, n);
    snprintf(cmd, sizeof(cmd), ": > %s; dd if=%s of=%s bs=1M seek=1 status=none", ref, data, disk);
    CHECK(system(cmd) == 0);
    struct verity_info want = {.data_blocks = n}, got;
    memset(want.salt, 0x3c, sizeof(want.salt));
    got = want;
    CHECK_EQ_INT(verity_format(data, ref, &want), 0);
    int fd = open(disk, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ_INT(verity_hash_tree(fd, data_off, disk, fd, tree_off, disk, &got), 0);
    close(fd);
    CHECK_MEM(got.root_hash, want.root_hash, 32);
    uint64_t size = verity_tree_size(n);
    uint8_t *a, *b;
    file_bytes(ref, 0, size, &a);
    file_bytes(disk, tree_off, size, &b);
    CHECK_MEM(a, b, size);
    free(a);
    free(b);
    /* the data was left alone */
    snprintf(cmd, sizeof(cmd), "cmp -s -n %llu -i %llu:0 %s %s", (unsigned long long)(n * 4096),
             (unsigned long long)data_off, disk, data);
    CHECK(system(cmd) == 0);
    /* one flipped data byte: another root */
    fd = open(disk, O_RDWR);
    CHECK(fd >= 0 && pwrite(fd, "\xff", 1, (off_t)(data_off + 77 * 4096 + 5)) == 1);
    got = want;
    CHECK_EQ_INT(verity_hash_tree(fd, data_off, disk, fd, tree_off, disk, &got), 0);
    CHECK(memcmp(got.root_hash, want.root_hash, 32) != 0);
    /* data that ends early is an error naming the file */
    CHECK(ftruncate(fd, (off_t)(data_off + 100 * 4096)) == 0);
    CHECK(verity_hash_tree(fd, data_off, disk, fd, tree_off, disk, &got) < 0);
    CHECK(strstr(err_msg(), "/disk: ends before the last block to hash") != NULL);
    close(fd);
    struct verity_info v = {.data_blocks = 1};
    snprintf(data, sizeof(data), "%s/missing", dir);
    CHECK(verity_format(data, ref, &v) < 0);
    CHECK(strstr(err_msg(), "missing") != NULL);
    rm_rf(dir);
}

TEST(kernel_table_and_kata_line)
{
    struct verity_info v = {.data_blocks = 1000};
    for (int i = 0; i < 32; i++) {
        v.root_hash[i] = (uint8_t)i;
        v.salt[i] = (uint8_t)(0xff - i);
    }
    char *t = verity_dm_table(&v, "/dev/vda1", "/dev/vda2");
    CHECK_STR(t, "dm-verity,,,ro,0 8000 verity 1 /dev/vda1 /dev/vda2 4096 4096 1000 0 sha256 "
                 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
                 "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0");
    free(t);
    char *k = verity_kata_params(&v);
    CHECK_STR(k, "root_hash=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,"
                 "salt=fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0,"
                 "data_blocks=1000,data_block_size=4096,hash_block_size=4096");
    free(k);
}

/* The MBR is byte for byte what sfdisk writes for the same table. */
TEST(mbr_layout_matches_sfdisk)
{
    struct disk_layout l;
    disk_kata_layout(3 << 20, 40960, 0x12345678, &l);
    CHECK_EQ_U64(l.p1_offset, 1 << 20);
    CHECK_EQ_U64(l.p2_offset, 4 << 20);
    CHECK_EQ_U64(l.disk_size, 5 << 20);
    uint8_t m[512], want[512];
    disk_mbr(&l, m);
    char img[] = "/tmp/test_verity_mbr.XXXXXX";
    int fd = mkstemp(img);
    CHECK(fd >= 0 && ftruncate(fd, 5 << 20) == 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "printf 'label: dos\nlabel-id: 0x12345678\nstart=2048, size=6144, type=83\n"
             "start=8192, size=80, type=83\n' | sfdisk -q %s", img);
    CHECK(system(cmd) == 0);
    CHECK(pread(fd, want, 512, 0) == 512);
    close(fd);
    unlink(img);
    CHECK_MEM(m, want, 512);
    /* past cylinder 1023 the CHS fields saturate; no hash tree, no p2 */
    disk_kata_layout(20ull << 30, 0, 1, &l);
    disk_mbr(&l, m);
    const uint8_t end[3] = {0xfe, 0xff, 0xff};
    CHECK_MEM(m + 446 + 5, end, 3);
    CHECK(m[446 + 16 + 4] == 0);
    CHECK_EQ_U64(l.disk_size, (20ull << 30) + (1 << 20));
}

TEST(ids_derive_from_the_seed)
{
    uint8_t seed[16] = {0};
    struct rootfs_ids a, b;
    rootfs_derive_ids(seed, &a);
    seed[15] = 1;
    rootfs_derive_ids(seed, &b);
    CHECK(memcmp(a.fs_uuid, b.fs_uuid, 16) && memcmp(a.salt, b.salt, 32) && a.disk_id != b.disk_id);
    CHECK(memcmp(a.fs_uuid, a.hash_seed, 16));
    CHECK_EQ_INT(a.fs_uuid[6] >> 4, 5);   /* UUID version 5 */
}
