/* The checks behind `guestimg verify`. */
#include "release/verify.h"
#include "builder/packages/lock.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/snp_policy.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "release/assemble.h"
#include "release/build.h"
#include "release/igvm.h"
#include "release/measurements.h"
#include "release/provenance.h"
#include "release/publish.h"
#include "release/release.h"
#include "release/sign.h"
#include "release/verity_check.h"
#include "measure/igvm.h"
#include "sbom/sbom.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Release files are small; artifacts that are read whole (text) too. */
#define TEXT_MAX (16u << 20)
/* An IGVM file holds a kernel and a few pages besides. */
#define IGVM_MAX (1u << 30)

struct verifier {
    const struct verify_opts *o;
    struct release r;
    char *dir;
    char *table;             /* the dm-verity table the image's data gives (check_verity) */
    verify_report_fn report;
    void *ctx;
    int failed;
};

static void check(struct verifier *v, bool ok, const char *expected, const char *actual, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void check(struct verifier *v, bool ok, const char *expected, const char *actual, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = NULL;
    if (vasprintf(&what, fmt, ap) < 0)
        abort();
    va_end(ap);
    struct verify_check c = {ok, what, expected, actual};
    v->report(&c, v->ctx);
    free(what);
    v->failed += !ok;
}

/* The artifacts are untrusted: each is opened right inside the directory,
 * as a regular file itself (file_open_in_dir: never a symbolic link to
 * /etc/shadow, a FIFO that blocks or a device that never ends). The
 * readers below that take a path get it only once that check passed;
 * NULL (error set) otherwise. */
static char *artifact_path(const struct verifier *v, const char *name)
{
    struct stat st;
    int fd = file_open_in_dir(v->dir, name, &st);
    if (fd < 0)
        return NULL;
    close(fd);
    return xasprintf("%s/%s", v->dir, name);
}

/* A text artifact's content, or NULL (with the reason in *why). */
static char *read_artifact(const struct verifier *v, const char *name, char **why)
{
    char *text = NULL;
    if (file_read_text_in_dir(v->dir, name, &text, TEXT_MAX) < 0) {
        *why = xstrdup(err_msg());
        return NULL;
    }
    return text;
}

/* A key that cannot be used at all is an error, not a mismatch. */
static int check_signature(struct verifier *v, const char *text, size_t len)
{
    _cleanup_free_ char *sig_path = xasprintf("%s.sig", v->o->release_path);
    _cleanup_free_ char *copy = xstrdup(sig_path), *copy2 = xstrdup(sig_path);
    _cleanup_free_ uint8_t *sig = NULL;
    size_t siglen;
    if (file_read_in_dir(dirname(copy), basename(copy2), &sig, &siglen, 1 << 16) < 0) {
        check(v, false, "a detached signature", err_msg(), "signature %s", sig_path);
        return 0;
    }
    int r = release_verify_signature(v->o->pubkey, text, len, sig, siglen);
    if (r < 0 && r != -EBADMSG)
        return r;
    check(v, r == 0, "a signature by this key", "a signature that does not verify", "signature %s (key %s)",
          sig_path, v->o->pubkey);
    return 0;
}

/* sha256 of at most the declared size + 1 bytes: enough to see a longer file. */
static int hash_artifact(const struct verifier *v, const struct release_artifact *a, char hex[65], uint64_t *size)
{
    struct stat st;
    _cleanup_close_ int fd = file_open_in_dir(v->dir, a->name, &st);
    if (fd < 0)
        return fd;
    _cleanup_free_ char *path = xasprintf("%s/%s", v->dir, a->name);
    uint8_t d[SHA256_LEN];
    int r = hash_fd_max(fd, "sha256", path, a->size + 1, d, NULL, size);
    if (r == 0)
        hex_encode(d, sizeof(d), hex);
    return r;
}

static void check_artifacts(struct verifier *v)
{
    for (size_t i = 0; i < v->r.nartifacts; i++) {
        const struct release_artifact *a = &v->r.artifacts[i];
        char hex[65];
        uint64_t size = 0;
        if (hash_artifact(v, a, hex, &size) < 0) {
            _cleanup_free_ char *want = xasprintf("%llu bytes sha256 %s", (unsigned long long)a->size, a->sha256);
            check(v, false, want, err_msg(), "artifact %s", a->name);
        } else if (size != a->size) {
            _cleanup_free_ char *want = xasprintf("%llu bytes", (unsigned long long)a->size);
            _cleanup_free_ char *got = xasprintf("%llu bytes", (unsigned long long)size);
            check(v, false, want, got, "artifact %s size", a->name);
        } else {
            check(v, !strcmp(hex, a->sha256), a->sha256, hex, "artifact %s sha256", a->name);
        }
    }
}

/* Text artifacts whose whole content follows from release.json. */
static void check_derived(struct verifier *v, const char *name, const char *want)
{
    if (!release_artifact(&v->r, name)) {
        check(v, false, name, "not among the artifacts", "%s", name);
        return;
    }
    _cleanup_free_ char *why = NULL;
    _cleanup_free_ char *text = read_artifact(v, name, &why);
    if (!text)
        check(v, false, "the file", why, "%s matches release.json", name);
    else
        check(v, !strcmp(text, want), want, text, "%s matches release.json", name);
}

static void check_published_measurements(struct verifier *v)
{
    for (size_t i = 0; i < v->r.nmeasurements; i++) {
        const struct release_measurement *m = &v->r.measurements[i];
        if (!publish_is_snp(m))
            continue;
        _cleanup_free_ char *name = publish_measurement_file_name(&v->r, m);
        _cleanup_free_ char *want = publish_measurement_json(m->digest, v->r.svn);
        check_derived(v, name, want);
    }
    _cleanup_free_ char *trustee = publish_trustee_message(&v->r);
    if (trustee)
        check_derived(v, TRUSTEE_REFERENCE_FILE, trustee);
}

static void check_sbom_digest(struct verifier *v, const char *sbom, const char *role, const char *artifact,
                              const char *recorded)
{
    const struct release_artifact *a = release_artifact(&v->r, artifact);
    check(v, recorded && !strcmp(recorded, a->sha256), a->sha256, recorded ? recorded : "none",
          "sbom %s %s sha256", sbom, role);
}

static const struct sbom_package_digest *sbom_package(const struct sbom_digests *d, const char *purl)
{
    for (size_t i = 0; i < d->npackages; i++)
        if (!strcmp(d->packages[i].purl, purl))
            return &d->packages[i];
    return NULL;
}

/* The SBOM lists exactly the packages of the published lock, each with the
 * sha256 the lock gives its file. */
static void check_sbom_packages(struct verifier *v, const char *sbom, const struct sbom_digests *d,
                                const struct lock *l)
{
    struct strbuf diff = STRBUF_INIT;
    for (size_t i = 0; i < l->pkgs.n; i++) {
        _cleanup_free_ char *purl = sbom_purl(&l->pkgs.v[i]);
        const struct sbom_package_digest *p = sbom_package(d, purl);
        if (!p)
            sb_printf(&diff, "%s%s missing", diff.len ? "; " : "", purl);
        else if (!p->sha256 || strcmp(p->sha256, l->pkgs.v[i].sha256))
            sb_printf(&diff, "%s%s sha256 %s", diff.len ? "; " : "", purl, p->sha256 ? p->sha256 : "none");
    }
    if (d->npackages != l->pkgs.n)
        sb_printf(&diff, "%s%zu packages", diff.len ? "; " : "", d->npackages);
    _cleanup_free_ char *want = xasprintf("%zu package%s with the sha256 %s gives", l->pkgs.n,
                                          l->pkgs.n == 1 ? "" : "s", BUILD_LOCK_FILE);
    check(v, !diff.len, want, diff.buf, "sbom %s packages", sbom);
    sb_release(&diff);
}

static void check_sboms(struct verifier *v)
{
    struct lock l;
    bool listed = release_artifact(&v->r, BUILD_LOCK_FILE);
    _cleanup_free_ char *lock_path = listed ? artifact_path(v, BUILD_LOCK_FILE) : NULL;
    bool have_lock = lock_path && lock_read(lock_path, &l) == 0;
    if (listed && !have_lock)
        check(v, false, "a lock file", err_msg(), "sbom packages against %s", BUILD_LOCK_FILE);
    for (size_t i = 0; i < v->r.nartifacts; i++) {
        const char *name = v->r.artifacts[i].name;
        if (!endswith(name, ".spdx.json") && !endswith(name, ".cdx.json"))
            continue;
        _cleanup_free_ char *path = artifact_path(v, name);
        struct sbom_digests d;
        if (!path || sbom_read_digests(path, &d) < 0) {
            check(v, false, "an SBOM", err_msg(), "sbom %s", name);
            continue;
        }
        check_sbom_digest(v, name, "image", v->r.image, d.image_sha256);
        check_sbom_digest(v, name, "kernel", v->r.kernel, d.kernel_sha256);
        if (have_lock)
            check_sbom_packages(v, name, &d, &l);
        sbom_digests_free(&d);
    }
    if (have_lock)
        lock_free(&l);
}

static void check_verity(struct verifier *v)
{
    char root[65];
    _cleanup_free_ char *table = NULL;
    bool tree_ok;
    if (release_verity_recompute(&v->r, v->dir, root, &table, &tree_ok) < 0) {
        check(v, false, v->r.verity.root_hash, err_msg(), "verity root hash of %s", v->r.image);
        return;
    }
    check(v, !strcmp(root, v->r.verity.root_hash), v->r.verity.root_hash, root, "verity root hash of %s",
          v->r.image);
    _cleanup_free_ char *holder = !strcmp(v->r.verity.layout, "kata") ? xstrdup(v->r.image)
                                                                       : xasprintf("%s.verity", v->r.image);
    check(v, tree_ok, "the tree its data gives", "a different tree", "verity hash tree in %s", holder);
    check(v, strstr(v->r.cmdline, table) != NULL, table, v->r.cmdline, "cmdline carries the dm-verity table");
    v->table = xstrdup(table);
}

/* An IGVM file's launch digest, recomputed from its bytes, and its ID
 * block's key and policy. */
static void check_igvm_digest(struct verifier *v, const struct release_igvm *g, const char *path)
{
    struct igvm_file f;
    if (igvm_open(&f, path, 0) < 0) {
        check(v, false, g->digest, err_msg(), "igvm %s launch digest", g->name);
        return;
    }
    struct igvm_snp_result s;
    if (igvm_measure_snp(&f, 0, &s) < 0) {
        check(v, false, g->digest, err_msg(), "igvm %s launch digest", g->name);
    } else {
        char hex[2 * GCTX_LD_LEN + 1];
        hex_encode(s.digest, sizeof(s.digest), hex);
        check(v, !strcmp(hex, g->digest), g->digest, hex, "igvm %s launch digest", g->name);
        struct release_igvm d = {0};
        if (release_igvm_describe(path, &d) < 0) {
            check(v, false, g->id_key_digest, err_msg(), "igvm %s ID block", g->name);
        } else {
            check(v, !strcmp(d.id_key_digest, g->id_key_digest), g->id_key_digest, d.id_key_digest,
                  "igvm %s ID key digest", g->name);
            _cleanup_free_ char *want = xasprintf("0x%llx", (unsigned long long)g->guest_policy);
            _cleanup_free_ char *got = xasprintf("0x%llx", (unsigned long long)d.guest_policy);
            check(v, d.guest_policy == g->guest_policy, want, got, "igvm %s guest policy", g->name);
        }
        free(d.id_key_digest);
    }
    igvm_close(&f);
}

/* The chain from the published inputs to the IGVM: its command line binds
 * this image's root hash, and rebuilding it from the release's own kernel,
 * that command line and the ACPI tables gives the same bytes; a difference
 * is named by the input its page came from. */
static void check_igvm_chain(struct verifier *v, const struct release_igvm *g, const char *path)
{
    if (v->table)
        check(v, strstr(g->cmdline, v->table) != NULL, v->table, g->cmdline,
              "igvm %s cmdline carries the dm-verity table", g->name);
    struct igvm_build_result res;
    if (release_igvm_make(v->dir, v->r.kernel, g, (uint32_t)v->r.svn, &res) < 0) {
        check(v, false, "an IGVM rebuilt from the release's kernel, cmdline and ACPI tables", err_msg(),
              "igvm %s contents", g->name);
        return;
    }
    _cleanup_free_ uint8_t *data = NULL;
    size_t len;
    if (file_read_all(path, &data, &len, IGVM_MAX) < 0) {
        check(v, false, "the file", err_msg(), "igvm %s contents", g->name);
    } else {
        _cleanup_free_ char *diff = release_igvm_first_difference(&res, data, len);
        _cleanup_free_ char *got = diff ? xasprintf("a file that differs first in %s", diff) : NULL;
        check(v, !diff, "the bytes its kernel, cmdline and ACPI tables give", got ? got : "identical",
              "igvm %s contents", g->name);
    }
    igvm_build_result_free(&res);
}

/* What build makes sure of (manifest.c, release/build.c), checked again on
 * what is published: the appraisal admits the production IGVM's own guest
 * policy, and in a release that publishes only IGVM launches, the ID key
 * it expects is the production IGVM's. (A debug IGVM's policy allows
 * debugging: appraisal refuses it as a debug launch, whatever the policy.)
 * The IGVM's recorded policy and key are the file's (check_igvm_digest). */
/* "LEAD0x30000 (smt_allowed 0)": a policy, and what differs if anything. */
static char *policy_text(const char *lead, uint64_t policy, const char *diff)
{
    return diff ? xasprintf("%s0x%llx (%s)", lead, (unsigned long long)policy, diff)
                : xasprintf("%s0x%llx", lead, (unsigned long long)policy);
}

static void check_appraisal(struct verifier *v, const struct release_igvm *g)
{
    const struct release_appraisal *a = &v->r.appraisal;
    if (!v->r.has_appraisal || strcmp(g->variant, "production") != 0)
        return;
    _cleanup_free_ char *wd = NULL, *gd = NULL;
    bool ok = snp_policy_within(a->guest_policy, g->guest_policy, &wd, &gd);
    _cleanup_free_ char *want = policy_text("a policy within ", a->guest_policy, wd);
    _cleanup_free_ char *got = policy_text("", g->guest_policy, gd);
    check(v, ok, want, got, "appraisal admits igvm %s guest policy", g->name);
    if (!v->r.nmeasurements && a->id_key_digest && g->id_key_digest)
        check(v, !strcmp(a->id_key_digest, g->id_key_digest), g->id_key_digest, a->id_key_digest,
              "appraisal ID key digest is igvm %s's", g->name);
}

static void check_igvms(struct verifier *v)
{
    for (size_t i = 0; i < v->r.nigvms; i++) {
        const struct release_igvm *g = &v->r.igvms[i];
        _cleanup_free_ char *path = artifact_path(v, g->name);
        check_igvm_digest(v, g, path);
        check_igvm_chain(v, g, path);
        check_appraisal(v, g);
        _cleanup_free_ char *want = publish_measurement_json(g->digest, v->r.svn);
        check_derived(v, g->measurement_file, want);
    }
}

/* The firmware a measurement was computed for: the artifact with its digest. */
static const struct release_artifact *firmware_artifact(const struct release *r, const char *sha256)
{
    for (size_t i = 0; i < r->nartifacts; i++)
        if (!strcmp(r->artifacts[i].sha256, sha256))
            return &r->artifacts[i];
    return NULL;
}

static void check_measurements(struct verifier *v)
{
    _cleanup_free_ char *kernel = artifact_path(v, v->r.kernel);
    _cleanup_free_ char *kernel_why = kernel ? NULL : xstrdup(err_msg());
    for (size_t i = 0; i < v->r.nmeasurements; i++) {
        const struct release_measurement *m = &v->r.measurements[i];
        _cleanup_free_ char *what = xasprintf("measurement %s %s %s %llu vCPU", m->mode, m->vmm_type,
                                              m->vcpu_type, (unsigned long long)m->vcpus);
        const struct release_artifact *fw = firmware_artifact(&v->r, m->firmware_sha256);
        if (!fw) {
            _cleanup_free_ char *want = xasprintf("firmware with sha256 %s among the artifacts", m->firmware_sha256);
            check(v, false, want, "none", "%s", what);
            continue;
        }
        _cleanup_free_ char *fw_path = artifact_path(v, fw->name);
        _cleanup_free_ char *digest = NULL;
        bool kernel_hashes;
        if (!fw_path || !kernel || release_remeasure(m, fw_path, kernel, v->r.cmdline, &digest, &kernel_hashes) < 0) {
            check(v, false, m->digest, fw_path && !kernel ? kernel_why : err_msg(), "%s", what);
            continue;
        }
        if (kernel_hashes != m->kernel_hashes)
            check(v, false, m->kernel_hashes ? "kernel_hashes true" : "kernel_hashes false",
                  kernel_hashes ? "a firmware that measures the kernel" : "a firmware without kernel hashes",
                  "%s", what);
        else
            check(v, !strcmp(digest, m->digest), m->digest, digest, "%s", what);
    }
}

/* The rest of the first line of text that starts with key, or NULL. */
static char *line_value(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *l = text; *l;) {
        size_t len = strcspn(l, "\n");
        if (len >= n && !strncmp(l, key, n))
            return xstrndup(l + n, len - n);
        l += len + (l[len] == '\n');
    }
    return NULL;
}

