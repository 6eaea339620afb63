/* Writing a release's published files, release.json last but for its
 * signature. */
#include "release/assemble.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"
#include "release/provenance.h"
#include "release/publish.h"
#include "release/sign.h"
#include "sbom/sbom.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int write_text(const char *dir, const char *name, const char *text)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    return file_write_atomic(path, text, strlen(text), 0644);
}

static int file_sha256(const char *dir, const char *name, char hex[65], uint64_t *size)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    return sha256_file_hex(path, hex, size);
}

/* sha256 and size of a file in dir; the image's digest from the caller
 * when it has it (the image is the one large file: read it no more). */
static int artifact_digest(const struct release_inputs *in, const char *name, char hex[65], uint64_t *size)
{
    if (!in->image_sha256 || strcmp(name, in->image))
        return file_sha256(in->dir, name, hex, size);
    _cleanup_free_ char *path = xasprintf("%s/%s", in->dir, name);
    struct stat st;
    if (stat(path, &st) < 0)
        return err_sys(-errno, "%s: cannot stat", path);
    memcpy(hex, in->image_sha256, 65);
    if (size)
        *size = (uint64_t)st.st_size;
    return 0;
}

/* The kernel's provenance in words, for the SBOMs. */
static char *kernel_origin(const struct release_kernel_provenance *k)
{
    if (!strcmp(k->from, "profile"))
        return xasprintf("built from the source %s (sha256 %s) with the kernel-configs profile %s", k->source,
                         k->source_sha256, k->profile);
    return xasprintf("taken from the %s %s (sha256 %s)", k->from, k->source, k->source_sha256);
}

static int cmp_file_name(const void *a, const void *b)
{
    return strcmp(((const struct sbom_artifact *)a)->file_name, ((const struct sbom_artifact *)b)->file_name);
}

/* The IGVM files and the ACPI tables they carry, for the SBOMs (strings in
 * *keep, freed by the caller). */
static int sbom_files(const struct release_inputs *in, struct sbom_artifact **out, size_t *n, char ***keep,
                      size_t *nkeep)
{
    size_t cap = 0;
    for (size_t i = 0; i < in->nigvms; i++)
        cap += 1 + (i == 0 ? in->igvms[i].nacpi : 0);
    *out = xcalloc(cap + 1, sizeof(**out));
    *keep = xcalloc(4 * cap + 1, sizeof(char *));
    *n = *nkeep = 0;
    for (size_t i = 0; i < in->nigvms; i++) {
        const struct release_igvm *g = &in->igvms[i];
        char *sha = xmalloc(65), *origin;
        uint8_t cd[32];
        char cmd[65];
        int r = artifact_digest(in, g->name, sha, NULL);
        if (r < 0) {
            free(sha);
            return r;
        }
        sha256_buf(g->cmdline, strlen(g->cmdline), cd);
        hex_encode(cd, sizeof(cd), cmd);
        origin = xasprintf("IGVM guest file (%s, SNP launch digest %s) carrying the kernel %s, its command line "
                           "(sha256 %s) and %zu ACPI tables", g->variant, g->digest, in->kernel, cmd, g->nacpi);
        (*keep)[(*nkeep)++] = sha;
        (*keep)[(*nkeep)++] = origin;
        (*out)[(*n)++] = (struct sbom_artifact){g->name, in->version, g->name, sha, origin, true};
        for (size_t k = 0; i == 0 && k < g->nacpi; k++) {
            char *acpi_origin = xasprintf("ACPI table carried by the IGVM files (%s)", g->name);
            (*keep)[(*nkeep)++] = acpi_origin;
            (*out)[(*n)++] = (struct sbom_artifact){g->acpi[k].name, in->version, g->acpi[k].name,
                                                    g->acpi[k].sha256, acpi_origin, false};
        }
    }
    if (*n)
        qsort(*out, *n, sizeof(**out), cmp_file_name);
    return 0;
}

static int write_sboms(const struct release_inputs *in)
{
    char image_sha[65], kernel_sha[65];
    int r;
    if ((r = artifact_digest(in, in->image, image_sha, NULL)) < 0 ||
        (r = artifact_digest(in, in->kernel, kernel_sha, NULL)) < 0)
        return r;
    _cleanup_free_ char *origin = kernel_origin(&in->kernel_provenance);
    struct sbom_artifact image = {in->name, in->version, in->image, image_sha, NULL, false};
    struct sbom_artifact kernel = {"linux", in->kernel_version, in->kernel, kernel_sha, origin, false};
    struct sbom_artifact *files = NULL;
    char **keep = NULL;
    size_t nfiles = 0, nkeep = 0;
    r = sbom_files(in, &files, &nfiles, &keep, &nkeep);
    struct sbom_input s = {in->name, in->version, in->epoch, &image, &kernel, in->packages, files, nfiles};
    _cleanup_free_ char *spdx = r == 0 ? sbom_spdx(&s) : NULL;
    _cleanup_free_ char *cdx = spdx ? sbom_cyclonedx(&s) : NULL;
    for (size_t i = 0; i < nkeep; i++)
        free(keep[i]);
    free(keep);
    free(files);
    if (!cdx)
        return r < 0 ? r : -EINVAL;
    if ((r = write_text(in->dir, SBOM_SPDX_FILE, spdx)) < 0)
        return r;
    return write_text(in->dir, SBOM_CDX_FILE, cdx);
}

