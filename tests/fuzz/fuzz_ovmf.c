/* libFuzzer target: the OVMF footer table and SEV metadata parser, and the
 * SNP metadata walk over whatever it accepts. Any input must give a parse
 * or a clean error, never a read outside the buffer. */
#include "measure/gctx.h"
#include "measure/measure.h"
#include "measure/ovmf.h"
#include "measure/sev_hashes.h"
#include "measure/snp.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ovmf o;
    if (ovmf_parse(&o, "fuzz", data, size, OVMF_FOUR_GIB) < 0)
        return 0;
    uint32_t v;
    uint64_t eip;
    ovmf_sev_es_reset_eip(&o, &v);
    ovmf_hashes_table(&o, &v);
    ovmf_svsm_reset_eip(&o, &eip);
    for (int mode = SEV_MODE_SEV; mode <= SEV_MODE_SNP_SVSM; mode++)
        measure_firmware_has_kernel_hashes(&o, (enum sev_mode)mode);

    /* The metadata walk, with and without kernel hashes, on every VMM type;
     * only over small layouts, to keep each run fast (the walk refuses
     * overlapping sections, so its work is bounded anyway). */
    uint64_t pages = 0;
    for (size_t i = 0; i < o.n_sections; i++)
        pages += snp_section_extent(&o.sections[i]) / GCTX_PAGE_SIZE;
    struct sev_hashes h;
    memset(&h, 0xab, sizeof(h));
    struct gctx g;
    gctx_init(&g, NULL);
    for (int vmm = VMM_QEMU; pages <= 1024 && vmm <= VMM_GCE; vmm++) {
        snp_update_metadata(&g, &o, NULL, (enum vmm_type)vmm);
        snp_update_metadata(&g, &o, &h, (enum vmm_type)vmm);
    }
    gctx_free(&g);
    ovmf_free(&o);
    return 0;
}
