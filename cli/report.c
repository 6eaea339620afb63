/* guestimg report show|verify: SEV-SNP attestation reports over
 * attest/report and attest/attest. */
#include "cli/cli.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "attest/appraise.h"
#include "attest/attest.h"
#include "attest/host_data.h"
#include "attest/report.h"
#include "release/appraisal.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/x509.h>
#include <string.h>

#define CMD "report"
/* Reports are 1184 bytes; a larger file is read far enough to say its size. */
#define REPORT_FILE_MAX (1u << 20)
#define MAX_MEASUREMENTS 256

static void usage(void)
{
    printf("usage: guestimg report show REPORT [--json] [--generation GEN | --vcek VCEK]\n"
           "       guestimg report verify REPORT (--ark ARK --ask ASK | --cert-chain CHAIN) --vcek VCEK\n"
           "                [--trust-ark FILE] [--release release.json] [--measurement HEX]...\n"
           "                [--policy FILE | --policy-base64 FILE | --initdata FILE | --initdata-base64 FILE\n"
           "                 | --host-data HEX] [--min-tcb TCB] [--vmpl N] [--report-data HEX]\n"
           "                [--generation GEN] [--json]\n"
           "       guestimg report host-data (--policy FILE | --policy-base64 FILE | --initdata FILE\n"
           "                | --initdata-base64 FILE) [--json]\n\n"
           "Decodes and verifies a binary SEV-SNP attestation report (1184 bytes, versions\n"
           "2, 3 and 5). 'show' prints every field, TCBs decoded for the processor\n"
           "generation: from the report's CPUID (version 3+), else --generation\n"
           "(milan, genoa, turin) or the productName of --vcek (not verified by show).\n\n"
           "'verify' checks, one line each ('ok …' or 'FAIL …: expected X actual Y'):\n"
           "the ARK is AMD's pinned root for the VCEK's generation (or the --trust-ark\n"
           "root, said on every run), it is self-signed, the ARK signs the ASK, the ASK signs the VCEK\n"
           "(RSASSA-PSS, SHA-384), the VCEK signs the report (ECDSA P-384), the generation\n"
           "(VCEK product, report CPUID, --generation) agrees, the reported TCB is the\n"
           "VCEK's, the chip ID is the VCEK's hwID; then MEASUREMENT is one of the\n"
           "release's SNP measurements or a --measurement; with --release the guest\n"
           "policy, VMPL, guest SVN, minimum TCB and ID/author key digests it declares;\n"
           "HOST_DATA (from --policy/--initdata: see 'host-data') and REPORT_DATA when\n"
           "given (--report-data shorter than 64 bytes is zero-padded). Exit 0 only\n"
           "when every check passes.\n\n"
           "'host-data' prints the HOST_DATA a pod gets: SHA-256 of an AKS agent policy\n"
           "(the text, or the io.katacontainers.config.agent.policy annotation's base64),\n"
           "or an initdata TOML's declared digest fitted to 32 bytes (the TOML, or the\n"
           "cc_init_data annotation's base64 of its gzip).\n\n"
           "  --ark, --ask FILE    AMD's root and signing keys (PEM or DER)\n"
           "  --cert-chain FILE    both, as AMD's key server sends them (PEM: ASK, then ARK)\n"
           "  --vcek FILE          the chip's VCEK (PEM or DER)\n"
           "  --trust-ark FILE     trust this root instead of AMD's (a lab chain); --ark defaults to it\n"
           "  --min-tcb TCB        bl=N,tee=N,snp=N,ucode=N[,fmc=N] or 16 hex digits (raw)\n"
           "  --vmpl N             the VMPL the report must be at (default with --release: 0)\n"
           "  --json               one JSON object\n");
}

/* ------------------------------------------------------------ options --- */

struct options {
    const char *report_path, *ark, *ask, *chain, *vcek, *release, *trust_ark;
    const char *host_data_file;    /* --policy… / --initdata… */
    const char *host_data_opt;     /* which of them */
    bool host_data_base64, host_data_initdata;
    const char *min_tcb;
    bool has_vmpl;
    uint32_t vmpl;
    enum report_generation generation;
    bool json;
    uint8_t measurements[MAX_MEASUREMENTS][REPORT_MEASUREMENT_LEN];
    size_t n_measurements;
    uint8_t host_data[REPORT_HOST_DATA_LEN], report_data[REPORT_DATA_LEN];
    bool has_host_data, has_report_data;
};

