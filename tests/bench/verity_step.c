/* The verity step of `guestimg rootfs` alone (builder/verity.c on an
 * existing image), for tests/bench/bench_rootfs.sh.
 * Usage: verity_step IMAGE HASHFILE */
#include "builder/verity.h"
#include "common/err.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    struct stat st;
    if (argc != 3 || stat(argv[1], &st) < 0)
        return 2;
    FILE *f = fopen(argv[2], "w");
    if (!f)
        return 2;
    fclose(f);
    struct verity_info v = {.data_blocks = (uint64_t)st.st_size / VERITY_BLOCK_SIZE};
    memset(v.salt, 0x5a, sizeof(v.salt));
    if (verity_format(argv[1], argv[2], &v) < 0) {
        fprintf(stderr, "%s\n", err_msg());
        return 1;
    }
    return 0;
}
