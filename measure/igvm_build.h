/* Build an IGVM file for Linux direct boot on SEV-SNP, byte for byte as
 * microsoft/igvm-tooling's igvmgen (commit 53656dd) does: the bzImage's
 * protected-mode part at its preferred address, ACPI tables, CPUID, secrets
 * and parameter pages, boot_params with e820 and the command line, page
 * tables (x64), a GDT, one VMSA, the SUPPORTED_PLATFORM and GUEST_POLICY
 * headers and a signed SNP ID block. docs/igvm.md ("Building") lists every
 * layout decision and the igvmgen behaviour it reproduces. */
#ifndef GUESTIMG_MEASURE_IGVM_BUILD_H
#define GUESTIMG_MEASURE_IGVM_BUILD_H

#include "measure/id_block.h"

#include <jansson.h>
#include <openssl/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum igvm_boot_mode { IGVM_BOOT_X86, IGVM_BOOT_X64 };

struct igvm_build_params {
    const char *kernel_path;              /* bzImage (its name in errors when kernel_data is set) */
    const uint8_t *kernel_data; size_t kernel_len;  /* the bzImage in memory; NULL: read kernel_path */
    const uint8_t *cmdline; size_t cmdline_len;   /* bytes exactly as given (TABs kept) */
    /* igvmgen -rdinit: a ramdisk page-aligned after the command line
     * (boot_params ramdisk_image/size); NULL path and data: none */
    const char *rdinit_path;              /* its name in errors; read when rdinit_data is NULL */
    const uint8_t *rdinit_data; size_t rdinit_len;
    /* igvmgen -inform bzImage2 -shared_payload: bytes at GPA 0x10000000 in
     * guest-invalid pages (in the file, not measured); NULL path and data: none */
    const char *shared_payload_path;
    const uint8_t *shared_payload_data; size_t shared_payload_len;
    const char *acpi_dir;                 /* directory of compiled ACPI tables (.aml); NULL: igvmgen's built-in defaults */
    enum igvm_boot_mode boot_mode;        /* igvmgen default: x86 */
    unsigned vtl;                         /* default 2 */
    bool svme, encrypted_page, pvalidate_opt;   /* defaults: on */
    uint32_t svn;                         /* measurement file only (x-ms-sevsnpvm-guestsvn) */
    bool kernel_sha256;                   /* fill the result's kernel_sha256 (one more pass over the kernel) */
    EVP_PKEY *sign_key;                   /* NULL: the published snakeoil key (keys/) */
    struct id_block_params id;            /* defaults = igvmgen's TEI defaults */
};

/* igvmgen's defaults: x86, VTL 2, SVME, encrypted pages, pvalidate_opt, SVN 0,
 * ID block version 1, guest SVN 2, family ID 01 00.., image ID 02 00..,
 * policy 0x3001f. */
void igvm_build_params_init(struct igvm_build_params *p);

struct igvm_region { uint64_t gpa, len; char *what; };
struct igvm_acpi_input { char *name; uint8_t sha256[32]; };

struct igvm_build_result {
    uint8_t *data; size_t len;            /* the IGVM file bytes (NULL from igvm_build_write) and length */
    uint8_t digest[48];                   /* SNP launch digest */
    uint8_t kernel_sha256[32];            /* the bzImage's SHA-256, when the params asked for it */
    uint8_t cmdline_sha256[32];
    bool has_rdinit, has_shared_payload;  /* the params named one */
    uint8_t rdinit_sha256[32], shared_payload_sha256[32];
    struct igvm_acpi_input *acpi; size_t n_acpi;
    struct igvm_region *regions; size_t n_regions;
    uint8_t id_key_digest[48];            /* SHA-384 of the ID key, as reports carry it */
};

int igvm_build(const struct igvm_build_params *p, struct igvm_build_result *r);
/* The same with the file written to fd (a regular file, written at
 * offsets; what names it in errors) instead of r->data: each page as it is
 * hashed, from where it lies (the mapped bzImage, the layout's memory), no
 * copy made; the headers last. On failure part of the file may have been
 * written: write to a temporary (atomic_open) and abort it. */
int igvm_build_write(const struct igvm_build_params *p, int fd, const char *what, struct igvm_build_result *r);
void igvm_build_result_free(struct igvm_build_result *r);
json_t *igvm_measurement_file_json(const struct igvm_build_result *r, uint32_t svn);

/* igvmgen's TEI config file (-config_file): family_id, image_id (hex),
 * version, guest_svn, policy bits, into p. 0 or negative with the error set. */
int igvm_tei_config_load(const char *path, struct id_block_params *p);

/* The key used when none is given: a published, fixed P-384 key that
 * vouches for nothing (keys/igvm-snakeoil-id-key.pem). */
EVP_PKEY *igvm_snakeoil_key(void);

#endif
