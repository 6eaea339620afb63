/* measure/ovmf: the footer table and SEV metadata parser, on the reference
 * edk2 builds (figures as sev-snp-measure reads them) and on images built
 * here to break each check. */
#include "harness.h"

#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"
#include "measure/ovmf.h"

#include <errno.h>

#define IMG_SIZE 8192

static const uint8_t footer_guid[] =
    GUID_LE(0x96b582de, 0x1fb2, 0x45f7, 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d);
static const uint8_t metadata_guid[] =
    GUID_LE(0xdc886566, 0x984a, 0x4798, 0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc);
static const uint8_t reset_guid[] =
    GUID_LE(0x00f771de, 0x1a7e, 0x4fcb, 0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e);
static const uint8_t hashes_guid[] =
    GUID_LE(0x7255371f, 0x3a3b, 0x4b04, 0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54);

/* An image under construction: entries are pushed from the footer back. */
struct img {
    uint8_t b[IMG_SIZE];
    size_t table_start; /* lowest byte of the table so far */
};

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

static void img_init(struct img *im)
{
    memset(im->b, 0x5a, sizeof(im->b));
    im->table_start = IMG_SIZE - 32 - 18;
    put16(im->b + im->table_start, 18);
    memcpy(im->b + im->table_start + 2, footer_guid, 16);
}

/* Add an entry just before the ones already there, and grow the footer. */
static void img_entry(struct img *im, const uint8_t guid[16], const void *data, size_t len)
{
    size_t footer = IMG_SIZE - 32 - 18;
    im->table_start -= len + 18;
    memcpy(im->b + im->table_start, data, len);
    put16(im->b + im->table_start + len, (unsigned)(len + 18));
    memcpy(im->b + im->table_start + len + 2, guid, 16);
    put16(im->b + footer, (unsigned)(footer - im->table_start + 18));
}

static void img_u32_entry(struct img *im, const uint8_t guid[16], uint32_t v)
{
    uint8_t d[4];
    put32(d, v);
    img_entry(im, guid, d, 4);
}

/* SEV metadata with n descriptors at from_end bytes before the end. */
static void img_metadata(struct img *im, uint32_t from_end, const char *sig, uint32_t version,
                         uint32_t n, const uint32_t (*desc)[3], uint32_t declared)
{
    uint8_t *m = im->b + IMG_SIZE - from_end;
    memcpy(m, sig, 4);
    put32(m + 4, 16 + 12 * n);
    put32(m + 8, version);
    put32(m + 12, declared);
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            put32(m + 16 + 12 * i + 4 * k, desc[i][k]);
    img_u32_entry(im, metadata_guid, from_end);
}

static const uint32_t sections[][3] = {{0x800000, 0x2000, 1}, {0x802000, 0x1000, 2}, {0x803000, 0x1000, 0x10}};

static int parse(struct img *im, struct ovmf *o)
{
    return ovmf_parse(o, "fw.fd", im->b, IMG_SIZE, OVMF_FOUR_GIB);
}

TEST(reference_amdsev_build_parses_as_sev_snp_measure_reads_it)
{
    const char *d = ref_dir();
    if (!d)
        FAIL_("reference data tests/fixtures/reference is missing");
    _cleanup_free_ char *path = xasprintf("%s/snp/ovmf_AmdSev_suffix.bin", d);
    struct ovmf o;
    CHECK_EQ_INT(ovmf_load(&o, path, OVMF_FOUR_GIB), 0);
    CHECK_EQ_U64(o.gpa, 0xfffff000);
    CHECK_EQ_U64(o.n_entries, 5);
    static const uint32_t want[][3] = {{0x800000, 0x9000, 1}, {0x80a000, 0x3000, 1}, {0x80d000, 0x1000, 2},
                                       {0x80e000, 0x1000, 3}, {0x80f000, 0x1000, 4}, {0x810000, 0x1000, 0x10},
                                       {0x811000, 0xf000, 1}};
    CHECK_EQ_U64(o.n_sections, 7);
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_U64(o.sections[i].gpa, want[i][0]);
        CHECK_EQ_U64(o.sections[i].size, want[i][1]);
        CHECK_EQ_U64(o.sections[i].type, want[i][2]);
    }
    uint32_t v;
    CHECK_EQ_INT(ovmf_sev_es_reset_eip(&o, &v), 0);
    CHECK_EQ_U64(v, 0x80b004);
    CHECK(ovmf_hashes_table(&o, &v));
    CHECK_EQ_U64(v, 0x810c00);
    CHECK(ovmf_has_section(&o, OVMF_SECTION_SNP_KERNEL_HASHES));
    uint64_t eip;
    CHECK_EQ_INT(ovmf_svsm_reset_eip(&o, &eip), -ENOENT);
    CHECK(endswith(err_msg(), "ovmf_AmdSev_suffix.bin: no SVSM info entry in the OVMF footer table"));
    ovmf_free(&o);
}

