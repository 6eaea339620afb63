/* IGVM reader: fixed header, CRC-32, variable headers and their rules. */
#include "measure/igvm.h"
#include "common/le.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* common/le.h has no 64-bit load yet. */
/* Body length of each type this reader knows, and its name. */
struct type_info {
    uint32_t type;
    const char *name;
    uint32_t len;
    bool has_mask; /* carries a compatibility mask */
};

#define IGVM_PARAMETER_LEN 8
static const struct type_info types[] = {
    {IGVM_SUPPORTED_PLATFORM, "SUPPORTED_PLATFORM", 16, true},
    {IGVM_GUEST_POLICY, "GUEST_POLICY", 16, true},
    {IGVM_RELOCATABLE_REGION, "RELOCATABLE_REGION", 48, true},
    {IGVM_PAGE_TABLE_RELOCATION_REGION, "PAGE_TABLE_RELOCATION_REGION", 32, true},
    {IGVM_CORIM_DOCUMENT, "CORIM_DOCUMENT", 16, true},
    {IGVM_CORIM_SIGNATURE, "CORIM_SIGNATURE", 16, true},
    {IGVM_CCA_POLICY, "CCA_POLICY", 32, true},
    {IGVM_PARAMETER_AREA, "PARAMETER_AREA", 16, false},
    {IGVM_PAGE_DATA, "PAGE_DATA", 24, true},
    {IGVM_PARAMETER_INSERT, "PARAMETER_INSERT", 16, true},
    {IGVM_VP_CONTEXT, "VP_CONTEXT", 20, true},
    {IGVM_REQUIRED_MEMORY, "REQUIRED_MEMORY", 24, true},
    {IGVM_VP_COUNT_PARAMETER, "VP_COUNT_PARAMETER", IGVM_PARAMETER_LEN, false},
    {IGVM_SRAT, "SRAT", IGVM_PARAMETER_LEN, false},
    {IGVM_MADT, "MADT", IGVM_PARAMETER_LEN, false},
    {IGVM_MMIO_RANGES, "MMIO_RANGES", IGVM_PARAMETER_LEN, false},
    {IGVM_SNP_ID_BLOCK, "SNP_ID_BLOCK", 696, true},
    {IGVM_MEMORY_MAP, "MEMORY_MAP", IGVM_PARAMETER_LEN, false},
    {IGVM_ERROR_RANGE, "ERROR_RANGE", 16, true},
    {IGVM_COMMAND_LINE, "COMMAND_LINE", IGVM_PARAMETER_LEN, false},
    {IGVM_SLIT, "SLIT", IGVM_PARAMETER_LEN, false},
    {IGVM_PPTT, "PPTT", IGVM_PARAMETER_LEN, false},
    {IGVM_VBS_MEASUREMENT, "VBS_MEASUREMENT", 864, true},
    {IGVM_DEVICE_TREE, "DEVICE_TREE", IGVM_PARAMETER_LEN, false},
    {IGVM_ENVIRONMENT_INFO, "ENVIRONMENT_INFO", IGVM_PARAMETER_LEN, false},
};

static const struct type_info *type_info(uint32_t type)
{
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (types[i].type == type)
            return &types[i];
    return NULL;
}

const char *igvm_type_name(uint32_t type)
{
    const struct type_info *t = type_info(type);
    return t ? t->name : "?";
}

const char *igvm_platform_name(uint8_t type)
{
    static const char *const names[] = {"NATIVE", "VSM_ISOLATION", "SEV_SNP", "TDX",
                                        "SEV", "SEV_ES", "CCA"};
    return type < ARRAY_SIZE(names) ? names[type] : "?";
}

const char *igvm_data_type_name(uint16_t type)
{
    static const char *const names[] = {"NORMAL", "SECRETS", "CPUID_DATA", "CPUID_XF"};
    return type < ARRAY_SIZE(names) ? names[type] : "?";
}

static const char *section_name(enum igvm_section s)
{
    static const char *const names[] = {"platform", "initialization", "directive"};
    return names[s];
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()), a byte at a time
 * from a table (a bit at a time took 1.4 ms over the 130 KiB of headers of
 * an IGVM for a 16 MiB kernel). */
static uint32_t crc_table[256];

static void crc_table_make(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        crc_table[i] = c;
    }
}

uint32_t igvm_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    /* once, whatever thread asks first (igvm build runs threads) */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, crc_table_make);
    const uint32_t *table = crc_table;
    crc = ~crc;
    while (n--)
        crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xff];
    return ~crc;
}

