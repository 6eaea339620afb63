#include "measure/snp.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>

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

uint64_t snp_section_extent(const struct ovmf_section *s)
{
    return s->type == OVMF_SECTION_SNP_SECRETS || s->type == OVMF_SECTION_CPUID ? GCTX_PAGE_SIZE
                                                                                 : s->size;
}

struct extent {
    uint64_t start, end;
    size_t index;
};

static int by_start(const void *a, const void *b)
{
    const struct extent *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The firmware refuses to add a page twice, so sections lie apart, and
 * below 4 GiB where OVMF runs; this also bounds the work to 4 GiB of pages. */
static int check_layout(const struct ovmf *o)
{
    _cleanup_free_ struct extent *e = xcalloc(o->n_sections ? o->n_sections : 1, sizeof(*e));
    size_t n = 0;
    for (size_t i = 0; i < o->n_sections; i++) {
        uint64_t start = o->sections[i].gpa, len = snp_section_extent(&o->sections[i]);
        if (start + len > OVMF_FOUR_GIB)
            return err_set(-EINVAL, "%s: SEV metadata section %zu runs past 4 GiB", o->name, i);
        if (len)
            e[n++] = (struct extent){start, start + len, i};
    }
    qsort(e, n, sizeof(*e), by_start);
    for (size_t i = 1; i < n; i++)
        if (e[i].start < e[i - 1].end)
            return err_set(-EINVAL, "%s: SEV metadata sections %zu and %zu overlap", o->name,
                           MIN(e[i - 1].index, e[i].index), MAX(e[i - 1].index, e[i].index));
    return 0;
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
    int r = check_layout(o);
    if (r < 0)
        return r;
    for (size_t i = 0; i < o->n_sections; i++) {
        r = update_section(g, o, i, hashes, vmm);
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
