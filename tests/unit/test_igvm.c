/* measure/igvm: the reference files (igvm-tooling) parsed from memory and
 * from disk, their CRC-32s (zlib's, as igvm-tooling wrote them), decoded
 * fields, error messages, and a sweep of corrupted headers. */
#include "harness.h"

#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/util.h"
#include "measure/igvm.h"
#include "common/le.h"

#include <errno.h>
#include <stdlib.h>

static const struct {
    const char *file, *digest;
    size_t headers;
} refs[] = {
    {"igvm/out_x64.igvm", "a34d854051100c72616d1ebda1ccee6cb03513af722e475de6e5cb6d193acd2e"
                          "4aa22bf12e5fb03d660c869ec52202e9", 379},
    {"igvm/out_x86_defacpi.igvm", "a3e144490d2a1c39997e8ac2344d02fe85bdc424617ae766296ae920d08f9ff6"
                                  "e0a1381d2f2984e8cd73a942747aed18", 377},
    {"igvm/out_x64_noopt.igvm", "2e92a891a75f4783c5415b33cae1a1625910b2b56ae7f382527849e9c921dad1"
                                "7988e3ddc6c587e1618db5551318af6f", 7294},
    {"igvm/out_elf_x64.igvm", "3c28ac88f658de9d7087e0ddf6b9b6765bc5d514828ca9db43b8b2d2d02a63de"
                              "173d89c5475073de4e76499c54e44a8c", 372},
};

static void load(const char *rel, uint8_t **buf, size_t *len)
{
    CHECK_EQ_INT(file_read_all(ref_path(rel), buf, len, 0), 0);
}

static void digest_hex(const struct igvm_file *f, unsigned opts, char out[2 * GCTX_LD_LEN + 1])
{
    struct igvm_snp_result r;
    CHECK_EQ_INT(igvm_measure_snp(f, opts, &r), 0);
    hex_encode(r.digest, sizeof(r.digest), out);
}

TEST(reference_files_from_memory_and_disk)
{
    REQUIRE_REFERENCE();
    for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
        uint8_t *buf;
        size_t len;
        load(refs[i].file, &buf, &len);
        struct igvm_file m, d;
        CHECK_EQ_INT(igvm_parse(&m, "m", buf, len, 0), 0);
        CHECK_EQ_INT(igvm_open(&d, ref_path(refs[i].file), 0), 0);
        CHECK_EQ_U64(m.n_headers, refs[i].headers);
        /* igvm-tooling wrote these with zlib.crc32: ours must agree. */
        CHECK_EQ_U64(m.checksum_computed, m.checksum);
        char a[2 * GCTX_LD_LEN + 1], b[2 * GCTX_LD_LEN + 1];
        digest_hex(&m, 0, a);
        digest_hex(&d, 0, b);
        CHECK_STR(a, refs[i].digest);
        CHECK_STR(b, refs[i].digest);
        /* Reads through the window (disk) and straight from memory agree. */
        digest_hex(&m, IGVM_NATIVE_ZERO, a);
        digest_hex(&d, IGVM_NATIVE_ZERO, b);
        CHECK_STR(a, b);
        igvm_close(&m);
        igvm_close(&d);
        free(buf);
    }
}

TEST(decoded_fields)
{
    REQUIRE_REFERENCE();
    struct igvm_file f;
    CHECK_EQ_INT(igvm_open(&f, ref_path("igvm/out_x64.igvm"), 0), 0);
    const struct igvm_header *p = igvm_snp_platform(&f);
    CHECK(p == &f.headers[0]);
    CHECK_EQ_U64(p->mask, 1);
    CHECK_EQ_U64(p->highest_vtl, 2);
    CHECK_EQ_U64(f.headers[1].type, IGVM_GUEST_POLICY);
    CHECK_EQ_U64(f.headers[1].policy, 0x3001f);
    CHECK_EQ_U64(f.headers[1].section, IGVM_SECTION_INIT);
    size_t vp = 0, inserts = 0;
    for (size_t i = 0; i < f.n_headers; i++) {
        const struct igvm_header *h = &f.headers[i];
        CHECK_EQ_U64(h->index, i);
        if (h->type == IGVM_VP_CONTEXT) {
            vp++;
            CHECK_EQ_U64(h->gpa, 0x803000);
            CHECK_EQ_U64(h->file_offset, 156120);
            CHECK_EQ_U64(h->data_len, 4096);
        }
        if (h->type == IGVM_PARAMETER_INSERT) {
            inserts++;
            CHECK_EQ_U64(h->data_len, 4096);
        }
    }
    CHECK_EQ_U64(vp, 1);
    CHECK_EQ_U64(inserts, 1);
    struct igvm_snp_result r;
    CHECK_EQ_INT(igvm_measure_snp(&f, 0, &r), 0);
    CHECK(r.has_policy && r.has_id_block);
    CHECK_MEM(r.id_block.ld, r.digest, GCTX_LD_LEN);
    CHECK_EQ_U64(r.id_block.id_key_algorithm, 1);
    char *text = igvm_dump_text(&f);
    const char *first = "IGVM format version 1, 180696 bytes, checksum 0x99f57165 (matches)\n";
    CHECK(!strncmp(text, first, strlen(first)));
    free(text);
    igvm_close(&f);
}

