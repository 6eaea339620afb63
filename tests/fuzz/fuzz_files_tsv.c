/* libFuzzer target: files_tsv_parse() on untrusted files.tsv bytes (from a
 * published release), then a diff of the listing against itself (nothing
 * may differ). */
#include "release/files.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void never(unsigned changes, const struct files_entry *a, const struct files_entry *b, void *ctx)
{
    (void)changes, (void)a, (void)b, (void)ctx;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct files_list l;
    if (files_tsv_parse((const char *)data, size, "fuzz", &l) < 0)
        return 0;
    files_diff(&l, &l, never, NULL);
    files_list_free(&l);
    return 0;
}
