/* A release as an OCI artifact in an image layout (release/oci.h). */
#include "release/oci.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/util.h"
#include "release/assemble.h"
#include "release/outdir.h"
#include "release/provenance.h"
#include "release/release.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_EMPTY "application/vnd.oci.empty.v1+json"
#define ANN_TITLE "org.opencontainers.image.title"

/* The media type a release file is published with. */
static const char *media_type(const struct release *r, const char *name)
{
    static const struct {
        const char *suffix, *type;
    } by_suffix[] = {
        {RELEASE_SIG_FILE, "application/vnd.guestimg.release.signature.v1"},
        {PROVENANCE_FILE, "application/vnd.dsse.envelope.v1+json"},
        {".spdx.json", "application/spdx+json"},
        {".cdx.json", "application/vnd.cyclonedx+json"},
        {".json", "application/json"},
        {".txt", "text/plain"},
        {".tsv", "text/tab-separated-values"},
        {".config", "text/plain"},
        {".cose", "application/cose"},
        {".aml", "application/vnd.guestimg.acpi-table"},
    };
    if (!strcmp(name, RELEASE_FILE))
        return OCI_RELEASE_ARTIFACT_TYPE;
    if (streq(name, r->image))
        return "application/vnd.guestimg.disk-image";
    if (streq(name, r->kernel))
        return "application/vnd.guestimg.kernel";
    for (size_t i = 0; i < r->nigvms; i++)
        if (streq(name, r->igvms[i].name))
            return "application/vnd.guestimg.igvm";
    for (size_t i = 0; i < ARRAY_SIZE(by_suffix); i++)
        if (endswith(name, by_suffix[i].suffix))
            return by_suffix[i].type;
    return "application/octet-stream";
}

struct layout {
    const char *release_dir;
    char *blobs;              /* TMP/blobs/sha256 */
};

static json_t *descriptor(const char *media, const char *hex, uint64_t size)
{
    _cleanup_free_ char *d = xasprintf("sha256:%s", hex);
    return json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest", d, "size", (json_int_t)size);
}

static int blob_bytes(struct layout *l, const void *data, size_t len, char hex[65])
{
    uint8_t md[SHA256_LEN];
    sha256_buf(data, len, md);
    hex_encode(md, SHA256_LEN, hex);
    _cleanup_free_ char *path = xasprintf("%s/%s", l->blobs, hex);
    return file_write_atomic(path, data, len, 0644);
}

/* Copy a file of the release into the blobs, checking it against what
 * release.json says of it (want_sha NULL: the file is not an artifact). */
static int blob_file(struct layout *l, const char *name, const char *want_sha, uint64_t want_size, char hex[65],
                     uint64_t *size)
{
    _cleanup_free_ char *tmp = xasprintf("%s/.incoming", l->blobs);
    int out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        return err_sys(-errno, "%s: cannot create", tmp);
    int rc = file_copy_in_dir(l->release_dir, name, out, tmp);
    uint8_t md[SHA256_LEN];
    size_t mdlen;
    if (rc == 0)
        rc = hash_fd(out, "sha256", tmp, md, &mdlen, size);
    if (close(out) < 0 && rc == 0)
        rc = err_sys(-errno, "%s: write failed", tmp);
    if (rc == 0) {
        hex_encode(md, SHA256_LEN, hex);
        if (want_sha && (strcmp(hex, want_sha) || *size != want_size))
            rc = err_set(-EBADMSG, "%s/%s: sha256 %s (%llu bytes), but release.json says %s (%llu bytes): not published",
                         l->release_dir, name, hex, (unsigned long long)*size, want_sha,
                         (unsigned long long)want_size);
    }
    _cleanup_free_ char *path = xasprintf("%s/%s", l->blobs, hex);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = err_sys(-errno, "%s: cannot rename", path);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* One layer: the file as a blob, its descriptor with its name. */
static int add_layer(struct layout *l, const struct release *r, json_t *layers, const char *name,
                     const struct release_artifact *a)
{
    char hex[65];
    uint64_t size = 0;
    int rc = blob_file(l, name, a ? a->sha256 : NULL, a ? a->size : 0, hex, &size);
    if (rc < 0)
        return rc;
    json_t *d = descriptor(media_type(r, name), hex, size);
    json_object_set_new(d, "annotations", json_pack("{s:s}", ANN_TITLE, name));
    json_array_append_new(layers, d);
    return 0;
}

/* A manifest as a blob; its descriptor in *desc. */
static int add_manifest(struct layout *l, json_t *manifest, const char *artifact_type, json_t **desc)
{
    _cleanup_free_ char *text = json_canonical(manifest);
    size_t len = strlen(text) - (text[0] && text[strlen(text) - 1] == '\n');
    char hex[65];
    int rc = blob_bytes(l, text, len, hex);
    if (rc < 0)
        return rc;
    *desc = descriptor(MT_MANIFEST, hex, len);
    json_object_set_new(*desc, "artifactType", json_string(artifact_type));
    return 0;
}

static json_t *manifest_of(const char *artifact_type, json_t *config, json_t *layers, json_t *annotations)
{
    return json_pack("{s:i, s:s, s:s, s:o, s:o, s:o}", "schemaVersion", 2, "mediaType", MT_MANIFEST,
                     "artifactType", artifact_type, "config", config, "layers", layers, "annotations",
                     annotations);
}

/* OCI's tag grammar: [A-Za-z0-9_][A-Za-z0-9._-]{0,127} */
static bool valid_tag(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(t[i] >= 'a' && t[i] <= 'z') && !(t[i] >= 'A' && t[i] <= 'Z') && !(t[i] >= '0' && t[i] <= '9') &&
            t[i] != '_' && t[i] != '.' && t[i] != '-')
            return false;
    return true;
}