/* "NAME: directive 12 (PAGE_DATA) at offset 0x1a0: <what>" */
static int header_error(const struct igvm_file *f, const struct igvm_header *h, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int header_error(const struct igvm_file *f, const struct igvm_header *h, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    char type[16];
    const char *name = igvm_type_name(h->type);
    if (!h->known) {
        snprintf(type, sizeof(type), "0x%x", h->type);
        name = type;
    }
    return err_set(-EINVAL, "%s: %s %u (%s) at offset 0x%x: %s", f->name,
                   h->section == IGVM_SECTION_DIRECTIVE ? "directive" : "header", h->index, name,
                   h->offset, what);
}

/* Bytes of the file, from memory or with pread; the range was checked. */
int igvm_read(const struct igvm_file *f, uint64_t off, void *dst, size_t len)
{
    if (f->buf) {
        memcpy(dst, f->buf + off, len);
        return 0;
    }
    for (size_t done = 0; done < len;) {
        ssize_t n = pread(f->fd, (uint8_t *)dst + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_sys(-errno, "%s: read at offset 0x%llx", f->name,
                           (unsigned long long)(off + done));
        if (n == 0)
            return err_set(-EIO, "%s: file shrank while being read", f->name);
        done += (size_t)n;
    }
    return 0;
}

/* ------------------------------------------------------- fixed header --- */

static int parse_fixed_header(struct igvm_file *f, unsigned opts)
{
    uint8_t fh[IGVM_FIXED_HEADER_V2_LEN] = {0};
    if (f->size < IGVM_FIXED_HEADER_V1_LEN)
        return err_set(-EINVAL, "%s: %llu bytes, shorter than the IGVM fixed header (%u bytes)",
                       f->name, (unsigned long long)f->size, IGVM_FIXED_HEADER_V1_LEN);
    int r = igvm_read(f, 0, fh, MIN(f->size, sizeof(fh)));
    if (r < 0)
        return r;
    uint32_t magic = get_le32(fh);
    if (magic != IGVM_MAGIC)
        return err_set(-EINVAL, "%s: not an IGVM file (magic 0x%08x, expected 0x%08x \"IGVM\")",
                       f->name, magic, IGVM_MAGIC);
    f->format_version = get_le32(fh + 4);
    f->vh_offset = get_le32(fh + 8);
    f->vh_size = get_le32(fh + 12);
    f->total_size = get_le32(fh + 16);
    f->checksum = get_le32(fh + 20);
    uint32_t fixed_len = IGVM_FIXED_HEADER_V1_LEN;
    f->page_size = IGVM_PAGE_4K;
    if (f->format_version == 2) {
        fixed_len = IGVM_FIXED_HEADER_V2_LEN;
        if (f->size < fixed_len)
            return err_set(-EINVAL, "%s: %llu bytes, shorter than the IGVM version 2 fixed header",
                           f->name, (unsigned long long)f->size);
        f->architecture = get_le32(fh + 24);
        f->page_size = get_le32(fh + 28);
        if (f->architecture > 1)
            return err_set(-EINVAL, "%s: unknown architecture %u (0 x64, 1 AArch64)", f->name,
                           f->architecture);
        if (f->page_size != IGVM_PAGE_4K)
            return err_set(-EINVAL, "%s: page size %u is not supported (only 4096)", f->name,
                           f->page_size);
    } else if (f->format_version != 1) {
        return err_set(-EINVAL, "%s: unknown IGVM format version %u (this reader knows 1 and 2)",
                       f->name, f->format_version);
    }
    if (f->total_size != f->size)
        return err_set(-EINVAL, "%s: the header gives the file size as %u bytes, the file has %llu",
                       f->name, f->total_size, (unsigned long long)f->size);
    if (f->vh_offset < fixed_len || f->vh_offset % 8)
        return err_set(-EINVAL, "%s: variable header offset 0x%x is not an 8-byte-aligned offset "
                       "past the fixed header", f->name, f->vh_offset);
    if ((uint64_t)f->vh_offset + f->vh_size > f->size)
        return err_set(-EINVAL, "%s: variable header section (0x%x bytes at 0x%x) lies outside the file",
                       f->name, f->vh_size, f->vh_offset);
    f->vh = xmalloc(f->vh_size ? f->vh_size : 1);
    if ((r = igvm_read(f, f->vh_offset, f->vh, f->vh_size)) < 0)
        return r;
    /* The CRC covers the fixed header, its checksum field taken as zero,
     * and the variable header section. */
    put_le32(fh + 20, 0);
    f->checksum_computed = igvm_crc32(igvm_crc32(0, fh, fixed_len), f->vh, f->vh_size);
    if (f->checksum != f->checksum_computed && !(opts & IGVM_NO_CHECKSUM))
        return err_set(-EBADMSG, "%s: checksum mismatch: the header says 0x%08x, the headers "
                       "hash to 0x%08x", f->name, f->checksum, f->checksum_computed);
    return 0;
}

/* --------------------------------------------------- variable headers --- */

/* Parameter areas hold a few pages of loader data (memory map, command
 * line); the bound keeps a hostile size from making measurement endless. */
#define IGVM_MAX_PARAMETER_AREA (64u << 20)

struct parse_state {
    enum igvm_section stage;
    uint32_t platform_masks;       /* union of the declared masks */
    uint32_t vsm_mask;             /* the VSM_ISOLATION platform's, or 0 */
    uint64_t data_start;           /* file data section */
    void *areas;                   /* tsearch tree of struct area */
};

struct area {
    uint32_t index;
    uint64_t size;
    bool inserted;
};

static int area_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct area *)a)->index, y = ((const struct area *)b)->index;
    return x < y ? -1 : x > y;
}

