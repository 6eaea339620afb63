/* libFuzzer target: dsse_parse() on untrusted provenance.dsse.json bytes;
 * whatever parses has its PAE computed (the lengths must hold). */
#include "release/provenance.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dsse_envelope e;
    if (dsse_parse((const char *)data, size, "fuzz", &e) < 0)
        return 0;
    size_t n;
    uint8_t *pae = dsse_pae(e.payload_type, e.payload, e.payload_len, &n);
    if (n < e.payload_len || memcmp(pae + n - e.payload_len, e.payload, e.payload_len))
        abort();
    free(pae);
    dsse_free(&e);
    return 0;
}
