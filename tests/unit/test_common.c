/* common/: hex, base64, numbers, UUIDs, canonical JSON, atomic files. */
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "common/uuid.h"
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(hex_roundtrip)
{
    uint8_t in[] = {0x00, 0x7f, 0x80, 0xff, 0x12};
    char s[11];
    hex_encode(in, sizeof(in), s);
    CHECK_STR(s, "007f80ff12");
    uint8_t out[5];
    CHECK_EQ_INT(hex_decode("007F80ff12", out, sizeof(out)), 5);
    CHECK_MEM(in, out, 5);
}

TEST(hex_rejects_malformed)
{
    uint8_t out[4];
    CHECK_EQ_INT(hex_decode("abc", out, 4), -EINVAL);
    CHECK_EQ_INT(hex_decode("zz", out, 4), -EINVAL);
    CHECK_EQ_INT(hex_decode("0011223344", out, 4), -E2BIG);
    CHECK_EQ_INT(hex_decode("", out, 4), 0);
}

/* RFC 4648 section 10 test vectors. */
TEST(base64_rfc4648)
{
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char *e = base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
        CHECK_STR(e, enc[i]);
        free(e);
        uint8_t out[8];
        int n = base64_decode(enc[i], out, sizeof(out));
        CHECK_EQ_INT(n, (int)strlen(plain[i]));
        CHECK_MEM(out, plain[i], (size_t)n);
    }
    uint8_t out[8];
    CHECK_EQ_INT(base64_decode("Zg=", out, 8), -EINVAL);
    CHECK_EQ_INT(base64_decode("Z=g=", out, 8), -EINVAL);
    CHECK_EQ_INT(base64_decode("Zm9v!A==", out, 8), -EINVAL);
}

TEST(parse_numbers)
{
    uint64_t v;
    CHECK_EQ_INT(parse_u64("42", &v), 0);
    CHECK_EQ_U64(v, 42);
    CHECK_EQ_INT(parse_u64("0x21", &v), 0);
    CHECK_EQ_U64(v, 0x21);
    CHECK_EQ_INT(parse_u64("", &v), -EINVAL);
    CHECK_EQ_INT(parse_u64("-1", &v), -EINVAL);
    CHECK_EQ_INT(parse_u64("12a", &v), -EINVAL);
    CHECK_EQ_INT(parse_u64("0x", &v), -EINVAL);
    CHECK_EQ_INT(parse_u64("99999999999999999999999", &v), -ERANGE);
    uint32_t w;
    CHECK_EQ_INT(parse_u32("4294967296", &w), -ERANGE);
}

/* Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") is the classic
 * published example: 886313e1-3b8a-5372-9b90-0c9aee199e5d. */
TEST(uuid_v5_known_vector)
{
    uint8_t ns[16], u[16];
    CHECK_EQ_INT(uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8", ns), 0);
    uuid_v5(ns, "python.org", 10, u);
    char s[UUID_STR_LEN];
    uuid_format(u, s);
    CHECK_STR(s, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    CHECK_EQ_INT(uuid_parse("886313e1-3b8a-5372-9b90-0c9aee199e5", ns), -EINVAL);
    CHECK_EQ_INT(uuid_parse("886313e1x3b8a-5372-9b90-0c9aee199e5d", ns), -EINVAL);
}

TEST(json_canonical_sorted_compact)
{
    json_t *j = json_pack("{s:i,s:s,s:[i,i]}", "b", 1, "a", "é", "c", 1, 2);
    char *s = json_canonical(j);
    CHECK_STR(s, "{\"a\":\"é\",\"b\":1,\"c\":[1,2]}\n");
    free(s);
    json_decref(j);
}

TEST(sha256_empty)
{
    uint8_t d[32];
    sha256_buf("", 0, d);
    char s[65];
    hex_encode(d, 32, s);
    CHECK_STR(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(atomic_write_and_abort)
{
    char dir[] = "/tmp/guestimg-test-XXXXXX";
    CHECK(mkdtemp(dir));
    char *path = xasprintf("%s/out", dir);
    struct atomic_file af;
    CHECK_EQ_INT(atomic_open(&af, path, 0644), 0);
    CHECK(write_all(af.fd, "partial", 7, path) == 0);
    atomic_abort(&af);
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ_INT(file_write_atomic(path, "whole", 5, 0644), 0);
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(file_read_all(path, &buf, &len, 0), 0);
    CHECK_EQ_U64(len, 5);
    CHECK_MEM(buf, "whole", 5);
    free(buf);
    CHECK_EQ_INT(rm_rf(dir), 0);
    CHECK(access(dir, F_OK) != 0);
    free(path);
}

/* rm_rf on a file system that reports DT_UNKNOWN and serves the listing
 * it read at open time: disorderfs (FUSE), as reprotest's fileordering
 * variation mounts it; the kernel build's tree removal failed there with
 * "Is a directory", then "No such file or directory". */
TEST(rm_rf_on_disorderfs)
{
    if (system("command -v disorderfs >/dev/null && test -e /dev/fuse"))
        SKIP("no disorderfs or no /dev/fuse");
    char dir[] = "/tmp/guestimg-test-XXXXXX";
    CHECK(mkdtemp(dir));
    char *cmd = xasprintf("mkdir %s/src %s/mnt && disorderfs -q --shuffle-dirents=yes %s/src %s/mnt", dir, dir, dir, dir);
    if (system(cmd)) {
        free(cmd);
        rm_rf(dir);
        SKIP("disorderfs cannot mount here");
    }
    free(cmd);
    /* more entries than one getdents buffer, directories among them */
    char *tree = xasprintf("%s/mnt/t", dir);
    CHECK_EQ_INT(mkdir(tree, 0755), 0);
    for (int i = 0; i < 300; i++) {
        char *p = xasprintf("%s/%s%03d", tree, i % 3 ? "file-with-a-long-name-" : "d", i);
        if (i % 3)
            CHECK_EQ_INT(file_write_atomic(p, "x", 1, 0644), 0);
        else
            CHECK_EQ_INT(mkdir(p, 0755), 0);
        free(p);
    }
    char *sub = xasprintf("%s/d000/inner", tree);
    CHECK_EQ_INT(mkdir(sub, 0755), 0);
    int r = rm_rf(tree);
    bool gone = access(tree, F_OK) != 0;
    free(sub);
    free(tree);
    /* unmounted before any check can end the test */
    cmd = xasprintf("fusermount -u %s/mnt", dir);
    int u = system(cmd);
    free(cmd);
    CHECK_EQ_INT(r, 0);
    CHECK(gone);
    CHECK_EQ_INT(u, 0);
    CHECK_EQ_INT(rm_rf(dir), 0);
}

TEST(read_missing_file_names_it)
{
    uint8_t *buf;
    size_t len;
    CHECK(file_read_all("/nonexistent/guestimg", &buf, &len, 0) == -ENOENT);
    CHECK(strstr(err_msg(), "/nonexistent/guestimg"));
}

TEST(strbuf_grows)
{
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 1000; i++)
        sb_printf(&sb, "%d,", i % 10);
    CHECK_EQ_U64(sb.len, 2000);
    char *s = sb_detach(&sb);
    CHECK(!strncmp(s, "0,1,2,", 6));
    free(s);
}
