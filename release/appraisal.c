/* A release's expectations of a launch: see appraisal.h. */
#include "release/appraisal.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RELEASE_TEXT_MAX (64u << 20)   /* release.c's bound */

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

/* The release's IGVM files (release.json's `igvm` array: name, variant,
 * digest, guest_policy, id_key_digest): each a launch with the policy and
 * ID key its ID block declares. Read here from the JSON, not from struct
 * release, so that an appraisal reads them whichever release.c is built. */
static int igvm_launches(struct release_expect *x, json_t *arr, const char *path)
{
    if (!json_is_array(arr))
        return err_set(-EINVAL, "%s: igvm: not an array", path);
    size_t i;
    json_t *g;
    json_array_foreach(arr, i, g) {
        const char *name = json_string_value(json_object_get(g, "name"));
        const char *variant = json_string_value(json_object_get(g, "variant"));
        const char *digest = json_string_value(json_object_get(g, "digest"));
        json_t *policy = json_object_get(g, "guest_policy");
        const char *idk = json_string_value(json_object_get(g, "id_key_digest"));
        uint8_t d[REPORT_MEASUREMENT_LEN];
        if (!name || !variant)
            return err_set(-EINVAL, "%s: igvm[%zu]: no name or variant", path, i);
        if (!digest || strlen(digest) != 2 * sizeof(d) || hex_decode(digest, d, sizeof(d)) != sizeof(d))
            return err_set(-EINVAL, "%s: igvm[%zu].digest: not 48 bytes in hex", path, i);
        if (!json_is_integer(policy) || json_integer_value(policy) < 0)
            return err_set(-EINVAL, "%s: igvm[%zu].guest_policy: not a non-negative integer", path, i);
        bool debug = strcmp(variant, "production") != 0;
        release_expect_add(x, d, xasprintf("release igvm %s (%s)", name, variant));
        struct appraise_launch *l = &x->launches[x->n - 1];
        l->debug = debug;
        l->has_policy = true;
        l->policy = (uint64_t)json_integer_value(policy);
        if (idk) {
            if (strlen(idk) != 2 * APPRAISE_KEY_DIGEST_LEN ||
                hex_decode(idk, l->id_key_digest, APPRAISE_KEY_DIGEST_LEN) != APPRAISE_KEY_DIGEST_LEN)
                return err_set(-EINVAL, "%s: igvm[%zu].id_key_digest: not 48 bytes in hex", path, i);
            l->has_id_key = true;
        }
    }
    return 0;
}

int release_expect_load(struct release_expect *x, const char *path)
{
    _cleanup_free_ uint8_t *text = NULL;
    size_t len;
    int r = file_read_all(path, &text, &len, RELEASE_TEXT_MAX);
    if (r < 0)
        return r;
    json_error_t je;
    json_t *j = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return err_set(-EINVAL, "%s:%d: invalid JSON: %s", path, je.line, je.text);
    /* the rest as release.c reads it, then the IGVM files */
    json_t *igvm = json_incref(json_object_get(j, "igvm"));
    json_object_del(j, "igvm");
    _cleanup_free_ char *rest = json_canonical(j);
    json_decref(j);
    struct release rel = {0};
    r = release_parse(rest, strlen(rest), path, &rel);
    if (r == 0)
        r = from_release(x, &rel, path);
    if (r == 0 && igvm)
        r = igvm_launches(x, igvm, path);
    if (r == 0 && !x->n)
        r = err_set(-EINVAL, "%s: publishes no SNP measurement (48-byte digest) and no IGVM file: nothing to "
                             "appraise a report against", path);
    json_decref(igvm);
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
