/* SEV-SNP: the firmware's part of the launch digest, as QEMU (or EC2, GCE)
 * adds it with SNP_LAUNCH_UPDATE: the image's pages, then one update per
 * SEV metadata section. The VMSAs follow (measure.c). */
#ifndef GUESTIMG_MEASURE_SNP_H
#define GUESTIMG_MEASURE_SNP_H

#include "measure/gctx.h"
#include "measure/modes.h"
#include "measure/ovmf.h"
#include "measure/sev_hashes.h"

#include <stdbool.h>

/* The whole image as NORMAL pages at its GPA. Its size must be a multiple
 * of 4096. */
int snp_update_image(struct gctx *g, const struct ovmf *o);
/* The metadata sections in order (they must not overlap, nor pass 4 GiB):
 * zero pages (unmeasured on GCE), the
 * secrets and CPUID pages (EC2 adds CPUID pages last), the kernel-hashes
 * page (measured when hashes is non-NULL, zero pages otherwise). */
int snp_update_metadata(struct gctx *g, const struct ovmf *o, const struct sev_hashes *hashes,
                        enum vmm_type vmm);
/* Bytes of guest memory a section's updates cover (the secrets and CPUID
 * sections are one page whatever their size). */
uint64_t snp_section_extent(const struct ovmf_section *s);
/* Whether the image can carry kernel hashes under SNP: an SNP_KERNEL_HASHES
 * section and a hashes table entry. */
bool snp_has_kernel_hashes(const struct ovmf *o);

#endif
