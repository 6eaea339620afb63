/* Guest vCPU signatures: CPUID Fn0000_0001_EAX (family, model, stepping),
 * which the VMSA carries in RDX at reset, and the named QEMU CPU models. */
#ifndef GUESTIMG_MEASURE_VCPU_TYPES_H
#define GUESTIMG_MEASURE_VCPU_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* AMD CPUID specification (#25481), Fn0000_0001_EAX: families above 0xf
 * are stored as 0xf plus an extended family. A constant expression. */
#define VCPU_SIG(family, model, stepping)                                              \
    ((uint32_t)((((family) > 0xf ? ((family) - 0xf) & 0xff : 0) << 20) |               \
                ((((model) >> 4) & 0xf) << 16) | (((family) > 0xf ? 0xf : (family)) << 8) | \
                (((model) & 0xf) << 4) | ((stepping) & 0xf)))

struct vcpu_type {
    const char *name;   /* QEMU's CPU model name, e.g. "EPYC-Milan" */
    uint32_t sig;
};

uint32_t vcpu_sig(unsigned family, unsigned model, unsigned stepping);
/* Signature of a named CPU model; 0 or -ENOENT (no message: the caller
 * knows where the name came from). */
int vcpu_type_sig(const char *name, uint32_t *sig);
/* The whole table, in sev-snp-measure's order. */
const struct vcpu_type *vcpu_types(size_t *count);

#endif
