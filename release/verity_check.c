/* dm-verity of a published image, recomputed (see verity_check.h). */
#include "release/verity_check.h"
#include "builder/fs/disk.h"
#include "builder/fs/verity.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A scratch file in $TMPDIR, removed on SIGINT/SIGTERM too. */
static int scratch(char **path)
{
    const char *t = getenv("TMPDIR");
    *path = xasprintf("%s/guestimg-verify-XXXXXX", t && *t ? t : "/tmp");
    int fd = mkostemp(*path, O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot create a scratch file", *path);
    cleanup_register(*path);
    return fd;
}

static void scratch_done(char *path, int fd)
{
    if (fd >= 0)
        close(fd);
    if (path) {
        unlink(path);
        cleanup_unregister(path);
        free(path);
    }
}

/* Copy len bytes at off of src into dst (in the kernel where it can). */
static int copy_range(int src, const char *name, uint64_t off, uint64_t len, int dst)
{
    loff_t in = (loff_t)off, out = 0;
    while (len) {
        ssize_t n = copy_file_range(src, &in, dst, &out, len > (1u << 30) ? 1u << 30 : len, 0);
        if (n < 0)
            return err_sys(-errno, "%s: cannot read", name);
        if (n == 0)
            return err_set(-EBADMSG, "%s: shorter than its dm-verity data", name);
        len -= (uint64_t)n;
    }
    return 0;
}

/* 0 when [off, off+len) of fd equals the first len bytes of ref, 1 when
 * not (or fd is shorter). */
static int same_bytes(int fd, const char *name, uint64_t off, int ref, uint64_t len)
{
    const size_t bs = 1 << 20;
    _cleanup_free_ uint8_t *a = xmalloc(bs), *b = xmalloc(bs);
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done < bs ? (size_t)(len - done) : bs;
        ssize_t x = pread(fd, a, n, (off_t)(off + done)), y = pread(ref, b, n, (off_t)done);
        if (x < 0 || y < 0)
            return err_sys(-errno, "%s: cannot read", name);
        if ((size_t)x != n || (size_t)y != n || memcmp(a, b, n))
            return 1;
        done += n;
    }
    return 0;
}

static int check_params(const struct release *r, struct verity_info *vi)
{
    const struct release_verity *v = &r->verity;
    if (v->data_block_size != VERITY_BLOCK_SIZE || v->hash_block_size != VERITY_BLOCK_SIZE)
        return err_set(-EINVAL, "verity: block sizes %llu/%llu: this guestimg recomputes %d-byte blocks only",
                       (unsigned long long)v->data_block_size, (unsigned long long)v->hash_block_size,
                       VERITY_BLOCK_SIZE);
    if (hex_decode(v->salt, vi->salt, sizeof(vi->salt)) != VERITY_SALT_LEN)
        return err_set(-EINVAL, "verity: a salt of %zu bytes: this guestimg recomputes %d-byte salts only",
                       strlen(v->salt) / 2, VERITY_SALT_LEN);
    vi->data_blocks = v->data_blocks;
    vi->hash_offset = 0;   /* our own copy of the tree starts at 0 */
    return 0;
}

int release_verity_recompute(const struct release *r, const char *dir, char root_hex[65], char **table,
                             bool *tree_matches)
{
    struct verity_info vi = {0};
    *table = NULL;
    int rc = check_params(r, &vi);
    if (rc < 0)
        return rc;
    bool kata = !strcmp(r->verity.layout, "kata");
    if (!kata && strcmp(r->verity.layout, "raw"))
        return err_set(-EINVAL, "verity: unknown layout '%s' (kata or raw)", r->verity.layout);
    _cleanup_free_ char *image = xasprintf("%s/%s", dir, r->image);
    _cleanup_free_ char *tree_name = kata ? xstrdup(image) : xasprintf("%s.verity", image);
    uint64_t data_bytes = vi.data_blocks * VERITY_BLOCK_SIZE, tree_bytes = verity_tree_size(vi.data_blocks);
    uint64_t tree_off = r->verity.hash_offset;
    /* untrusted files: regular files right in dir, never a link or a device */
    struct stat st;
    _cleanup_close_ int img = file_open_in_dir(dir, r->image, &st);
    if (img < 0)
        return img;
    char *data_path = NULL, *hash_path = NULL;
    int data_fd = -1, hash_fd = -1;
    const char *data = image;
    if (kata) {
        /* the partition table must be the one the parameters give */
        uint8_t mbr[DISK_SECTOR], want[DISK_SECTOR];
        struct disk_layout l;
        if (pread(img, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
            return err_set(-EBADMSG, "%s: no partition table", image);
        disk_kata_layout(data_bytes, tree_bytes, (uint32_t)mbr[440] | (uint32_t)mbr[441] << 8 |
                                                     (uint32_t)mbr[442] << 16 | (uint32_t)mbr[443] << 24, &l);
        disk_mbr(&l, want);
        if (memcmp(mbr, want, sizeof(mbr)))
            return err_set(-EBADMSG, "%s: the partition table is not the kata layout of %llu data blocks", image,
                           (unsigned long long)vi.data_blocks);
        tree_off += l.p2_offset;
        /* libcryptsetup hashes a whole device from its start: partition 1 alone */
        if ((data_fd = scratch(&data_path)) < 0)
            return data_fd;
        rc = copy_range(img, image, l.p1_offset, data_bytes, data_fd);
        data = data_path;
    }
    if (rc == 0 && (hash_fd = scratch(&hash_path)) < 0)
        rc = hash_fd;
    if (rc == 0)
        rc = verity_format(data, hash_path, &vi);
    if (rc == 0) {
        hex_encode(vi.root_hash, sizeof(vi.root_hash), root_hex);
        _cleanup_free_ char *tree_file = xasprintf("%s.verity", r->image);
        _cleanup_close_ int tree = kata ? dup(img) : file_open_in_dir(dir, tree_file, &st);
        rc = tree < 0 ? (kata ? err_sys(-errno, "%s: cannot open", tree_name) : tree)
                      : same_bytes(tree, tree_name, tree_off, hash_fd, tree_bytes);
        *tree_matches = rc == 0;
        if (rc == 1)
            rc = 0;
    }
    /* the devices the command line builder/fs/rootfs.c writes names */
    if (rc == 0)
        *table = verity_dm_table(&vi, kata ? "/dev/vda1" : "/dev/vda", kata ? "/dev/vda2" : "/dev/vdb");
    scratch_done(data_path, data_fd);
    scratch_done(hash_path, hash_fd);
    return rc;
}
