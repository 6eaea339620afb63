/* builder/manifest/manifest: every key parsed into struct manifest; every kind of
 * mistake reported as FILE:LINE: KEY: problem. */
#include "builder/manifest/manifest.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"
#include "common/hex.h"
#include "common/strbuf.h"
#include "common/uuid.h"
#include "harness.h"

#include <errno.h>
#include <unistd.h>

static const char full[] =
    "name: azurelinux-3.0-kata-uvm\n"
    "version: 3.0.0\n"
    "epoch: 1735689600\n"
    "seed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
    "arch: x86_64\n"
    "repositories:\n"
    "  - name: base\n"
    "    baseurl: https://packages.microsoft.com/azurelinux/3.0/prod/base/x86_64\n"
    "    gpgkey: keys/azurelinux.asc\n"
    "  - {name: local, baseurl: 'file:///srv/repo', gpgcheck: false}\n"
    "packages: [systemd, kata-agent, ca-certificates]\n"
    "weak-deps: true\n"
    "allow-overwrite: [kata-agent]\n"
    "local-packages:\n"
    "  - extra/foo-1.0-1.x86_64.rpm\n"
    "  - /abs/bar_1.0_amd64.deb\n"
    "  - {path: extra/tools.tar.gz, name: tools, version: '2.0', license: MIT}\n"
    "remove: [/usr/share/doc, /usr/share/man]\n"
    "directories: [{path: /run}, {path: /tmp, mode: '1777'}]\n"
    "files:\n"
    "  - {src: overlay/init, dst: /init, mode: \"0755\", owner: \"0:0\"}\n"
    "  - {src: overlay/x.conf, dst: /etc/x.conf, owner: kata:kata}\n"
    "symlinks: [{path: /sbin/init, target: /usr/lib/systemd/systemd}]\n"
    "accounts:\n"
    "  groups: [{name: kata, gid: 1000}]\n"
    "  users:\n"
    "    - {name: kata, uid: 1000, gid: 1000, home: /run/kata, shell: /sbin/nologin, groups: [kata]}\n"
    "image: {layout: kata, size: 512M}\n"
    "kernel: {from: package, package: kernel-uvm, path: /usr/share/cloud-hypervisor/bzImage}\n"
    "measure:\n"
    "  firmware: {path: fw/OVMF.fd, sha256: "
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}\n"
    "  vmm-types: [QEMU]\n"
    "  vcpus: 1-4\n"
    "  vcpu-types: [EPYC-v4, EPYC-Milan]\n"
    "  guest-features: 0x1\n"
    "  svn: 2\n";

static struct manifest *parse(const char *text)
{
    return manifest_parse(text, strlen(text), "m.yaml", "/srv/img");
}

