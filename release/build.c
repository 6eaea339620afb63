/* Manifest → release directory: see build.h. */
#include "release/build.h"
#include "builder/fs/ext4.h"
#include "builder/fs/rootfs.h"
#include "builder/fs/tree.h"
#include "builder/kernel/kernel.h"
#include "builder/manifest/manifest.h"
#include "builder/packages/compose.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/util.h"
#include "measure/ovmf.h"
#include "release/assemble.h"
#include "release/files.h"
#include "release/igvm.h"
#include "release/provenance.h"
#include "release/measurements.h"
#include "release/outdir.h"
#include "release/publish.h"
#include "release/sign.h"
#include "sbom/sbom.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The manifest checks its epoch against the bound the filesystem enforces. */
_Static_assert(MANIFEST_EPOCH_MAX == EXT4_EPOCH_MAX, "manifest and ext4 epoch bounds differ");

#define KERNEL_MAX (512u << 20)
#define CONFIG_MAX (16u << 20)

struct build {
    const struct build_opts *o;
    struct manifest *m;
    const char *image;              /* file name of the disk image */
    char *firmware;                 /* file name of the firmware copy, or NULL */
    struct kernel_profile profile;  /* kernel.from profile */
    bool have_profile;
    struct outdir out;
    struct tree *tree;
    struct package_set pkgs;
    struct lock lock;
    bool have_lock;
    char manifest_sha256[65], lock_sha256[65];
    struct rootfs_result fs;
    bool have_fs;
    char *kernel_version;           /* what the SBOMs call the kernel */
    struct release_kernel_provenance prov;
    struct release_measurement *measurements;
    size_t nmeasurements;
    struct release_igvm *igvms;
    size_t nigvms;
};

static char *in_dir(const struct build *b, const char *name)
{
    return xasprintf("%s/%s", b->out.tmp, name);
}

/* ------------------------------------------------------------ checks --- */

/* Names of the files a build writes itself: the image and the firmware
 * must not take one of them. */
static bool reserved_name(const char *name)
{
    static const char *const fixed[] = {
        RELEASE_FILE, RELEASE_SIG_FILE, SBOM_SPDX_FILE, SBOM_CDX_FILE, CMDLINE_FILE, TRUSTEE_REFERENCE_FILE,
        BUILD_KERNEL_FILE, BUILD_KERNEL_CONFIG_FILE, BUILD_KERNEL_INPUTS_FILE, BUILD_LOCK_FILE, BUILD_FILES_TSV,
        BUILD_ROOT_HASH_FILE, PROVENANCE_FILE,
    };
    for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
        if (!strcmp(name, fixed[i]))
            return true;
    return (startswith(name, "measurement") && endswith(name, ".json")) || release_igvm_reserved_name(name);
}

static int check_image_name(struct build *b)
{
    b->image = b->o->image_name ? b->o->image_name : BUILD_IMAGE_DEFAULT;
    if (!release_is_file_name(b->image) || b->image[0] == '.' || reserved_name(b->image) ||
        endswith(b->image, ".verity"))
        return err_set(-EINVAL, "image name '%s': not a plain file name of its own (the release writes "
                                "files.tsv, vmlinuz, cmdline.txt, … beside it)", b->image);
    return 0;
}

static int check_kernel(struct build *b)
{
    const struct manifest *m = b->m;
    switch (m->kernel.from) {
    case KERNEL_NONE:
        return err_set(-EINVAL, "%s: missing key 'kernel': a release needs a kernel (docs/manifest.md)", m->path);
    case KERNEL_FILE:
        if (access(m->kernel.path, R_OK) < 0)
            return err_sys(-errno, "%s: kernel.path: %s", m->path, m->kernel.path);
        return 0;
    case KERNEL_PACKAGE:
        return 0;   /* resolved and checked with the other packages */
    case KERNEL_PROFILE:
        break;
    }
    if (!b->o->kernel_source || !b->o->kernel_configs)
        return err_set(-EINVAL, "%s: kernel.profile: no kernel source or kernel-configs directory given", m->path);
    if (access(b->o->kernel_source, R_OK) < 0)
        return err_sys(-errno, "kernel source %s (kernel.profile %s)", b->o->kernel_source, m->kernel.profile);
    _cleanup_free_ char *path = xasprintf("%s/profiles/%s.list", b->o->kernel_configs, m->kernel.profile);
    _cleanup_free_ char *fragments = xasprintf("%s/fragments", b->o->kernel_configs);
    if (access(path, F_OK) < 0)
        return err_set(-ENOENT, "%s: kernel.profile '%s': no such profile (%s)", m->path, m->kernel.profile, path);
    int r = kernel_profile_load(path, fragments, &b->profile);
    b->have_profile = r == 0;
    return r;
}

