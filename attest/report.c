#include "attest/report.h"
#include "common/le.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* Field offsets (SNP firmware ABI, table "ATTESTATION_REPORT structure"). */
enum {
    RPT_VERSION = 0x000,
    RPT_GUEST_SVN = 0x004,
    RPT_POLICY = 0x008,
    RPT_FAMILY_ID = 0x010,
    RPT_IMAGE_ID = 0x020,
    RPT_VMPL = 0x030,
    RPT_SIG_ALGO = 0x034,
    RPT_CURRENT_TCB = 0x038,
    RPT_PLATFORM_INFO = 0x040,
    RPT_KEY_INFO = 0x048,
    RPT_REPORT_DATA = 0x050,
    RPT_MEASUREMENT = 0x090,
    RPT_HOST_DATA = 0x0C0,
    RPT_ID_KEY_DIGEST = 0x0E0,
    RPT_AUTHOR_KEY_DIGEST = 0x110,
    RPT_REPORT_ID = 0x140,
    RPT_REPORT_ID_MA = 0x160,
    RPT_REPORTED_TCB = 0x180,
    RPT_CPUID_FAMILY = 0x188,   /* version 3 and later */
    RPT_CPUID_MODEL = 0x189,
    RPT_CPUID_STEPPING = 0x18A,
    RPT_CHIP_ID = 0x1A0,
    RPT_COMMITTED_TCB = 0x1E0,
    RPT_CURRENT_BUILD = 0x1E8,  /* build, minor, major */
    RPT_COMMITTED_BUILD = 0x1EC,
    RPT_LAUNCH_TCB = 0x1F0,
    RPT_LAUNCH_MIT_VECTOR = 0x1F8, /* version 5 and later */
    RPT_CURRENT_MIT_VECTOR = 0x200,
    RPT_SIG_R = 0x2A0,
    RPT_SIG_S = 0x2E8,
};
_Static_assert(RPT_SIG_R == REPORT_SIGNED_LEN, "the signature follows the bytes it signs");

/* The report as hex text (as some tools and test suites keep it). */
static bool looks_like_hex(const uint8_t *buf, size_t len)
{
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len != 2 * REPORT_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789abcdefABCDEF", buf[i]) || !buf[i])
            return false;
    return true;
}