enum { OPT_JSON = 256, OPT_GENERATION, OPT_VCEK, OPT_ARK, OPT_ASK, OPT_CHAIN, OPT_RELEASE,
       OPT_MEASUREMENT, OPT_HOST_DATA, OPT_REPORT_DATA, OPT_TRUST_ARK, OPT_POLICY, OPT_POLICY_B64,
       OPT_INITDATA, OPT_INITDATA_B64, OPT_MIN_TCB, OPT_VMPL };

#define HOST_DATA_OPTIONS                                           \
    {"policy", required_argument, NULL, OPT_POLICY},                \
    {"policy-base64", required_argument, NULL, OPT_POLICY_B64},     \
    {"initdata", required_argument, NULL, OPT_INITDATA},            \
    {"initdata-base64", required_argument, NULL, OPT_INITDATA_B64}

static const struct option host_data_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, OPT_JSON},
    HOST_DATA_OPTIONS,
    {0},
};

static const struct option show_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, OPT_JSON},
    {"generation", required_argument, NULL, OPT_GENERATION},
    {"vcek", required_argument, NULL, OPT_VCEK},
    {0},
};

static const struct option verify_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, OPT_JSON},
    {"generation", required_argument, NULL, OPT_GENERATION},
    {"vcek", required_argument, NULL, OPT_VCEK},
    {"ark", required_argument, NULL, OPT_ARK},
    {"ask", required_argument, NULL, OPT_ASK},
    {"cert-chain", required_argument, NULL, OPT_CHAIN},
    {"release", required_argument, NULL, OPT_RELEASE},
    {"measurement", required_argument, NULL, OPT_MEASUREMENT},
    {"host-data", required_argument, NULL, OPT_HOST_DATA},
    {"report-data", required_argument, NULL, OPT_REPORT_DATA},
    {"trust-ark", required_argument, NULL, OPT_TRUST_ARK},
    {"min-tcb", required_argument, NULL, OPT_MIN_TCB},
    {"vmpl", required_argument, NULL, OPT_VMPL},
    HOST_DATA_OPTIONS,
    {0},
};

/* hex of exactly n bytes, or (pad) of 1..n bytes, zero-padded to n. */
static int parse_hex_option(const char *opt, const char *s, uint8_t *out, size_t n, bool pad)
{
    memset(out, 0, n);
    int got = hex_decode(s, out, n);
    if (got == (int)n || (pad && got > 0))
        return 0;
    return cli_usage(CMD, "%s: '%s' is not %s%zu bytes in hex", opt, s, pad ? "up to " : "", n);
}

