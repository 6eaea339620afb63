/* builder/packages/compose: a manifest of local packages (an rpm made by rpmbuild,
 * a deb made by dpkg-deb, a tarball) into a tree and the package set the
 * SBOM is made from; the kernel taken from a package. */
#include "builder/packages/compose.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/util.h"
#include "harness.h"
#include "pkg_fixtures.h"

#include <errno.h>
#include <unistd.h>

static const char spec[] = "Name: gi-local\nVersion: 1.0\nRelease: 2\nSummary: local package\nLicense: Apache-2.0\n"
                           "URL: https://example.org/local\nVendor: guestimg tests\nBuildArch: noarch\n"
                           "%description\nx\n"
                           "%install\nmkdir -p %{buildroot}/opt/gi\necho local > %{buildroot}/opt/gi/local\n"
                           "%files\n%attr(0640,svc,svc) /opt/gi/local\n";

/* The three packages and a manifest using them, in fixture_dir(). */
static char *write_fixtures(const char *extra)
{
    char *rpm = fixture_rpm(spec, "w6.xzdio", "noarch/gi-local-1.0-2.noarch.rpm");
    char *deb = fixture_deb("gi-deb.deb",
                            "Package: gi-deb\nVersion: 2:3.0-1\nArchitecture: all\nMaintainer: Deb Team <d@t>\n"
                            "Homepage: https://example.org/deb\nDepends: gi-local (>= 1.0)\n"
                            "Description: a deb\n more\n",
                            "mkdir -p boot usr/share/gi-deb && echo deb > usr/share/gi-deb/file && "
                            "printf 'kernel image' > boot/vmlinuz-9");
    if (!rpm || !deb) {
        free(rpm);
        free(deb);
        return NULL;
    }
    const char *d = fixture_dir();
    CHECK(fixture_sh("cd %s && cp %s . && mkdir -p t/opt/tools && echo tool > t/opt/tools/t && "
                     "tar -C t -czf tools.tar.gz opt",
                     d, rpm) == 0);
    free(rpm);
    free(deb);
    char *text = xasprintf("name: t\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
                           "local-packages:\n  - gi-local-1.0-2.noarch.rpm\n"
                           "  - {path: gi-deb.deb, license: GPL-2.0-only}\n"
                           "  - {path: tools.tar.gz, name: tools, version: '5', license: MIT}\n"
                           "accounts:\n  groups: [{name: svc, gid: 500}]\n  users: [{name: svc, uid: 500, gid: 500}]\n"
                           "%s",
                           extra);
    char *path = xasprintf("%s/m.yaml", d);
    CHECK(file_write_atomic(path, text, strlen(text), 0644) == 0);
    free(text);
    return path;
}

/* The manifest of write_fixtures(extra), composed; NULL when the tools
 * are missing. */
struct composed {
    struct manifest *m;
    struct compose_opts o;
    struct tree *t;
    struct package_set s;
    struct lock l;
    char *cache;
};

static bool compose_fixtures(const char *extra, struct composed *c)
{
    memset(c, 0, sizeof(*c));
    _cleanup_free_ char *path = write_fixtures(extra);
    if (!path)
        return false;
    c->m = manifest_load(path);
    CHECK(c->m != NULL);
    c->cache = xasprintf("%s/cache", fixture_dir());
    c->o.cache_dir = c->cache;
    c->t = tree_new(NULL);
    if (compose_tree(c->m, &c->o, c->t, &c->s, &c->l) < 0)
        FAIL_("%s", err_msg());
    return true;
}

static void composed_free(struct composed *c)
{
    package_set_free(&c->s);
    lock_free(&c->l);
    tree_free(c->t);
    manifest_free(c->m);
    free(c->cache);
}

