/* measure/: the pieces against known answers (sev-snp-measure's VMSA pages,
 * CPUID signatures, SHA-256 of known strings) and the measurement context
 * against one-shot digests and the in-tree reference vectors. */
#include "harness.h"

#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"
#include "measure/gctx.h"
#include "measure/measure.h"
#include "measure/sev_hashes.h"
#include "measure/vcpu_types.h"
#include "measure/vmsa.h"

#include <errno.h>
#include <openssl/evp.h>

/* harness.h's ref_file() draws -Wformat-truncation when inlined with a
 * literal at -O2; the same lookup on the heap. */
static const char *ref_file(const char *rel)
{
    static char *ring[8];
    static int k;
    const char *d = ref_dir();
    if (!d)
        return NULL;
    k = (k + 1) % 8;
    free(ring[k]);
    ring[k] = xasprintf("%s/%s", d, rel);
    return ring[k];
}

static void check_sha256_hex(const uint8_t *buf, size_t len, const char *want)
{
    uint8_t d[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256_buf(buf, len, d);
    hex_encode(d, sizeof(d), hex);
    CHECK_STR(hex, want);
}

TEST(vcpu_signatures_match_cpuid_values)
{
    size_t n;
    const struct vcpu_type *t = vcpu_types(&n);
    CHECK_EQ_U64(n, 16);
    CHECK_STR(t[0].name, "EPYC");
    CHECK_STR(t[15].name, "EPYC-Turin");
    static const struct {
        const char *name;
        uint32_t sig;
    } known[] = {{"EPYC-v4", 0x800f12}, {"EPYC-Rome-v3", 0x830f10}, {"EPYC-Milan", 0xa00f11},
                 {"EPYC-Genoa-v1", 0xa10f10}, {"EPYC-Turin", 0xb00f00}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        uint32_t sig;
        CHECK_EQ_INT(vcpu_type_sig(known[i].name, &sig), 0);
        CHECK_EQ_U64(sig, known[i].sig);
    }
    uint32_t sig;
    CHECK_EQ_INT(vcpu_type_sig("EPYC-Bogus", &sig), -ENOENT);
    CHECK_EQ_U64(vcpu_sig(25, 1, 1), 0xa00f11);
    /* Families up to 0xf have no extended family; model and stepping wrap. */
    CHECK_EQ_U64(vcpu_sig(15, 300, 20), 0x20fc4);
}

TEST(modes_and_vmm_types_parse_by_their_command_line_names)
{
    enum sev_mode m;
    enum vmm_type v;
    CHECK_EQ_INT(sev_mode_parse("snp:ovmf-hash", &m), 0);
    CHECK_EQ_INT(m, SEV_MODE_SNP_OVMF_HASH);
    CHECK_EQ_INT(sev_mode_parse("SNP", &m), -EINVAL);
    CHECK_EQ_INT(vmm_type_parse("ec2", &v), 0);
    CHECK_EQ_INT(v, VMM_EC2);
    CHECK_EQ_INT(vmm_type_parse("qemu", &v), -EINVAL);
    CHECK_STR(sev_mode_label(SEV_MODE_SEV_ES), "SEV_ES");
    CHECK_EQ_U64(measure_digest_len(SEV_MODE_SEV_ES), 32);
    CHECK_EQ_U64(measure_digest_len(SEV_MODE_SNP_SVSM), 48);
}

/* SHA-256 of vmsa0.bin / vmsa1.bin written by sev-snp-measure --dump-vmsa
 * (tests/fixtures/vmsa-vectors.tsv; the AP entry 0x809004 and the SVSM
 * entry are those of the synthetic firmware there). */
TEST(vmsa_pages_match_sev_snp_measure)
{
    uint8_t page[VMSA_PAGE_SIZE];
    vmsa_build(page, VMSA_BSP_EIP, 0x21, 0x800f12, VMM_QEMU);
    check_sha256_hex(page, sizeof(page), "b2588f97abfa82b893444537c17d4ae97a78eb0a5f78a4d844055d8d15be091a");
    vmsa_build(page, 0x809004, 0x21, 0x800f12, VMM_QEMU);
    check_sha256_hex(page, sizeof(page), "19dfd2d9047b1a4ed90c9ea420a4a116f875e49619b4d7f2dcd4d29380efa092");
    vmsa_build(page, VMSA_BSP_EIP, 0, 0, VMM_EC2);
    check_sha256_hex(page, sizeof(page), "68f77db70cd037d5048ca3d14facee1da86e4185d8c5670d354e3cd5fe957ed8");
    vmsa_build(page, 0x809004, 0, 0, VMM_EC2);
    check_sha256_hex(page, sizeof(page), "afee859d7b5ccf5c62dcee4e8514a1ee0ac2d60fc72625be5cadda5ac77fd2db");
    vmsa_build(page, VMSA_BSP_EIP, 1, 0, VMM_GCE);
    check_sha256_hex(page, sizeof(page), "a2b1355de1e1f11159d4cfaa28a748c6d19f63b330a7cb09696eda0c5f2f8ab8");
    /* SVSM at 4 GiB - 64 KiB (OVMF) - 8 KiB (vars) - 96 KiB (itself), entry +0x120. */
    vmsa_build_svsm(page, 0xfffd6120, 1, 0xa10f10);
    check_sha256_hex(page, sizeof(page), "052162a7a94a92499a8bdaa950f3c83a0171ee8189980e9d083d98fb68915055");
}

TEST(vmsa_fields_sit_at_their_apm_offsets)
{
    uint8_t page[VMSA_PAGE_SIZE];
    vmsa_build(page, 0x809004, 0x21, 0xa00f11, VMM_QEMU);
    CHECK_EQ_U64(page[0x10] | page[0x11] << 8, 0xf000);               /* CS selector */
    CHECK_EQ_U64(page[0x1a] | page[0x1b] << 8, 0x80);                 /* CS base 0x800000 */
    CHECK_EQ_U64(page[0x178] | page[0x179] << 8, 0x9004);             /* RIP */
    CHECK_EQ_U64(page[0x310] | page[0x311] << 8 | page[0x312] << 16, 0xa00f11); /* RDX */
    CHECK_EQ_U64(page[0x3b0], 0x21);                                  /* SEV_FEATURES */
    CHECK_EQ_U64(page[0x408] | page[0x409] << 8, 0x1f80);             /* MXCSR */
    CHECK_EQ_U64(page[0x410] | page[0x411] << 8, 0x37f);              /* x87 FCW */
}

TEST(kernel_hashes_table_layout)
{
    struct sev_hashes h;
    CHECK_EQ_INT(sev_hashes_compute(&h, "/dev/null", NULL, NULL), 0);
    static const char empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    char hex[65];
    hex_encode(h.kernel, 32, hex);
    CHECK_STR(hex, empty);
    hex_encode(h.initrd, 32, hex);
    CHECK_STR(hex, empty);
    hex_encode(h.cmdline, 32, hex); /* SHA-256 of one NUL byte */
    CHECK_STR(hex, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");

    uint8_t t[SEV_HASHES_PADDED_LEN];
    sev_hashes_table(&h, t);
    static const uint8_t header_guid[] = {0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
                                          0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21};
    CHECK_MEM(t, header_guid, 16);
    CHECK_EQ_U64(t[16] | t[17] << 8, 168);
    CHECK_EQ_U64(t[18], 0xd8);          /* cmdline entry GUID 97d02dd8-… */
    CHECK_EQ_U64(t[18 + 16], 50);       /* entry length */
    CHECK_MEM(t + 18 + 18, h.cmdline, 32);
    CHECK_EQ_U64(t[68], 0x31);          /* initrd entry GUID 44baf731-… */
    CHECK_EQ_U64(t[118], 0x37);         /* kernel entry GUID 4de79437-… */
    CHECK_MEM(t + 118 + 18, h.kernel, 32);
    for (int i = 168; i < 176; i++)
        CHECK_EQ_U64(t[i], 0);

    uint8_t page[SEV_HASHES_PAGE_SIZE];
    CHECK_EQ_INT(sev_hashes_page(&h, 0xc00, page), 0);
    CHECK_MEM(page + 0xc00, t, sizeof(t));
    CHECK_EQ_INT(sev_hashes_page(&h, 4096 - 175, page), -EINVAL);
    CHECK_EQ_INT(sev_hashes_compute(&h, "/nonexistent-kernel", NULL, NULL), -ENOENT);
    CHECK(strstr(err_msg(), "/nonexistent-kernel: cannot open"));
}

TEST(gctx_update_hashes_the_page_info_structure)
{
    struct gctx g;
    uint8_t seed[48], contents[48], pi[0x70] = {0}, want[48];
    for (int i = 0; i < 48; i++) {
        seed[i] = (uint8_t)i;
        contents[i] = (uint8_t)(0xa0 + i);
    }
    gctx_init(&g, seed);
    gctx_update(&g, SNP_PAGE_CPUID, 0x1122334455667788ULL, contents);
    /* SNP ABI PAGE_INFO: digest, contents, length 0x70, page type, IMI,
     * VMPL permissions, GPA. */
    memcpy(pi, seed, 48);
    memcpy(pi + 48, contents, 48);
    pi[0x60] = 0x70;
    pi[0x62] = 6;
    for (int i = 0; i < 8; i++)
        pi[0x68 + i] = (uint8_t)(0x1122334455667788ULL >> (8 * i));
    sha384_buf(pi, sizeof(pi), want);
    CHECK_MEM(g.ld, want, 48);
    gctx_free(&g);
}

/* The AmdSev firmware suffix of the in-tree reference, loaded as a buffer. */
static void load_ref(const char *name, uint8_t **buf, size_t *len)
{
    const char *path = ref_file(name);
    if (!path)
        FAIL_("reference data tests/fixtures/reference is missing");
    CHECK_EQ_INT(file_read_all(path, buf, len, 0), 0);
}

static void check_digest_hex(const uint8_t *d, size_t len, const char *want)
{
    char hex[2 * MEASURE_DIGEST_MAX + 1];
    hex_encode(d, len, hex);
    CHECK_STR(hex, want);
}

TEST(api_matches_reference_vectors_from_a_buffer)
{
    uint8_t *fw;
    size_t fw_len;
    load_ref("snp/ovmf_AmdSev_suffix.bin", &fw, &fw_len);
    struct measure_params p;
    measure_params_init(&p);
    p.ovmf_data = fw;
    p.ovmf_size = fw_len;
    p.vcpus = 1;
    p.vcpu_sig = 0x800f12;
    uint8_t d[MEASURE_DIGEST_MAX];
    size_t len = 0;
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), 0);
    CHECK_EQ_U64(len, 48);
    check_digest_hex(d, len, "19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d");
    p.mode = SEV_MODE_SNP_OVMF_HASH;
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), 0);
    check_digest_hex(d, len, "086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74");
    /* The same hash as a seed stands in for the firmware pages. */
    uint8_t seed[48];
    memcpy(seed, d, 48);
    p.mode = SEV_MODE_SNP;
    p.snp_ovmf_hash = seed;
    p.ovmf_data = NULL;
    p.ovmf_path = ref_file("snp/ovmf_AmdSev_suffix.bin");
    p.kernel_path = "/dev/null";
    p.initrd_path = "/dev/null";
    p.append = "console=ttyS0 loglevel=7";
    p.guest_features = 0x21;
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), 0);
    check_digest_hex(d, len, "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977");
    free(fw);
}

