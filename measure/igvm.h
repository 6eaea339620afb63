/* IGVM guest files (microsoft/igvm's igvm_defs): a fixed header, a section
 * of variable headers (8-byte-aligned TLVs in three sections: platform,
 * initialization, directives) covered by a CRC-32, and file data that the
 * headers point into. igvm_open()/igvm_parse() check every length, offset
 * and section rule; igvm_measure_snp() computes the SEV-SNP launch digest of
 * the directives for the file's SNP platform (see docs/igvm.md for the
 * choices where microsoft/igvm and coconut-svsm's igvmmeasure differ). */
#ifndef GUESTIMG_MEASURE_IGVM_H
#define GUESTIMG_MEASURE_IGVM_H

#include "measure/gctx.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGVM_MAGIC 0x4D564749u /* "IGVM" */
#define IGVM_FIXED_HEADER_V1_LEN 24
#define IGVM_FIXED_HEADER_V2_LEN 32
#define IGVM_PAGE_4K 0x1000u
#define IGVM_PAGE_2M 0x200000u
#define IGVM_OPTIONAL_BIT 0x80000000u

enum igvm_type {
    IGVM_SUPPORTED_PLATFORM = 0x001,
    IGVM_GUEST_POLICY = 0x101,
    IGVM_RELOCATABLE_REGION = 0x102,
    IGVM_PAGE_TABLE_RELOCATION_REGION = 0x103,
    IGVM_CORIM_DOCUMENT = 0x104,
    IGVM_CORIM_SIGNATURE = 0x105,
    IGVM_CCA_POLICY = 0x106,
    IGVM_PARAMETER_AREA = 0x301,
    IGVM_PAGE_DATA = 0x302,
    IGVM_PARAMETER_INSERT = 0x303,
    IGVM_VP_CONTEXT = 0x304,
    IGVM_REQUIRED_MEMORY = 0x305,
    IGVM_VP_COUNT_PARAMETER = 0x307,
    IGVM_SRAT = 0x308,
    IGVM_MADT = 0x309,
    IGVM_MMIO_RANGES = 0x30A,
    IGVM_SNP_ID_BLOCK = 0x30B,
    IGVM_MEMORY_MAP = 0x30C,
    IGVM_ERROR_RANGE = 0x30D,
    IGVM_COMMAND_LINE = 0x30E,
    IGVM_SLIT = 0x30F,
    IGVM_PPTT = 0x310,
    IGVM_VBS_MEASUREMENT = 0x311,
    IGVM_DEVICE_TREE = 0x312,
    IGVM_ENVIRONMENT_INFO = 0x313,
};

enum igvm_section { IGVM_SECTION_PLATFORM, IGVM_SECTION_INIT, IGVM_SECTION_DIRECTIVE };

enum igvm_platform_type {
    IGVM_PLATFORM_NATIVE = 0,
    IGVM_PLATFORM_VSM_ISOLATION = 1,
    IGVM_PLATFORM_SEV_SNP = 2,
    IGVM_PLATFORM_TDX = 3,
    IGVM_PLATFORM_SEV = 4,
    IGVM_PLATFORM_SEV_ES = 5,
    IGVM_PLATFORM_CCA = 6,
};

/* PAGE_DATA flags and data types. */
#define IGVM_PAGE_IS_2MB 0x1u
#define IGVM_PAGE_UNMEASURED 0x2u
#define IGVM_PAGE_SHARED 0x4u
enum igvm_data_type {
    IGVM_DATA_NORMAL = 0,
    IGVM_DATA_SECRETS = 1,
    IGVM_DATA_CPUID_DATA = 2,
    IGVM_DATA_CPUID_XF = 3,
};

/* One variable header, decoded. Fields a type does not have stay 0. */
struct igvm_header {
    uint32_t index;        /* position among the variable headers, from 0 */
    uint32_t offset;       /* file offset of its type/length pair */
    uint32_t type;         /* without the optional bit */
    uint32_t length;       /* of the body */
    bool optional;         /* the optional bit was set */
    bool known;            /* a type this reader understands */
    enum igvm_section section;
    const uint8_t *body;   /* into igvm_file.vh */
    bool has_mask;
    uint32_t mask;         /* compatibility mask */
    uint64_t gpa;
    uint32_t file_offset;  /* 0: no data */
    uint64_t data_len;     /* bytes at file_offset (or the area / range size) */
    uint32_t flags;        /* PAGE_DATA, REQUIRED_MEMORY, RELOCATABLE_REGION */
    uint16_t data_type;    /* PAGE_DATA */
    uint32_t area_index;   /* parameter area index */
    uint32_t byte_offset;  /* parameter directives: offset in the area */
    uint16_t vp_index;
    uint64_t policy;       /* GUEST_POLICY */
    /* SUPPORTED_PLATFORM */
    uint8_t platform_type, highest_vtl;
    uint16_t platform_version;
    uint64_t shared_gpa_boundary;
};

