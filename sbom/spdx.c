/* SPDX 2.3 JSON: the image and the kernel as packages the document
 * DESCRIBES, the image CONTAINS every package, DEPENDS_ON from the
 * resolution. */
#include "sbom/internal.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <string.h>

struct relationship {
    const char *from, *type, *to;
};

struct spdx_doc {
    json_t *packages, *licenses;
    struct relationship *rels;
    size_t nrels, caprels;
    char **ids;          /* per package, parallel to sbom_pkgs.v */
};

static void add_rel(struct spdx_doc *d, const char *from, const char *type, const char *to)
{
    if (d->nrels == d->caprels) {
        d->caprels = d->caprels ? 2 * d->caprels : 64;
        d->rels = xrealloc(d->rels, d->caprels * sizeof(*d->rels));
    }
    d->rels[d->nrels++] = (struct relationship){from, type, to};
}

static int cmp_rel(const void *a, const void *b)
{
    const struct relationship *x = a, *y = b;
    int c = strcmp(x->from, y->from);
    if (!c)
        c = strcmp(x->type, y->type);
    return c ? c : strcmp(x->to, y->to);
}

/* SPDX identifiers allow [A-Za-z0-9.-]: the name (readable, others become
 * "-") and 48 bits of the PURL's digest (unique). */
static void add_idstring(struct strbuf *sb, const char *s, size_t max)
{
    bool dash = false;
    for (size_t i = 0; s[i] && i < max; i++) {
        bool ok = isalnum((unsigned char)s[i]) || s[i] == '.';
        if (ok)
            sb_add(sb, &s[i], 1);
        else if (!dash)
            sb_puts(sb, "-");
        dash = !ok;
    }
}

static char *hashed_id(const char *prefix, const char *readable, const char *unique)
{
    uint8_t d[SHA256_LEN];
    char hex[13];
    sha256_buf(unique, strlen(unique), d);
    hex_encode(d, 6, hex);
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, prefix);
    add_idstring(&sb, readable, 64);
    if (sb.buf[sb.len - 1] == '-')
        sb.buf[--sb.len] = 0;
    sb_printf(&sb, "-%s", hex);
    return sb_detach(&sb);
}

static json_t *checksums(const char *sha256)
{
    return json_pack("[{s:s, s:s}]", "algorithm", "SHA256", "checksumValue", sha256);
}

static json_t *common_package(const char *id, const char *name, const char *version, const char *sha256)
{
    json_t *p = json_object();
    json_object_set_new(p, "SPDXID", json_string(id));
    json_object_set_new(p, "name", sbom_jstr(name));
    json_object_set_new(p, "versionInfo", sbom_jstr(version));
    json_object_set_new(p, "filesAnalyzed", json_false());
    json_object_set_new(p, "checksums", checksums(sha256));
    json_object_set_new(p, "copyrightText", json_string("NOASSERTION"));
    json_object_set_new(p, "licenseConcluded", json_string("NOASSERTION"));
    return p;
}

static json_t *artifact_package(const char *id, const struct sbom_artifact *a, const char *purpose)
{
    json_t *p = common_package(id, a->name, a->version, a->sha256);
    json_object_set_new(p, "packageFileName", sbom_jstr(a->file_name));
    json_object_set_new(p, "downloadLocation", json_string("NOASSERTION"));
    json_object_set_new(p, "licenseDeclared", json_string("NOASSERTION"));
    json_object_set_new(p, "primaryPackagePurpose", json_string(purpose));
    if (a->origin)
        json_object_set_new(p, "sourceInfo", sbom_jstr(a->origin));
    return p;
}

/* A declared license that is an SPDX expression goes in as is; any other
 * text gets a LicenseRef- with the text under hasExtractedLicensingInfos. */
static json_t *declared_license(struct spdx_doc *d, const char *license)
{
    if (!license || !*license)
        return json_string("NOASSERTION");
    if (sbom_license_is_expression(license))
        return json_string(license);
    _cleanup_free_ char *id = hashed_id("LicenseRef-", license, license);
    if (!json_object_get(d->licenses, id))
        json_object_set_new(d->licenses, id,
                            json_pack("{s:s, s:o, s:o}", "licenseId", id, "extractedText",
                                      sbom_jstr(license), "name", sbom_jstr(license)));
    return json_string(id);
}

static json_t *supplier(const char *vendor)
{
    if (!vendor || !*vendor)
        return json_string("NOASSERTION");
    _cleanup_free_ char *name = NULL, *email = NULL;
    sbom_split_contact(vendor, &name, &email);
    _cleanup_free_ char *s = email ? xasprintf("Organization: %s (%s)", name, email)
                                   : xasprintf("Organization: %s", name);
    return sbom_jstr(s);
}

static json_t *package_entry(struct spdx_doc *d, const struct sbom_pkg *sp, const char *id)
{
    const struct package *p = sp->p;
    json_t *j = common_package(id, p->name, sp->evr, p->sha256);
    json_object_set_new(j, "downloadLocation",
                        sbom_is_web_url(p->location) ? json_string(p->location) : json_string("NOASSERTION"));
    json_object_set_new(j, "licenseDeclared", declared_license(d, p->license));
    json_object_set_new(j, "supplier", supplier(p->vendor));
    json_object_set_new(j, "externalRefs",
                        json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                                  "referenceType", "purl", "referenceLocator", sp->purl));
    if (sbom_is_web_url(p->url))
        json_object_set_new(j, "homepage", json_string(p->url));
    if (p->summary && *p->summary)
        json_object_set_new(j, "summary", sbom_jstr(p->summary));
    if (p->source && *p->source) {
        _cleanup_free_ char *info = xasprintf("built from source package %s", p->source);
        json_object_set_new(j, "sourceInfo", sbom_jstr(info));
    }
    return j;
}