/* Defaults, on the reference AmdSev build (fails when it is absent). */
static void amdsev_params(struct measure_params *p)
{
    const char *fw = ref_file("snp/ovmf_AmdSev_suffix.bin");
    if (!fw)
        FAIL_("reference data tests/fixtures/reference is missing");
    measure_params_init(p);
    p->ovmf_path = fw;
}

/* One context asked for counts in any order gives what separate one-shot
 * measurements give. */
static void check_counts_against_one_shot(struct measure_params *p)
{
    static const unsigned counts[] = {1, 2, 3, 8, 64, 5, 1, 64, 63};
    struct measure_ctx *m;
    CHECK_EQ_INT(measure_open(&m, p), 0);
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        uint8_t a[MEASURE_DIGEST_MAX], b[MEASURE_DIGEST_MAX];
        size_t la, lb;
        CHECK_EQ_INT(measure_digest(m, counts[i], a, &la), 0);
        p->vcpus = counts[i];
        CHECK_EQ_INT(measure_launch_digest(p, b, &lb), 0);
        CHECK_EQ_U64(la, lb);
        CHECK_MEM(a, b, la);
    }
    measure_close(m);
}

TEST(context_extends_per_count_like_fresh_measurements)
{
    struct measure_params p;
    amdsev_params(&p);
    p.vcpu_sig = 0xa00f11;
    p.kernel_path = "/dev/null";
    check_counts_against_one_shot(&p);
    p.mode = SEV_MODE_SEV_ES;
    check_counts_against_one_shot(&p);
    p.vmm = VMM_EC2;
    check_counts_against_one_shot(&p);
}

