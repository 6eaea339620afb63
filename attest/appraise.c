/* The appraisal after the AMD chain: see appraise.h. */
#include "attest/appraise.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/snp_policy.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- --min-tcb --- */

struct tcb_part {
    const char *name, *alias;
    size_t off;
};

static const struct tcb_part tcb_parts[] = {
    {"bl", "boot_loader", offsetof(struct report_tcb, boot_loader)},
    {"tee", NULL, offsetof(struct report_tcb, tee)},
    {"snp", NULL, offsetof(struct report_tcb, snp)},
    {"ucode", "microcode", offsetof(struct report_tcb, microcode)},
    {"fmc", NULL, offsetof(struct report_tcb, fmc)},
};
enum { TCB_FMC = 4 };

int appraise_tcb_parse(const char *s, const char *what, struct appraise_tcb *out)
{
    memset(out, 0, sizeof(*out));
    if (strlen(s) == 16 && hex_decode(s, out->raw_bytes, 8) == 8) {
        out->raw = true;
        return 0;
    }
    bool seen[ARRAY_SIZE(tcb_parts)] = {0};
    const char *p = s;
    while (*p) {
        size_t klen = strcspn(p, "=,");
        size_t i;
        for (i = 0; i < ARRAY_SIZE(tcb_parts); i++)
            if ((strlen(tcb_parts[i].name) == klen && !strncmp(p, tcb_parts[i].name, klen)) ||
                (tcb_parts[i].alias && strlen(tcb_parts[i].alias) == klen && !strncmp(p, tcb_parts[i].alias, klen)))
                break;
        if (i == ARRAY_SIZE(tcb_parts))
            return err_set(-EINVAL, "%s: '%s': '%.*s' is not bl, tee, snp, ucode or fmc (the form is "
                                    "bl=3,tee=0,snp=8,ucode=115, or 16 hex digits)", what, s, (int)klen, p);
        if (seen[i])
            return err_set(-EINVAL, "%s: '%s': %s is given twice", what, s, tcb_parts[i].name);
        seen[i] = true;
        p += klen;
        if (*p != '=')
            return err_set(-EINVAL, "%s: '%s': %s needs =N", what, s, tcb_parts[i].name);
        p++;
        size_t vlen = strcspn(p, ",");
        char num[8];
        uint32_t v;
        if (!vlen || vlen >= sizeof(num))
            return err_set(-EINVAL, "%s: '%s': %s=%.*s is not a number from 0 to 255", what, s, tcb_parts[i].name,
                           (int)vlen, p);
        memcpy(num, p, vlen);
        num[vlen] = 0;
        if (num[0] < '0' || num[0] > '9' || parse_u32(num, &v) < 0 || v > 255)
            return err_set(-EINVAL, "%s: '%s': %s=%s is not a number from 0 to 255", what, s, tcb_parts[i].name, num);
        *(uint8_t *)((char *)&out->t + tcb_parts[i].off) = (uint8_t)v;
        p += vlen;
        if (*p == ',' && !*++p)
            return err_set(-EINVAL, "%s: '%s' ends with a comma", what, s);
    }
    for (size_t i = 0; i < TCB_FMC; i++)
        if (!seen[i])
            return err_set(-EINVAL, "%s: '%s': no %s (bl, tee, snp and ucode are required; fmc is optional)", what,
                           s, tcb_parts[i].name);
    out->t.has_fmc = seen[TCB_FMC];
    return 0;
}

char *appraise_tcb_string(const struct appraise_tcb *t)
{
    if (t->raw) {
        _cleanup_free_ char *h = hex_string(t->raw_bytes, 8);
        return xasprintf("raw %s", h);
    }
    return report_tcb_string(&t->t);
}

/* -------------------------------------------------------------- checks --- */

static const struct appraise_launch *check_measurement(struct attest_checker *c, const struct appraise_expect *e,
                                                       const struct report *r)
{
    for (size_t i = 0; i < e->n_launches; i++)
        if (!memcmp(e->launches[i].digest, r->measurement, REPORT_MEASUREMENT_LEN)) {
            const struct appraise_launch *l = &e->launches[i];
            if (l->debug) {
                _cleanup_free_ char *a = xasprintf("%s, a debug build (its console is open)", l->label);
                attest_fail(c, "measurement", "a production launch of the release", a);
                return NULL;
            }
            _cleanup_free_ char *what = xasprintf("measurement = %s", l->label);
            attest_pass(c, what);
            return l;
        }
    struct strbuf sb = STRBUF_INIT;
    if (!e->n_launches)
        sb_puts(&sb, "an expected measurement (the list is empty)");
    for (size_t i = 0; i < e->n_launches; i++) {
        _cleanup_free_ char *h = hex_string(e->launches[i].digest, REPORT_MEASUREMENT_LEN);
        sb_printf(&sb, "%s%s (%s)", i ? " or " : "", h, e->launches[i].label);
    }
    _cleanup_free_ char *a = hex_string(r->measurement, REPORT_MEASUREMENT_LEN), *es = sb_detach(&sb);
    attest_fail(c, "measurement", es, a);
    return NULL;
}

