/* guestimg igvm dump|measure: IGVM guest files over measure/igvm. */
#include "cli/cli.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "measure/igvm.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#define CMD "igvm"

int cmd_igvm_build(int argc, char **argv);
void igvm_build_usage(void);

enum { OPT_JSON = 256, OPT_NO_CHECKSUM, OPT_NATIVE_ZERO, OPT_IGNORE_IDBLOCK };

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-checksum", no_argument, NULL, OPT_NO_CHECKSUM},
    {"native-zero", no_argument, NULL, OPT_NATIVE_ZERO},
    {"ignore-idblock", no_argument, NULL, OPT_IGNORE_IDBLOCK},
    {0},
};

static void usage(void)
{
    printf("usage: guestimg igvm dump FILE [--json] [--no-checksum]\n"
           "       guestimg igvm measure FILE [--native-zero] [--ignore-idblock] [--json] [--no-checksum]\n");
    igvm_build_usage();
    printf("\n"
           "Validate an IGVM guest file (fixed header, CRC-32, variable headers, file offsets).\n"
           "dump lists its headers and directives; measure prints the SEV-SNP launch digest\n"
           "(lowercase hex) of its directives for the SEV-SNP platform. build makes one for\n"
           "Linux direct boot as igvm-tooling's igvmgen does (guestimg igvm build --help).\n\n"
           "  --json            one JSON object instead of text\n"
           "  --no-checksum     read a file whose header CRC-32 does not match\n"
           "  --native-zero     measure pages without data as ZERO pages, not as NORMAL\n"
           "                    pages of zeros (igvmmeasure --native-zero)\n"
           "  --ignore-idblock  do not fail when the file's SNP ID block names another digest\n");
}

struct options {
    bool measure, json, native_zero, ignore_idblock;
    unsigned parse_opts;
    const char *file;
};

static int parse_options(struct options *o, int argc, char **argv)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (c) {
        case 'h': usage(); exit(0);
        case OPT_JSON: o->json = true; break;
        case OPT_NO_CHECKSUM: o->parse_opts |= IGVM_NO_CHECKSUM; break;
        case OPT_NATIVE_ZERO: o->native_zero = true; break;
        case OPT_IGNORE_IDBLOCK: o->ignore_idblock = true; break;
        default: return cli_usage(CMD, "unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage(CMD, "missing subcommand: dump or measure");
    const char *sub = argv[optind++];
    if (!streq(sub, "dump") && !streq(sub, "measure"))
        return cli_usage(CMD, "unknown subcommand '%s' (dump or measure)", sub);
    o->measure = streq(sub, "measure");
    if (optind >= argc)
        return cli_usage(CMD, "%s: missing FILE", sub);
    o->file = argv[optind++];
    if (optind < argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->measure && (o->native_zero || o->ignore_idblock))
        return cli_usage(CMD, "dump: --native-zero and --ignore-idblock are measure options");
    return 0;
}

static json_t *hex_json(const uint8_t *b, size_t n)
{
    char s[2 * GCTX_LD_LEN + 1];
    hex_encode(b, n, s);
    return json_string(s);
}

/* What the ID key's signature says: checked (valid or not, and the key's
 * digest), or not checkable (warned about). */
struct id_check {
    bool checked, valid;
    uint8_t key_digest[GCTX_LD_LEN];
};

static void check_id_block(const char *file, const struct igvm_snp_result *r, struct id_check *c)
{
    if (!r->has_policy) {
        log_warn("%s: no GUEST_POLICY for the SEV-SNP platform: the ID block's signature cannot be checked", file);
    } else if (igvm_id_block_check(&r->id_block, r->policy, &c->valid, c->key_digest) < 0) {
        log_warn("%s: the ID block's signature cannot be checked: %s", file, err_msg());
    } else {
        c->checked = true;
        if (!c->valid)
            log_warn("%s: the ID key's signature over the SNP ID block does not verify", file);
    }
}

static json_t *id_block_json(const struct igvm_id_block *id, bool matches, const struct id_check *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "launch_digest", hex_json(id->ld, sizeof(id->ld)));
    json_object_set_new(o, "matches", json_boolean(matches));
    json_object_set_new(o, "signature_valid", c->checked ? json_boolean(c->valid) : json_null());
    json_object_set_new(o, "id_key_digest",
                        c->checked ? hex_json(c->key_digest, sizeof(c->key_digest)) : json_null());
    json_object_set_new(o, "family_id", hex_json(id->family_id, sizeof(id->family_id)));
    json_object_set_new(o, "image_id", hex_json(id->image_id, sizeof(id->image_id)));
    json_object_set_new(o, "version", json_integer(id->version));
    json_object_set_new(o, "guest_svn", json_integer(id->guest_svn));
    json_object_set_new(o, "id_key_algorithm", json_integer(id->id_key_algorithm));
    json_object_set_new(o, "author_key_enabled", json_boolean(id->author_key_enabled));
    json_object_set_new(o, "author_key_algorithm", json_integer(id->author_key_algorithm));
    return o;
}