static struct area *area_find(struct parse_state *st, uint32_t index)
{
    struct area key = {.index = index};
    void *node = tfind(&key, &st->areas, area_cmp);
    return node ? *(struct area **)node : NULL;
}

static enum igvm_section section_of(uint32_t type, bool *valid)
{
    *valid = true;
    if (type >= 0x001 && type <= 0x100)
        return IGVM_SECTION_PLATFORM;
    if (type >= 0x101 && type <= 0x200)
        return IGVM_SECTION_INIT;
    if (type >= 0x301 && type <= 0x400)
        return IGVM_SECTION_DIRECTIVE;
    *valid = false;
    return IGVM_SECTION_DIRECTIVE;
}

/* [off, off + len) must lie in the file data section. */
static int check_file_range(const struct igvm_file *f, const struct parse_state *st,
                            const struct igvm_header *h, uint32_t off, uint64_t len)
{
    if (off < st->data_start)
        return header_error(f, h, "file offset 0x%x points into the headers (file data starts at 0x%llx)",
                            off, (unsigned long long)st->data_start);
    if ((uint64_t)off + len > f->size)
        return header_error(f, h, "file offset 0x%x (0x%llx bytes) lies outside the file (0x%llx bytes)",
                            off, (unsigned long long)len, (unsigned long long)f->size);
    return 0;
}

static int check_aligned(const struct igvm_file *f, const struct igvm_header *h, const char *what,
                         uint64_t v, uint64_t align)
{
    if (v % align)
        return header_error(f, h, "%s 0x%llx is not a multiple of 0x%llx", what,
                            (unsigned long long)v, (unsigned long long)align);
    return 0;
}

static int check_zero(const struct igvm_file *f, const struct igvm_header *h, uint64_t v)
{
    if (v)
        return header_error(f, h, "reserved field is 0x%llx, not zero", (unsigned long long)v);
    return 0;
}

static int decode_platform(struct igvm_file *f, struct parse_state *st, struct igvm_header *h)
{
    const uint8_t *b = h->body;
    h->has_mask = true;
    h->mask = get_le32(b);
    h->highest_vtl = b[4];
    h->platform_type = b[5];
    h->platform_version = get_le16(b + 6);
    h->shared_gpa_boundary = get_le64(b + 8);
    if (__builtin_popcount(h->mask) != 1)
        return header_error(f, h, "compatibility mask 0x%x must have exactly one bit set", h->mask);
    if (h->highest_vtl != 0 && h->highest_vtl != 2)
        return header_error(f, h, "highest VTL %u is neither 0 nor 2", h->highest_vtl);
    if (h->platform_type > IGVM_PLATFORM_CCA)
        return header_error(f, h, "unknown platform type %u", h->platform_type);
    if (h->platform_version != 1)
        return header_error(f, h, "%s platform version %u is not 1",
                            igvm_platform_name(h->platform_type), h->platform_version);
    for (size_t i = 0; i < h->index; i++) {
        const struct igvm_header *p = &f->headers[i];
        if (p->type != IGVM_SUPPORTED_PLATFORM)
            continue;
        if (p->mask == h->mask || p->platform_type == h->platform_type)
            return header_error(f, h, "%s platform with mask 0x%x repeats header %u",
                                igvm_platform_name(h->platform_type), h->mask, p->index);
    }
    st->platform_masks |= h->mask;
    if (h->platform_type == IGVM_PLATFORM_VSM_ISOLATION)
        st->vsm_mask = h->mask;
    return 0;
}