/* A profile kernel: the kernel cache's record of its build names the
 * source and the configuration release.json records. */
static void check_profile_kernel(struct verifier *v, const char *what)
{
    const struct release_kernel_provenance *k = &v->r.kernel_provenance;
    const struct release_artifact *config = release_artifact(&v->r, BUILD_KERNEL_CONFIG_FILE);
    _cleanup_free_ char *want = xasprintf("source %s %s, config %s", k->source_sha256, k->source,
                                          config ? config->sha256 : "(no " BUILD_KERNEL_CONFIG_FILE ")");
    if (!release_artifact(&v->r, BUILD_KERNEL_INPUTS_FILE)) {
        check(v, false, want, BUILD_KERNEL_INPUTS_FILE " is not among the artifacts", "%s", what);
        return;
    }
    _cleanup_free_ char *why = NULL;
    _cleanup_free_ char *text = read_artifact(v, BUILD_KERNEL_INPUTS_FILE, &why);
    if (!text) {
        check(v, false, want, why, "%s", what);
        return;
    }
    _cleanup_free_ char *source = line_value(text, "source "), *config_sha = line_value(text, "config ");
    _cleanup_free_ char *got = xasprintf("source %s, config %s", source ? source : "(none)",
                                         config_sha ? config_sha : "(none)");
    check(v, !strcmp(want, got), want, got, "%s", what);
}

