/* SBOMs: package URLs, license expressions, both documents validated
 * against the official JSON schemas by python3-jsonschema, determinism,
 * identifiers checked against Python's uuid5, and every error path. */
#include "harness.h"

#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/util.h"
#include "sbom/internal.h"
#include "sbom/sbom.h"

#include <stdio.h>
#include <unistd.h>

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define SHA_IMG "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_KERN "2222222222222222222222222222222222222222222222222222222222222222"

static char *bash_deps[] = {"filesystem", "glibc"};
static char *glibc_deps[] = {"filesystem"};

/* A small set as the resolver makes it: Azure Linux rpms (one with an
 * epoch, one with a license that is not an SPDX expression, one with
 * Latin-1 metadata) and Debian debs. */
static struct package fixture_pkgs[] = {
    {.format = PKG_RPM, .name = "glibc", .version = "2.38", .release = "8.azl3", .arch = "x86_64",
     .license = "BSD AND GPL-2.0-or-later AND LGPL-2.1-or-later", .source = "glibc-2.38-8.azl3.src.rpm",
     .vendor = "Microsoft Corporation", .url = "https://www.gnu.org/software/glibc/",
     .summary = "The GNU libc libraries", .repo = "base",
     .location = "https://packages.microsoft.com/azurelinux/3.0/prod/base/x86_64/Packages/g/glibc-2.38-8.azl3.x86_64.rpm",
     .size = 2000000, .sha256 = SHA_A, .depends = glibc_deps, .ndepends = 1},
    {.format = PKG_RPM, .name = "bash", .version = "5.2.15", .release = "3.azl3", .arch = "x86_64",
     .license = "GPLv3+ and GPLv3+ with exceptions", .source = "bash-5.2.15-3.azl3.src.rpm", .vendor = "Microsoft Corporation",
     .url = "https://www.gnu.org/software/bash", .summary = "The GNU Bourne Again shell", .size = 1800000,
     .sha256 = SHA_B, .depends = bash_deps, .ndepends = 2},
    {.format = PKG_RPM, .name = "filesystem", .epoch = 1, .version = "1.1", .release = "20.azl3",
     .arch = "noarch", .license = "MIT", .vendor = "Microsoft Corporation",
     .summary = "Caf\xe9 structure (Latin-1)", .location = "/home/someone/cache/filesystem.rpm",
     .size = 100, .sha256 = SHA_A},
    {.format = PKG_DEB, .name = "libstdc++6", .version = "12.2.0-14", .arch = "amd64",
     .vendor = "Debian GCC Maintainers <debian-gcc@lists.debian.org>", .source = "gcc-12",
     .size = 600000, .sha256 = SHA_B},
    {.format = PKG_DEB, .name = "attr", .epoch = 1, .version = "2.5.1-4", .arch = "amd64",
     .license = "", .size = 20000, .sha256 = SHA_A},
};

#define KERNEL_ORIGIN "built from the source linux-6.1.0 (sha256 " SHA_A ") with the kernel-configs profile demo"
static const struct sbom_artifact image = {"demo", "1.0", "kata-containers.img", SHA_IMG, NULL, false};
static const struct sbom_artifact kernel = {"linux", "6.1.0", "vmlinuz", SHA_KERN, KERNEL_ORIGIN, false};

static struct sbom_input fixture(struct package_set *set)
{
    set->v = fixture_pkgs;
    set->n = ARRAY_SIZE(fixture_pkgs);
    return (struct sbom_input){.name = "demo", .version = "1.0", .epoch = 1700000000,
                               .image = &image, .kernel = &kernel, .packages = set};
}

static char *purl_of(enum package_format f, const char *name, uint32_t epoch, const char *v,
                     const char *rel, const char *arch)
{
    struct package p = {.format = f, .name = (char *)name, .epoch = epoch, .version = (char *)v,
                        .release = (char *)rel, .arch = (char *)arch};
    return sbom_purl(&p);
}