static int write_measurements(const struct release_inputs *in, const struct release *r)
{
    for (size_t i = 0; i < r->nmeasurements; i++) {
        const struct release_measurement *m = &r->measurements[i];
        if (!publish_is_snp(m))
            continue;
        _cleanup_free_ char *name = publish_measurement_file_name(r, m);
        _cleanup_free_ char *text = publish_measurement_json(m->digest, r->svn);
        int rc = write_text(in->dir, name, text);
        if (rc < 0)
            return rc;
    }
    _cleanup_free_ char *trustee = publish_trustee_message(r);
    return trustee ? write_text(in->dir, TRUSTEE_REFERENCE_FILE, trustee) : 0;
}

/* Every regular file in dir but release.json and its signature. */
static int list_artifacts(const struct release_inputs *in, struct release *r)
{
    const char *dir = in->dir;
    DIR *d = opendir(dir);
    if (!d)
        return err_sys(-errno, "%s: cannot list", dir);
    struct dirent *e;
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, RELEASE_FILE) ||
            !strcmp(e->d_name, RELEASE_SIG_FILE) || !strcmp(e->d_name, PROVENANCE_FILE))
            continue;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) < 0) {
            rc = err_sys(-errno, "%s: cannot stat", path);
            break;
        }
        if (!S_ISREG(st.st_mode) || !release_is_file_name(e->d_name)) {
            rc = err_set(-EINVAL, "%s: not a regular file with a plain name: cannot publish it", path);
            break;
        }
        if (r->nartifacts == cap) {
            cap = cap ? 2 * cap : 16;
            r->artifacts = xrealloc(r->artifacts, cap * sizeof(*r->artifacts));
        }
        struct release_artifact *a = &r->artifacts[r->nartifacts];
        a->name = xstrdup(e->d_name);
        a->sha256 = xmalloc(65);
        r->nartifacts++;
        rc = artifact_digest(in, e->d_name, a->sha256, &a->size);
    }
    closedir(d);
    return rc;
}

static int sign(const struct release_inputs *in, const char *text)
{
    _cleanup_free_ uint8_t *sig = NULL;
    size_t len;
    int r = release_sign(in->sign_key, text, strlen(text), &sig, &len);
    if (r < 0)
        return r;
    _cleanup_free_ char *path = xasprintf("%s/%s", in->dir, RELEASE_SIG_FILE);
    return file_write_atomic(path, sig, len, 0644);
}

/* Signed builds say what they were built from (release/provenance.h). */
static int write_provenance(const struct release_inputs *in, const struct release *r)
{
    _cleanup_free_ char *statement = provenance_statement_in_dir(r, in->dir);
    if (!statement)
        return -EINVAL;
    _cleanup_free_ char *path = xasprintf("%s/%s", in->dir, PROVENANCE_FILE);
    return provenance_write(path, statement, in->sign_key);
}

static void free_artifacts(struct release *r)
{
    for (size_t i = 0; i < r->nartifacts; i++) {
        free(r->artifacts[i].name);
        free(r->artifacts[i].sha256);
    }
    free(r->artifacts);
}

int release_assemble(const struct release_inputs *in)
{
    struct release r = {
        .schema = RELEASE_SCHEMA, .name = (char *)in->name, .version = (char *)in->version,
        .epoch = in->epoch, .tool_name = "guestimg", .tool_version = GUESTIMG_VERSION,
        .manifest_sha256 = (char *)in->manifest_sha256, .lock_sha256 = (char *)in->lock_sha256,
        .image = (char *)in->image, .kernel = (char *)in->kernel, .kernel_provenance = in->kernel_provenance,
        .svn = in->svn, .verity = in->verity,
        .cmdline = (char *)in->cmdline, .measurements = in->measurements, .nmeasurements = in->nmeasurements,
        .igvms = in->igvms, .nigvms = in->nigvms,
        .has_appraisal = in->appraisal != NULL,
    };
    if (in->appraisal)
        r.appraisal = *in->appraisal;
    _cleanup_free_ char *cmdline = xasprintf("%s\n", in->cmdline);
    int rc = write_text(in->dir, CMDLINE_FILE, cmdline);
    if (rc == 0)
        rc = write_sboms(in);
    if (rc == 0)
        rc = write_measurements(in, &r);
    if (rc == 0)
        rc = list_artifacts(in, &r);
    _cleanup_free_ char *text = NULL;
    if (rc == 0) {
        text = release_to_json(&r);
        /* what verify will read: the same checks, before anyone relies on it */
        struct release check;
        rc = release_parse(text, strlen(text), RELEASE_FILE, &check);
        release_free(&check);
    }
    if (rc == 0 && in->sign_key)
        rc = sign(in, text);
    if (rc == 0 && in->sign_key)
        rc = write_provenance(in, &r);
    if (rc == 0) {
        _cleanup_free_ char *path = xasprintf("%s/%s", in->dir, RELEASE_FILE);
        rc = file_write_atomic(path, text, strlen(text), 0644);
    }
    free_artifacts(&r);
    return rc;
}
