/* Bump allocation in chunks (see arena.h). */
#include "builder/fs/arena.h"
#include "common/util.h"

#include <stdint.h>
#include <string.h>

#define CHUNK_BYTES (64u << 10)

struct arena_chunk {
    struct arena_chunk *prev;
    size_t size;                 /* bytes of data[] */
    _Alignas(8) unsigned char data[];
};

/* len bytes at a multiple of align (a power of two, at most 8), zeroed. */
static void *take(struct arena *a, size_t len, size_t align)
{
    size_t at = a->head ? ALIGN_UP(a->used, align) : 0;
    if (!a->head || at > a->head->size || a->head->size - at < len) {
        /* An object larger than a chunk gets a chunk of its own. */
        size_t size = len > CHUNK_BYTES ? len : CHUNK_BYTES;
        struct arena_chunk *c = xcalloc(1, sizeof(*c) + size);
        c->size = size;
        c->prev = a->head;
        a->head = c;
        a->bytes += size;
        at = 0;
    }
    a->used = at + len;
    return a->head->data + at;
}

void *arena_alloc(struct arena *a, size_t len)
{
    return take(a, len, 8);
}

void *arena_memdup(struct arena *a, const void *p, size_t len)
{
    void *q = arena_alloc(a, len);
    if (len)
        memcpy(q, p, len);
    return q;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *q = take(a, len + 1, 1);       /* zeroed: q[len] is the NUL; strings need no alignment */
    memcpy(q, s, len);
    return q;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

void arena_free(struct arena *a)
{
    for (struct arena_chunk *c = a->head, *prev; c; c = prev) {
        prev = c->prev;
        free(c);
    }
    *a = (struct arena)ARENA_INIT;
}
