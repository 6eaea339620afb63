/* SEV-SNP attestation reports: decoding (attest/report.h) and verification
 * against AMD's certificates (attest/attest.h). The reference report,
 * VCEKs and ARK/ASK come from tests/fixtures/reference/attestation (virtee/sev's
 * test data); the figures below are its README's and what
 * `openssl asn1parse -inform DER -in vcek_*.der` shows of the VCEKs'
 * extensions. Synthetic reports check the offsets of the fields a
 * version 2 report lacks against the ABI specification's table. */
#include "harness.h"

#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/util.h"
#include "attest/appraise.h"
#include "attest/attest.h"
#include "attest/host_data.h"
#include "attest/report.h"

#include <errno.h>
#include <openssl/x509.h>
#include <unistd.h>

#define MILAN_MEASUREMENT                                                                            \
    "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f"
#define MILAN_CHIP_ID                                                                                \
    "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e24" \
    "4324884738c72b082e2f87a44d541eb6"

/* The reference report's bytes (hex text in the reference folder). */
static void milan_report_bytes(uint8_t out[REPORT_LEN])
{
    REQUIRE_REFERENCE();
    _cleanup_free_ char *text = NULL;
    CHECK(file_read_text(ref_path("attestation/report_milan.hex"), &text, 1 << 16) == 0);
    size_t n = strcspn(text, "\r\n");
    text[n] = 0;
    CHECK_EQ_INT(hex_decode(text, out, REPORT_LEN), REPORT_LEN);
}

static void milan_report(struct report *r)
{
    uint8_t buf[REPORT_LEN];
    milan_report_bytes(buf);
    CHECK_EQ_INT(report_parse(buf, sizeof(buf), "milan", r), 0);
}

static X509 *ref_cert(const char *name, enum attest_role role)
{
    X509 *x = attest_cert_load(ref_path(name), role);
    if (!x)
        FAIL_("%s: %s", name, err_msg());
    return x;
}

static char *hex(const uint8_t *p, size_t n)
{
    return hex_string(p, n);
}

TEST(milan_report_fields)
{
    struct report r;
    milan_report(&r);
    CHECK_EQ_U64(r.version, 2);
    CHECK_EQ_U64(r.policy, 0x30000);
    CHECK_EQ_U64(r.sig_algo, 1);
    CHECK(!r.has_cpuid);
    CHECK(!r.has_mit_vectors);
    CHECK_EQ_INT(report_cpuid_generation(&r), REPORT_GEN_UNKNOWN);
    _cleanup_free_ char *m = hex(r.measurement, sizeof(r.measurement));
    CHECK_STR(m, MILAN_MEASUREMENT);
    _cleanup_free_ char *tcb = hex(r.reported_tcb, 8);
    CHECK_STR(tcb, "0300000000000873");
    _cleanup_free_ char *chip = hex(r.chip_id, sizeof(r.chip_id));
    CHECK_STR(chip, MILAN_CHIP_ID);
    CHECK_EQ_U64(report_signing_key(&r), REPORT_KEY_VCEK);
    struct report_tcb t;
    CHECK_EQ_INT(report_tcb_decode(r.reported_tcb, REPORT_GEN_MILAN, &t), 0);
    CHECK_EQ_U64(t.boot_loader, 3);
    CHECK_EQ_U64(t.tee, 0);
    CHECK_EQ_U64(t.snp, 8);
    CHECK_EQ_U64(t.microcode, 0x73);
    CHECK(!t.has_fmc);
    CHECK_EQ_INT(report_tcb_decode(r.reported_tcb, REPORT_GEN_UNKNOWN, &t), -EINVAL);
    /* a version 2 report named by neither: Milan's and Genoa's layout */
    struct report_tcb both;
    CHECK_EQ_INT(report_tcb_decode(r.reported_tcb, REPORT_GEN_MILAN_OR_GENOA, &both), 0);
    CHECK(both.boot_loader == 3 && both.tee == 0 && both.snp == 8 && both.microcode == 0x73 && !both.has_fmc);
}

