#include "attest/attest.h"
#include "measure/id_block.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#define CERT_FILE_MAX (1u << 20)
#define CHAIN_MAX 4

/* AMD's VCEK extensions: 1.3.6.1.4.1.3704.1.N. */
#define AMD_OID "1.3.6.1.4.1.3704.1."
enum { SPL_BOOT_LOADER = 1, SPL_TEE = 2, SPL_SNP = 3, SPL_MICROCODE = 8, SPL_FMC = 9 };
static const char *const spl_names[10] = {
    [SPL_BOOT_LOADER] = "blSPL", [SPL_TEE] = "teeSPL", [SPL_SNP] = "snpSPL",
    [4] = "spl4", [5] = "spl5", [6] = "spl6", [7] = "spl7",
    [SPL_MICROCODE] = "ucodeSPL", [SPL_FMC] = "fmcSPL",
};

static const char *const role_names[] = {
    [ATTEST_ARK] = "ARK", [ATTEST_ASK] = "ASK", [ATTEST_VCEK] = "VCEK",
};

/* ------------------------------------------------------- certificates --- */

static void certs_free(X509 **certs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        X509_free(certs[i]);
}

/* Every certificate in a PEM file (up to CHAIN_MAX), or the one in a DER
 * file, which must be nothing else. */
static int certs_read(const char *path, X509 **certs, size_t *n)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    *n = 0;
    int r = file_read_all(path, &buf, &len, CERT_FILE_MAX);
    if (r < 0)
        return r;
    ERR_clear_error();
    if (memmem(buf, len, "-----BEGIN", 10)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)len);
        X509 *x;
        while (*n < CHAIN_MAX && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
            certs[(*n)++] = x;
        unsigned long e = ERR_peek_last_error();
        BIO_free(bio);
        /* The loop ends on "no start line" once past the last certificate;
         * any other error is a broken one. */
        if (*n < CHAIN_MAX && e && ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
            certs_free(certs, *n);
            *n = 0;
        }
    } else {
        const uint8_t *p = buf;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (x && p == buf + len)
            certs[(*n)++] = x;
        else
            X509_free(x);
    }
    ERR_clear_error();
    if (!*n)
        return err_set(-EINVAL, "%s: not a certificate (PEM or DER X.509)", path);
    return 0;
}

static int check_key(X509 *x, const char *path, enum attest_role role)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    ERR_clear_error();
    if (!k)
        return err_set(-EINVAL, "%s: the %s's public key cannot be read", path, role_names[role]);
    const char *type = EVP_PKEY_get0_type_name(k);
    if (role == ATTEST_VCEK) {
        char group[64] = "";
        if (!EVP_PKEY_is_a(k, "EC") || !EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) ||
            strcmp(group, "secp384r1"))
            return err_set(-EINVAL, "%s: the VCEK's key is %s%s%s; a VCEK has an EC P-384 key", path,
                           type ? type : "of an unknown type", *group ? " " : "", group);
    } else if (!EVP_PKEY_is_a(k, "RSA") && !EVP_PKEY_is_a(k, "RSA-PSS")) {
        return err_set(-EINVAL, "%s: the %s's key is %s; AMD's %s has an RSA key", path, role_names[role],
                       type ? type : "of an unknown type", role_names[role]);
    }
    return 0;
}

X509 *attest_cert_load(const char *path, enum attest_role role)
{
    X509 *certs[CHAIN_MAX];
    size_t n;
    if (certs_read(path, certs, &n) < 0)
        return NULL;
    if (n != 1) {
        certs_free(certs, n);
        err_set(-EINVAL, "%s: %s%zu certificates where the %s was expected (AMD's ASK+ARK chain goes to --cert-chain)",
                path, n == CHAIN_MAX ? "at least " : "", n, role_names[role]);
        return NULL;
    }
    if (check_key(certs[0], path, role) < 0) {
        X509_free(certs[0]);
        return NULL;
    }
    return certs[0];
}

