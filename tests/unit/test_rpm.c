/* builder/packages/rpm: the header reader against a real package built with
 * rpmbuild and read back with `rpm -qp --qf` (an independent reader), and
 * against damaged copies of it. */
#include "builder/packages/rpm.h"
#include "builder/packages/unpack.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "harness.h"
#include "pkg_fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static const char spec[] =
    "Name: gi-unit\nVersion: 1.2\nRelease: 3\nEpoch: 7\nSummary: unit test package\n"
    "License: MIT AND BSD-2-Clause\nURL: https://example.org/gi-unit\nVendor: guestimg tests\n"
    "BuildArch: noarch\n%description\nx\n"
    "%install\nmkdir -p %{buildroot}/usr/bin %{buildroot}/etc %{buildroot}/var/lib/gi\n"
    "printf 'ping\\n' > %{buildroot}/usr/bin/gi-ping\n"
    "ln %{buildroot}/usr/bin/gi-ping %{buildroot}/usr/bin/gi-ping2\n"
    "ln -s gi-ping %{buildroot}/usr/bin/gi-p\n"
    "echo conf > %{buildroot}/etc/gi.conf\n"
    "echo state > %{buildroot}/var/lib/gi/state\n"
    "%files\n"
    "%caps(cap_net_raw,cap_net_admin=ep) %attr(0755,root,root) /usr/bin/gi-ping\n"
    "/usr/bin/gi-ping2\n/usr/bin/gi-p\n"
    "%config(noreplace) /etc/gi.conf\n"
    "%ghost /etc/gi.ghost\n"
    "%dir %attr(0750,kata,kata) /var/lib/gi\n"
    "%attr(0640,kata,kata) /var/lib/gi/state\n";

/* Built once. */
static const char *built_rpm(void)
{
    static char *path;
    if (!path)
        path = fixture_rpm(spec, "w19.zstdio", "noarch/gi-unit-1.2-3.noarch.rpm");
    return path;
}

#define REQUIRE_RPM(p)                                                          \
    const char *p = built_rpm();                                                \
    if (!p)                                                                     \
        SKIP("rpmbuild/rpm not available (Debian package rpm)")

TEST(metadata_matches_rpm_query)
{
    REQUIRE_RPM(path);
    _cleanup_close_ int fd = open(path, O_RDONLY);
    struct rpm_package p;
    if (rpm_read(fd, path, &p) < 0)
        FAIL_("%s", err_msg());
    CHECK_STR(p.meta.name, "gi-unit");
    CHECK_EQ_INT(p.meta.epoch, 7);
    CHECK_STR(p.meta.version, "1.2");
    CHECK_STR(p.meta.release, "3");
    CHECK_STR(p.meta.arch, "noarch");
    CHECK_STR(p.meta.license, "MIT AND BSD-2-Clause");
    CHECK_STR(p.meta.vendor, "guestimg tests");
    CHECK_STR(p.meta.url, "https://example.org/gi-unit");
    CHECK_STR(p.meta.summary, "unit test package");
    CHECK_STR(p.meta.source, "gi-unit-1.2-3.src.rpm");
    CHECK_STR(p.payload_compressor, "zstd");
    CHECK_STR(p.payload_format, "cpio");
    CHECK_EQ_INT(p.file_digest_algo, RPM_HASH_SHA256);
    CHECK(p.payload_digest != NULL);
    /* the payload digest covers the bytes from payload_offset to the end */
    uint8_t *all;
    size_t len;
    CHECK(file_read_all(path, &all, &len, 0) == 0);
    CHECK(p.payload_offset < len);
    _cleanup_free_ char *cmd = xasprintf("tail -c +%llu %s | sha256sum | cut -c1-64",
                                         (unsigned long long)p.payload_offset + 1, path);
    _cleanup_free_ char *pd = sh_output("%s", cmd);
    CHECK(pd && strlen(pd) >= 64);
    CHECK_MEM(pd, p.payload_digest, 64);
    free(all);
    rpm_package_free(&p);
}