/* A package kernel: the kernel package of the published lock. */
static void check_package_kernel(struct verifier *v, const char *what)
{
    const struct release_kernel_provenance *k = &v->r.kernel_provenance;
    _cleanup_free_ char *want = xasprintf("%s sha256 %s", k->source, k->source_sha256);
    _cleanup_free_ char *path = artifact_path(v, BUILD_LOCK_FILE);
    struct lock l;
    if (!path || lock_read(path, &l) < 0) {
        check(v, false, want, err_msg(), "%s", what);
        return;
    }
    _cleanup_free_ char *purl = l.kernel ? sbom_purl(l.kernel) : NULL;
    _cleanup_free_ char *got = l.kernel ? xasprintf("%s sha256 %s", purl, l.kernel->sha256)
                                        : xstrdup("no kernel package in " BUILD_LOCK_FILE);
    check(v, !strcmp(want, got), want, got, "%s", what);
    lock_free(&l);
}

/* Where release.json says the kernel came from agrees with the published
 * files that record it. */
static void check_kernel_provenance(struct verifier *v)
{
    const struct release_kernel_provenance *k = &v->r.kernel_provenance;
    _cleanup_free_ char *what = xasprintf("kernel provenance: %s %s", k->from, k->source);
    if (!strcmp(k->from, "profile")) {
        check_profile_kernel(v, what);
    } else if (!strcmp(k->from, "package")) {
        check_package_kernel(v, what);
    } else {
        /* the file is published as it is */
        const char *sha = release_artifact(&v->r, v->r.kernel)->sha256;
        check(v, !strcmp(sha, k->source_sha256), k->source_sha256, sha, "%s", what);
    }
}

