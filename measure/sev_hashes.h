/* The kernel hashes table QEMU writes into guest memory for measured direct
 * boot (target/i386/sev.c, "SEV hash table"): SHA-256 of the kernel, the
 * initrd and the NUL-terminated command line, each under its GUID, padded
 * to 16 bytes. OVMF checks the files it loads against it. */
#ifndef GUESTIMG_MEASURE_SEV_HASHES_H
#define GUESTIMG_MEASURE_SEV_HASHES_H

#include "common/hash.h"

#include <stdbool.h>
#include <stdint.h>

/* {GUID, u16 length} + 3 entries of {GUID, u16 length, SHA-256} = 168
 * bytes, padded to a multiple of 16. */
#define SEV_HASHES_TABLE_LEN 168
#define SEV_HASHES_PADDED_LEN 176
#define SEV_HASHES_PAGE_SIZE 4096

struct sev_hashes {
    uint8_t kernel[SHA256_LEN], initrd[SHA256_LEN], cmdline[SHA256_LEN];
    uint64_t kernel_size, initrd_size; /* for reports */
};

/* Hash the kernel, the initrd (NULL or "" = none, hashed as empty) and the
 * command line (NULL = empty). Sets the error naming an unreadable file. */
int sev_hashes_compute(struct sev_hashes *h, const char *kernel, const char *initrd,
                       const char *append);
/* The padded table, as SEV and SEV-ES measure it. */
void sev_hashes_table(const struct sev_hashes *h, uint8_t out[SEV_HASHES_PADDED_LEN]);
/* The page SNP measures: zeros with the padded table at offset. -EINVAL
 * (no message) when the table would not fit the page. */
int sev_hashes_page(const struct sev_hashes *h, uint32_t offset, uint8_t page[SEV_HASHES_PAGE_SIZE]);

#endif
