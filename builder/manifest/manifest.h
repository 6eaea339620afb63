/* The image manifest (YAML, parsed with libfyaml): what goes into a guest
 * image — packages and where they come from, files, accounts, the kernel's
 * source and the measurement parameters. docs/manifest.md documents every
 * key. Unknown keys, wrong types and missing required keys are errors that
 * name the file, line and key ("m.yaml:7: repositories[0].baseurl: …").
 *
 * Host paths in the manifest are relative to the manifest's directory and
 * are stored resolved (joined with that directory); image paths are
 * absolute and normalised. */
#ifndef GUESTIMG_MANIFEST_H
#define GUESTIMG_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kinds of package file a manifest may name (and the package stage
 * reads: builder/packages/package.h). */
enum package_format { PKG_RPM = 1, PKG_DEB, PKG_TAR };

/* The last second an image timestamp holds (ext4's 32-bit seconds: the
 * filesystem stage's EXT4_EPOCH_MAX, which release/build.c asserts equal). */
#define MANIFEST_EPOCH_MAX 0xffffffffll

struct manifest_repo {
    char *name;
    char *baseurl;         /* file://, http:// or https:// */
    char *gpgkey;          /* host path of the OpenPGP public key; NULL only with gpgcheck false */
    bool gpgcheck;         /* default true */
};

/* A package file given by path (rpm, deb, or a tarball with its metadata). */
struct manifest_local {
    char *path;            /* resolved host path */
    char *rel;             /* as written in the manifest (what the lock file records) */
    enum package_format format;
    char *name, *version;  /* tarballs only: what the SBOM says about them */
    char *license;         /* tarballs and debs (a deb's control file names none) */
};

struct manifest_file {
    char *src;             /* resolved host path */
    char *dst;             /* image path */
    uint32_t mode;         /* permission bits, default 0644 */
    char *owner, *group;   /* names or decimal ids, default "0" */
};

struct manifest_dir {
    char *path;
    uint32_t mode;         /* default 0755 */
    char *owner, *group;
};

struct manifest_symlink {
    char *path, *target;
};

struct manifest_group {
    char *name;
    uint32_t gid;
};

struct manifest_user {
    char *name;
    uint32_t uid, gid;
    char *home, *shell, *gecos;   /* defaults: "/", "/sbin/nologin", "" */
    char **groups;                /* supplementary group names */
    size_t ngroups;
};

enum image_layout { IMAGE_LAYOUT_KATA = 1, IMAGE_LAYOUT_RAW };

struct manifest_image {
    enum image_layout layout;     /* default kata */
    uint64_t size;                /* bytes; 0 = auto */
};

enum kernel_origin { KERNEL_NONE = 0, KERNEL_PROFILE, KERNEL_PACKAGE, KERNEL_FILE };

struct manifest_kernel {
    enum kernel_origin from;
    char *profile;         /* KERNEL_PROFILE: kernel-configs/profiles/<profile>.list */
    char *package;         /* KERNEL_PACKAGE: package name, resolved from the repositories, or */
    char *package_file;    /* KERNEL_PACKAGE: a local .rpm or .deb (resolved host path) */
    char *package_file_rel;   /* … as written in the manifest (what the lock records) */
    char *path;            /* KERNEL_PACKAGE: file inside the package; KERNEL_FILE: resolved host path */
};

/* The IGVM guest files a release builds (measure.igvm): igvmgen's settings
 * and the kernel command lines they carry. A command line is a template
 * holding "{dm-verity}" once, where the build puts the dm-verity table of
 * the image it made (so the measurement binds the root hash); every other
 * byte is kept as written, TABs included. */
#define MANIFEST_DM_VERITY "{dm-verity}"
/* igvmgen's guest policy: SMT allowed, reserved bit 17, ABI 0.31; debug,
 * migration agent, single socket off. */
#define MANIFEST_IGVM_POLICY 0x3001full
struct manifest_igvm {
    bool present;
    char *cmdline;                /* NULL: the release's own cmdline (cmdline.txt) */
    char *debug_cmdline;          /* NULL: no debug IGVM */
    char *boot_mode;              /* "x64" or "x86" (igvmgen's default x86) */
    uint32_t vtl;                 /* 0 or 2 (default 2) */
    bool svme, encrypted_page, pvalidate_opt;   /* default true */
    char *acpi;                   /* resolved host path of a directory of .aml tables; NULL: built-in */
    uint64_t guest_policy;        /* the SNP guest policy of its ID block and GUEST_POLICY (igvmgen's 0x3001f) */
};

/* What a verifier must expect of a launch beyond its digest
 * (measure.appraisal), published as release.json's `appraisal`. */
struct manifest_appraisal {
    bool present;
    int line;                     /* where measure.appraisal is, for errors found later */
    uint64_t guest_policy;        /* the most a launch's policy may allow (default SNP_POLICY_DEFAULT) */
    uint32_t vmpl;                /* 0..3, default 0 */
    bool has_min_tcb;
    uint32_t tcb_bootloader, tcb_tee, tcb_snp, tcb_microcode, tcb_fmc;   /* 0..255 */
    bool tcb_has_fmc;
};

/* Parameters of the expected launch measurements (the release engineer's
 * `measure:` section). */
struct manifest_measure {
    bool present;
    bool have_firmware;           /* false: "firmware: none" or section absent */
    char *firmware;               /* resolved host path */
    uint8_t firmware_sha256[32];
    char **vmm_types;             /* "QEMU", "ec2", "gce" (sev-snp-measure's names) */
    size_t nvmm_types;
    uint32_t *vcpus;              /* vCPU counts, ascending, distinct */
    size_t nvcpus;
    char **vcpu_types;            /* "EPYC-v4", "EPYC-Milan", … */
    size_t nvcpu_types;
    uint64_t guest_features;
    uint32_t svn;
    struct manifest_igvm igvm;
    struct manifest_appraisal appraisal;
};

struct manifest {
    char *path;            /* as given */
    char *dir;             /* directory relative paths are resolved against */

    char *name;
    char *version;
    int64_t epoch;         /* SOURCE_DATE_EPOCH of the image */
    uint8_t seed[16];
    char *arch;            /* rpm architecture, default "x86_64" */

    struct manifest_repo *repos;
    size_t nrepos;
    char **packages;
    size_t npackages;
    bool weak_deps;        /* install Recommends/Supplements; default false */
    char **allow_overwrite;   /* packages whose files may replace earlier packages' files */
    size_t nallow_overwrite;
    struct manifest_local *locals;
    size_t nlocals;

    char **remove;
    size_t nremove;
    struct manifest_dir *dirs;
    size_t ndirs;
    struct manifest_file *files;
    size_t nfiles;
    struct manifest_symlink *symlinks;
    size_t nsymlinks;
    struct manifest_group *groups;
    size_t ngroups;
    struct manifest_user *users;
    size_t nusers;

    struct manifest_image image;
    struct manifest_kernel kernel;
    struct manifest_measure measure;
};

/* Parse a manifest file. NULL on error (message set). */
struct manifest *manifest_load(const char *path);
/* Parse manifest text; name is used in messages, dir resolves relative
 * paths. */
struct manifest *manifest_parse(const char *text, size_t len, const char *name, const char *dir);
void manifest_free(struct manifest *m);

/* The lock file that goes with a manifest: "x.yaml" → "x.lock.json". */
char *manifest_lock_path(const struct manifest *m);
bool manifest_allows_overwrite(const struct manifest *m, const char *package);

#endif