TEST(purl_rpm_epoch_only_when_nonzero)
{
    _cleanup_free_ char *a = purl_of(PKG_RPM, "bash", 0, "5.2.15", "3.azl3", "x86_64");
    CHECK_STR(a, "pkg:rpm/azurelinux/bash@5.2.15-3.azl3?arch=x86_64");
    _cleanup_free_ char *b = purl_of(PKG_RPM, "filesystem", 1, "1.1", "20.azl3", "noarch");
    CHECK_STR(b, "pkg:rpm/azurelinux/filesystem@1.1-20.azl3?arch=noarch&epoch=1");
}

TEST(purl_percent_encodes_and_keeps_colons)
{
    _cleanup_free_ char *a = purl_of(PKG_RPM, "libstdc++", 0, "13.2.0", "7.azl3", "x86_64");
    CHECK_STR(a, "pkg:rpm/azurelinux/libstdc%2B%2B@13.2.0-7.azl3?arch=x86_64");
    /* the purl specification's own example for a deb with an epoch */
    _cleanup_free_ char *b = purl_of(PKG_DEB, "attr", 1, "2.4.47-2+b1", NULL, "amd64");
    CHECK_STR(b, "pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64");
    _cleanup_free_ char *c = purl_of(PKG_DEB, "Curl", 0, "7.50.3-1", NULL, "i386");
    CHECK_STR(c, "pkg:deb/debian/curl@7.50.3-1?arch=i386");
    _cleanup_free_ char *d = purl_of(PKG_TAR, "busybox", 0, "1.36.1", NULL, NULL);
    CHECK_STR(d, "pkg:generic/busybox@1.36.1");
}

TEST(license_expressions)
{
    const char *good[] = {"MIT", "GPL-2.0-or-later", "GPL-2.0+", "LGPL-2.1-only OR MIT",
                          "(MIT OR Apache-2.0) AND BSD-3-Clause", "GPL-2.0-only WITH Linux-syscall-note",
                          "LicenseRef-foo", "DocumentRef-x:LicenseRef-y", "((MIT))"};
    const char *bad[] = {"", "ASL 2.0", "GPLv2 or BSD", "MIT AND", "(MIT", "MIT)", "AND MIT",
                         "MIT WITH", "Public Domain", "GPL-2.0 WITH (MIT)", "LicenseRef-", "caf\xc3\xa9",
                         "MIT OR OR MIT", "DocumentRef-:LicenseRef-y"};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        if (!sbom_license_is_expression(good[i]))
            FAIL_("'%s' should be an SPDX expression", good[i]);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (sbom_license_is_expression(bad[i]))
            FAIL_("'%s' should not be an SPDX expression", bad[i]);
}

TEST(contact_split)
{
    _cleanup_free_ char *n1 = NULL, *e1 = NULL, *n2 = NULL, *e2 = NULL;
    sbom_split_contact("GNU Libc Maintainers <debian-glibc@lists.debian.org>", &n1, &e1);
    CHECK_STR(n1, "GNU Libc Maintainers");
    CHECK_STR(e1, "debian-glibc@lists.debian.org");
    sbom_split_contact("  Microsoft Corporation ", &n2, &e2);
    CHECK_STR(n2, "Microsoft Corporation");
    CHECK(e2 == NULL);
}

/* ------------------------------------------------------------ schemas --- */

static char *tmpdir;

static const char *write_tmp(const char *name, const char *text)
{
    static char path[4096];
    if (!tmpdir) {
        static char tmpl[] = "/tmp/test_sbom.XXXXXX";
        tmpdir = mkdtemp(tmpl);
    }
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    if (file_write_atomic(path, text, strlen(text), 0644) < 0)
        FAIL_("%s", err_msg());
    return path;
}

/* Run a command; its output (first lines) goes into the TAP log. */
static int run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), p))
        if (n++ < 20)
            printf("# %s", line);
    return pclose(p);
}

/* A reference file's path (allocated). harness.h's ref_path makes GCC warn
 * about truncation at -O2 (its buffer is as long as the folder's). */