TEST(full_manifest_parses_every_key)
{
    struct manifest *m = parse(full);
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    CHECK_STR(m->name, "azurelinux-3.0-kata-uvm");
    CHECK_STR(m->version, "3.0.0");
    CHECK_EQ_INT(m->epoch, 1735689600);
    char seed[UUID_STR_LEN];
    uuid_format(m->seed, seed);
    CHECK_STR(seed, "5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61");
    CHECK_STR(m->arch, "x86_64");
    CHECK_EQ_U64(m->nrepos, 2);
    CHECK_STR(m->repos[0].gpgkey, "/srv/img/keys/azurelinux.asc");
    CHECK(m->repos[0].gpgcheck);
    CHECK(!m->repos[1].gpgcheck);
    CHECK(m->repos[1].gpgkey == NULL);
    CHECK_EQ_U64(m->npackages, 3);
    CHECK_STR(m->packages[2], "ca-certificates");
    CHECK(m->weak_deps);
    CHECK(manifest_allows_overwrite(m, "kata-agent"));
    CHECK(!manifest_allows_overwrite(m, "systemd"));
    CHECK_EQ_U64(m->nlocals, 3);
    CHECK_EQ_INT(m->locals[0].format, PKG_RPM);
    CHECK_STR(m->locals[0].path, "/srv/img/extra/foo-1.0-1.x86_64.rpm");
    CHECK_STR(m->locals[0].rel, "extra/foo-1.0-1.x86_64.rpm");
    CHECK_EQ_INT(m->locals[1].format, PKG_DEB);
    CHECK_STR(m->locals[1].path, "/abs/bar_1.0_amd64.deb");
    CHECK_EQ_INT(m->locals[2].format, PKG_TAR);
    CHECK_STR(m->locals[2].name, "tools");
    CHECK_STR(m->locals[2].license, "MIT");
    CHECK_EQ_U64(m->nremove, 2);
    CHECK_EQ_U64(m->ndirs, 2);
    CHECK_EQ_INT(m->dirs[0].mode, 0755);
    CHECK_EQ_INT(m->dirs[1].mode, 01777);
    CHECK_EQ_U64(m->nfiles, 2);
    CHECK_STR(m->files[0].src, "/srv/img/overlay/init");
    CHECK_EQ_INT(m->files[0].mode, 0755);
    CHECK_STR(m->files[0].owner, "0");
    CHECK_EQ_INT(m->files[1].mode, 0644);
    CHECK_STR(m->files[1].owner, "kata");
    CHECK_STR(m->files[1].group, "kata");
    CHECK_STR(m->symlinks[0].target, "/usr/lib/systemd/systemd");
    CHECK_EQ_U64(m->ngroups, 1);
    CHECK_EQ_INT(m->users[0].uid, 1000);
    CHECK_STR(m->users[0].home, "/run/kata");
    CHECK_STR(m->users[0].gecos, "");
    CHECK_STR(m->users[0].groups[0], "kata");
    CHECK_EQ_INT(m->image.layout, IMAGE_LAYOUT_KATA);
    CHECK_EQ_U64(m->image.size, 512ull << 20);
    CHECK_EQ_INT(m->kernel.from, KERNEL_PACKAGE);
    CHECK_STR(m->kernel.package, "kernel-uvm");
    CHECK_STR(m->kernel.path, "/usr/share/cloud-hypervisor/bzImage");
    CHECK(m->kernel.package_file == NULL);
    CHECK(m->measure.present && m->measure.have_firmware);
    CHECK_STR(m->measure.firmware, "/srv/img/fw/OVMF.fd");
    CHECK_EQ_INT(m->measure.firmware_sha256[31], 0xff);
    CHECK_EQ_U64(m->measure.nvcpus, 4);
    CHECK_EQ_INT(m->measure.vcpus[3], 4);
    CHECK_STR(m->measure.vcpu_types[1], "EPYC-Milan");
    CHECK_EQ_U64(m->measure.guest_features, 1);
    CHECK_EQ_INT(m->measure.svn, 2);
    manifest_free(m);
}

static const char minimal[] = "name: x\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n";

TEST(defaults)
{
    struct manifest *m = parse(minimal);
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    CHECK_STR(m->arch, "x86_64");
    CHECK(!m->weak_deps);
    CHECK_EQ_INT(m->image.layout, IMAGE_LAYOUT_KATA);
    CHECK_EQ_U64(m->image.size, 0);
    CHECK_EQ_INT(m->kernel.from, KERNEL_NONE);
    CHECK(!m->measure.present);
    manifest_free(m);
}

/* The manifest must be rejected with exactly this message. */
static void expect_error(const char *text, const char *msg)
{
    err_clear();
    struct manifest *m = parse(text);
    if (m) {
        manifest_free(m);
        FAIL_("accepted: %s", text);
    }
    CHECK_STR(err_msg(), msg);
}

static char *with(const char *extra)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s%s", minimal, extra);
    return buf;
}

TEST(unknown_key_names_key_and_line)
{
    expect_error(with("pakages: [a]\n"), "m.yaml:5: unknown key 'pakages'");
    expect_error(with("repositories:\n  - name: a\n    baseurl: file:///x\n    gpgchek: false\n"),
                 "m.yaml:8: unknown key 'repositories[0].gpgchek'");
    expect_error(with("image: {layout: kata, sise: 1G}\n"), "m.yaml:5: unknown key 'image.sise'");
}

