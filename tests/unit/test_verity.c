/* builder/verity.c and builder/disk.c: hash tree sizes and root hashes as
 * veritysetup computes them; the kernel table and Kata's line; the MBR. */
#include "builder/disk.h"
#include "builder/rootfs.h"
#include "builder/verity.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char *sh(const char *cmd)
{
    static char out[4096];
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
    out[n] = 0;
    if (p)
        pclose(p);
    return out;
}

TEST(root_hash_and_tree_size_match_veritysetup)
{
    char dir[] = "/tmp/test_verity.XXXXXX";
    CHECK(mkdtemp(dir));
    char data[128], hash[128], cmd[512];
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(hash, sizeof(hash), "%s/hash", dir);
    /* 129 blocks: two leaf hash blocks and a root block */
    uint64_t blocks[] = {1, 128, 129, 16513};
    for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
        snprintf(cmd, sizeof(cmd), "head -c %llu /dev/urandom > %s; : > %s", (unsigned long long)blocks[i] * 4096,
                 data, hash);
        CHECK(system(cmd) == 0);
        struct verity_info v = {.data_blocks = blocks[i]};
        memset(v.salt, 0xa5, sizeof(v.salt));
        CHECK_EQ_INT(verity_format(data, hash, &v), 0);
        struct stat st;
        CHECK(stat(hash, &st) == 0);
        CHECK_EQ_U64(verity_tree_size(blocks[i]), st.st_size);
        char root[65], salt[65];
        hex_encode(v.root_hash, 32, root);
        hex_encode(v.salt, 32, salt);
        snprintf(cmd, sizeof(cmd), "veritysetup verify --no-superblock --salt=%s %s %s %s && echo ok", salt, data,
                 hash, root);
        CHECK_STR(sh(cmd), "ok\n");
    }
    struct verity_info v = {.data_blocks = 1};
    snprintf(data, sizeof(data), "%s/missing", dir);
    CHECK(verity_format(data, hash, &v) < 0);
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