TEST(milan_report_json)
{
    struct report r;
    milan_report(&r);
    json_t *j = report_to_json(&r, REPORT_GEN_MILAN);
    CHECK_STR(json_string_value(json_object_get(j, "generation")), "Milan");
    json_t *p = json_object_get(j, "policy");
    CHECK_STR(json_string_value(json_object_get(p, "value")), "0x30000");
    CHECK(json_is_true(json_object_get(p, "smt_allowed")));
    CHECK(json_is_false(json_object_get(p, "debug_allowed")));
    json_t *tcb = json_object_get(j, "reported_tcb");
    CHECK_EQ_INT(json_integer_value(json_object_get(tcb, "microcode")), 0x73);
    CHECK(!json_object_get(tcb, "fmc"));
    CHECK(!json_object_get(j, "cpuid"));
    CHECK_STR(json_string_value(json_object_get(j, "current_version")), "1.52.4");
    json_decref(j);
    /* Without a generation the TCBs are given raw only. */
    j = report_to_json(&r, REPORT_GEN_UNKNOWN);
    CHECK(json_is_null(json_object_get(j, "generation")));
    CHECK_EQ_U64(json_object_size(json_object_get(j, "reported_tcb")), 1);
    json_decref(j);
}

/* A synthetic report of a version with CPUID fields and mitigation vectors. */
static void synthetic(uint8_t buf[REPORT_LEN], uint32_t version)
{
    memset(buf, 0, REPORT_LEN);
    buf[0x000] = (uint8_t)version;
    buf[0x034] = 1;                     /* SIGNATURE_ALGO */
    buf[0x188] = 0x1A;                  /* CPUID_FAM_ID: Turin */
    buf[0x189] = 0x02;                  /* CPUID_MOD_ID */
    buf[0x18A] = 0x01;                  /* CPUID_STEP */
    /* REPORTED_TCB, Turin layout: FMC, boot loader, TEE, SNP, 3 reserved, microcode. */
    memcpy(buf + 0x180, (uint8_t[]){1, 2, 3, 4, 0, 0, 0, 5}, 8);
    buf[0x1F8] = 0x11;                  /* LAUNCH_MIT_VECTOR */
    buf[0x200] = 0x22;                  /* CURRENT_MIT_VECTOR */
    buf[0x048] = 7 << 2;                /* KEY_INFO.SIGNING_KEY: none */
}

TEST(version_5_turin_fields)
{
    uint8_t buf[REPORT_LEN];
    synthetic(buf, 5);
    struct report r;
    CHECK_EQ_INT(report_parse(buf, sizeof(buf), "v5", &r), 0);
    CHECK(r.has_cpuid && r.has_mit_vectors);
    CHECK_EQ_U64(r.cpuid_stepping, 1);
    CHECK_EQ_U64(r.launch_mit_vector, 0x11);
    CHECK_EQ_U64(r.current_mit_vector, 0x22);
    CHECK_EQ_U64(report_signing_key(&r), REPORT_KEY_NONE);
    CHECK_EQ_INT(report_cpuid_generation(&r), REPORT_GEN_TURIN);
    struct report_tcb t;
    CHECK_EQ_INT(report_tcb_decode(r.reported_tcb, REPORT_GEN_TURIN, &t), 0);
    CHECK(t.has_fmc);
    CHECK_EQ_U64(t.fmc, 1);
    CHECK_EQ_U64(t.boot_loader, 2);
    CHECK_EQ_U64(t.tee, 3);
    CHECK_EQ_U64(t.snp, 4);
    CHECK_EQ_U64(t.microcode, 5);
    _cleanup_free_ char *s = report_tcb_string(&t);
    CHECK_STR(s, "boot_loader 2 tee 3 snp 4 microcode 5 fmc 1");
    json_t *j = report_to_json(&r, report_cpuid_generation(&r));
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "cpuid"), "family")), "0x1a");
    CHECK_STR(json_string_value(json_object_get(j, "launch_mit_vector")), "0x11");
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "key_info"), "signing_key")), "none");
    json_decref(j);
}

TEST(version_3_has_cpuid_not_mit_vectors)
{
    uint8_t buf[REPORT_LEN];
    synthetic(buf, 3);
    struct report r;
    CHECK_EQ_INT(report_parse(buf, sizeof(buf), "v3", &r), 0);
    CHECK(r.has_cpuid);
    CHECK(!r.has_mit_vectors);
    CHECK_EQ_U64(r.launch_mit_vector, 0);
}

