/* guestimg lock: resolve a manifest's packages and write its lock file. */
#include "builder/packages/fetch.h"
#include "builder/packages/lock.h"
#include "builder/manifest/manifest.h"
#include "builder/packages/repo.h"
#include "cli/cli.h"
#include "common/log.h"
#include "common/util.h"

#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: guestimg lock [--cache DIR] [--fetch] [--quiet] MANIFEST\n\n"
               "Resolve MANIFEST's packages (repositories with libsolv, local files) and write\n"
               "MANIFEST's lock file (x.yaml -> x.lock.json): every package with its EVR, arch,\n"
               "repository, URL or path, size, sha256 and dependencies, sorted.\n\n"
               "  --cache DIR  content-addressed download cache (default $XDG_CACHE_HOME/guestimg)\n"
               "  --fetch      also download every package into the cache and check its sha256\n"
               "  -q, --quiet  no progress or summary\n");
}

/* Download every locked package (and the kernel package) through the cache. */
static int prefetch(struct fetcher *f, const struct lock *l)
{
    for (size_t i = 0; i <= l->pkgs.n; i++) {
        const struct package *p = i < l->pkgs.n ? &l->pkgs.v[i] : l->kernel;
        if (!p || !p->repo)
            continue;
        log_progress("downloading packages", i, l->pkgs.n);
        int fd;
        if (fetch_verified(f, p->location, "sha256", p->sha256, p->size, &fd, NULL) < 0)
            return -1;
        close(fd);
    }
    return 0;
}

int cmd_lock(int argc, char **argv)
{
    static const struct option opts[] = {
        {"cache", required_argument, NULL, 'c'}, {"fetch", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cache = NULL;
    bool fetch = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cache = optarg; break;
        case 'f': fetch = true; break;
        case 'q': cli_set_quiet(true); break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage("lock", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("lock", "expected one MANIFEST");
    struct manifest *m = manifest_load(argv[optind]);
    if (!m)
        return cli_fail();
    struct fetcher *f = fetcher_new(cache);
    struct lock l = {0};
    _cleanup_free_ char *path = manifest_lock_path(m);
    int r = f ? repo_resolve(m, f, &l) : -1;
    if (r == 0 && fetch)
        r = prefetch(f, &l);
    if (r == 0)
        r = lock_write(&l, path);
    if (r == 0)
        log_info("%s: %zu package%s%s", path, l.pkgs.n, l.pkgs.n == 1 ? "" : "s",
                 l.kernel ? " and the kernel package" : "");
    lock_free(&l);
    fetcher_free(f);
    manifest_free(m);
    return r < 0 ? cli_fail() : 0;
}