int attest_chain_load(const char *path, X509 **ask, X509 **ark)
{
    X509 *certs[CHAIN_MAX];
    size_t n;
    int r = certs_read(path, certs, &n);
    if (r < 0)
        return r;
    if (n != 2) {
        certs_free(certs, n);
        return err_set(-EINVAL, "%s: %s%zu certificates; a cert_chain holds two, the ASK then the ARK", path,
                       n == CHAIN_MAX ? "at least " : "", n);
    }
    if ((r = check_key(certs[0], path, ATTEST_ASK)) < 0 || (r = check_key(certs[1], path, ATTEST_ARK)) < 0) {
        certs_free(certs, n);
        return r;
    }
    *ask = certs[0];
    *ark = certs[1];
    return 0;
}

/* ---------------------------------------------------- VCEK extensions --- */

static const ASN1_OCTET_STRING *amd_extension(X509 *x, const char *arc)
{
    _cleanup_free_ char *oid = xasprintf(AMD_OID "%s", arc);
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    int idx = obj ? X509_get_ext_by_OBJ(x, obj, -1) : -1;
    ASN1_OBJECT_free(obj);
    return idx < 0 ? NULL : X509_EXTENSION_get_data(X509_get_ext(x, idx));
}

static int read_product(X509 *vcek, const char *what, struct vcek_info *info)
{
    const ASN1_OCTET_STRING *d = amd_extension(vcek, "2");
    if (!d)
        return err_set(-EINVAL, "%s: no productName extension (" AMD_OID "2): not a VCEK", what);
    const unsigned char *p = ASN1_STRING_get0_data(d);
    int len = ASN1_STRING_length(d);
    ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &p, len);
    bool ok = t && p == ASN1_STRING_get0_data(d) + len &&
              (t->type == V_ASN1_IA5STRING || t->type == V_ASN1_UTF8STRING);
    int n = ok ? ASN1_STRING_length(t->value.asn1_string) : 0;
    const unsigned char *s = ok ? ASN1_STRING_get0_data(t->value.asn1_string) : NULL;
    ok = ok && n > 0 && (size_t)n < sizeof(info->product);
    /* printed in check lines: printable ASCII only (no NUL, newline or escape) */
    for (int i = 0; ok && i < n; i++)
        ok = s[i] >= 0x20 && s[i] < 0x7f;
    if (ok) {
        memcpy(info->product, s, (size_t)n);
        info->product[n] = 0;
    }
    ASN1_TYPE_free(t);
    ERR_clear_error();
    if (!ok)
        return err_set(-EINVAL, "%s: productName extension (" AMD_OID "2) is not a short printable string", what);
    info->generation = report_generation_parse(info->product);
    return 0;
}

/* An SPL extension: a DER INTEGER from 0 to 255. Absent is not an error here. */
static int read_spl(X509 *vcek, const char *what, unsigned arc, struct vcek_info *info)
{
    _cleanup_free_ char *sub = xasprintf("3.%u", arc);
    const ASN1_OCTET_STRING *d = amd_extension(vcek, sub);
    if (!d)
        return 0;
    const unsigned char *p = ASN1_STRING_get0_data(d);
    int len = ASN1_STRING_length(d);
    ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, len);
    int64_t v = -1;
    bool ok = i && p == ASN1_STRING_get0_data(d) + len && ASN1_INTEGER_get_int64(&v, i) && v >= 0 && v <= 255;
    ASN1_INTEGER_free(i);
    ERR_clear_error();
    if (!ok)
        return err_set(-EINVAL, "%s: %s extension (" AMD_OID "3.%u) is not an integer from 0 to 255", what,
                       spl_names[arc], arc);
    info->spl[arc] = (uint8_t)v;
    info->has_spl[arc] = true;
    return 0;
}

