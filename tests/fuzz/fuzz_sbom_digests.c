/* libFuzzer target: sbom_parse_digests() on untrusted SBOM bytes (what
 * `guestimg verify` reads back from a published SPDX or CycloneDX file). */
#include "sbom/sbom.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sbom_digests d;
    if (sbom_parse_digests((const char *)data, size, "fuzz", &d) == 0)
        sbom_digests_free(&d);
    return 0;
}
