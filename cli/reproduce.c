/* guestimg reproduce RELEASE.json --manifest M [--lock L]: rebuild and
 * compare (release/reproduce.h). */
#include "cli/cli.h"
#include "common/util.h"
#include "release/files.h"
#include "release/reproduce.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: guestimg reproduce RELEASE.json --manifest MANIFEST [--lock LOCK] [options]\n"
    "\n"
    "Rebuilds the release from MANIFEST and its lock in a scratch directory, with\n"
    "exactly the locked packages, and compares every artifact with RELEASE.json's.\n"
    "MANIFEST, LOCK and the kernel's inputs (the kernel source and kernel-configs\n"
    "files, or the kernel file) must be the ones the release was built from (their\n"
    "sha256 are in RELEASE.json). Prints one line per artifact, 'same NAME' or\n"
    "'DIFFERS NAME: …', for a differing image each file that differs (from\n"
    "files.tsv: added, removed, changed content, changed metadata) and each\n"
    "inode that differs in its filesystem (mtime 0 -> 1000000000), for a\n"
    "differing kernel.inputs.txt or kernel.config the lines that differ, for a\n"
    "differing JSON file the keys that differ (packages[0].version: A -> B), and,\n"
    "when diffoscope is installed, its report on the first differing file. Exit\n"
    "status 0 when the rebuild is the release, 1 when anything differs.\n"
    "\n"
    "      --manifest FILE     the manifest (required)\n"
    "      --lock FILE         the lock file (default: lock.json beside RELEASE.json,\n"
    "                          else MANIFEST's lock file)\n"
    "      --scratch DIR       where the rebuild goes (default $TMPDIR, else /var/tmp)\n"
    "      --cache DIR         package download cache (default $XDG_CACHE_HOME/guestimg)\n"
    "      --kernel-source P   kernel tarball or tree for kernel.from: profile\n"
    "                          (default " CLI_KERNEL_SOURCE_DEFAULT ")\n"
    "      --configs DIR       the kernel-configs directory (default: the one beside guestimg)\n"
    "  -q, --quiet             no progress\n";

static void on_artifact(const char *name, const char *published, const char *rebuilt, void *ctx)
{
    (void)ctx;
    cli_progress_clear();
    if (published && rebuilt && !strcmp(published, rebuilt))
        printf("same %s\n", name);
    else
        printf("DIFFERS %s: published %s rebuilt %s\n", name, published ? published : "(absent)",
           rebuilt ? rebuilt : "(absent)");
}

/* "file 800 bytes SHA256", "symlink busybox", "char 1:3", "dir". */
static void print_content(const struct files_entry *e)
{
    if (!strcmp(e->type, "file"))
        printf("file %llu bytes %s", (unsigned long long)e->size, e->content);
    else if (!strcmp(e->content, "-"))
        fputs(e->type, stdout);
    else
        printf("%s %s", e->type, e->content);
}

static void print_metadata(const struct files_entry *e)
{
    printf("mode %04o uid %u gid %u xattrs %s", e->mode, e->uid, e->gid, e->xattrs);
}

/* A header before the first detail line of each artifact. */
struct details {
    const char *artifact;
};

static void details_of(struct details *d, const char *artifact, const char *what)
{
    if (d->artifact && !strcmp(d->artifact, artifact))
        return;
    d->artifact = artifact;
    printf("%s that differ in %s:\n", what, artifact);
}

static void on_file(unsigned changes, const struct files_entry *a, const struct files_entry *b, void *ctx)
{
    details_of(ctx, "the image (from files.tsv)", "files");
    _cleanup_free_ char *path = files_escape_path((a ? a : b)->path);
    if (changes & FILES_ADDED)
        printf("  added %s (%s)\n", path, b->type);
    if (changes & FILES_REMOVED)
        printf("  removed %s (%s)\n", path, a->type);
    if (changes & FILES_CONTENT) {
        printf("  changed content %s: ", path);
        print_content(a);
        fputs(" -> ", stdout);
        print_content(b);
        putchar('\n');
    }
    if (changes & FILES_METADATA) {
        printf("  changed metadata %s: ", path);
        print_metadata(a);
        fputs(" -> ", stdout);
        print_metadata(b);
        putchar('\n');
    }
}

