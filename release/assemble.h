/* The last steps of `guestimg build`: from a directory that holds the
 * image, the kernel and the other built files, write what is published
 * about them — cmdline.txt, the SBOMs, the measurement files, the trustee
 * reference values, release.json listing every file, and its signature. */
#ifndef GUESTIMG_RELEASE_ASSEMBLE_H
#define GUESTIMG_RELEASE_ASSEMBLE_H

#include "builder/packages/package.h"
#include "release/release.h"

struct release_inputs {
    const char *dir;                 /* the (temporary) release directory */
    const char *name, *version;
    int64_t epoch;
    const char *manifest_sha256, *lock_sha256;
    const char *image, *kernel;      /* file names in dir */
    const char *image_sha256;        /* the image's digest when the caller knows it (rootfs_build
                                        computes it while writing); NULL: read the image */
    const char *kernel_version;      /* what the SBOMs call it */
    struct release_kernel_provenance kernel_provenance;
    uint64_t svn;
    struct release_verity verity;
    const char *cmdline;
    struct release_measurement *measurements;
    size_t nmeasurements;
    struct release_igvm *igvms;      /* the IGVM files (already in dir) and their measurements */
    size_t nigvms;
    const struct release_appraisal *appraisal;   /* what a verifier expects of a launch; NULL: none */
    const struct package_set *packages;
    const char *sign_key;            /* PEM private key; NULL: unsigned */
};

#define RELEASE_FILE "release.json"
#define RELEASE_SIG_FILE "release.json.sig"
#define SBOM_SPDX_FILE "sbom.spdx.json"
#define SBOM_CDX_FILE "sbom.cdx.json"
#define CMDLINE_FILE "cmdline.txt"

/* Sets the error naming the file or step at fault. Files already written
 * stay in dir: the caller owns it (and removes it on failure). */
int release_assemble(const struct release_inputs *in);

#endif
