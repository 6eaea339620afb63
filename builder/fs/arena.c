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

void *arena_alloc(struct arena *a, size_t len)
{
    len = ALIGN_UP(len ? len : 1, 8);
    if (!a->head || a->head->size - a->used < len) {
        /* An object larger than a chunk gets a chunk of its own. */
        size_t size = len > CHUNK_BYTES ? len : CHUNK_BYTES;
        struct arena_chunk *c = xcalloc(1, sizeof(*c) + size);
        c->size = size;
        c->prev = a->head;
        a->head = c;
        a->used = 0;
        a->bytes += size;
    }
    void *p = a->head->data + a->used;
    a->used += len;
    return p;
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
    char *q = arena_alloc(a, len + 1);   /* zeroed: q[len] is the NUL */
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