/* The firmware is measured with the guest and published with it: its bytes
 * must be the ones the manifest pins. */
static int check_firmware(const char *path, const uint8_t *data, size_t len, const uint8_t want[32],
                          const char *manifest)
{
    uint8_t d[SHA256_LEN];
    sha256_buf(data, len, d);
    if (!memcmp(d, want, sizeof(d)))
        return 0;
    char got[65], exp[65];
    hex_encode(d, sizeof(d), got);
    hex_encode(want, 32, exp);
    return err_set(-EBADMSG, "%s: sha256 %s, but %s's measure.firmware.sha256 is %s", path, got, manifest, exp);
}

static int check_measure(struct build *b)
{
    const struct manifest_measure *ms = &b->m->measure;
    if (!ms->present || !ms->have_firmware) {
        if (!ms->igvm.present)
            log_warn("%s: %s: the release publishes no launch measurements", b->m->path,
                     ms->present ? "measure.firmware is none and no measure.igvm" : "no measure: section");
        return 0;
    }
    const char *missing = !ms->nvmm_types ? "vmm-types" : !ms->nvcpus ? "vcpus" : !ms->nvcpu_types ? "vcpu-types" : NULL;
    if (missing)
        return err_set(-EINVAL, "%s: missing key 'measure.%s': required with a firmware", b->m->path, missing);
    _cleanup_free_ char *copy = xstrdup(ms->firmware);
    const char *name = basename(copy);
    if (reserved_name(name) || !strcmp(name, b->image) || name[0] == '.')
        return err_set(-EINVAL, "%s: measure.firmware: its file name '%s' is taken by another file of the "
                                "release", b->m->path, name);
    b->firmware = xstrdup(name);
    _cleanup_free_ uint8_t *data = NULL;
    size_t len;
    int r = file_read_all(ms->firmware, &data, &len, OVMF_FOUR_GIB);
    return r < 0 ? r : check_firmware(ms->firmware, data, len, ms->firmware_sha256, b->m->path);
}

/* Everything that would otherwise fail after the long steps. */
static int check_inputs(struct build *b)
{
    int r = b->o->sign_key ? release_check_key(b->o->sign_key) : 0;
    if (r < 0)
        return r;
    if (!(b->m = manifest_load(b->o->manifest)))
        return -EINVAL;
    if ((r = sha256_file_hex(b->o->manifest, b->manifest_sha256, NULL)) < 0 || (r = check_image_name(b)) < 0 ||
        (r = check_kernel(b)) < 0)
        return r;
    return check_measure(b);
}

/* ------------------------------------------------------------- steps --- */

static int packages(struct build *b)
{
    struct compose_opts co = {.cache_dir = b->o->cache_dir, .locked = b->o->locked, .lock_path = b->o->lock_path};
    b->tree = tree_new(b->out.tmp);   /* the spool lives with the outputs, not in a tmpfs */
    int r = compose_tree(b->m, &co, b->tree, &b->pkgs, &b->lock);
    if (r < 0)
        return r;
    b->have_lock = true;
    _cleanup_free_ char *lock = in_dir(b, BUILD_LOCK_FILE);
    if ((r = lock_write(&b->lock, lock)) < 0)
        return r;
    return sha256_file_hex(lock, b->lock_sha256, NULL);
}

static int image(struct build *b)
{
    const struct manifest *m = b->m;
    struct rootfs_opts ro = {
        .layout = m->image.layout == IMAGE_LAYOUT_KATA ? ROOTFS_KATA : ROOTFS_RAW,
        .epoch = m->epoch, .size = m->image.size, .verity = true,
    };
    memcpy(ro.seed, m->seed, sizeof(ro.seed));
    _cleanup_free_ char *files = in_dir(b, BUILD_FILES_TSV);
    _cleanup_free_ char *path = in_dir(b, b->image);
    tree_sort(b->tree);
    int r = files_tsv_write(b->tree, files);
    if (r == 0 && (r = rootfs_build(b->tree, path, &ro, &b->fs)) == 0)
        b->have_fs = true;
    tree_free(b->tree);
    b->tree = NULL;
    return r;
}