static int decode_init(struct igvm_file *f, struct parse_state *st, struct igvm_header *h)
{
    const uint8_t *b = h->body;
    switch (h->type) {
    case IGVM_GUEST_POLICY:
        h->policy = get_le64(b);
        h->mask = get_le32(b + 8);
        return check_zero(f, h, get_le32(b + 12));
    case IGVM_RELOCATABLE_REGION:
        h->mask = get_le32(b);
        h->vp_index = get_le16(b + 4);
        h->flags = b[7];
        h->gpa = get_le64(b + 16);
        h->data_len = get_le64(b + 24);
        return 0;
    case IGVM_PAGE_TABLE_RELOCATION_REGION:
        h->mask = get_le32(b);
        h->vp_index = get_le16(b + 4);
        h->gpa = get_le64(b + 8);
        h->data_len = get_le64(b + 16);
        return 0;
    case IGVM_CORIM_DOCUMENT:
    case IGVM_CORIM_SIGNATURE:
        h->mask = get_le32(b);
        h->file_offset = get_le32(b + 4);
        h->data_len = get_le32(b + 8);
        return check_file_range(f, st, h, h->file_offset, h->data_len);
    default: /* CCA_POLICY */
        h->mask = get_le32(b);
        return 0;
    }
}

/* The directives that place memory begin with {u64 GPA, u32 mask}. */
static void decode_gpa_mask(struct igvm_header *h)
{
    h->gpa = get_le64(h->body);
    h->mask = get_le32(h->body + 8);
}

static int decode_page_data(struct igvm_file *f, struct parse_state *st, struct igvm_header *h)
{
    const uint8_t *b = h->body;
    decode_gpa_mask(h);
    h->file_offset = get_le32(b + 12);
    h->flags = get_le32(b + 16);
    h->data_type = get_le16(b + 20);
    uint64_t page = h->flags & IGVM_PAGE_IS_2MB ? IGVM_PAGE_2M : IGVM_PAGE_4K;
    int r;
    if ((r = check_zero(f, h, get_le16(b + 22))) < 0 || (r = check_aligned(f, h, "GPA", h->gpa, page)) < 0)
        return r;
    if (h->flags & ~(IGVM_PAGE_IS_2MB | IGVM_PAGE_UNMEASURED | IGVM_PAGE_SHARED))
        return header_error(f, h, "unknown page flags 0x%x", h->flags);
    if (h->data_type > IGVM_DATA_CPUID_XF)
        return header_error(f, h, "unknown page data type %u", h->data_type);
    if (!h->file_offset)
        return 0;
    h->data_len = page;
    return check_file_range(f, st, h, h->file_offset, page);
}

/* The VP context's data: a 4 KiB page (VMSA, native context), or VBS
 * registers (a count, then 32 bytes each) when the mask is a VSM platform's. */
static int decode_vp_context(struct igvm_file *f, struct parse_state *st, struct igvm_header *h)
{
    const uint8_t *b = h->body;
    decode_gpa_mask(h);
    h->file_offset = get_le32(b + 12);
    h->vp_index = get_le16(b + 16);
    int r;
    if ((r = check_zero(f, h, get_le16(b + 18))) < 0 ||
        (r = check_aligned(f, h, "GPA", h->gpa, IGVM_PAGE_4K)) < 0)
        return r;
    if (!h->file_offset)
        return header_error(f, h, "no context data (file offset 0)");
    h->data_len = IGVM_PAGE_4K;
    if (st->vsm_mask && h->mask == st->vsm_mask) {
        uint8_t count[4];
        if ((r = check_file_range(f, st, h, h->file_offset, 4)) < 0 ||
            (r = igvm_read(f, h->file_offset, count, 4)) < 0)
            return r;
        h->data_len = 4 + 32ull * get_le32(count);
    }
    return check_file_range(f, st, h, h->file_offset, h->data_len);
}

