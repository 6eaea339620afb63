/* release.json (canonical writer, strict parser), signatures checked by
 * the openssl command line, the published measurement formats checked
 * against Python's json and base64, files.tsv parsing and diffing. */
#include "harness.h"

#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"
#include "release/assemble.h"
#include "builder/fs/rootfs.h"
#include "builder/fs/tree.h"
#include "common/hash.h"
#include "common/hex.h"
#include "release/compare.h"
#include "release/files.h"
#include "release/measurements.h"
#include "release/outdir.h"
#include "release/publish.h"
#include "release/release.h"
#include "release/sign.h"
#include "release/verify.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define H32(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
               c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define H48(c) H32(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static struct release_artifact fixture_artifacts[3];
static struct release_measurement fixture_measurements[2];
static struct release_file_digest fixture_config_inputs[2];

static struct release fixture(void)
{
    fixture_artifacts[0] = (struct release_artifact){"vmlinuz", 8000000, H32("b")};
    fixture_artifacts[1] = (struct release_artifact){"kata-containers.img", 134217728, H32("a")};
    fixture_artifacts[2] = (struct release_artifact){"cmdline.txt", 300, H32("c")};
    fixture_measurements[0] = (struct release_measurement){
        "snp", "QEMU", 4, "EPYC-v4", 0x800f12, 1, H32("d"), false, H48("e")};
    fixture_measurements[1] = (struct release_measurement){
        "snp", "QEMU", 1, "EPYC-v4", 0x800f12, 1, H32("d"), false, H48("f")};
    /* in the order they apply: not sorted */
    fixture_config_inputs[0] = (struct release_file_digest){"profiles/demo.list", H32("8")};
    fixture_config_inputs[1] = (struct release_file_digest){"fragments/base.conf", H32("7")};
    return (struct release){
        .schema = RELEASE_SCHEMA, .name = "demo", .version = "1.0", .epoch = 1700000000,
        .tool_name = "guestimg", .tool_version = "0.1.0", .manifest_sha256 = H32("1"),
        .lock_sha256 = H32("2"), .image = "kata-containers.img", .kernel = "vmlinuz", .svn = 3,
        .kernel_provenance = {"profile", "linux-6.1.0", H32("6"), "demo", fixture_config_inputs, 2},
        .artifacts = fixture_artifacts, .nartifacts = 3,
        .verity = {H32("9"), "00112233", 32768, 4096, 4096, 0, "kata"},
        .cmdline = "console=hvc0 root=/dev/dm-0 dm-mod.create=\"dm-verity,,,ro,0 262144 verity 1 ...\"",
        .measurements = fixture_measurements, .nmeasurements = 2};
}

TEST(canonical_json_round_trip)
{
    struct release r = fixture();
    _cleanup_free_ char *s = release_to_json(&r);
    CHECK(s && s[strlen(s) - 1] == '\n');
    CHECK(!strchr(s, ' ') || strstr(s, "console=hvc0 root")); /* only inside strings */
    /* sorted: artifacts by name, measurements by vcpus */
    CHECK(strstr(s, "cmdline.txt") < strstr(s, "kata-containers.img"));
    CHECK(strstr(s, "\"vcpus\":1") < strstr(s, "\"vcpus\":4"));
    CHECK(startswith(s, "{\"artifacts\":[{\"name\":\"cmdline.txt\",\"sha256\":\""));
    struct release back;
    CHECK_EQ_INT(release_parse(s, strlen(s), "release.json", &back), 0);
    CHECK_STR(back.cmdline, r.cmdline);
    CHECK_EQ_U64(back.verity.data_blocks, 32768);
    CHECK_EQ_U64(back.measurements[0].vcpu_sig, 0x800f12);
    CHECK(!back.measurements[0].kernel_hashes);
    CHECK_STR(release_artifact(&back, "vmlinuz")->sha256, H32("b"));
    CHECK_STR(back.kernel_provenance.profile, "demo");
    CHECK_EQ_U64(back.kernel_provenance.nconfig_inputs, 2);
    CHECK_STR(back.kernel_provenance.config_inputs[1].name, "fragments/base.conf");
    _cleanup_free_ char *again = release_to_json(&back);
    CHECK_STR(again, s);
    release_free(&back);
}

/* A kernel from a package or a file has no profile: the optional keys are
 * left out, and read back as absent. */
TEST(kernel_provenance_without_a_profile)
{
    struct release r = fixture();
    r.kernel_provenance = (struct release_kernel_provenance){"package", "pkg:rpm/azurelinux/kernel@6.6-1?arch=x86_64",
                                                             H32("6"), NULL, NULL, 0};
    _cleanup_free_ char *s = release_to_json(&r);
    CHECK(strstr(s, "\"kernel_provenance\":{\"from\":\"package\",\"source\":\"pkg:rpm/azurelinux/kernel@6.6-1?arch=x86_64\","
                    "\"source_sha256\":\"" H32("6") "\"}"));
    struct release back;
    CHECK_EQ_INT(release_parse(s, strlen(s), "release.json", &back), 0);
    CHECK(back.kernel_provenance.profile == NULL && back.kernel_provenance.nconfig_inputs == 0);
    release_free(&back);
}

/* Parse text made by editing the fixture's JSON; expect an error with msg. */
static void expect_edit_error(struct release r, const char *from, const char *to, const char *msg)
{
    _cleanup_free_ char *s = release_to_json(&r);
    char *at = strstr(s, from);
    if (!at)
        FAIL_("fixture has no '%s'", from);
    _cleanup_free_ char *edited = xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    struct release back;
    err_clear();
    int rc = release_parse(edited, strlen(edited), "release.json", &back);
    if (rc >= 0)
        FAIL_("'%s' -> '%s' parsed", from, to);
    if (!strstr(err_msg(), msg))
        FAIL_("error '%s' does not contain '%s'", err_msg(), msg);
    CHECK(back.artifacts == NULL && back.name == NULL);
    release_free(&back);
}

static void expect_parse_error(const char *from, const char *to, const char *msg)
{
    expect_edit_error(fixture(), from, to, msg);
}

/* The appraisal object: sorted keys, the optional ones left out when
 * absent, read back the same; no appraisal, no key. */
TEST(appraisal_round_trip)
{
    struct release r = fixture();
    _cleanup_free_ char *none = release_to_json(&r);
    CHECK(!strstr(none, "appraisal"));
    r.has_appraisal = true;
    r.appraisal = (struct release_appraisal){0x3001f, 0, "bl=3,tee=0,snp=8,ucode=115", H48("1"), NULL};
    _cleanup_free_ char *s = release_to_json(&r);
    CHECK(strstr(s, "\"appraisal\":{\"guest_policy\":196639,\"id_key_digest\":\"" H48("1") "\","
                    "\"min_tcb\":\"bl=3,tee=0,snp=8,ucode=115\",\"vmpl\":0},\"artifacts\":"));
    struct release back;
    CHECK_EQ_INT(release_parse(s, strlen(s), "release.json", &back), 0);
    CHECK(back.has_appraisal);
    CHECK_EQ_U64(back.appraisal.guest_policy, 0x3001f);
    CHECK_STR(back.appraisal.min_tcb, "bl=3,tee=0,snp=8,ucode=115");
    CHECK_STR(back.appraisal.id_key_digest, H48("1"));
    CHECK(back.appraisal.author_key_digest == NULL);
    _cleanup_free_ char *again = release_to_json(&back);
    CHECK_STR(again, s);
    release_free(&back);
    /* only policy and VMPL */
    r.appraisal = (struct release_appraisal){0x30000, 2, NULL, NULL, NULL};
    _cleanup_free_ char *bare = release_to_json(&r);
    CHECK(strstr(bare, "\"appraisal\":{\"guest_policy\":196608,\"vmpl\":2}"));
    CHECK_EQ_INT(release_parse(bare, strlen(bare), "release.json", &back), 0);
    CHECK(back.has_appraisal && back.appraisal.vmpl == 2 && !back.appraisal.min_tcb && !back.appraisal.id_key_digest);
    release_free(&back);
    expect_edit_error(r, "\"vmpl\":2", "\"vmpl\":4", "release.json: appraisal.vmpl 4 is outside 0..3");
    expect_edit_error(r, "\"vmpl\":2", "\"vmpl\":2,\"debug\":true", "release.json: unknown key appraisal.debug");
    expect_edit_error(r, ",\"vmpl\":2", "", "release.json: missing key appraisal.vmpl");
}

TEST(parser_rejects_unknown_missing_and_mistyped_keys)
{
    expect_parse_error("{\"artifacts\"", "{\"extra\":1,\"artifacts\"", "release.json: unknown key extra");
    expect_parse_error("\"layout\":\"kata\"", "\"layout\":\"kata\",\"x\":null", "unknown key verity.x");
    expect_parse_error("{\"name\":\"vmlinuz\"", "{\"bad\":0,\"name\":\"vmlinuz\"", "unknown key artifacts[2].bad");
    expect_parse_error("\"cmdline\":", "\"cmdlinE\":", "unknown key cmdlinE");
    expect_parse_error("\"svn\":3,", "", "missing key svn");
    expect_parse_error(",\"salt\":\"00112233\"", "", "missing key verity.salt");
    expect_parse_error("\"tool\":{\"name\":\"guestimg\",", "\"tool\":{", "missing key tool.name");
    expect_parse_error("\"epoch\":1700000000", "\"epoch\":\"1700000000\"", "epoch must be an integer, not a string");
    expect_parse_error("\"epoch\":1700000000", "\"epoch\":1.5", "epoch must be an integer, not a number with a fraction");
    expect_parse_error("\"epoch\":1700000000", "\"epoch\":-1", "epoch -1 is outside");
    expect_parse_error("\"kernel_hashes\":false", "\"kernel_hashes\":0", "measurements[0].kernel_hashes must be a boolean, not an integer");
    expect_parse_error("\"vcpus\":1", "\"vcpus\":0", "measurements[0].vcpus 0 is outside 1..4096");
    expect_parse_error("\"data_blocks\":32768", "\"data_blocks\":1099511627777", "verity.data_blocks 1099511627777 is outside 1..1099511627776");
    expect_parse_error("\"verity\":{", "\"verity\":[],\"v\":{", "unknown key v");
    expect_parse_error("\"measurements\":[", "\"measurements\":{\"a\":1},\"m\":[", "unknown key m");
    expect_parse_error("{\"artifacts\":[", "{\"artifacts\":[3,", "artifacts[0] must be an object, not an integer");
    expect_parse_error("\"name\":\"demo\"", "\"name\":\"\"", "name is empty");
    expect_parse_error("\"name\":\"demo\"", "\"name\":null", "name must be a string, not null");
}

TEST(parser_rejects_bad_values)
{
    expect_parse_error("\"from\":\"profile\"", "\"from\":\"git\"",
                       "release.json: kernel_provenance.from 'git' is not profile, package or file");
    expect_parse_error("\"from\":\"profile\"", "\"from\":\"file\"",
                       "release.json: kernel_provenance: profile and config_inputs go with from 'profile', and only with it");
    expect_parse_error("\"profile\":\"demo\",", "",
                       "release.json: kernel_provenance: profile and config_inputs go with from 'profile'");
    expect_parse_error("\"source\":\"linux-6.1.0\",", "", "release.json: missing key kernel_provenance.source");
    expect_parse_error("\"name\":\"fragments/base.conf\"", "\"name\":\"fragments/../../etc/shadow\"",
                       "release.json: kernel_provenance.config_inputs[1].name 'fragments/../../etc/shadow' is not "
                       "profiles/NAME or fragments/NAME");
    expect_parse_error("\"name\":\"fragments/base.conf\"", "\"name\":\"/etc/base.conf\"",
                       "config_inputs[1].name '/etc/base.conf' is not");
    expect_parse_error("\"name\":\"fragments/base.conf\"", "\"name\":\"fragments/..\"",
                       "config_inputs[1].name 'fragments/..' is not");
    expect_parse_error("{\"name\":\"profiles/demo.list\",\"sha256\":\"" H32("8") "\"}",
                       "{\"name\":\"profiles/demo.list\",\"sha256\":\"88\"}",
                       "kernel_provenance.config_inputs[0].sha256 must be 32 bytes in lower-case hex");
    expect_parse_error("\"lock_sha256\":\"2222", "\"lock_sha256\":\"2G22", "lock_sha256 must be 32 bytes in lower-case hex");
    expect_parse_error("\"lock_sha256\":\"2222", "\"lock_sha256\":\"22222", "lock_sha256 must be 32 bytes");
    expect_parse_error("\"root_hash\":\"9999", "\"root_hash\":\"99", "verity.root_hash must be 32 bytes");
    expect_parse_error("\"digest\":\"ffff", "\"digest\":\"ffffffff", "digest must be 32 or 48 bytes");
    expect_parse_error("\"digest\":\"ffff", "\"digest\":\"FFff", "digest must be 32 or 48 bytes");
    expect_parse_error("\"name\":\"cmdline.txt\"", "\"name\":\"../etc/passwd\"", "artifacts[0].name '../etc/passwd' is not a plain file name");
    expect_parse_error("\"name\":\"cmdline.txt\"", "\"name\":\"..\"", "is not a plain file name");
    expect_parse_error("\"name\":\"cmdline.txt\"", "\"name\":\"a\\nb\"", "is not a plain file name");
    expect_parse_error("\"name\":\"cmdline.txt\"", "\"name\":\"vmlinuz\"", "artifacts[2].name: vmlinuz is listed twice");
    expect_parse_error("\"image\":\"kata-containers.img\"", "\"image\":\"other.img\"", "image: other.img is not among the artifacts");
    expect_parse_error("\"schema\":\"guestimg-release/1\"", "\"schema\":\"guestimg-release/2\"", "schema 'guestimg-release/2' is not supported");
    expect_parse_error("\"svn\":3", "\"svn\":3,\"svn\":4", "invalid JSON: duplicate object key");
    expect_parse_error("\"svn\":3", "\"svn\":3,", "release.json:1: invalid JSON");
    expect_parse_error("\"name\":\"demo\"", "\"name\":\"de\\u0000mo\"", "invalid JSON");
    expect_parse_error("\"size\":300", "\"size\":99999999999999999999", "invalid JSON");
}

TEST(parser_rejects_a_non_object)
{
    struct release r;
    CHECK(release_parse("[]", 2, "x.json", &r) < 0);
    CHECK_STR(err_msg(), "x.json: the document must be an object, not an array");
    CHECK(release_parse("", 0, "x.json", &r) < 0);
}

/* ------------------------------------------------------------ signing --- */

static char tmpdir[] = "/tmp/test_release.XXXXXX";

static const char *tmp(const char *name)
{
    static char path[8][4096];
    static int k;
    k = (k + 1) % 8;
    snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
    return path[k];
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = NULL;
    if (vasprintf(&cmd, fmt, ap) < 0)
        abort();
    va_end(ap);
    _cleanup_free_ char *full = xasprintf("cd %s && (%s) >out.log 2>&1", tmpdir, cmd);
    free(cmd);
    int rc = system(full);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static bool have_openssl(void)
{
    return access("/usr/bin/openssl", X_OK) == 0;
}

TEST(setup)
{
    CHECK(mkdtemp(tmpdir));
}

static void write_file(const char *name, const void *data, size_t len)
{
    if (file_write_atomic(tmp(name), data, len, 0644) < 0)
        FAIL_("%s", err_msg());
}

/* Sign with our code, then check with the exact command docs/README give. */
static void sign_and_check(const char *genkey, const char *openssl_verify)
{
    if (!have_openssl())
        SKIP("openssl command line not installed");
    CHECK_EQ_INT(sh("%s && openssl pkey -in key.pem -pubout -out pub.pem", genkey), 0);
    struct release r = fixture();
    _cleanup_free_ char *s = release_to_json(&r);
    write_file("release.json", s, strlen(s));
    _cleanup_free_ uint8_t *sig = NULL;
    size_t siglen;
    CHECK_EQ_INT(release_check_key(tmp("key.pem")), 0);
    CHECK_EQ_INT(release_sign(tmp("key.pem"), s, strlen(s), &sig, &siglen), 0);
    write_file("release.json.sig", sig, siglen);
    CHECK_EQ_INT(sh("%s", openssl_verify), 0);
    CHECK_EQ_INT(release_verify_signature(tmp("pub.pem"), s, strlen(s), sig, siglen), 0);
    /* one byte changed: both say no */
    s[10] ^= 1;
    write_file("release.json", s, strlen(s));
    CHECK(sh("%s", openssl_verify) != 0);
    CHECK_EQ_INT(release_verify_signature(tmp("pub.pem"), s, strlen(s), sig, siglen), -EBADMSG);
    CHECK(strstr(err_msg(), "the signature does not match"));
}

TEST(ecdsa_p384_signature_verifies_with_openssl_dgst)
{
    sign_and_check("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out key.pem",
                   "openssl dgst -sha384 -verify pub.pem -signature release.json.sig release.json");
}

TEST(ed25519_signature_verifies_with_openssl_pkeyutl)
{
    sign_and_check("openssl genpkey -algorithm ED25519 -out key.pem",
                   "openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in release.json -sigfile release.json.sig");
}

TEST(openssl_signatures_verify_with_ours)
{
    if (!have_openssl())
        SKIP("openssl command line not installed");
    write_file("data", "hello\n", 6);
    CHECK_EQ_INT(sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out k.pem && "
                    "openssl pkey -in k.pem -pubout -out p.pem && "
                    "openssl dgst -sha384 -sign k.pem -out data.sig data"), 0);
    _cleanup_free_ uint8_t *sig = NULL;
    size_t len;
    CHECK_EQ_INT(file_read_all(tmp("data.sig"), &sig, &len, 0), 0);
    CHECK_EQ_INT(release_verify_signature(tmp("p.pem"), "hello\n", 6, sig, len), 0);
    /* a different key of the right type: no */
    CHECK_EQ_INT(sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out k2.pem && "
                    "openssl pkey -in k2.pem -pubout -out p2.pem"), 0);
    CHECK_EQ_INT(release_verify_signature(tmp("p2.pem"), "hello\n", 6, sig, len), -EBADMSG);
}

