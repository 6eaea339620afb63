/* Published measurement formats: igvm-tooling's measurement.json and a
 * trustee RVPS reference-value message. */
#include "release/publish.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <string.h>

char *publish_measurement_json(const char *digest_hex, uint64_t svn)
{
    /* byte for byte what igvmgen's json.dump(info, f, indent=2) gives */
    return xasprintf("{\n  \"x-ms-sevsnpvm-guestsvn\": \"%llu\",\n"
                     "  \"x-ms-sevsnpvm-launchmeasurement\": \"%s\"\n}",
                     (unsigned long long)svn, digest_hex);
}

bool publish_is_snp(const struct release_measurement *m)
{
    return !strcmp(m->mode, "snp") || startswith(m->mode, "snp:");
}

/* File names keep to [A-Za-z0-9._-]. */
static void add_part(struct strbuf *sb, const char *s)
{
    sb_puts(sb, "-");
    for (; *s; s++) {
        char c = (char)((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                                *s == '.' || *s == '-'
                            ? *s
                            : '_');
        sb_add(sb, &c, 1);
    }
}

char *publish_measurement_file_name(const struct release *r, const struct release_measurement *m)
{
    size_t nsnp = 0;
    for (size_t i = 0; i < r->nmeasurements; i++)
        nsnp += publish_is_snp(&r->measurements[i]);
    if (nsnp == 1)
        return xstrdup("measurement.json");
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "measurement");
    add_part(&sb, m->mode);
    add_part(&sb, m->vmm_type);
    add_part(&sb, m->vcpu_type);
    sb_printf(&sb, "-%llu.json", (unsigned long long)m->vcpus);
    return sb_detach(&sb);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *publish_trustee_message(const struct release *r)
{
    const char **digests = xcalloc(r->nmeasurements + r->nigvms + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < r->nmeasurements; i++)
        if (publish_is_snp(&r->measurements[i]))
            digests[n++] = r->measurements[i].digest;
    /* a debug IGVM opens a console into the guest: not a reference value */
    for (size_t i = 0; i < r->nigvms; i++)
        if (!strcmp(r->igvms[i].variant, "production"))
            digests[n++] = r->igvms[i].digest;
    if (!n) {
        free(digests);
        return NULL;
    }
    qsort(digests, n, sizeof(char *), cmp_str);
    json_t *values = json_array();
    for (size_t i = 0; i < n; i++)
        if (!i || strcmp(digests[i - 1], digests[i]))
            json_array_append_new(values, json_string(digests[i]));
    free(digests);
    json_t *provenance = json_pack("{s:o}", "snp_launch_measurement", values);
    char *p = json_dumps(provenance, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(provenance);
    _cleanup_free_ char *payload = base64_encode((const uint8_t *)p, strlen(p));
    free(p);
    json_t *msg = json_pack("{s:s, s:s, s:s}", "version", "0.1.0", "type", "sample", "payload", payload);
    char *out = json_canonical(msg);
    json_decref(msg);
    return out;
}
