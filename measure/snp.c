#include "measure/snp.h"
#include "common/err.h"

#include <errno.h>

#define PAGE_MASK 0xfffu

int snp_update_image(struct gctx *g, const struct ovmf *o)
{
    if (o->size % GCTX_PAGE_SIZE)
        return err_set(-EINVAL, "%s: size %zu is not a multiple of 4096 bytes", o->name, o->size);
    gctx_update_normal_pages(g, o->gpa, o->data, o->size);
    return 0;
}

bool snp_has_kernel_hashes(const struct ovmf *o)
{
    uint32_t gpa;
    return ovmf_has_section(o, OVMF_SECTION_SNP_KERNEL_HASHES) && ovmf_hashes_table(o, &gpa);
}

static int update_kernel_hashes(struct gctx *g, const struct ovmf *o, size_t i,
                                const struct ovmf_section *s, const struct sev_hashes *hashes)
{
    uint32_t table_gpa = 0;
    ovmf_hashes_table(o, &table_gpa); /* present: snp_update_metadata checked */
    if (s->size != SEV_HASHES_PAGE_SIZE)
        return err_set(-EINVAL, "%s: kernel hashes section %zu is %#x bytes, expected one page",
                       o->name, i, s->size);
    uint8_t page[SEV_HASHES_PAGE_SIZE];
    if (sev_hashes_page(hashes, table_gpa & PAGE_MASK, page) < 0)
        return err_set(-EINVAL, "%s: the kernel hashes table at %#x does not fit in its page",
                       o->name, table_gpa);
    gctx_update_normal_pages(g, s->gpa, page, sizeof(page));
    return 0;
}

static int update_section(struct gctx *g, const struct ovmf *o, size_t i,
                          const struct sev_hashes *hashes, enum vmm_type vmm)
{
    const struct ovmf_section *s = &o->sections[i];
    switch (s->type) {
    case OVMF_SECTION_SNP_SECRETS:
        gctx_update_empty_pages(g, SNP_PAGE_SECRETS, s->gpa, GCTX_PAGE_SIZE);
        return 0;
    case OVMF_SECTION_CPUID:
        if (vmm != VMM_EC2)
            gctx_update_empty_pages(g, SNP_PAGE_CPUID, s->gpa, GCTX_PAGE_SIZE);
        return 0;
    case OVMF_SECTION_SNP_SEC_MEM:
    case OVMF_SECTION_SVSM_CAA:
    case OVMF_SECTION_SNP_KERNEL_HASHES:
        break;
    default:
        return err_set(-EINVAL, "%s: SEV metadata section %zu has unknown type %#x", o->name, i,
                       s->type);
    }
    if (s->type == OVMF_SECTION_SNP_KERNEL_HASHES && hashes)
        return update_kernel_hashes(g, o, i, s, hashes);
    if (s->size % GCTX_PAGE_SIZE)
        return err_set(-EINVAL, "%s: SEV metadata section %zu is %#x bytes, not whole pages",
                       o->name, i, s->size);
    /* GCE does not pre-validate the firmware's scratch memory. */
    enum snp_page_type type =
        s->type == OVMF_SECTION_SNP_SEC_MEM && vmm == VMM_GCE ? SNP_PAGE_UNMEASURED : SNP_PAGE_ZERO;
    gctx_update_empty_pages(g, type, s->gpa, s->size);
    return 0;
}

int snp_update_metadata(struct gctx *g, const struct ovmf *o, const struct sev_hashes *hashes,
                        enum vmm_type vmm)
{
    if (hashes && !snp_has_kernel_hashes(o))
        return err_set(-EINVAL, "%s: kernel given, but the firmware has no SNP kernel-hashes section",
                       o->name);
    for (size_t i = 0; i < o->n_sections; i++) {
        int r = update_section(g, o, i, hashes, vmm);
        if (r < 0)
            return r;
    }
    /* EC2 adds the CPUID page after everything else. */
    if (vmm == VMM_EC2)
        for (size_t i = 0; i < o->n_sections; i++)
            if (o->sections[i].type == OVMF_SECTION_CPUID)
                gctx_update_empty_pages(g, SNP_PAGE_CPUID, o->sections[i].gpa, GCTX_PAGE_SIZE);
    return 0;
}
