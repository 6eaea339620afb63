/* guestimg measure: sev-snp-measure's command line over measure/, plus
 * --json and vCPU lists. */
#include "cli/cli.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "measure/measure.h"
#include "measure/vcpu_types.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#define CMD "measure"
/* One list cannot ask for more digests than this. */
#define MAX_COUNTS 65536

enum output_format { OUT_HEX, OUT_BASE64 };

struct options {
    const char *mode, *vcpus, *vcpu_type, *vcpu_sig, *family, *model, *stepping;
    const char *vmm, *guest_features, *output_format, *ovmf_hash, *vars_size;
    bool verbose, json, dump_vmsa;
    struct measure_params p;
    enum output_format format;
    const char *vcpu_type_name;
    unsigned *counts; /* the vCPU counts asked for; none when --vcpus is absent */
    size_t n_counts;
    bool is_list;     /* --vcpus gave a list or range: print one result per count */
    uint8_t ovmf_hash_buf[MEASURE_SNP_DIGEST_LEN];
};

enum {
    OPT_MODE = 256, OPT_VCPUS, OPT_VCPU_TYPE, OPT_VCPU_SIG, OPT_VCPU_FAMILY, OPT_VCPU_MODEL,
    OPT_VCPU_STEPPING, OPT_VMM_TYPE, OPT_OVMF, OPT_KERNEL, OPT_INITRD, OPT_APPEND,
    OPT_GUEST_FEATURES, OPT_OUTPUT_FORMAT, OPT_SNP_OVMF_HASH, OPT_DUMP_VMSA, OPT_SVSM,
    OPT_VARS_SIZE, OPT_VARS_FILE, OPT_JSON, OPT_VERSION,
};

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"mode", required_argument, NULL, OPT_MODE},
    {"vcpus", required_argument, NULL, OPT_VCPUS},
    {"vcpu-type", required_argument, NULL, OPT_VCPU_TYPE},
    {"vcpu-sig", required_argument, NULL, OPT_VCPU_SIG},
    {"vcpu-family", required_argument, NULL, OPT_VCPU_FAMILY},
    {"vcpu-model", required_argument, NULL, OPT_VCPU_MODEL},
    {"vcpu-stepping", required_argument, NULL, OPT_VCPU_STEPPING},
    {"vmm-type", required_argument, NULL, OPT_VMM_TYPE},
    {"ovmf", required_argument, NULL, OPT_OVMF},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"append", required_argument, NULL, OPT_APPEND},
    {"guest-features", required_argument, NULL, OPT_GUEST_FEATURES},
    {"output-format", required_argument, NULL, OPT_OUTPUT_FORMAT},
    {"snp-ovmf-hash", required_argument, NULL, OPT_SNP_OVMF_HASH},
    {"dump-vmsa", no_argument, NULL, OPT_DUMP_VMSA},
    {"svsm", required_argument, NULL, OPT_SVSM},
    {"vars-size", required_argument, NULL, OPT_VARS_SIZE},
    {"vars-file", required_argument, NULL, OPT_VARS_FILE},
    {"json", no_argument, NULL, OPT_JSON},
    {0},
};

static void usage(void)
{
    size_t n;
    const struct vcpu_type *types = vcpu_types(&n);
    printf("usage: guestimg measure --mode MODE --ovmf PATH [options]\n\n"
           "Expected launch digest of an AMD SEV, SEV-ES or SEV-SNP guest, with the flags,\n"
           "defaults and output of sev-snp-measure. The digest alone goes to stdout.\n\n"
           "  --mode {sev,seves,snp,snp:ovmf-hash,snp:svsm}   guest mode (required)\n"
           "  --ovmf PATH              OVMF firmware image (required)\n"
           "  --vcpus N|LIST           vCPU count, or a list/range (1,2,4,8 or 1-64): one\n"
           "                           digest per count (required but in sev, snp:ovmf-hash)\n"
           "  --vcpu-type CPUTYPE      guest vCPU type:");
    for (size_t i = 0; i < n; i++)
        printf("%s %s", i % 6 ? "" : "\n                          ", types[i].name);
    printf("\n"
           "  --vcpu-sig VALUE         guest vCPU signature (CPUID 1 EAX)\n"
           "  --vcpu-family N --vcpu-model N --vcpu-stepping N   signature from its parts\n"
           "  --vmm-type {QEMU,ec2,gce}                 (default QEMU)\n"
           "  --kernel PATH            kernel measured through the hashes table\n"
           "  --initrd PATH            initrd (with --kernel)\n"
           "  --append CMDLINE         kernel command line (with --kernel)\n"
           "  --guest-features VALUE   SNP guest features in the VMSA (default 0x1)\n"
           "  --output-format {hex,base64}              (default hex)\n"
           "  --snp-ovmf-hash HASH     precalculated snp:ovmf-hash of the firmware (snp)\n"
           "  --dump-vmsa              write the measured VMSAs to vmsa<N>.bin\n"
           "  --svsm PATH              COCONUT-SVSM image (snp:svsm)\n"
           "  --vars-size SIZE | --vars-file PATH   OVMF_VARS size (snp:svsm)\n"
           "  --json                   the digest and every input that determines it\n"
           "  -v, --verbose            label the digest\n"
           "  --version                print the version\n");
}

