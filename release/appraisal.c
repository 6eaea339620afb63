/* A release's expectations of a launch: see appraisal.h. */
#include "release/appraisal.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void release_expect_add(struct release_expect *x, const uint8_t digest[REPORT_MEASUREMENT_LEN], char *label)
{
    x->launches = xrealloc(x->launches, (x->n + 1) * sizeof(*x->launches));
    x->labels = xrealloc(x->labels, (x->n + 1) * sizeof(*x->labels));
    x->launches[x->n] = (struct appraise_launch){.label = label};
    memcpy(x->launches[x->n].digest, digest, REPORT_MEASUREMENT_LEN);
    x->labels[x->n++] = label;
    /* the array may have moved */
    x->e.launches = x->launches;
    x->e.n_launches = x->n;
}

static int from_release(struct release_expect *x, const struct release *rel, const char *path)
{
    for (size_t i = 0; i < rel->nmeasurements; i++) {
        const struct release_measurement *m = &rel->measurements[i];
        uint8_t d[REPORT_MEASUREMENT_LEN];
        if (hex_decode(m->digest, d, sizeof(d)) == REPORT_MEASUREMENT_LEN)
            release_expect_add(x, d, xasprintf("release %s %s %s %llu vCPU", m->mode, m->vmm_type, m->vcpu_type,
                                               (unsigned long long)m->vcpus));
    }
    const struct release_appraisal *a = &rel->appraisal;
    x->e.check_measurement = true;
    x->e.check_policy = true;
    x->e.policy = rel->has_appraisal ? a->guest_policy : APPRAISE_DEFAULT_POLICY;
    x->e.policy_source = rel->has_appraisal ? "release" : "default";
    x->e.check_vmpl = true;
    x->e.vmpl = rel->has_appraisal ? (uint32_t)a->vmpl : 0;
    x->e.check_svn = true;
    x->e.min_svn = (uint32_t)rel->svn;
    x->e.svn_source = "release";
    x->e.key_source = "release";
    if (rel->has_appraisal && a->min_tcb) {
        _cleanup_free_ char *what = xasprintf("%s: appraisal.min_tcb", path);
        int r = appraise_tcb_parse(a->min_tcb, what, &x->e.min_tcb);
        if (r < 0)
            return r;
        x->e.check_tcb = true;
        x->e.tcb_source = "release";
    }
    if (rel->has_appraisal && a->id_key_digest && hex_decode(a->id_key_digest, x->id_key, 48) == 48)
        x->e.id_key_digest = x->id_key;
    if (rel->has_appraisal && a->author_key_digest && hex_decode(a->author_key_digest, x->author_key, 48) == 48)
        x->e.author_key_digest = x->author_key;
    return 0;
}

/* The release's IGVM files: each a launch with the policy and ID key its
 * ID block declares (release.c has checked their digests' form). */
static void igvm_launches(struct release_expect *x, const struct release *rel)
{
    for (size_t i = 0; i < rel->nigvms; i++) {
        const struct release_igvm *g = &rel->igvms[i];
        uint8_t d[REPORT_MEASUREMENT_LEN];
        if (hex_decode(g->digest, d, sizeof(d)) != sizeof(d))
            continue;
        release_expect_add(x, d, xasprintf("release igvm %s (%s)", g->name, g->variant));
        struct appraise_launch *l = &x->launches[x->n - 1];
        l->debug = strcmp(g->variant, "production") != 0;
        l->has_policy = true;
        l->policy = g->guest_policy;
        l->has_id_key = g->id_key_digest &&
                        hex_decode(g->id_key_digest, l->id_key_digest, APPRAISE_KEY_DIGEST_LEN) == APPRAISE_KEY_DIGEST_LEN;
    }
}

int release_expect_load(struct release_expect *x, const char *path)
{
    struct release rel;
    int r = release_load(path, &rel);
    if (r < 0)
        return r;
    r = from_release(x, &rel, path);
    if (r == 0)
        igvm_launches(x, &rel);
    if (r == 0 && !x->n)
        r = err_set(-EINVAL, "%s: publishes no SNP measurement (48-byte digest) and no IGVM file: nothing to "
                             "appraise a report against", path);
    release_free(&rel);
    return r;
}

void release_expect_free(struct release_expect *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->labels[i]);
    free(x->labels);
    free(x->launches);
    memset(x, 0, sizeof(*x));
}