static int decode_parameter_area(struct igvm_file *f, struct parse_state *st, struct igvm_header *h)
{
    const uint8_t *b = h->body;
    h->data_len = get_le64(b);
    h->area_index = get_le32(b + 8);
    h->file_offset = get_le32(b + 12);
    int r;
    if ((r = check_aligned(f, h, "parameter area size", h->data_len, IGVM_PAGE_4K)) < 0)
        return r;
    if (!h->data_len || h->data_len > IGVM_MAX_PARAMETER_AREA)
        return header_error(f, h, "parameter area %u has 0x%llx bytes (1 to 0x%x allowed)",
                            h->area_index, (unsigned long long)h->data_len, IGVM_MAX_PARAMETER_AREA);
    if (area_find(st, h->area_index))
        return header_error(f, h, "parameter area %u is declared twice", h->area_index);
    if (h->file_offset && (r = check_file_range(f, st, h, h->file_offset, h->data_len)) < 0)
        return r;
    struct area *a = xcalloc(1, sizeof(*a));
    a->index = h->area_index;
    a->size = h->data_len;
    if (!tsearch(a, &st->areas, area_cmp))
        abort();
    return 0;
}

/* PARAMETER_INSERT and the parameter directives refer to a declared area
 * that has not been inserted yet. */
static int use_area(struct igvm_file *f, struct parse_state *st, struct igvm_header *h, struct area **out)
{
    struct area *a = area_find(st, h->area_index);
    if (!a)
        return header_error(f, h, "parameter area %u is not declared before", h->area_index);
    if (a->inserted)
        return header_error(f, h, "parameter area %u was already inserted", h->area_index);
    *out = a;
    return 0;
}

static int decode_directive(struct igvm_file *f, struct parse_state *st, struct igvm_header *h)
{
    const uint8_t *b = h->body;
    struct area *a;
    int r;
    switch (h->type) {
    case IGVM_PAGE_DATA:
        return decode_page_data(f, st, h);
    case IGVM_VP_CONTEXT:
        return decode_vp_context(f, st, h);
    case IGVM_PARAMETER_AREA:
        return decode_parameter_area(f, st, h);
    case IGVM_PARAMETER_INSERT:
        decode_gpa_mask(h);
        h->area_index = get_le32(b + 12);
        if ((r = check_aligned(f, h, "GPA", h->gpa, IGVM_PAGE_4K)) < 0 || (r = use_area(f, st, h, &a)) < 0)
            return r;
        a->inserted = true;
        h->data_len = a->size;
        return 0;
    case IGVM_REQUIRED_MEMORY:
        decode_gpa_mask(h);
        h->data_len = get_le32(b + 12);
        h->flags = get_le32(b + 16);
        if ((r = check_zero(f, h, get_le32(b + 20))) < 0 ||
            (r = check_aligned(f, h, "GPA", h->gpa, IGVM_PAGE_4K)) < 0)
            return r;
        return check_aligned(f, h, "size", h->data_len, IGVM_PAGE_4K);
    case IGVM_ERROR_RANGE:
        decode_gpa_mask(h);
        h->data_len = get_le32(b + 12);
        return check_aligned(f, h, "GPA", h->gpa, IGVM_PAGE_4K);
    case IGVM_SNP_ID_BLOCK:
    case IGVM_VBS_MEASUREMENT:
        h->mask = get_le32(b);
        return 0;
    default: /* the parameter directives */
        h->area_index = get_le32(b);
        h->byte_offset = get_le32(b + 4);
        if ((r = use_area(f, st, h, &a)) < 0)
            return r;
        if (h->byte_offset >= a->size)
            return header_error(f, h, "byte offset 0x%x lies outside parameter area %u (0x%llx bytes)",
                                h->byte_offset, h->area_index, (unsigned long long)a->size);
        return 0;
    }
}

/* Decode one known header and apply the rules of its type. */
static int decode_header(struct igvm_file *f, struct parse_state *st, struct igvm_header *h)
{
    const struct type_info *t = type_info(h->type);
    if (h->length != t->len)
        return header_error(f, h, "length %u, expected %u", h->length, t->len);
    if (h->type == IGVM_SUPPORTED_PLATFORM)
        return decode_platform(f, st, h);
    h->has_mask = t->has_mask;
    int r = h->section == IGVM_SECTION_INIT ? decode_init(f, st, h) : decode_directive(f, st, h);
    if (r < 0 || !h->has_mask)
        return r;
    if (!h->mask || (h->mask & ~st->platform_masks))
        return header_error(f, h, "compatibility mask 0x%x names a platform the file does not declare "
                            "(declared: 0x%x)", h->mask, st->platform_masks);
    return 0;
}