static char *ref_file(const char *rel)
{
    return xasprintf("%s/%s", ref_dir(), rel);
}

static void validate(const char *schema, const char *doc_name, const char *text)
{
    _cleanup_free_ char *schema_path = ref_file(schema);
    if (access("/usr/bin/python3", X_OK) || run("/usr/bin/python3 -c 'import jsonschema' 2>&1"))
        SKIP("python3-jsonschema (Debian's /usr/bin/python3) is not installed");
    const char *root = getenv("GUESTIMG_ROOT");
    _cleanup_free_ char *cmd = xasprintf("/usr/bin/python3 %s/tests/lib/validate_json_schema.py '%s' '%s' 2>&1",
                                         root ? root : ".", schema_path, write_tmp(doc_name, text));
    CHECK_EQ_INT(run(cmd), 0);
}

TEST(spdx_validates_against_the_official_schema)
{
    REQUIRE_REFERENCE();
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s = sbom_spdx(&in);
    CHECK(s);
    validate("schemas/spdx-2.3.schema.json", "sbom.spdx.json", s);
}

TEST(cyclonedx_validates_against_the_official_schema)
{
    REQUIRE_REFERENCE();
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s = sbom_cyclonedx(&in);
    CHECK(s);
    validate("schemas/cyclonedx-bom-1.5.schema.json", "sbom.cdx.json", s);
}

TEST(schema_validator_rejects_a_broken_document)
{
    /* the check above can fail: a document missing a required key does */
    REQUIRE_REFERENCE();
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s = sbom_spdx(&in);
    json_t *j = json_loads(s, 0, NULL);
    json_object_del(j, "creationInfo");
    _cleanup_free_ char *broken = json_canonical(j);
    json_decref(j);
    const char *root = getenv("GUESTIMG_ROOT");
    if (run("/usr/bin/python3 -c 'import jsonschema' 2>&1"))
        SKIP("python3-jsonschema is not installed");
    _cleanup_free_ char *schema = ref_file("schemas/spdx-2.3.schema.json");
    _cleanup_free_ char *cmd = xasprintf("/usr/bin/python3 %s/tests/lib/validate_json_schema.py '%s' '%s' 2>&1",
                                         root ? root : ".", schema, write_tmp("broken.json", broken));
    CHECK(run(cmd) != 0);
}

/* -------------------------------------------------------- determinism --- */

TEST(same_bytes_whatever_the_input_order)
{
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s1 = sbom_spdx(&in), *c1 = sbom_cyclonedx(&in);
    struct package rev[ARRAY_SIZE(fixture_pkgs)];
    for (size_t i = 0; i < ARRAY_SIZE(rev); i++)
        rev[i] = fixture_pkgs[ARRAY_SIZE(rev) - 1 - i];
    struct package_set rset = {rev, ARRAY_SIZE(rev)};
    in.packages = &rset;
    _cleanup_free_ char *s2 = sbom_spdx(&in), *c2 = sbom_cyclonedx(&in);
    CHECK_STR(s1, s2);
    CHECK_STR(c1, c2);
    CHECK(s1[strlen(s1) - 1] == '\n');
}

static json_t *parse(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);
    if (!j)
        FAIL_("output is not JSON");
    return j;
}

/* uuid5(NAMESPACE_URL, name) as Python computes it. */
static void python_uuid5(const char *name, char out[64])
{
    _cleanup_free_ char *cmd =
        xasprintf("/usr/bin/python3 -c 'import uuid,sys; print(uuid.uuid5(uuid.NAMESPACE_URL, sys.argv[1]))' '%s'",
                  name);
    FILE *p = popen(cmd, "r");
    CHECK(p);
    CHECK(fgets(out, 64, p));
    pclose(p);
    out[strcspn(out, "\n")] = 0;
}