TEST(wrong_types_name_key_and_line)
{
    expect_error("name: x\nversion: '1'\nepoch: soon\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n",
                 "m.yaml:3: epoch: expected a non-negative integer, got 'soon'");
    expect_error(with("packages: systemd\n"), "m.yaml:5: packages: expected a sequence, got a scalar");
    expect_error(with("packages: [a, {b: c}]\n"), "m.yaml:5: packages[1]: expected a name, got a mapping");
    expect_error(with("weak-deps: yes\n"), "m.yaml:5: weak-deps: expected true or false, got 'yes'");
    expect_error(with("files: [{src: a, dst: /a, mode: '0999'}]\n"),
                 "m.yaml:5: files[0].mode: expected an octal mode such as \"0755\", got '0999'");
    expect_error(with("files: [{src: a, dst: etc/a}]\n"),
                 "m.yaml:5: files[0].dst: 'etc/a' is not an absolute, normalised image path");
    expect_error(with("remove: [/usr/../etc]\n"),
                 "m.yaml:5: remove[0]: '/usr/../etc' is not an absolute, normalised image path");
    expect_error(with("repositories: [{name: a, baseurl: ftp://x, gpgcheck: false}]\n"),
                 "m.yaml:5: repositories[0].baseurl: 'ftp://x' is not a file://, http:// or https:// URL");
    expect_error(with("accounts: {users: [{name: a, uid: 4294967296, gid: 0}]}\n"),
                 "m.yaml:5: accounts.users[0].uid: expected a non-negative integer below 2^32, got '4294967296'");
    expect_error(with("image: {size: big}\n"),
                 "m.yaml:5: image.size: expected auto or a multiple of 4096 bytes such as 512M, got 'big'");
    expect_error(with("image: {size: 5000}\n"),
                 "m.yaml:5: image.size: expected auto or a multiple of 4096 bytes such as 512M, got '5000'");
    expect_error(with("image: {layout: gpt}\n"), "m.yaml:5: image.layout: expected kata or raw, got 'gpt'");
    expect_error(with("name2: {}\n"), "m.yaml:5: unknown key 'name2'");
    expect_error("name: x\nversion:\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n",
                 "m.yaml:2: version: expected a string, got nothing");
    expect_error(with("seed2: 1\n"), "m.yaml:5: unknown key 'seed2'");
    expect_error("name: x\nversion: '1'\nepoch: 0\nseed: not-a-uuid\n",
                 "m.yaml:4: seed: 'not-a-uuid' is not a UUID (8-4-4-4-12 hex digits)");
    expect_error("name: ../x\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n",
                 "m.yaml:1: name: '../x' is not a valid name (letters, digits, '.', '_', '+', '-')");
}

/* measure.igvm: igvmgen's defaults, the command line kept byte for byte
 * (TABs too), one {dm-verity}, igvmgen's values only. */
TEST(measure_igvm_defaults_and_bytes)
{
    struct manifest *m = parse(with("measure:\n  firmware: none\n  igvm: {}\n"));
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    const struct manifest_igvm *g = &m->measure.igvm;
    CHECK(g->present);
    CHECK_STR(g->boot_mode, "x86");
    CHECK_EQ_U64(g->vtl, 2);
    CHECK(g->svme && g->encrypted_page && g->pvalidate_opt);
    CHECK(g->cmdline == NULL && g->debug_cmdline == NULL && g->acpi == NULL);
    manifest_free(m);
    m = parse(with("measure:\n  firmware: none\n  igvm:\n    boot-mode: x64\n    vtl: 0\n    svme: false\n"
                   "    acpi: acpi/clh\n    cmdline: \"dm-mod.create=\\\"{dm-verity}\\\" \\troot=/dev/dm-0 quiet\"\n"));
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    g = &m->measure.igvm;
    CHECK_STR(g->boot_mode, "x64");
    CHECK_EQ_U64(g->vtl, 0);
    CHECK(!g->svme && g->encrypted_page);
    CHECK_STR(g->acpi, "/srv/img/acpi/clh");
    CHECK_STR(g->cmdline, "dm-mod.create=\"{dm-verity}\" \troot=/dev/dm-0 quiet");
    manifest_free(m);
}

