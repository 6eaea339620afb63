/* builder/packages/fetch: the content-addressed cache and digest checks, over
 * file:// URLs (the HTTP side, retries and status codes are tested
 * against a real server in tests/packages.bats). */
#include "builder/packages/fetch.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* a sha256 that CONTENT does not have */
#define CONTENT "package bytes\n"
#define SHA "8b0e5a1f9c3b5d7d2b0c6a7b6f0b8f3b2d0b0d3b5d5f1c7a2e4d9f0a1b2c3d4e"

static char dir[64];

static const char *tmpdir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/gi-test-fetch-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

__attribute__((destructor)) static void cleanup(void)
{
    if (dir[0])
        rm_rf(dir);
}

/* A file with CONTENT, and its real sha256 in hex. */
static char *source(char hex[65])
{
    char *path = xasprintf("%s/pkg.rpm", tmpdir());
    CHECK(file_write_atomic(path, CONTENT, strlen(CONTENT), 0644) == 0);
    CHECK(sha256_file_hex(path, hex, NULL) == 0);
    return path;
}

static char *read_fd(int fd)
{
    char buf[64] = {0};
    CHECK(pread(fd, buf, sizeof(buf) - 1, 0) >= 0);
    CHECK(lseek(fd, 0, SEEK_CUR) == 0);
    return xstrdup(buf);
}

TEST(open_verified_checks_before_handing_out)
{
    char hex[65];
    _cleanup_free_ char *path = source(hex);
    int fd;
    CHECK(open_verified(path, "sha256", hex, &fd) == 0);
    _cleanup_free_ char *got = read_fd(fd);
    CHECK_STR(got, CONTENT);
    close(fd);

    err_clear();
    CHECK(open_verified(path, "sha256", SHA, &fd) == -EBADMSG);
    _cleanup_free_ char *want = xasprintf("%s: sha256 mismatch: expected %s, got %s", path, SHA, hex);
    CHECK_STR(err_msg(), want);
    CHECK(open_verified(path, "md5", "00112233445566778899aabbccddeeff", &fd) == -EINVAL);
    _cleanup_free_ char *want2 = xasprintf("%s: unsupported digest algorithm 'md5'", path);
    CHECK_STR(err_msg(), want2);
    CHECK(open_verified(path, "sha256", "abc", &fd) == -EINVAL);
    _cleanup_free_ char *want3 = xasprintf("%s: 'abc' is not a sha256 digest", path);
    CHECK_STR(err_msg(), want3);
}

TEST(fetch_verified_stores_by_digest_and_reuses_the_cache)
{
    char hex[65];
    _cleanup_free_ char *path = source(hex);
    _cleanup_free_ char *url = xasprintf("file://%s", path);
    _cleanup_free_ char *cache = xasprintf("%s/cache", tmpdir());
    struct fetcher *f = fetcher_new(cache);
    CHECK(f != NULL);
    int fd;
    char *stored = NULL;
    if (fetch_verified(f, url, "sha256", hex, 0, &fd, &stored) < 0)
        FAIL_("%s", err_msg());
    _cleanup_free_ char *want = xasprintf("%s/sha256/%.2s/%s", cache, hex, hex);
    CHECK_STR(stored, want);
    _cleanup_free_ char *got = read_fd(fd);
    CHECK_STR(got, CONTENT);
    close(fd);
    free(stored);

    /* the source gone: served from the cache, hashed again */
    CHECK(unlink(path) == 0);
    CHECK(fetch_verified(f, url, "sha256", hex, 0, &fd, NULL) == 0);
    close(fd);

    /* a damaged cache entry is not handed out; with the source gone, that is an error */
    CHECK(file_write_atomic(want, "damaged", 7, 0644) == 0);
    err_clear();
    CHECK(fetch_verified(f, url, "sha256", hex, 0, &fd, NULL) == -ENOENT);
    _cleanup_free_ char *nofile = xasprintf("%s: no such file", url);
    CHECK_STR(err_msg(), nofile);
    CHECK(access(want, F_OK) < 0);

    /* the source back: fetched again into place */
    _cleanup_free_ char *again = source(hex);
    CHECK(fetch_verified(f, url, "sha256", hex, 0, &fd, NULL) == 0);
    close(fd);
    CHECK(access(want, R_OK) == 0);

    /* other bytes than the digest says: refused, nothing stored, no temporary left */
    CHECK(fetch_verified(f, url, "sha256", SHA, 0, &fd, NULL) == -EBADMSG);
    _cleanup_free_ char *mismatch = xasprintf("%s: sha256 mismatch: expected %s, got %s", url, SHA, hex);
    CHECK_STR(err_msg(), mismatch);
    _cleanup_free_ char *bad = xasprintf("%s/sha256/%.2s/%s", cache, SHA, SHA);
    CHECK(access(bad, F_OK) < 0);
    _cleanup_free_ char *ls = xasprintf("test -z \"$(ls -A %s/sha256/%.2s)\"", cache, SHA);
    CHECK(system(ls) == 0);

    /* larger than the metadata says */
    CHECK(fetch_verified(f, url, "sha256", SHA, 4, &fd, NULL) == -EFBIG);
    _cleanup_free_ char *big = xasprintf("%s: larger than the 4 bytes expected", url);
    CHECK_STR(err_msg(), big);
    fetcher_free(f);
}

TEST(fetch_memory_reads_and_bounds)
{
    char hex[65];
    _cleanup_free_ char *path = source(hex);
    _cleanup_free_ char *url = xasprintf("file://%s", path);
    struct fetcher *f = fetcher_new(tmpdir());
    uint8_t *buf;
    size_t len;
    CHECK(fetch_memory(f, url, 1024, &buf, &len) == 0);
    CHECK(len == strlen(CONTENT) && !memcmp(buf, CONTENT, len));
    free(buf);
    CHECK(fetch_memory(f, url, 3, &buf, &len) == -EFBIG);
    _cleanup_free_ char *missing = xasprintf("file://%s/nothing", tmpdir());
    CHECK(fetch_memory(f, missing, 1024, &buf, &len) == -ENOENT);
    fetcher_free(f);
}

TEST(default_cache_dir)
{
    char *old_xdg = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;
    char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    char *d = fetch_default_cache_dir();
    CHECK_STR(d, "/x/cache/guestimg");
    free(d);
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    d = fetch_default_cache_dir();
    CHECK_STR(d, "/home/u/.cache/guestimg");
    free(d);
    unsetenv("HOME");
    err_clear();
    CHECK(fetch_default_cache_dir() == NULL);
    CHECK_STR(err_msg(), "no cache directory: set XDG_CACHE_HOME or HOME, or pass --cache DIR");
    if (old_xdg)
        setenv("XDG_CACHE_HOME", old_xdg, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_xdg);
    free(old_home);
}
