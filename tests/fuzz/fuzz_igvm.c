/* libFuzzer target: the IGVM reader (checksum not enforced, so that inputs
 * get past it), the dump renderers, the SEV-SNP measurement of what it
 * accepts and the check of its ID block. Any input must give a parse or a clean error, never a read
 * outside the buffer. */
#include "measure/igvm.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct igvm_file f;
    if (igvm_parse(&f, "fuzz", data, size, IGVM_NO_CHECKSUM) < 0)
        return 0;
    free(igvm_dump_text(&f));
    struct igvm_snp_result r;
    if (igvm_page_estimate(&f) <= 4096) {
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
