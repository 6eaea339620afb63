/* guestimg igvm build: an IGVM file for Linux direct boot, igvmgen's flags. */
#include "cli/cli.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/util.h"
#include "measure/id_block.h"
#include "measure/igvm_build.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "igvm build"

enum {
    OPT_KERNEL = 256, OPT_APPEND, OPT_ACPI_DIR, OPT_BOOT_MODE, OPT_VTL, OPT_SVME, OPT_ENCRYPTED, OPT_PVALIDATE,
    OPT_SVN, OPT_SIGN_KEY, OPT_CONFIG, OPT_MEASUREMENT, OPT_JSON, OPT_RDINIT, OPT_SHARED_PAYLOAD,
};

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"append", required_argument, NULL, OPT_APPEND},
    {"acpi-dir", required_argument, NULL, OPT_ACPI_DIR},
    {"rdinit", required_argument, NULL, OPT_RDINIT},
    {"shared-payload", required_argument, NULL, OPT_SHARED_PAYLOAD},
    {"boot-mode", required_argument, NULL, OPT_BOOT_MODE},
    {"vtl", required_argument, NULL, OPT_VTL},
    {"svme", required_argument, NULL, OPT_SVME},
    {"encrypted-page", required_argument, NULL, OPT_ENCRYPTED},
    {"pvalidate-opt", required_argument, NULL, OPT_PVALIDATE},
    {"svn", required_argument, NULL, OPT_SVN},
    {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
    {"config-file", required_argument, NULL, OPT_CONFIG},
    {"measurement-file", required_argument, NULL, OPT_MEASUREMENT},
    {"json", no_argument, NULL, OPT_JSON},
    {0},
};

void igvm_build_usage(void);
void igvm_build_usage(void)
{
    printf("       guestimg igvm build -o FILE --kernel BZIMAGE [--append CMDLINE] [--acpi-dir DIR]\n"
           "                  [--rdinit INITRD] [--shared-payload FILE]\n"
           "                  [--boot-mode x64|x86] [--vtl 0|2] [--svme 0|1] [--encrypted-page 0|1]\n"
           "                  [--pvalidate-opt 0|1] [--svn N] [--sign-key PEM] [--config-file JSON]\n"
           "                  [--measurement-file F] [--json]\n");
}

static void help(void)
{
    printf("usage: guestimg igvm build -o FILE --kernel BZIMAGE [options]\n\n"
           "Build an IGVM file for Linux direct boot on SEV-SNP, byte for byte as igvm-tooling's\n"
           "igvmgen does with the same flags, and print its launch digest.\n\n"
           "  --append CMDLINE        kernel command line, bytes as given\n"
           "  --acpi-dir DIR          compiled ACPI tables (.aml) with their addresses filled in\n"
           "                          (default: igvmgen's built-in tables)\n"
           "  --rdinit INITRD         ramdisk, page-aligned after the command line (igvmgen -rdinit)\n"
           "  --shared-payload FILE   bytes at GPA 0x10000000 in guest-invalid, unmeasured pages;\n"
           "                          implies igvmgen's -inform bzImage2 (-shared_payload FILE)\n"
           "  --boot-mode x64|x86     start in long mode with page tables, or in 32-bit mode (x86)\n"
           "  --vtl 0|2               highest VTL in SUPPORTED_PLATFORM (2)\n"
           "  --svme 0|1              EFER.SVME in the VMSA (1)\n"
           "  --encrypted-page 0|1    C-bit in the page tables (1)\n"
           "  --pvalidate-opt 0|1     measure only the memory early boot uses (1)\n"
           "  --svn N                 x-ms-sevsnpvm-guestsvn in the measurement file (0)\n"
           "  --sign-key PEM          P-384 ID key; the default is the public snakeoil key\n"
           "  --config-file JSON      igvmgen's TEI config (ID block IDs, SVN, policy)\n"
           "  --measurement-file F    write igvm-tooling's measurement JSON\n"
           "  --json                  the digest and every input that determines it\n");
}

