#include "measure/sev_hashes.h"
#include "measure/guid.h"
#include "common/le.h"

#include <errno.h>
#include <string.h>

#define ENTRY_LEN (GUID_LEN + 2 + SHA256_LEN)

static const uint8_t table_guid[] =
    GUID_LE(0x9438d606, 0x4f22, 0x4cc9, 0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21);
static const uint8_t cmdline_guid[] =
    GUID_LE(0x97d02dd8, 0xbd20, 0x4c94, 0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a);
static const uint8_t initrd_guid[] =
    GUID_LE(0x44baf731, 0x3a2f, 0x4bd7, 0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d);
static const uint8_t kernel_guid[] =
    GUID_LE(0x4de79437, 0xabd2, 0x427f, 0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b);

int sev_hashes_compute(struct sev_hashes *h, const char *kernel, const char *initrd,
                       const char *append)
{
    memset(h, 0, sizeof(*h));
    int r = hash_file(kernel, "sha256", h->kernel, NULL, &h->kernel_size);
    if (r < 0)
        return r;
    if (initrd && *initrd) {
        r = hash_file(initrd, "sha256", h->initrd, NULL, &h->initrd_size);
        if (r < 0)
            return r;
    } else {
        sha256_buf("", 0, h->initrd);
    }
    /* The kernel sees the command line as a C string: its NUL is hashed. */
    const char *cmdline = append ? append : "";
    sha256_buf(cmdline, strlen(cmdline) + 1, h->cmdline);
    return 0;
}

static uint8_t *put_entry(uint8_t *p, const uint8_t guid[GUID_LEN], const uint8_t hash[SHA256_LEN])
{
    memcpy(p, guid, GUID_LEN);
    put_le16(p + GUID_LEN, ENTRY_LEN);
    memcpy(p + GUID_LEN + 2, hash, SHA256_LEN);
    return p + ENTRY_LEN;
}

void sev_hashes_table(const struct sev_hashes *h, uint8_t out[SEV_HASHES_PADDED_LEN])
{
    memset(out, 0, SEV_HASHES_PADDED_LEN);
    memcpy(out, table_guid, GUID_LEN);
    put_le16(out + GUID_LEN, SEV_HASHES_TABLE_LEN);
    uint8_t *p = out + GUID_LEN + 2;
    p = put_entry(p, cmdline_guid, h->cmdline);
    p = put_entry(p, initrd_guid, h->initrd);
    put_entry(p, kernel_guid, h->kernel);
}

int sev_hashes_page(const struct sev_hashes *h, uint32_t offset, uint8_t page[SEV_HASHES_PAGE_SIZE])
{
    if (offset > SEV_HASHES_PAGE_SIZE - SEV_HASHES_PADDED_LEN)
        return -EINVAL;
    memset(page, 0, SEV_HASHES_PAGE_SIZE);
    sev_hashes_table(h, page + offset);
    return 0;
}
