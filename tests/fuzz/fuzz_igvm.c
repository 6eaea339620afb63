/* libFuzzer target: the IGVM reader (checksum not enforced, so that inputs
 * get past it), the dump renderers, the SEV-SNP measurement of what it
 * accepts and the check of its ID block. Any input must give a parse or a clean error, never a read
 * outside the buffer. */
#include "measure/igvm.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Pages the measurement would add: bounded to keep each run fast. */
static uint64_t pages(const struct igvm_file *f)
{
    uint64_t n = 0;
    for (size_t i = 0; i < f->n_headers; i++) {
        const struct igvm_header *h = &f->headers[i];
        if (h->type == IGVM_PAGE_DATA)
            n += h->flags & IGVM_PAGE_IS_2MB ? 512 : 1;
        else if (h->type == IGVM_PARAMETER_INSERT)
            n += h->data_len / IGVM_PAGE_4K;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct igvm_file f;
    if (igvm_parse(&f, "fuzz", data, size, IGVM_NO_CHECKSUM) < 0)
        return 0;
    free(igvm_dump_text(&f));
    struct igvm_snp_result r;
    if (pages(&f) <= 4096) {
        igvm_measure_snp(&f, 0, &r);
        if (igvm_measure_snp(&f, IGVM_NATIVE_ZERO, &r) == 0 && r.has_id_block) {
            bool valid;
            uint8_t kd[GCTX_LD_LEN];
            igvm_id_block_check(&r.id_block, r.policy, &valid, kd);
        }
    }
    igvm_close(&f);
    return 0;
}
