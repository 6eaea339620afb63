/* The SEV-SNP launch digest of an IGVM file: its directives for the SNP
 * platform, in file order, each page one PAGE_INFO update (measure/gctx). */
#include "measure/igvm.h"
#include "common/le.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* File data is read in windows of this size: few reads, little memory. */
#define READ_WINDOW (1u << 20)

struct snp_measure {
    const struct igvm_file *f;
    uint32_t mask;
    unsigned opts;
    struct gctx g;
    uint8_t zero_digest[GCTX_LD_LEN]; /* SHA-384 of a page of zeros */
    uint8_t *window;
    uint64_t window_off, window_len;
    uint64_t pages;
};

/* len (<= READ_WINDOW) bytes of file data at off, from memory or the window. */
static int data_at(struct snp_measure *m, uint64_t off, size_t len, const uint8_t **out)
{
    if (m->f->buf) {
        *out = m->f->buf + off;
        return 0;
    }
    if (off < m->window_off || off + len > m->window_off + m->window_len) {
        uint64_t n = MIN((uint64_t)READ_WINDOW, m->f->size - off);
        int r = igvm_read(m->f, off, m->window, (size_t)n);
        if (r < 0)
            return r;
        m->window_off = off;
        m->window_len = n;
    }
    *out = m->window + (off - m->window_off);
    return 0;
}

static int measure_page_data(struct snp_measure *m, const struct igvm_header *h)
{
    uint64_t len = h->flags & IGVM_PAGE_IS_2MB ? IGVM_PAGE_2M : IGVM_PAGE_4K;
    m->pages += len / IGVM_PAGE_4K;
    switch (h->data_type) {
    case IGVM_DATA_SECRETS:
        gctx_update_empty_pages(&m->g, SNP_PAGE_SECRETS, h->gpa, len);
        return 0;
    case IGVM_DATA_CPUID_DATA:
    case IGVM_DATA_CPUID_XF:
        gctx_update_empty_pages(&m->g, SNP_PAGE_CPUID, h->gpa, len);
        return 0;
    }
    if (h->flags & IGVM_PAGE_UNMEASURED) {
        gctx_update_empty_pages(&m->g, SNP_PAGE_UNMEASURED, h->gpa, len);
        return 0;
    }
    if (!h->file_offset && (m->opts & IGVM_NATIVE_ZERO)) {
        gctx_update_empty_pages(&m->g, SNP_PAGE_ZERO, h->gpa, len);
        return 0;
    }
    if (!h->file_offset) {
        for (uint64_t off = 0; off < len; off += IGVM_PAGE_4K)
            gctx_update(&m->g, SNP_PAGE_NORMAL, h->gpa + off, m->zero_digest);
        return 0;
    }
    for (uint64_t off = 0; off < len; off += IGVM_PAGE_4K) {
        const uint8_t *page;
        int r = data_at(m, h->file_offset + off, IGVM_PAGE_4K, &page);
        if (r < 0)
            return r;
        gctx_update_normal_pages(&m->g, h->gpa + off, page, IGVM_PAGE_4K);
    }
    return 0;
}

static int measure_vmsa(struct snp_measure *m, const struct igvm_header *h)
{
    const uint8_t *vmsa;
    uint8_t d[GCTX_LD_LEN];
    int r = data_at(m, h->file_offset, IGVM_PAGE_4K, &vmsa);
    if (r < 0)
        return r;
    gctx_page_digest(&m->g, vmsa, d);
    gctx_update(&m->g, SNP_PAGE_VMSA, h->gpa, d);
    m->pages++;
    return 0;
}

static void read_id_block(const struct igvm_header *h, struct igvm_id_block *id)
{
    const uint8_t *b = h->body;
    id->mask = h->mask;
    id->author_key_enabled = b[4];
    memcpy(id->ld, b + 8, GCTX_LD_LEN);
    memcpy(id->family_id, b + 56, 16);
    memcpy(id->image_id, b + 72, 16);
    id->version = get_le32(b + 88);
    id->guest_svn = get_le32(b + 92);
    id->id_key_algorithm = get_le32(b + 96);
    id->author_key_algorithm = get_le32(b + 100);
    memcpy(id->id_key_signature, b + 104, sizeof(id->id_key_signature));
    memcpy(id->id_public_key, b + 248, sizeof(id->id_public_key));
}

static int measure_header(struct snp_measure *m, const struct igvm_header *h, struct igvm_snp_result *r)
{
    if (!h->known || !h->has_mask || !(h->mask & m->mask))
        return 0;
    switch (h->type) {
    case IGVM_GUEST_POLICY:
        r->has_policy = true;
        r->policy = h->policy;
        return 0;
    case IGVM_PAGE_DATA:
        /* Shared pages are host-visible: not part of the launch digest. */
        return h->flags & IGVM_PAGE_SHARED ? 0 : measure_page_data(m, h);
    case IGVM_PARAMETER_INSERT:
        /* The whole area, as microsoft/igvm does (igvmmeasure: one page). */
        gctx_update_empty_pages(&m->g, SNP_PAGE_UNMEASURED, h->gpa, h->data_len);
        m->pages += h->data_len / IGVM_PAGE_4K;
        return 0;
    case IGVM_VP_CONTEXT:
        return measure_vmsa(m, h);
    case IGVM_SNP_ID_BLOCK:
        if (r->has_id_block)
            return err_set(-EINVAL, "%s: directive %u (SNP_ID_BLOCK) at offset 0x%x: a second ID "
                           "block for the SEV-SNP platform", m->f->name, h->index, h->offset);
        r->has_id_block = true;
        read_id_block(h, &r->id_block);
        return 0;
    }
    return 0;
}

uint64_t igvm_page_estimate(const struct igvm_file *f)
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

int igvm_measure_snp(const struct igvm_file *f, unsigned opts, struct igvm_snp_result *r)
{
    memset(r, 0, sizeof(*r));
    const struct igvm_header *platform = igvm_snp_platform(f);
    if (!platform)
        return err_set(-EINVAL, "%s: no SEV-SNP platform (SUPPORTED_PLATFORM of type SEV_SNP)", f->name);
    struct snp_measure m = {.f = f, .mask = platform->mask, .opts = opts};
    static const uint8_t zero_page[IGVM_PAGE_4K];
    gctx_init(&m.g, NULL);
    gctx_page_digest(&m.g, zero_page, m.zero_digest);
    if (!f->buf)
        m.window = xmalloc(READ_WINDOW);
    r->mask = m.mask;
    int rc = 0;
    for (size_t i = 0; i < f->n_headers && rc == 0; i++)
        rc = measure_header(&m, &f->headers[i], r);
    memcpy(r->digest, m.g.ld, GCTX_LD_LEN);
    r->pages = m.pages;
    free(m.window);
    gctx_free(&m.g);
    return rc;
}