/* Python's int(s, 0): 0x/0o/0b prefixes, or decimal without leading zeros. */
static int parse_int0(const char *s, uint64_t *out)
{
    int base = 10;
    const char *digits = s;
    if (s[0] == '0' && s[1]) {
        int c = s[1] | 0x20;
        base = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
        digits = s + 2;
        if (!base) { /* "00" is zero; "01" is not a number */
            base = 10;
            digits = s + strspn(s, "0");
            if (*digits)
                return -EINVAL;
            *out = 0;
            return 0;
        }
    }
    if (!*digits || !strchr("0123456789abcdefABCDEF", *digits))
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(digits, &end, base);
    if (*end || errno)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Decimal digits only, as Python's int(s). */
static int parse_dec(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

static int parse_count(const char *s, unsigned *out)
{
    uint64_t v;
    int r = parse_dec(s, UINT32_MAX, &v);
    if (r == -EINVAL)
        return cli_usage(CMD, "--vcpus: '%s' is not a number", s);
    if (r < 0 || v < 1 || v > MEASURE_MAX_VCPUS)
        return cli_usage(CMD, "--vcpus: %s is out of range (1 to %u)", s, MEASURE_MAX_VCPUS);
    *out = (unsigned)v;
    return 0;
}

/* "4", "1,2,4,8", "1-64", "1-4,8,16-32". */
static int parse_vcpus(struct options *o, const char *arg)
{
    _cleanup_free_ char *copy = xstrdup(arg);
    o->is_list = strpbrk(arg, ",-") != NULL;
    o->n_counts = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(item, '-');
        unsigned lo, hi;
        if (dash)
            *dash = 0;
        /* "-1", "4-", "1--2": an empty side of a range is no number to quote */
        if (!*item || (dash && (!dash[1] || dash[1] == '-')))
            return cli_usage(CMD, "--vcpus: '%s' is not a count, list or range (counts are 1 to %u)", arg,
                             MEASURE_MAX_VCPUS);
        if (parse_count(item, &lo) || parse_count(dash ? dash + 1 : item, &hi))
            return EXIT_USAGE;
        if (hi < lo)
            return cli_usage(CMD, "--vcpus: range %u-%u runs backwards", lo, hi);
        if (o->n_counts + (hi - lo + 1) > MAX_COUNTS)
            return cli_usage(CMD, "--vcpus: more than %u counts", MAX_COUNTS);
        o->counts = xrealloc(o->counts, (o->n_counts + hi - lo + 1) * sizeof(*o->counts));
        for (unsigned c = lo; c <= hi; c++)
            o->counts[o->n_counts++] = c;
    }
    if (!o->n_counts || arg[strlen(arg) - 1] == ',')
        return cli_usage(CMD, "--vcpus: '%s' is not a count, list or range", arg);
    return 0;
}

static int parse_options(struct options *o, int argc, char **argv)
{
    struct measure_params *p = &o->p;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1) {
        switch (c) {
        case 'h': usage(); exit(0);
        case OPT_VERSION: printf("guestimg %s\n", GUESTIMG_VERSION); exit(0);
        case 'v': o->verbose = true; break;
        case OPT_MODE: o->mode = optarg; break;
        case OPT_VCPUS: o->vcpus = optarg; break;
        case OPT_VCPU_TYPE: o->vcpu_type = optarg; break;
        case OPT_VCPU_SIG: o->vcpu_sig = optarg; break;
        case OPT_VCPU_FAMILY: o->family = optarg; break;
        case OPT_VCPU_MODEL: o->model = optarg; break;
        case OPT_VCPU_STEPPING: o->stepping = optarg; break;
        case OPT_VMM_TYPE: o->vmm = optarg; break;
        case OPT_OVMF: p->ovmf_path = optarg; break;
        /* Empty values count as absent, as in sev-snp-measure. */
        case OPT_KERNEL: p->kernel_path = *optarg ? optarg : NULL; break;
        case OPT_INITRD: p->initrd_path = *optarg ? optarg : NULL; break;
        case OPT_APPEND: p->append = *optarg ? optarg : NULL; break;
        case OPT_GUEST_FEATURES: o->guest_features = optarg; break;
        case OPT_OUTPUT_FORMAT: o->output_format = optarg; break;
        case OPT_SNP_OVMF_HASH: o->ovmf_hash = optarg; break;
        case OPT_DUMP_VMSA: o->dump_vmsa = true; break;
        case OPT_SVSM: p->svsm_path = optarg; break;
        case OPT_VARS_SIZE: o->vars_size = optarg; break;
        case OPT_VARS_FILE: p->vars_path = optarg; break;
        case OPT_JSON: o->json = true; break;
        case ':': return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage(CMD, "unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Value checks that need no file, in the order sev-snp-measure makes them. */
static int check_values(struct options *o)
{
    struct measure_params *p = &o->p;
    uint64_t v;
    if (!o->mode)
        return cli_usage(CMD, "--mode is required");
    if (sev_mode_parse(o->mode, &p->mode) < 0)
        return cli_usage(CMD, "--mode: '%s' is not one of sev, seves, snp, snp:ovmf-hash, snp:svsm",
                         o->mode);
    if (!p->ovmf_path)
        return cli_usage(CMD, "--ovmf is required");
    if (o->vcpu_type && vcpu_type_sig(o->vcpu_type, &p->vcpu_sig) < 0)
        return cli_usage(CMD, "--vcpu-type: unknown vCPU type '%s' (see --help)", o->vcpu_type);
    if (o->vcpus && parse_vcpus(o, o->vcpus))
        return EXIT_USAGE;
    if (o->guest_features && parse_int0(o->guest_features, &p->guest_features) < 0)
        return cli_usage(CMD, "--guest-features: '%s' is not a number", o->guest_features);
    if (o->output_format && !streq(o->output_format, "hex")) {
        if (!streq(o->output_format, "base64"))
            return cli_usage(CMD, "--output-format: '%s' is not hex or base64", o->output_format);
        o->format = OUT_BASE64;
    }
    if (o->ovmf_hash) {
        if (hex_decode(o->ovmf_hash, o->ovmf_hash_buf, sizeof(o->ovmf_hash_buf)) !=
            (int)sizeof(o->ovmf_hash_buf))
            return cli_usage(CMD, "--snp-ovmf-hash: '%s' is not %zu hex digits", o->ovmf_hash,
                             2 * sizeof(o->ovmf_hash_buf));
        p->snp_ovmf_hash = o->ovmf_hash_buf;
    }
    if (o->vars_size && p->vars_path)
        return cli_usage(CMD, "--vars-size and --vars-file exclude each other");
    if (o->vars_size && parse_dec(o->vars_size, UINT64_MAX, &v) < 0)
        return cli_usage(CMD, "--vars-size: '%s' is not a number", o->vars_size);
    if (o->vars_size)
        p->vars_size = v;
    return 0;
}

static int parse_part(const char *opt, const char *s, unsigned *out)
{
    uint64_t v;
    if (!s)
        return cli_usage(CMD, "--vcpu-family needs --vcpu-model and --vcpu-stepping");
    if (parse_dec(s, 0xffff, &v) < 0)
        return cli_usage(CMD, "%s: '%s' is not a number", opt, s);
    *out = (unsigned)v;
    return 0;
}

/* The vCPU signature, by sev-snp-measure's precedence: family/model/stepping,
 * then --vcpu-sig, then --vcpu-type. EC2 and GCE ignore it. */
static int resolve_vcpu_sig(struct options *o)
{
    struct measure_params *p = &o->p;
    if (p->mode == SEV_MODE_SEV) {
        p->vcpu_sig = 0;
        return 0;
    }
    if (o->family) {
        unsigned f, m, s;
        if (parse_part("--vcpu-family", o->family, &f) || parse_part("--vcpu-model", o->model, &m) ||
            parse_part("--vcpu-stepping", o->stepping, &s))
            return EXIT_USAGE;
        p->vcpu_sig = vcpu_sig(f, m, s);
    } else if (o->vcpu_sig) {
        uint64_t v;
        if (parse_int0(o->vcpu_sig, &v) < 0 || v > UINT32_MAX)
            return cli_usage(CMD, "--vcpu-sig: '%s' is not a 32-bit number", o->vcpu_sig);
        p->vcpu_sig = (uint32_t)v;
    } else if (o->vcpu_type) {
        o->vcpu_type_name = o->vcpu_type; /* p->vcpu_sig set by check_values */
    } else if (p->vmm == VMM_QEMU) {
        return cli_usage(CMD, "missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode '%s'",
                         o->mode);
    }
    return 0;
}

/* Flag combinations, in the order sev-snp-measure checks them. */
static int check_combinations(struct options *o)
{
    struct measure_params *p = &o->p;
    if (p->mode == SEV_MODE_SNP_OVMF_HASH)
        return 0; /* firmware pages only: everything else is ignored */
    if (p->initrd_path && !p->kernel_path)
        return cli_usage(CMD, "--kernel required when using --initrd");
    if (p->append && !p->kernel_path)
        return cli_usage(CMD, "--kernel required when using --append");
    if (p->mode != SEV_MODE_SEV && !o->n_counts)
        return cli_usage(CMD, "missing --vcpus N in guest mode '%s'", o->mode);
    if (o->vmm && vmm_type_parse(o->vmm, &p->vmm) < 0)
        return cli_usage(CMD, "unknown VMM type '%s' (QEMU, ec2 or gce)", o->vmm);
    int r = resolve_vcpu_sig(o);
    if (r)
        return r;
    if (p->mode == SEV_MODE_SNP_SVSM) {
        if (!p->svsm_path)
            return cli_usage(CMD, "snp:svsm mode requires --svsm");
        if (!p->vars_path && !p->vars_size)
            return cli_usage(CMD, "snp:svsm mode requires --vars-size or --vars-file");
        if (p->vmm != VMM_QEMU)
            return cli_usage(CMD, "snp:svsm mode is defined for --vmm-type QEMU only");
        if (p->kernel_path)
            return cli_usage(CMD, "snp:svsm mode does not measure --kernel");
    }
    if (p->snp_ovmf_hash && p->mode != SEV_MODE_SNP)
        return cli_usage(CMD, "--snp-ovmf-hash applies to --mode snp only");
    if (o->dump_vmsa && p->mode == SEV_MODE_SEV)
        return cli_usage(CMD, "--dump-vmsa applies to seves, snp and snp:svsm modes only");
    return 0;
}

static char *format_digest(const struct options *o, const uint8_t *d, size_t len)
{
    /* sev-snp-measure prints the firmware hash as hex whatever the format. */
    if (o->format == OUT_BASE64 && o->p.mode != SEV_MODE_SNP_OVMF_HASH)
        return base64_encode(d, len);
    return hex_string(d, len);
}

static json_t *json_file(const struct measure_file *f)
{
    char hex[2 * SHA256_LEN + 1];
    hex_encode(f->sha256, SHA256_LEN, hex);
    return json_pack("{s:s, s:I}", "sha256", hex, "size", (json_int_t)f->size);
}

/* Everything that determines the digest, for this mode. */
static json_t *json_inputs(const struct options *o, struct measure_ctx *m,
                           const struct measure_inputs *in)
{
    const struct measure_params *p = &o->p;
    enum sev_mode mode = p->mode;
    bool vmsas = mode == SEV_MODE_SEV_ES || mode == SEV_MODE_SNP || mode == SEV_MODE_SNP_SVSM;
    json_t *j = json_object();
    json_object_set_new(j, "mode", json_string(sev_mode_name(mode)));
    json_object_set_new(j, "ovmf", json_file(&in->ovmf));
    if (mode == SEV_MODE_SNP_OVMF_HASH)
        return j;
    json_object_set_new(j, "kernel_hashes",
                        json_boolean(measure_firmware_has_kernel_hashes(measure_firmware(m), mode)));
    if (vmsas) {
        json_object_set_new(j, "vmm_type", json_string(vmm_type_name(p->vmm)));
        if (p->vmm == VMM_QEMU)
            json_object_set_new(j, "vcpu_sig", json_integer(p->vcpu_sig));
        if (o->vcpu_type_name)
            json_object_set_new(j, "vcpu_type", json_string(o->vcpu_type_name));
    }
    if (mode == SEV_MODE_SNP) {
        json_object_set_new(j, "guest_features", json_integer((json_int_t)p->guest_features));
        if (p->snp_ovmf_hash)
            json_object_set_new(j, "snp_ovmf_hash", json_string(o->ovmf_hash));
    }
    if (in->kernel.present) {
        json_object_set_new(j, "kernel", json_file(&in->kernel));
        if (in->initrd.present)
            json_object_set_new(j, "initrd", json_file(&in->initrd));
        json_object_set_new(j, "cmdline", json_string(p->append ? p->append : ""));
    }
    if (mode == SEV_MODE_SNP_SVSM) {
        json_object_set_new(j, "svsm", json_file(&in->svsm));
        if (in->vars.present)
            json_object_set_new(j, "vars_file", json_file(&in->vars));
        else
            json_object_set_new(j, "vars_size", json_integer((json_int_t)p->vars_size));
    }
    return j;
}

/* vmsa0.bin … in the working directory, each written atomically. */
static int dump_vmsas(struct measure_ctx *m, unsigned vcpus)
{
    for (unsigned i = 0; i < vcpus; i++) {
        const uint8_t *page;
        int r = measure_vmsa_page(m, i, &page);
        if (r < 0)
            return r;
        _cleanup_free_ char *name = xasprintf("vmsa%u.bin", i);
        if ((r = file_write_atomic(name, page, 4096, 0644)) < 0)
            return r;
    }
    return 0;
}

static unsigned max_count(const struct options *o)
{
    unsigned mx = 0;
    for (size_t i = 0; i < o->n_counts; i++)
        mx = MAX(mx, o->counts[i]);
    return mx;
}

/* The whole output, built before anything is printed. */
static int measure_all(struct options *o, struct strbuf *out)
{
    struct measure_ctx *m;
    int r = measure_open(&m, &o->p);
    if (r < 0)
        return r;
    struct measure_inputs in;
    json_t *results = json_array(), *inputs = NULL;
    if (o->json && (r = measure_describe_inputs(m, &in)) == 0)
        inputs = json_inputs(o, m, &in);
    /* A single result when no count matters or one count was asked for. */
    bool single = !o->is_list || o->p.mode == SEV_MODE_SNP_OVMF_HASH;
    size_t n = single ? 1 : o->n_counts;
    for (size_t i = 0; r == 0 && i < n; i++) {
        unsigned vcpus = o->n_counts ? o->counts[i] : 0;
        uint8_t d[MEASURE_DIGEST_MAX];
        size_t len;
        if ((r = measure_digest(m, vcpus, d, &len)) < 0)
            break;
        _cleanup_free_ char *text = format_digest(o, d, len);
        if (o->json) {
            json_t *j = json_deep_copy(inputs);
            json_object_set_new(j, "digest", json_string(text));
            if (vcpus && o->p.mode != SEV_MODE_SNP_OVMF_HASH)
                json_object_set_new(j, "vcpus", json_integer(vcpus));
            json_array_append_new(results, j);
        } else if (o->verbose && o->p.mode != SEV_MODE_SNP_OVMF_HASH) {
            sb_printf(out, "Calculated %s guest measurement: %s\n", sev_mode_label(o->p.mode), text);
        } else {
            sb_printf(out, "%s\n", text);
        }
    }
    if (r == 0 && o->dump_vmsa)
        r = dump_vmsas(m, max_count(o));
    if (r == 0 && o->json) {
        _cleanup_free_ char *s = json_pretty(single ? json_array_get(results, 0) : results);
        sb_puts(out, s);
    }
    json_decref(inputs);
    json_decref(results);
    measure_close(m);
    return r;
}

int cmd_measure(int argc, char **argv)
{
    struct options o = {0};
    measure_params_init(&o.p);
    int rc = parse_options(&o, argc, argv);
    if (!rc)
        rc = check_values(&o);
    if (!rc)
        rc = check_combinations(&o);
    if (rc) {
        free(o.counts);
        return rc;
    }
    struct strbuf out = STRBUF_INIT;
    int r = measure_all(&o, &out);
    free(o.counts);
    if (r < 0) {
        sb_release(&out);
        return cli_fail();
    }
    fputs(out.buf, stdout);
    sb_release(&out);
    return 0;
}