static void expect_key_error(const char *genkey, const char *msg, bool private)
{
    if (!have_openssl())
        SKIP("openssl command line not installed");
    CHECK_EQ_INT(sh("rm -f bad.pem && %s", genkey), 0);
    uint8_t *sig = NULL;
    size_t len;
    err_clear();
    int rc = private ? release_sign(tmp("bad.pem"), "x", 1, &sig, &len)
                     : release_verify_signature(tmp("bad.pem"), "x", 1, (const uint8_t *)"x", 1);
    CHECK(rc < 0 && rc != -EBADMSG);
    CHECK(sig == NULL);
    if (private) {
        char first[512];
        snprintf(first, sizeof(first), "%s", err_msg());
        CHECK(release_check_key(tmp("bad.pem")) < 0);
        CHECK_STR(err_msg(), first);
    }
    if (!strstr(err_msg(), msg) || !strstr(err_msg(), "bad.pem"))
        FAIL_("error '%s' does not name the file and '%s'", err_msg(), msg);
}

TEST(unsupported_keys_are_named)
{
    expect_key_error("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bad.pem",
                     "unsupported key type EC prime256v1 (use ECDSA P-384 or Ed25519)", true);
    expect_key_error("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out bad.pem",
                     "unsupported key type RSA 2048-bit", true);
    expect_key_error("openssl genpkey -algorithm ED448 -out bad.pem", "unsupported key type ED448", true);
    expect_key_error("openssl genpkey -algorithm ED448 -out k448.pem && openssl pkey -in k448.pem -pubout -out bad.pem",
                     "unsupported key type ED448", false);
    expect_key_error("openssl genpkey -algorithm ED25519 -aes256 -pass pass:secret -out bad.pem",
                     "encrypted private keys are not supported", true);
    expect_key_error("echo hello > bad.pem", "not a PEM private key", true);
    expect_key_error("openssl genpkey -algorithm ED25519 -out bad.pem", "is a private key; give the public key", false);
    expect_key_error("true", "bad.pem: cannot open", true);
    expect_key_error("touch bad.pem && chmod 000 bad.pem && [ $(id -u) -ne 0 ] || rm bad.pem", "bad.pem: cannot open", true);
}