static int parse_options(struct options *o, const struct option *longopts, int argc, char **argv)
{
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(); exit(0);
        case OPT_JSON: o->json = true; break;
        case OPT_VCEK: o->vcek = optarg; break;
        case OPT_ARK: o->ark = optarg; break;
        case OPT_ASK: o->ask = optarg; break;
        case OPT_CHAIN: o->chain = optarg; break;
        case OPT_RELEASE: o->release = optarg; break;
        case OPT_GENERATION:
            if (!(o->generation = report_generation_parse(optarg)) || strchr(optarg, '-'))
                rc = cli_usage(CMD, "--generation: '%s' is not milan, genoa or turin", optarg);
            break;
        case OPT_MEASUREMENT:
            if (o->n_measurements == MAX_MEASUREMENTS)
                rc = cli_usage(CMD, "more than %d --measurement options", MAX_MEASUREMENTS);
            else if (!(rc = parse_hex_option("--measurement", optarg, o->measurements[o->n_measurements],
                                             REPORT_MEASUREMENT_LEN, false)))
                o->n_measurements++;
            break;
        case OPT_HOST_DATA:
            if (o->host_data_opt)
                return cli_usage(CMD, "--host-data and %s both give HOST_DATA; give one", o->host_data_opt);
            rc = parse_hex_option("--host-data", optarg, o->host_data, sizeof(o->host_data), false);
            o->has_host_data = true;
            o->host_data_opt = "--host-data";
            break;
        case OPT_POLICY:
        case OPT_POLICY_B64:
        case OPT_INITDATA:
        case OPT_INITDATA_B64:
            if (o->host_data_opt)
                return cli_usage(CMD, "%s and %s both give HOST_DATA; give one", o->host_data_opt,
                                 argv[optind - 1][1] == '-' ? argv[optind - 1] : "this option");
            o->host_data_opt = c == OPT_POLICY ? "--policy" : c == OPT_POLICY_B64 ? "--policy-base64"
                               : c == OPT_INITDATA ? "--initdata" : "--initdata-base64";
            o->host_data_file = optarg;
            o->host_data_base64 = c == OPT_POLICY_B64 || c == OPT_INITDATA_B64;
            o->host_data_initdata = c == OPT_INITDATA || c == OPT_INITDATA_B64;
            break;
        case OPT_TRUST_ARK: o->trust_ark = optarg; break;
        case OPT_MIN_TCB: o->min_tcb = optarg; break;
        case OPT_VMPL:
            if (parse_u32(optarg, &o->vmpl) < 0 || o->vmpl > 3)
                rc = cli_usage(CMD, "--vmpl: '%s' is not 0, 1, 2 or 3", optarg);
            o->has_vmpl = true;
            break;
        case OPT_REPORT_DATA:
            rc = parse_hex_option("--report-data", optarg, o->report_data, sizeof(o->report_data), true);
            o->has_report_data = true;
            break;
        case ':': return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage(CMD, "unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (rc)
        return rc;
    if (longopts == host_data_options) {
        if (optind < argc)
            return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
        return 0;
    }
    if (optind >= argc)
        return cli_usage(CMD, "%s: expected a REPORT file", argv[0]);
    if (optind + 1 < argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind + 1]);
    o->report_path = argv[optind];
    return 0;
}

static int load_report(const char *path, struct report *r)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    int e = file_read_all(path, &buf, &len, REPORT_FILE_MAX);
    return e < 0 ? e : report_parse(buf, len, path, r);
}

/* --------------------------------------------------------------- show --- */

/* The JSON object as "key: value" lines, in the report's order. */
static void print_text(json_t *o, int indent)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (json_is_object(v)) {
            printf("%*s%s:\n", indent, "", key);
            print_text(v, indent + 2);
        } else if (json_is_string(v)) {
            printf("%*s%s: %s\n", indent, "", key, json_string_value(v));
        } else if (json_is_integer(v)) {
            printf("%*s%s: %lld\n", indent, "", key, (long long)json_integer_value(v));
        } else {
            printf("%*s%s: %s\n", indent, "", key, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "unknown");
        }
    }
}

/* The generation that decides the TCB layout for show: the report's CPUID
 * when it names one, else the user's word or the VCEK's product name, else,
 * for a version 2 report (no CPUID: firmware older than Turin's), "Milan or
 * Genoa", whose TCB layout is the same. */
static int show_generation(const struct options *o, const struct report *r, enum report_generation *g)
{
    *g = report_cpuid_generation(r);
    if (*g) {
        if (o->generation && o->generation != *g)
            log_warn("%s: --generation %s ignored: the report's CPUID names %s", o->report_path,
                     report_generation_name(o->generation), report_generation_name(*g));
        return 0;
    }
    if (o->generation) {
        *g = o->generation;
        return 0;
    }
    if (!o->vcek) {
        if (r->has_cpuid)
            log_warn("%s: the report's CPUID (family 0x%x model 0x%x) is no known generation: TCBs shown raw "
                     "(give --generation or --vcek)", o->report_path, r->cpuid_family, r->cpuid_model);
        else
            *g = REPORT_GEN_MILAN_OR_GENOA;
        return 0;
    }
    X509 *vcek = attest_cert_load(o->vcek, ATTEST_VCEK);
    struct vcek_info v;
    int e = vcek ? attest_vcek_info(vcek, o->vcek, &v) : -EINVAL;
    X509_free(vcek);
    if (e < 0)
        return e;
    *g = v.generation;
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(&o, show_options, argc, argv);
    if (rc)
        return rc;
    if (o.generation && o.vcek)
        return cli_usage(CMD, "show: --generation and --vcek both name the generation; give one");
    struct report r;
    enum report_generation g;
    if (load_report(o.report_path, &r) < 0 || show_generation(&o, &r, &g) < 0)
        return cli_fail();
    json_t *j = report_to_json(&r, g);
    if (o.json) {
        _cleanup_free_ char *s = json_pretty(j);
        fputs(s, stdout);
    } else {
        print_text(j, 0);
    }
    json_decref(j);
    return 0;
}

