/* libFuzzer target: ext4_diff() on an untrusted image (a published release
 * comes from anywhere), compared with itself: libext2fs opens it, the walk
 * follows its directories, every inode and block is read on both sides.
 * Any input must give a clean error or no difference at all (it is the
 * same image); and ext4_diff_fs_offset() on it as a kata disk. */
#include "release/ext4_diff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void never(const char *path, const char *what, void *ctx)
{
    (void)path, (void)what, (void)ctx;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-ext4", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (ext4_diff(path, 0, path, 0, 40, never, NULL) > 0)
        abort();
    uint64_t off;
    ext4_diff_fs_offset(path, "kata", &off);
    close(fd);
    return 0;
}
