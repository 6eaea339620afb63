/* A whole RPM (header and cpio payload) unpacked into a tree through a
 * memfd: the header/payload consistency checks, hard links, symlinks
 * followed inside the image, capabilities. */
#include "builder/fs/tree.h"
#include "builder/packages/unpack.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* libarchive's cpio reader allocates the read-ahead a header's name size
 * asks for (up to 4 GiB) before it finds the data missing and fails
 * cleanly; left untouched by the allocation, such a buffer costs nothing.
 * libFuzzer would call that allocation a bug (its limit is the 2 GiB RSS
 * limit), so this target raises the single-allocation limit above 4 GiB. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static char limit[] = "-malloc_limit_mb=4200";
    char **v = malloc(((size_t)*argc + 2) * sizeof(char *));
    if (!v)
        return 0;
    memcpy(v, *argv, (size_t)*argc * sizeof(char *));
    v[(*argc)++] = limit;
    v[*argc] = NULL;
    *argv = v;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.rpm", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        struct tree *t = tree_new(NULL);
        struct tree_attr a = {.mode = 0777, .origin = "fuzz"};
        tree_add_symlink(t, "/bin", "usr/bin", &a);
        tree_set_policy(t, TREE_RPM_CONFLICT);
        struct unpack_owners owners = {0};
        struct package meta;
        if (unpack_package(t, fd, PKG_RPM, "fuzz.rpm", "fuzz-1-1.noarch", &owners, &meta) == 0)
            package_clear(&meta);
        unpack_owners_free(&owners);
        tree_free(t);
    }
    close(fd);
    return 0;
}
