/* OVMF firmware images as QEMU loads them: the GUIDed footer table at the
 * end of the image, and the SEV metadata it points to (the pages OVMF wants
 * pre-validated, the secrets and CPUID pages, the kernel-hashes page).
 *
 * Everything read from the image is checked against its size first: a
 * truncated or foreign file gives an error naming it, never a wild read. */
#ifndef GUESTIMG_MEASURE_OVMF_H
#define GUESTIMG_MEASURE_OVMF_H

#include "measure/guid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVMF_FOUR_GIB 0x100000000ULL

/* Section types of the SEV metadata (edk2 OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm). */
enum ovmf_section_type {
    OVMF_SECTION_SNP_SEC_MEM = 1,         /* pre-validated as zero pages */
    OVMF_SECTION_SNP_SECRETS = 2,         /* the PSP's secrets page */
    OVMF_SECTION_CPUID = 3,               /* the CPUID page */
    OVMF_SECTION_SVSM_CAA = 4,            /* SVSM calling area, zero pages */
    OVMF_SECTION_SNP_KERNEL_HASHES = 0x10 /* QEMU's kernel/initrd/cmdline hashes page */
};

struct ovmf_section {
    uint32_t gpa, size, type;
};

/* One footer table entry: its GUID and the bytes before its header. */
struct ovmf_entry {
    uint8_t guid[GUID_LEN];
    const uint8_t *data;
    size_t len;
};

struct ovmf {
    char *name;                 /* for messages: the path, or what the caller called it */
    const uint8_t *data;        /* the whole image */
    size_t size;
    uint64_t gpa;               /* where it is loaded: it ends at end_gpa */
    struct ovmf_entry *entries; /* in the order found, walking back from the footer */
    size_t n_entries;
    struct ovmf_section *sections; /* SEV metadata, in file order; none if absent */
    size_t n_sections;
    uint8_t *owned;             /* data, when ovmf_load() read it */
};

/* Parse an image held in memory (not copied: data must outlive o), loaded
 * so that it ends at end_gpa. Requires the footer table; reads the SEV
 * metadata when the table points to one. Sets the error naming name. */
int ovmf_parse(struct ovmf *o, const char *name, const uint8_t *data, size_t size, uint64_t end_gpa);
/* Read path and parse it. */
int ovmf_load(struct ovmf *o, const char *path, uint64_t end_gpa);
void ovmf_free(struct ovmf *o);

/* The footer table entry with this GUID, or NULL. */
const struct ovmf_entry *ovmf_find_entry(const struct ovmf *o, const uint8_t guid[GUID_LEN]);
/* Locate and check the SEV metadata the footer table points to, filling
 * o->sections (called by ovmf_parse). */
int ovmf_find_metadata(struct ovmf *o);
bool ovmf_has_section(const struct ovmf *o, enum ovmf_section_type type);

/* The AP reset address from the SEV-ES reset block. */
int ovmf_sev_es_reset_eip(const struct ovmf *o, uint32_t *eip);
/* Where QEMU writes the kernel hashes table: false when the footer table
 * has no SEV hash table entry. (SEV and SEV-ES also need the address to be
 * non-zero; SNP needs an SNP_KERNEL_HASHES section too.) */
bool ovmf_hashes_table(const struct ovmf *o, uint32_t *gpa);
/* COCONUT-SVSM images: the entry point, from the SVSM info entry, as a GPA. */
int ovmf_svsm_reset_eip(const struct ovmf *o, uint64_t *eip);

#endif
