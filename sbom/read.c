/* Reading back what a published SBOM says about the image, the kernel and
 * the packages, for `guestimg verify`. The file is untrusted: every type is checked. */
#include "sbom/internal.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* SBOMs of a few thousand packages are a few MB: this bounds a reader. */
#define SBOM_MAX (64u << 20)

/* The first element of an array of objects whose `key` equals `value`. */
static json_t *find_by(json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    if (!json_is_array(array))
        return NULL;
    json_array_foreach(array, i, e)
        if (json_is_object(e) && streq(json_string_value(json_object_get(e, key)), value))
            return e;
    return NULL;
}

/* The `value_key` of the entry of `array` whose `alg_key` is `alg`. */
static char *digest_in(json_t *array, const char *alg_key, const char *alg, const char *value_key)
{
    const char *v = json_string_value(json_object_get(find_by(array, alg_key, alg), value_key));
    return v ? xstrdup(v) : NULL;
}

static void add_package(struct sbom_digests *d, const char *purl, char *sha256)
{
    d->packages = xrealloc(d->packages, (d->npackages + 1) * sizeof(*d->packages));
    d->packages[d->npackages++] = (struct sbom_package_digest){xstrdup(purl), sha256};
}

static void read_spdx(json_t *doc, struct sbom_digests *d)
{
    json_t *pkgs = json_object_get(doc, "packages"), *p;
    size_t i;
    json_array_foreach(pkgs, i, p) {
        const char *purl = json_string_value(
            json_object_get(find_by(json_object_get(p, "externalRefs"), "referenceType", "purl"), "referenceLocator"));
        if (purl)
            add_package(d, purl, digest_in(json_object_get(p, "checksums"), "algorithm", "SHA256", "checksumValue"));
    }
    d->image_sha256 = digest_in(json_object_get(find_by(pkgs, "SPDXID", SPDX_ID_IMAGE), "checksums"),
                                "algorithm", "SHA256", "checksumValue");
    d->kernel_sha256 = digest_in(json_object_get(find_by(pkgs, "SPDXID", SPDX_ID_KERNEL), "checksums"),
                                 "algorithm", "SHA256", "checksumValue");
}

static void read_cyclonedx(json_t *doc, struct sbom_digests *d)
{
    json_t *image = json_object_get(json_object_get(doc, "metadata"), "component");
    if (json_is_object(image) && streq(json_string_value(json_object_get(image, "bom-ref")), CDX_REF_IMAGE))
        d->image_sha256 = digest_in(json_object_get(image, "hashes"), "alg", "SHA-256", "content");
    json_t *components = json_object_get(doc, "components"), *c;
    json_t *kernel = find_by(components, "bom-ref", CDX_REF_KERNEL);
    d->kernel_sha256 = digest_in(json_object_get(kernel, "hashes"), "alg", "SHA-256", "content");
    size_t i;
    json_array_foreach(components, i, c) {
        const char *purl = json_string_value(json_object_get(c, "purl"));
        if (purl)
            add_package(d, purl, digest_in(json_object_get(c, "hashes"), "alg", "SHA-256", "content"));
    }
}

int sbom_parse_digests(const char *text, size_t len, const char *path, struct sbom_digests *d)
{
    memset(d, 0, sizeof(*d));
    json_t *doc = json_parse_text(text, len, path);
    if (!doc)
        return -EINVAL;
    int r = 0;
    if (json_is_object(doc) && json_is_string(json_object_get(doc, "spdxVersion")))
        read_spdx(doc, d);
    else if (json_is_object(doc) && streq(json_string_value(json_object_get(doc, "bomFormat")), "CycloneDX"))
        read_cyclonedx(doc, d);
    else
        r = err_set(-EINVAL, "%s: neither an SPDX nor a CycloneDX document", path);
    json_decref(doc);
    return r;
}

int sbom_read_digests(const char *path, struct sbom_digests *d)
{
    memset(d, 0, sizeof(*d));
    _cleanup_free_ uint8_t *text = NULL;
    size_t len;
    int r = file_read_all(path, &text, &len, SBOM_MAX);
    return r < 0 ? r : sbom_parse_digests((const char *)text, len, path, d);
}

void sbom_digests_free(struct sbom_digests *d)
{
    free(d->image_sha256);
    free(d->kernel_sha256);
    for (size_t i = 0; i < d->npackages; i++) {
        free(d->packages[i].purl);
        free(d->packages[i].sha256);
    }
    free(d->packages);
    memset(d, 0, sizeof(*d));
}
