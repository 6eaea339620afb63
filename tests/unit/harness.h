/* A small unit-test harness printing TAP, so tests/run can count results
 * from C tests and bats the same way.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_U64(a, b); CHECK_STR(s, "x"); }
 *
 * Each test function runs in order of definition; a failed CHECK reports the
 * file, line and values and ends that test. Fixtures: ref_path("snp/x")
 * resolves against $GUESTIMG_REFERENCE (tests/fixtures/reference, in the
 * tree, by default) and returns NULL when the folder is absent, which
 * REQUIRE_REFERENCE() turns into a failure: the data is part of the clone. */
#ifndef GUESTIMG_HARNESS_H
#define GUESTIMG_HARNESS_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};

#define MAX_TESTS 512
static struct test_case tests_[MAX_TESTS];
static int ntests_;
static jmp_buf test_jmp_;
static int test_failed_;
static const char *test_skip_;

#define TEST(name)                                                              \
    static void test_##name(void);                                              \
    __attribute__((constructor)) static void register_##name(void)              \
    {                                                                           \
        if (ntests_ < MAX_TESTS)                                                \
            tests_[ntests_++] = (struct test_case){#name, test_##name};         \
    }                                                                           \
    static void test_##name(void)

#define FAIL_(...)                                                              \
    do {                                                                        \
        printf("# %s:%d: ", __FILE__, __LINE__);                                \
        printf(__VA_ARGS__);                                                    \
        printf("\n");                                                           \
        test_failed_ = 1;                                                       \
        longjmp(test_jmp_, 1);                                                  \
    } while (0)

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond))                                                            \
            FAIL_("CHECK(%s) failed", #cond);                                   \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                      \
    do {                                                                        \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                        \
        if (a_ != b_)                                                           \
            FAIL_("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, a_, b_);         \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                      \
    do {                                                                        \
        long long a_ = (long long)(a), b_ = (long long)(b);                     \
        if (a_ != b_)                                                           \
            FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);                    \
    } while (0)

#define CHECK_STR(a, b)                                                         \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        if (!a_ || !b_ || strcmp(a_, b_))                                       \
            FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",     \
                  b_ ? b_ : "(null)");                                          \
    } while (0)

#define CHECK_MEM(a, b, n)                                                      \
    do {                                                                        \
        if (memcmp((a), (b), (n)))                                              \
            FAIL_("%s and %s differ in their first %zu bytes", #a, #b,          \
                  (size_t)(n));                                                 \
    } while (0)

/* The test cannot run here; say why (reported as a TAP skip). */
#define SKIP(reason)                                                            \
    do {                                                                        \
        test_skip_ = (reason);                                                  \
        longjmp(test_jmp_, 1);                                                  \
    } while (0)

static inline const char *ref_dir(void)
{
    static char dir[2048];
    const char *d = getenv("GUESTIMG_REFERENCE");
    snprintf(dir, sizeof(dir), "%s", d && *d ? d : "tests/fixtures/reference");
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

/* Path of a reference file, or NULL when the reference folder is absent. */
static inline const char *ref_path(const char *rel)
{
    static char p[8][4096 + 2048];
    static int k;
    const char *d = ref_dir();
    if (!d)
        return NULL;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof(p[k]), "%s/%s", d, rel);
    return p[k];
}

/* The standard output of a shell command made printf-style, allocated (the
 * caller frees it): "" when the command could not be run. The independent
 * tools the tests hold our output to (debugfs, veritysetup, rpm, sha256sum)
 * are run through it. */
static inline char *sh_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *sh_output(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd;
    if (vasprintf(&cmd, fmt, ap) < 0)
        abort();
    va_end(ap);
    FILE *p = popen(cmd, "r");
    free(cmd);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    if (!m)
        abort();
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, n, m);
    if (p)
        pclose(p);
    fclose(m);
    return out;
}

/* The reference data is part of the clone: its absence fails the test. */
#define REQUIRE_REFERENCE()                                                     \
    do {                                                                        \
        if (!ref_dir())                                                         \
            FAIL_("reference data tests/fixtures/reference is missing");         \
    } while (0)

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    volatile int failed = 0;
    int n = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < ntests_; i++)
        if (!only || !strcmp(only, tests_[i].name))
            n++;
    printf("1..%d\n", n);
    int k = 0;
    for (int i = 0; i < ntests_; i++) {
        if (only && strcmp(only, tests_[i].name))
            continue;
        k++;
        test_failed_ = 0;
        test_skip_ = NULL;
        if (setjmp(test_jmp_) == 0)
            tests_[i].fn();
        if (test_skip_)
            printf("ok %d %s # skip %s\n", k, tests_[i].name, test_skip_);
        else
            printf("%sok %d %s\n", test_failed_ ? "not " : "", k, tests_[i].name);
        failed |= test_failed_;
    }
    return failed;
}

#endif
