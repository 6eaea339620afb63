/* Guest modes and VMM types, with the names sev-snp-measure uses for them on
 * its command line. */
#ifndef GUESTIMG_MEASURE_MODES_H
#define GUESTIMG_MEASURE_MODES_H

enum sev_mode {
    SEV_MODE_SEV,             /* "sev": SHA-256 of firmware (+ kernel hashes table) */
    SEV_MODE_SEV_ES,          /* "seves": as SEV, then every vCPU's VMSA */
    SEV_MODE_SNP,             /* "snp": SHA-384 page-info chain */
    SEV_MODE_SNP_OVMF_HASH,   /* "snp:ovmf-hash": the chain over the firmware pages only */
    SEV_MODE_SNP_SVSM,        /* "snp:svsm": firmware, COCONUT-SVSM, its metadata, VMSAs */
};

enum vmm_type { VMM_QEMU, VMM_EC2, VMM_GCE };

/* Parse a name as given to --mode / --vmm-type; 0 or -EINVAL. */
int sev_mode_parse(const char *s, enum sev_mode *out);
int vmm_type_parse(const char *s, enum vmm_type *out);
/* The command-line name ("snp", "QEMU", …). */
const char *sev_mode_name(enum sev_mode m);
const char *vmm_type_name(enum vmm_type v);
/* The upper-case label sev-snp-measure prints with --verbose ("SEV_SNP"). */
const char *sev_mode_label(enum sev_mode m);

#endif