/* ----------------------------------------------- published measurements --- */

static bool have_python(void)
{
    return access("/usr/bin/python3", X_OK) == 0;
}

TEST(measurement_json_is_what_igvm_tooling_writes)
{
    if (!have_python())
        SKIP("/usr/bin/python3 not installed");
    _cleanup_free_ char *ours = publish_measurement_json(H48("e"), 2);
    /* igvmgen: json.dump({"x-ms-sevsnpvm-guestsvn": args.svn (a str),
     * "x-ms-sevsnpvm-launchmeasurement": digest.hex()}, f, indent=2) */
    CHECK_EQ_INT(sh("/usr/bin/python3 -c 'import json,sys; json.dump({\"x-ms-sevsnpvm-guestsvn\": \"2\", "
                    "\"x-ms-sevsnpvm-launchmeasurement\": sys.argv[1]}, open(\"m.json\", \"w\"), indent=2)' %s",
                    H48("e")), 0);
    _cleanup_free_ uint8_t *theirs = NULL;
    size_t len;
    CHECK_EQ_INT(file_read_all(tmp("m.json"), &theirs, &len, 0), 0);
    CHECK_EQ_U64(len, strlen(ours));
    CHECK_MEM(theirs, ours, len);
}

TEST(measurement_file_names)
{
    struct release r = fixture();
    _cleanup_free_ char *a = publish_measurement_file_name(&r, &r.measurements[0]);
    CHECK_STR(a, "measurement-snp-QEMU-EPYC-v4-4.json");
    r.measurements[1].mode = "seves";
    _cleanup_free_ char *b = publish_measurement_file_name(&r, &r.measurements[0]);
    CHECK_STR(b, "measurement.json");
    r.measurements[0].mode = "snp:svsm";
    r.measurements[1].mode = "snp";
    _cleanup_free_ char *c = publish_measurement_file_name(&r, &r.measurements[0]);
    CHECK_STR(c, "measurement-snp_svsm-QEMU-EPYC-v4-4.json");
}

TEST(trustee_message_decodes_to_the_reference_values)
{
    if (!have_python())
        SKIP("/usr/bin/python3 not installed");
    struct release r = fixture();
    struct release_measurement m[3] = {r.measurements[0], r.measurements[1], r.measurements[0]};
    m[2].mode = "seves";
    m[2].digest = H32("7"); /* SEV-ES digests never reach an SNP verifier */
    r.measurements = m;
    r.nmeasurements = 3;
    _cleanup_free_ char *msg = publish_trustee_message(&r);
    CHECK(msg);
    write_file("rv.json", msg, strlen(msg));
    /* decoded as trustee's rvps does: base64 of a JSON object name -> values */
    CHECK_EQ_INT(sh("/usr/bin/python3 -c 'import json,base64; m=json.load(open(\"rv.json\")); "
                    "assert m[\"version\"] == \"0.1.0\" and m[\"type\"] == \"sample\", m; "
                    "p=json.loads(base64.b64decode(m[\"payload\"], validate=True)); "
                    "assert p == {\"snp_launch_measurement\": [\"%s\", \"%s\"]}, p'",
                    H48("e"), H48("f")), 0);
    r.nmeasurements = 0;
    CHECK(publish_trustee_message(&r) == NULL);
}

