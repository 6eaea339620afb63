/* Expected launch digests of AMD SEV, SEV-ES and SEV-SNP guests, as
 * sev-snp-measure (virtee) computes them, for programs that link the library
 * instead of running `guestimg measure`.
 *
 *   struct measure_params p;
 *   measure_params_init(&p);
 *   p.mode = SEV_MODE_SNP; p.vcpus = 4; p.vcpu_sig = sig; p.ovmf_path = "OVMF.fd";
 *   p.kernel_path = "bzImage"; p.append = "console=ttyS0";
 *   uint8_t d[MEASURE_DIGEST_MAX]; size_t len;
 *   if (measure_launch_digest(&p, d, &len) < 0) ... err_msg() says why
 *
 * For several vCPU counts open a context once: the firmware is read and
 * hashed once, and each count extends the chain from where the last one
 * stopped (ascending counts cost one VMSA update each).
 *
 * Lower-level pieces: ovmf.h (footer table, SEV metadata), gctx.h (the SNP
 * page-info chain), snp.h (firmware and metadata pages), vmsa.h,
 * sev_hashes.h (kernel hashes table), vcpu_types.h, id_block.h. */
#ifndef GUESTIMG_MEASURE_MEASURE_H
#define GUESTIMG_MEASURE_MEASURE_H

#include "common/hash.h"
#include "measure/modes.h"
#include "measure/ovmf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEASURE_SNP_DIGEST_LEN 48 /* SHA-384: snp, snp:ovmf-hash, snp:svsm */
#define MEASURE_SEV_DIGEST_LEN 32 /* SHA-256: sev, seves */
#define MEASURE_DIGEST_MAX 48
#define MEASURE_DEFAULT_GUEST_FEATURES 0x1
/* Guest RAM below 4 GiB bounds the count, long before anything else. */
#define MEASURE_MAX_VCPUS 4096

struct measure_params {
    enum sev_mode mode;
    enum vmm_type vmm;
    unsigned vcpus;                /* for measure_launch_digest(); unused by sev, snp:ovmf-hash */
    uint32_t vcpu_sig;             /* CPUID signature in RDX (QEMU); see vcpu_types.h */
    uint64_t guest_features;       /* SNP VMSA SEV_FEATURES; default 0x1 */
    const char *ovmf_path;         /* the firmware (also names it in messages) */
    const uint8_t *ovmf_data;      /* or: the firmware in memory (not copied) */
    size_t ovmf_size;
    const char *kernel_path;       /* measured direct boot: kernel, or NULL */
    const char *initrd_path;       /* with a kernel: initrd, or NULL (hashed as empty) */
    const char *append;            /* with a kernel: command line, or NULL (empty) */
    const uint8_t *snp_ovmf_hash;  /* snp: 48 bytes standing for the firmware pages, or NULL */
    const char *svsm_path;         /* snp:svsm: the COCONUT-SVSM image */
    uint64_t vars_size;            /* snp:svsm: bytes of OVMF_VARS between SVSM and OVMF */
    const char *vars_path;         /* snp:svsm: or the OVMF_VARS file, whose size counts */
};

/* Defaults as sev-snp-measure's: snp, QEMU, guest features 0x1. */
void measure_params_init(struct measure_params *p);
size_t measure_digest_len(enum sev_mode mode);

/* One digest. Sets the error (naming the file at fault) on failure. */
int measure_launch_digest(const struct measure_params *p, uint8_t *digest, size_t *len);

/* A measurement context: the firmware part, ready for any vCPU count. */
struct measure_ctx;
int measure_open(struct measure_ctx **out, const struct measure_params *p);
/* The digest for this many vCPUs (1..MEASURE_MAX_VCPUS; ignored by sev
 * and snp:ovmf-hash). */
int measure_digest(struct measure_ctx *m, unsigned vcpus, uint8_t *digest, size_t *len);
/* The VMSA page measured for vCPU index (0 = boot processor): seves, snp,
 * snp:svsm. */
int measure_vmsa_page(const struct measure_ctx *m, unsigned index, const uint8_t **page);
const struct ovmf *measure_firmware(const struct measure_ctx *m);
void measure_close(struct measure_ctx *m);

/* What went in, for reports: size and SHA-256 of each input file. */
struct measure_file {
    bool present;
    uint64_t size;
    uint8_t sha256[SHA256_LEN];
};
struct measure_inputs {
    struct measure_file ovmf, kernel, initrd, svsm, vars;
};
int measure_describe_inputs(const struct measure_ctx *m, struct measure_inputs *in);

/* Whether the firmware can measure a kernel, initrd and command line in this
 * mode (release records say `kernel_hashes: false` when it cannot):
 * SEV/SEV-ES need a non-zero hashes table address in the footer table; SNP
 * also an SNP_KERNEL_HASHES metadata section; snp:svsm never. */
bool measure_firmware_has_kernel_hashes(const struct ovmf *fw, enum sev_mode mode);
/* The same, reading the firmware p names (p->mode, ovmf_path / ovmf_data). */
int measure_kernel_hashes_supported(const struct measure_params *p, bool *supported);

#endif