TEST(measure_igvm_bad_values_name_the_key)
{
    expect_error(with("measure:\n  firmware: none\n  igvm: {boot-mode: arm64}\n"),
                 "m.yaml:7: measure.igvm: boot-mode: 'arm64' is not x64 or x86");
    expect_error(with("measure:\n  firmware: none\n  igvm: {vtl: 1}\n"),
                 "m.yaml:7: measure.igvm: vtl: 1 is not 0 or 2");
    expect_error(with("measure:\n  firmware: none\n  igvm: {cmdline: root=/dev/vda1}\n"),
                 "m.yaml:7: measure.igvm: cmdline must hold {dm-verity} exactly once (where the build puts the "
                 "image's dm-verity table)");
    expect_error(with("measure:\n  firmware: none\n  igvm: {debug-cmdline: '{dm-verity} {dm-verity}'}\n"),
                 "m.yaml:7: measure.igvm: debug-cmdline must hold {dm-verity} exactly once (where the build puts "
                 "the image's dm-verity table)");
    expect_error(with("measure:\n  firmware: none\n  igvm: {cmdline: \"{dm-verity}\\nevil\"}\n"),
                 "m.yaml:7: measure.igvm: cmdline holds the control byte 0x0a (only TAB is kept)");
}

/* measure.appraisal and measure.igvm.guest-policy: the two forms of a
 * policy give the same bits (SNP ABI: SMT 16, reserved 17, migration
 * agent 18, debug 19, single socket 20, ABI major 15:8, minor 7:0). */
TEST(measure_appraisal_values)
{
    struct manifest *m = parse(with("measure:\n  firmware: none\n  igvm: {}\n  appraisal: {}\n"));
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    const struct manifest_appraisal *a = &m->measure.appraisal;
    CHECK(a->present && !a->has_min_tcb);
    CHECK_EQ_U64(a->guest_policy, 0x30000);   /* debug and migration agent off, SMT allowed */
    CHECK_EQ_U64(a->vmpl, 0);
    CHECK_EQ_U64(m->measure.igvm.guest_policy, 0x3001f);   /* igvmgen's */
    manifest_free(m);
    m = parse(with("measure:\n  firmware: none\n  igvm: {guest-policy: 0x120203}\n  appraisal:\n"
                   "    guest-policy: {smt: false, single-socket: true, abi-major: 1, abi-minor: 2}\n"
                   "    vmpl: 2\n    min-tcb: {bootloader: 3, tee: 0, snp: 8, microcode: 115, fmc: 1}\n"));
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    a = &m->measure.appraisal;
    CHECK_EQ_U64(a->guest_policy, (1u << 17) | (1u << 20) | 0x0102);
    CHECK_EQ_U64(m->measure.igvm.guest_policy, 0x120203);
    CHECK_EQ_U64(a->vmpl, 2);
    CHECK(a->has_min_tcb && a->tcb_has_fmc);
    CHECK(a->tcb_bootloader == 3 && a->tcb_tee == 0 && a->tcb_snp == 8 && a->tcb_microcode == 115 && a->tcb_fmc == 1);
    manifest_free(m);
    m = parse(with("measure:\n  firmware: none\n  appraisal:\n    guest-policy: {debug: true, migrate-ma: true}\n"
                   "    min-tcb: {bootloader: 0, tee: 0, snp: 0, microcode: 0}\n"));
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    CHECK_EQ_U64(m->measure.appraisal.guest_policy, 0x30000 | (1u << 18) | (1u << 19));
    CHECK(!m->measure.appraisal.tcb_has_fmc);
    manifest_free(m);
}

