#include "measure/ovmf.h"
#include "common/le.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* Footer table layout (edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm):
 * the table ends 32 bytes before the end of the image with a footer entry;
 * every entry is its data followed by a header {u16 size, GUID}, the size
 * counting both, and entries are found by walking back from the footer. */
#define FOOTER_END_GAP 32
#define ENTRY_HEADER_LEN (2 + GUID_LEN)

/* SEV metadata: {"ASEV", u32 size, u32 version, u32 count} then count
 * descriptors {u32 gpa, u32 size, u32 type}. */
#define METADATA_HEADER_LEN 16
#define METADATA_DESC_LEN 12
#define METADATA_VERSION 1

static const uint8_t footer_guid[] =
    GUID_LE(0x96b582de, 0x1fb2, 0x45f7, 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d);
static const uint8_t sev_metadata_guid[] =
    GUID_LE(0xdc886566, 0x984a, 0x4798, 0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc);
static const uint8_t sev_es_reset_block_guid[] =
    GUID_LE(0x00f771de, 0x1a7e, 0x4fcb, 0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e);
static const uint8_t sev_hash_table_guid[] =
    GUID_LE(0x7255371f, 0x3a3b, 0x4b04, 0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54);
static const uint8_t svsm_info_guid[] =
    GUID_LE(0xa789a612, 0x0597, 0x4c4b, 0xa4, 0x9f, 0xcb, 0xb1, 0xfe, 0x9d, 0x1d, 0xdd);

static int parse_footer_table(struct ovmf *o)
{
    if (o->size < FOOTER_END_GAP + ENTRY_HEADER_LEN)
        return err_set(-EINVAL, "%s: no OVMF footer table (%zu bytes: truncated, or not an OVMF image)",
                       o->name, o->size);
    size_t footer = o->size - FOOTER_END_GAP - ENTRY_HEADER_LEN;
    if (memcmp(o->data + footer + 2, footer_guid, GUID_LEN))
        return err_set(-EINVAL, "%s: no OVMF footer table (truncated, or not an OVMF image)", o->name);
    size_t table_size = get_le16(o->data + footer);
    if (table_size < ENTRY_HEADER_LEN || table_size - ENTRY_HEADER_LEN > footer)
        return err_set(-EINVAL, "%s: OVMF footer table size %zu does not fit the file", o->name,
                       table_size);
    size_t start = footer - (table_size - ENTRY_HEADER_LEN), end = footer;
    size_t cap = (end - start) / ENTRY_HEADER_LEN;
    o->entries = xcalloc(cap ? cap : 1, sizeof(*o->entries));
    while (end - start >= ENTRY_HEADER_LEN) {
        const uint8_t *hdr = o->data + end - ENTRY_HEADER_LEN;
        size_t len = get_le16(hdr);
        if (len < ENTRY_HEADER_LEN || len > end - start)
            return err_set(-EINVAL, "%s: OVMF footer table entry %zu has size %zu, outside the table",
                           o->name, o->n_entries, len);
        struct ovmf_entry *e = &o->entries[o->n_entries++];
        memcpy(e->guid, hdr + 2, GUID_LEN);
        e->data = o->data + end - len;
        e->len = len - ENTRY_HEADER_LEN;
        end -= len;
    }
    return 0;
}

const struct ovmf_entry *ovmf_find_entry(const struct ovmf *o, const uint8_t guid[GUID_LEN])
{
    /* Should a GUID repeat, the entry furthest from the footer wins, as in
     * sev-snp-measure (which keeps the last one it walks to). */
    const struct ovmf_entry *found = NULL;
    for (size_t i = 0; i < o->n_entries; i++)
        if (!memcmp(o->entries[i].guid, guid, GUID_LEN))
            found = &o->entries[i];
    return found;
}

/* The first four bytes of an entry, which all the entries used here start
 * with (an address or an offset). */
static int entry_u32(const struct ovmf *o, const uint8_t guid[GUID_LEN], const char *what,
                     uint32_t *out)
{
    const struct ovmf_entry *e = ovmf_find_entry(o, guid);
    if (!e)
        return err_set(-ENOENT, "%s: no %s entry in the OVMF footer table", o->name, what);
    if (e->len < 4)
        return err_set(-EINVAL, "%s: the %s entry holds %zu bytes, expected at least 4", o->name,
                       what, e->len);
    *out = get_le32(e->data);
    return 0;
}