TEST(generation_names)
{
    CHECK_EQ_INT(report_generation_parse("Milan-B0"), REPORT_GEN_MILAN);
    CHECK_EQ_INT(report_generation_parse("genoa"), REPORT_GEN_GENOA);
    CHECK_EQ_INT(report_generation_parse("Turin"), REPORT_GEN_TURIN);
    CHECK_EQ_INT(report_generation_parse("Venice"), REPORT_GEN_UNKNOWN);
    CHECK_EQ_INT(report_generation_parse("Mila"), REPORT_GEN_UNKNOWN);
    CHECK_EQ_INT(report_generation_parse(""), REPORT_GEN_UNKNOWN);
    CHECK_STR(report_generation_name(REPORT_GEN_GENOA), "Genoa");
    CHECK_STR(report_generation_name(REPORT_GEN_MILAN_OR_GENOA), "Milan or Genoa");
    /* a name names one processor */
    CHECK_EQ_INT(report_generation_parse("Milan or Genoa"), REPORT_GEN_UNKNOWN);
}

TEST(cpuid_generations)
{
    static const struct { uint8_t family, model; enum report_generation g; } cases[] = {
        {0x19, 0x01, REPORT_GEN_MILAN}, {0x19, 0x11, REPORT_GEN_GENOA}, {0x19, 0xA0, REPORT_GEN_GENOA},
        {0x1A, 0x02, REPORT_GEN_TURIN}, {0x1A, 0x11, REPORT_GEN_TURIN}, {0x1A, 0x50, REPORT_GEN_UNKNOWN},
        {0x19, 0x30, REPORT_GEN_UNKNOWN}, {0x17, 0x31, REPORT_GEN_UNKNOWN},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct report r = {.has_cpuid = true, .cpuid_family = cases[i].family, .cpuid_model = cases[i].model};
        if (report_cpuid_generation(&r) != cases[i].g)
            FAIL_("family 0x%x model 0x%x: %s", cases[i].family, cases[i].model,
                  report_generation_name(report_cpuid_generation(&r)));
    }
}

static void expect_parse_error(const uint8_t *buf, size_t len, const char *needle)
{
    struct report r;
    CHECK_EQ_INT(report_parse(buf, len, "in.bin", &r), -EINVAL);
    if (!strstr(err_msg(), needle))
        FAIL_("'%s' does not say '%s'", err_msg(), needle);
}

TEST(bad_reports)
{
    uint8_t buf[2 * REPORT_LEN + 1];
    synthetic(buf, 2);
    expect_parse_error(buf, REPORT_LEN - 1, "in.bin: 1183 bytes; an SEV-SNP attestation report is 1184 bytes");
    expect_parse_error(buf, REPORT_LEN + 1, "1185 bytes");
    expect_parse_error(buf, 0, "0 bytes");
    for (uint32_t v = 0; v < 8; v++) {
        if (v == 2 || v == 3 || v == 5)
            continue;
        synthetic(buf, v);
        expect_parse_error(buf, REPORT_LEN, "unknown report version");
    }
    synthetic(buf, 2);
    buf[0x034] = 2;
    expect_parse_error(buf, REPORT_LEN, "unknown signature algorithm 2");
    memset(buf, 'a', 2 * REPORT_LEN);
    buf[2 * REPORT_LEN] = '\n';
    expect_parse_error(buf, sizeof(buf), "hex text");
}

TEST(vcek_extensions)
{
    REQUIRE_REFERENCE();
    X509 *milan = ref_cert("attestation/vcek_milan.der", ATTEST_VCEK);
    struct vcek_info v;
    CHECK_EQ_INT(attest_vcek_info(milan, "vcek_milan.der", &v), 0);
    X509_free(milan);
    CHECK_STR(v.product, "Milan-B0");
    CHECK_EQ_INT(v.generation, REPORT_GEN_MILAN);
    struct report_tcb t;
    CHECK_EQ_INT(attest_vcek_tcb(&v, &t), 0);
    _cleanup_free_ char *s = report_tcb_string(&t);
    CHECK_STR(s, "boot_loader 3 tee 0 snp 8 microcode 115");
    _cleanup_free_ char *hw = hex(v.hwid, v.hwid_len);
    CHECK_STR(hw, MILAN_CHIP_ID);

    X509 *turin = ref_cert("attestation/vcek_turin.der", ATTEST_VCEK);
    CHECK_EQ_INT(attest_vcek_info(turin, "vcek_turin.der", &v), 0);
    X509_free(turin);
    CHECK_STR(v.product, "Turin");
    CHECK_EQ_INT(v.generation, REPORT_GEN_TURIN);
    CHECK_EQ_INT(attest_vcek_tcb(&v, &t), 0);
    _cleanup_free_ char *ts = report_tcb_string(&t);
    CHECK_STR(ts, "boot_loader 0 tee 0 snp 0 microcode 9 fmc 0");
    _cleanup_free_ char *thw = hex(v.hwid, v.hwid_len);
    CHECK_STR(thw, "1e550a8ee5cf9f4d");
}