static json_t *relationships_json(struct spdx_doc *d)
{
    qsort(d->rels, d->nrels, sizeof(*d->rels), cmp_rel);
    json_t *a = json_array();
    for (size_t i = 0; i < d->nrels; i++) {
        if (i && !cmp_rel(&d->rels[i - 1], &d->rels[i]))
            continue;
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "spdxElementId", d->rels[i].from,
                                           "relationshipType", d->rels[i].type,
                                           "relatedSpdxElement", d->rels[i].to));
    }
    return a;
}

static char *namespace_uri(const struct sbom_input *in)
{
    char uuid[37];
    sbom_document_uuid(in, "spdx", uuid);
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "https://spdx.org/spdxdocs/guestimg/");
    add_idstring(&sb, in->name, 128);
    sb_puts(&sb, "-");
    add_idstring(&sb, in->version, 128);
    sb_printf(&sb, "-%s", uuid);
    return sb_detach(&sb);
}

char *sbom_spdx(const struct sbom_input *in)
{
    struct sbom_pkgs s;
    if (sbom_prepare(in, &s) < 0)
        return NULL;
    struct spdx_doc d = {.packages = json_array(), .licenses = json_object()};
    d.ids = xcalloc(s.n, sizeof(char *));

    json_array_append_new(d.packages, artifact_package(SPDX_ID_IMAGE, in->image, "OPERATING_SYSTEM"));
    add_rel(&d, "SPDXRef-DOCUMENT", "DESCRIBES", SPDX_ID_IMAGE);
    if (in->kernel) {
        json_array_append_new(d.packages, artifact_package(SPDX_ID_KERNEL, in->kernel, "FILE"));
        add_rel(&d, "SPDXRef-DOCUMENT", "DESCRIBES", SPDX_ID_KERNEL);
    }
    for (size_t i = 0; i < in->nfiles; i++) {
        const struct sbom_artifact *f = &in->files[i];
        _cleanup_free_ char *id = hashed_id("SPDXRef-File-", f->file_name, f->file_name);
        json_array_append_new(d.packages, artifact_package(id, f, "FILE"));
        add_rel(&d, "SPDXRef-DOCUMENT", "DESCRIBES", id);
        if (f->carries_kernel)
            add_rel(&d, id, "CONTAINS", SPDX_ID_KERNEL);
    }
    for (size_t i = 0; i < s.n; i++) {
        d.ids[i] = hashed_id("SPDXRef-Package-", s.v[i].p->name, s.v[i].purl);
        json_array_append_new(d.packages, package_entry(&d, &s.v[i], d.ids[i]));
        add_rel(&d, SPDX_ID_IMAGE, "CONTAINS", d.ids[i]);
    }
    for (size_t i = 0; i < s.n; i++)
        for (size_t k = 0; k < s.v[i].p->ndepends; k++) {
            size_t count;
            const size_t *targets = sbom_named(&s, s.v[i].p->depends[k], &count);
            for (size_t t = 0; t < count; t++)
                add_rel(&d, d.ids[i], "DEPENDS_ON", d.ids[targets[t]]);
        }

    char created[21];
    sbom_time(in->epoch, created);
    _cleanup_free_ char *ns = namespace_uri(in);
    _cleanup_free_ char *docname = xasprintf("%s-%s", in->name, in->version);
    _cleanup_free_ char *creator = xasprintf("Tool: guestimg-%s", GUESTIMG_VERSION);
    json_t *doc = json_object();
    json_object_set_new(doc, "spdxVersion", json_string("SPDX-2.3"));
    json_object_set_new(doc, "dataLicense", json_string("CC0-1.0"));
    json_object_set_new(doc, "SPDXID", json_string("SPDXRef-DOCUMENT"));
    json_object_set_new(doc, "name", sbom_jstr(docname));
    json_object_set_new(doc, "documentNamespace", json_string(ns));
    json_object_set_new(doc, "creationInfo",
                        json_pack("{s:s, s:[s]}", "created", created, "creators", creator));
    /* in order: the image, the kernel, the further files by name, then the packages by PURL */
    json_object_set_new(doc, "packages", d.packages);
    json_object_set_new(doc, "relationships", relationships_json(&d));
    if (json_object_size(d.licenses)) {
        json_t *infos = json_array();
        const char *key;
        json_t *v;
        /* json_object_foreach order is unspecified: go by sorted keys */
        size_t nk = json_object_size(d.licenses), k = 0;
        const char **keys = xcalloc(nk, sizeof(char *));
        json_object_foreach(d.licenses, key, v) keys[k++] = key;
        qsort(keys, nk, sizeof(char *), sbom_cmp_str);
        for (k = 0; k < nk; k++)
            json_array_append(infos, json_object_get(d.licenses, keys[k]));
        free(keys);
        json_object_set_new(doc, "hasExtractedLicensingInfos", infos);
    }
    char *out = json_canonical(doc);
    json_decref(doc);
    json_decref(d.licenses);
    for (size_t i = 0; i < s.n; i++)
        free(d.ids[i]);
    free(d.ids);
    free(d.rels);
    sbom_pkgs_free(&s);
    return out;
}
