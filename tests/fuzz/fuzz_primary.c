/* Repository metadata: repomd.xml and primary.xml as libsolv reads them
 * and as they become lock entries. The input is split at its first NUL
 * byte: repomd.xml before, primary.xml after. */
#include "builder/packages/package.h"
#include "builder/packages/repo.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul)
        return 0;
    size_t n = (size_t)(nul - data);
    struct package_set s;
    if (repo_parse_metadata(data, n, nul + 1, size - n - 1, "https://repo.example/x86_64", &s) == 0) {
        for (size_t i = 0; i < s.n; i++)
            free(package_evr(&s.v[i]));
        package_set_free(&s);
    }
    return 0;
}