int attest_vcek_info(X509 *vcek, const char *what, struct vcek_info *info)
{
    memset(info, 0, sizeof(*info));
    int r = read_product(vcek, what, info);
    for (unsigned arc = 1; !r && arc < ARRAY_SIZE(spl_names); arc++)
        r = read_spl(vcek, what, arc, info);
    if (r < 0)
        return r;
    static const unsigned needed[] = {SPL_BOOT_LOADER, SPL_TEE, SPL_SNP, SPL_MICROCODE, SPL_FMC};
    size_t n_needed = ARRAY_SIZE(needed) - (info->generation != REPORT_GEN_TURIN);
    for (size_t i = 0; i < n_needed; i++)
        if (!info->has_spl[needed[i]])
            return err_set(-EINVAL, "%s: no %s extension (" AMD_OID "3.%u), which a %s VCEK has", what,
                           spl_names[needed[i]], needed[i], info->product);
    /* hwID: the raw chip ID, 64 bytes, or 8 on Turin. */
    const ASN1_OCTET_STRING *d = amd_extension(vcek, "4");
    if (!d)
        return err_set(-EINVAL, "%s: no hwID extension (" AMD_OID "4)", what);
    int len = ASN1_STRING_length(d);
    if (len != 8 && len != VCEK_HWID_MAX)
        return err_set(-EINVAL, "%s: hwID extension (" AMD_OID "4) of %d bytes; chip IDs are 8 or 64", what,
                       len);
    memcpy(info->hwid, ASN1_STRING_get0_data(d), (size_t)len);
    info->hwid_len = (size_t)len;
    return 0;
}

int attest_vcek_tcb(const struct vcek_info *info, struct report_tcb *t)
{
    if (info->generation == REPORT_GEN_UNKNOWN)
        return err_set(-EINVAL, "VCEK product %s: no known TCB layout", info->product);
    *t = (struct report_tcb){
        .boot_loader = info->spl[SPL_BOOT_LOADER],
        .tee = info->spl[SPL_TEE],
        .snp = info->spl[SPL_SNP],
        .microcode = info->spl[SPL_MICROCODE],
        .fmc = info->spl[SPL_FMC],
        .has_fmc = info->generation == REPORT_GEN_TURIN,
    };
    return 0;
}

/* ------------------------------------------------------------- checks --- */

void attest_pass(struct attest_checker *c, const char *what)
{
    c->report(&(struct attest_check){.ok = true, .id = c->id, .what = what}, c->ctx);
}

void attest_fail(struct attest_checker *c, const char *what, const char *expected, const char *actual)
{
    c->failed++;
    c->report(&(struct attest_check){.ok = false, .id = c->id, .what = what, .expected = expected,
                                     .actual = actual},
              c->ctx);
}

static char *common_name(X509 *x)
{
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) < 0)
        snprintf(cn, sizeof(cn), "(no common name)");
    return xstrdup(cn);
}

/* cert's signature: RSASSA-PSS with SHA-384, by issuer's key, issuer named. */
static void check_signed_by(struct attest_checker *c, const char *what, X509 *cert, X509 *issuer)
{
    int md = NID_undef, pk = NID_undef;
    X509_get_signature_info(cert, &md, &pk, NULL, NULL);
    ERR_clear_error();
    if (pk != EVP_PKEY_RSA_PSS || md != NID_sha384) {
        _cleanup_free_ char *actual =
            pk == EVP_PKEY_RSA_PSS ? xasprintf("RSASSA-PSS with %s", md == NID_undef ? "an unknown digest" : OBJ_nid2sn(md))
                                   : xstrdup(OBJ_nid2ln(X509_get_signature_nid(cert)));
        return attest_fail(c, what, "RSASSA-PSS with SHA384", actual);
    }
    _cleanup_free_ char *want = common_name(issuer);
    if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer))) {
        char got[256] = "(no common name)";
        X509_NAME_get_text_by_NID(X509_get_issuer_name(cert), NID_commonName, got, sizeof(got));
        _cleanup_free_ char *e = xasprintf("issuer %s", want), *a = xasprintf("issuer %s", got);
        return attest_fail(c, what, e, a);
    }
    int ok = X509_verify(cert, X509_get0_pubkey(issuer));
    ERR_clear_error();
    if (ok != 1) {
        _cleanup_free_ char *e = xasprintf("a signature by %s's key", want);
        return attest_fail(c, what, e, "the signature does not verify");
    }
    attest_pass(c, what);
}