int report_parse(const uint8_t *buf, size_t len, const char *what, struct report *r)
{
    if (len != REPORT_LEN)
        return err_set(-EINVAL, "%s: %zu bytes; an SEV-SNP attestation report is %d bytes%s", what, len,
                       REPORT_LEN, looks_like_hex(buf, len) ? " (this is hex text: convert it with xxd -r -p)" : "");
    memset(r, 0, sizeof(*r));
    memcpy(r->raw, buf, REPORT_LEN);
    const uint8_t *p = r->raw;
    r->version = get_le32(p + RPT_VERSION);
    if (r->version != 2 && r->version != 3 && r->version != 5)
        return err_set(-EINVAL, "%s: unknown report version %u (known: 2, 3, 5)", what, r->version);
    r->sig_algo = get_le32(p + RPT_SIG_ALGO);
    if (r->sig_algo != REPORT_SIG_ALGO_ECDSA_P384_SHA384)
        return err_set(-EINVAL, "%s: unknown signature algorithm %u (known: 1, ECDSA P-384 with SHA-384)",
                       what, r->sig_algo);
    r->guest_svn = get_le32(p + RPT_GUEST_SVN);
    r->policy = get_le64(p + RPT_POLICY);
    memcpy(r->family_id, p + RPT_FAMILY_ID, sizeof(r->family_id));
    memcpy(r->image_id, p + RPT_IMAGE_ID, sizeof(r->image_id));
    r->vmpl = get_le32(p + RPT_VMPL);
    memcpy(r->current_tcb, p + RPT_CURRENT_TCB, 8);
    r->platform_info = get_le64(p + RPT_PLATFORM_INFO);
    r->key_info = get_le32(p + RPT_KEY_INFO);
    memcpy(r->report_data, p + RPT_REPORT_DATA, sizeof(r->report_data));
    memcpy(r->measurement, p + RPT_MEASUREMENT, sizeof(r->measurement));
    memcpy(r->host_data, p + RPT_HOST_DATA, sizeof(r->host_data));
    memcpy(r->id_key_digest, p + RPT_ID_KEY_DIGEST, sizeof(r->id_key_digest));
    memcpy(r->author_key_digest, p + RPT_AUTHOR_KEY_DIGEST, sizeof(r->author_key_digest));
    memcpy(r->report_id, p + RPT_REPORT_ID, sizeof(r->report_id));
    memcpy(r->report_id_ma, p + RPT_REPORT_ID_MA, sizeof(r->report_id_ma));
    memcpy(r->reported_tcb, p + RPT_REPORTED_TCB, 8);
    if (r->version >= 3) {
        r->has_cpuid = true;
        r->cpuid_family = p[RPT_CPUID_FAMILY];
        r->cpuid_model = p[RPT_CPUID_MODEL];
        r->cpuid_stepping = p[RPT_CPUID_STEPPING];
    }
    memcpy(r->chip_id, p + RPT_CHIP_ID, sizeof(r->chip_id));
    memcpy(r->committed_tcb, p + RPT_COMMITTED_TCB, 8);
    r->current_build = p[RPT_CURRENT_BUILD];
    r->current_minor = p[RPT_CURRENT_BUILD + 1];
    r->current_major = p[RPT_CURRENT_BUILD + 2];
    r->committed_build = p[RPT_COMMITTED_BUILD];
    r->committed_minor = p[RPT_COMMITTED_BUILD + 1];
    r->committed_major = p[RPT_COMMITTED_BUILD + 2];
    memcpy(r->launch_tcb, p + RPT_LAUNCH_TCB, 8);
    if (r->version >= 5) {
        r->has_mit_vectors = true;
        r->launch_mit_vector = get_le64(p + RPT_LAUNCH_MIT_VECTOR);
        r->current_mit_vector = get_le64(p + RPT_CURRENT_MIT_VECTOR);
    }
    return 0;
}

unsigned report_signing_key(const struct report *r)
{
    return (r->key_info >> 2) & 7;
}

enum report_generation report_cpuid_generation(const struct report *r)
{
    if (!r->has_cpuid)
        return REPORT_GEN_UNKNOWN;
    uint8_t model = r->cpuid_model;
    if (r->cpuid_family == 0x19) {
        if (model <= 0x0F)
            return REPORT_GEN_MILAN;
        if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))
            return REPORT_GEN_GENOA;
    } else if (r->cpuid_family == 0x1A && model <= 0x11) {
        return REPORT_GEN_TURIN;
    }
    return REPORT_GEN_UNKNOWN;
}

static const char *const generation_names[] = {
    [REPORT_GEN_UNKNOWN] = "unknown",
    [REPORT_GEN_MILAN] = "Milan",
    [REPORT_GEN_GENOA] = "Genoa",
    [REPORT_GEN_TURIN] = "Turin",
    [REPORT_GEN_MILAN_OR_GENOA] = "Milan or Genoa",
};

const char *report_generation_name(enum report_generation g)
{
    return (unsigned)g < ARRAY_SIZE(generation_names) ? generation_names[g] : "unknown";
}

enum report_generation report_generation_parse(const char *name)
{
    size_t n = strcspn(name, "-");
    for (unsigned g = REPORT_GEN_MILAN; g <= REPORT_GEN_TURIN; g++)
        if (n == strlen(generation_names[g]) && !strncasecmp(name, generation_names[g], n))
            return (enum report_generation)g;
    return REPORT_GEN_UNKNOWN;
}

int report_tcb_decode(const uint8_t raw[8], enum report_generation g, struct report_tcb *t)
{
    memset(t, 0, sizeof(*t));
    switch (g) {
    case REPORT_GEN_MILAN:
    case REPORT_GEN_GENOA:
    case REPORT_GEN_MILAN_OR_GENOA:
        *t = (struct report_tcb){.boot_loader = raw[0], .tee = raw[1], .snp = raw[6], .microcode = raw[7]};
        return 0;
    case REPORT_GEN_TURIN:
        *t = (struct report_tcb){.fmc = raw[0], .has_fmc = true, .boot_loader = raw[1], .tee = raw[2],
                                 .snp = raw[3], .microcode = raw[7]};
        return 0;
    default:
        return -EINVAL;
    }
}