/* IGVM entries: their artifacts must be the release's, their settings
 * igvmgen's values; the production digest is a trustee reference value,
 * the debug one is not. */
static struct release_artifact igvm_artifacts[6];
static struct release_igvm igvm_entries[2];
static struct release_file_digest igvm_acpi[1];

static struct release igvm_fixture(void)
{
    struct release r = fixture();
    memcpy(igvm_artifacts, fixture_artifacts, sizeof(fixture_artifacts));
    igvm_artifacts[3] = (struct release_artifact){"kata-containers-igvm.img", 9000000, H32("3")};
    igvm_artifacts[4] = (struct release_artifact){"igvm-measurement.cose", 150, H32("4")};
    igvm_artifacts[5] = (struct release_artifact){"acpi-DSDT.aml", 1200, H32("5")};
    igvm_acpi[0] = (struct release_file_digest){"acpi-DSDT.aml", H32("5")};
    igvm_entries[0] = (struct release_igvm){
        .name = "kata-containers-igvm.img", .variant = "production", .digest = H48("a"),
        .cmdline = "dm-mod.create=\"x\" \troot=/dev/dm-0 quiet", .boot_mode = "x64", .vtl = 0, .svme = true,
        .encrypted_page = true, .pvalidate_opt = true, .acpi = igvm_acpi, .nacpi = 1, .guest_policy = 0x3001f,
        .id_key_digest = H48("b"), .measurement_file = "igvm-measurement.cose"};
    r.artifacts = igvm_artifacts;
    r.nartifacts = 6;
    r.igvms = igvm_entries;
    r.nigvms = 1;
    return r;
}

TEST(igvm_entries_round_trip_byte_for_byte)
{
    struct release r = igvm_fixture();
    _cleanup_free_ char *s = release_to_json(&r);
    CHECK(strstr(s, "\"igvm\":[{\"acpi\":[{\"name\":\"acpi-DSDT.aml\""));
    CHECK(strstr(s, "\"cmdline\":\"dm-mod.create=\\\"x\\\" \\troot=/dev/dm-0 quiet\""));
    struct release back;
    CHECK_EQ_INT(release_parse(s, strlen(s), "release.json", &back), 0);
    CHECK_EQ_U64(back.nigvms, 1);
    CHECK_STR(back.igvms[0].cmdline, "dm-mod.create=\"x\" \troot=/dev/dm-0 quiet");
    CHECK_EQ_U64(back.igvms[0].guest_policy, 0x3001f);
    CHECK(back.igvms[0].svme && back.igvms[0].vtl == 0);
    _cleanup_free_ char *again = release_to_json(&back);
    CHECK_STR(again, s);
    release_free(&back);
    /* without IGVM files the key is left out */
    struct release plain = fixture();
    _cleanup_free_ char *p = release_to_json(&plain);
    CHECK(!strstr(p, "\"igvm\""));
}

static void expect_igvm_error(const char *from, const char *to, const char *msg)
{
    expect_edit_error(igvm_fixture(), from, to, msg);
}

TEST(igvm_entries_must_name_artifacts_and_igvmgen_values)
{
    expect_igvm_error("\"name\":\"kata-containers-igvm.img\",\"pvalidate_opt\"",
                      "\"name\":\"other.img\",\"pvalidate_opt\"", "igvm[0].name: other.img is not among the artifacts");
    expect_igvm_error("\"measurement_file\":\"igvm-measurement.cose\"", "\"measurement_file\":\"m.json\"",
                      "igvm[0].measurement_file: m.json is not among the artifacts");
    expect_igvm_error("\"acpi\":[{\"name\":\"acpi-DSDT.aml\"", "\"acpi\":[{\"name\":\"acpi-X.aml\"",
                      "igvm[0].acpi[0].name: acpi-X.aml is not among the artifacts");
    expect_igvm_error("\"variant\":\"production\"", "\"variant\":\"prod\"",
                      "igvm[0].variant: 'prod' is not production or debug");
    expect_igvm_error("\"boot_mode\":\"x64\"", "\"boot_mode\":\"arm\"", "igvm[0].boot_mode: 'arm' is not x64 or x86");
    expect_igvm_error("\"vtl\":0", "\"vtl\":3", "igvm[0].vtl 3 is outside 0..2");
    expect_igvm_error("\"digest\":\"" H48("a") "\"", "\"digest\":\"" H32("a") "\"", "igvm[0].digest");
    expect_igvm_error("\"acpi\":[{\"name\":\"acpi-DSDT.aml\"", "\"acpi\":[{\"name\":\"../etc/x\"",
                      "igvm[0].acpi[0].name: ../etc/x is not among the artifacts");
}

TEST(trustee_message_takes_production_igvm_digests_only)
{
    if (!have_python())
        SKIP("/usr/bin/python3 not installed");
    struct release r = igvm_fixture();
    struct release_igvm g[2] = {igvm_entries[0], igvm_entries[0]};
    g[1].name = "kata-containers-igvm-debug.img";
    g[1].variant = "debug";
    g[1].digest = H48("c");
    r.igvms = g;
    r.nigvms = 2;
    r.nmeasurements = 0;
    _cleanup_free_ char *msg = publish_trustee_message(&r);
    CHECK(msg);
    write_file("rv-igvm.json", msg, strlen(msg));
    CHECK_EQ_INT(sh("/usr/bin/python3 -c 'import json,base64; m=json.load(open(\"rv-igvm.json\")); "
                    "p=json.loads(base64.b64decode(m[\"payload\"], validate=True)); "
                    "assert p == {\"snp_launch_measurement\": [\"%s\"]}, p'", H48("a")), 0);
}

/* ----------------------------------------------------------- files.tsv --- */

#define HDR "#path\ttype\tmode\tuid\tgid\tsize\tcontent\txattrs\n"
#define SHA1 H32("1")
#define SHA2 H32("2")

static void parse_ok(const char *text, struct files_list *l)
{
    if (files_tsv_parse(text, strlen(text), "files.tsv", l) < 0)
        FAIL_("%s", err_msg());
}

struct seen {
    char lines[16][256];
    size_t n;
};

static void record(unsigned changes, const struct files_entry *a, const struct files_entry *b, void *ctx)
{
    struct seen *s = ctx;
    if (s->n < 16)
        snprintf(s->lines[s->n++], 256, "%u %s", changes, (a ? a : b)->path);
}

TEST(files_tsv_diff_classes)
{
    const char *a = HDR
        "/\tdir\t0755\t0\t0\t0\t-\t-\n"
        "/bin/sh\tsymlink\t0777\t0\t0\t0\tbash\t-\n"
        "/etc/a\\tb\tfile\t0644\t0\t0\t5\t" SHA1 "\t-\n"
        "/usr/bin/ping\tfile\t0755\t0\t0\t9\t" SHA1 "\tsecurity.capability=0100000200200000\n"
        "/gone\tfile\t0644\t0\t0\t1\t" SHA2 "\t-\n";
    const char *b = HDR
        "/\tdir\t0755\t0\t0\t0\t-\t-\n"
        "/bin/sh\tsymlink\t0777\t0\t0\t0\tdash\t-\n"
        "/etc/a\\tb\tfile\t0600\t0\t0\t5\t" SHA1 "\t-\n"
        "/usr/bin/ping\tfile\t0755\t0\t0\t9\t" SHA2 "\t-\n"
        "/new\tfifo\t0644\t0\t0\t0\t-\t-\n";
    struct files_list la, lb;
    parse_ok(a, &la);
    parse_ok(b, &lb);
    CHECK_EQ_U64(la.n, 5);
    CHECK_STR(la.v[1].path, "/bin/sh");
    CHECK_STR(la.v[2].path, "/etc/a\tb");
    struct seen s = {0};
    CHECK_EQ_U64(files_diff(&la, &lb, record, &s), 5);
    CHECK_STR(s.lines[0], "4 /bin/sh");
    CHECK_STR(s.lines[1], "8 /etc/a\tb");
    CHECK_STR(s.lines[2], "2 /gone");
    CHECK_STR(s.lines[3], "1 /new");
    CHECK_STR(s.lines[4], "12 /usr/bin/ping");
    struct seen none = {0};
    CHECK_EQ_U64(files_diff(&la, &la, record, &none), 0);
    files_list_free(&la);
    files_list_free(&lb);
}