static const char *signing_key_name(unsigned key)
{
    return key == REPORT_KEY_VCEK ? "VCEK" : key == REPORT_KEY_VLEK ? "VLEK" : key == REPORT_KEY_NONE ? "none" : "reserved";
}

/* ECDSA P-384 over bytes 0x000-0x29F; R and S little-endian. */
static bool report_signature_verifies(const struct report *r, X509 *vcek)
{
    return snp_signature_verify(r->raw + REPORT_SIGNED_LEN, X509_get0_pubkey(vcek), r->raw, REPORT_SIGNED_LEN);
}

static void check_report_signature(struct attest_checker *c, const struct report *r, X509 *vcek)
{
    const char *what = "report signed by VCEK";
    unsigned key = report_signing_key(r);
    if (key != REPORT_KEY_VCEK) {
        _cleanup_free_ char *a = xasprintf("signing key %s (key info 0x%x)", signing_key_name(key), r->key_info);
        return attest_fail(c, what, "signing key VCEK", a);
    }
    if (!report_signature_verifies(r, vcek))
        return attest_fail(c, what, "an ECDSA P-384 signature by the VCEK's key", "the signature does not verify");
    attest_pass(c, what);
}

/* The VCEK names the generation; the report's CPUID (version 3+) and the
 * user's word, when there are, must agree with it. */
static void check_generation(struct attest_checker *c, const struct attest_opts *o, const struct vcek_info *v)
{
    const struct report *r = o->report;
    _cleanup_free_ char *what = xasprintf("generation %s", report_generation_name(v->generation));
    enum report_generation cpuid = report_cpuid_generation(r);
    _cleanup_free_ char *vcek = xasprintf("%s (VCEK product %s)", report_generation_name(v->generation), v->product);
    if (v->generation == REPORT_GEN_UNKNOWN) {
        _cleanup_free_ char *a = xasprintf("VCEK product %s", v->product);
        return attest_fail(c, "generation", "Milan, Genoa or Turin", a);
    }
    if (r->has_cpuid && cpuid != v->generation) {
        _cleanup_free_ char *a = xasprintf("%s (report CPUID family 0x%x model 0x%x)", report_generation_name(cpuid),
                                           r->cpuid_family, r->cpuid_model);
        return attest_fail(c, what, vcek, a);
    }
    if (o->generation && o->generation != v->generation) {
        _cleanup_free_ char *e = xasprintf("%s (--generation)", report_generation_name(o->generation));
        return attest_fail(c, what, e, vcek);
    }
    attest_pass(c, what);
}

