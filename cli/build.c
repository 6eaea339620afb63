/* guestimg build MANIFEST -o DIR: the whole release in one process
 * (release/build.h does the work). */
#include "cli/cli.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"
#include "release/assemble.h"
#include "release/build.h"
#include "release/release.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: guestimg build MANIFEST -o DIR [options]\n"
    "\n"
    "Builds the release MANIFEST describes into DIR, every step in this process:\n"
    "packages, root filesystem, ext4, dm-verity, disk layout, kernel, command line,\n"
    "SNP launch measurements, SBOMs, files.tsv, release.json and its signature.\n"
    "DIR appears whole or not at all: a failed or interrupted build leaves it as it\n"
    "was. Without --locked, MANIFEST's lock file is written too.\n"
    "\n"
    "  -o, --output DIR        the release directory (new, empty, or a release to replace)\n"
    "      --sign-key KEY.pem  sign release.json (ECDSA P-384 or Ed25519 private key)\n"
    "      --locked            resolve nothing: exactly the packages of MANIFEST's lock file\n"
    "      --cache DIR         package download cache (default $XDG_CACHE_HOME/guestimg)\n"
    "      --image-name NAME   the disk image's file name (default " BUILD_IMAGE_DEFAULT ")\n"
    "      --kernel-source P   kernel tarball or tree for kernel.from: profile\n"
    "                          (default " CLI_KERNEL_SOURCE_DEFAULT ")\n"
    "      --configs DIR       the kernel-configs directory (default: the one beside guestimg)\n"
    "      --jobs N            parallel make jobs for a kernel build (default 2)\n"
    "  -q, --quiet             no progress\n";

static int print_summary(const char *dir)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, RELEASE_FILE);
    struct release r;
    if (release_load(path, &r) < 0)
        return cli_fail();
    cli_progress_clear();
    const struct release_artifact *image = release_artifact(&r, r.image), *kernel = release_artifact(&r, r.kernel);
    printf("release: %s\n", path);
    printf("image: %s sha256 %s\n", r.image, image ? image->sha256 : "?");
    printf("root_hash: %s\n", r.verity.root_hash);
    printf("kernel: %s sha256 %s\n", r.kernel, kernel ? kernel->sha256 : "?");
    printf("cmdline: %s\n", r.cmdline);
    for (size_t i = 0; i < r.nmeasurements; i++) {
        const struct release_measurement *m = &r.measurements[i];
        printf("measurement: %s %s %s %llu vCPU%s: %s%s\n", m->mode, m->vmm_type, m->vcpu_type,
               (unsigned long long)m->vcpus, m->vcpus == 1 ? "" : "s", m->digest,
               m->kernel_hashes ? "" : " (firmware only: kernel_hashes false)");
    }
    for (size_t i = 0; i < r.nigvms; i++)
        printf("igvm: %s (%s) snp launch digest %s (kernel, cmdline with the root hash, ACPI tables)\n",
               r.igvms[i].name, r.igvms[i].variant, r.igvms[i].digest);
    release_free(&r);
    return 0;
}

int cmd_build(int argc, char **argv)
{
    enum { OPT_SIGN_KEY = 256, OPT_LOCKED, OPT_CACHE, OPT_IMAGE_NAME, OPT_KERNEL_SOURCE, OPT_CONFIGS, OPT_JOBS };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
        {"locked", no_argument, NULL, OPT_LOCKED},
        {"cache", required_argument, NULL, OPT_CACHE},
        {"image-name", required_argument, NULL, OPT_IMAGE_NAME},
        {"kernel-source", required_argument, NULL, OPT_KERNEL_SOURCE},
        {"configs", required_argument, NULL, OPT_CONFIGS},
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct build_opts o = {.kernel_source = CLI_KERNEL_SOURCE_DEFAULT, .jobs = 2};
    const char *configs = NULL;
    uint32_t jobs;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case OPT_SIGN_KEY: o.sign_key = optarg; break;
        case OPT_LOCKED: o.locked = true; break;
        case OPT_CACHE: o.cache_dir = optarg; break;
        case OPT_IMAGE_NAME: o.image_name = optarg; break;
        case OPT_KERNEL_SOURCE: o.kernel_source = optarg; break;
        case OPT_CONFIGS: configs = optarg; break;
        case OPT_JOBS:
            if (parse_u32(optarg, &jobs) < 0 || jobs == 0 || jobs > 256)
                return cli_usage("build", "--jobs '%s' is not a number from 1 to 256", optarg);
            o.jobs = jobs;
            break;
        case 'q': cli_set_quiet(true); break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return cli_usage("build", "unknown option or missing argument: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("build", "expected one MANIFEST");
    if (!o.out_dir)
        return cli_usage("build", "-o DIR is required");
    o.manifest = argv[optind];
    _cleanup_free_ char *found = configs ? NULL : cli_kernel_configs_dir();
    o.kernel_configs = configs ? configs : found;
    _cleanup_free_ char *what = xasprintf("nothing was published, %s is as it was", o.out_dir);
    cli_on_interrupt(what);
    if (release_build(&o) < 0)
        return cli_fail();
    return print_summary(o.out_dir);
}