static void expect_tsv_error(const char *text, const char *msg)
{
    struct files_list l;
    err_clear();
    if (files_tsv_parse(text, strlen(text), "files.tsv", &l) >= 0)
        FAIL_("parsed: %s", text);
    if (!strstr(err_msg(), msg))
        FAIL_("error '%s' does not contain '%s'", err_msg(), msg);
    CHECK(l.v == NULL && l.n == 0);
}

TEST(files_tsv_rejects_malformed_lines)
{
    expect_tsv_error(HDR "/\tdir\t0755\t0\t0\t0\t-\n", "files.tsv:2: 7 fields, expected 8");
    expect_tsv_error(HDR "/\tdir\t0755\t0\t0\t0\t-\t-\tx\n", "files.tsv:2: 9 fields");
    expect_tsv_error(HDR "/\tdirectory\t0755\t0\t0\t0\t-\t-\n", "unknown type 'directory'");
    expect_tsv_error(HDR "/\tdir\t755\t0\t0\t0\t-\t-\n", "mode '755' is not four octal digits");
    expect_tsv_error(HDR "/\tdir\t0855\t0\t0\t0\t-\t-\n", "mode '0855'");
    expect_tsv_error(HDR "/\tdir\t0755\t-1\t0\t0\t-\t-\n", "owner '-1:0'");
    expect_tsv_error(HDR "/\tdir\t0755\t0\t4294967296\t0\t-\t-\n", "owner '0:4294967296'");
    expect_tsv_error(HDR "/\tdir\t0755\t0\t0\t0x10\t-\t-\n", "size '0x10' is not a number");
    expect_tsv_error(HDR "/\tdir\t0755\t0\t0\t0\t\t-\n", "empty content or xattrs column");
    expect_tsv_error(HDR "etc\tdir\t0755\t0\t0\t0\t-\t-\n", "path 'etc' is not an escaped absolute path");
    expect_tsv_error(HDR "/a\\q\tdir\t0755\t0\t0\t0\t-\t-\n", "path '/a\\q'");
    expect_tsv_error(HDR "/a\\x00\tdir\t0755\t0\t0\t0\t-\t-\n", "path '/a\\x00'");
    expect_tsv_error(HDR "/a\\x4\tdir\t0755\t0\t0\t0\t-\t-\n", "path '/a\\x4'");
    expect_tsv_error(HDR "/a\tdir\t0755\t0\t0\t0\t-\t-\n/a\tdir\t0755\t0\t0\t0\t-\t-\n", "files.tsv: /a is listed twice");
    expect_tsv_error(HDR "/\tdir\t0755\t0\t0\t0\t-\t-", "the last line has no newline");
    expect_tsv_error("#x\n#y\n", "files.tsv:2: 1 fields");
    static const char nul[] = HDR "/\0\n";
    struct files_list l;
    CHECK(files_tsv_parse(nul, sizeof(nul) - 1, "files.tsv", &l) < 0);
    CHECK(strstr(err_msg(), "contains a NUL byte"));
}

TEST(files_tsv_empty_is_empty)
{
    struct files_list l;
    parse_ok("", &l);
    CHECK_EQ_U64(l.n, 0);
    parse_ok(HDR, &l);
    CHECK_EQ_U64(l.n, 0);
    files_list_free(&l);
}

/* ----------------------------------------------- assemble and verify --- */

static char *bash_deps[] = {"glibc"};
static struct package pkgs[] = {
    {.format = PKG_RPM, .name = "bash", .version = "5.2.15", .release = "3.azl3", .arch = "x86_64",
     .license = "GPL-3.0-or-later", .vendor = "Microsoft Corporation", .sha256 = H32("4"),
     .depends = bash_deps, .ndepends = 1},
    {.format = PKG_RPM, .name = "glibc", .version = "2.38", .release = "8.azl3", .arch = "x86_64",
     .license = "LGPL-2.1-or-later", .vendor = "Microsoft Corporation", .sha256 = H32("5")},
};

static void make_file(const char *name, size_t size, uint8_t seed)
{
    uint8_t *b = xmalloc(size);
    for (size_t i = 0; i < size; i++)
        b[i] = (uint8_t)(i * 131 + seed);
    write_file(name, b, size);
    free(b);
}

struct count {
    int ok, bad;
    char first_bad[512];
};

static void count_check(const struct verify_check *c, void *ctx)
{
    struct count *n = ctx;
    if (c->ok) {
        n->ok++;
        return;
    }
    if (!n->bad++)
        snprintf(n->first_bad, sizeof(n->first_bad), "%s: expected %s actual %s", c->what, c->expected,
                 c->actual);
}

static int verify_dir(const char *pub, struct count *n)
{
    memset(n, 0, sizeof(*n));
    struct verify_opts o = {tmp("rel/release.json"), pub ? tmp(pub) : NULL, NULL};
    return release_verify(&o, count_check, n);
}

static void flip_byte(const char *name, size_t off)
{
    _cleanup_free_ uint8_t *b = NULL;
    size_t len;
    CHECK_EQ_INT(file_read_all(tmp(name), &b, &len, 0), 0);
    CHECK(off < len);
    b[off] ^= 0x20;
    write_file(name, b, len);
}

static struct tree *sample_tree(const char *hello);

/* A real release: the image from rootfs_build (kata layout, verity), the
 * reference AmdSev firmware (it has the kernel-hashes section) and SNP
 * measurements for 1 and 4 vCPUs through the measure library. */
static void make_release(void)
{
    _cleanup_free_ char *ref = realpath(ref_dir(), NULL);
    CHECK(ref);
    CHECK_EQ_INT(sh("rm -rf rel && mkdir rel && cp '%s/snp/ovmf_AmdSev_suffix.bin' rel/OVMF.fd && "
                    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out sign.pem && "
                    "openssl pkey -in sign.pem -pubout -out sign.pub", ref), 0);
    make_file("rel/vmlinuz", 5000, 2);
    struct tree *t = sample_tree("hello\n");
    struct rootfs_opts ro = {.layout = ROOTFS_KATA, .epoch = 1700000000, .verity = true};
    struct rootfs_result res;
    CHECK_EQ_INT(rootfs_build(t, tmp("rel/kata-containers.img"), &ro, &res), 0);
    CHECK_EQ_INT(files_tsv_write(t, tmp("rel/files.tsv")), 0);
    tree_free(t);
    char root[65], salt[65], fw_sha[65];
    hex_encode(res.v.root_hash, 32, root);
    hex_encode(res.v.salt, 32, salt);
    CHECK_EQ_INT(sha256_file_hex(tmp("rel/OVMF.fd"), fw_sha, NULL), 0);
    _cleanup_free_ char *cmdline = xasprintf("console=hvc0 %s", res.cmdline);
    char *vmm[] = {"QEMU"}, *types[] = {"EPYC-v4"};
    uint32_t vcpus[] = {1, 4};
    struct measure_plan plan = {tmp("rel/OVMF.fd"), fw_sha, vmm, 1, vcpus, 2, types, 1, 1,
                                tmp("rel/vmlinuz"), NULL, cmdline};
    struct release_measurement *m;
    size_t nm;
    CHECK_EQ_INT(release_measure(&plan, &m, &nm), 0);
    CHECK_EQ_U64(nm, 2);
    CHECK(m[0].kernel_hashes);
    struct package_set set = {pkgs, ARRAY_SIZE(pkgs)};
    char kernel_sha[65];
    CHECK_EQ_INT(sha256_file_hex(tmp("rel/vmlinuz"), kernel_sha, NULL), 0);
    struct release_inputs in = {
        .dir = tmp("rel"), .name = "demo", .version = "1.0", .epoch = 1700000000,
        .manifest_sha256 = H32("1"), .lock_sha256 = H32("2"), .image = "kata-containers.img",
        .kernel = "vmlinuz", .kernel_version = "6.1.0", .svn = 3,
        .kernel_provenance = {"file", "bzImage", kernel_sha, NULL, NULL, 0},
        .verity = {root, salt, res.v.data_blocks, 4096, 4096, res.v.hash_offset, "kata"},
        .cmdline = cmdline, .measurements = m, .nmeasurements = nm, .packages = &set,
        .sign_key = tmp("sign.pem")};
    CHECK_EQ_INT(release_assemble(&in), 0);
    release_measurements_free(m, nm);
    rootfs_result_free(&res);
}