TEST(built_image_parses)
{
    struct img im;
    img_init(&im);
    img_u32_entry(&im, reset_guid, 0x809004);
    img_metadata(&im, 0x800, "ASEV", 1, 3, sections, 3);
    struct ovmf o;
    CHECK_EQ_INT(parse(&im, &o), 0);
    CHECK_EQ_U64(o.gpa, OVMF_FOUR_GIB - IMG_SIZE);
    CHECK_EQ_U64(o.n_entries, 2);
    CHECK_EQ_U64(o.n_sections, 3);
    CHECK_EQ_U64(o.sections[2].type, OVMF_SECTION_SNP_KERNEL_HASHES);
    uint32_t v;
    CHECK(!ovmf_hashes_table(&o, &v));
    ovmf_free(&o);
}

TEST(repeated_guid_resolves_to_the_entry_furthest_from_the_footer)
{
    struct img im;
    img_init(&im);
    img_u32_entry(&im, reset_guid, 1);
    img_u32_entry(&im, reset_guid, 2);
    struct ovmf o;
    CHECK_EQ_INT(parse(&im, &o), 0);
    uint32_t v;
    CHECK_EQ_INT(ovmf_sev_es_reset_eip(&o, &v), 0);
    CHECK_EQ_U64(v, 2);
    ovmf_free(&o);
}

TEST(empty_metadata_and_no_metadata_are_fine)
{
    struct img im;
    img_init(&im);
    struct ovmf o;
    CHECK_EQ_INT(parse(&im, &o), 0);
    CHECK_EQ_U64(o.n_sections, 0);
    ovmf_free(&o);
    img_metadata(&im, 0x800, "ASEV", 1, 0, sections, 0);
    CHECK_EQ_INT(parse(&im, &o), 0);
    CHECK_EQ_U64(o.n_sections, 0);
    ovmf_free(&o);
}

/* Parse, expect code and a message starting "fw.fd: " containing what. */
static void check_rejected(struct img *im, size_t size, int code, const char *what)
{
    struct ovmf o;
    CHECK_EQ_INT(ovmf_parse(&o, "fw.fd", im->b, size, OVMF_FOUR_GIB), code);
    if (!startswith(err_msg(), "fw.fd: ") || !strstr(err_msg(), what))
        FAIL_("message \"%s\" lacks \"%s\"", err_msg(), what);
    CHECK(o.entries == NULL && o.sections == NULL && o.name == NULL);
}

TEST(no_footer_table)
{
    struct img im;
    img_init(&im);
    check_rejected(&im, 49, -EINVAL, "no OVMF footer table (49 bytes");
    check_rejected(&im, IMG_SIZE - 1, -EINVAL, "no OVMF footer table");
    im.b[IMG_SIZE - 40] ^= 1; /* inside the footer GUID */
    check_rejected(&im, IMG_SIZE, -EINVAL, "no OVMF footer table");
}