/* A minimal file: SNP platform, then one PAGE_DATA directive pointing at
 * file_offset; CRC left zero (parsed with IGVM_NO_CHECKSUM). */
static size_t tiny_file(uint8_t *b, uint32_t file_offset)
{
    memset(b, 0, 4096);
    put_le32(b, IGVM_MAGIC);
    put_le32(b + 4, 1);
    put_le32(b + 8, 24);
    put_le32(b + 12, 24 + 32);
    put_le32(b + 16, 24 + 56 + 4096);
    put_le32(b + 24, IGVM_SUPPORTED_PLATFORM);
    put_le32(b + 28, 16);
    put_le32(b + 32, 1);
    b[37] = IGVM_PLATFORM_SEV_SNP;
    put_le16(b + 38, 1);
    put_le32(b + 48, IGVM_PAGE_DATA);
    put_le32(b + 52, 24);
    put_le32(b + 56 + 8, 1);
    put_le32(b + 56 + 12, file_offset);
    return 24 + 56 + 4096;
}

TEST(error_names_file_directive_offset_and_problem)
{
    uint8_t *b = calloc(1, 8192);
    size_t n = tiny_file(b, 0x40000);
    struct igvm_file f;
    CHECK_EQ_INT(igvm_parse(&f, "x.igvm", b, n, 0), -EBADMSG);
    CHECK(strstr(err_msg(), "x.igvm: checksum mismatch: the header says 0x00000000") == err_msg());
    CHECK_EQ_INT(igvm_parse(&f, "x.igvm", b, n, IGVM_NO_CHECKSUM), -EINVAL);
    CHECK_STR(err_msg(), "x.igvm: directive 1 (PAGE_DATA) at offset 0x30: file offset 0x40000 "
                         "(0x1000 bytes) lies outside the file (0x1050 bytes)");
    tiny_file(b, 24 + 56);
    CHECK_EQ_INT(igvm_parse(&f, "x.igvm", b, n, IGVM_NO_CHECKSUM), 0);
    CHECK_EQ_U64(f.headers[1].data_len, 4096);
    igvm_close(&f);
    free(b);
}

/* Every byte of the headers of a real file, set to a few values: the parser
 * accepts or refuses with a message naming the file, never reads outside
 * (ASan in SANITIZE=1 runs). Measuring what it accepts must work too. */
TEST(corrupted_headers_never_crash)
{
    REQUIRE_REFERENCE();
    uint8_t *buf;
    size_t len;
    load("igvm/out_x64.igvm", &buf, &len);
    static const uint8_t values[] = {0x00, 0x01, 0x80, 0xff};
    size_t accepted = 0, refused = 0;
    for (size_t pos = 0; pos < 0x200; pos++) {
        uint8_t saved = buf[pos];
        for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
            buf[pos] = values[v];
            struct igvm_file f;
            if (igvm_parse(&f, "c.igvm", buf, len, IGVM_NO_CHECKSUM) < 0) {
                CHECK(!strncmp(err_msg(), "c.igvm: ", 8));
                refused++;
                continue;
            }
            struct igvm_snp_result r;
            if (igvm_measure_snp(&f, 0, &r) < 0)
                CHECK(!strncmp(err_msg(), "c.igvm: ", 8));
            accepted++;
            igvm_close(&f);
        }
        buf[pos] = saved;
    }
    CHECK(accepted > 0 && refused > 0);
    /* Every shorter prefix is refused. */
    for (size_t n = 0; n < 0x400; n += 7) {
        struct igvm_file f;
        CHECK_EQ_INT(igvm_parse(&f, "c.igvm", buf, n, IGVM_NO_CHECKSUM), -EINVAL);
    }
    free(buf);
}