TEST(identifiers_derive_from_the_digests)
{
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s = sbom_spdx(&in), *c = sbom_cyclonedx(&in);
    json_t *sj = parse(s), *cj = parse(c);
    char want[64];
    python_uuid5("guestimg:sbom:spdx:image:sha256:" SHA_IMG ":kernel:sha256:" SHA_KERN, want);
    _cleanup_free_ char *ns = xasprintf("https://spdx.org/spdxdocs/guestimg/demo-1.0-%s", want);
    CHECK_STR(json_string_value(json_object_get(sj, "documentNamespace")), ns);
    python_uuid5("guestimg:sbom:cyclonedx:image:sha256:" SHA_IMG ":kernel:sha256:" SHA_KERN, want);
    _cleanup_free_ char *serial = xasprintf("urn:uuid:%s", want);
    CHECK_STR(json_string_value(json_object_get(cj, "serialNumber")), serial);
    CHECK_STR(json_string_value(json_object_get(json_object_get(sj, "creationInfo"), "created")),
              "2023-11-14T22:13:20Z");
    CHECK_STR(json_string_value(json_object_get(json_object_get(cj, "metadata"), "timestamp")),
              "2023-11-14T22:13:20Z");
    json_decref(sj);
    json_decref(cj);
}

/* ------------------------------------------------------------ content --- */

static json_t *spdx_package(json_t *doc, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "packages"), i, p)
        if (streq(json_string_value(json_object_get(p, "name")), name))
            return p;
    FAIL_("no SPDX package %s", name);
}

static const char *spdx_id(json_t *doc, const char *name)
{
    return json_string_value(json_object_get(spdx_package(doc, name), "SPDXID"));
}

static bool has_rel(json_t *doc, const char *from, const char *type, const char *to)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "relationships"), i, r)
        if (streq(json_string_value(json_object_get(r, "spdxElementId")), from) &&
            streq(json_string_value(json_object_get(r, "relationshipType")), type) &&
            streq(json_string_value(json_object_get(r, "relatedSpdxElement")), to))
            return true;
    return false;
}