struct igvm_file {
    char *name;               /* as given, for messages */
    /* the bytes: a memory buffer, or an open file read with pread */
    const uint8_t *buf;
    int fd;
    uint64_t size;
    /* fixed header */
    uint32_t format_version, architecture, page_size; /* v2 fields: 0, 4096 for v1 */
    uint32_t vh_offset, vh_size, total_size, checksum, checksum_computed;
    uint8_t *vh;              /* copy of the variable header section */
    struct igvm_header *headers;
    size_t n_headers;
};

/* Parser options. */
#define IGVM_NO_CHECKSUM 0x1u /* a CRC mismatch is not an error */

/* Parse size bytes at buf (kept, not copied: it must outlive f). name
 * names the file in errors. 0, or negative with the error set: -EBADMSG
 * for a CRC mismatch, -EINVAL for any other fault of the file. */
int igvm_parse(struct igvm_file *f, const char *name, const uint8_t *buf, size_t size,
               unsigned opts);
/* Open and parse a file; file data is read on demand. */
int igvm_open(struct igvm_file *f, const char *path, unsigned opts);
void igvm_close(struct igvm_file *f);
/* len bytes of the file at off (a range the parser checked). */
int igvm_read(const struct igvm_file *f, uint64_t off, void *dst, size_t len);

/* CRC-32 as zlib's crc32() computes it (the IGVM header checksum). */
uint32_t igvm_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* Names for types, platforms and data types ("PAGE_DATA"), "?" if unknown. */
const char *igvm_type_name(uint32_t type);
const char *igvm_platform_name(uint8_t type);
const char *igvm_data_type_name(uint16_t type);

/* The SUPPORTED_PLATFORM header of the SEV-SNP platform, or NULL. */
const struct igvm_header *igvm_snp_platform(const struct igvm_file *f);

/* SNP_ID_BLOCK fields; the ID key and its signature as stored (r, s and
 * Qx, Qy little-endian in 72-byte fields). */
#define IGVM_ID_SIGNATURE_LEN 144
#define IGVM_ID_PUBLIC_KEY_LEN 152
struct igvm_id_block {
    uint32_t mask;
    bool author_key_enabled;
    uint8_t ld[GCTX_LD_LEN];
    uint8_t family_id[16], image_id[16];
    uint32_t version, guest_svn, id_key_algorithm, author_key_algorithm;
    uint8_t id_key_signature[IGVM_ID_SIGNATURE_LEN];
    uint8_t id_public_key[IGVM_ID_PUBLIC_KEY_LEN];  /* curve, reserved, Qx, Qy */
};

/* The ID key's signature over the firmware's ID block (launch digest,
 * family and image IDs, version, SVN, and policy, which the file gives
 * in GUEST_POLICY), and the ID key's digest as attestation reports carry
 * it (ID_KEY_DIGEST). 0 with *valid set, or negative with the error set
 * when the key is not an ECDSA P-384 key. */
int igvm_id_block_check(const struct igvm_id_block *id, uint64_t policy, bool *valid,
                        uint8_t key_digest[GCTX_LD_LEN]);

struct igvm_snp_result {
    uint8_t digest[GCTX_LD_LEN];
    uint32_t mask;            /* the SNP platform's compatibility mask */
    bool has_policy;
    uint64_t policy;          /* GUEST_POLICY for that mask */
    bool has_id_block;
    struct igvm_id_block id_block;
    uint64_t pages;           /* PAGE_INFO updates made */
};

/* Measurement options. */
#define IGVM_NATIVE_ZERO 0x1u /* pages without data as ZERO pages, not NORMAL pages of zeros */

/* The SEV-SNP launch digest. Fails (error set) when the file has no SNP
 * platform or file data cannot be read. The ID block's digest is returned,
 * not compared: that is the caller's policy. */
int igvm_measure_snp(const struct igvm_file *f, unsigned opts, struct igvm_snp_result *r);

/* An upper bound of the pages igvm_measure_snp() would measure (page data
 * headers, 2 MiB ones as 512, and parameter areas): fuzzers and the
 * hostile-input suite skip measuring files that would take long. */
uint64_t igvm_page_estimate(const struct igvm_file *f);

/* The headers as text, one line each (allocated), or as JSON. */
char *igvm_dump_text(const struct igvm_file *f);
json_t *igvm_dump_json(const struct igvm_file *f);

#endif
