#include "measure/measure.h"
#include "measure/gctx.h"
#include "measure/sev_hashes.h"
#include "measure/snp.h"
#include "measure/vmsa.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

/* The SVSM's own entry state asks for SNP with nothing else enabled. */
#define SVSM_SEV_FEATURES 0x1

enum { VMSA_BSP, VMSA_AP };

struct measure_ctx {
    enum sev_mode mode;
    struct ovmf fw, svsm;
    bool has_svsm, has_kernel, has_initrd, has_ap;
    struct sev_hashes hashes;
    char *vars_path;
    /* The VMSA of the boot processor, and of every other vCPU. */
    uint8_t vmsa[2][VMSA_PAGE_SIZE];
    /* SNP modes: the chain, its value before any VMSA, the VMSA digests. */
    struct gctx g;
    uint8_t prefix_ld[GCTX_LD_LEN];
    uint8_t vmsa_digest[2][GCTX_LD_LEN];
    /* SEV, SEV-ES: SHA-256 before any VMSA, and as far as count VMSAs. */
    EVP_MD_CTX *prefix, *cur;
    unsigned count;
};

void measure_params_init(struct measure_params *p)
{
    memset(p, 0, sizeof(*p));
    p->mode = SEV_MODE_SNP;
    p->vmm = VMM_QEMU;
    p->guest_features = MEASURE_DEFAULT_GUEST_FEATURES;
}

size_t measure_digest_len(enum sev_mode mode)
{
    return mode == SEV_MODE_SEV || mode == SEV_MODE_SEV_ES ? MEASURE_SEV_DIGEST_LEN
                                                           : MEASURE_SNP_DIGEST_LEN;
}

static bool is_snp(enum sev_mode mode)
{
    return mode == SEV_MODE_SNP || mode == SEV_MODE_SNP_OVMF_HASH || mode == SEV_MODE_SNP_SVSM;
}

bool measure_firmware_has_kernel_hashes(const struct ovmf *fw, enum sev_mode mode)
{
    uint32_t gpa;
    switch (mode) {
    case SEV_MODE_SEV:
    case SEV_MODE_SEV_ES:
        return ovmf_hashes_table(fw, &gpa) && gpa != 0;
    case SEV_MODE_SNP:
    case SEV_MODE_SNP_OVMF_HASH:
        return snp_has_kernel_hashes(fw);
    case SEV_MODE_SNP_SVSM:
        break;
    }
    return false;
}

static int load_firmware(struct ovmf *fw, const struct measure_params *p)
{
    if (p->ovmf_data)
        return ovmf_parse(fw, p->ovmf_path ? p->ovmf_path : "firmware", p->ovmf_data,
                          p->ovmf_size, OVMF_FOUR_GIB);
    if (!p->ovmf_path)
        return err_set(-EINVAL, "no firmware given");
    return ovmf_load(fw, p->ovmf_path, OVMF_FOUR_GIB);
}

int measure_kernel_hashes_supported(const struct measure_params *p, bool *supported)
{
    struct ovmf fw;
    int r = load_firmware(&fw, p);
    if (r < 0)
        return r;
    *supported = measure_firmware_has_kernel_hashes(&fw, p->mode);
    ovmf_free(&fw);
    return 0;
}

static int check_params(const struct measure_params *p)
{
    if ((unsigned)p->mode > SEV_MODE_SNP_SVSM || (unsigned)p->vmm > VMM_GCE)
        return err_set(-EINVAL, "unknown guest mode or VMM type");
    if (p->mode == SEV_MODE_SNP_OVMF_HASH)
        return 0; /* the firmware pages only: nothing else counts */
    if (p->snp_ovmf_hash && p->mode != SEV_MODE_SNP)
        return err_set(-EINVAL, "a precalculated firmware hash applies to snp mode only");
    if (!p->kernel_path && ((p->initrd_path && *p->initrd_path) || (p->append && *p->append)))
        return err_set(-EINVAL, "an initrd or command line needs a kernel");
    if (p->mode != SEV_MODE_SNP_SVSM)
        return 0;
    if (p->vmm != VMM_QEMU)
        return err_set(-EINVAL, "snp:svsm mode is defined for QEMU only");
    if (!p->svsm_path)
        return err_set(-EINVAL, "snp:svsm mode needs an SVSM image");
    if (p->kernel_path)
        return err_set(-EINVAL, "snp:svsm mode does not measure a kernel");
    return 0;
}

