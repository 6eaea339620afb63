/* Small helpers every part shares: allocation, cleanup attributes, numbers. */
#ifndef GUESTIMG_UTIL_H
#define GUESTIMG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) ((((x) + (a) - 1) / (a)) * (a))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Allocation that aborts on exhaustion (as git's xmalloc does): callers
 * never see NULL, so out-of-memory paths do not multiply error handling. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Scope-bound ownership, as in systemd. */
static inline void freep(void *p) { free(*(void **)p); }
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }
void closep(int *fd);
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)

/* Strict number parsing: the whole string must be a number in range.
 * Accept decimal, or hex with 0x. Return 0 or -EINVAL / -ERANGE (no message). */
int parse_u64(const char *s, uint64_t *out);
int parse_u32(const char *s, uint32_t *out);

/* Whole-string equality helpers. */
static inline bool streq(const char *a, const char *b) { return a && b && !__builtin_strcmp(a, b); }
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);
/* The index of the first string of v[0..n) equal to an earlier one (the
 * second listing, in order), or n when all differ. O(n log n). */
size_t strv_find_duplicate(char **v, size_t n);

#endif