TEST(spdx_content)
{
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s = sbom_spdx(&in);
    json_t *d = parse(s);
    json_t *fs = spdx_package(d, "filesystem");
    CHECK_STR(json_string_value(json_object_get(fs, "versionInfo")), "1:1.1-20.azl3");
    CHECK_STR(json_string_value(json_object_get(fs, "supplier")), "Organization: Microsoft Corporation");
    CHECK_STR(json_string_value(json_object_get(fs, "summary")), "Caf\xef\xbf\xbd structure (Latin-1)");
    /* a host path is no download location */
    CHECK_STR(json_string_value(json_object_get(fs, "downloadLocation")), "NOASSERTION");
    json_t *ref = json_array_get(json_object_get(fs, "externalRefs"), 0);
    CHECK_STR(json_string_value(json_object_get(ref, "referenceLocator")),
              "pkg:rpm/azurelinux/filesystem@1.1-20.azl3?arch=noarch&epoch=1");
    json_t *ck = json_array_get(json_object_get(fs, "checksums"), 0);
    CHECK_STR(json_string_value(json_object_get(ck, "algorithm")), "SHA256");
    CHECK_STR(json_string_value(json_object_get(ck, "checksumValue")), SHA_A);
    json_t *std = spdx_package(d, "libstdc++6");
    CHECK_STR(json_string_value(json_object_get(std, "supplier")),
              "Organization: Debian GCC Maintainers (debian-gcc@lists.debian.org)");
    CHECK_STR(json_string_value(json_object_get(std, "licenseDeclared")), "NOASSERTION");

    /* a license that is no SPDX expression becomes a LicenseRef with its text */
    const char *lic = json_string_value(json_object_get(spdx_package(d, "bash"), "licenseDeclared"));
    CHECK(startswith(lic, "LicenseRef-GPLv3-and-GPLv3-with-exceptions-"));
    json_t *info = json_array_get(json_object_get(d, "hasExtractedLicensingInfos"), 0);
    CHECK_STR(json_string_value(json_object_get(info, "licenseId")), lic);
    CHECK_STR(json_string_value(json_object_get(info, "extractedText")), "GPLv3+ and GPLv3+ with exceptions");
    CHECK_STR(json_string_value(json_object_get(spdx_package(d, "glibc"), "licenseDeclared")),
              "BSD AND GPL-2.0-or-later AND LGPL-2.1-or-later");

    /* where the kernel came from; the image says nothing */
    CHECK_STR(json_string_value(json_object_get(spdx_package(d, "linux"), "sourceInfo")), KERNEL_ORIGIN);
    CHECK(!json_object_get(spdx_package(d, "demo"), "sourceInfo"));

    CHECK(has_rel(d, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
    CHECK(has_rel(d, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Kernel"));
    CHECK(has_rel(d, "SPDXRef-Image", "CONTAINS", spdx_id(d, "attr")));
    CHECK(has_rel(d, spdx_id(d, "bash"), "DEPENDS_ON", spdx_id(d, "glibc")));
    CHECK(has_rel(d, spdx_id(d, "bash"), "DEPENDS_ON", spdx_id(d, "filesystem")));
    CHECK(has_rel(d, spdx_id(d, "glibc"), "DEPENDS_ON", spdx_id(d, "filesystem")));
    CHECK(!has_rel(d, spdx_id(d, "filesystem"), "DEPENDS_ON", spdx_id(d, "glibc")));
    /* 2 DESCRIBES + 5 CONTAINS + 3 DEPENDS_ON */
    CHECK_EQ_U64(json_array_size(json_object_get(d, "relationships")), 10);
    json_decref(d);
}

TEST(cyclonedx_content)
{
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s = sbom_cyclonedx(&in);
    json_t *d = parse(s);
    json_t *comps = json_object_get(d, "components");
    CHECK_EQ_U64(json_array_size(comps), 6);
    CHECK_STR(json_string_value(json_object_get(json_array_get(comps, 0), "bom-ref")), "kernel");
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(comps, 0), "pedigree"), "notes")),
              KERNEL_ORIGIN);
    /* sorted by bom-ref */
    for (size_t i = 1; i < json_array_size(comps); i++)
        CHECK(strcmp(json_string_value(json_object_get(json_array_get(comps, i - 1), "bom-ref")),
                     json_string_value(json_object_get(json_array_get(comps, i), "bom-ref"))) < 0);
    json_t *deps = json_object_get(d, "dependencies");
    size_t i;
    json_t *e;
    bool seen = false;
    json_array_foreach(deps, i, e)
        if (streq(json_string_value(json_object_get(e, "ref")), "pkg:rpm/azurelinux/bash@5.2.15-3.azl3?arch=x86_64")) {
            json_t *on = json_object_get(e, "dependsOn");
            CHECK_EQ_U64(json_array_size(on), 2);
            CHECK_STR(json_string_value(json_array_get(on, 0)),
                      "pkg:rpm/azurelinux/filesystem@1.1-20.azl3?arch=noarch&epoch=1");
            CHECK_STR(json_string_value(json_array_get(on, 1)),
                      "pkg:rpm/azurelinux/glibc@2.38-8.azl3?arch=x86_64");
            seen = true;
        }
    CHECK(seen);
    json_t *img = json_object_get(json_object_get(d, "metadata"), "component");
    CHECK_STR(json_string_value(json_object_get(img, "type")), "operating-system");
    CHECK(!json_object_get(img, "pedigree"));
    json_decref(d);
}