TEST(measure_appraisal_bad_values_name_the_key)
{
    expect_error(with("measure:\n  firmware: none\n  appraisal: {vmpl: 4}\n"),
                 "m.yaml:7: measure.appraisal: vmpl: 4 is not 0, 1, 2 or 3");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {guest-policy: 0x10000}\n"),
                 "m.yaml:7: measure.appraisal.guest-policy: 0x10000: bit 17 (reserved) must be set");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {guest-policy: 0x4030000}\n"),
                 "m.yaml:7: measure.appraisal.guest-policy: 0x4030000 sets bits above 25, which the SNP ABI reserves");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {guest-policy: strict}\n"),
                 "m.yaml:7: measure.appraisal.guest-policy: expected an integer (0x30000) or a mapping {debug, "
                 "migrate-ma, smt, single-socket, abi-major, abi-minor}, got 'strict'");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {guest-policy: {debug: maybe}}\n"),
                 "m.yaml:7: measure.appraisal.guest-policy.debug: expected true or false, got 'maybe'");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {guest-policy: {abi-minor: 256}}\n"),
                 "m.yaml:7: measure.appraisal.guest-policy: abi-major and abi-minor are 0 to 255");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {guest-policy: {nosy: true}}\n"),
                 "m.yaml:7: unknown key 'measure.appraisal.guest-policy.nosy'");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {min-tcb: {bootloader: 3, tee: 0, snp: 8}}\n"),
                 "m.yaml:7: measure.appraisal.min-tcb: missing required key 'microcode'");
    expect_error(with("measure:\n  firmware: none\n  appraisal: {min-tcb: {bootloader: 3, tee: 0, snp: 800, "
                      "microcode: 1}}\n"),
                 "m.yaml:7: measure.appraisal.min-tcb: snp: 800 is not a security patch level (0 to 255)");
    expect_error(with("measure:\n  firmware: none\n  igvm: {guest-policy: 0x20000}\n  appraisal: {lax: 1}\n"),
                 "m.yaml:8: unknown key 'measure.appraisal.lax'");
    /* the IGVM's policy allows what the appraisal refuses: both keys named */
    expect_error(with("measure:\n  firmware: none\n  igvm: {guest-policy: {debug: true}}\n  appraisal: {}\n"),
                 "m.yaml:8: measure.appraisal.guest-policy 0x30000 contradicts measure.igvm.guest-policy 0xb0000: "
                 "the appraisal wants debug_allowed 0, the IGVM has debug_allowed 1");
    expect_error(with("measure:\n  firmware: none\n  igvm: {}\n  appraisal: {guest-policy: {abi-minor: 32}}\n"),
                 "m.yaml:8: measure.appraisal.guest-policy 0x30020 contradicts measure.igvm.guest-policy 0x3001f "
                 "(igvmgen's default): the appraisal wants abi 0.32 or later, the IGVM has abi 0.31");
}

TEST(missing_required_keys)
{
    expect_error("name: x\nversion: '1'\nepoch: 0\n", "m.yaml:1: missing required key 'seed'");
    expect_error(with("repositories:\n  - name: a\n"), "m.yaml:6: repositories[0]: missing required key 'baseurl'");
    expect_error(with("kernel: {package: k}\n"), "m.yaml:5: kernel: missing required key 'from'");
    expect_error(with("measure: {svn: 1}\n"), "m.yaml:5: measure: missing required key 'firmware'");
}