/* The artifacts directory must be one: a wrong --artifacts is one error,
 * not a MISMATCH per file. Files in it that release.json does not list
 * are not part of the release and nothing vouches for them: a warning each
 * (a consumer picking files by pattern could take one). */
static int check_directory(struct verifier *v)
{
    DIR *d = opendir(v->dir);
    if (!d)
        return err_sys(-errno, "%s: cannot read the artifacts directory", v->dir);
    _cleanup_free_ char *copy = xstrdup(v->o->release_path);
    const char *json = basename(copy);
    _cleanup_free_ char *sig = xasprintf("%s.sig", json);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, json) &&
            strcmp(e->d_name, sig) && strcmp(e->d_name, PROVENANCE_FILE) && !release_artifact(&v->r, e->d_name))
            log_warn("%s/%s: not listed in %s: not part of the release, nothing vouches for it", v->dir,
                     e->d_name, v->o->release_path);
    closedir(d);
    return 0;
}

int release_verify(const struct verify_opts *o, verify_report_fn report, void *ctx)
{
    struct verifier v = {.o = o, .report = report, .ctx = ctx};
    _cleanup_free_ uint8_t *text = NULL;
    size_t len;
    int r = file_read_all(o->release_path, &text, &len, TEXT_MAX);
    if (r < 0)
        return r;
    if ((r = release_parse((const char *)text, len, o->release_path, &v.r)) < 0)
        return r;
    if (o->artifacts_dir) {
        v.dir = xstrdup(o->artifacts_dir);
    } else {
        _cleanup_free_ char *copy = xstrdup(o->release_path);
        v.dir = xstrdup(dirname(copy));
    }
    r = check_directory(&v);
    if (r == 0 && o->pubkey)
        r = check_signature(&v, (const char *)text, len);
    if (r == 0) {
        check_artifacts(&v);
        _cleanup_free_ char *cmdline = xasprintf("%s\n", v.r.cmdline);
        check_derived(&v, CMDLINE_FILE, cmdline);
        check_kernel_provenance(&v);
        check_verity(&v);
        check_measurements(&v);
        check_igvms(&v);
        check_published_measurements(&v);
        check_sboms(&v);
        v.failed += provenance_check(&v.r, v.dir, o->pubkey, v.report, v.ctx);
        r = v.failed;
    }
    release_free(&v.r);
    free(v.dir);
    free(v.table);
    return r;
}
