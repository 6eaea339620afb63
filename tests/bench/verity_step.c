/* The verity step of `guestimg rootfs` alone, on an existing image, for
 * tests/bench/bench_rootfs.sh: builder/fs/verity.c's streaming pass (what
 * rootfs uses) or libcryptsetup's format (the reference).
 * Usage: verity_step stream|libcryptsetup IMAGE HASHFILE */
#include "builder/fs/verity.h"
#include "common/err.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct stat st;
    if (argc != 4 || stat(argv[2], &st) < 0)
        return 2;
    int data = open(argv[2], O_RDONLY), hash = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (data < 0 || hash < 0)
        return 2;
    struct verity_info v = {.data_blocks = (uint64_t)st.st_size / VERITY_BLOCK_SIZE};
    memset(v.salt, 0x5a, sizeof(v.salt));
    int r = !strcmp(argv[1], "stream") ? verity_hash_tree(data, 0, argv[2], hash, 0, argv[3], &v)
                                       : verity_format(argv[2], argv[3], &v);
    if (r < 0) {
        fprintf(stderr, "%s\n", err_msg());
        return 1;
    }
    close(data);
    close(hash);
    return 0;
}