/* The productName is printed in check lines ("actual VCEK product ..."): a
 * control byte or a non-ASCII byte in it is refused, naming the file; and a
 * product of no known generation has no TCB, which says so (found by the
 * hostile-input suite: a flipped byte printed raw, and an error without a
 * message). */
TEST(vcek_product_name_printable)
{
    REQUIRE_REFERENCE();
    _cleanup_free_ uint8_t *der = NULL;
    size_t len;
    CHECK(file_read_all(ref_path("attestation/vcek_milan.der"), &der, &len, 1 << 16) == 0);
    uint8_t *name = memmem(der, len, "Milan-B0", 8);
    CHECK(name);
    static const uint8_t bad[] = {'\n', 0x1b, 0x7f, 0xc3};
    struct vcek_info v;
    for (size_t i = 0; i < sizeof(bad); i++) {
        name[2] = bad[i];
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        CHECK(x);
        CHECK_EQ_INT(attest_vcek_info(x, "bad.der", &v), -EINVAL);
        X509_free(x);
        CHECK_STR(err_msg(), "bad.der: productName extension (1.3.6.1.4.1.3704.1.2) is not a short printable string");
    }
    name[2] = 'x'; /* "Mixan-B0": printable, of no generation */
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    CHECK(x);
    CHECK_EQ_INT(attest_vcek_info(x, "odd.der", &v), 0);
    X509_free(x);
    CHECK_EQ_INT(v.generation, REPORT_GEN_UNKNOWN);
    struct report_tcb t;
    err_clear();
    CHECK_EQ_INT(attest_vcek_tcb(&v, &t), -EINVAL);
    CHECK_STR(err_msg(), "VCEK product Mixan-B0: no known TCB layout");
}

TEST(cert_chain_file)
{
    REQUIRE_REFERENCE();
    X509 *ask = NULL, *ark = NULL;
    CHECK_EQ_INT(attest_chain_load(ref_path("attestation/cert_chain_milan"), &ask, &ark), 0);
    X509 *ark_pem = ref_cert("attestation/milan_ark.pem", ATTEST_ARK);
    X509 *ask_pem = ref_cert("attestation/milan_ask.pem", ATTEST_ASK);
    CHECK_EQ_INT(X509_cmp(ark, ark_pem), 0);
    CHECK_EQ_INT(X509_cmp(ask, ask_pem), 0);
    X509_free(ask);
    X509_free(ark);
    X509_free(ark_pem);
    X509_free(ask_pem);
}

static void expect_load_error(const char *path, enum attest_role role, const char *needle)
{
    X509 *x = attest_cert_load(path, role);
    X509_free(x);
    CHECK(!x);
    if (!strstr(err_msg(), needle))
        FAIL_("'%s' does not say '%s'", err_msg(), needle);
}

TEST(bad_certificates)
{
    REQUIRE_REFERENCE();
    expect_load_error(ref_path("attestation/report_milan.hex"), ATTEST_ARK, "not a certificate");
    expect_load_error(ref_path("attestation/vcek_milan.der"), ATTEST_ARK, "the ARK's key is EC");
    expect_load_error(ref_path("attestation/milan_ark.pem"), ATTEST_VCEK, "a VCEK has an EC P-384 key");
    expect_load_error(ref_path("attestation/cert_chain_milan"), ATTEST_ASK, "2 certificates");
    X509 *ask = NULL, *ark = NULL;
    CHECK_EQ_INT(attest_chain_load(ref_path("attestation/milan_ark.pem"), &ask, &ark), -EINVAL);
    CHECK(strstr(err_msg(), "a cert_chain holds two"));
    CHECK(!ask && !ark);
    /* A DER certificate with a byte more after it. */
    char tmpl[] = "/tmp/test_report.XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    _cleanup_free_ uint8_t *der = NULL;
    size_t len;
    CHECK_EQ_INT(file_read_all(ref_path("attestation/vcek_milan.der"), &der, &len, 0), 0);
    CHECK(write(fd, der, len) == (ssize_t)len && write(fd, "x", 1) == 1);
    close(fd);
    expect_load_error(tmpl, ATTEST_VCEK, "not a certificate");
    unlink(tmpl);
}