static int parse_bool(const char *opt, const char *v, bool *out)
{
    /* igvmgen's str2bool: "true", "1", "True" are true, anything else false;
     * guestimg takes 0 or 1 only. */
    if (streq(v, "1") || streq(v, "true") || streq(v, "True"))
        return *out = true, 0;
    if (streq(v, "0") || streq(v, "false") || streq(v, "False"))
        return *out = false, 0;
    return cli_usage(CMD, "%s: 0 or 1 expected, not '%s'", opt, v);
}

static int parse_uint(const char *opt, const char *v, uint32_t max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || errno || n > max || v[0] == '-')
        return cli_usage(CMD, "%s: a number from 0 to %u expected, not '%s'", opt, max, v);
    *out = (uint32_t)n;
    return 0;
}

static json_t *hexj(const uint8_t *b, size_t n)
{
    char s[2 * 48 + 1];
    hex_encode(b, n, s);
    return json_string(s);
}

static json_t *result_json(const struct igvm_build_params *p, const struct igvm_build_result *r, const char *key)
{
    json_t *j = json_object(), *acpi = json_array(), *regions = json_array(), *flags = json_object();
    json_object_set_new(j, "digest", hexj(r->digest, 48));
    json_object_set_new(j, "kernel_sha256", hexj(r->kernel_sha256, 32));
    json_object_set_new(j, "cmdline_sha256", hexj(r->cmdline_sha256, 32));
    json_object_set_new(j, "cmdline", json_stringn((const char *)p->cmdline, p->cmdline_len));
    if (r->has_rdinit)
        json_object_set_new(j, "rdinit_sha256", hexj(r->rdinit_sha256, 32));
    if (r->has_shared_payload)
        json_object_set_new(j, "shared_payload_sha256", hexj(r->shared_payload_sha256, 32));
    for (size_t i = 0; i < r->n_acpi; i++)
        json_array_append_new(acpi, json_pack("{s:s, s:o}", "name", r->acpi[i].name, "sha256",
                                              hexj(r->acpi[i].sha256, 32)));
    json_object_set_new(j, "acpi", acpi);
    json_object_set_new(flags, "boot_mode", json_string(p->boot_mode == IGVM_BOOT_X64 ? "x64" : "x86"));
    json_object_set_new(flags, "vtl", json_integer(p->vtl));
    json_object_set_new(flags, "svme", json_boolean(p->svme));
    json_object_set_new(flags, "encrypted_page", json_boolean(p->encrypted_page));
    json_object_set_new(flags, "pvalidate_opt", json_boolean(p->pvalidate_opt));
    json_object_set_new(flags, "svn", json_integer(p->svn));
    char pol[24];
    snprintf(pol, sizeof(pol), "0x%llx", (unsigned long long)p->id.policy);
    json_object_set_new(flags, "policy", json_string(pol));
    json_object_set_new(flags, "guest_svn", json_integer(p->id.guest_svn));
    json_object_set_new(flags, "family_id", hexj(p->id.family_id, 16));
    json_object_set_new(flags, "image_id", hexj(p->id.image_id, 16));
    json_object_set_new(j, "flags", flags);
    json_object_set_new(j, "id_key", key ? json_string(key) : json_string("snakeoil"));
    json_object_set_new(j, "id_key_digest", hexj(r->id_key_digest, 48));
    for (size_t i = 0; i < r->n_regions; i++) {
        char g[24];
        snprintf(g, sizeof(g), "0x%llx", (unsigned long long)r->regions[i].gpa);
        json_array_append_new(regions, json_pack("{s:s, s:s, s:I}", "what", r->regions[i].what, "gpa", g, "len",
                                                 (json_int_t)r->regions[i].len));
    }
    json_object_set_new(j, "regions", regions);
    return j;
}

