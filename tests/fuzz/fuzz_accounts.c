/* Account files from packages: the input, split at NUL bytes, becomes the
 * image's /etc/passwd, group, shadow and gshadow; they are read, merged
 * with a manifest's accounts and written back. */
#include "builder/packages/accounts.h"
#include "builder/manifest/manifest.h"
#include "builder/fs/tree.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char manifest[] = "name: f\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
                               "accounts:\n  groups: [{name: kata, gid: 1000}, {name: wheel, gid: 10}]\n"
                               "  users: [{name: kata, uid: 1000, gid: 1000, groups: [wheel]}]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[] = {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"};
    static struct manifest *m;
    if (!m)
        m = manifest_parse(manifest, strlen(manifest), "fuzz.yaml", ".");
    struct tree *t = tree_new(NULL);
    struct tree_attr a = {.mode = 0644, .origin = "fuzz"};
    const uint8_t *p = data, *end = data + size;
    for (int k = 0; k < 4 && p <= end; k++) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
        tree_add_file_buffer(t, files[k], p, n, &a);
        p += n + 1;
    }
    struct accounts acc;
    if (accounts_load(t, &acc) == 0) {
        uint32_t id;
        if (accounts_merge(&acc, m) == 0 && accounts_write(t, &acc, 0) == 0)
            accounts_uid(&acc, "kata", &id);
        accounts_free(&acc);
    }
    tree_free(t);
    return 0;
}