static int write_json(const char *dir, const char *name, json_t *j)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    int rc = json_write_canonical(path, j);
    json_decref(j);
    return rc;
}

static bool file_in(const char *dir, const char *name)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
    struct stat st;
    return lstat(p, &st) == 0;
}

static int build_layout(struct layout *l, const struct release *r, const char *tmp, const char *tag,
                        char manifest_digest[72])
{
    _cleanup_free_ char *blobs_parent = xasprintf("%s/blobs", tmp);
    int rc = mkdir(blobs_parent, 0755) < 0 || mkdir(l->blobs, 0755) < 0 ? err_sys(-errno, "%s: cannot create", l->blobs)
                                                                          : 0;
    char empty[65];
    if (rc == 0)
        rc = blob_bytes(l, "{}", 2, empty);
    json_t *layers = json_array();
    if (rc == 0)
        rc = add_layer(l, r, layers, RELEASE_FILE, NULL);
    for (size_t i = 0; i < r->nartifacts && rc == 0; i++)
        rc = add_layer(l, r, layers, r->artifacts[i].name, &r->artifacts[i]);
    json_t *rel_desc = NULL, *index = json_array();
    if (rc == 0) {
        json_t *m = manifest_of(OCI_RELEASE_ARTIFACT_TYPE, descriptor(MT_EMPTY, empty, 2), layers,
                                json_pack("{s:s, s:s}", ANN_TITLE, r->name, "org.opencontainers.image.version",
                                          r->version));
        layers = NULL;
        rc = add_manifest(l, m, OCI_RELEASE_ARTIFACT_TYPE, &rel_desc);
        json_decref(m);
    }
    if (rc == 0) {
        snprintf(manifest_digest, 72, "%s", json_string_value(json_object_get(rel_desc, "digest")));
        json_t *tagged = json_deep_copy(rel_desc);
        json_object_set_new(tagged, "annotations", json_pack("{s:s}", "org.opencontainers.image.ref.name", tag));
        json_array_append_new(index, tagged);
    }
    /* the signature and the provenance: a referrer of the release manifest */
    json_t *sig_layers = json_array();
    static const char *const signed_files[] = {RELEASE_SIG_FILE, PROVENANCE_FILE};
    for (size_t i = 0; i < ARRAY_SIZE(signed_files) && rc == 0; i++)
        if (file_in(l->release_dir, signed_files[i]))
            rc = add_layer(l, r, sig_layers, signed_files[i], NULL);
    if (rc == 0 && json_array_size(sig_layers)) {
        json_t *m = manifest_of(OCI_SIGNATURE_ARTIFACT_TYPE, descriptor(MT_EMPTY, empty, 2), sig_layers,
                                json_pack("{s:s}", ANN_TITLE, RELEASE_SIG_FILE));
        sig_layers = NULL;
        json_object_set_new(m, "subject", json_deep_copy(rel_desc));
        json_t *sig_desc = NULL;
        rc = add_manifest(l, m, OCI_SIGNATURE_ARTIFACT_TYPE, &sig_desc);
        json_decref(m);
        if (rc == 0) {
            /* the tag cosign and the referrers fallback would look under */
            _cleanup_free_ char *ref = xasprintf("sha256-%s.sig", manifest_digest + strlen("sha256:"));
            json_object_set_new(sig_desc, "annotations", json_pack("{s:s}", "org.opencontainers.image.ref.name", ref));
            json_array_append_new(index, sig_desc);
        }
    }
    json_decref(sig_layers);
    json_decref(layers);
    json_decref(rel_desc);
    if (rc == 0)
        rc = write_json(tmp, "oci-layout", json_pack("{s:s}", "imageLayoutVersion", "1.0.0"));
    if (rc == 0) {
        rc = write_json(tmp, "index.json",
                        json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests", index));
    }
    json_decref(index);
    return rc;
}

int release_publish_oci(const struct oci_opts *o, char manifest_digest[72])
{
    struct release r;
    _cleanup_free_ char *rj = xasprintf("%s/%s", o->release_dir, RELEASE_FILE);
    int rc = release_load(rj, &r);
    if (rc < 0)
        return rc;
    const char *tag = o->tag ? o->tag : r.version;
    if (!valid_tag(tag)) {
        rc = err_set(-EINVAL, "%s: '%s' is not an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}); give --tag",
                     o->tag ? "--tag" : rj, tag);
        release_free(&r);
        return rc;
    }
    struct outdir out;
    if ((rc = outdir_begin_marked(&out, o->layout_dir, "oci-layout")) == 0) {
        struct layout l = {.release_dir = o->release_dir, .blobs = xasprintf("%s/blobs/sha256", out.tmp)};
        rc = build_layout(&l, &r, out.tmp, tag, manifest_digest);
        free(l.blobs);
        if (rc == 0)
            rc = outdir_commit(&out);
        outdir_abort(&out);
    }
    release_free(&r);
    return rc;
}