/* ---------------------------------------------------------- host-data --- */

/* HOST_DATA from the file the option names; *label says where it came from. */
static int load_host_data(const struct options *o, uint8_t out[REPORT_HOST_DATA_LEN], struct host_data_source *src)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    int r = file_read_all(o->host_data_file, &buf, &len, HOST_DATA_TEXT_MAX);
    if (r < 0)
        return r;
    return o->host_data_initdata ? host_data_initdata(buf, len, o->host_data_base64, o->host_data_file, out, src)
                                 : host_data_policy(buf, len, o->host_data_base64, o->host_data_file, out, src);
}

static int cmd_host_data(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(&o, host_data_options, argc, argv);
    if (rc)
        return rc;
    if (!o.host_data_file)
        return cli_usage(CMD, "host-data: give --policy, --policy-base64, --initdata or --initdata-base64");
    uint8_t hd[REPORT_HOST_DATA_LEN];
    struct host_data_source src;
    if (load_host_data(&o, hd, &src) < 0)
        return cli_fail();
    _cleanup_free_ char *h = hex_string(hd, sizeof(hd)), *d = hex_string(src.digest, src.digest_len);
    if (o.json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "host_data", h, "algorithm", src.algorithm, "digest", d,
                              "source", o.host_data_initdata ? "initdata" : "policy");
        if (*src.version)
            json_object_set_new(j, "version", json_string(src.version));
        _cleanup_free_ char *s = json_pretty(j);
        fputs(s, stdout);
        json_decref(j);
    } else {
        printf("%s\n", h);
    }
    return 0;
}

/* ------------------------------------------------------------- verify --- */

struct certs {
    X509 *ark, *ask, *vcek, *trusted;
};

static void certs_free(struct certs *c)
{
    X509_free(c->ark);
    X509_free(c->ask);
    X509_free(c->vcek);
    X509_free(c->trusted);
}

static int load_certs(const struct options *o, struct certs *c)
{
    if (o->trust_ark && !(c->trusted = attest_cert_load(o->trust_ark, ATTEST_ARK)))
        return -EINVAL;
    if (o->chain) {
        int r = attest_chain_load(o->chain, &c->ask, &c->ark);
        if (r < 0)
            return r;
    } else if (!(c->ark = o->ark ? attest_cert_load(o->ark, ATTEST_ARK) : X509_dup(c->trusted)) ||
               !(c->ask = attest_cert_load(o->ask, ATTEST_ASK))) {
        return -EINVAL;
    }
    return (c->vcek = attest_cert_load(o->vcek, ATTEST_VCEK)) ? 0 : -EINVAL;
}

struct printer {
    bool json;
    json_t *checks;
    unsigned n;
};

static void print_check(const struct attest_check *c, void *ctx)
{
    struct printer *p = ctx;
    p->n++;
    if (p->json) {
        json_t *j = json_pack("{s:s, s:s, s:b}", "check", c->id, "description", c->what, "ok", c->ok);
        if (!c->ok)
            json_object_update_new(j, json_pack("{s:s, s:s}", "expected", c->expected, "actual", c->actual));
        json_array_append_new(p->checks, j);
    } else if (c->ok) {
        printf("ok %s\n", c->what);
    } else {
        printf("FAIL %s: expected %s actual %s\n", c->what, c->expected, c->actual);
    }
}

static int verify_usage_rules(const struct options *o)
{
    if (o->chain && (o->ark || o->ask))
        return cli_usage(CMD, "verify: --cert-chain holds the ARK and ASK; give it or --ark and --ask");
    if (!o->chain && ((!o->ark && !o->trust_ark) || !o->ask))
        return cli_usage(CMD, "verify: --ark and --ask (or --cert-chain) are required");
    if (!o->vcek)
        return cli_usage(CMD, "verify: --vcek is required");
    return 0;
}