/* Against sev-snp-measure 0.0.13 (reference snp/vectors.tsv rows 5 and 7). */
TEST(measurements_match_sev_snp_measure)
{
    REQUIRE_REFERENCE();
    _cleanup_free_ char *amd = xasprintf("%s/snp/ovmf_AmdSev_suffix.bin", ref_dir());
    _cleanup_free_ char *x64 = xasprintf("%s/snp/ovmf_OvmfX64_suffix.bin", ref_dir());
    uint8_t *k = xmalloc(65536);
    memset(k, 'k', 65536);
    write_file("kernel-b.bin", k, 65536);
    free(k);
    /* --mode snp --vcpus 2 --vcpu-type EPYC-Genoa --vmm-type ec2 --kernel kernel-b.bin */
    char *ec2[] = {"ec2"}, *genoa[] = {"EPYC-Genoa"};
    uint32_t vcpus[] = {1, 2};
    struct measure_plan plan = {amd, H32("0"), ec2, 1, vcpus, 2, genoa, 1, 1, tmp("kernel-b.bin"), NULL, NULL};
    struct release_measurement *m;
    size_t n;
    CHECK_EQ_INT(release_measure(&plan, &m, &n), 0);
    CHECK_EQ_U64(n, 2);
    CHECK_EQ_U64(m[1].vcpus, 2);
    CHECK(m[1].kernel_hashes);
    CHECK_STR(m[1].digest, "2e1a56df0fa33768c1ac746b0ad9ffa69d763a21496813afd285e61b216ac90d"
                           "98f97fc9b9e28e16dae64eeeb7471b03");
    CHECK_STR(m[1].vmm_type, "ec2");
    release_measurements_free(m, n);
    /* OvmfX64 has no kernel-hashes section: the kernel is not measured, and
     * the entry says so (--mode snp --vcpus 1 EPYC-Milan --guest-features 0x21) */
    char *qemu[] = {"QEMU"}, *milan[] = {"EPYC-Milan"};
    struct measure_plan fw_only = {x64, H32("0"), qemu, 1, vcpus, 1, milan, 1, 0x21, tmp("kernel-b.bin"), NULL,
                                   "console=ttyS0"};
    CHECK_EQ_INT(release_measure(&fw_only, &m, &n), 0);
    CHECK(!m[0].kernel_hashes);
    CHECK_STR(m[0].digest, "06303c87659e61cf650ab12701c7f7fa5726a3310630638e0c93fe84f79cba10"
                           "1e128198825f2f86a17c39a3fa3a9cb2");
    release_measurements_free(m, n);
    /* bad names are errors naming them */
    char *bad[] = {"EPYC-Nonesuch"};
    fw_only.vcpu_types = bad;
    CHECK(release_measure(&fw_only, &m, &n) < 0);
    CHECK_STR(err_msg(), "unknown vCPU type 'EPYC-Nonesuch'");
    fw_only.vcpu_types = milan;
    fw_only.vmm_types = bad;
    CHECK(release_measure(&fw_only, &m, &n) < 0);
    CHECK(strstr(err_msg(), "unknown VMM type 'EPYC-Nonesuch'"));
}

TEST(assembled_release_verifies)
{
    REQUIRE_REFERENCE();
    if (!have_openssl())
        SKIP("openssl command line not installed");
    make_release();
    /* the published signature verifies with plain openssl */
    CHECK_EQ_INT(sh("cd rel && openssl dgst -sha384 -verify ../sign.pub -signature release.json.sig release.json"), 0);
    CHECK_EQ_INT(sh("cd rel && ls | tr '\\n' ' ' > ../ls.txt"), 0);
    _cleanup_free_ char *ls = NULL;
    CHECK_EQ_INT(file_read_text(tmp("ls.txt"), &ls, 0), 0);
    CHECK_STR(ls, "OVMF.fd cmdline.txt files.tsv kata-containers.img measurement-snp-QEMU-EPYC-v4-1.json "
                  "measurement-snp-QEMU-EPYC-v4-4.json provenance.dsse.json release.json release.json.sig "
                  "root_hash.txt sbom.cdx.json sbom.spdx.json trustee-reference-values.json vmlinuz ");

    struct count n;
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 0);
    /* signature, 11 artifacts, cmdline.txt, kernel provenance, verity root +
     * tree + cmdline table, 2 measurements, 2 measurement files, trustee,
     * 2 SBOMs x 2, the provenance's type, signature, subjects and statement */
    CHECK_EQ_INT(n.ok, 30);

    /* the CLI prints one line per check and exits 0 */
    const char *g = getenv("GUESTIMG");
    if (g && access(g, X_OK) == 0) {
        CHECK_EQ_INT(sh("%s verify rel/release.json --pubkey sign.pub > v.out", g), 0);
        CHECK_EQ_INT(sh("grep -c '^ok ' v.out | grep -qx 30 && tail -n1 v.out | grep -qx 'rel/release.json: all 30 checks passed'"), 0);
    }
}

TEST(verify_names_what_changed)
{
    REQUIRE_REFERENCE();
    if (!have_openssl())
        SKIP("openssl command line not installed");
    struct count n;
    /* one byte of the image */
    flip_byte("rel/kata-containers.img", 4096);
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 1);
    CHECK(startswith(n.first_bad, "artifact kata-containers.img sha256: expected "));
    flip_byte("rel/kata-containers.img", 4096);
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 0);
    /* one byte of the kernel: its digest and both measurements */
    flip_byte("rel/vmlinuz", 0);
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 3);
    CHECK(startswith(n.first_bad, "artifact vmlinuz sha256"));
    flip_byte("rel/vmlinuz", 0);
    /* a file gone, one grown */
    CHECK_EQ_INT(sh("mv rel/sbom.cdx.json sbom.cdx.json && echo >> rel/root_hash.txt"), 0);
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 3); /* cdx missing: artifact + sbom read; root_hash size */
    CHECK_EQ_INT(sh("mv sbom.cdx.json rel/ && truncate -s -1 rel/root_hash.txt"), 0);
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 0);
    /* one byte of release.json: the signature fails, and what the byte said */
    CHECK_EQ_INT(sh("cp rel/release.json saved.json && sed -i 's/console=hvc0/console=hvc1/' rel/release.json"), 0);
    /* signature, cmdline.txt, and the two measurements of the command line */
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 4);
    CHECK(startswith(n.first_bad, "signature "));
    CHECK_EQ_INT(verify_dir(NULL, &n), 3);
    CHECK(startswith(n.first_bad, "cmdline.txt matches release.json: expected console=hvc1"));
    CHECK_EQ_INT(sh("cp saved.json rel/release.json"), 0);
    /* a wrong public key */
    CHECK_EQ_INT(sh("openssl genpkey -algorithm ED25519 -out other.pem && openssl pkey -in other.pem -pubout -out other.pub"), 0);
    /* release.json's signature and the provenance's */
    CHECK_EQ_INT(verify_dir("other.pub", &n), 2);
    CHECK(strstr(n.first_bad, "expected a signature by this key actual a signature that does not verify"));
    /* no signature file */
    CHECK_EQ_INT(sh("mv rel/release.json.sig sig"), 0);
    CHECK_EQ_INT(verify_dir("sign.pub", &n), 1);
    CHECK(strstr(n.first_bad, "release.json.sig: cannot open"));
    CHECK_EQ_INT(sh("mv sig rel/release.json.sig"), 0);
    /* a key verify cannot use at all is an error, not a mismatch */
    CHECK_EQ_INT(sh("openssl genpkey -algorithm RSA -out rsa.pem && openssl pkey -in rsa.pem -pubout -out rsa.pub"), 0);
    CHECK(verify_dir("rsa.pub", &n) < 0);
    CHECK(strstr(err_msg(), "rsa.pub: unsupported key type RSA 2048-bit"));
}