int cmd_igvm_build(int argc, char **argv);
int cmd_igvm_build(int argc, char **argv)
{
    struct igvm_build_params p;
    const char *out = NULL, *key_path = NULL, *config = NULL, *mfile = NULL, *append = "";
    bool json = false;
    int c, rc;

    igvm_build_params_init(&p);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", long_options, NULL)) != -1) {
        switch (c) {
        case 'h': help(); exit(0);
        case 'o': out = optarg; break;
        case OPT_KERNEL: p.kernel_path = optarg; break;
        case OPT_APPEND: append = optarg; break;
        case OPT_ACPI_DIR: p.acpi_dir = optarg; break;
        case OPT_RDINIT: p.rdinit_path = optarg; break;
        case OPT_SHARED_PAYLOAD: p.shared_payload_path = optarg; break;
        case OPT_BOOT_MODE:
            if (streq(optarg, "x64"))
                p.boot_mode = IGVM_BOOT_X64;
            else if (streq(optarg, "x86"))
                p.boot_mode = IGVM_BOOT_X86;
            else
                return cli_usage(CMD, "--boot-mode: x64 or x86, not '%s'", optarg);
            break;
        case OPT_VTL:
            /* IGVM: an SEV-SNP guest's highest VTL is 0 or 2 (igvm measure refuses 1) */
            if (strcmp(optarg, "0") && strcmp(optarg, "2"))
                return cli_usage(CMD, "--vtl: 0 or 2 expected, not '%s'", optarg);
            p.vtl = optarg[0] == '2' ? 2 : 0;
            break;
        case OPT_SVME: if ((rc = parse_bool("--svme", optarg, &p.svme))) return rc; break;
        case OPT_ENCRYPTED: if ((rc = parse_bool("--encrypted-page", optarg, &p.encrypted_page))) return rc; break;
        case OPT_PVALIDATE: if ((rc = parse_bool("--pvalidate-opt", optarg, &p.pvalidate_opt))) return rc; break;
        case OPT_SVN: if ((rc = parse_uint("--svn", optarg, UINT32_MAX, &p.svn))) return rc; break;
        case OPT_SIGN_KEY: key_path = optarg; break;
        case OPT_CONFIG: config = optarg; break;
        case OPT_MEASUREMENT: mfile = optarg; break;
        case OPT_JSON: json = true; break;
        case ':': return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage(CMD, "unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!out)
        return cli_usage(CMD, "missing -o FILE");
    if (!p.kernel_path)
        return cli_usage(CMD, "missing --kernel");
    p.cmdline = (const uint8_t *)append;
    p.cmdline_len = strlen(append);
    if (config && igvm_tei_config_load(config, &p.id) < 0)
        return cli_fail();
    if (key_path && !(p.sign_key = id_key_load(key_path)))
        return cli_fail();

    p.kernel_sha256 = json;

    /* the file is written into a temporary beside it as it is built; both
     * outputs are renamed into place only when all succeeded */
    struct igvm_build_result r;
    struct atomic_file of = {0}, mf = {0};
    if (atomic_open(&of, out, 0644) < 0) {
        EVP_PKEY_free(p.sign_key);
        return cli_fail();
    }
    rc = igvm_build_write(&p, of.fd, out, &r);
    EVP_PKEY_free(p.sign_key);
    if (rc < 0) {
        atomic_abort(&of);
        return cli_fail();
    }
    if (mfile) {
        json_t *m = igvm_measurement_file_json(&r, p.svn);
        char *mtext = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(m);
        rc = !mtext ? err_set(-ENOMEM, "%s: out of memory", mfile) : atomic_open(&mf, mfile, 0644);
        if (rc == 0)
            rc = write_all(mf.fd, mtext, strlen(mtext), mfile);
        free(mtext);
    }
    if (rc < 0 || atomic_commit(&of) < 0 || (mfile && atomic_commit(&mf) < 0)) {
        atomic_abort(&of);
        atomic_abort(&mf);
        igvm_build_result_free(&r);
        return cli_fail();
    }
    if (json) {
        json_t *j = result_json(&p, &r, key_path);
        char *s = json_pretty(j);
        fputs(s, stdout);
        free(s);
        json_decref(j);
    } else {
        char hex[97];
        hex_encode(r.digest, 48, hex);
        printf("%s\n", hex);
    }
    igvm_build_result_free(&r);
    return 0;
}