char *appraise_policy_string(uint64_t policy)
{
    return snp_policy_string(policy);
}

/* The report's policy may be stricter than the expected one, never looser
 * (snp_policy_within). */
static void check_policy(struct attest_checker *c, uint64_t want, const char *source, uint64_t got)
{
    _cleanup_free_ char *es = NULL, *as = NULL;
    if (!snp_policy_within(want, got, &es, &as)) {
        _cleanup_free_ char *e2 = xasprintf("%s (%s policy 0x%llx)", es, source, (unsigned long long)want),
                            *a2 = xasprintf("%s (policy 0x%llx)", as, (unsigned long long)got);
        return attest_fail(c, "guest policy", e2, a2);
    }
    _cleanup_free_ char *what = xasprintf("guest policy 0x%llx within %s policy 0x%llx (debug %s, migration agent %s)",
                                          (unsigned long long)got, source, (unsigned long long)want,
                                          got & SNP_POLICY_DEBUG ? "allowed" : "off",
                                          got & SNP_POLICY_MIGRATE_MA ? "allowed" : "off");
    attest_pass(c, what);
}

static void check_vmpl(struct attest_checker *c, uint32_t want, uint32_t got)
{
    _cleanup_free_ char *what = xasprintf("VMPL %u", want);
    if (want == got)
        return attest_pass(c, what);
    _cleanup_free_ char *e = xasprintf("VMPL %u", want), *a = xasprintf("VMPL %u", got);
    attest_fail(c, "VMPL", e, a);
}

static void check_svn(struct attest_checker *c, const struct appraise_expect *x, uint32_t got)
{
    if (got >= x->min_svn) {
        _cleanup_free_ char *what = xasprintf("guest SVN %u >= %s SVN %u", got, x->svn_source, x->min_svn);
        return attest_pass(c, what);
    }
    _cleanup_free_ char *e = xasprintf("%u or more (%s SVN)", x->min_svn, x->svn_source), *a = xasprintf("%u", got);
    attest_fail(c, "guest SVN", e, a);
}

static void check_min_tcb(struct attest_checker *c, const struct appraise_expect *x, const struct report *r,
                          enum report_generation g)
{
    struct report_tcb got, min = x->min_tcb.t;
    _cleanup_free_ char *raw = hex_string(r->reported_tcb, 8);
    if (report_tcb_decode(r->reported_tcb, g, &got) < 0 ||
        (x->min_tcb.raw && report_tcb_decode(x->min_tcb.raw_bytes, g, &min) < 0)) {
        _cleanup_free_ char *a = xasprintf("%s (layout unknown for generation %s)", raw, report_generation_name(g));
        return attest_fail(c, "reported TCB minimum", "a TCB of a known generation", a);
    }
    bool fmc = got.has_fmc && (x->min_tcb.raw || min.has_fmc);
    min.has_fmc = fmc;
    bool ok = got.boot_loader >= min.boot_loader && got.tee >= min.tee && got.snp >= min.snp &&
              got.microcode >= min.microcode && (!fmc || got.fmc >= min.fmc);
    _cleanup_free_ char *ms = report_tcb_string(&min), *gs = report_tcb_string(&got);
    if (ok) {
        _cleanup_free_ char *what = xasprintf("reported TCB %s >= %s %s", gs, x->tcb_source, ms);
        return attest_pass(c, what);
    }
    _cleanup_free_ char *e = xasprintf("%s or more (%s)", ms, x->tcb_source);
    attest_fail(c, "reported TCB minimum", e, gs);
}

static void check_digest(struct attest_checker *c, const char *name, const uint8_t *want, const char *source,
                         const uint8_t *got, size_t n)
{
    if (!memcmp(want, got, n)) {
        _cleanup_free_ char *what = xasprintf("%s = %s", name, source);
        return attest_pass(c, what);
    }
    _cleanup_free_ char *h = hex_string(want, n), *e = xasprintf("%s (%s)", h, source), *a = hex_string(got, n);
    attest_fail(c, name, e, a);
}