TEST(files_match_rpm_query)
{
    REQUIRE_RPM(path);
    _cleanup_close_ int fd = open(path, O_RDONLY);
    struct rpm_package p;
    if (rpm_read(fd, path, &p) < 0)
        FAIL_("%s", err_msg());
    /* rpm lists files sorted by path, as we keep them */
    _cleanup_free_ char *cmd = xasprintf(
        "rpm -qp --qf '[%%{FILENAMES}|%%{FILEMODES:octal}|%%{FILEUSERNAME}|%%{FILEGROUPNAME}|%%{FILESIZES}|"
        "%%{FILEFLAGS}|%%{FILELINKTOS}|%%{FILEDIGESTS}|%%{FILECAPS}\\n]' %s 2>/dev/null",
        path);
    _cleanup_free_ char *want = sh_output("%s", cmd);
    CHECK(want && *want);
    struct strbuf have = STRBUF_INIT;
    for (size_t i = 0; i < p.nfiles; i++) {
        const struct rpm_file *f = &p.files[i];
        sb_printf(&have, "%s|%o|%s|%s|%llu|%u|%s|%s|%s\n", f->path, f->mode, f->user, f->group,
                  (unsigned long long)f->size, f->flags, f->linkto, f->digest, f->caps ? f->caps : "");
    }
    _cleanup_free_ char *h = sb_detach(&have);
    CHECK_STR(h, want);
    CHECK_EQ_U64(p.nfiles, 7);
    const struct rpm_file *ping = rpm_find_file(&p, "/usr/bin/gi-ping");
    const struct rpm_file *ping2 = rpm_find_file(&p, "/usr/bin/gi-ping2");
    CHECK(ping && ping2);
    CHECK_EQ_INT(ping->nlink, 2);
    CHECK_EQ_INT(ping2->nlink, 2);
    CHECK(ping->inode == ping2->inode);
    CHECK_EQ_INT(rpm_find_file(&p, "/etc/gi.conf")->nlink, 1);
    CHECK(rpm_find_file(&p, "/etc/gi.ghost")->flags & RPMFILE_GHOST);
    CHECK(rpm_find_file(&p, "/etc/gi.conf")->flags & RPMFILE_CONFIG);
    CHECK(rpm_find_file(&p, "/nonexistent") == NULL);
    rpm_package_free(&p);
}

/* The package's bytes, and where its headers end. */
static uint8_t *read_rpm(const char *path, size_t *len, size_t *hdr_end)
{
    uint8_t *buf;
    CHECK(file_read_all(path, &buf, len, 0) == 0);
    struct rpm_package p;
    CHECK(rpm_read_mem(buf, *len, "x.rpm", &p) == 0);
    *hdr_end = p.payload_offset;
    rpm_package_free(&p);
    return buf;
}

/* Every truncation of the headers is an error, never a crash. */
TEST(every_truncation_is_an_error)
{
    REQUIRE_RPM(path);
    size_t len, hdr_end;
    uint8_t *buf = read_rpm(path, &len, &hdr_end);
    struct rpm_package p;
    for (size_t n = 0; n < hdr_end; n++) {
        if (rpm_read_mem(buf, n, "x.rpm", &p) == 0) {
            free(buf);
            FAIL_("a package cut at %zu of %zu header bytes was accepted", n, hdr_end);
        }
    }
    CHECK_STR(err_msg(), "x.rpm: truncated in the header");
    free(buf);
}

/* Flipping any byte of the main header is caught: by the bounds checks, or
 * by the signature header's SHA256 of it. */
