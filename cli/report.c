/* guestimg report show|verify: SEV-SNP attestation reports over
 * measure/report and measure/attest. */
#include "cli/cli.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "measure/attest.h"
#include "measure/report.h"
#include "release/release.h"

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
           "                [--release release.json] [--measurement HEX]... [--host-data HEX]\n"
           "                [--report-data HEX] [--generation GEN] [--json]\n\n"
           "Decodes and verifies a binary SEV-SNP attestation report (1184 bytes, versions\n"
           "2, 3 and 5). 'show' prints every field, TCBs decoded for the processor\n"
           "generation: from the report's CPUID (version 3+), else --generation\n"
           "(milan, genoa, turin) or the productName of --vcek (not verified by show).\n\n"
           "'verify' checks, one line each ('ok …' or 'FAIL …: expected X actual Y'):\n"
           "the ARK is self-signed, the ARK signs the ASK, the ASK signs the VCEK\n"
           "(RSASSA-PSS, SHA-384), the VCEK signs the report (ECDSA P-384), the generation\n"
           "(VCEK product, report CPUID, --generation) agrees, the reported TCB is the\n"
           "VCEK's, the chip ID is the VCEK's hwID; then MEASUREMENT is one of the\n"
           "release's SNP measurements or a --measurement, and HOST_DATA / REPORT_DATA\n"
           "when given (--report-data shorter than 64 bytes is zero-padded). Exit 0 only\n"
           "when every check passes.\n\n"
           "  --ark, --ask FILE    AMD's root and signing keys (PEM or DER)\n"
           "  --cert-chain FILE    both, as AMD's key server sends them (PEM: ASK, then ARK)\n"
           "  --vcek FILE          the chip's VCEK (PEM or DER)\n"
           "  --json               one JSON object\n");
}

/* ------------------------------------------------------------ options --- */

struct options {
    const char *report_path, *ark, *ask, *chain, *vcek, *release;
    enum report_generation generation;
    bool json;
    uint8_t measurements[MAX_MEASUREMENTS][REPORT_MEASUREMENT_LEN];
    size_t n_measurements;
    uint8_t host_data[REPORT_HOST_DATA_LEN], report_data[REPORT_DATA_LEN];
    bool has_host_data, has_report_data;
};

enum { OPT_JSON = 256, OPT_GENERATION, OPT_VCEK, OPT_ARK, OPT_ASK, OPT_CHAIN, OPT_RELEASE,
       OPT_MEASUREMENT, OPT_HOST_DATA, OPT_REPORT_DATA };

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
            rc = parse_hex_option("--host-data", optarg, o->host_data, sizeof(o->host_data), false);
            o->has_host_data = true;
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
 * when it names one, else the user's word or the VCEK's product name. */
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
            log_warn("%s: a version %u report carries no CPUID: TCBs shown raw (give --generation or --vcek)",
                     o->report_path, r->version);
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

/* ------------------------------------------------------------- verify --- */

struct expected {
    struct attest_measurement *m;
    char **labels;
    size_t n;
};

static void expected_free(struct expected *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->labels[i]);
    free(e->labels);
    free(e->m);
}

static void expected_add(struct expected *e, const uint8_t digest[REPORT_MEASUREMENT_LEN], char *label)
{
    e->m = xrealloc(e->m, (e->n + 1) * sizeof(*e->m));
    e->labels = xrealloc(e->labels, (e->n + 1) * sizeof(*e->labels));
    memcpy(e->m[e->n].digest, digest, REPORT_MEASUREMENT_LEN);
    e->labels[e->n] = label;
    e->m[e->n].label = label;
    e->n++;
}

/* Every SNP measurement the release publishes (48-byte digests). */
static int expected_from_release(struct expected *e, const char *path)
{
    struct release rel = {0};
    int r = release_load(path, &rel);
    for (size_t i = 0; r == 0 && i < rel.nmeasurements; i++) {
        const struct release_measurement *m = &rel.measurements[i];
        uint8_t digest[REPORT_MEASUREMENT_LEN];
        if (hex_decode(m->digest, digest, sizeof(digest)) == REPORT_MEASUREMENT_LEN)
            expected_add(e, digest,
                         xasprintf("release %s %s %s %llu vCPU", m->mode, m->vmm_type, m->vcpu_type,
                                   (unsigned long long)m->vcpus));
    }
    release_free(&rel);
    return r;
}

struct certs {
    X509 *ark, *ask, *vcek;
};

static void certs_free(struct certs *c)
{
    X509_free(c->ark);
    X509_free(c->ask);
    X509_free(c->vcek);
}

static int load_certs(const struct options *o, struct certs *c)
{
    if (o->chain) {
        int r = attest_chain_load(o->chain, &c->ask, &c->ark);
        if (r < 0)
            return r;
    } else if (!(c->ark = attest_cert_load(o->ark, ATTEST_ARK)) ||
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
    if (!o->chain && (!o->ark || !o->ask))
        return cli_usage(CMD, "verify: --ark and --ask (or --cert-chain) are required");
    if (!o->vcek)
        return cli_usage(CMD, "verify: --vcek is required");
    return 0;
}

static int run_verify(const struct options *o, const struct report *r, const struct certs *c,
                      const struct expected *e)
{
    struct attest_opts a = {
        .report = r,
        .ark = c->ark,
        .ask = c->ask,
        .vcek = c->vcek,
        .vcek_what = o->vcek,
        .generation = o->generation,
        .measurements = e->m,
        .n_measurements = e->n,
        .check_measurement = o->release || o->n_measurements,
        .host_data = o->has_host_data ? o->host_data : NULL,
        .report_data = o->has_report_data ? o->report_data : NULL,
    };
    struct printer p = {.json = o->json, .checks = o->json ? json_array() : NULL};
    int failed = attest_verify(&a, print_check, &p);
    if (failed < 0) {
        json_decref(p.checks);
        return cli_fail();
    }
    if (!a.check_measurement)
        log_warn("%s: MEASUREMENT not checked (give --release or --measurement)", o->report_path);
    if (o->json) {
        json_t *j = json_pack("{s:o, s:i, s:i}", "checks", p.checks, "passed", (int)p.n - failed, "failed", failed);
        _cleanup_free_ char *s = json_pretty(j);
        fputs(s, stdout);
        json_decref(j);
    } else if (failed) {
        printf("%s: %d of %u checks failed\n", o->report_path, failed, p.n);
    } else {
        printf("%s: all %u checks passed\n", o->report_path, p.n);
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
    struct expected e = {0};
    for (size_t i = 0; i < o.n_measurements; i++)
        expected_add(&e, o.measurements[i], xstrdup("--measurement"));
    if (load_report(o.report_path, &r) < 0 || load_certs(&o, &c) < 0 ||
        (o.release && expected_from_release(&e, o.release) < 0))
        rc = cli_fail();
    else
        rc = run_verify(&o, &r, &c, &e);
    certs_free(&c);
    expected_free(&e);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(CMD, "expected 'show' or 'verify'");
    const char *sub = argv[1];
    if (streq(sub, "--help") || streq(sub, "-h")) {
        usage();
        return 0;
    }
    if (streq(sub, "show"))
        return cmd_show(argc - 1, argv + 1);
    if (streq(sub, "verify"))
        return cmd_verify_report(argc - 1, argv + 1);
    return cli_usage(CMD, "'%s' is not show or verify", sub);
}
