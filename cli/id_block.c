/* guestimg id-block: snp-create-id-block's command line over measure/id_block. */
#include "cli/cli.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "measure/id_block.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <string.h>

#define CMD "id-block"

enum { OPT_MEASUREMENT = 256, OPT_IDKEY, OPT_AUTHORKEY, OPT_POLICY, OPT_FAMILY_ID, OPT_IMAGE_ID,
       OPT_GUEST_SVN, OPT_BLOCK_VERSION };

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"measurement", required_argument, NULL, OPT_MEASUREMENT},
    {"idkey", required_argument, NULL, OPT_IDKEY},
    {"authorkey", required_argument, NULL, OPT_AUTHORKEY},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"family-id", required_argument, NULL, OPT_FAMILY_ID},
    {"image-id", required_argument, NULL, OPT_IMAGE_ID},
    {"guest-svn", required_argument, NULL, OPT_GUEST_SVN},
    {"block-version", required_argument, NULL, OPT_BLOCK_VERSION},
    {0},
};

static void usage(void)
{
    printf("usage: guestimg id-block --measurement BASE64 --idkey PEM --authorkey PEM [options]\n\n"
           "SEV-SNP ID block and ID authentication structure, as snp-create-id-block makes\n"
           "them, for QEMU's sev-snp-guest id-block= and id-auth= properties. Prints\n"
           "  id-block=<base64>,id-auth=<base64>\n  id_key_hash: <base64>\n  author_key: <base64>\n\n"
           "  --measurement BASE64  expected launch digest (guestimg measure --output-format base64)\n"
           "  --idkey PEM           ID key: EC P-384 private key\n"
           "  --authorkey PEM       author key: EC P-384 private key\n"
           "  --policy VALUE        guest policy (default 0x30000)\n"
           "  --family-id HEX       16-byte family ID (default zeros)\n"
           "  --image-id HEX        16-byte image ID (default zeros)\n"
           "  --guest-svn N         guest SVN (default 0)\n"
           "  --block-version N     ID block version (default 1)\n");
}

static int parse_id(const char *opt, const char *s, uint8_t out[16])
{
    if (hex_decode(s, out, 16) != 16)
        return cli_usage(CMD, "%s: '%s' is not 32 hex digits", opt, s);
    return 0;
}

static int parse_num(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    if (parse_u64(s, out) < 0 || *out > max)
        return cli_usage(CMD, "%s: '%s' is not a number up to %#llx", opt, s, (unsigned long long)max);
    return 0;
}

struct options {
    const char *measurement, *idkey, *authorkey;
    struct id_block_params block;
    uint8_t digest[ID_BLOCK_DIGEST_LEN];
};

static int parse_options(struct options *o, int argc, char **argv)
{
    uint64_t v;
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (c) {
        case 'h': usage(); exit(0);
        case OPT_MEASUREMENT: o->measurement = optarg; break;
        case OPT_IDKEY: o->idkey = optarg; break;
        case OPT_AUTHORKEY: o->authorkey = optarg; break;
        case OPT_FAMILY_ID: rc = parse_id("--family-id", optarg, o->block.family_id); break;
        case OPT_IMAGE_ID: rc = parse_id("--image-id", optarg, o->block.image_id); break;
        case OPT_POLICY:
            if (!(rc = parse_num("--policy", optarg, UINT64_MAX, &v)))
                o->block.policy = v;
            break;
        case OPT_GUEST_SVN:
            if (!(rc = parse_num("--guest-svn", optarg, UINT32_MAX, &v)))
                o->block.guest_svn = (uint32_t)v;
            break;
        case OPT_BLOCK_VERSION:
            if (!(rc = parse_num("--block-version", optarg, UINT32_MAX, &v)))
                o->block.version = (uint32_t)v;
            break;
        case ':': return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage(CMD, "unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (rc)
        return rc;
    if (optind < argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->idkey || !o->authorkey)
        return cli_usage(CMD, "missing key files for id block (--idkey and --authorkey)");
    if (!o->measurement)
        return cli_usage(CMD, "--measurement is required");
    if (base64_decode(o->measurement, o->digest, sizeof(o->digest)) != (int)sizeof(o->digest))
        return cli_usage(CMD, "--measurement: '%s' is not the base64 of a 48-byte digest",
                         o->measurement);
    return 0;
}

/* The three output lines, or the error set. */
static int build(const struct options *o, EVP_PKEY *id_key, EVP_PKEY *author_key, struct strbuf *out)
{
    uint8_t block[ID_BLOCK_LEN], auth[ID_AUTH_LEN], id_digest[ID_KEY_DIGEST_LEN],
        author_digest[ID_KEY_DIGEST_LEN];
    id_block_build(o->digest, &o->block, block);
    int r;
    if ((r = id_auth_build(block, id_key, author_key, auth)) < 0 ||
        (r = id_key_digest(id_key, id_digest)) < 0 || (r = id_key_digest(author_key, author_digest)) < 0)
        return r;
    _cleanup_free_ char *b = base64_encode(block, sizeof(block)), *a = base64_encode(auth, sizeof(auth)),
                        *ih = base64_encode(id_digest, sizeof(id_digest)),
                        *ah = base64_encode(author_digest, sizeof(author_digest));
    sb_printf(out, "id-block=%s,id-auth=%s\nid_key_hash: %s\nauthor_key: %s\n", b, a, ih, ah);
    return 0;
}

int cmd_id_block(int argc, char **argv)
{
    struct options o = {0};
    id_block_params_init(&o.block);
    int rc = parse_options(&o, argc, argv);
    if (rc)
        return rc;
    EVP_PKEY *id_key = id_key_load(o.idkey);
    EVP_PKEY *author_key = id_key ? id_key_load(o.authorkey) : NULL;
    struct strbuf out = STRBUF_INIT;
    int r = author_key ? build(&o, id_key, author_key, &out) : -EINVAL;
    EVP_PKEY_free(id_key);
    EVP_PKEY_free(author_key);
    if (r < 0) {
        sb_release(&out);
        return cli_fail();
    }
    fputs(out.buf, stdout);
    sb_release(&out);
    return 0;
}