int ovmf_find_metadata(struct ovmf *o)
{
    if (!ovmf_find_entry(o, sev_metadata_guid))
        return 0;
    uint32_t from_end = 0;   /* (set when r >= 0; -fPIC hides that from GCC) */
    int r = entry_u32(o, sev_metadata_guid, "SEV metadata", &from_end);
    if (r < 0)
        return r;
    if (from_end > o->size || from_end < METADATA_HEADER_LEN)
        return err_set(-EINVAL, "%s: SEV metadata at %u bytes from the end lies outside the file",
                       o->name, from_end);
    const uint8_t *hdr = o->data + o->size - from_end;
    if (memcmp(hdr, "ASEV", 4))
        return err_set(-EINVAL, "%s: bad SEV metadata signature (expected \"ASEV\")", o->name);
    uint32_t size = get_le32(hdr + 4), version = get_le32(hdr + 8), count = get_le32(hdr + 12);
    if (version != METADATA_VERSION)
        return err_set(-EINVAL, "%s: SEV metadata version %u is not supported (expected %u)", o->name,
                       version, METADATA_VERSION);
    if (size < METADATA_HEADER_LEN || size > from_end)
        return err_set(-EINVAL, "%s: SEV metadata of %u bytes lies outside the file", o->name, size);
    if (count > (size - METADATA_HEADER_LEN) / METADATA_DESC_LEN)
        return err_set(-EINVAL, "%s: SEV metadata section %u lies outside the metadata (%u bytes)",
                       o->name, (size - METADATA_HEADER_LEN) / METADATA_DESC_LEN, size);
    o->sections = xcalloc(count ? count : 1, sizeof(*o->sections));
    o->n_sections = count;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *d = hdr + METADATA_HEADER_LEN + (size_t)i * METADATA_DESC_LEN;
        o->sections[i] = (struct ovmf_section){get_le32(d), get_le32(d + 4), get_le32(d + 8)};
    }
    return 0;
}

int ovmf_parse(struct ovmf *o, const char *name, const uint8_t *data, size_t size, uint64_t end_gpa)
{
    memset(o, 0, sizeof(*o));
    o->name = xstrdup(name);
    o->data = data;
    o->size = size;
    int r;
    if (size > end_gpa)
        r = err_set(-EFBIG, "%s: %zu bytes do not fit below address %#llx", name, size,
                    (unsigned long long)end_gpa);
    else if ((r = parse_footer_table(o)) == 0)
        r = ovmf_find_metadata(o);
    if (r < 0) {
        ovmf_free(o);
        return r;
    }
    o->gpa = end_gpa - size;
    return 0;
}

int ovmf_load(struct ovmf *o, const char *path, uint64_t end_gpa)
{
    uint8_t *buf;
    size_t len;
    int r = file_read_all(path, &buf, &len, OVMF_FOUR_GIB);
    if (r < 0)
        return r;
    r = ovmf_parse(o, path, buf, len, end_gpa);
    if (r < 0) {
        free(buf);
        return r;
    }
    o->owned = buf;
    return 0;
}

void ovmf_free(struct ovmf *o)
{
    free(o->name);
    free(o->entries);
    free(o->sections);
    free(o->owned);
    memset(o, 0, sizeof(*o));
}

bool ovmf_has_section(const struct ovmf *o, enum ovmf_section_type type)
{
    for (size_t i = 0; i < o->n_sections; i++)
        if (o->sections[i].type == (uint32_t)type)
            return true;
    return false;
}

int ovmf_sev_es_reset_eip(const struct ovmf *o, uint32_t *eip)
{
    return entry_u32(o, sev_es_reset_block_guid, "SEV-ES reset block", eip);
}

bool ovmf_hashes_table(const struct ovmf *o, uint32_t *gpa)
{
    const struct ovmf_entry *e = ovmf_find_entry(o, sev_hash_table_guid);
    if (!e || e->len < 4)
        return false;
    *gpa = get_le32(e->data);
    return true;
}

int ovmf_svsm_reset_eip(const struct ovmf *o, uint64_t *eip)
{
    uint32_t offset = 0;
    int r = entry_u32(o, svsm_info_guid, "SVSM info", &offset);
    if (r < 0)
        return r;
    *eip = o->gpa + offset;
    return 0;
}