TEST(assemble_refuses_what_it_cannot_publish)
{
    if (!have_openssl())
        SKIP("openssl command line not installed");
    struct release r = fixture();
    struct package_set set = {pkgs, 1}; /* bash without the glibc it depends on */
    struct release_inputs in = {
        .dir = tmp("rel2"), .name = "demo", .version = "1.0", .epoch = 1700000000,
        .manifest_sha256 = H32("1"), .lock_sha256 = H32("2"), .image = "kata-containers.img",
        .kernel = "vmlinuz", .kernel_version = "6.1.0", .kernel_provenance = r.kernel_provenance,
        .verity = r.verity, .cmdline = "ro", .packages = &set};
    CHECK_EQ_INT(sh("rm -rf rel2 && mkdir rel2"), 0);
    make_file("rel2/kata-containers.img", 4096, 1);
    make_file("rel2/vmlinuz", 10, 2);
    CHECK(release_assemble(&in) < 0);
    CHECK(strstr(err_msg(), "package bash depends on glibc"));
    CHECK(access(tmp("rel2/release.json"), F_OK) != 0);
    set.n = 2;
    CHECK_EQ_INT(sh("mkdir rel2/sub"), 0);
    CHECK(release_assemble(&in) < 0);
    CHECK(strstr(err_msg(), "rel2/sub: not a regular file with a plain name"));
    CHECK_EQ_INT(sh("rmdir rel2/sub && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem"), 0);
    in.sign_key = tmp("p256.pem");
    CHECK(release_assemble(&in) < 0);
    CHECK(strstr(err_msg(), "p256.pem: unsupported key type EC prime256v1"));
    CHECK(access(tmp("rel2/release.json"), F_OK) != 0);
}

/* ----------------------------------------------- files.tsv from a tree --- */

#define SHA_HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" /* sha256sum of "hello\n" */

static struct tree *sample_tree(const char *hello)
{
    struct tree *t = tree_new(NULL);
    struct tree_attr root = {0755, 0, 0, 0, "test"}, f = {0644, 0, 0, 0, "test"};
    struct tree_attr suid = {04755, 0, 0, 0, "test"}, user = {0600, 1000, 100, 0, "test"};
    if (tree_add_dir(t, "/etc", &root) < 0 || tree_add_file_buffer(t, "/etc/hello", hello, strlen(hello), &f) < 0 ||
        tree_add_file_buffer(t, "/etc/a\tb\nc", "", 0, &user) < 0 ||
        tree_add_file_buffer(t, "/usr/bin/ping", "ping", 4, &suid) < 0 ||
        tree_set_xattr(t, "/usr/bin/ping", "security.capability", "\x01\x00", 2) < 0 ||
        tree_add_hardlink(t, "/usr/bin/ping6", "/usr/bin/ping", &f) < 0 ||
        tree_add_symlink(t, "/bin", "usr/bin", &(struct tree_attr){0777, 0, 0, 0, "test"}) < 0 ||
        tree_add_special(t, "/dev/null", TREE_CHR, 1, 3, &(struct tree_attr){0666, 0, 0, 0, "test"}) < 0 ||
        tree_add_dir(t, "/etc-x", &root) < 0)
        FAIL_("%s", err_msg());
    return t;
}

TEST(files_tsv_from_a_tree)
{
    struct tree *t = sample_tree("hello\n");
    CHECK_EQ_INT(files_tsv_write(t, tmp("files.tsv")), 0);
    tree_free(t);
    _cleanup_free_ char *text = NULL;
    CHECK_EQ_INT(file_read_text(tmp("files.tsv"), &text, 0), 0);
    /* sorted by whole path: "/etc-x" before "/etc/…" ('-' < '/') */
    CHECK_STR(text, HDR
              "/\tdir\t0755\t0\t0\t0\t-\t-\n"
              "/bin\tsymlink\t0777\t0\t0\t0\tusr/bin\t-\n"
              "/dev\tdir\t0755\t0\t0\t0\t-\t-\n"
              "/dev/null\tchar\t0666\t0\t0\t0\t1:3\t-\n"
              "/etc\tdir\t0755\t0\t0\t0\t-\t-\n"
              "/etc-x\tdir\t0755\t0\t0\t0\t-\t-\n"
              "/etc/a\\tb\\nc\tfile\t0600\t1000\t100\t0\te3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\t-\n"
              "/etc/hello\tfile\t0644\t0\t0\t6\t" SHA_HELLO "\t-\n"
              "/usr\tdir\t0755\t0\t0\t0\t-\t-\n"
              "/usr/bin\tdir\t0755\t0\t0\t0\t-\t-\n"
              "/usr/bin/ping\tfile\t4755\t0\t0\t4\t"
              "758d61f26a44448384e5c4468a0dcb7a2abe456067b0f7b505bc28b9411fe931"
              "\tsecurity.capability=0100\n"
              "/usr/bin/ping6\thardlink\t4755\t0\t0\t4\t/usr/bin/ping\tsecurity.capability=0100\n");
    struct files_list a, b;
    parse_ok(text, &a);
    CHECK_STR(a.v[6].path, "/etc/a\tb\nc");
    /* a second tree with one file's content changed */
    t = sample_tree("hellO\n");
    CHECK_EQ_INT(files_tsv_write(t, tmp("files2.tsv")), 0);
    tree_free(t);
    _cleanup_free_ char *text2 = NULL;
    CHECK_EQ_INT(file_read_text(tmp("files2.tsv"), &text2, 0), 0);
    parse_ok(text2, &b);
    struct seen s = {0};
    CHECK_EQ_U64(files_diff(&a, &b, record, &s), 1);
    CHECK_STR(s.lines[0], "4 /etc/hello");
    files_list_free(&a);
    files_list_free(&b);
}

/* ------------------------------------------------------------- outdir --- */

static bool exists(const char *name)
{
    return access(tmp(name), F_OK) == 0;
}

TEST(outdir_publishes_whole_or_not_at_all)
{
    struct outdir o;
    CHECK_EQ_INT(outdir_begin(&o, tmp("out/rel")), 0);
    CHECK(startswith(o.tmp, tmp("out/.rel.tmp-")));
    _cleanup_free_ char *f = xasprintf("%s/release.json", o.tmp);
    CHECK_EQ_INT(file_write_atomic(f, "one\n", 4, 0644), 0);
    CHECK(!exists("out/rel"));
    CHECK_EQ_INT(outdir_commit(&o), 0);
    CHECK(exists("out/rel/release.json"));
    /* a second build replaces the first, leaving nothing else behind */
    CHECK_EQ_INT(outdir_begin(&o, tmp("out/rel")), 0);
    free(f);
    f = xasprintf("%s/release.json", o.tmp);
    CHECK_EQ_INT(file_write_atomic(f, "two\n", 4, 0644), 0);
    CHECK_EQ_INT(outdir_commit(&o), 0);
    _cleanup_free_ char *text = NULL;
    CHECK_EQ_INT(file_read_text(tmp("out/rel/release.json"), &text, 0), 0);
    CHECK_STR(text, "two\n");
    CHECK_EQ_INT(sh("ls -A out | tr '\\n' ' ' > ls.txt"), 0);
    _cleanup_free_ char *ls = NULL;
    CHECK_EQ_INT(file_read_text(tmp("ls.txt"), &ls, 0), 0);
    CHECK_STR(ls, "rel ");
    /* a failed build leaves the old release and no temporary directory */
    CHECK_EQ_INT(outdir_begin(&o, tmp("out/rel")), 0);
    outdir_abort(&o);
    outdir_abort(&o);
    CHECK_EQ_INT(sh("ls -A out | tr '\\n' ' ' > ls.txt"), 0);
    free(ls);
    CHECK_EQ_INT(file_read_text(tmp("ls.txt"), &ls, 0), 0);
    CHECK_STR(ls, "rel ");
}