TEST(digests_read_back_from_both_formats)
{
    struct package_set set;
    struct sbom_input in = fixture(&set);
    _cleanup_free_ char *s = sbom_spdx(&in), *c = sbom_cyclonedx(&in);
    struct sbom_digests d;
    const char *docs[][2] = {{"a.spdx.json", s}, {"a.cdx.json", c}};
    for (size_t k = 0; k < ARRAY_SIZE(docs); k++) {
        CHECK_EQ_INT(sbom_read_digests(write_tmp(docs[k][0], docs[k][1]), &d), 0);
        CHECK_STR(d.image_sha256, SHA_IMG);
        CHECK_STR(d.kernel_sha256, SHA_KERN);
        /* every package by its PURL, with the sha256 of its file */
        CHECK_EQ_U64(d.npackages, ARRAY_SIZE(fixture_pkgs));
        for (size_t i = 0; i < ARRAY_SIZE(fixture_pkgs); i++) {
            _cleanup_free_ char *purl = sbom_purl(&fixture_pkgs[i]);
            size_t j = 0;
            while (j < d.npackages && strcmp(d.packages[j].purl, purl))
                j++;
            if (j == d.npackages)
                FAIL_("%s: no %s", docs[k][0], purl);
            CHECK_STR(d.packages[j].sha256, fixture_pkgs[i].sha256);
        }
        sbom_digests_free(&d);
    }
    CHECK(sbom_read_digests(write_tmp("x.json", "{\"packages\": 3}"), &d) < 0);
    CHECK(strstr(err_msg(), "neither an SPDX nor a CycloneDX document"));
    /* wrong types inside: no digest, no crash */
    CHECK_EQ_INT(sbom_read_digests(write_tmp("y.json", "{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[1,{\"SPDXID\":\"SPDXRef-Image\",\"checksums\":{}}]}"), &d), 0);
    CHECK(!d.image_sha256 && !d.kernel_sha256);
    sbom_digests_free(&d);
}

/* --------------------------------------------------------------- errors --- */

static void expect_error(struct sbom_input *in, const char *msg)
{
    err_clear();
    char *s = sbom_spdx(in);
    if (s)
        FAIL_("expected an error containing '%s'", msg);
    if (!strstr(err_msg(), msg))
        FAIL_("error '%s' does not contain '%s'", err_msg(), msg);
    CHECK(sbom_cyclonedx(in) == NULL);
}

TEST(errors_name_the_package)
{
    struct package_set set;
    struct sbom_input in = fixture(&set);
    struct package two[2] = {fixture_pkgs[2], fixture_pkgs[2]};
    struct package_set dup = {two, 2};
    in.packages = &dup;
    expect_error(&in, "package pkg:rpm/azurelinux/filesystem@1.1-20.azl3?arch=noarch&epoch=1 is listed twice");

    struct package one = fixture_pkgs[0];
    struct package_set lone = {&one, 1};
    in.packages = &lone;
    expect_error(&in, "package glibc depends on filesystem, which is not in the package set");

    one.ndepends = 0;
    memcpy(one.sha256, "xyz", 4);
    expect_error(&in, "package glibc: sha256 'xyz' is not 64 lower-case hex digits");

    struct package noarch = fixture_pkgs[3];
    noarch.arch = NULL;
    lone.v = &noarch;
    expect_error(&in, "package libstdc++6 has no architecture");
}

TEST(errors_in_the_release)
{
    struct package_set set;
    struct sbom_input in = fixture(&set);
    in.epoch = -1;
    expect_error(&in, "epoch -1 is outside the years 1970-9999");
    in = fixture(&set);
    in.image = NULL;
    expect_error(&in, "no image to describe");
    in = fixture(&set);
    struct sbom_artifact k = kernel;
    k.sha256 = "ABC";
    in.kernel = &k;
    expect_error(&in, "kernel vmlinuz: sha256 'ABC' is not 64 lower-case hex digits");
}

TEST(without_kernel_or_packages)
{
    struct sbom_input in = {.name = "n", .version = "v", .epoch = 0, .image = &image};
    _cleanup_free_ char *s = sbom_spdx(&in), *c = sbom_cyclonedx(&in);
    CHECK(s && c);
    json_t *d = parse(s);
    CHECK_EQ_U64(json_array_size(json_object_get(d, "packages")), 1);
    json_decref(d);
    if (ref_dir()) {
        validate("schemas/spdx-2.3.schema.json", "empty.spdx.json", s);
        validate("schemas/cyclonedx-bom-1.5.schema.json", "empty.cdx.json", c);
    }
}

TEST(cleanup_tmp)
{
    if (tmpdir)
        rm_rf(tmpdir);
}
