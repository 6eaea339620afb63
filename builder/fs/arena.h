/* A bump allocator for what lives as long as its owner (the tree's names,
 * content digests and host paths): one malloc per 64 KiB chunk instead of
 * one per object, no per-object header, nothing freed until arena_free().
 * Pointers stay valid (chunks never move). */
#ifndef GUESTIMG_ARENA_H
#define GUESTIMG_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
    struct arena_chunk *head;    /* newest chunk, the one being filled */
    size_t used;                 /* bytes taken from head */
    size_t bytes;                /* total held, for accounting */
};

#define ARENA_INIT {0}

/* len bytes aligned to 8, zeroed (strings: not aligned). */
void *arena_alloc(struct arena *a, size_t len);
/* A copy of s[0, len) with a NUL after it. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
void *arena_memdup(struct arena *a, const void *p, size_t len);
void arena_free(struct arena *a);

#endif