static int load_kernel_hashes(struct measure_ctx *m, const struct measure_params *p)
{
    if (!measure_firmware_has_kernel_hashes(&m->fw, m->mode))
        return err_set(-EINVAL, "%s: kernel given, but the firmware has no %s", m->fw.name,
                       is_snp(m->mode) ? "SNP kernel-hashes section"
                                       : "SEV hashes table for measured direct boot");
    m->has_kernel = true;
    m->has_initrd = p->initrd_path && *p->initrd_path;
    return sev_hashes_compute(&m->hashes, p->kernel_path, p->initrd_path, p->append);
}

static void sha256_init(EVP_MD_CTX **ctx)
{
    *ctx = EVP_MD_CTX_new();
    if (!*ctx || !EVP_DigestInit_ex2(*ctx, EVP_sha256(), NULL))
        abort();
}

/* SEV and SEV-ES: SHA-256 of the firmware, then the kernel hashes table. */
static int open_sev(struct measure_ctx *m, const struct measure_params *p)
{
    uint32_t ap_eip = 0;
    if (m->mode == SEV_MODE_SEV_ES) {
        int r = ovmf_sev_es_reset_eip(&m->fw, &ap_eip);
        if (r < 0)
            return r;
        vmsa_build(m->vmsa[VMSA_BSP], VMSA_BSP_EIP, 0, p->vcpu_sig, p->vmm);
        vmsa_build(m->vmsa[VMSA_AP], ap_eip, 0, p->vcpu_sig, p->vmm);
        m->has_ap = ap_eip != 0;
    }
    sha256_init(&m->prefix);
    EVP_DigestUpdate(m->prefix, m->fw.data, m->fw.size);
    if (m->has_kernel) {
        uint8_t table[SEV_HASHES_PADDED_LEN];
        sev_hashes_table(&m->hashes, table);
        EVP_DigestUpdate(m->prefix, table, sizeof(table));
    }
    sha256_init(&m->cur);
    EVP_MD_CTX_copy_ex(m->cur, m->prefix);
    return 0;
}

static int open_snp(struct measure_ctx *m, const struct measure_params *p)
{
    uint32_t ap_eip;
    int r = ovmf_sev_es_reset_eip(&m->fw, &ap_eip);
    if (r < 0)
        return r;
    gctx_init(&m->g, p->snp_ovmf_hash);
    if (!p->snp_ovmf_hash && (r = snp_update_image(&m->g, &m->fw)) < 0)
        return r;
    r = snp_update_metadata(&m->g, &m->fw, m->has_kernel ? &m->hashes : NULL, p->vmm);
    if (r < 0)
        return r;
    vmsa_build(m->vmsa[VMSA_BSP], VMSA_BSP_EIP, p->guest_features, p->vcpu_sig, p->vmm);
    vmsa_build(m->vmsa[VMSA_AP], ap_eip, p->guest_features, p->vcpu_sig, p->vmm);
    m->has_ap = ap_eip != 0;
    return 0;
}

