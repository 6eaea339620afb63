/* builder/packages/unpack (paths through the image's symlinks, extraction from a
 * .deb) and builder/packages/accounts (passwd/group/shadow merged and written). */
#include "builder/packages/accounts.h"
#include "builder/packages/deb.h"
#include "builder/fs/tree.h"
#include "builder/packages/unpack.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"
#include "harness.h"
#include "pkg_fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static struct tree *tree_with_links(void)
{
    struct tree *t = tree_new(NULL);
    struct tree_attr a = {.mode = 0777, .origin = "test"};
    CHECK(tree_add_symlink(t, "/bin", "usr/bin", &a) == 0);
    CHECK(tree_add_symlink(t, "/lib", "/usr/lib", &a) == 0);
    CHECK(tree_add_symlink(t, "/usr/lib/firmware", "../../lib/fw", &a) == 0);
    CHECK(tree_add_symlink(t, "/loop1", "loop2", &a) == 0);
    CHECK(tree_add_symlink(t, "/loop2", "/loop1", &a) == 0);
    return t;
}

static void expect_path(struct tree *t, const char *in, const char *want)
{
    char *p = unpack_resolve_path(t, in, "pkg");
    if (!p)
        FAIL_("%s: %s", in, err_msg());
    CHECK_STR(p, want);
    free(p);
}

TEST(paths_follow_the_image_symlinks)
{
    struct tree *t = tree_with_links();
    expect_path(t, "/bin/sh", "/usr/bin/sh");
    expect_path(t, "/lib/modules/6.6/x.ko", "/usr/lib/modules/6.6/x.ko");
    /* a link reached through another link, relative, with "..", whose
     * target goes through /lib again */
    expect_path(t, "/lib/firmware/a.bin", "/usr/lib/fw/a.bin");
    /* the last component is never followed: it is what gets placed */
    expect_path(t, "/bin", "/bin");
    expect_path(t, "/usr/share/doc/x", "/usr/share/doc/x");
    expect_path(t, "//etc/./passwd", "/etc/passwd");
    err_clear();
    CHECK(unpack_resolve_path(t, "/loop1/x", "pkg") == NULL);
    CHECK_STR(err_msg(), "pkg: /loop1/x: too many levels of symbolic links in the image");
    CHECK(unpack_resolve_path(t, "/usr/../etc/shadow", "pkg") == NULL);
    CHECK_STR(err_msg(), "pkg: /usr/../etc/shadow: '..' in a package path");
    tree_free(t);
}

static void put(struct tree *t, const char *path, const char *text)
{
    struct tree_attr a = {.mode = 0644, .origin = "pkg"};
    CHECK(tree_add_file_buffer(t, path, text, strlen(text), &a) == 0);
}

static char *cat(struct tree *t, const char *path)
{
    struct tree_node *n = tree_lookup(t, path);
    if (!n)
        return NULL;
    struct tree_reader *r;
    CHECK(tree_reader_open(t, n, &r) == 0);
    char *buf = xcalloc(1, n->size + 1);
    size_t len = 0;
    ssize_t got;
    while ((got = tree_reader_read(r, buf + len, n->size - len)) > 0)
        len += (size_t)got;
    tree_reader_close(r);
    return buf;
}

static struct manifest *manifest_with(const char *accounts)
{
    char text[2048];
    snprintf(text, sizeof(text), "name: t\nversion: '1'\nepoch: 86400\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n%s",
             accounts);
    struct manifest *m = manifest_parse(text, strlen(text), "m.yaml", ".");
    if (!m)
        FAIL_("%s", err_msg());
    return m;
}

