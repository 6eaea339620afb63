/* CycloneDX 1.5 JSON: the image is the BOM's subject (metadata.component),
 * the kernel and the packages its components, the resolution its
 * dependency graph. */
#include "sbom/internal.h"
#include "common/json.h"
#include "common/util.h"

#include <string.h>

static json_t *hashes(const char *sha256)
{
    return json_pack("[{s:s, s:s}]", "alg", "SHA-256", "content", sha256);
}

static json_t *artifact_component(const char *ref, const char *type, const struct sbom_artifact *a)
{
    json_t *c = json_pack("{s:s, s:s, s:o, s:o, s:o, s:[{s:s, s:o}]}", "type", type, "bom-ref", ref, "name",
                          sbom_jstr(a->name), "version", sbom_jstr(a->version), "hashes", hashes(a->sha256),
                          "properties", "name", "guestimg:file_name", "value", sbom_jstr(a->file_name));
    if (a->origin)
        json_object_set_new(c, "pedigree", json_pack("{s:o}", "notes", sbom_jstr(a->origin)));
    return c;
}

static json_t *licenses(const char *license)
{
    if (sbom_license_is_expression(license))
        return json_pack("[{s:s}]", "expression", license);
    return json_pack("[{s:{s:o}}]", "license", "name", sbom_jstr(license));
}

/* A plain address only: the schema checks the e-mail's format. */
static bool plausible_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t<>()[]\\,;:\"");
}

static json_t *supplier(const char *vendor)
{
    _cleanup_free_ char *name = NULL, *email = NULL;
    sbom_split_contact(vendor, &name, &email);
    json_t *o = json_pack("{s:o}", "name", sbom_jstr(name));
    if (email && plausible_email(email))
        json_object_set_new(o, "contact", json_pack("[{s:o}]", "email", sbom_jstr(email)));
    return o;
}

static json_t *package_component(const struct sbom_pkg *sp)
{
    const struct package *p = sp->p;
    json_t *c = json_pack("{s:s, s:s, s:o, s:o, s:s, s:o}", "type", "library", "bom-ref", sp->purl, "name",
                          sbom_jstr(p->name), "version", sbom_jstr(sp->evr), "purl", sp->purl, "hashes",
                          hashes(p->sha256));
    if (p->license && *p->license)
        json_object_set_new(c, "licenses", licenses(p->license));
    if (p->vendor && *p->vendor)
        json_object_set_new(c, "supplier", supplier(p->vendor));
    if (p->summary && *p->summary)
        json_object_set_new(c, "description", sbom_jstr(p->summary));
    json_t *refs = json_array();
    if (sbom_is_web_url(p->location))
        json_array_append_new(refs, json_pack("{s:s, s:s}", "type", "distribution", "url", p->location));
    if (sbom_is_web_url(p->url))
        json_array_append_new(refs, json_pack("{s:s, s:s}", "type", "website", "url", p->url));
    if (json_array_size(refs))
        json_object_set_new(c, "externalReferences", refs);
    else
        json_decref(refs);
    if (p->source && *p->source)
        json_object_set_new(c, "properties",
                            json_pack("[{s:s, s:o}]", "name", "guestimg:source_package", "value",
                                      sbom_jstr(p->source)));
    return c;
}

static json_t *dependency(const struct sbom_pkgs *s, const struct sbom_pkg *sp)
{
    size_t cap = 0, n = 0;
    const char **refs = NULL;
    for (size_t k = 0; k < sp->p->ndepends; k++) {
        size_t count;
        const size_t *targets = sbom_named(s, sp->p->depends[k], &count);
        for (size_t t = 0; t < count; t++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                refs = xrealloc(refs, cap * sizeof(*refs));
            }
            refs[n++] = s->v[targets[t]].purl;
        }
    }
    if (n)
        qsort(refs, n, sizeof(*refs), sbom_cmp_str);
    json_t *on = json_array();
    for (size_t i = 0; i < n; i++)
        if (!i || strcmp(refs[i - 1], refs[i]))
            json_array_append_new(on, json_string(refs[i]));
    free(refs);
    return json_pack("{s:s, s:o}", "ref", sp->purl, "dependsOn", on);
}

char *sbom_cyclonedx(const struct sbom_input *in)
{
    struct sbom_pkgs s;
    if (sbom_prepare(in, &s) < 0)
        return NULL;
    char created[21], uuid[37];
    sbom_time(in->epoch, created);
    sbom_document_uuid(in, "cyclonedx", uuid);
    _cleanup_free_ char *serial = xasprintf("urn:uuid:%s", uuid);

    /* components and dependencies in bom-ref order: "file:NAME" sorts
     * before "kernel", which sorts before every "pkg:" PURL */
    json_t *components = json_array(), *deps = json_array();
    for (size_t i = 0; i < in->nfiles; i++) {
        const struct sbom_artifact *f = &in->files[i];
        _cleanup_free_ char *ref = xasprintf("file:%s", f->file_name);
        json_array_append_new(components, artifact_component(ref, "file", f));
        if (f->carries_kernel)
            json_array_append_new(deps, json_pack("{s:s, s:[s]}", "ref", ref, "dependsOn", CDX_REF_KERNEL));
    }
    if (in->kernel)
        json_array_append_new(components, artifact_component(CDX_REF_KERNEL, "file", in->kernel));
    for (size_t i = 0; i < s.n; i++) {
        json_array_append_new(components, package_component(&s.v[i]));
        json_array_append_new(deps, dependency(&s, &s.v[i]));
    }
    json_t *metadata = json_pack(
        "{s:s, s:{s:[{s:s, s:s, s:s}]}, s:o}", "timestamp", created, "tools", "components", "type",
        "application", "name", "guestimg", "version", GUESTIMG_VERSION, "component",
        artifact_component(CDX_REF_IMAGE, "operating-system", in->image));
    json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o}", "bomFormat", "CycloneDX", "specVersion",
                            "1.5", "serialNumber", serial, "version", 1, "metadata", metadata,
                            "components", components, "dependencies", deps);
    char *out = json_canonical(doc);
    json_decref(doc);
    sbom_pkgs_free(&s);
    return out;
}