static int copy_file(const char *src, const char *dst, size_t max)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    int r = file_read_all(src, &buf, &len, max);
    return r < 0 ? r : file_write_atomic(dst, buf, len, 0644);
}

/* "6.1.158 (guestimg@guestimg) #1 …" → "6.1.158"; "" → "unknown". */
static char *version_word(const char *v)
{
    size_t n = strcspn(v, " ");
    return n ? xstrndup(v, n) : xstrdup("unknown");
}

static void set_provenance(struct build *b, const char *from, char *source, const char *sha256)
{
    b->prov.from = xstrdup(from);
    b->prov.source = source;
    b->prov.source_sha256 = xstrdup(sha256);
}

/* A configuration input, named as under the kernel-configs directory
 * ("fragments/base.conf"): no host path goes into the release. */
static int add_config_input(struct build *b, const char *subdir, const char *path)
{
    char hex[65];
    int r = sha256_file_hex(path, hex, NULL);
    if (r < 0)
        return r;
    _cleanup_free_ char *copy = xstrdup(path);
    struct release_kernel_provenance *k = &b->prov;
    k->config_inputs = xrealloc(k->config_inputs, (k->nconfig_inputs + 1) * sizeof(*k->config_inputs));
    k->config_inputs[k->nconfig_inputs++] =
        (struct release_file_digest){xasprintf("%s/%s", subdir, basename(copy)), xstrdup(hex)};
    return 0;
}

/* The source, the profile and every file the configuration came from. */
static int profile_provenance(struct build *b, const struct kernel_source *src)
{
    const struct kernel_profile *p = &b->profile;
    set_provenance(b, "profile", xasprintf("linux-%s", src->version), src->digest);
    b->prov.profile = xstrdup(b->m->kernel.profile);
    _cleanup_free_ char *list = xasprintf("%s/profiles/%s.list", b->o->kernel_configs, b->m->kernel.profile);
    int r = add_config_input(b, "profiles", list);
    if (r == 0 && p->base_config)
        r = add_config_input(b, "profiles", p->base_config);
    for (size_t i = 0; r == 0 && i < p->nfragments; i++)
        r = add_config_input(b, "fragments", p->fragments[i]);
    return r;
}

/* ------------------------------------------- the kernel, alongside --- */

/* kernel.from: profile: a child process builds the kernel (or finds it in
 * the cache) while this one makes the packages and the image; the kernel
 * step joins it and then takes the build from the cache (a lookup). A
 * process, not a thread: err_set's message is thread-local, the log
 * handler, the cleanup list and the spawned-children table are process
 * state, and a kernel build is already processes (make). The child says
 * nothing (its progress would tear the parent's line); a failure comes back
 * as one message through a pipe. SIGTERM to the parent stops the child
 * first (the child stops make and removes its half-built cache entry),
 * and a failure on either side stops the other before anything is
 * published. */
struct ahead {
    pid_t pid;
    int fd;
};

static volatile sig_atomic_t ahead_pid;

/* Fatal-signal hook: async-signal-safe. */
static void stop_ahead(int sig)
{
    (void)sig;
    pid_t pid = ahead_pid;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    ahead_pid = 0;
}

static int kernel_build_cached(struct build *b, struct kernel_source *src, struct kernel_build *kb)
{
    _cleanup_free_ char *cache = kernel_cache_dir();
    struct kernel_settings set = {.cache_dir = cache, .epoch = (uint64_t)b->m->epoch, .jobs = b->o->jobs};
    int r = kernel_source_open(b->o->kernel_source, cache, src);
    if (r < 0)
        return r;
    if ((r = kernel_build(src, &b->profile, &set, kb)) < 0)
        kernel_source_free(src);
    return r;
}

static void __attribute__((noreturn)) ahead_child(struct build *b, int fd)
{
    log_set_handler(NULL, NULL);
    struct kernel_source src;
    struct kernel_build kb;
    int r = kernel_build_cached(b, &src, &kb);
    if (r == 0) {
        kernel_build_free(&kb);
        kernel_source_free(&src);
        _exit(0);
    }
    const char *msg = err_msg();
    if (write(fd, &r, sizeof(r)) == (ssize_t)sizeof(r))
        (void)!write(fd, msg, strlen(msg));
    _exit(1);
}