TEST(outdir_refuses_other_directories)
{
    struct outdir o;
    CHECK_EQ_INT(sh("mkdir -p home/user && touch home/user/notes && touch plain"), 0);
    CHECK(outdir_begin(&o, tmp("home/user")) < 0);
    CHECK(strstr(err_msg(), "home/user: exists and is not a release directory (no release.json)"));
    CHECK(outdir_begin(&o, tmp("plain")) < 0);
    CHECK(strstr(err_msg(), "plain: exists and is not a directory"));
    CHECK_EQ_INT(sh("mkdir empty"), 0);
    CHECK_EQ_INT(outdir_begin(&o, tmp("empty")), 0);
    CHECK_EQ_INT(outdir_commit(&o), 0);
    CHECK(exists("empty"));
    CHECK(exists("home/user/notes"));
}

/* ------------------------------------------------------------ compare --- */

static void assemble_with_tree(const char *dir, const char *hello, uint8_t image_seed, const char *kernel_inputs)
{
    CHECK_EQ_INT(sh("rm -rf %s && mkdir %s && printf '%s' > %s/kernel.inputs.txt", dir, dir, kernel_inputs, dir), 0);
    _cleanup_free_ char *img = xasprintf("%s/kata-containers.img", dir);
    _cleanup_free_ char *kern = xasprintf("%s/vmlinuz", dir);
    _cleanup_free_ char *tsv = xasprintf("%s/files.tsv", dir);
    make_file(img, 8192, image_seed);
    make_file(kern, 100, 2);
    struct tree *t = sample_tree(hello);
    CHECK_EQ_INT(files_tsv_write(t, tmp(tsv)), 0);
    tree_free(t);
    struct release r = fixture();
    struct package_set set = {pkgs, ARRAY_SIZE(pkgs)};
    struct release_inputs in = {
        .dir = tmp(dir), .name = "demo", .version = "1.0", .epoch = 1700000000,
        .manifest_sha256 = H32("1"), .lock_sha256 = H32("2"), .image = "kata-containers.img",
        .kernel = "vmlinuz", .kernel_version = "6.1.0", .kernel_provenance = r.kernel_provenance, .svn = 3,
        .verity = r.verity, .cmdline = r.cmdline,
        .measurements = r.measurements, .nmeasurements = r.nmeasurements, .packages = &set};
    CHECK_EQ_INT(release_assemble(&in), 0);
}

struct cmp_log {
    char text[4096];
    size_t len;
};

static void log_line(struct cmp_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(struct cmp_log *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0 && l->len + (size_t)n < sizeof(l->text))
        l->len += (size_t)n;
}

static void on_artifact(const char *name, const char *a, const char *b, void *ctx)
{
    if (!a || !b || strcmp(a, b))
        log_line(ctx, "artifact %s %s\n", name, !a ? "added" : !b ? "removed" : "differs");
}

static void on_file(unsigned changes, const struct files_entry *a, const struct files_entry *b, void *ctx)
{
    log_line(ctx, "file %u %s\n", changes, (a ? a : b)->path);
}

static void on_line(const char *artifact, const char *published, const char *rebuilt, void *ctx)
{
    log_line(ctx, "line %s %s%s\n", artifact, published ? "- " : "+ ", published ? published : rebuilt);
}

static void on_no_list(const char *artifact, const char *why, void *ctx)
{
    log_line(ctx, "no detail on %s: %s\n", artifact, why);
}

TEST(compare_names_artifacts_and_files)
{
    assemble_with_tree("pub", "hello\n", 1, "recipe 1\\ntoolchain gcc 12\\nconfig a\\n");
    assemble_with_tree("same", "hello\n", 1, "recipe 1\\ntoolchain gcc 12\\nconfig a\\n");
    struct cmp_log log = {0};
    struct compare_report rep = {.artifact = on_artifact, .file = on_file, .line = on_line, .no_detail = on_no_list, .ctx = &log};
    CHECK_EQ_INT(release_compare(tmp("pub/release.json"), tmp("same"), &rep), 0);
    CHECK_STR(log.text, "");
    assemble_with_tree("other", "hellO\n", 7, "recipe 1\\ntoolchain gcc 13\\nconfig a\\nextra\\n");
    CHECK_EQ_INT(release_compare(tmp("pub/release.json"), tmp("other"), &rep), 5);
    CHECK_STR(log.text, "artifact files.tsv differs\n"
                        "artifact kata-containers.img differs\n"
                        "artifact kernel.inputs.txt differs\n"
                        "artifact sbom.cdx.json differs\n"
                        "artifact sbom.spdx.json differs\n"
                        "file 4 /etc/hello\n"
                        "line kernel.inputs.txt - toolchain gcc 12\n"
                        "line kernel.inputs.txt + toolchain gcc 13\n"
                        "line kernel.inputs.txt + extra\n");
    /* the published files.tsv and kernel.inputs.txt must be the ones its release.json lists */
    CHECK_EQ_INT(sh("echo '/x\tdir\t0755\t0\t0\t0\t-\t-' >> pub/files.tsv && echo x >> pub/kernel.inputs.txt"), 0);
    log.len = 0;
    log.text[0] = 0;
    CHECK_EQ_INT(release_compare(tmp("pub/release.json"), tmp("other"), &rep), 5);
    CHECK(strstr(log.text, "no detail on kata-containers.img: ") &&
          strstr(log.text, "pub/files.tsv: longer than the "));
    CHECK(strstr(log.text, "no detail on kernel.inputs.txt: ") &&
          strstr(log.text, "pub/kernel.inputs.txt: longer than the "));
    /* the same length, another byte: the digest says it */
    CHECK_EQ_INT(sh("sed -i '$d' pub/files.tsv pub/kernel.inputs.txt && sed -i 's/gcc 12/gcc 14/' pub/kernel.inputs.txt"), 0);
    log.len = 0;
    log.text[0] = 0;
    release_compare(tmp("pub/release.json"), tmp("other"), &rep);
    CHECK(strstr(log.text, "pub/kernel.inputs.txt: sha256 "));
    /* untrusted files: a symbolic link or a FIFO among them is refused, never followed or opened */
    CHECK_EQ_INT(sh("rm pub/files.tsv && ln -s ../other/files.tsv pub/files.tsv && "
                    "rm pub/kernel.inputs.txt && mkfifo pub/kernel.inputs.txt"), 0);
    log.len = 0;
    log.text[0] = 0;
    release_compare(tmp("pub/release.json"), tmp("other"), &rep);
    CHECK(strstr(log.text, "pub/files.tsv: is a symbolic link, not a regular file"));
    CHECK(strstr(log.text, "pub/kernel.inputs.txt: is a FIFO, not a regular file"));
    CHECK(release_compare(tmp("nothing/release.json"), tmp("other"), &rep) < 0);
    CHECK(strstr(err_msg(), "nothing/release.json: cannot open"));
}

TEST(cleanup_tmp)
{
    rm_rf(tmpdir);
}