/* Everything the user and the release expect, in x. */
static int load_expectations(struct options *o, struct release_expect *x, char **host_data_label)
{
    for (size_t i = 0; i < o->n_measurements; i++)
        release_expect_add(x, o->measurements[i], xstrdup("--measurement"));
    x->e.check_measurement = o->n_measurements > 0;
    if (o->release && release_expect_load(x, o->release) < 0)
        return -EINVAL;
    if (o->min_tcb) {
        if (appraise_tcb_parse(o->min_tcb, "--min-tcb", &x->e.min_tcb) < 0)
            return -EINVAL;
        x->e.check_tcb = true;
        x->e.tcb_source = "--min-tcb";
    }
    if (o->has_vmpl) {
        x->e.check_vmpl = true;
        x->e.vmpl = o->vmpl;
    }
    if (o->host_data_file) {
        struct host_data_source src;
        if (load_host_data(o, o->host_data, &src) < 0)
            return -EINVAL;
        o->has_host_data = true;
        *host_data_label = xasprintf("%s %s", o->host_data_opt, o->host_data_file);
    }
    x->e.host_data = o->has_host_data ? o->host_data : NULL;
    x->e.host_data_source = *host_data_label ? *host_data_label : "--host-data";
    x->e.report_data = o->has_report_data ? o->report_data : NULL;
    return 0;
}

static int run_verify(const struct options *o, const struct report *r, const struct certs *c,
                      const struct appraise_expect *e)
{
    struct attest_opts a = {
        .report = r,
        .ark = c->ark,
        .ask = c->ask,
        .vcek = c->vcek,
        .trusted_ark = c->trusted,
        .trusted_ark_what = o->trust_ark,
        .vcek_what = o->vcek,
        .generation = o->generation,
    };
    struct printer p = {.json = o->json, .checks = o->json ? json_array() : NULL};
    int failed = appraise_report(&a, e, print_check, &p);
    if (failed < 0) {
        json_decref(p.checks);
        return cli_fail();
    }
    if (!e->check_measurement)
        log_warn("%s: MEASUREMENT not checked (give --release or --measurement)", o->report_path);
    if (o->trust_ark)
        log_warn("%s: verified against --trust-ark %s, not AMD's pinned roots: a lab chain proves no AMD processor",
                 o->report_path, o->trust_ark);
    _cleanup_free_ char *trust = o->trust_ark ? xasprintf(" (root trusted by --trust-ark %s, not AMD's)", o->trust_ark)
                                              : xstrdup("");
    if (o->json) {
        struct vcek_info v;
        enum report_generation g = attest_vcek_info(c->vcek, o->vcek, &v) == 0 ? v.generation : REPORT_GEN_UNKNOWN;
        json_t *j = json_pack("{s:o, s:i, s:i, s:o, s:o}", "checks", p.checks, "passed", (int)p.n - failed,
                              "failed", failed, "claims", appraise_claims(r, g), "trusted_ark",
                              o->trust_ark ? json_string(o->trust_ark) : json_string("amd"));
        _cleanup_free_ char *s = json_pretty(j);
        fputs(s, stdout);
        json_decref(j);
    } else if (failed) {
        printf("%s: %d of %u checks failed%s\n", o->report_path, failed, p.n, trust);
    } else {
        printf("%s: all %u checks passed%s\n", o->report_path, p.n, trust);
    }
    return failed ? EXIT_FAIL : 0;
}

static int cmd_verify_report(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(&o, verify_options, argc, argv);
    if (rc || (rc = verify_usage_rules(&o)))
        return rc;
    struct report r;
    struct certs c = {0};
    struct release_expect x = {0};
    _cleanup_free_ char *hd_label = NULL;
    if (load_report(o.report_path, &r) < 0 || load_certs(&o, &c) < 0 || load_expectations(&o, &x, &hd_label) < 0)
        rc = cli_fail();
    else
        rc = run_verify(&o, &r, &c, &x.e);
    certs_free(&c);
    release_expect_free(&x);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(CMD, "expected 'show', 'verify' or 'host-data'");
    const char *sub = argv[1];
    if (streq(sub, "--help") || streq(sub, "-h")) {
        usage();
        return 0;
    }
    if (streq(sub, "show"))
        return cmd_show(argc - 1, argv + 1);
    if (streq(sub, "verify"))
        return cmd_verify_report(argc - 1, argv + 1);
    if (streq(sub, "host-data"))
        return cmd_host_data(argc - 1, argv + 1);
    return cli_usage(CMD, "'%s' is not show, verify or host-data", sub);
}