TEST(consistency_rules)
{
    expect_error(with("repositories: [{name: a, baseurl: 'file:///r'}]\n"),
                 "m.yaml:5: repositories: repository 'a' has no gpgkey (set gpgcheck: false to accept unsigned "
                 "metadata)");
    expect_error(with("repositories: [{name: a, baseurl: 'file:///r', gpgkey: k.asc, gpgcheck: false}]\n"),
                 "m.yaml:5: repositories: repository 'a' has a gpgkey that gpgcheck: false would ignore; keep one of "
                 "them");
    expect_error(with("repositories: [{name: a, baseurl: 'file:///r', gpgcheck: false},"
                      " {name: a, baseurl: 'file:///s', gpgcheck: false}]\n"),
                 "m.yaml:5: repositories: repository name 'a' is used twice");
    expect_error(with("packages: [a]\n"), "m.yaml:1: packages: packages are listed but no repositories are");
    expect_error(with("packages: [a, b, a]\n"), "m.yaml:5: packages[2]: 'a' is listed twice");
    expect_error(with("local-packages: [x.zip]\n"),
                 "m.yaml:5: local-packages[0]: 'x.zip': not a .rpm, .deb or tarball (.tar, .tar.gz, .tar.xz, .tar.zst)");
    expect_error(with("local-packages: [x.tar.gz]\n"), "m.yaml:5: local-packages[0]: tarball 'x.tar.gz' needs name and version");
    expect_error(with("kernel: {from: package, package: k}\n"),
                 "m.yaml:5: kernel: from: package takes 'package' (a repository package) or 'package-file' (a local "
                 ".rpm or .deb), and 'path' (the file inside it)");
    expect_error(with("kernel: {from: package, package-file: k.zip, path: /boot/vmlinuz}\n"),
                 "m.yaml:5: kernel: package-file 'k.zip' is not a .rpm or .deb");
    expect_error(with("kernel: {from: magic}\n"), "m.yaml:5: kernel.from: expected profile, package or file, got 'magic'");
    expect_error(with("accounts: {groups: [{name: a, gid: 1}, {name: b, gid: 1}]}\n"),
                 "m.yaml:5: accounts: groups 'a' and 'b' share a name or gid");
    expect_error(with("files: [{src: a, dst: /a, owner: 'a:b:c'}]\n"),
                 "m.yaml:5: files[0].owner: 'a:b:c' is not an owner (USER:GROUP, names or numbers)");
    expect_error(with("measure: {firmware: {path: f, sha256: abc}}\n"), "m.yaml:5: measure.firmware: sha256 'abc' is not 64 hex digits");
    expect_error(with("measure: {firmware: none, vmm-types: [kvm]}\n"), "m.yaml:5: measure: vmm-types: 'kvm' is not QEMU, ec2 or gce");
    expect_error(with("measure: {firmware: none, vcpus: 8-2}\n"), "m.yaml:5: measure.vcpus: range 8-2 is empty");
    expect_error(with("measure: {firmware: none, vcpus: [0]}\n"), "m.yaml:5: measure.vcpus: '0' is not a vCPU count (1..1024)");
}

TEST(yaml_errors_carry_the_line)
{
    expect_error(with("packages: [a, b\n"), "m.yaml:6: invalid YAML: flow sequence without a closing bracket");
    expect_error(with("name: y\n"), "m.yaml:5: invalid YAML: duplicate key");
    expect_error(with("a: &x [1]\nb: *x\n"), "m.yaml:5: unknown key 'a'");
    expect_error("- 1\n- 2\n", "m.yaml:1: expected a mapping, got a sequence");
    expect_error("", "m.yaml:1: empty manifest");
    expect_error("# nothing but a comment\n", "m.yaml:1: empty manifest");
    expect_error(with("---\nfoo: 1\n"), "m.yaml:6: a manifest is one YAML document; a second one starts here");
    err_clear();
    CHECK(manifest_parse("name: x\0", 8, "m.yaml", ".") == NULL);
    CHECK_STR(err_msg(), "m.yaml:1: not UTF-8 text (byte 0x00)");
    expect_error("name: caf\xc3\xa9\n%x\xe0\n", "m.yaml:2: not UTF-8 text (byte 0xe0)");
    expect_error("a: \xed\xa0\x80\n", "m.yaml:1: not UTF-8 text (byte 0xed)");
}

TEST(aliases_are_rejected)
{
    expect_error(with("packages: &p [a]\nallow-overwrite: *p\n"),
                 "m.yaml:6: allow-overwrite: expected a sequence, got an alias");
}

TEST(vcpus_list_is_sorted_and_distinct)
{
    struct manifest *m = parse(with("measure: {firmware: none, vcpus: [8, 2, 8, 4]}\n"));
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    CHECK(!m->measure.have_firmware);
    CHECK_EQ_U64(m->measure.nvcpus, 3);
    CHECK_EQ_INT(m->measure.vcpus[0], 2);
    CHECK_EQ_INT(m->measure.vcpus[2], 8);
    manifest_free(m);
}

TEST(lock_path_sits_beside_the_manifest)
{
    struct manifest *m = manifest_parse(minimal, strlen(minimal), "dir/demo.yaml", "dir");
    CHECK(m != NULL);
    char *p = manifest_lock_path(m);
    CHECK_STR(p, "dir/demo.lock.json");
    free(p);
    manifest_free(m);
}

TEST(load_reports_missing_file)
{
    err_clear();
    CHECK(manifest_load("/nonexistent/m.yaml") == NULL);
    CHECK_STR(err_msg(), "/nonexistent/m.yaml: cannot open: No such file or directory");
}