char *report_tcb_string(const struct report_tcb *t)
{
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "boot_loader %u tee %u snp %u microcode %u", t->boot_loader, t->tee, t->snp, t->microcode);
    if (t->has_fmc)
        sb_printf(&sb, " fmc %u", t->fmc);
    return sb_detach(&sb);
}

/* ---------------------------------------------------------------- JSON --- */

struct named_bit {
    unsigned bit;
    const char *name;
};

static const struct named_bit policy_bits[] = {
    {16, "smt_allowed"},
    {18, "migrate_ma_allowed"},
    {19, "debug_allowed"},
    {20, "single_socket_required"},
    {21, "cxl_allowed"},
    {22, "mem_aes_256_xts"},
    {23, "rapl_disabled"},
    {24, "ciphertext_hiding"},
    {25, "page_swap_disabled"},
};

static const struct named_bit platform_info_bits[] = {
    {0, "smt_enabled"},
    {1, "tsme_enabled"},
    {2, "ecc_enabled"},
    {3, "rapl_disabled"},
    {4, "ciphertext_hiding_enabled"},
    {5, "alias_check_complete"},
    {7, "tio_enabled"},
};

static json_t *json_hex_bytes(const uint8_t *buf, size_t len)
{
    _cleanup_free_ char *s = hex_string(buf, len);
    return json_string(s);
}

static json_t *json_hex_u64(uint64_t v)
{
    _cleanup_free_ char *s = xasprintf("0x%llx", (unsigned long long)v);
    return json_string(s);
}

/* Adds name: bool for each named bit of value. */
static void json_add_bits(json_t *o, uint64_t value, const struct named_bit *bits, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, bits[i].name, json_boolean(value >> bits[i].bit & 1));
}

static json_t *policy_json(uint64_t policy)
{
    json_t *o = json_object();
    json_object_set_new(o, "value", json_hex_u64(policy));
    json_object_set_new(o, "abi_major", json_integer(policy >> 8 & 0xff));
    json_object_set_new(o, "abi_minor", json_integer(policy & 0xff));
    json_add_bits(o, policy, policy_bits, ARRAY_SIZE(policy_bits));
    return o;
}

static json_t *platform_info_json(uint64_t info)
{
    json_t *o = json_object();
    json_object_set_new(o, "value", json_hex_u64(info));
    json_add_bits(o, info, platform_info_bits, ARRAY_SIZE(platform_info_bits));
    return o;
}

static json_t *key_info_json(const struct report *r)
{
    static const char *const keys[8] = {"vcek", "vlek", "reserved", "reserved",
                                        "reserved", "reserved", "reserved", "none"};
    json_t *o = json_object();
    json_object_set_new(o, "value", json_hex_u64(r->key_info));
    json_object_set_new(o, "author_key_enabled", json_boolean(r->key_info & 1));
    json_object_set_new(o, "mask_chip_key", json_boolean(r->key_info >> 1 & 1));
    json_object_set_new(o, "signing_key", json_string(keys[report_signing_key(r)]));
    return o;
}

static json_t *tcb_json(const uint8_t raw[8], enum report_generation g)
{
    json_t *o = json_object();
    json_object_set_new(o, "raw", json_hex_bytes(raw, 8));
    struct report_tcb t;
    if (report_tcb_decode(raw, g, &t) < 0)
        return o;
    if (t.has_fmc)
        json_object_set_new(o, "fmc", json_integer(t.fmc));
    json_object_set_new(o, "boot_loader", json_integer(t.boot_loader));
    json_object_set_new(o, "tee", json_integer(t.tee));
    json_object_set_new(o, "snp", json_integer(t.snp));
    json_object_set_new(o, "microcode", json_integer(t.microcode));
    return o;
}