static void on_line(const char *artifact, const char *published, const char *rebuilt, void *ctx)
{
    details_of(ctx, artifact, "lines");
    printf("  %c %s\n", published ? '-' : '+', published ? published : rebuilt);
}

static void on_key(const char *artifact, const char *path, const char *published, const char *rebuilt, void *ctx)
{
    details_of(ctx, artifact, "keys");
    if (!path)
        printf("  … and %s more\n", published);
    else
        printf("  %s: %s -> %s\n", path, published ? published : "(absent)", rebuilt ? rebuilt : "(absent)");
}

static void on_inode(const char *artifact, const char *path, const char *what, void *ctx)
{
    details_of(ctx, artifact, "inodes");
    if (!path) {
        printf("  (superblock): %s\n", what);
    } else if (!strcmp(path, "…")) {
        printf("  … and %s\n", what);
    } else {
        _cleanup_free_ char *p = files_escape_path(path);
        printf("  %s: %s\n", p, what);
    }
}

static void on_summary(const char *artifact, const char *text, bool truncated, void *ctx)
{
    (void)ctx;
    if (truncated)
        printf("diffoscope on %s (its first %d bytes):\n", artifact, COMPARE_SUMMARY_MAX);
    else
        printf("diffoscope on %s:\n", artifact);
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        printf("  %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

static void on_no_detail(const char *artifact, const char *why, void *ctx)
{
    (void)ctx;
    printf("cannot say what differs in %s: %s\n", artifact, why);
}

int cmd_reproduce(int argc, char **argv)
{
    enum { OPT_MANIFEST = 256, OPT_LOCK, OPT_SCRATCH, OPT_CACHE, OPT_KERNEL_SOURCE, OPT_CONFIGS };
    static const struct option longopts[] = {
        {"manifest", required_argument, NULL, OPT_MANIFEST},
        {"lock", required_argument, NULL, OPT_LOCK},
        {"scratch", required_argument, NULL, OPT_SCRATCH},
        {"cache", required_argument, NULL, OPT_CACHE},
        {"kernel-source", required_argument, NULL, OPT_KERNEL_SOURCE},
        {"configs", required_argument, NULL, OPT_CONFIGS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct reproduce_opts o = {.build = {.kernel_source = CLI_KERNEL_SOURCE_DEFAULT, .jobs = 2}};
    const char *configs = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MANIFEST: o.build.manifest = optarg; break;
        case OPT_LOCK: o.build.lock_path = optarg; break;
        case OPT_SCRATCH: o.scratch_parent = optarg; break;
        case OPT_CACHE: o.build.cache_dir = optarg; break;
        case OPT_KERNEL_SOURCE: o.build.kernel_source = optarg; break;
        case OPT_CONFIGS: configs = optarg; break;
        case 'q': cli_set_quiet(true); break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return cli_usage("reproduce", "unknown option or missing argument: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("reproduce", "expected one RELEASE.json");
    if (!o.build.manifest)
        return cli_usage("reproduce", "--manifest is required");
    o.release_json = argv[optind];
    _cleanup_free_ char *found = configs ? NULL : cli_kernel_configs_dir();
    o.build.kernel_configs = configs ? configs : found;
    cli_on_interrupt("the scratch directory was removed");
    struct details details = {0};
    struct compare_report rep = {.artifact = on_artifact, .file = on_file, .line = on_line, .no_detail = on_no_detail,
                                 .ctx = &details, .key = on_key, .summary = on_summary,
                                 .inode = on_inode};
    int r = release_reproduce(&o, &rep);
    if (r < 0)
        return cli_fail();
    if (r == 0) {
        printf("%s: reproduced: every artifact rebuilt to the same bytes\n", o.release_json);
        return 0;
    }
    printf("%s: not reproduced: %d artifact%s differ%s\n", o.release_json, r, r == 1 ? "" : "s", r == 1 ? "s" : "");
    return EXIT_FAIL;
}