TEST(kernel_from_a_local_package_file)
{
    struct manifest *m = parse(with("kernel: {from: package, package-file: debs/linux-image.deb, "
                                    "path: /boot/vmlinuz-6.1.0-18-amd64}\n"));
    if (!m)
        FAIL_("parse failed: %s", err_msg());
    CHECK_EQ_INT(m->kernel.from, KERNEL_PACKAGE);
    CHECK_STR(m->kernel.package_file, "/srv/img/debs/linux-image.deb");
    CHECK_STR(m->kernel.package_file_rel, "debs/linux-image.deb");
    CHECK(m->kernel.package == NULL);
    manifest_free(m);
    m = parse(with("kernel: {from: file, path: vmlinuz}\n"));
    CHECK(m != NULL);
    CHECK_STR(m->kernel.path, "/srv/img/vmlinuz");
    manifest_free(m);
    m = parse(with("kernel: {from: profile, profile: kata-snp}\n"));
    CHECK(m != NULL);
    CHECK_STR(m->kernel.profile, "kata-snp");
    manifest_free(m);
}

/* Every YAML example in docs/manifest.md parses: whole manifests as they
 * are, fragments added to the minimal manifest. */
TEST(documentation_examples_parse)
{
    char *doc;
    if (file_read_text("docs/manifest.md", &doc, 0) < 0)
        SKIP("docs/manifest.md not found (run from the repository root)");
    int n = 0;
    for (char *p = doc; (p = strstr(p, "```yaml\n"));) {
        p += 8;
        char *end = strstr(p, "```\n");
        CHECK(end != NULL);
        char *block = xstrndup(p, (size_t)(end - p));
        char *text = strncmp(block, "name:", 5) ? xasprintf("%s%s", minimal, block) : xstrdup(block);
        struct manifest *m = manifest_parse(text, strlen(text), "docs/manifest.md", "docs");
        if (!m)
            FAIL_("example %d does not parse: %s\n%s", n, err_msg(), block);
        manifest_free(m);
        free(text);
        free(block);
        p = end + 4;
        n++;
    }
    free(doc);
    CHECK(n >= 10);
}

/* The shipped manifests parse. */
TEST(shipped_manifests_parse)
{
    static const char *const paths[] = {"manifests/azurelinux-3.0-kata-uvm.yaml", "manifests/demo.yaml"};
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        struct manifest *m = manifest_load(paths[i]);
        if (!m)
            FAIL_("%s", err_msg());
        CHECK(m->image.layout == IMAGE_LAYOUT_KATA);
        manifest_free(m);
    }
    struct manifest *m = manifest_load("manifests/azurelinux-3.0-kata-uvm.yaml");
    CHECK_STR(m->kernel.package, "kernel-uvm");
    CHECK_STR(m->repos[0].gpgkey, "manifests/keys/microsoft-rpm-gpg-key.asc");
    CHECK(m->measure.present);
    CHECK(m->weak_deps);   /* tdnf's default, which the Kata build uses */
    /* AKS's IGVM policy, and the appraisal that expects it */
    CHECK_EQ_U64(m->measure.igvm.guest_policy, 0x3001f);
    CHECK(m->measure.appraisal.present);
    CHECK_EQ_U64(m->measure.appraisal.guest_policy, 0x3001f);
    /* the files it ships itself are in the tree (agent/ and keys/ are inputs from elsewhere) */
    for (size_t i = 0; i < m->nfiles; i++)
        if (!startswith(m->files[i].src, "manifests/agent/") && access(m->files[i].src, R_OK) < 0)
            FAIL_("%s: files[%zu]: %s is missing", m->path, i, m->files[i].src);
    manifest_free(m);
}

TEST(local_package_license_rules)
{
    expect_error(with("local-packages: [{path: a.rpm, license: MIT}]\n"),
                 "m.yaml:5: local-packages[0]: the license comes from the package's header for 'a.rpm'");
    expect_error(with("local-packages: [{path: a.deb, name: x}]\n"),
                 "m.yaml:5: local-packages[0]: name and version come from the package itself for 'a.deb'");
    struct manifest *m = parse(with("local-packages: [{path: a.deb, license: GPL-2.0-only}]\n"));
    CHECK(m != NULL);
    CHECK_STR(m->locals[0].license, "GPL-2.0-only");
    manifest_free(m);
}

