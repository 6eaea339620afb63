/* guestimg rootfs: directories and archives → a bit-reproducible ext4
 * image with dm-verity, without root. */
#include "builder/fs/rootfs.h"
#include "builder/packages/compose.h"
#include "builder/fs/ext4.h"
#include "builder/fs/tree.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/util.h"
#include "common/uuid.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: guestimg rootfs -o IMAGE [options] INPUT...\n"
    "       guestimg rootfs -o IMAGE --manifest MANIFEST [--locked] [--cache DIR] [options]\n"
    "\n"
    "Merges INPUTs (directories; tar or cpio archives, optionally gzip, bzip2,\n"
    "xz, lzma or zstd compressed) in order into one tree and writes it as a\n"
    "bit-reproducible ext4 image with a dm-verity hash tree, without root.\n"
    "\n"
    "  -o, --output IMAGE    the image to write (also IMAGE.verity for the raw\n"
    "                        layout, and root_hash.txt beside it)\n"
    "      --layout raw|kata raw: IMAGE is the filesystem (default); kata: an\n"
    "                        msdos disk, p1 = filesystem, p2 = hash tree\n"
    "      --epoch SECONDS   every timestamp (default: $SOURCE_DATE_EPOCH, else 0)\n"
    "      --seed UUID       derives the filesystem UUID, directory hash seed,\n"
    "                        verity salt and disk id (default: a UUID derived\n"
    "                        from the tree's content)\n"
    "      --size auto|BYTES filesystem size; BYTES may end in K, M or G (x1024)\n"
    "                        and must be a multiple of 4096 (default: auto)\n"
    "      --journal         add an ext4 journal (none by default)\n"
    "      --no-verity       no hash tree, no root_hash.txt\n"
    "      --keep-owner      keep directory inputs' owners (default: 0:0)\n"
    "      --json            print the result as one JSON object\n"
    "  -q, --quiet           no progress\n"
    "\n"
    "With --manifest the tree comes from MANIFEST's packages and files (docs/manifest.md),\n"
    "and so do the epoch, seed, layout and size; MANIFEST's lock file is written.\n"
    "      --manifest FILE   build from a manifest instead of INPUTs\n"
    "      --locked          resolve nothing: exactly the packages of MANIFEST's lock file\n"
    "      --cache DIR       package download cache (default $XDG_CACHE_HOME/guestimg)\n";

