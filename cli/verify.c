/* guestimg verify RELEASE.json [--pubkey PUB.pem] [--artifacts DIR] */
#include "cli/cli.h"
#include "common/log.h"
#include "release/verify.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: guestimg verify RELEASE.json [--pubkey PUB.pem] [--artifacts DIR]\n\n"
               "Checks a release: its detached signature RELEASE.json.sig (with --pubkey), the\n"
               "size and sha256 of every artifact, the kernel's provenance, the dm-verity root\n"
               "hash and hash tree recomputed from the image, the SNP measurements recomputed\n"
               "from the kernel, command line and firmware, the files derived from release.json\n"
               "(cmdline.txt, measurement files, trustee reference values) and the SBOMs'\n"
               "digests of the image, the kernel and every package (against lock.json).\n"
               "Artifacts are read from DIR (default: the directory of RELEASE.json); a file\n"
               "there that RELEASE.json does not list is a warning. One line per check,\n"
               "'ok …' or 'MISMATCH …: expected X actual Y'; exit status 0 only when every\n"
               "check passes.\n");
}

struct tally {
    unsigned checks;
};

static void print_check(const struct verify_check *c, void *ctx)
{
    struct tally *t = ctx;
    t->checks++;
    if (c->ok)
        printf("ok %s\n", c->what);
    else
        printf("MISMATCH %s: expected %s actual %s\n", c->what, c->expected, c->actual);
}

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pubkey", required_argument, NULL, 'k'},
        {"artifacts", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct verify_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': o.pubkey = optarg; break;
        case 'a': o.artifacts_dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage("verify", "unknown option or missing argument: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("verify", "expected one RELEASE.json");
    o.release_path = argv[optind];
    struct tally t = {0};
    int failed = release_verify(&o, print_check, &t);
    if (failed < 0)
        return cli_fail();
    if (!o.pubkey)
        log_warn("no --pubkey: the signature of %s was not checked", o.release_path);
    if (failed)
        printf("%s: %d of %u checks failed\n", o.release_path, failed, t.checks);
    else
        printf("%s: all %u checks passed\n", o.release_path, t.checks);
    return failed ? EXIT_FAIL : 0;
}