/* Issue 17: a shell or home with a newline or ':' wrote extra /etc/passwd
 * lines (a passwordless root); every account field refuses them. */
TEST(account_fields_refuse_separators_and_control_bytes)
{
    expect_error(with("accounts: {users: [{name: a, uid: 5, gid: 5, shell: \"/sbin/nologin\\nevil::0:0::/root:/bin/sh\"}]}\n"),
                 "m.yaml:5: accounts.users[0].shell: contains ':', a newline or another control character");
    expect_error(with("accounts: {users: [{name: a, uid: 5, gid: 5, home: '/x:0:0:'}]}\n"),
                 "m.yaml:5: accounts.users[0].home: contains ':', a newline or another control character");
    expect_error(with("accounts: {users: [{name: a, uid: 5, gid: 5}, {name: b, uid: 6, gid: 6, gecos: \"B\\tb\"}]}\n"),
                 "m.yaml:5: accounts.users[1].gecos: contains ':', a newline or another control character");
    expect_error(with("accounts: {users: [{name: a, uid: 5, gid: 5, gecos: \"x\\x7f\"}]}\n"),
                 "m.yaml:5: accounts.users[0].gecos: contains ':', a newline or another control character");
    expect_error(with("accounts: {users: [{name: toor, uid: 0, gid: 0}]}\n"),
                 "m.yaml:5: accounts.users[0].uid: 0 is root's uid: user 'toor' would be a second root account");
    expect_error(with("accounts: {users: [{name: root, uid: 0, gid: 0}, {name: r2, uid: 0, gid: 5}]}\n"),
                 "m.yaml:5: accounts.users[1].uid: 0 is root's uid: user 'r2' would be a second root account");
    expect_error(with("accounts: {users: [{name: 'a:b', uid: 5, gid: 5}]}\n"),
                 "m.yaml:5: accounts.users[0].name: 'a:b' is not a valid name (letters, digits, '.', '_', '+', '-')");
    expect_error(with("accounts: {groups: [{name: \"g\\n\", gid: 5}]}\n"),
                 "m.yaml:5: accounts.groups[0].name: 'g\\n' is not a valid name (letters, digits, '.', '_', '+', '-')");
}

TEST(epoch_past_the_image_limit_names_the_key)
{
    expect_error("name: x\nversion: '1'\nepoch: 4294967296\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n",
                 "m.yaml:3: epoch: 4294967296 is past 4294967295, the last second an image timestamp holds");
    expect_error("name: x\nversion: '1'\nepoch: -1\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n",
                 "m.yaml:3: epoch: expected a non-negative integer, got '-1'");
}

/* 100,000 package names (the most a list takes): the duplicate check is a
 * sort, not a comparison of every pair; the first repeated name in file
 * order is the one reported. */
TEST(duplicate_check_scales_to_100000_names)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "name: x\nversion: '1'\nepoch: 0\nseed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
                 "repositories: [{name: a, baseurl: 'file:///r', gpgcheck: false}]\npackages:\n");
    for (int i = 0; i < 100000; i++)
        sb_printf(&sb, "- p%d\n", i);
    struct manifest *m = parse(sb.buf);
    CHECK(m != NULL);
    if (m)
        CHECK_EQ_U64(m->npackages, 100000);
    manifest_free(m);
    /* p7 again at index 99999 and p3 at 99998: p3's second listing comes first */
    char *at = strstr(sb.buf, "- p99998\n");
    memcpy(at, "- p3    ", 8);
    at = strstr(sb.buf, "- p99999\n");
    memcpy(at, "- p7    ", 8);
    expect_error(sb.buf, "m.yaml:100005: packages[99998]: 'p3' is listed twice");
    CHECK_EQ_U64(strv_find_duplicate((char *[]){"a", "b", "c"}, 3), 3);
    CHECK_EQ_U64(strv_find_duplicate((char *[]){"b", "a", "c", "a", "b"}, 5), 3);
    sb_release(&sb);
}