static int parse_size(const char *s, uint64_t *out)
{
    if (!strcmp(s, "auto")) {
        *out = 0;
        return 0;
    }
    _cleanup_free_ char *num = xstrdup(s);
    size_t n = strlen(num);
    unsigned shift = 0;
    if (n && strchr("KMG", num[n - 1])) {
        shift = num[n - 1] == 'K' ? 10 : num[n - 1] == 'M' ? 20 : 30;
        num[n - 1] = 0;
    }
    uint64_t v;
    if (parse_u64(num, &v) < 0 || v == 0 || v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

static int parse_epoch(const char *s, int64_t *out)
{
    uint64_t v;
    if (parse_u64(s, &v) < 0 || v > (uint64_t)EXT4_EPOCH_MAX)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static void print_summary(const struct rootfs_result *r)
{
    printf("image: %s (%s layout)\nimage_sha256: %s\nseed: %s\nfs_uuid: %s\n", r->image,
           r->layout == ROOTFS_KATA ? "kata" : "raw", r->image_sha256, r->seed, r->fs_uuid);
    if (r->verity) {
        char root[2 * VERITY_DIGEST_LEN + 1];
        hex_encode(r->v.root_hash, VERITY_DIGEST_LEN, root);
        printf("root_hash: %s\n", root);
    }
    printf("cmdline: %s\n", r->cmdline);
}

static void print_result(const struct rootfs_result *res, bool json)
{
    if (json) {
        json_t *j = rootfs_result_json(res);
        _cleanup_free_ char *s = json_pretty(j);
        json_decref(j);
        fputs(s, stdout);
    } else {
        print_summary(res);
    }
}

/* --manifest: the tree, epoch, seed, layout and size come from the
 * manifest (builder/packages/compose); its lock file is written once the image is.
 * conflicting names an option the manifest replaces (NULL: none given). */
static int rootfs_from_manifest(const char *path, const char *output, struct rootfs_opts *o,
                                const struct compose_opts *copts, bool json, bool inputs, const char *conflicting)
{
    if (inputs)
        return cli_usage("rootfs", "INPUTs and --manifest exclude each other");
    if (conflicting)
        return cli_usage("rootfs", "%s comes from the manifest with --manifest", conflicting);
    struct manifest *m = manifest_load(path);
    if (!m)
        return cli_fail();
    o->epoch = m->epoch;
    memcpy(o->seed, m->seed, sizeof(o->seed));
    o->layout = m->image.layout == IMAGE_LAYOUT_KATA ? ROOTFS_KATA : ROOTFS_RAW;
    o->size = m->image.size;
    if (rootfs_check_output(output, o) < 0) {   /* before the lock file or anything else */
        manifest_free(m);
        return cli_fail();
    }
    _cleanup_free_ char *out_copy = xstrdup(output);
    _cleanup_free_ char *lock_path = manifest_lock_path(m);
    struct tree *t = tree_new(dirname(out_copy));
    struct package_set pkgs;
    struct lock lock;
    struct rootfs_result res;
    int r = compose_tree(m, copts, t, &pkgs, &lock);
    if (r == 0) {
        r = rootfs_build(t, output, o, &res);
        if (r == 0 && !copts->locked && (r = lock_write(&lock, lock_path)) < 0)
            rootfs_result_free(&res);
        package_set_free(&pkgs);
        lock_free(&lock);
    }
    tree_free(t);
    manifest_free(m);
    if (r < 0)
        return cli_fail();
    print_result(&res, json);
    rootfs_result_free(&res);
    return 0;
}

int cmd_rootfs(int argc, char **argv)
{
    enum { OPT_LAYOUT = 256, OPT_EPOCH, OPT_SEED, OPT_SIZE, OPT_JOURNAL, OPT_NO_VERITY, OPT_KEEP_OWNER, OPT_JSON,
           OPT_MANIFEST, OPT_LOCKED, OPT_CACHE };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},   {"layout", required_argument, NULL, OPT_LAYOUT},
        {"epoch", required_argument, NULL, OPT_EPOCH}, {"seed", required_argument, NULL, OPT_SEED},
        {"size", required_argument, NULL, OPT_SIZE},   {"journal", no_argument, NULL, OPT_JOURNAL},
        {"no-verity", no_argument, NULL, OPT_NO_VERITY}, {"keep-owner", no_argument, NULL, OPT_KEEP_OWNER},
        {"json", no_argument, NULL, OPT_JSON},         {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},              {"manifest", required_argument, NULL, OPT_MANIFEST},
        {"locked", no_argument, NULL, OPT_LOCKED},     {"cache", required_argument, NULL, OPT_CACHE},
        {0},
    };
    const char *output = NULL, *epoch_arg = NULL, *seed_arg = NULL;
    struct rootfs_opts o = {.layout = ROOTFS_RAW, .epoch = ROOTFS_DEFAULT_EPOCH, .verity = true};
    struct tree_input_opts in = {0};
    bool json = false;
    const char *manifest = NULL, *from_manifest = NULL;
    struct compose_opts copts = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_LAYOUT:
            from_manifest = "--layout";
            if (!strcmp(optarg, "raw"))
                o.layout = ROOTFS_RAW;
            else if (!strcmp(optarg, "kata"))
                o.layout = ROOTFS_KATA;
            else
                return cli_usage("rootfs", "--layout must be raw or kata, not '%s'", optarg);
            break;
        case OPT_EPOCH: epoch_arg = optarg; from_manifest = "--epoch"; break;
        case OPT_SEED: seed_arg = optarg; from_manifest = "--seed"; break;
        case OPT_SIZE:
            from_manifest = "--size";
            if (parse_size(optarg, &o.size) < 0 || o.size % EXT4_BLOCK_SIZE)
                return cli_usage("rootfs", "--size must be auto or a multiple of 4096 bytes, not '%s'", optarg);
            break;
        case OPT_JOURNAL: o.journal = true; break;
        case OPT_NO_VERITY: o.verity = false; break;
        case OPT_KEEP_OWNER: in.keep_owner = true; break;
        case OPT_JSON: json = true; break;
        case 'q': cli_set_quiet(true); break;
        case OPT_MANIFEST: manifest = optarg; break;
        case OPT_LOCKED: copts.locked = true; break;
        case OPT_CACHE: copts.cache_dir = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return cli_usage("rootfs", "unknown option");
        }
    }
    if (!output)
        return cli_usage("rootfs", "-o IMAGE is required");
    if (manifest)
        return rootfs_from_manifest(manifest, output, &o, &copts, json, optind < argc, from_manifest);
    if (copts.locked || copts.cache_dir)
        return cli_usage("rootfs", "--locked and --cache go with --manifest");
    if (optind >= argc)
        return cli_usage("rootfs", "no INPUT given");
    if (!epoch_arg)
        epoch_arg = getenv("SOURCE_DATE_EPOCH");
    if (epoch_arg && *epoch_arg && parse_epoch(epoch_arg, &o.epoch) < 0)
        return cli_usage("rootfs", "the epoch must be a number of seconds from 0 to %lld, not '%s'",
                         (long long)EXT4_EPOCH_MAX, epoch_arg);
    o.seed_from_tree = !seed_arg;
    if (seed_arg && uuid_parse(seed_arg, o.seed) < 0)
        return cli_usage("rootfs", "--seed must be a UUID, not '%s'", seed_arg);

    if (rootfs_check_output(output, &o) < 0)
        return cli_fail();
    _cleanup_free_ char *out_copy = xstrdup(output);
    struct tree *t = tree_new(dirname(out_copy));   /* spool beside the output, not in a tmpfs */
    tree_set_size_limit(t, o.size);   /* nothing is removed after the INPUTs: a bound from the start */
    for (int i = optind; i < argc; i++)
        if (tree_add_input(t, argv[i], &in) < 0) {
            tree_free(t);
            return cli_fail();
        }
    struct rootfs_result res;
    int r = rootfs_build(t, output, &o, &res);
    tree_free(t);
    if (r < 0)
        return cli_fail();
    print_result(&res, json);
    rootfs_result_free(&res);
    return 0;
}