static int parse_variable_headers(struct igvm_file *f, struct parse_state *st)
{
    size_t cap = 0;
    for (uint64_t pos = 0; pos < f->vh_size;) {
        if (f->n_headers == cap) {
            cap = cap ? 2 * cap : 64;
            f->headers = xrealloc(f->headers, cap * sizeof(*f->headers));
        }
        struct igvm_header *h = &f->headers[f->n_headers];
        memset(h, 0, sizeof(*h));
        h->index = (uint32_t)f->n_headers;
        h->offset = (uint32_t)(f->vh_offset + pos);
        h->section = st->stage;
        if (f->vh_size - pos < 8)
            return err_set(-EINVAL, "%s: header %u at offset 0x%x: %llu bytes left in the variable "
                           "header section, too few for a type and length", f->name, h->index,
                           h->offset, (unsigned long long)(f->vh_size - pos));
        uint32_t raw = get_le32(f->vh + pos);
        h->type = raw & ~IGVM_OPTIONAL_BIT;
        h->optional = raw & IGVM_OPTIONAL_BIT;
        h->length = get_le32(f->vh + pos + 4);
        h->body = f->vh + pos + 8;
        h->known = type_info(h->type) != NULL;
        bool valid;
        enum igvm_section sec = section_of(h->type, &valid);
        if (valid)
            h->section = sec;
        f->n_headers++;
        if (ALIGN_UP((uint64_t)h->length, 8) > f->vh_size - pos - 8)
            return header_error(f, h, "length %u runs past the end of the variable header section "
                                "(0x%llx bytes left)", h->length,
                                (unsigned long long)(f->vh_size - pos - 8));
        pos += 8 + ALIGN_UP((uint64_t)h->length, 8);
        if (!valid || !h->known) {
            /* The optional bit lets loaders skip types they do not know. */
            if (!h->optional)
                return header_error(f, h, "unknown header type 0x%x, not marked optional", h->type);
            if (valid && sec > st->stage)
                st->stage = sec;
            continue;
        }
        if (sec < st->stage)
            return header_error(f, h, "%s header after the %s section began", section_name(sec),
                                section_name(st->stage));
        st->stage = sec;
        int r = decode_header(f, st, h);
        if (r < 0)
            return r;
    }
    if (!st->platform_masks)
        return err_set(-EINVAL, "%s: no SUPPORTED_PLATFORM header", f->name);
    return 0;
}

static int parse(struct igvm_file *f, const char *name, unsigned opts)
{
    f->name = xstrdup(name);
    int r = parse_fixed_header(f, opts);
    if (r < 0)
        return r;
    struct parse_state st = {.data_start = (uint64_t)f->vh_offset + f->vh_size};
    r = parse_variable_headers(f, &st);
    tdestroy(st.areas, free);
    return r;
}

int igvm_parse(struct igvm_file *f, const char *name, const uint8_t *buf, size_t size, unsigned opts)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->buf = buf;
    f->size = size;
    int r = parse(f, name, opts);
    if (r < 0)
        igvm_close(f);
    return r;
}

int igvm_open(struct igvm_file *f, const char *path, unsigned opts)
{
    memset(f, 0, sizeof(*f));
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return err_sys(-errno, "%s", path);
    struct stat s;
    if (fstat(f->fd, &s) < 0) {
        int r = err_sys(-errno, "%s", path);
        igvm_close(f);
        return r;
    }
    if (!S_ISREG(s.st_mode)) {
        igvm_close(f);
        return err_set(-EINVAL, "%s: not a regular file", path);
    }
    f->size = (uint64_t)s.st_size;
    (void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int r = parse(f, path, opts);
    if (r < 0)
        igvm_close(f);
    return r;
}

void igvm_close(struct igvm_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->name);
    free(f->vh);
    free(f->headers);
    f->name = NULL;
    f->vh = NULL;
    f->headers = NULL;
    f->n_headers = 0;
}

const struct igvm_header *igvm_snp_platform(const struct igvm_file *f)
{
    for (size_t i = 0; i < f->n_headers; i++)
        if (f->headers[i].type == IGVM_SUPPORTED_PLATFORM &&
            f->headers[i].platform_type == IGVM_PLATFORM_SEV_SNP)
            return &f->headers[i];
    return NULL;
}
