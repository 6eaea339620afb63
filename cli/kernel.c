/* guestimg kernel: config (merge + audit), build (reproducible, cached),
 * inspect (what a kernel file is). */
#include "builder/kernel/kernel.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#define MAX_EPOCH 253402300799ull /* 9999-12-31 */

static const char usage_text[] =
    "usage: guestimg kernel config --source TREE|TARBALL --profile NAME -o FILE\n"
    "       guestimg kernel build  --source TREE|TARBALL --profile NAME -o DIR [--json]\n"
    "       guestimg kernel inspect FILE\n"
    "\n"
    "config  start from the profile's base, merge its fragments in order, run\n"
    "        olddefconfig, and audit: each option a fragment asked for that did not\n"
    "        get its value is a warning naming the fragment line and the Kconfig\n"
    "        reason; a required one is an error. Writes the .config to FILE.\n"
    "build   the same, then build bzImage and vmlinux reproducibly (cached in\n"
    "        ${XDG_CACHE_HOME:-~/.cache}/guestimg/kernel) and copy bzImage, vmlinux\n"
    "        and kernel.config into DIR. Prints their sha256 (or JSON with --json).\n"
    "inspect what a kernel file is: bzImage (boot protocol, version) or ELF vmlinux.\n"
    "\n"
    "options:\n"
    "  --source PATH     a kernel tarball (extracted once into the cache) or a clean tree\n"
    "  --profile NAME    kernel-configs/profiles/NAME.list, or a path to a .list file\n"
    "  --configs DIR     the kernel-configs directory (default: the one beside guestimg)\n"
    "  --epoch SECONDS   build timestamp (default: $SOURCE_DATE_EPOCH, else 0)\n"
    "  --jobs N          parallel make jobs (default 2)\n"
    "  -o, --output      the .config file (config) or the output directory (build)\n"
    "  --json            (build) print the result as JSON\n"
    "  -q, --quiet       no progress or information on stderr\n";

struct kernel_args {
    const char *source, *profile, *configs, *output;
    uint64_t epoch;
    unsigned jobs;
    bool json;
};

char *cli_kernel_configs_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        char *dir = dirname(exe);
        for (int up = 0; up < 4; up++) {
            char *cand = xasprintf("%s/kernel-configs", dir);
            _cleanup_free_ char *profiles = xasprintf("%s/profiles", cand);
            if (access(profiles, F_OK) == 0)
                return cand;
            free(cand);
            dir = dirname(dir);
        }
    }
    return xstrdup("kernel-configs");
}

static int load_profile(const struct kernel_args *a, struct kernel_profile *prof)
{
    _cleanup_free_ char *configs = a->configs ? xstrdup(a->configs) : cli_kernel_configs_dir();
    _cleanup_free_ char *path = NULL, *fragments = NULL;
    if (strchr(a->profile, '/') || endswith(a->profile, ".list")) {
        path = xstrdup(a->profile);
        _cleanup_free_ char *copy = xstrdup(a->profile);
        fragments = xasprintf("%s/../fragments", dirname(copy));
    } else {
        path = xasprintf("%s/profiles/%s.list", configs, a->profile);
        fragments = xasprintf("%s/fragments", configs);
        if (access(path, F_OK) < 0)
            return cli_error("kernel profile '%s' not found (%s)", a->profile, path);
    }
    return kernel_profile_load(path, fragments, prof) < 0 ? cli_fail() : 0;
}