/* COCONUT-SVSM sits just below OVMF's variable store, which sits below OVMF. */
static int open_svsm(struct measure_ctx *m, const struct measure_params *p)
{
    uint64_t vars_size = p->vars_size;
    if (p->vars_path) {
        struct stat st;
        if (stat(p->vars_path, &st) < 0)
            return err_sys(-errno, "%s: cannot stat", p->vars_path);
        /* its size is what counts: a directory's or a device's means nothing */
        if (!S_ISREG(st.st_mode))
            return err_set(-EINVAL, "%s: --vars-file: not a regular file (%s)", p->vars_path,
                           S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
        vars_size = (uint64_t)st.st_size;
        m->vars_path = xstrdup(p->vars_path);
    }
    if (vars_size > m->fw.gpa)
        return err_set(-EINVAL, "%s: a variable store of %llu bytes does not fit below the firmware",
                       m->fw.name, (unsigned long long)vars_size);
    int r = ovmf_load(&m->svsm, p->svsm_path, m->fw.gpa - vars_size);
    if (r < 0)
        return r;
    m->has_svsm = true;
    uint64_t eip;
    if ((r = ovmf_svsm_reset_eip(&m->svsm, &eip)) < 0)
        return r;
    gctx_init(&m->g, NULL);
    if ((r = snp_update_image(&m->g, &m->fw)) < 0 || (r = snp_update_image(&m->g, &m->svsm)) < 0)
        return r;
    if ((r = snp_update_metadata(&m->g, &m->svsm, NULL, VMM_QEMU)) < 0)
        return r;
    vmsa_build_svsm(m->vmsa[VMSA_BSP], eip, SVSM_SEV_FEATURES, p->vcpu_sig);
    memcpy(m->vmsa[VMSA_AP], m->vmsa[VMSA_BSP], VMSA_PAGE_SIZE);
    m->has_ap = true;
    return 0;
}

static int open_mode(struct measure_ctx *m, const struct measure_params *p)
{
    int r;
    switch (m->mode) {
    case SEV_MODE_SEV:
    case SEV_MODE_SEV_ES:
        return open_sev(m, p);
    case SEV_MODE_SNP_OVMF_HASH:
        gctx_init(&m->g, NULL);
        return snp_update_image(&m->g, &m->fw);
    case SEV_MODE_SNP:
        r = open_snp(m, p);
        break;
    case SEV_MODE_SNP_SVSM:
        r = open_svsm(m, p);
        break;
    default:
        return -EINVAL;
    }
    if (r < 0)
        return r;
    for (int i = VMSA_BSP; i <= VMSA_AP; i++)
        gctx_page_digest(&m->g, m->vmsa[i], m->vmsa_digest[i]);
    return 0;
}

int measure_open(struct measure_ctx **out, const struct measure_params *p)
{
    struct measure_ctx *m = xcalloc(1, sizeof(*m));
    m->mode = p->mode;
    int r = check_params(p);
    if (r == 0)
        r = load_firmware(&m->fw, p);
    if (r == 0 && p->kernel_path && m->mode != SEV_MODE_SNP_OVMF_HASH)
        r = load_kernel_hashes(m, p);
    if (r == 0)
        r = open_mode(m, p);
    if (r < 0) {
        measure_close(m);
        return r;
    }
    memcpy(m->prefix_ld, m->g.ld, GCTX_LD_LEN);
    *out = m;
    return 0;
}

void measure_close(struct measure_ctx *m)
{
    if (!m)
        return;
    ovmf_free(&m->fw);
    ovmf_free(&m->svsm);
    gctx_free(&m->g);
    EVP_MD_CTX_free(m->prefix);
    EVP_MD_CTX_free(m->cur);
    free(m->vars_path);
    free(m);
}

const struct ovmf *measure_firmware(const struct measure_ctx *m)
{
    return &m->fw;
}

static bool has_vmsas(enum sev_mode mode)
{
    return mode == SEV_MODE_SEV_ES || mode == SEV_MODE_SNP || mode == SEV_MODE_SNP_SVSM;
}

static int check_vcpus(const struct measure_ctx *m, unsigned vcpus)
{
    if (vcpus < 1 || vcpus > MEASURE_MAX_VCPUS)
        return err_set(-ERANGE, "%u vCPUs: the count must be 1 to %u", vcpus, MEASURE_MAX_VCPUS);
    if (vcpus > 1 && !m->has_ap)
        return err_set(-EINVAL, "%s: the SEV-ES reset block gives no AP entry point: only 1 vCPU can start",
                       m->fw.name);
    return 0;
}

/* Bring the chain to vcpus VMSAs: onwards from where it is, or from the
 * firmware part when fewer are wanted. */
static void advance_to(struct measure_ctx *m, unsigned vcpus)
{
    bool sha256 = !is_snp(m->mode);
    if (vcpus < m->count) {
        if (sha256)
            EVP_MD_CTX_copy_ex(m->cur, m->prefix);
        else
            memcpy(m->g.ld, m->prefix_ld, GCTX_LD_LEN);
        m->count = 0;
    }
    for (; m->count < vcpus; m->count++) {
        int which = m->count == 0 ? VMSA_BSP : VMSA_AP;
        if (sha256)
            EVP_DigestUpdate(m->cur, m->vmsa[which], VMSA_PAGE_SIZE);
        else
            gctx_update_vmsa(&m->g, m->vmsa_digest[which]);
    }
}

int measure_digest(struct measure_ctx *m, unsigned vcpus, uint8_t *digest, size_t *len)
{
    if (has_vmsas(m->mode)) {
        int r = check_vcpus(m, vcpus);
        if (r < 0)
            return r;
        advance_to(m, vcpus);
    }
    *len = measure_digest_len(m->mode);
    if (is_snp(m->mode)) {
        memcpy(digest, m->g.ld, GCTX_LD_LEN);
        return 0;
    }
    /* Finish a copy, so that the running state can go on. */
    EVP_MD_CTX *fin = EVP_MD_CTX_new();
    if (!fin || !EVP_MD_CTX_copy_ex(fin, m->cur) || !EVP_DigestFinal_ex(fin, digest, NULL))
        abort();
    EVP_MD_CTX_free(fin);
    return 0;
}

int measure_vmsa_page(const struct measure_ctx *m, unsigned index, const uint8_t **page)
{
    if (!has_vmsas(m->mode))
        return err_set(-EINVAL, "%s mode measures no VMSA", sev_mode_name(m->mode));
    int r = check_vcpus(m, index + 1);
    if (r < 0)
        return r;
    *page = m->vmsa[index == 0 ? VMSA_BSP : VMSA_AP];
    return 0;
}

int measure_launch_digest(const struct measure_params *p, uint8_t *digest, size_t *len)
{
    struct measure_ctx *m;
    int r = measure_open(&m, p);
    if (r < 0)
        return r;
    r = measure_digest(m, p->vcpus, digest, len);
    measure_close(m);
    return r;
}

static void describe_buffer(struct measure_file *f, const uint8_t *data, size_t size)
{
    f->present = true;
    f->size = size;
    sha256_buf(data, size, f->sha256);
}

static void describe_hashed(struct measure_file *f, const uint8_t sha256[SHA256_LEN], uint64_t size)
{
    f->present = true;
    f->size = size;
    memcpy(f->sha256, sha256, SHA256_LEN);
}

int measure_describe_inputs(const struct measure_ctx *m, struct measure_inputs *in)
{
    memset(in, 0, sizeof(*in));
    describe_buffer(&in->ovmf, m->fw.data, m->fw.size);
    if (m->has_svsm)
        describe_buffer(&in->svsm, m->svsm.data, m->svsm.size);
    if (m->has_kernel)
        describe_hashed(&in->kernel, m->hashes.kernel, m->hashes.kernel_size);
    if (m->has_initrd)
        describe_hashed(&in->initrd, m->hashes.initrd, m->hashes.initrd_size);
    if (m->vars_path) {
        in->vars.present = true;
        return hash_file(m->vars_path, "sha256", in->vars.sha256, NULL, &in->vars.size);
    }
    return 0;
}
