/* Initial VMSA (VM save area) pages: the register state each vCPU starts
 * from, which SEV-ES and SEV-SNP measure. The layout is the SEV-ES save
 * area of AMD's APM vol. 2 (table B-4); the values are what QEMU/KVM, EC2
 * and GCE put there at reset. */
#ifndef GUESTIMG_MEASURE_VMSA_H
#define GUESTIMG_MEASURE_VMSA_H

#include "measure/modes.h"

#include <stdint.h>

#define VMSA_PAGE_SIZE 4096
/* The boot processor starts at the reset vector; the others at the AP
 * reset address the firmware publishes. */
#define VMSA_BSP_EIP 0xfffffff0u

/* A vCPU entering OVMF in real mode at eip (CS base from its upper half). */
void vmsa_build(uint8_t page[VMSA_PAGE_SIZE], uint32_t eip, uint64_t sev_features,
                uint32_t vcpu_sig, enum vmm_type vmm);
/* A vCPU entering COCONUT-SVSM in 32-bit protected mode at eip (QEMU). */
void vmsa_build_svsm(uint8_t page[VMSA_PAGE_SIZE], uint64_t eip, uint64_t sev_features,
                     uint32_t vcpu_sig);

#endif