struct tally {
    char failed_ids[256];
    int passed, failed;
};

static void count(const struct attest_check *c, void *ctx)
{
    struct tally *t = ctx;
    if (c->ok) {
        t->passed++;
    } else {
        t->failed++;
        size_t n = strlen(t->failed_ids);
        snprintf(t->failed_ids + n, sizeof(t->failed_ids) - n, "%s%s", n ? "," : "", c->id);
    }
}

/* Verify the Milan report, modified by tweak, with the Milan chain and
 * AMD's pinned roots. */
typedef void tweak_fn(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e);

static struct tally verify_milan(tweak_fn *tweak)
{
    uint8_t buf[REPORT_LEN];
    milan_report_bytes(buf);
    struct appraise_launch m = {.label = "published"};
    CHECK_EQ_INT(hex_decode(MILAN_MEASUREMENT, m.digest, sizeof(m.digest)), REPORT_MEASUREMENT_LEN);
    static uint8_t zeros[REPORT_HOST_DATA_LEN];
    struct attest_opts o = {
        .ark = ref_cert("attestation/milan_ark.pem", ATTEST_ARK),
        .ask = ref_cert("attestation/milan_ask.pem", ATTEST_ASK),
        .vcek = ref_cert("attestation/vcek_milan.der", ATTEST_VCEK),
        .vcek_what = "vcek_milan.der",
    };
    struct appraise_expect e = {
        .launches = &m,
        .n_launches = 1,
        .check_measurement = true,
        .host_data = zeros,
    };
    if (tweak)
        tweak(buf, &o, &e);
    struct report r;
    CHECK_EQ_INT(report_parse(buf, sizeof(buf), "milan", &r), 0);
    o.report = &r;
    struct tally t;
    memset(&t, 0, sizeof(t));
    int failed = appraise_report(&o, &e, count, &t);
    X509_free(o.ark);
    X509_free(o.ask);
    X509_free(o.vcek);
    X509_free(o.trusted_ark);
    CHECK_EQ_INT(failed, t.failed);
    return t;
}

TEST(verify_milan_passes)
{
    REQUIRE_REFERENCE();
    struct tally t = verify_milan(NULL);
    CHECK_STR(t.failed_ids, "");
    CHECK_EQ_INT(t.passed, 10);
}

static void flip_measurement(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    buf[0x90] ^= 1;
}

static void flip_unmeasured_reserved(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    buf[0x1A0 - 1] ^= 1; /* reserved, but signed */
}

static void flip_signature(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    buf[0x2A0] ^= 1;
}

static void flip_tcb(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    buf[0x186] = 9; /* REPORTED_TCB.SNP */
}

static void other_measurement(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->n_launches = 0;
}

static void say_genoa(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    o->generation = REPORT_GEN_GENOA;
}

static void swap_ark_for_ask(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    X509 *t = o->ark;
    o->ark = o->ask;
    o->ask = t;
}

/* AMD's Genoa root in place of Milan's: a real AMD key, the wrong one. */
static void genoa_ark(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    X509_free(o->ark);
    o->ark = ref_cert("attestation/genoa_ark.pem", ATTEST_ARK);
}

/* --trust-ark naming AMD's Genoa root while the chain is Milan's. */
static void trust_other_root(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    o->trusted_ark = ref_cert("attestation/genoa_ark.pem", ATTEST_ARK);
    o->trusted_ark_what = "genoa_ark.pem";
}

/* The Milan report's own figures (its README and `report show`): policy
 * 0x30000, VMPL 0... a stricter expectation for each. */
static void want_single_socket(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->check_policy = true;
    e->policy = 0x30000 | 1u << 20;
    e->policy_source = "test";
}

static void want_vmpl_2(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->check_vmpl = true;
    e->vmpl = 2;
}

static void want_svn_1(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->check_svn = true;
    e->min_svn = 1;
    e->svn_source = "test";
}