int appraise_report(const struct attest_opts *chain, const struct appraise_expect *e, attest_report_fn report,
                    void *ctx)
{
    struct attest_checker c = {.report = report, .ctx = ctx};
    struct vcek_info v;
    int r = attest_verify_chain(chain, &c, &v);
    if (r < 0)
        return r;
    const struct report *rp = chain->report;
    const struct appraise_launch *l = NULL;
    c.id = "measurement";
    if (e->check_measurement)
        l = check_measurement(&c, e, rp);
    c.id = "policy";
    if (l && l->has_policy)
        check_policy(&c, l->policy, l->label, rp->policy);
    else if (e->check_policy)
        check_policy(&c, e->policy, e->policy_source, rp->policy);
    c.id = "vmpl";
    if (e->check_vmpl)
        check_vmpl(&c, e->vmpl, rp->vmpl);
    c.id = "guest_svn";
    if (e->check_svn)
        check_svn(&c, e, rp->guest_svn);
    c.id = "min_tcb";
    if (e->check_tcb)
        check_min_tcb(&c, e, rp, v.generation);
    c.id = "id_key";
    if (l && l->has_id_key)
        check_digest(&c, "ID key digest", l->id_key_digest, l->label, rp->id_key_digest, APPRAISE_KEY_DIGEST_LEN);
    else if (e->id_key_digest)
        check_digest(&c, "ID key digest", e->id_key_digest, e->key_source, rp->id_key_digest,
                     APPRAISE_KEY_DIGEST_LEN);
    c.id = "author_key";
    if (l && l->has_author_key)
        check_digest(&c, "author key digest", l->author_key_digest, l->label, rp->author_key_digest,
                     APPRAISE_KEY_DIGEST_LEN);
    else if (e->author_key_digest)
        check_digest(&c, "author key digest", e->author_key_digest, e->key_source, rp->author_key_digest,
                     APPRAISE_KEY_DIGEST_LEN);
    c.id = "host_data";
    if (e->host_data)
        check_digest(&c, "host data", e->host_data, e->host_data_source ? e->host_data_source : "--host-data",
                     rp->host_data, REPORT_HOST_DATA_LEN);
    c.id = "report_data";
    if (e->report_data)
        check_digest(&c, "report data", e->report_data, "--report-data", rp->report_data, REPORT_DATA_LEN);
    return c.failed;
}

/* -------------------------------------------------------------- claims --- */

static void set_hex(json_t *o, const char *key, const uint8_t *buf, size_t len)
{
    _cleanup_free_ char *h = hex_string(buf, len);
    json_object_set_new(o, key, json_string(h));
}

json_t *appraise_claims(const struct report *r, enum report_generation g)
{
    json_t *o = json_object();
    set_hex(o, "measurement", r->measurement, sizeof(r->measurement));
    set_hex(o, "report_data", r->report_data, sizeof(r->report_data));
    set_hex(o, "init_data", r->host_data, sizeof(r->host_data));   /* trustee's name for HOST_DATA */
    set_hex(o, "host_data", r->host_data, sizeof(r->host_data));
    json_object_set_new(o, "policy_abi_major", json_integer(r->policy >> 8 & 0xff));
    json_object_set_new(o, "policy_abi_minor", json_integer(r->policy & 0xff));
    json_object_set_new(o, "policy_smt_allowed", json_boolean(r->policy >> 16 & 1));
    json_object_set_new(o, "policy_migrate_ma", json_boolean(r->policy >> 18 & 1));
    json_object_set_new(o, "policy_debug_allowed", json_boolean(r->policy >> 19 & 1));
    json_object_set_new(o, "policy_single_socket", json_boolean(r->policy >> 20 & 1));
    json_object_set_new(o, "platform_smt_enabled", json_boolean(r->platform_info & 1));
    json_object_set_new(o, "platform_tsme_enabled", json_boolean(r->platform_info >> 1 & 1));
    json_object_set_new(o, "guest_svn", json_integer(r->guest_svn));
    json_object_set_new(o, "vmpl", json_integer(r->vmpl));
    set_hex(o, "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest));
    set_hex(o, "author_key_digest", r->author_key_digest, sizeof(r->author_key_digest));
    set_hex(o, "chip_id", r->chip_id, sizeof(r->chip_id));
    json_object_set_new(o, "generation", g ? json_string(report_generation_name(g)) : json_null());
    struct report_tcb t;
    if (report_tcb_decode(r->reported_tcb, g, &t) == 0) {
        json_object_set_new(o, "reported_tcb_bootloader", json_integer(t.boot_loader));
        json_object_set_new(o, "reported_tcb_tee", json_integer(t.tee));
        json_object_set_new(o, "reported_tcb_snp", json_integer(t.snp));
        json_object_set_new(o, "reported_tcb_microcode", json_integer(t.microcode));
        if (t.has_fmc)
            json_object_set_new(o, "reported_tcb_fmc", json_integer(t.fmc));
    }
    return o;
}