TEST(header_corruption_is_detected)
{
    REQUIRE_RPM(path);
    size_t len, end;
    uint8_t *buf = read_rpm(path, &len, &end);
    struct rpm_package p;
    size_t start = end - 200;
    for (size_t i = start; i < end; i++) {
        buf[i] ^= 0x40;
        int r = rpm_read_mem(buf, len, "x.rpm", &p);
        buf[i] ^= 0x40;
        if (r == 0) {
            rpm_package_free(&p);
            free(buf);
            FAIL_("flipped byte %zu accepted", i);
        }
    }
    buf[end - 1] ^= 0x40;
    CHECK(rpm_read_mem(buf, len, "x.rpm", &p) < 0);
    CHECK_STR(err_msg(), "x.rpm: header digest does not match the signature header (corrupt package)");
    free(buf);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A hand-made package: lead, a one-entry signature header, and a main
 * header with the given entries over the given data store. */
static size_t make_rpm(uint8_t *out, const uint32_t (*ents)[4], uint32_t nents, const void *data, uint32_t dsize)
{
    memset(out, 0, 96);
    memcpy(out, "\xed\xab\xee\xdb\x03\x00", 6);
    out[79] = 5;
    size_t o = 96;
    /* signature: one BIN entry of 8 bytes (tag 1000, size) */
    memcpy(out + o, "\x8e\xad\xe8\x01\0\0\0\0", 8);
    put_be32(out + o + 8, 1);
    put_be32(out + o + 12, 8);
    put_be32(out + o + 16, 1000);
    put_be32(out + o + 20, 7);
    put_be32(out + o + 24, 0);
    put_be32(out + o + 28, 8);
    memset(out + o + 32, 0, 8);
    o += 40;
    memcpy(out + o, "\x8e\xad\xe8\x01\0\0\0\0", 8);
    put_be32(out + o + 8, nents);
    put_be32(out + o + 12, dsize);
    o += 16;
    for (uint32_t i = 0; i < nents; i++, o += 16)
        for (int k = 0; k < 4; k++)
            put_be32(out + o + 4 * k, ents[i][k]);
    memcpy(out + o, data, dsize);
    return o + dsize;
}

static const char meta_data[] = "n\0" "1\0" "2\0" "x86_64\0";
static const uint32_t meta_ents[][4] = {
    {RPMTAG_NAME, 6, 0, 1}, {RPMTAG_VERSION, 6, 2, 1}, {RPMTAG_RELEASE, 6, 4, 1}, {RPMTAG_ARCH, 6, 6, 1},
};

TEST(hand_made_header_with_no_files)
{
    uint8_t buf[1024];
    size_t n = make_rpm(buf, meta_ents, 4, meta_data, sizeof(meta_data) - 1);
    struct rpm_package p;
    if (rpm_read_mem(buf, n, "h.rpm", &p) < 0)
        FAIL_("%s", err_msg());
    CHECK_STR(p.meta.name, "n");
    CHECK_STR(p.meta.arch, "x86_64");
    CHECK_EQ_U64(p.nfiles, 0);
    CHECK_EQ_U64(p.payload_offset, n);
    CHECK(p.payload_digest == NULL);
    rpm_package_free(&p);
}

static void expect_bad(const uint32_t (*ents)[4], uint32_t nents, const void *data, uint32_t dsize, const char *msg)
{
    uint8_t buf[2048];
    size_t n = make_rpm(buf, ents, nents, data, dsize);
    struct rpm_package p;
    err_clear();
    if (rpm_read_mem(buf, n, "h.rpm", &p) == 0) {
        rpm_package_free(&p);
        FAIL_("accepted; expected: %s", msg);
    }
    CHECK_STR(err_msg(), msg);
}

TEST(hand_made_headers_that_lie)
{
    uint32_t e[8][4];
    memcpy(e, meta_ents, sizeof(meta_ents));
    /* an offset past the store */
    e[4][0] = RPMTAG_LICENSE, e[4][1] = 6, e[4][2] = 99, e[4][3] = 1;
    expect_bad(e, 5, meta_data, sizeof(meta_data) - 1, "h.rpm: header tag 1014 lies outside the data store");
    /* an unterminated string at the end of the store */
    static const char unterminated[] = "n\0" "1\0" "2\0" "x86_64";
    expect_bad(meta_ents, 4, unterminated, sizeof(unterminated) - 1,
               "h.rpm: header tag 1022: string 0 runs past the data store");
    /* an int32 array running past the end */
    e[4][0] = RPMTAG_EPOCH, e[4][1] = 4, e[4][2] = 8, e[4][3] = 0x40000000;
    expect_bad(e, 5, meta_data, sizeof(meta_data) - 1, "h.rpm: header tag 1003 lies outside the data store");
    /* an unknown type */
    e[4][1] = 12, e[4][3] = 1;
    expect_bad(e, 5, meta_data, sizeof(meta_data) - 1, "h.rpm: header tag 1003 has unknown type 12");
    /* files: basenames without directory names */
    e[4][0] = RPMTAG_BASENAMES, e[4][1] = 8, e[4][2] = 0, e[4][3] = 1;
    expect_bad(e, 5, meta_data, sizeof(meta_data) - 1, "h.rpm: header has file basenames without directories");
    /* a directory index out of range */
    static const char files_data[] = "n\0" "1\0" "2\0" "x86_64\0" "f\0" "/d/\0" "\0\0\0\x05";
    uint32_t f[7][4];
    memcpy(f, meta_ents, sizeof(meta_ents));
    f[4][0] = RPMTAG_BASENAMES, f[4][1] = 8, f[4][2] = 13, f[4][3] = 1;
    f[5][0] = RPMTAG_DIRNAMES, f[5][1] = 8, f[5][2] = 15, f[5][3] = 1;
    f[6][0] = RPMTAG_DIRINDEXES, f[6][1] = 4, f[6][2] = 19, f[6][3] = 1;
    expect_bad(f, 7, files_data, sizeof(files_data) - 1, "h.rpm: file 0 refers to directory 5 of 1");
    /* a per-file array with the wrong count */
    f[6][3] = 2;
    expect_bad(f, 7, files_data, sizeof(files_data) - 1, "h.rpm: header tag 1116 lies outside the data store");
    /* missing metadata */
    expect_bad(meta_ents, 3, meta_data, sizeof(meta_data) - 1, "h.rpm: header lacks name, version, release or arch");
}

TEST(not_an_rpm)
{
    struct rpm_package p;
    static const uint8_t junk[200] = "!<arch>\n";
    CHECK(rpm_read_mem(junk, sizeof(junk), "j.rpm", &p) < 0);
    CHECK_STR(err_msg(), "j.rpm: not an RPM package (bad lead magic)");
    CHECK(rpm_read_mem(junk, 10, "j.rpm", &p) < 0);
    CHECK_STR(err_msg(), "j.rpm: truncated in the lead");
}

static void expect_caps(const char *text, const uint8_t want[20])
{
    uint8_t out[20];
    if (rpm_caps_to_xattr(text, "f", out) != 20)
        FAIL_("'%s' rejected: %s", text, err_msg());
    CHECK_MEM(out, want, 20);
}

/* struct vfs_cap_data revision 2 (linux/capability.h): le32 magic_etc
 * (0x02000000 | effective), then permitted/inheritable words for caps
 * 0-31, then for 32-63. cap_net_admin is 12, cap_net_raw 13,
 * cap_setfcap 31, cap_mac_admin 33. */
TEST(capability_text_to_xattr)
{
    static const uint8_t raw_ep[20] = {1, 0, 0, 2, 0x00, 0x20, 0, 0};
    expect_caps("cap_net_raw=ep", raw_ep);
    expect_caps("cap_net_raw+ep", raw_ep);
    static const uint8_t admin_raw_ep[20] = {1, 0, 0, 2, 0x00, 0x30, 0, 0};
    expect_caps("cap_net_admin,cap_net_raw=ep", admin_raw_ep);
    expect_caps("cap_net_admin,cap_net_raw,cap_chown=ep cap_chown-ep", admin_raw_ep);
    static const uint8_t raw_p[20] = {0, 0, 0, 2, 0x00, 0x20, 0, 0};
    expect_caps("cap_net_raw=p", raw_p);
    static const uint8_t high_i[20] = {0, 0, 0, 2, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 2, 0, 0, 0};
    expect_caps("cap_setfcap=pi cap_mac_admin+i", high_i);
    static const uint8_t all_ep[20] = {1, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0x01, 0, 0};
    expect_caps("=ep", all_ep);
    uint8_t out[20];
    CHECK(rpm_caps_to_xattr("cap_frobnicate=ep", "/usr/bin/x", out) < 0);
    CHECK_STR(err_msg(), "/usr/bin/x: cannot parse file capabilities 'cap_frobnicate=ep'");
    CHECK(rpm_caps_to_xattr("cap_net_raw", "f", out) < 0);
    CHECK(rpm_caps_to_xattr("cap_net_raw+", "f", out) < 0);
    CHECK(rpm_caps_to_xattr("cap_net_raw,=ep", "f", out) < 0);
    CHECK(rpm_caps_to_xattr("cap_net_raw=ex", "f", out) < 0);
}

TEST(extract_files_from_the_payload)
{
    REQUIRE_RPM(path);
    _cleanup_close_ int fd = open(path, O_RDONLY);
    _cleanup_free_ char *out = xasprintf("%s/extracted", fixture_dir());
    uint8_t *buf;
    size_t len;
    if (unpack_extract(fd, PKG_RPM, path, "/etc/gi.conf", out) < 0)
        FAIL_("%s", err_msg());
    CHECK(file_read_all(out, &buf, &len, 0) == 0);
    CHECK(len == 5 && !memcmp(buf, "conf\n", 5));
    free(buf);
    /* both names of a hard-linked file give its bytes, whichever carries them in the cpio */
    CHECK(unpack_extract(fd, PKG_RPM, path, "/usr/bin/gi-ping", out) == 0);
    CHECK(file_read_all(out, &buf, &len, 0) == 0);
    CHECK(len == 5 && !memcmp(buf, "ping\n", 5));
    free(buf);
    CHECK(unpack_extract(fd, PKG_RPM, path, "/usr/bin/gi-ping2", out) == 0);
    CHECK(unpack_extract(fd, PKG_RPM, path, "/usr/bin/gi-p", out) == -EINVAL);
    CHECK(strstr(err_msg(), "/usr/bin/gi-p is not a regular file; it links to gi-ping") != NULL);
    CHECK(unpack_extract(fd, PKG_RPM, path, "/boot/vmlinuz", out) == -ENOENT);
    CHECK(strstr(err_msg(), "has no file /boot/vmlinuz") != NULL);
    unlink(out);
}