static void want_snp_99(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->check_tcb = true;
    CHECK_EQ_INT(appraise_tcb_parse("bl=0,tee=0,snp=99,ucode=0", "test", &e->min_tcb), 0);
    e->tcb_source = "test";
}

static uint8_t ones[48] = {1};

static void want_id_key(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->id_key_digest = ones;
    e->key_source = "test";
}

static void want_author_key(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->author_key_digest = ones;
    e->key_source = "test";
}

static void want_host_data(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->host_data = ones;
}

/* What the Milan report does satisfy: its policy, VMPL 0, SVN 0, its TCB. */
static void want_its_own(uint8_t *buf, struct attest_opts *o, struct appraise_expect *e)
{
    e->check_policy = true;
    e->policy = APPRAISE_DEFAULT_POLICY;
    e->policy_source = "test";
    e->check_vmpl = true;
    e->check_svn = true;
    e->svn_source = "test";
    e->check_tcb = true;
    e->tcb_source = "test";
    CHECK_EQ_INT(appraise_tcb_parse("bl=3,tee=0,snp=8,ucode=115", "test", &e->min_tcb), 0);
}

TEST(verify_milan_appraisal_passes)
{
    REQUIRE_REFERENCE();
    struct tally t = verify_milan(want_its_own);
    CHECK_STR(t.failed_ids, "");
    CHECK_EQ_INT(t.passed, 14);
}

TEST(verify_milan_failures)
{
    REQUIRE_REFERENCE();
    static const struct {
        tweak_fn *tweak;
        const char *failed;
    } cases[] = {
        {flip_measurement, "report_signature,measurement"},
        {flip_unmeasured_reserved, "report_signature"},
        {flip_signature, "report_signature"},
        {flip_tcb, "report_signature,reported_tcb"},
        {other_measurement, "measurement"},
        {say_genoa, "generation"},
        {swap_ark_for_ask, "root,ark,ask,vcek"},
        {genoa_ark, "root,ask"},
        {trust_other_root, "root"},
        {want_single_socket, "policy"},
        {want_vmpl_2, "vmpl"},
        {want_svn_1, "guest_svn"},
        {want_snp_99, "min_tcb"},
        {want_id_key, "id_key"},
        {want_author_key, "author_key"},
        {want_host_data, "host_data"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct tally t = verify_milan(cases[i].tweak);
        if (strcmp(t.failed_ids, cases[i].failed))
            FAIL_("case %zu: failed %s, expected %s", i, t.failed_ids, cases[i].failed);
    }
}

/* Every pinned key is the SPKI of AMD's certificate in the reference
 * folder (virtee/sev's copies of what AMD's KDS serves), with its CN. */
TEST(amd_roots_pinned_from_reference_certs)
{
    REQUIRE_REFERENCE();
    static const struct {
        const char *file;
        int index;   /* in a cert_chain: 0 the ASK, 1 the ARK; -1 a single certificate */
    } certs[] = {
        {"attestation/milan_ark.pem", -1}, {"attestation/milan_ask.pem", -1}, {"attestation/genoa_ark.pem", -1},
        {"attestation/genoa_ask.pem", -1}, {"attestation/cert_chain_turin", 1}, {"attestation/cert_chain_turin", 0},
    };
    size_t n;
    const struct amd_root *roots = attest_amd_roots(&n);
    CHECK_EQ_INT(n, ARRAY_SIZE(certs));
    for (size_t i = 0; i < n; i++) {
        X509 *x, *ask = NULL, *ark = NULL;
        if (certs[i].index < 0) {
            x = ref_cert(certs[i].file, roots[i].role);
        } else {
            CHECK_EQ_INT(attest_chain_load(ref_path(certs[i].file), &ask, &ark), 0);
            x = certs[i].index ? ark : ask;
            X509_free(certs[i].index ? ask : ark);
        }
        char spki[65];
        CHECK_EQ_INT(attest_spki_sha256(x, spki), 0);
        CHECK_STR(spki, roots[i].spki_sha256);
        CHECK(attest_amd_root_find(spki) == &roots[i]);
        char cn[64];
        CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0);
        CHECK_STR(cn, roots[i].name);
        X509_free(x);
    }
    char none[65];
    memset(none, '0', 64);
    none[64] = 0;
    CHECK(attest_amd_root_find(none) == NULL);
}