TEST(context_rejects_zero_and_too_many_vcpus)
{
    struct measure_params p;
    amdsev_params(&p);
    struct measure_ctx *m;
    CHECK_EQ_INT(measure_open(&m, &p), 0);
    uint8_t d[MEASURE_DIGEST_MAX];
    size_t len;
    CHECK_EQ_INT(measure_digest(m, 0, d, &len), -ERANGE);
    CHECK_EQ_INT(measure_digest(m, MEASURE_MAX_VCPUS + 1, d, &len), -ERANGE);
    const uint8_t *page;
    CHECK_EQ_INT(measure_vmsa_page(m, 1, &page), 0);
    CHECK_EQ_U64(page[0x178] | page[0x179] << 8, 0xb004); /* the AP entry of this build */
    measure_close(m);
}

TEST(kernel_hashes_support_per_firmware_and_mode)
{
    struct measure_params p;
    amdsev_params(&p);
    static const struct {
        const char *fw;
        enum sev_mode mode;
        bool want;
    } cases[] = {
        {"snp/ovmf_AmdSev_suffix.bin", SEV_MODE_SNP, true},
        {"snp/ovmf_AmdSev_suffix.bin", SEV_MODE_SEV, true},
        {"snp/ovmf_AmdSev_suffix.bin", SEV_MODE_SNP_SVSM, false},
        {"snp/ovmf_OvmfX64_suffix.bin", SEV_MODE_SNP, false},
        {"snp/ovmf_OvmfX64_suffix.bin", SEV_MODE_SEV_ES, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = !cases[i].want;
        p.ovmf_path = ref_file(cases[i].fw);
        p.mode = cases[i].mode;
        CHECK_EQ_INT(measure_kernel_hashes_supported(&p, &got), 0);
        CHECK_EQ_INT(got, cases[i].want);
    }
    p.ovmf_path = "/nonexistent.fd";
    bool got;
    CHECK_EQ_INT(measure_kernel_hashes_supported(&p, &got), -ENOENT);
}

TEST(describe_inputs_reports_sizes_and_sha256)
{
    struct measure_params p;
    amdsev_params(&p);
    p.kernel_path = "/dev/null";
    struct measure_ctx *m;
    CHECK_EQ_INT(measure_open(&m, &p), 0);
    struct measure_inputs in;
    CHECK_EQ_INT(measure_describe_inputs(m, &in), 0);
    uint8_t want[SHA256_LEN];
    CHECK_EQ_INT(hash_file(p.ovmf_path, "sha256", want, NULL, NULL), 0);
    CHECK(in.ovmf.present);
    CHECK_EQ_U64(in.ovmf.size, 4096);
    CHECK_MEM(in.ovmf.sha256, want, SHA256_LEN);
    CHECK(in.kernel.present);
    CHECK_EQ_U64(in.kernel.size, 0);
    CHECK(!in.initrd.present && !in.svsm.present && !in.vars.present);
    measure_close(m);
}

TEST(parameter_errors)
{
    struct measure_params p;
    measure_params_init(&p);
    uint8_t d[MEASURE_DIGEST_MAX];
    size_t len;
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), -EINVAL);
    CHECK_STR(err_msg(), "no firmware given");
    p.ovmf_path = "/nonexistent.fd";
    p.mode = SEV_MODE_SEV;
    p.snp_ovmf_hash = d;
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), -EINVAL);
    CHECK_STR(err_msg(), "a precalculated firmware hash applies to snp mode only");
    p.snp_ovmf_hash = NULL;
    p.append = "quiet";
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), -EINVAL);
    p.append = NULL;
    p.mode = SEV_MODE_SNP_SVSM;
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), -EINVAL);
    CHECK_STR(err_msg(), "snp:svsm mode needs an SVSM image");
    p.vmm = VMM_GCE;
    CHECK_EQ_INT(measure_launch_digest(&p, d, &len), -EINVAL);
    CHECK_STR(err_msg(), "snp:svsm mode is defined for QEMU only");
}