static char *measure_json(const struct options *o, const struct igvm_snp_result *r, bool matches,
                          const struct id_check *c)
{
    char mask[16], policy[24];
    json_t *j = json_object();
    json_object_set_new(j, "digest", hex_json(r->digest, sizeof(r->digest)));
    json_object_set_new(j, "native_zero", json_boolean(o->native_zero));
    snprintf(mask, sizeof(mask), "0x%x", r->mask);
    json_object_set_new(j, "compatibility_mask", json_string(mask));
    snprintf(policy, sizeof(policy), "0x%" PRIx64, r->policy);
    json_object_set_new(j, "guest_policy", r->has_policy ? json_string(policy) : json_null());
    json_object_set_new(j, "pages", json_integer((json_int_t)r->pages));
    json_object_set_new(j, "id_block", r->has_id_block ? id_block_json(&r->id_block, matches, c) : json_null());
    char *s = json_pretty(j);
    json_decref(j);
    return s;
}

static int measure(const struct options *o, const struct igvm_file *f)
{
    struct igvm_snp_result r;
    if (igvm_measure_snp(f, o->native_zero ? IGVM_NATIVE_ZERO : 0, &r) < 0)
        return cli_fail();
    char digest[2 * GCTX_LD_LEN + 1], expected[2 * GCTX_LD_LEN + 1];
    hex_encode(r.digest, sizeof(r.digest), digest);
    bool matches = !r.has_id_block || !memcmp(r.id_block.ld, r.digest, sizeof(r.digest));
    if (!matches) {
        hex_encode(r.id_block.ld, sizeof(r.id_block.ld), expected);
        if (!o->ignore_idblock)
            return cli_error("%s: the SNP ID block expects launch digest %s, the file measures to %s "
                             "(--ignore-idblock to print it anyway)", o->file, expected, digest);
        log_warn("%s: the SNP ID block expects launch digest %s, not this one", o->file, expected);
    }
    struct id_check c = {0};
    if (r.has_id_block)
        check_id_block(o->file, &r, &c);
    if (o->json) {
        _cleanup_free_ char *s = measure_json(o, &r, matches, &c);
        fputs(s, stdout);
    } else {
        printf("%s\n", digest);
    }
    return 0;
}

static int dump(const struct options *o, const struct igvm_file *f)
{
    char *s;
    if (o->json) {
        json_t *j = igvm_dump_json(f);
        s = json_pretty(j);
        json_decref(j);
    } else {
        s = igvm_dump_text(f);
    }
    fputs(s, stdout);
    free(s);
    return 0;
}

int cmd_igvm(int argc, char **argv)
{
    if (argc > 1 && streq(argv[1], "build"))
        return cmd_igvm_build(argc - 1, argv + 1);
    struct options o = {0};
    int rc = parse_options(&o, argc, argv);
    if (rc)
        return rc;
    struct igvm_file f;
    rc = igvm_open(&f, o.file, o.parse_opts);
    if (rc == -EBADMSG)
        return cli_error("%s (--no-checksum reads it anyway)", err_msg());
    if (rc < 0)
        return cli_fail();
    if (f.checksum != f.checksum_computed)
        log_warn("%s: checksum mismatch ignored (--no-checksum): header 0x%08x, computed 0x%08x",
                 o.file, f.checksum, f.checksum_computed);
    rc = o.measure ? measure(&o, &f) : dump(&o, &f);
    igvm_close(&f);
    return rc;
}