static void check_tcb(struct attest_checker *c, const struct report *r, const struct vcek_info *v)
{
    const char *what = "reported TCB";
    struct report_tcb want, got;
    _cleanup_free_ char *raw = hex_string(r->reported_tcb, 8);
    if (attest_vcek_tcb(v, &want) < 0 || report_tcb_decode(r->reported_tcb, v->generation, &got) < 0) {
        _cleanup_free_ char *a = xasprintf("%s (layout unknown for VCEK product %s)", raw, v->product);
        return attest_fail(c, what, "a TCB of a known generation", a);
    }
    _cleanup_free_ char *e = report_tcb_string(&want), *a = report_tcb_string(&got);
    if (strcmp(e, a))
        return attest_fail(c, what, e, a);
    _cleanup_free_ char *ok = xasprintf("reported TCB %s = VCEK's", a);
    attest_pass(c, ok);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* The report's CHIP_ID is the VCEK's hwID, zero-padded when that is shorter. */
static void check_chip_id(struct attest_checker *c, const struct report *r, const struct vcek_info *v)
{
    const char *what = "chip ID";
    _cleanup_free_ char *e = hex_string(v->hwid, v->hwid_len);
    if (all_zero(r->chip_id, sizeof(r->chip_id)))
        return attest_fail(c, what, e, "all zeros (the chip ID is masked)");
    bool padded = all_zero(r->chip_id + v->hwid_len, sizeof(r->chip_id) - v->hwid_len);
    if (!padded || memcmp(r->chip_id, v->hwid, v->hwid_len)) {
        _cleanup_free_ char *a = hex_string(r->chip_id, padded ? v->hwid_len : sizeof(r->chip_id));
        return attest_fail(c, what, e, a);
    }
    attest_pass(c, "chip ID = VCEK hwID");
}

int attest_spki_sha256(X509 *x, char out[65])
{
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    if (len <= 0) {
        ERR_clear_error();
        return -EINVAL;
    }
    uint8_t d[SHA256_LEN];
    sha256_buf(der, (size_t)len, d);
    OPENSSL_free(der);
    hex_encode(d, sizeof(d), out);
    return 0;
}

/* The trust anchor: AMD's ARK for the VCEK's generation (pinned by its
 * key), or the user's --trust-ark root, said so in the line. */
static void check_root(struct attest_checker *c, const struct attest_opts *o, const struct vcek_info *v)
{
    char got[65] = "", want[65] = "";
    attest_spki_sha256(o->ark, got);
    _cleanup_free_ char *cn = common_name(o->ark);
    if (o->trusted_ark) {
        attest_spki_sha256(o->trusted_ark, want);
        _cleanup_free_ char *what = xasprintf("ARK is the root given by --trust-ark %s (%s), not AMD's pinned root",
                                              o->trusted_ark_what, cn);
        if (!strcmp(got, want) && *got)
            return attest_pass(c, what);
        _cleanup_free_ char *e = xasprintf("the key of --trust-ark %s (SPKI sha256 %s)", o->trusted_ark_what, want),
                            *a = xasprintf("%s's key (SPKI sha256 %s)", cn, got);
        return attest_fail(c, "ARK is the --trust-ark root", e, a);
    }
    const struct amd_root *pinned = NULL;
    size_t n;
    const struct amd_root *roots = attest_amd_roots(&n);
    for (size_t i = 0; i < n; i++)
        if (roots[i].generation == v->generation && roots[i].role == ATTEST_ARK)
            pinned = &roots[i];
    const struct amd_root *found = attest_amd_root_find(got);
    if (pinned && found == pinned) {
        _cleanup_free_ char *what = xasprintf("ARK is AMD's %s (pinned key)", pinned->name);
        return attest_pass(c, what);
    }
    _cleanup_free_ char *e = pinned ? xasprintf("AMD's %s key (SPKI sha256 %s)", pinned->name, pinned->spki_sha256)
                                    : xasprintf("AMD's ARK for Milan, Genoa or Turin (VCEK product %s)", v->product);
    _cleanup_free_ char *a = found ? xasprintf("AMD's %s key%s", found->name,
                                              found->role == ATTEST_ASK ? " (an ASK, not a root)" : "")
                                   : xasprintf("%s, a key AMD does not publish (SPKI sha256 %s; --trust-ark "
                                               "accepts a lab root)", cn, got);
    attest_fail(c, "ARK is AMD's", e, a);
}

int attest_verify_chain(const struct attest_opts *o, struct attest_checker *c, struct vcek_info *v)
{
    int r = attest_vcek_info(o->vcek, o->vcek_what, v);
    if (r < 0)
        return r;
    c->id = "root";
    check_root(c, o, v);
    c->id = "ark";
    check_signed_by(c, "ARK self-signed", o->ark, o->ark);
    c->id = "ask";
    check_signed_by(c, "ASK signed by ARK", o->ask, o->ark);
    c->id = "vcek";
    check_signed_by(c, "VCEK signed by ASK", o->vcek, o->ask);
    c->id = "report_signature";
    check_report_signature(c, o->report, o->vcek);
    c->id = "generation";
    check_generation(c, o, v);
    c->id = "reported_tcb";
    check_tcb(c, o->report, v);
    c->id = "chip_id";
    check_chip_id(c, o->report, v);
    return 0;
}