TEST(footer_table_and_entries_outside)
{
    struct img im;
    img_init(&im);
    put16(im.b + IMG_SIZE - 50, 17);
    check_rejected(&im, IMG_SIZE, -EINVAL, "footer table size 17 does not fit");
    put16(im.b + IMG_SIZE - 50, 0xffff);
    check_rejected(&im, IMG_SIZE, -EINVAL, "footer table size 65535 does not fit");
    img_init(&im);
    img_u32_entry(&im, reset_guid, 1);
    put16(im.b + IMG_SIZE - 50 - 18, 4 + 18 + 1); /* the entry claims one byte more than the table */
    check_rejected(&im, IMG_SIZE, -EINVAL, "entry 0 has size 23, outside the table");
    put16(im.b + IMG_SIZE - 50 - 18, 3);
    check_rejected(&im, IMG_SIZE, -EINVAL, "entry 0 has size 3, outside the table");
}

TEST(metadata_checks)
{
    struct img im;
    img_init(&im);
    img_metadata(&im, 0x800, "ASEX", 1, 3, sections, 3);
    check_rejected(&im, IMG_SIZE, -EINVAL, "bad SEV metadata signature");
    img_init(&im);
    img_metadata(&im, 0x800, "ASEV", 2, 3, sections, 3);
    check_rejected(&im, IMG_SIZE, -EINVAL, "SEV metadata version 2 is not supported");
    img_init(&im);
    img_metadata(&im, 0x800, "ASEV", 1, 3, sections, 4);
    check_rejected(&im, IMG_SIZE, -EINVAL, "SEV metadata section 3 lies outside the metadata (52 bytes)");
    img_init(&im);
    img_metadata(&im, 0x800, "ASEV", 1, 3, sections, 0xffffffff);
    check_rejected(&im, IMG_SIZE, -EINVAL, "SEV metadata section 3 lies outside");
    /* A header the end of the file cuts. */
    img_init(&im);
    img_u32_entry(&im, metadata_guid, 8);
    check_rejected(&im, IMG_SIZE, -EINVAL, "SEV metadata at 8 bytes from the end lies outside the file");
    img_init(&im);
    img_u32_entry(&im, metadata_guid, IMG_SIZE + 1);
    check_rejected(&im, IMG_SIZE, -EINVAL, "lies outside the file");
    /* A declared size past the end of the file. */
    img_init(&im);
    img_metadata(&im, 20, "ASEV", 1, 0, sections, 0);
    put32(im.b + IMG_SIZE - 20 + 4, 40);
    check_rejected(&im, IMG_SIZE, -EINVAL, "SEV metadata of 40 bytes lies outside the file");
    img_init(&im);
    uint8_t two[2] = {0};
    img_entry(&im, metadata_guid, two, 2);
    check_rejected(&im, IMG_SIZE, -EINVAL, "the SEV metadata entry holds 2 bytes, expected at least 4");
}

TEST(entries_too_short_or_missing)
{
    struct img im;
    img_init(&im);
    uint8_t two[2] = {0};
    img_entry(&im, reset_guid, two, 2);
    img_entry(&im, hashes_guid, two, 2);
    struct ovmf o;
    CHECK_EQ_INT(parse(&im, &o), 0);
    uint32_t v;
    CHECK_EQ_INT(ovmf_sev_es_reset_eip(&o, &v), -EINVAL);
    CHECK_STR(err_msg(), "fw.fd: the SEV-ES reset block entry holds 2 bytes, expected at least 4");
    CHECK(!ovmf_hashes_table(&o, &v));
    ovmf_free(&o);
}

TEST(image_larger_than_the_space_below_its_end)
{
    struct img im;
    img_init(&im);
    struct ovmf o;
    CHECK_EQ_INT(ovmf_parse(&o, "fw.fd", im.b, IMG_SIZE, IMG_SIZE - 1), -EFBIG);
    CHECK_STR(err_msg(), "fw.fd: 8192 bytes do not fit below address 0x1fff");
    CHECK_EQ_INT(ovmf_parse(&o, "fw.fd", im.b, IMG_SIZE, IMG_SIZE), 0);
    CHECK_EQ_U64(o.gpa, 0);
    ovmf_free(&o);
}