static json_t *firmware_version_json(uint8_t major, uint8_t minor, uint8_t build)
{
    _cleanup_free_ char *s = xasprintf("%u.%u.%u", major, minor, build);
    return json_string(s);
}

/* A little-endian signature component as a big-endian integer in hex, no
 * shorter than the 48 bytes of a P-384 value. */
static json_t *sig_component_json(const uint8_t le[REPORT_SIG_COMPONENT_LEN])
{
    uint8_t be[REPORT_SIG_COMPONENT_LEN];
    for (size_t i = 0; i < sizeof(be); i++)
        be[i] = le[sizeof(be) - 1 - i];
    size_t skip = 0;
    while (skip < sizeof(be) - 48 && !be[skip])
        skip++;
    return json_hex_bytes(be + skip, sizeof(be) - skip);
}

json_t *report_to_json(const struct report *r, enum report_generation g)
{
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(r->version));
    json_object_set_new(o, "guest_svn", json_integer(r->guest_svn));
    json_object_set_new(o, "policy", policy_json(r->policy));
    json_object_set_new(o, "family_id", json_hex_bytes(r->family_id, sizeof(r->family_id)));
    json_object_set_new(o, "image_id", json_hex_bytes(r->image_id, sizeof(r->image_id)));
    json_object_set_new(o, "vmpl", json_integer(r->vmpl));
    json_object_set_new(o, "signature_algorithm", json_string("ecdsa-p384-sha384"));
    json_object_set_new(o, "generation", g ? json_string(report_generation_name(g)) : json_null());
    json_object_set_new(o, "current_tcb", tcb_json(r->current_tcb, g));
    json_object_set_new(o, "platform_info", platform_info_json(r->platform_info));
    json_object_set_new(o, "key_info", key_info_json(r));
    json_object_set_new(o, "report_data", json_hex_bytes(r->report_data, sizeof(r->report_data)));
    json_object_set_new(o, "measurement", json_hex_bytes(r->measurement, sizeof(r->measurement)));
    json_object_set_new(o, "host_data", json_hex_bytes(r->host_data, sizeof(r->host_data)));
    json_object_set_new(o, "id_key_digest", json_hex_bytes(r->id_key_digest, sizeof(r->id_key_digest)));
    json_object_set_new(o, "author_key_digest",
                        json_hex_bytes(r->author_key_digest, sizeof(r->author_key_digest)));
    json_object_set_new(o, "report_id", json_hex_bytes(r->report_id, sizeof(r->report_id)));
    json_object_set_new(o, "report_id_ma", json_hex_bytes(r->report_id_ma, sizeof(r->report_id_ma)));
    json_object_set_new(o, "reported_tcb", tcb_json(r->reported_tcb, g));
    if (r->has_cpuid) {
        json_t *c = json_object();
        json_object_set_new(c, "family", json_hex_u64(r->cpuid_family));
        json_object_set_new(c, "model", json_hex_u64(r->cpuid_model));
        json_object_set_new(c, "stepping", json_hex_u64(r->cpuid_stepping));
        json_object_set_new(o, "cpuid", c);
    }
    json_object_set_new(o, "chip_id", json_hex_bytes(r->chip_id, sizeof(r->chip_id)));
    json_object_set_new(o, "committed_tcb", tcb_json(r->committed_tcb, g));
    json_object_set_new(o, "current_version",
                        firmware_version_json(r->current_major, r->current_minor, r->current_build));
    json_object_set_new(o, "committed_version",
                        firmware_version_json(r->committed_major, r->committed_minor, r->committed_build));
    json_object_set_new(o, "launch_tcb", tcb_json(r->launch_tcb, g));
    if (r->has_mit_vectors) {
        json_object_set_new(o, "launch_mit_vector", json_hex_u64(r->launch_mit_vector));
        json_object_set_new(o, "current_mit_vector", json_hex_u64(r->current_mit_vector));
    }
    json_t *sig = json_object();
    json_object_set_new(sig, "r", sig_component_json(r->raw + RPT_SIG_R));
    json_object_set_new(sig, "s", sig_component_json(r->raw + RPT_SIG_S));
    json_object_set_new(o, "signature", sig);
    return o;
}