static int parse_args(int argc, char **argv, struct kernel_args *a)
{
    enum { OPT_SOURCE = 256, OPT_PROFILE, OPT_CONFIGS, OPT_EPOCH, OPT_JOBS, OPT_JSON };
    static const struct option opts[] = {
        {"source", required_argument, NULL, OPT_SOURCE}, {"profile", required_argument, NULL, OPT_PROFILE},
        {"configs", required_argument, NULL, OPT_CONFIGS}, {"epoch", required_argument, NULL, OPT_EPOCH},
        {"jobs", required_argument, NULL, OPT_JOBS},       {"json", no_argument, NULL, OPT_JSON},
        {"output", required_argument, NULL, 'o'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},                  {0}};
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    *a = (struct kernel_args){.jobs = 2};
    if (sde && *sde && (parse_u64(sde, &a->epoch) < 0 || a->epoch > MAX_EPOCH))
        return cli_usage("kernel", "SOURCE_DATE_EPOCH '%s' is not a number of seconds", sde);
    int c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_SOURCE: a->source = optarg; break;
        case OPT_PROFILE: a->profile = optarg; break;
        case OPT_CONFIGS: a->configs = optarg; break;
        case OPT_JSON: a->json = true; break;
        case 'o': a->output = optarg; break;
        case 'q': cli_set_quiet(true); break;
        case OPT_EPOCH:
            if (parse_u64(optarg, &a->epoch) < 0 || a->epoch > MAX_EPOCH)
                return cli_usage("kernel", "--epoch '%s' is not a number of seconds", optarg);
            break;
        case OPT_JOBS:
            if (parse_u64(optarg, &v) < 0 || v == 0 || v > 256)
                return cli_usage("kernel", "--jobs '%s' is not a number from 1 to 256", optarg);
            a->jobs = (unsigned)v;
            break;
        case 'h': fputs(usage_text, stdout); return -1;
        default: return cli_usage("kernel", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage("kernel", "unexpected argument '%s'", argv[optind]);
    if (!a->source || !a->profile || !a->output)
        return cli_usage("kernel", "--source, --profile and -o are required");
    return 0;
}

static int print_build(const struct kernel_args *a, const struct kernel_profile *prof,
                       const struct kernel_source *src, const struct kernel_build *b)
{
    static const char *const files[] = {"bzImage", "vmlinux", "kernel.config"};
    static const char *const keys[] = {"bzimage_sha256", "vmlinux_sha256", "config_sha256"};
    char hex[3][2 * SHA256_LEN + 1];
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", a->output, files[i]);
        if (sha256_file_hex(p, hex[i], NULL) < 0)
            return cli_fail();
    }
    if (!a->json) {
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
            printf("%s  %s/%s\n", hex[i], a->output, files[i]);
        return 0;
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "profile", prof->name, "linux_version", src->version,
                          "source_sha256", src->digest, "cache_key", b->key);
    _cleanup_free_ char *bz = xasprintf("%s/bzImage", a->output);
    json_object_set_new(j, "bzimage", json_string(bz));
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        json_object_set_new(j, keys[i], json_string(hex[i]));
    _cleanup_free_ char *text = json_pretty(j);
    json_decref(j);
    fputs(text, stdout);
    return 0;
}

static int run_config_or_build(bool build, int argc, char **argv)
{
    struct kernel_args a;
    int r = parse_args(argc, argv, &a);
    if (r)
        return r < 0 ? 0 : r;
    struct kernel_profile prof;
    if ((r = load_profile(&a, &prof)))
        return r;
    _cleanup_free_ char *cache = kernel_cache_dir();
    struct kernel_settings set = {.cache_dir = cache, .epoch = a.epoch, .jobs = a.jobs};
    struct kernel_source src;
    if (kernel_source_open(a.source, cache, &src) < 0) {
        kernel_profile_free(&prof);
        return cli_fail();
    }
    if (build) {
        _cleanup_free_ char *what =
            xasprintf("no kernel was added to the cache, %s was not written", a.output);
        cli_on_interrupt(what);
        struct kernel_build b;
        r = kernel_build(&src, &prof, &set, &b) < 0 || kernel_install(&b, a.output) < 0 ? cli_fail() : 0;
        if (!r) {
            log_info("kernel: linux-%s, profile %s: %s build %s", src.version, prof.name,
                     b.cached ? "cached" : "new", b.dir);
            r = print_build(&a, &prof, &src, &b);
        }
        kernel_build_free(&b);
    } else {
        struct kernel_config_result cfg;
        r = kernel_config(&src, &prof, &set, &cfg) < 0 ||
                    file_write_atomic(a.output, cfg.text, strlen(cfg.text), 0644) < 0
                ? cli_fail()
                : 0;
        kernel_config_result_free(&cfg);
    }
    kernel_source_free(&src);
    kernel_profile_free(&prof);
    return r;
}

static int run_inspect(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage("kernel", "inspect takes one file");
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    struct kernel_image img;
    if (file_read_all(argv[1], &buf, &len, 512u << 20) < 0 || kernel_image_inspect(buf, len, argv[1], &img) < 0)
        return cli_fail();
    if (img.kind == KERNEL_ELF)
        printf("%s: ELF x86-64 vmlinux\n", argv[1]);
    else
        printf("%s: bzImage, boot protocol %u.%02u, version %s\n", argv[1], img.boot_protocol >> 8,
               img.boot_protocol & 0xff, img.version[0] ? img.version : "(none)");
    return 0;
}

int cmd_kernel(int argc, char **argv)
{
    if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (streq(argv[1], "config"))
        return run_config_or_build(false, argc - 1, argv + 1);
    if (streq(argv[1], "build"))
        return run_config_or_build(true, argc - 1, argv + 1);
    if (streq(argv[1], "inspect"))
        return run_inspect(argc - 1, argv + 1);
    return cli_usage("kernel", "unknown subcommand '%s' (config, build or inspect)", argv[1]);
}
