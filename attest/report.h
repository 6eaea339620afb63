/* SEV-SNP attestation report (SNP firmware ABI, ATTESTATION_REPORT): the
 * 1184-byte structure a guest gets from its processor, versions 2, 3 and 5.
 * report_parse() decodes untrusted bytes: the size, version and signature
 * algorithm are checked; every field lies at a fixed offset inside the
 * checked size.
 *
 * The TCB fields are 8 bytes whose layout depends on the processor
 * generation: Milan and Genoa put the boot loader, TEE, SNP and microcode
 * SPLs in bytes 0, 1, 6 and 7; Turin puts FMC, boot loader, TEE and SNP in
 * bytes 0-3 and microcode in 7. Version 3 and later reports carry the CPUID
 * family and model that name the generation; a version 2 report does not,
 * and the caller supplies it (from the VCEK, or the user). */
#ifndef GUESTIMG_MEASURE_REPORT_H
#define GUESTIMG_MEASURE_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPORT_LEN 0x4A0          /* 1184 */
#define REPORT_SIGNED_LEN 0x2A0   /* the signature covers bytes 0x000-0x29F */
#define REPORT_SIG_COMPONENT_LEN 72 /* R then S at REPORT_SIGNED_LEN: little-endian, zero-padded */
#define REPORT_MEASUREMENT_LEN 48
#define REPORT_HOST_DATA_LEN 32
#define REPORT_DATA_LEN 64
#define REPORT_CHIP_ID_LEN 64
#define REPORT_SIG_ALGO_ECDSA_P384_SHA384 1

enum report_generation {
    REPORT_GEN_UNKNOWN = 0,
    REPORT_GEN_MILAN,
    REPORT_GEN_GENOA,
    REPORT_GEN_TURIN,
    /* Not a processor: a version 2 report, which has no CPUID, comes from
       firmware older than Turin's, and Milan and Genoa share the TCB
       layout, so the TCBs decode without naming which of the two. */
    REPORT_GEN_MILAN_OR_GENOA,
};

/* KEY_INFO.SIGNING_KEY: which key signed the report. */
enum report_signing_key {
    REPORT_KEY_VCEK = 0,
    REPORT_KEY_VLEK = 1,
    REPORT_KEY_NONE = 7,
};

/* A TCB version decoded for one generation (fmc only on Turin). */
struct report_tcb {
    uint8_t boot_loader, tee, snp, microcode, fmc;
    bool has_fmc;
};

struct report {
    uint8_t raw[REPORT_LEN];  /* the bytes as read: the signature covers 0x000-0x29F */
    uint32_t version, guest_svn;
    uint64_t policy;
    uint8_t family_id[16], image_id[16];
    uint32_t vmpl, sig_algo;
    uint64_t platform_info;
    uint32_t key_info;
    uint8_t report_data[REPORT_DATA_LEN], measurement[REPORT_MEASUREMENT_LEN],
        host_data[REPORT_HOST_DATA_LEN], id_key_digest[48], author_key_digest[48],
        report_id[32], report_id_ma[32], chip_id[REPORT_CHIP_ID_LEN];
    uint8_t current_tcb[8], reported_tcb[8], committed_tcb[8], launch_tcb[8];
    bool has_cpuid;                             /* version 3 and later */
    uint8_t cpuid_family, cpuid_model, cpuid_stepping;
    uint8_t current_major, current_minor, current_build;
    uint8_t committed_major, committed_minor, committed_build;
    bool has_mit_vectors;                       /* version 5 and later */
    uint64_t launch_mit_vector, current_mit_vector;
};

/* Decode len bytes (what names them in errors). Refuses any size but 1184,
 * versions other than 2, 3 and 5, and signature algorithms other than
 * ECDSA P-384 with SHA-384. */
int report_parse(const uint8_t *buf, size_t len, const char *what, struct report *r);

/* KEY_INFO.SIGNING_KEY (0 VCEK, 1 VLEK, 7 none). */
unsigned report_signing_key(const struct report *r);

/* The generation the report's CPUID fields name; UNKNOWN for version 2
 * reports and for family/model pairs that are not a known SEV-SNP part. */
enum report_generation report_cpuid_generation(const struct report *r);
/* "Milan", "Genoa", "Turin", "Milan or Genoa" ("unknown"). */
const char *report_generation_name(enum report_generation g);
/* A generation by name, case-insensitive; an AMD product name such as
 * "Milan-B0" counts by what comes before the '-'. UNKNOWN otherwise (never
 * MILAN_OR_GENOA: a name names one processor). */
enum report_generation report_generation_parse(const char *name);

/* Decode a TCB version's 8 bytes for a generation; -EINVAL when the
 * generation is UNKNOWN (no message: the layout is simply not known). */
int report_tcb_decode(const uint8_t raw[8], enum report_generation g, struct report_tcb *t);
/* "boot_loader 3 tee 0 snp 8 microcode 115" (+ " fmc N" on Turin); allocated. */
char *report_tcb_string(const struct report_tcb *t);

/* Every field as a JSON object, keys in report order (json_pretty() sorts
 * them; a walk in insertion order gives the report's order). TCBs are
 * decoded for generation g, or given raw only when it is UNKNOWN. */
json_t *report_to_json(const struct report *r, enum report_generation g);

#endif