static const struct package *find(const struct package_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

TEST(package_set_has_every_field)
{
    struct composed c;
    if (!compose_fixtures("", &c))
        SKIP("rpmbuild or dpkg-deb not available");
    const struct package_set s = c.s;
    struct tree *t = c.t;
    CHECK_EQ_U64(s.n, 3);
    /* sorted by name */
    CHECK_STR(s.v[0].name, "gi-deb");
    CHECK_STR(s.v[2].name, "tools");

    const struct package *r = find(&s, "gi-local");
    CHECK(r && r->format == PKG_RPM);
    CHECK_STR(r->version, "1.0");
    CHECK_STR(r->release, "2");
    CHECK_STR(r->arch, "noarch");
    CHECK_STR(r->license, "Apache-2.0");
    CHECK_STR(r->vendor, "guestimg tests");
    CHECK_STR(r->url, "https://example.org/local");
    CHECK_STR(r->source, "gi-local-1.0-2.src.rpm");
    CHECK_STR(r->summary, "local package");
    CHECK(r->repo == NULL);
    CHECK_STR(r->location, "gi-local-1.0-2.noarch.rpm");
    CHECK_EQ_U64(r->ndepends, 0);
    _cleanup_free_ char *rpm_path = xasprintf("%s/gi-local-1.0-2.noarch.rpm", fixture_dir());
    char sha[65];
    uint64_t size;
    CHECK(sha256_file_hex(rpm_path, sha, &size) == 0);
    CHECK_STR(r->sha256, sha);
    CHECK_EQ_U64(r->size, size);

    const struct package *d = find(&s, "gi-deb");
    CHECK(d && d->format == PKG_DEB);
    CHECK_EQ_INT(d->epoch, 2);
    CHECK_STR(d->version, "3.0-1");
    CHECK(d->release == NULL);
    CHECK_STR(d->arch, "all");
    CHECK_STR(d->license, "GPL-2.0-only");
    CHECK_STR(d->vendor, "Deb Team <d@t>");
    CHECK_STR(d->url, "https://example.org/deb");
    CHECK_STR(d->source, "gi-deb");
    CHECK_STR(d->summary, "a deb");
    CHECK_EQ_U64(d->ndepends, 1);
    CHECK_STR(d->depends[0], "gi-local");
    char *evr = package_evr(d);
    CHECK_STR(evr, "2:3.0-1");
    free(evr);

    const struct package *tb = find(&s, "tools");
    CHECK(tb && tb->format == PKG_TAR);
    CHECK_STR(tb->version, "5");
    CHECK_STR(tb->license, "MIT");

    /* owner by name through the manifest's accounts */
    struct tree_node *n = tree_lookup(t, "/opt/gi/local");
    CHECK(n && n->uid == 500 && n->gid == 500 && n->mode == 0640);
    CHECK(tree_lookup(t, "/opt/tools/t") != NULL);
    CHECK(tree_lookup(t, "/usr/share/gi-deb/file") != NULL);
    CHECK(tree_lookup(t, "/etc/passwd") != NULL);
    composed_free(&c);
}

TEST(kernel_from_a_local_package)
{
    struct composed c;
    if (!compose_fixtures("kernel: {from: package, package-file: gi-deb.deb, path: /boot/vmlinuz-9}\n", &c))
        SKIP("rpmbuild or dpkg-deb not available");
    struct lock l = c.l;
    CHECK(l.kernel != NULL);
    CHECK_STR(l.kernel->name, "gi-deb");
    CHECK_STR(l.kernel->location, "gi-deb.deb");
    _cleanup_free_ char *out = xasprintf("%s/vmlinuz", fixture_dir());
    struct package kp;
    if (compose_kernel(c.m, &l, &c.o, out, &kp) < 0)
        FAIL_("%s", err_msg());
    CHECK_STR(kp.name, "gi-deb");
    CHECK_STR(kp.vendor, "Deb Team <d@t>");
    uint8_t *buf;
    size_t len;
    CHECK(file_read_all(out, &buf, &len, 0) == 0);
    CHECK(len == 12 && !memcmp(buf, "kernel image", 12));
    free(buf);
    package_clear(&kp);
    /* the lock says another file: refused */
    memset(l.kernel->sha256, '0', 64);
    CHECK(compose_kernel(c.m, &l, &c.o, out, NULL) == -EBADMSG);
    CHECK(strstr(err_msg(), "gi-deb.deb: sha256 mismatch: expected 0000") != NULL);
    composed_free(&c);
}

TEST(locked_without_a_lock)
{
    _cleanup_free_ char *path = write_fixtures("");
    if (!path)
        SKIP("rpmbuild or dpkg-deb not available");
    struct manifest *m = manifest_load(path);
    struct compose_opts o = {.cache_dir = "/nonexistent", .locked = true};
    struct tree *t = tree_new(NULL);
    struct package_set s;
    struct lock l;
    CHECK(compose_tree(m, &o, t, &s, &l) == -ENOENT);
    CHECK(strstr(err_msg(), "m.lock.json: no lock file for --locked") != NULL);
    tree_free(t);
    manifest_free(m);
}

/* Issue 17: a files[].src that is a symbolic link (to a file, or to
 * /etc/shadow) is refused naming the manifest, the entry and the src,
 * before anything is read; a directory likewise. */
TEST(files_src_must_be_the_file_itself)
{
    const char *d = fixture_dir();
    CHECK(fixture_sh("cd %s && echo data > real && ln -sf real link && ln -sf /etc/shadow evil && mkdir -p dir", d) ==
          0);
    const char *srcs[] = {"link", "evil", "dir"};
    const char *why[] = {"is a symbolic link: name the file itself", "is a symbolic link: name the file itself",
                         "is not a regular file"};
    for (size_t i = 0; i < 3; i++) {
        _cleanup_free_ char *text = xasprintf("name: t\nversion: '1'\nepoch: 0\n"
                                              "seed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
                                              "files:\n  - {src: real, dst: /ok}\n  - {src: %s, dst: /x}\n",
                                              srcs[i]);
        _cleanup_free_ char *path = xasprintf("%s/src.yaml", d);
        CHECK(file_write_atomic(path, text, strlen(text), 0644) == 0);
        struct manifest *m = manifest_load(path);
        CHECK(m != NULL);
        struct compose_opts o = {.cache_dir = d};
        struct tree *t = tree_new(NULL);
        struct package_set s;
        struct lock l;
        CHECK_EQ_INT(compose_tree(m, &o, t, &s, &l), -EINVAL);
        _cleanup_free_ char *want = xasprintf("%s: files: /x: src %s/%s %s", path, d, srcs[i], why[i]);
        CHECK_STR(err_msg(), want);
        tree_free(t);
        manifest_free(m);
    }
}