static int ahead_start(struct build *b, struct ahead *a)
{
    *a = (struct ahead){.pid = 0, .fd = -1};
    if (b->m->kernel.from != KERNEL_PROFILE)
        return 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return err_sys(-errno, "cannot start the kernel build: pipe");
    cleanup_on_signal(stop_ahead);
    fflush(NULL);
    sigset_t old;
    fatal_signals_hold(&old);   /* the hook knows the child before a signal can come */
    pid_t pid = fork();
    if (pid == 0) {
        fileio_forget_inherited();   /* before a signal can reach the parent's hooks */
        fatal_signals_release(&old);
        close(p[0]);
        ahead_child(b, p[1]);
    }
    int e = errno;
    if (pid > 0)
        ahead_pid = pid;
    fatal_signals_release(&old);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return err_sys(-e, "cannot start the kernel build: fork");
    }
    a->pid = pid;
    a->fd = p[0];
    return 0;
}

/* Wait for the child (block: true) or see whether it is done; 0 when it
 * succeeded or (not blocking) still runs, else its error. */
static int ahead_join(struct ahead *a, bool block)
{
    if (a->pid <= 0)
        return 0;
    /* the child writes only as it ends: until then, the progress line's
     * clock keeps moving */
    struct pollfd p = {.fd = a->fd, .events = POLLIN};
    while (block && poll(&p, 1, 1000) == 0)
        log_progress("building the kernel", 0, 0);
    int status;
    pid_t got;
    while ((got = waitpid(a->pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
        ;
    if (got == 0)
        return 0;
    sigset_t old;
    fatal_signals_hold(&old);
    ahead_pid = 0;
    a->pid = 0;
    fatal_signals_release(&old);
    char msg[16384];
    int code = 0;
    size_t n = 0;
    ssize_t k;
    if (read(a->fd, &code, sizeof(code)) == (ssize_t)sizeof(code))
        while (n < sizeof(msg) - 1 && ((k = read(a->fd, msg + n, sizeof(msg) - 1 - n)) > 0 || (k < 0 && errno == EINTR)))
            n += k > 0 ? (size_t)k : 0;
    msg[n] = 0;
    close(a->fd);
    a->fd = -1;
    if (got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (n)
        return err_set(code < 0 ? code : -EIO, "%s", msg);
    return err_set(-EIO, "the kernel build (process %d) ended without a word: %s", (int)got,
                   WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit status 1");
}

/* A failure on this side: stop the child and forget it. */
static void ahead_stop(struct ahead *a)
{
    if (a->pid <= 0)
        return;
    sigset_t old;
    fatal_signals_hold(&old);
    stop_ahead(0);   /* ahead_pid is a->pid until a join forgets both */
    a->pid = 0;
    fatal_signals_release(&old);
    close(a->fd);
    a->fd = -1;
}

static int kernel_from_profile(struct build *b, const char *out)
{
    struct kernel_source src;
    struct kernel_build kb;
    int r = kernel_build_cached(b, &src, &kb);
    if (r < 0)
        return r;
    {
        _cleanup_free_ char *bz = xasprintf("%s/bzImage", kb.dir), *config = xasprintf("%s/config", kb.dir);
        _cleanup_free_ char *inputs = xasprintf("%s/inputs.txt", kb.dir);
        _cleanup_free_ char *config_out = in_dir(b, BUILD_KERNEL_CONFIG_FILE);
        _cleanup_free_ char *inputs_out = in_dir(b, BUILD_KERNEL_INPUTS_FILE);
        if ((r = kernel_from_file(bz, out, NULL)) == 0 && (r = copy_file(config, config_out, CONFIG_MAX)) == 0 &&
            (r = copy_file(inputs, inputs_out, CONFIG_MAX)) == 0)
            r = profile_provenance(b, &src);
        b->kernel_version = xstrdup(src.version);
        kernel_build_free(&kb);
    }
    kernel_source_free(&src);
    return r;
}

static int kernel_from_package(struct build *b, const char *out)
{
    struct compose_opts co = {.cache_dir = b->o->cache_dir};
    struct package pkg = {0};
    int r = compose_kernel(b->m, &b->lock, &co, out, &pkg);
    if (r == 0) {
        /* what the package holds at kernel.path must be a kernel */
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        struct kernel_image img;
        if ((r = file_read_all(out, &buf, &len, KERNEL_MAX)) == 0 &&
            (r = kernel_image_inspect(buf, len, b->m->kernel.path, &img)) == 0) {
            b->kernel_version = package_evr(&pkg);
            set_provenance(b, "package", sbom_purl(&pkg), pkg.sha256);
        }
    }
    package_clear(&pkg);
    return r;
}

static int kernel(struct build *b)
{
    _cleanup_free_ char *out = in_dir(b, BUILD_KERNEL_FILE);
    struct kernel_image img;
    int r;
    switch (b->m->kernel.from) {
    case KERNEL_PROFILE:
        return kernel_from_profile(b, out);
    case KERNEL_PACKAGE:
        return kernel_from_package(b, out);
    case KERNEL_FILE: {
        char sha[65];
        _cleanup_free_ char *copy = xstrdup(b->m->kernel.path);
        if ((r = kernel_from_file(b->m->kernel.path, out, &img)) < 0 || (r = sha256_file_hex(out, sha, NULL)) < 0)
            return r;
        b->kernel_version = version_word(img.version);
        set_provenance(b, "file", xstrdup(basename(copy)), sha);
        return 0;
    }
    case KERNEL_NONE:
        break;
    }
    return err_set(-EINVAL, "%s: no kernel", b->m->path);
}

/* The IGVM files the manifest asks for: the kernel just built, the command
 * line with this image's dm-verity table. */
static int igvm(struct build *b)
{
    _cleanup_free_ char *table = rootfs_dm_table(&b->fs);
    int r = release_igvm_build_all(b->out.tmp, BUILD_KERNEL_FILE, &b->m->measure, b->fs.cmdline, table, &b->igvms,
                                   &b->nigvms);
    return r; /* its errors name the file (a table, the kernel, an output) */
}

static void warn_coverage(const struct build *b)
{
    size_t uncovered = 0;
    for (size_t i = 0; i < b->nmeasurements; i++)
        uncovered += !b->measurements[i].kernel_hashes;
    if (uncovered)
        log_warn("%s has no kernel-hashes section: %zu of %zu measurements cover the firmware only, not the "
                 "kernel, initrd or command line (kernel_hashes: false)",
                 b->firmware, uncovered, b->nmeasurements);
}

static int measurements(struct build *b)
{
    const struct manifest_measure *ms = &b->m->measure;
    if (!b->firmware)
        return 0;
    _cleanup_free_ char *fw = in_dir(b, b->firmware), *kernel_path = in_dir(b, BUILD_KERNEL_FILE);
    _cleanup_free_ uint8_t *data = NULL;
    size_t len;
    int r = file_read_all(ms->firmware, &data, &len, OVMF_FOUR_GIB);
    if (r == 0 && (r = check_firmware(ms->firmware, data, len, ms->firmware_sha256, b->m->path)) == 0)
        r = file_write_atomic(fw, data, len, 0644);
    if (r < 0)
        return r;
    char fw_sha[65];
    hex_encode(ms->firmware_sha256, 32, fw_sha);
    struct measure_plan plan = {
        .firmware = fw, .firmware_sha256 = fw_sha,
        .vmm_types = ms->vmm_types, .nvmm_types = ms->nvmm_types,
        .vcpus = ms->vcpus, .nvcpus = ms->nvcpus,
        .vcpu_types = ms->vcpu_types, .nvcpu_types = ms->nvcpu_types,
        .guest_features = ms->guest_features,
        .kernel = kernel_path, .cmdline = b->fs.cmdline,
    };
    if ((r = release_measure(&plan, &b->measurements, &b->nmeasurements)) < 0)
        return err_prefix(r, "%s: measure", b->m->path);
    warn_coverage(b);
    return 0;
}

/* measure.appraisal as release.json's appraisal. The ID key digest is the
 * production IGVM's (its ID block's key, the release's) when every launch
 * the release publishes is an IGVM one: a QEMU launch carries no ID block,
 * and each IGVM entry names its own key anyway. igvmgen's ID blocks have no
 * author key, so there is no author key digest to expect. */
static void appraisal_of(const struct build *b, struct release_appraisal *a)
{
    const struct manifest_appraisal *ma = &b->m->measure.appraisal;
    *a = (struct release_appraisal){.guest_policy = ma->guest_policy, .vmpl = ma->vmpl};
    if (ma->has_min_tcb) {
        a->min_tcb = xasprintf("bl=%u,tee=%u,snp=%u,ucode=%u", ma->tcb_bootloader, ma->tcb_tee, ma->tcb_snp,
                               ma->tcb_microcode);
        if (ma->tcb_has_fmc) {
            char *t = xasprintf("%s,fmc=%u", a->min_tcb, ma->tcb_fmc);
            free(a->min_tcb);
            a->min_tcb = t;
        }
    }
    for (size_t i = 0; !b->nmeasurements && i < b->nigvms; i++)
        if (!strcmp(b->igvms[i].variant, "production") && b->igvms[i].id_key_digest)
            a->id_key_digest = xstrdup(b->igvms[i].id_key_digest);
}

static int publish(struct build *b)
{
    struct release_appraisal appraisal = {0};
    if (b->m->measure.appraisal.present)
        appraisal_of(b, &appraisal);
    char root[65], salt[65];
    hex_encode(b->fs.v.root_hash, VERITY_DIGEST_LEN, root);
    hex_encode(b->fs.v.salt, VERITY_SALT_LEN, salt);
    struct release_inputs in = {
        .dir = b->out.tmp, .name = b->m->name, .version = b->m->version, .epoch = b->m->epoch,
        .manifest_sha256 = b->manifest_sha256, .lock_sha256 = b->lock_sha256,
        .image = b->image, .image_sha256 = b->fs.image_sha256, .kernel = BUILD_KERNEL_FILE,
        .kernel_version = b->kernel_version, .kernel_provenance = b->prov,
        .svn = b->m->measure.svn,
        .verity = {root, salt, b->fs.v.data_blocks, VERITY_BLOCK_SIZE, VERITY_BLOCK_SIZE, b->fs.v.hash_offset,
                   b->fs.layout == ROOTFS_KATA ? "kata" : "raw"},
        .cmdline = b->fs.cmdline, .measurements = b->measurements, .nmeasurements = b->nmeasurements,
        .igvms = b->igvms, .nigvms = b->nigvms,
        .appraisal = b->m->measure.appraisal.present ? &appraisal : NULL,
        .packages = &b->pkgs, .sign_key = b->o->sign_key,
    };
    int r = release_assemble(&in);
    free(appraisal.min_tcb);
    free(appraisal.id_key_digest);
    return r;
}

/* The manifest's lock file (as `guestimg lock` writes it), then DIR. */
static int finish(struct build *b)
{
    if (!b->o->locked) {
        _cleanup_free_ char *lock_path = manifest_lock_path(b->m);
        int r = lock_write(&b->lock, lock_path);
        if (r < 0)
            return r;
    }
    return outdir_commit(&b->out);
}

static const struct {
    const char *what;
    int (*run)(struct build *b);
} steps[] = {
    {"checking inputs", NULL},   /* before the temporary directory exists */
    {"packages", packages},
    {"image", image},
    {"kernel", kernel},
    {"IGVM", igvm},
    {"measurements", measurements},
    {"SBOMs, release.json", publish},
    {"publishing", finish},
};

static void step(size_t i)
{
    log_stage("%zu/%zu %s", i + 1, ARRAY_SIZE(steps), steps[i].what);
}

static void build_free(struct build *b)
{
    outdir_abort(&b->out);
    if (b->tree)
        tree_free(b->tree);
    if (b->have_lock) {
        package_set_free(&b->pkgs);
        lock_free(&b->lock);
    }
    if (b->have_fs)
        rootfs_result_free(&b->fs);
    if (b->have_profile)
        kernel_profile_free(&b->profile);
    release_measurements_free(b->measurements, b->nmeasurements);
    release_igvms_free(b->igvms, b->nigvms);
    release_kernel_provenance_free(&b->prov);
    free(b->kernel_version);
    free(b->firmware);
    manifest_free(b->m);
}

int release_build(const struct build_opts *o)
{
    struct build b = {.o = o};
    struct ahead ahead = {.pid = 0, .fd = -1};
    step(0);
    int r = check_inputs(&b);
    if (r == 0)
        r = outdir_begin(&b.out, o->out_dir);
    if (r == 0)
        r = ahead_start(&b, &ahead);
    for (size_t i = 1; i < ARRAY_SIZE(steps) && r == 0; i++) {
        /* the kernel step joins the kernel build; before it, a failed
         * kernel build stops the packages and the image */
        bool joins = steps[i].run == kernel;
        if (!joins && (r = ahead_join(&ahead, false)) < 0)
            break;
        step(i);
        if (joins && (r = ahead_join(&ahead, true)) < 0)
            break;
        r = steps[i].run(&b);
    }
    ahead_stop(&ahead);
    log_stage("%s", "");
    build_free(&b);
    return r;
}
