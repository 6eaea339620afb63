/* release.json: what a build publishes about itself, as canonical JSON
 * (sorted keys, no insignificant whitespace, one trailing newline), signed
 * detached (release/sign.h). docs/release.md documents every key.
 *
 * release_parse() reads it back for `guestimg verify`: the file is
 * untrusted, so unknown keys, missing keys, wrong types, malformed digests
 * and artifact names that are not plain file names are errors naming the
 * key ("release.json: artifacts[2].sha256: …"). */
#ifndef GUESTIMG_RELEASE_H
#define GUESTIMG_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The "schema" value this code writes and reads. */
#define RELEASE_SCHEMA "guestimg-release/1"

struct release_artifact {
    char *name;              /* a plain file name in the release directory */
    uint64_t size;
    char *sha256;            /* hex */
};

struct release_verity {
    char *root_hash;         /* hex (sha256: 32 bytes) */
    char *salt;              /* hex, may be empty */
    uint64_t data_blocks;
    uint64_t data_block_size, hash_block_size;
    uint64_t hash_offset;    /* bytes into the hash device where the tree starts */
    char *layout;            /* "kata" (p1 data, p2 hash tree) or "raw" */
};

struct release_measurement {
    char *mode;              /* sev-snp-measure's names: "snp", "seves", … */
    char *vmm_type;          /* "QEMU", "ec2", "gce" */
    uint64_t vcpus;
    char *vcpu_type;         /* QEMU CPU model, "EPYC-v4" */
    uint64_t vcpu_sig;       /* its CPUID signature */
    uint64_t guest_features;
    char *firmware_sha256;   /* hex */
    bool kernel_hashes;      /* false: the firmware does not measure kernel, initrd, cmdline */
    char *digest;            /* hex: 48 bytes (SNP) or 32 (SEV, SEV-ES) */
};

/* A file a kernel configuration was made from, relative to the
 * kernel-configs directory ("profiles/demo.list", "fragments/base.conf"). */
struct release_file_digest {
    char *name;
    char *sha256;            /* hex */
};

/* Where the kernel came from: what a customer needs to rebuild it. */
struct release_kernel_provenance {
    char *from;              /* "profile", "package" or "file" (the manifest's kernel.from) */
    char *source;            /* profile: "linux-6.1.192"; package: its PURL; file: its name */
    char *source_sha256;     /* the source tarball (a tree: guestimg's digest of it), the
                                package file, or the file */
    char *profile;           /* profile only (else NULL): kernel-configs/profiles/NAME.list */
    struct release_file_digest *config_inputs; /* profile only: the profile, its base config
                                                  and fragments, in the order they apply */
    size_t nconfig_inputs;
};

/* What the release expects of a launch beyond its digest, for `report
 * verify --release` (optional in release.json: older releases lack it). */
struct release_appraisal {
    uint64_t guest_policy;   /* the most the launch's SNP guest policy may allow */
    uint64_t vmpl;           /* the VMPL reports are requested at */
    char *min_tcb;           /* "bl=3,tee=0,snp=8,ucode=115" or 16 hex digits; may be NULL */
    char *id_key_digest;     /* hex, 48 bytes: reports' ID_KEY_DIGEST; may be NULL */
    char *author_key_digest; /* hex, 48 bytes: reports' AUTHOR_KEY_DIGEST; may be NULL */
};

/* An IGVM guest file of the release (the AKS launch path: Cloud Hypervisor
 * loads it, the processor measures it). Everything that determines its
 * bytes is recorded, so verify can rebuild it from the release's own files
 * and name the input that differs. */
struct release_igvm {
    char *name;              /* the artifact: "kata-containers-igvm.img" */
    char *variant;           /* "production" or "debug" */
    char *digest;            /* hex, 48 bytes: the SNP launch digest (MEASUREMENT) */
    char *cmdline;           /* the kernel command line it carries, byte for byte */
    char *boot_mode;         /* "x64" or "x86" (igvmgen's -boot_mode) */
    uint64_t vtl;
    bool svme, encrypted_page, pvalidate_opt;
    struct release_file_digest *acpi;  /* the ACPI tables it carries, as release artifacts */
    size_t nacpi;
    uint64_t guest_policy;   /* the SNP guest policy in the file (GUEST_POLICY, ID block) */
    char *id_key_digest;     /* hex, 48 bytes: SHA-384 of the ID key (reports' ID_KEY_DIGEST) */
    char *measurement_file;  /* the artifact holding igvm-tooling's measurement JSON */
};

struct release {
    char *schema;
    char *name, *version;
    int64_t epoch;
    char *tool_name, *tool_version;
    char *manifest_sha256, *lock_sha256;
    char *image, *kernel;    /* which artifacts they are */
    struct release_kernel_provenance kernel_provenance;
    uint64_t svn;            /* guest SVN published with the measurements */
    struct release_artifact *artifacts;
    size_t nartifacts;
    struct release_verity verity;
    char *cmdline;
    struct release_measurement *measurements;
    size_t nmeasurements;
    bool has_appraisal;
    struct release_appraisal appraisal;
    struct release_igvm *igvms;
    size_t nigvms;
};

/* Canonical JSON text (allocated). Sorts the artifacts by name and the
 * measurements by (mode, vmm_type, vcpu_type, vcpus) first. */
char *release_to_json(struct release *r);
/* Parse and validate; `what` names the input in errors. The lists come out
 * sorted as release_to_json() sorts them. On failure r is left empty
 * (release_free is still safe). */
int release_parse(const char *text, size_t len, const char *what, struct release *r);
/* Read and parse the file at path (named in errors). */
int release_load(const char *path, struct release *r);
void release_free(struct release *r);
void release_kernel_provenance_free(struct release_kernel_provenance *k);

/* Lookups for verify. NULL when absent. */
const struct release_artifact *release_artifact(const struct release *r, const char *name);
/* The first artifact with these bytes (64 hex digits). */
const struct release_artifact *release_artifact_by_sha256(const struct release *r, const char *sha256);
/* The IGVM file of this variant ("production", "debug"). */
const struct release_igvm *release_igvm_variant(const struct release *r, const char *variant);

/* A plain file name: non-empty, at most 255 bytes, no '/', not "." or "..",
 * no control characters. What keeps `verify --artifacts DIR` inside DIR. */
bool release_is_file_name(const char *s);

#endif
