/* Archive bytes (tar, cpio, compressed or not) → the rootfs tree, as
 * `guestimg rootfs` reads an INPUT; then every file's content read back,
 * and the tree digest (the default seed). */
#include "builder/fs/tree.h"

#include <archive.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* libarchive 3.6 sizes some read-ahead buffers from header fields (a cpio
 * symlink of 2.7 GB, say) before it finds the data missing. Untouched, such
 * a buffer costs no memory (guestimg's RSS stays at 8 MiB on that input),
 * but libFuzzer's malloc limit counts it: raise that limit, keep the RSS one. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static char limit[] = "-malloc_limit_mb=8192";
    char **v = malloc(((size_t)*argc + 2) * sizeof(*v));
    for (int i = 0; i < *argc; i++)
        v[i] = (*argv)[i];
    v[*argc] = limit;
    v[*argc + 1] = NULL;
    (*argc)++;
    *argv = v;
    return 0;
}

static int read_back(struct tree_node *n, const char *path, void *ctx)
{
    struct tree *t = ctx;
    if (n->type != TREE_REG)
        return 0;
    uint8_t digest[32];
    uint64_t blocks, runs;
    tree_file_sha256(t, n, digest);
    tree_file_data_blocks(t, n, &blocks, &runs);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tree *t = tree_new(NULL);
    struct archive *ar = tree_archive_reader();
    if (archive_read_open_memory(ar, data, size) == ARCHIVE_OK && tree_add_archive(t, ar, "fuzz") == 0) {
        tree_sort(t);
        tree_walk(t, read_back, t);
        struct tree_stats s;
        tree_get_stats(t, &s);
        uint8_t digest[32];
        tree_digest(t, digest);
    }
    archive_read_free(ar);
    tree_free(t);
    return 0;
}