TEST(accounts_merge_and_write_sorted)
{
    struct tree *t = tree_new(NULL);
    put(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nchrony:x:995:993::/var/lib/chrony:/sbin/nologin\n");
    put(t, "/etc/group", "root:x:0:\nwheel:x:10:\nchrony:x:993:\n");
    put(t, "/etc/shadow", "root:*:19000:0:99999:7:::\n");
    put(t, "/etc/gshadow", "root:::\n");
    struct manifest *m = manifest_with(
        "accounts:\n  groups: [{name: kata, gid: 1000}]\n"
        "  users:\n    - {name: kata, uid: 1000, gid: 1000, home: /run/kata, groups: [wheel]}\n"
        "    - {name: chrony, uid: 990, gid: 993, shell: /bin/false, gecos: time}\n");
    struct accounts a;
    CHECK(accounts_load(t, &a) == 0);
    CHECK(a.have_gshadow);
    CHECK(accounts_merge(&a, m) == 0);
    uint32_t id;
    CHECK(accounts_uid(&a, "chrony", &id) == 0 && id == 990);
    CHECK(accounts_gid(&a, "kata", &id) == 0 && id == 1000);
    CHECK(accounts_uid(&a, "42", &id) == 0 && id == 42);
    CHECK(accounts_uid(&a, "nobody", &id) == -ENOENT);
    CHECK(accounts_write(t, &a, m->epoch) == 0);
    char *s = cat(t, "/etc/passwd");
    CHECK_STR(s, "root:x:0:0:root:/root:/bin/bash\nchrony:x:990:993:time:/:/bin/false\n"
                 "kata:x:1000:1000::/run/kata:/sbin/nologin\n");
    free(s);
    s = cat(t, "/etc/group");
    CHECK_STR(s, "root:x:0:\nwheel:x:10:kata\nchrony:x:993:\nkata:x:1000:\n");
    free(s);
    s = cat(t, "/etc/shadow");
    CHECK_STR(s, "root:*:19000:0:99999:7:::\nchrony:!*:1::::::\nkata:!*:1::::::\n");
    free(s);
    s = cat(t, "/etc/gshadow");
    CHECK_STR(s, "root:::\nwheel:!::kata\nchrony:!::\nkata:!::\n");
    free(s);
    accounts_free(&a);
    manifest_free(m);
    tree_free(t);
}

TEST(accounts_errors)
{
    struct tree *t = tree_new(NULL);
    put(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbroken:x:zero:0::/:/bin/sh\n");
    struct accounts a;
    CHECK(accounts_load(t, &a) == -EINVAL);
    CHECK_STR(err_msg(), "/etc/passwd in the image, line 2: bad uid or gid");
    tree_free(t);

    t = tree_new(NULL);
    put(t, "/etc/group", "root:x:0\n");
    CHECK(accounts_load(t, &a) == -EINVAL);
    CHECK_STR(err_msg(), "/etc/group in the image, line 1: expected 4 ':'-separated fields");
    tree_free(t);

    t = tree_new(NULL);
    put(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:2:2::/:/sbin/nologin\n");
    CHECK(accounts_load(t, &a) == 0);
    struct manifest *m = manifest_with("accounts: {users: [{name: kata, uid: 2, gid: 2}]}\n");
    CHECK(accounts_merge(&a, m) == -EEXIST);
    CHECK_STR(err_msg(), "m.yaml: accounts: uid 2 of user 'kata' is already the uid of user 'daemon'");
    manifest_free(m);
    m = manifest_with("accounts: {users: [{name: kata, uid: 1000, gid: 1000, groups: [video]}]}\n");
    CHECK(accounts_merge(&a, m) == -ENOENT);
    CHECK_STR(err_msg(), "m.yaml: accounts: user 'kata' is in group 'video', which no package or manifest entry defines");
    manifest_free(m);
    accounts_free(&a);
    put(t, "/etc/group", "root:x:0:\ndaemon:x:2:\n");
    CHECK(accounts_load(t, &a) == 0);
    m = manifest_with("accounts: {groups: [{name: kvm, gid: 2}]}\n");
    CHECK(accounts_merge(&a, m) == -EEXIST);
    CHECK_STR(err_msg(), "m.yaml: accounts: gid 2 of group 'kvm' is already the gid of group 'daemon'");
    manifest_free(m);
    accounts_free(&a);
    tree_free(t);
}

/* ------------------------------------------------------- deb extraction --- */

/* A .deb with /boot/vmlinuz-test (and a symlink to it). */
static const char *built_deb(void)
{
    static char *path;
    if (!path)
        path = fixture_deb("k.deb",
                           "Package: linux-image-test\nVersion: 6.1-1\nArchitecture: amd64\n"
                           "Maintainer: T <t@t>\nDescription: k\n",
                           "mkdir -p boot && printf 'kernel bytes' > boot/vmlinuz-test && "
                           "ln -s vmlinuz-test boot/vmlinuz");
    return path;
}

TEST(extract_a_file_from_a_deb)
{
    const char *deb = built_deb();
    if (!deb)
        SKIP("dpkg-deb not available");
    _cleanup_close_ int fd = open(deb, O_RDONLY);
    struct deb_info info;
    CHECK(deb_read_info(fd, deb, &info) == 0);
    CHECK_STR(info.meta.name, "linux-image-test");
    CHECK_STR(info.meta.arch, "amd64");
    deb_info_free(&info);
    _cleanup_free_ char *out = xasprintf("%s/vmlinuz", fixture_dir());
    if (unpack_extract(fd, PKG_DEB, deb, "/boot/vmlinuz-test", out) < 0)
        FAIL_("%s", err_msg());
    uint8_t *buf;
    size_t len;
    CHECK(file_read_all(out, &buf, &len, 0) == 0);
    CHECK(len == 12 && !memcmp(buf, "kernel bytes", 12));
    free(buf);
    CHECK(unpack_extract(fd, PKG_DEB, deb, "/boot/vmlinuz", out) == -EINVAL);
    CHECK(strstr(err_msg(), "/boot/vmlinuz is not a regular file; it links to vmlinuz-test") != NULL);
    CHECK(unpack_extract(fd, PKG_DEB, deb, "/boot/nothing", out) == -ENOENT);
    CHECK(strstr(err_msg(), "has no file /boot/nothing") != NULL);
}

TEST(deb_control_fields)
{
    static const char control[] = "Package: busybox-static\nSource: busybox (1:1.35.0-4)\nVersion: 1:1.35.0-4+b3\n"
                                  "Architecture: amd64\nMaintainer: Debian Install System Team <x@y>\n"
                                  "Pre-Depends: libc6 (>= 2.34)\nDepends: a | b:any, c [amd64] <!nocheck>\n"
                                  "Provides: busybox\nHomepage: https://www.busybox.net\n"
                                  "Description: Standalone rescue shell\n tools\n";
    struct deb_info d;
    CHECK(deb_parse_control(control, strlen(control), "c", &d) == 0);
    CHECK_STR(d.meta.name, "busybox-static");
    CHECK_EQ_INT(d.meta.epoch, 1);
    CHECK_STR(d.meta.version, "1.35.0-4+b3");
    CHECK(d.meta.release == NULL);
    CHECK_STR(d.meta.source, "busybox");
    CHECK_STR(d.meta.summary, "Standalone rescue shell");
    CHECK_STR(d.meta.url, "https://www.busybox.net");
    CHECK_EQ_U64(d.nrequires, 4);
    CHECK_STR(d.requires[0], "libc6");
    CHECK_STR(d.requires[2], "b");
    CHECK_STR(d.requires[3], "c");
    CHECK_STR(d.provides[0], "busybox");
    deb_info_free(&d);
    CHECK(deb_parse_control("Package: x\n", 11, "c", &d) == -EINVAL);
    CHECK_STR(err_msg(), "c: control file lacks a valid Package, Version or Architecture");
    static const char bad_epoch[] = "Package: x\nVersion: e:1\nArchitecture: all\n";
    CHECK(deb_parse_control(bad_epoch, strlen(bad_epoch), "c", &d) == -EINVAL);
    CHECK_STR(err_msg(), "c: control file has a malformed Version");
}

/* ar archives that are not quite Debian packages, made with ar(1) from
 * members written by the shell. */
static void expect_deb_error(const char *members_sh, const char *ar_members, const char *want)
{
    const char *d = fixture_dir();
    char *deb = xasprintf("%s/bad.deb", d);
    if (fixture_sh("cd %s && rm -rf bad && mkdir bad && cd bad && %s && ar qcD ../bad.deb.new %s && mv ../bad.deb.new %s",
                   d, members_sh, ar_members, deb) != 0)
        FAIL_("could not make the archive for '%s'", want);
    _cleanup_close_ int fd = open(deb, O_RDONLY);
    struct deb_info info;
    err_clear();
    free(deb);
    CHECK(deb_read_info(fd, "bad.deb", &info) == -EINVAL);
    if (!strstr(err_msg(), want))
        FAIL_("expected '%s' in '%s'", want, err_msg());
}

TEST(malformed_debs_are_refused_naming_the_problem)
{
    if (fixture_sh("command -v ar >/dev/null") != 0)
        SKIP("ar not available");
    expect_deb_error("echo 2.0 > debian-binary && mkdir c && echo x > c/other && tar -C c -czf control.tar.gz .",
                     "debian-binary control.tar.gz", "bad.deb: control.tar has no control file");
    expect_deb_error("echo 2.0 > debian-binary && echo junk > control.tar.gz", "debian-binary control.tar.gz",
                     "bad.deb: control.tar.gz: ");
    expect_deb_error("echo 2.0 > debian-binary", "debian-binary", "bad.deb: no control.tar.* member");
    expect_deb_error("echo x > control.tar && echo 2.0 > debian-binary", "control.tar debian-binary",
                     "bad.deb: not a Debian package (no debian-binary first)");
}
