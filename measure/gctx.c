#include "measure/gctx.h"
#include "common/le.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* PAGE_INFO (SNP firmware ABI, "Layout of the PAGE_INFO structure"). */
#define PAGE_INFO_LEN 0x70
#define PI_DIGEST 0x00
#define PI_CONTENTS 0x30
#define PI_LENGTH 0x60
#define PI_PAGE_TYPE 0x62
#define PI_IMI_PAGE 0x63
#define PI_VMPL_PERMS 0x64 /* VMPL3, VMPL2, VMPL1 permissions and a reserved byte: all 0 */
#define PI_GPA 0x68

/* Fetched once: an explicit fetch spares OpenSSL 3 a lookup per page
 * (once for all threads: igvm build hashes pages on several). */
static EVP_MD *sha384_md;

static void sha384_fetch(void)
{
    if (!(sha384_md = EVP_MD_fetch(NULL, "SHA384", NULL)))
        abort();
}

static const EVP_MD *sha384(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sha384_fetch);
    return sha384_md;
}

static void digest(struct gctx *g, const void *buf, size_t len, uint8_t out[GCTX_LD_LEN])
{
    if (!EVP_DigestInit_ex2(g->md, sha384(), NULL) || !EVP_DigestUpdate(g->md, buf, len) ||
        !EVP_DigestFinal_ex(g->md, out, NULL))
        abort(); /* SHA-384 on memory cannot fail short of a broken library */
}

void gctx_init(struct gctx *g, const uint8_t *seed)
{
    if (seed)
        memcpy(g->ld, seed, GCTX_LD_LEN);
    else
        memset(g->ld, 0, GCTX_LD_LEN);
    g->md = EVP_MD_CTX_new();
    if (!g->md)
        abort();
}

void gctx_free(struct gctx *g)
{
    EVP_MD_CTX_free(g->md);
    g->md = NULL;
}

void gctx_update(struct gctx *g, enum snp_page_type type, uint64_t gpa,
                 const uint8_t contents[GCTX_LD_LEN])
{
    uint8_t pi[PAGE_INFO_LEN] = {0};
    memcpy(pi + PI_DIGEST, g->ld, GCTX_LD_LEN);
    memcpy(pi + PI_CONTENTS, contents, GCTX_LD_LEN);
    put_le16(pi + PI_LENGTH, PAGE_INFO_LEN);
    pi[PI_PAGE_TYPE] = (uint8_t)type;
    pi[PI_IMI_PAGE] = 0;
    put_le64(pi + PI_GPA, gpa);
    digest(g, pi, sizeof(pi), g->ld);
}

void gctx_page_digest(struct gctx *g, const uint8_t *page, uint8_t out[GCTX_LD_LEN])
{
    digest(g, page, GCTX_PAGE_SIZE, out);
}

void gctx_update_normal_pages(struct gctx *g, uint64_t gpa, const uint8_t *data, size_t len)
{
    uint8_t d[GCTX_LD_LEN];
    for (size_t off = 0; off + GCTX_PAGE_SIZE <= len; off += GCTX_PAGE_SIZE) {
        gctx_page_digest(g, data + off, d);
        gctx_update(g, SNP_PAGE_NORMAL, gpa + off, d);
    }
}

void gctx_update_empty_pages(struct gctx *g, enum snp_page_type type, uint64_t gpa, uint64_t len)
{
    static const uint8_t zeros[GCTX_LD_LEN];
    for (uint64_t off = 0; off + GCTX_PAGE_SIZE <= len; off += GCTX_PAGE_SIZE)
        gctx_update(g, type, gpa + off, zeros);
}

void gctx_update_vmsa(struct gctx *g, const uint8_t page_digest[GCTX_LD_LEN])
{
    gctx_update(g, SNP_PAGE_VMSA, GCTX_VMSA_GPA, page_digest);
}
