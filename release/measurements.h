/* The expected launch measurements of a release: every combination of the
 * manifest's measure: section, through the measure library (one context
 * per VMM and vCPU type: the firmware is hashed once, each vCPU count
 * extends the chain). */
#ifndef GUESTIMG_RELEASE_MEASUREMENTS_H
#define GUESTIMG_RELEASE_MEASUREMENTS_H

#include "release/release.h"

#include <stddef.h>
#include <stdint.h>

struct measure_plan {
    const char *firmware;                 /* OVMF path */
    const char *firmware_sha256;          /* hex, as recorded */
    char *const *vmm_types;               /* "QEMU", "ec2", "gce" */
    size_t nvmm_types;
    const uint32_t *vcpus;                /* ascending */
    size_t nvcpus;
    char *const *vcpu_types;              /* "EPYC-v4", … */
    size_t nvcpu_types;
    uint64_t guest_features;
    const char *kernel, *initrd, *cmdline;
};

/* SNP measurements for every combination, in release order. When the
 * firmware has no kernel-hashes section the kernel, initrd and command line
 * are not measured: each entry says kernel_hashes false (the caller
 * warns). *out is allocated; free with release_measurements_free(). */
int release_measure(const struct measure_plan *p, struct release_measurement **out, size_t *n);
/* Recompute one recorded measurement (for verify); *digest_hex allocated. */
int release_remeasure(const struct release_measurement *m, const char *firmware, const char *kernel,
                      const char *cmdline, char **digest_hex, bool *kernel_hashes);
void release_measurements_free(struct release_measurement *v, size_t n);

#endif
