/* The SEV-SNP launch digest: a chain of SHA-384 over PAGE_INFO structures
 * (SNP firmware ABI, SNP_LAUNCH_UPDATE), one per page the hypervisor adds
 * to the guest. Each update hashes {current digest, page contents digest,
 * length, page type, permissions, GPA} into the new digest. */
#ifndef GUESTIMG_MEASURE_GCTX_H
#define GUESTIMG_MEASURE_GCTX_H

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

#define GCTX_LD_LEN 48
#define GCTX_PAGE_SIZE 4096
/* The RMP records a VMSA at GPA -1, page-aligned and cut to 52 bits. */
#define GCTX_VMSA_GPA 0xFFFFFFFFF000ULL

enum snp_page_type {
    SNP_PAGE_NORMAL = 1,
    SNP_PAGE_VMSA = 2,
    SNP_PAGE_ZERO = 3,
    SNP_PAGE_UNMEASURED = 4,
    SNP_PAGE_SECRETS = 5,
    SNP_PAGE_CPUID = 6,
};

struct gctx {
    uint8_t ld[GCTX_LD_LEN];      /* the launch digest so far */
    EVP_MD_CTX *md;              /* one SHA-384 context, reused for every page */
};

/* Start from seed (48 bytes), or from zeros when seed is NULL. */
void gctx_init(struct gctx *g, const uint8_t *seed);
void gctx_free(struct gctx *g);

/* One PAGE_INFO update with the digest of the page's contents (zeros for
 * the page types whose contents are not measured). */
void gctx_update(struct gctx *g, enum snp_page_type type, uint64_t gpa,
                 const uint8_t contents[GCTX_LD_LEN]);
/* NORMAL pages: len must be a multiple of GCTX_PAGE_SIZE. */
void gctx_update_normal_pages(struct gctx *g, uint64_t gpa, const uint8_t *data, size_t len);
/* len/4096 pages of ZERO or UNMEASURED type (len a multiple of 4096). */
void gctx_update_empty_pages(struct gctx *g, enum snp_page_type type, uint64_t gpa, uint64_t len);
/* A VMSA page, given its SHA-384 (so that many vCPUs hash it once). */
void gctx_update_vmsa(struct gctx *g, const uint8_t page_digest[GCTX_LD_LEN]);
/* SHA-384 of one page, on the context's hash. */
void gctx_page_digest(struct gctx *g, const uint8_t *page, uint8_t out[GCTX_LD_LEN]);

#endif
