/* CONTRACT COPY (replaced by the igvm-build branch at merge). */
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
    const char *kernel_path;
    const uint8_t *cmdline; size_t cmdline_len;
    const char *acpi_dir;
    enum igvm_boot_mode boot_mode;
    unsigned vtl;
    bool svme, encrypted_page, pvalidate_opt;
    uint32_t svn;
    EVP_PKEY *sign_key;
    struct id_block_params id;
};
void igvm_build_params_init(struct igvm_build_params *p);
struct igvm_region { uint64_t gpa, len; char *what; };
struct igvm_acpi_input { char *name; uint8_t sha256[32]; };
struct igvm_build_result {
    uint8_t *data; size_t len;
    uint8_t digest[48];
    uint8_t kernel_sha256[32], cmdline_sha256[32];
    struct igvm_acpi_input *acpi; size_t n_acpi;
    struct igvm_region *regions; size_t n_regions;
};
int igvm_build(const struct igvm_build_params *p, struct igvm_build_result *r);
void igvm_build_result_free(struct igvm_build_result *r);
json_t *igvm_measurement_file_json(const struct igvm_build_result *r, uint32_t svn);
#endif
