/* guestimg publish RELEASE_DIR --oci-layout DIR [--tag TAG] */
#include "cli/cli.h"
#include "release/oci.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: guestimg publish RELEASE_DIR --oci-layout DIR [--tag TAG]\n\n"
               "Writes the release as an OCI artifact into an OCI image layout (image-spec 1.1):\n"
               "DIR/oci-layout, DIR/index.json and DIR/blobs/sha256/. The release manifest\n"
               "(artifactType " OCI_RELEASE_ARTIFACT_TYPE ", tag TAG, default\n"
               "the release's version) has one layer per file, named by its\n"
               "org.opencontainers.image.title annotation; release.json.sig and\n"
               "provenance.dsse.json go into a second manifest whose subject is the first\n"
               "(tag sha256-<digest>.sig). Every file is checked against release.json as it is\n"
               "copied. DIR must be absent, empty or an OCI layout; it is replaced whole, once\n"
               "everything is written. Copy it to a registry with skopeo or oras:\n"
               "  skopeo copy oci:DIR:TAG docker://REGISTRY/NAME:TAG\n");
}

int cmd_publish(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"oci-layout", required_argument, NULL, 'o'},
        {"tag", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct oci_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.layout_dir = optarg; break;
        case 't': o.tag = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage("publish", "unknown option or missing argument: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("publish", "expected one RELEASE_DIR");
    if (!o.layout_dir)
        return cli_usage("publish", "--oci-layout DIR is required");
    o.release_dir = argv[optind];
    char digest[72];
    if (release_publish_oci(&o, digest) < 0)
        return cli_fail();
    printf("%s: release manifest %s\n", o.layout_dir, digest);
    return 0;
}
