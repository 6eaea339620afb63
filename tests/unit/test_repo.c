/* builder/packages/repo (metadata as libsolv reads it) and builder/packages/lock (the lock
 * file's reading, writing and staleness check). */
#include "builder/packages/lock.h"
#include "builder/packages/repo.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <unistd.h>

static const char repomd[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n"
    "  <data type=\"primary\">\n"
    "    <checksum type=\"sha256\">36a1da4b3b0a315b5dc1b3caed9a8d32d3004d93f73e9b27784775b18673b431</checksum>\n"
    "    <location href=\"repodata/primary.xml.gz\"/>\n"
    "    <size>1540</size>\n"
    "  </data>\n"
    "</repomd>\n";

#define PKG(name, epoch, ver, rel, arch, sumtype, sum, loc)                                       \
    "<package type=\"rpm\"><name>" name "</name><arch>" arch "</arch>"                              \
    "<version epoch=\"" epoch "\" ver=\"" ver "\" rel=\"" rel "\"/>"                                \
    "<checksum type=\"" sumtype "\" pkgid=\"YES\">" sum "</checksum>"                               \
    "<size package=\"1234\" installed=\"1\" archive=\"1\"/>" loc "<format/></package>\n"

#define SHA_A "4ca67fd8d50130797f4f118af7aba290392ff217e99766fb5be5ea6b6317e8ad"
#define SHA_B "5bdd9b42c5abced91077b5f342aa814556867701f96fa029a6b5881747772ebd"

static const char primary[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" "
    "packages=\"2\">\n" PKG("zeta", "3", "1.0", "2.azl3", "x86_64", "sha256", SHA_A,
                           "<location href=\"Packages/z/zeta-1.0-2.azl3.x86_64.rpm\"/>")
        PKG("alpha", "0", "2.5", "1", "noarch", "sha256", SHA_B,
            "<location xml:base=\"https://mirror.example/base\" href=\"a/alpha.rpm\"/>") "</metadata>\n";

static int parse(const char *md, const char *pri, struct package_set *out)
{
    return repo_parse_metadata((const uint8_t *)md, strlen(md), (const uint8_t *)pri, strlen(pri),
                               "https://repo.example/base/x86_64/", out);
}

TEST(primary_packages_become_lock_entries)
{
    struct package_set s;
    if (parse(repomd, primary, &s) < 0)
        FAIL_("%s", err_msg());
    CHECK_EQ_U64(s.n, 2);
    /* sorted by name */
    CHECK_STR(s.v[0].name, "alpha");
    CHECK_STR(s.v[0].location, "https://mirror.example/base/a/alpha.rpm");
    CHECK_STR(s.v[0].sha256, SHA_B);
    CHECK_EQ_INT(s.v[0].epoch, 0);
    CHECK_STR(s.v[1].name, "zeta");
    CHECK_EQ_INT(s.v[1].epoch, 3);
    CHECK_STR(s.v[1].version, "1.0");
    CHECK_STR(s.v[1].release, "2.azl3");
    CHECK_STR(s.v[1].arch, "x86_64");
    CHECK_STR(s.v[1].repo, "fuzz");
    CHECK_EQ_U64(s.v[1].size, 1234);
    CHECK_STR(s.v[1].location, "https://repo.example/base/x86_64/Packages/z/zeta-1.0-2.azl3.x86_64.rpm");
    char *evr = package_evr(&s.v[1]);
    CHECK_STR(evr, "3:1.0-2.azl3");
    free(evr);
    package_set_free(&s);
}

static void expect_error(const char *md, const char *pri, const char *msg)
{
    struct package_set s;
    err_clear();
    if (parse(md, pri, &s) == 0) {
        package_set_free(&s);
        FAIL_("accepted; expected: %s", msg);
    }
    if (strncmp(err_msg(), msg, strlen(msg)))
        FAIL_("error '%s' does not start with '%s'", err_msg(), msg);
}

TEST(bad_metadata_is_refused)
{
    expect_error("<repomd>", primary, "repomd.xml: not a valid repomd.xml: ");
    expect_error("<repomd xmlns=\"http://linux.duke.edu/metadata/repo\"></repomd>", primary,
                 "repomd.xml: lists no primary metadata");
    expect_error(repomd, "<metadata><package type=\"rpm\"><name>x</na", "primary.xml: corrupt primary metadata: ");
    expect_error(repomd,
                 "<metadata>" PKG("old", "0", "1", "1", "noarch", "sha1", "0123456789012345678901234567890123456789",
                                  "<location href=\"old.rpm\"/>") "</metadata>",
                 "repository fuzz: package old has no sha256 checksum (sha1)");
    expect_error(repomd,
                 "<metadata>" PKG("up", "0", "1", "1", "noarch", "sha256", SHA_A,
                                  "<location href=\"../../etc/up.rpm\"/>") "</metadata>",
                 "repository fuzz: package up has no usable location");
    expect_error(repomd,
                 "<metadata>" PKG("local", "0", "1", "1", "noarch", "sha256", SHA_A,
                                  "<location xml:base=\"file:///etc\" href=\"shadow\"/>") "</metadata>",
                 "repository fuzz: package local: xml:base 'file:///etc' is not an HTTP(S) URL");
}

TEST(repomd_without_checksum_or_with_absolute_location)
{
    static const char nosum[] = "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\"><data type=\"primary\">"
                                "<location href=\"repodata/p.xml.gz\"/></data></repomd>";
    expect_error(nosum, primary, "repomd.xml: primary metadata has no checksum");
    static const char abs[] = "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\"><data type=\"primary\">"
                              "<checksum type=\"sha256\">" SHA_A "</checksum>"
                              "<location href=\"/etc/p.xml.gz\"/></data></repomd>";
    expect_error(abs, primary, "repomd.xml: primary metadata has no usable location");
}

/* ---------------------------------------------------------------- lock --- */

static const char manifest[] = "name: t\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
                               "repositories: [{name: r, baseurl: 'file:///r', gpgcheck: false}]\n"
                               "packages: [b, a]\nlocal-packages: [x.deb]\n";

static char dir[64];

__attribute__((destructor)) static void remove_dir(void)
{
    if (dir[0])
        rm_rf(dir);
}

static char *tmpfile_path(const char *name)
{
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/gi-test-lock-XXXXXX");
        if (!mkdtemp(dir))
            return NULL;
    }
    return xasprintf("%s/%s", dir, name);
}

static void fill(struct package *p, const char *name, const char *repo)
{
    memset(p, 0, sizeof(*p));
    p->format = repo ? PKG_RPM : PKG_DEB;
    p->name = xstrdup(name);
    p->version = xstrdup("1.0");
    p->release = repo ? xstrdup("1") : NULL;
    p->arch = xstrdup("x86_64");
    p->repo = repo ? xstrdup(repo) : NULL;
    p->location = xasprintf("%s/%s.pkg", repo ? "https://r" : "local", name);
    p->size = 42;
    memset(p->sha256, 'a', 64);
    p->depends = xcalloc(2, sizeof(char *));
    p->depends[p->ndepends++] = xstrdup("zz");
}

TEST(lock_roundtrip_and_staleness)
{
    struct manifest *m = manifest_parse(manifest, strlen(manifest), "m.yaml", ".");
    CHECK(m != NULL);
    struct lock l = {0};
    l.pkgs.v = xcalloc(2, sizeof(struct package));
    fill(&l.pkgs.v[0], "b", "r");
    fill(&l.pkgs.v[1], "a", NULL);
    l.pkgs.n = 2;
    l.inputs = lock_inputs(m);
    lock_sort(&l);
    CHECK_STR(l.pkgs.v[0].name, "a");
    _cleanup_free_ char *path = tmpfile_path("m.lock.json");
    CHECK(lock_write(&l, path) == 0);
    struct lock back;
    if (lock_read(path, &back) < 0)
        FAIL_("%s", err_msg());
    CHECK_EQ_U64(back.pkgs.n, 2);
    CHECK_STR(back.pkgs.v[0].location, "local/a.pkg");
    CHECK(back.pkgs.v[0].repo == NULL);
    CHECK(back.pkgs.v[0].release == NULL);
    CHECK_EQ_INT(back.pkgs.v[0].format, PKG_DEB);
    CHECK_STR(back.pkgs.v[1].location, "https://r/b.pkg");
    CHECK_STR(back.pkgs.v[1].depends[0], "zz");
    CHECK(lock_check_inputs(&back, m, path) == 0);
    /* writing what was read gives the same bytes */
    _cleanup_free_ char *path2 = tmpfile_path("again.lock.json");
    CHECK(lock_write(&back, path2) == 0);
    uint8_t *a, *b;
    size_t alen, blen;
    CHECK(file_read_all(path, &a, &alen, 0) == 0 && file_read_all(path2, &b, &blen, 0) == 0);
    CHECK(alen == blen && !memcmp(a, b, alen));
    free(a);
    free(b);
    /* the same manifest with another package list: stale */
    static const char other[] = "name: t\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
                                "repositories: [{name: r, baseurl: 'file:///r', gpgcheck: false}]\n"
                                "packages: [a, c]\nlocal-packages: [x.deb]\n";
    struct manifest *m2 = manifest_parse(other, strlen(other), "m.yaml", ".");
    CHECK(lock_check_inputs(&back, m2, path) == -ESTALE);
    CHECK(strstr(err_msg(), "run 'guestimg lock m.yaml'") != NULL);
    /* listing the same packages in another order is not a change */
    static const char reordered[] = "name: t\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
                                    "repositories: [{name: r, baseurl: 'file:///r', gpgcheck: false}]\n"
                                    "packages: [a, b]\nlocal-packages: [x.deb]\n";
    struct manifest *m3 = manifest_parse(reordered, strlen(reordered), "m.yaml", ".");
    CHECK(lock_check_inputs(&back, m3, path) == 0);
    manifest_free(m);
    manifest_free(m2);
    manifest_free(m3);
    lock_free(&l);
    lock_free(&back);
    unlink(path);
    unlink(path2);
}

static void expect_lock_error(const char *json, const char *msg)
{
    _cleanup_free_ char *path = tmpfile_path("bad.lock.json");
    CHECK(file_write_atomic(path, json, strlen(json), 0644) == 0);
    struct lock l;
    err_clear();
    if (lock_read(path, &l) == 0) {
        lock_free(&l);
        FAIL_("accepted: %s", json);
    }
    const char *e = err_msg();
    const char *colon = strstr(e, "bad.lock.json");
    CHECK(colon != NULL);
    CHECK_STR(colon + strlen("bad.lock.json"), msg);
    unlink(path);
}

TEST(lock_files_that_lie_are_refused)
{
    expect_lock_error("{\"lock-version\": 2, \"inputs\": {}, \"packages\": []}", ": not a version 1 lock file");
    expect_lock_error("{\"lock-version\": 1, \"packages\": []}", ": 'packages' and 'inputs' are required");
    expect_lock_error("{\"lock-version\": 1, \"inputs\": {}, \"packages\": [{\"name\": \"a\"}]}",
                      ": packages[0]: 'format' is missing");
    expect_lock_error("{\"lock-version\": 1, \"inputs\": {}, \"packages\": [{\"name\": \"a\", \"format\": \"rpm\", "
                      "\"epoch\": 0, \"version\": \"1\", \"arch\": \"x\", \"size\": 1, \"sha256\": \"abc\", "
                      "\"path\": \"p\", \"depends\": []}]}",
                      ": packages[0]: 'sha256' must be 64 hex digits");
    expect_lock_error("{\"lock-version\": 1, \"inputs\": {}, \"packages\": [{\"name\": \"a\", \"format\": \"zip\", "
                      "\"epoch\": 0, \"version\": \"1\", \"arch\": \"x\", \"size\": 1, \"sha256\": \"" SHA_A "\", "
                      "\"path\": \"p\", \"depends\": []}]}",
                      ": packages[0]: 'format' must be rpm, deb or tar");
    expect_lock_error("{\"lock-version\": 1, \"inputs\": {}, \"packages\": [{\"name\": \"a\", \"format\": \"rpm\", "
                      "\"epoch\": -1, \"version\": \"1\", \"arch\": \"x\", \"size\": 1, \"sha256\": \"" SHA_A "\", "
                      "\"path\": \"p\", \"depends\": []}]}",
                      ": packages[0]: 'epoch' must be a non-negative integer");
    expect_lock_error("{\"lock-version\": 1, \"inputs\": {}, \"packages\": [{\"name\": \"a\", \"format\": \"rpm\", "
                      "\"epoch\": 0, \"version\": \"1\", \"arch\": \"x\", \"size\": 1, \"sha256\": \"" SHA_A "\", "
                      "\"repo\": \"r\", \"depends\": []}]}",
                      ": packages[0]: 'url' is missing");
}
