/* guestimg report-html RELEASE.json -o PAGE.html [--since OLD/release.json] */
#include "cli/cli.h"
#include "release/page.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: guestimg report-html RELEASE.json -o PAGE.html [--since OLD/release.json]\n\n"
               "Writes one self-contained HTML page about the release (no scripts, no network):\n"
               "its measurements and what each covers, the packages with versions, licences\n"
               "and sizes (lock.json and sbom.cdx.json beside RELEASE.json), the dm-verity\n"
               "parameters, the kernel's provenance and every file's sha256. --since adds what\n"
               "changed since an older release: packages added, removed or upgraded (its\n"
               "lock.json beside it), measurements and the image's root hash.\n");
}

int cmd_report_html(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"since", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct page_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_path = optarg; break;
        case 's': o.since_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage("report-html", "unknown option or missing argument: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("report-html", "expected one RELEASE.json");
    if (!o.out_path)
        return cli_usage("report-html", "-o PAGE.html is required");
    o.release_path = argv[optind];
    if (release_page_write(&o) < 0)
        return cli_fail();
    return 0;
}
