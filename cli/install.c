/* guestimg install RELEASE_DIR --root DIR [--prefix P] [--pubkey PUB.pem] */
#include "cli/cli.h"
#include "common/log.h"
#include "release/install.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: guestimg install RELEASE_DIR --root DIR [--prefix PREFIX] [--pubkey PUB.pem]\n\n"
               "Verifies the release in RELEASE_DIR as `guestimg verify` does (any failed check\n"
               "refuses the install), then lays it out under DIR where Kata Containers on a\n"
               "confidential AKS node looks for it, PREFIX (default " INSTALL_PREFIX_DEFAULT "):\n"
               "  PREFIX/share/kata-containers/          image, IGVM files, root_hash.txt,\n"
               "                                         kernel and firmware, the release.json\n"
               "  PREFIX/share/defaults/kata-containers/ configuration-clh-snp.toml (and -debug),\n"
               "                                         configuration-qemu-snp.toml\n"
               "Every file is staged beside its destination and renamed into place once all\n"
               "are written; files that already hold the same bytes are left alone. Nothing\n"
               "is written outside DIR, and no symbolic link under it is followed.\n"
               "One line per file: 'installed PATH' or 'unchanged PATH' (the node's path).\n");
}

int cmd_install(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"root", required_argument, NULL, 'r'},
        {"prefix", required_argument, NULL, 'p'},
        {"pubkey", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct install_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': o.root = optarg; break;
        case 'p': o.prefix = optarg; break;
        case 'k': o.pubkey = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage("install", "unknown option or missing argument: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("install", "expected one RELEASE_DIR");
    if (!o.root)
        return cli_usage("install", "--root DIR is required (use --root / on the node itself)");
    o.release_dir = argv[optind];
    struct install_result res;
    if (release_install(&o, &res) < 0)
        return cli_fail();
    if (!o.pubkey)
        log_warn("no --pubkey: the signature of %s/release.json was not checked", o.release_dir);
    for (size_t i = 0; i < res.nentries; i++)
        printf("%s %s\n", res.entries[i].changed ? "installed" : "unchanged", res.entries[i].path);
    printf("%s: verified (%u checks) and installed under %s\n", o.release_dir, res.checks, o.root);
    install_result_free(&res);
    return 0;
}
