/* The in-memory root filesystem tree (see tree.h).
 *
 * Nodes are found through one hash table keyed by (parent, name), so that
 * adding an entry costs O(path depth) whatever the size of its directory;
 * children are kept in arrays that tree_sort() orders bytewise for the
 * writers. Archive content is streamed into one unlinked spool file, each
 * file starting on a TREE_BLOCK_SIZE boundary, and hashed on the way. */
#include "builder/fs/tree.h"
#include "builder/fs/arena.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_BYTES 255
#define PATH_MAX_BYTES 4095
#define SYMLINK_MAX_BYTES 4095     /* one 4 KiB block, as ext4 allows */
#define INLINE_MAX 4096            /* larger buffers go to the spool */
#define IO_CHUNK (1u << 20)
/* Content identity (tree_digest(), the conflict check) is the sha256 of
 * every byte up to this size: hashing the zeros of a hole costs at most
 * this much. A larger file is known by its sparse digest (struct
 * content_scan), which never hashes a hole. */
#define DENSE_ID_MAX TREE_DENSE_ID_MAX

/* A node and what only this file needs to know about it. Nodes, names,
 * digests and host paths come from the tree's arena (no malloc each);
 * freed nodes go to a free list for the next. */
struct node {
    struct tree_node pub;
    struct node *hnext;            /* hash chain; the free list's link */
    struct node *links;            /* hard links to this node, newest first, via link_next */
    struct node *link_next;
    uint32_t data_blocks, data_runs; /* ext4 caps a file at 2^32 - 1 blocks (TREE_FILE_MAX) */
};

/* pub.internal: */
enum {
    IMPLICIT = 1,                  /* made as a missing parent, no entry of its own */
    COUNTED = 2,                   /* data_blocks / data_runs known */
    HOST_DERIVED = 4,              /* pub.host_path is only the prefix of the host path:
                                      the rest is the node's own path (host_full_path()) */
    HAVE_ID = 8,                   /* sparse digest known (files past DENSE_ID_MAX): the
                                      32 bytes after the sha256's (digests_of()) */
};

static bool has(const struct node *n, unsigned flag)
{
    return n->pub.internal & flag;
}

static void set_flag(struct node *n, unsigned flag, bool on)
{
    n->pub.internal = (uint8_t)(on ? n->pub.internal | flag : n->pub.internal & ~flag);
}

struct tree {
    struct node *root;
    enum tree_policy policy;
    struct node **buckets;
    size_t nbuckets, nnodes;
    char **origins;                /* interned origin strings */
    size_t norigins;
    const char **prefixes;         /* interned host path prefixes (in the arena) */
    size_t nprefixes;
    struct arena arena;
    struct node *free_nodes;
    char *spool_dir;
    int spool_fd;
    uint64_t spool_end;
    uint8_t *buf;                  /* IO_CHUNK bytes of scratch for streaming */
    uint64_t size_limit;           /* tree_set_size_limit(); 0: none */
    uint64_t spool_data;           /* data blocks of the spooled content in the tree, in bytes */
};

static struct node *N(struct tree_node *n)
{
    return (struct node *)n;
}

/* ------------------------------------------------------------ hashing --- */

static uint64_t key_hash(const struct node *parent, const char *name, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static struct node **bucket_of(struct tree *t, const struct node *parent, const char *name, size_t len)
{
    return &t->buckets[key_hash(parent, name, len) & (t->nbuckets - 1)];
}

static void hash_grow(struct tree *t)
{
    size_t n = t->nbuckets ? t->nbuckets * 2 : 1024;
    struct node **old = t->buckets;
    size_t oldn = t->nbuckets;
    t->buckets = xcalloc(n, sizeof(*t->buckets));
    t->nbuckets = n;
    for (size_t i = 0; i < oldn; i++)
        for (struct node *e = old[i], *next; e; e = next) {
            next = e->hnext;
            struct node **b = bucket_of(t, N(e->pub.parent), e->pub.name, strlen(e->pub.name));
            e->hnext = *b;
            *b = e;
        }
    free(old);
}

static struct node *hash_find(struct tree *t, const struct node *parent, const char *name, size_t len)
{
    for (struct node *e = *bucket_of(t, parent, name, len); e; e = e->hnext)
        if (e->pub.parent == &parent->pub && !strncmp(e->pub.name, name, len) && !e->pub.name[len])
            return e;
    return NULL;
}

static void hash_insert(struct tree *t, struct node *n)
{
    if (t->nnodes >= t->nbuckets)
        hash_grow(t);
    struct node **b = bucket_of(t, N(n->pub.parent), n->pub.name, strlen(n->pub.name));
    n->hnext = *b;
    *b = n;
    t->nnodes++;
}

static void hash_remove(struct tree *t, struct node *n)
{
    struct node **p = bucket_of(t, N(n->pub.parent), n->pub.name, strlen(n->pub.name));
    for (; *p; p = &(*p)->hnext)
        if (*p == n) {
            *p = n->hnext;
            t->nnodes--;
            return;
        }
}

/* ------------------------------------------------------- tree lifetime --- */

static const char *intern_origin(struct tree *t, const char *origin)
{
    if (!origin)
        origin = "(unknown input)";
    /* Entries come in runs from one input or package: look at the newest first. */
    for (size_t i = t->norigins; i-- > 0;)
        if (!strcmp(t->origins[i], origin))
            return t->origins[i];
    t->origins = xrealloc(t->origins, (t->norigins + 1) * sizeof(*t->origins));
    return t->origins[t->norigins++] = xstrdup(origin);
}

static struct node *node_new(struct tree *t, struct node *parent, const char *name, size_t len)
{
    struct node *n = t->free_nodes;
    if (n) {
        t->free_nodes = n->hnext;
        memset(n, 0, sizeof(*n));
    } else {
        n = arena_alloc(&t->arena, sizeof(*n));
    }
    n->pub.name = arena_strndup(&t->arena, name, len);
    n->pub.parent = parent ? &parent->pub : NULL;
    if (parent) {
        struct tree_node *p = &parent->pub;
        if (p->nchildren == p->cap_children) {
            p->cap_children = p->cap_children ? p->cap_children * 2 : 4;   /* < 2^32: ext4's inodes */
            p->children = xrealloc(p->children, p->cap_children * sizeof(*p->children));
        }
        p->children[p->nchildren++] = &n->pub;
        hash_insert(t, n);
    }
    return n;
}

static void xattrs_free(struct tree_node *n)
{
    for (size_t i = 0; i < n->nxattrs; i++) {
        free(n->xattrs[i].name);
        free(n->xattrs[i].value);
    }
    free(n->xattrs);
    n->xattrs = NULL;
    n->nxattrs = 0;
}

/* The spooled data blocks a node holds, in bytes (t->spool_data). */
static uint64_t spooled_bytes(const struct node *n)
{
    return n->pub.content == TREE_CONTENT_SPOOL ? (uint64_t)n->data_blocks * TREE_BLOCK_SIZE : 0;
}

/* Drop what an entry says about its inode (type-specific fields). */
static void node_clear_inode(struct tree *t, struct node *n)
{
    struct tree_node *p = &n->pub;
    t->spool_data -= spooled_bytes(n);
    free(p->link_target);
    if (p->content == TREE_CONTENT_INLINE)
        free(p->inline_data);
    xattrs_free(p);
    p->link_target = NULL;
    p->spool_offset = 0;           /* and the rest of the union */
    p->content = TREE_CONTENT_NONE;
    p->size = 0;
    p->have_sha256 = false;
    p->sha256 = NULL;
    n->pub.internal &= IMPLICIT;
    p->rdev_major = p->rdev_minor = 0;
    n->data_blocks = n->data_runs = 0;
}

static void node_free(struct tree *t, struct node *n)
{
    node_clear_inode(t, n);
    free(n->pub.children);
    n->hnext = t->free_nodes;
    t->free_nodes = n;
}

static void subtree_free(struct tree *t, struct node *n)
{
    for (size_t i = 0; i < n->pub.nchildren; i++)
        subtree_free(t, N(n->pub.children[i]));
    node_free(t, n);
}

struct tree *tree_new(const char *spool_dir)
{
    struct tree *t = xcalloc(1, sizeof(*t));
    t->spool_fd = -1;
    t->spool_dir = xstrdup(spool_dir ? spool_dir : getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    hash_grow(t);
    t->root = node_new(t, NULL, "", 0);
    t->root->pub.type = TREE_DIR;
    t->root->pub.mode = 0755;
    set_flag(t->root, IMPLICIT, true);
    t->root->pub.origin = intern_origin(t, "(root)");
    return t;
}

void tree_free(struct tree *t)
{
    if (!t)
        return;
    subtree_free(t, t->root);
    for (size_t i = 0; i < t->norigins; i++)
        free(t->origins[i]);
    free(t->origins);
    free(t->prefixes);
    arena_free(&t->arena);
    free(t->buckets);
    free(t->spool_dir);
    free(t->buf);
    if (t->spool_fd >= 0)
        close(t->spool_fd);
    free(t);
}

struct tree_node *tree_root(struct tree *t)
{
    return &t->root->pub;
}

void tree_set_policy(struct tree *t, enum tree_policy p)
{
    t->policy = p;
}

void tree_set_size_limit(struct tree *t, uint64_t bytes)
{
    t->size_limit = bytes;
}

/* A file ext4 cannot hold: refused by its declared size, before any data. */
static int check_file_size(const char *origin, const char *path, uint64_t size)
{
    if (size > TREE_FILE_MAX)
        return err_set(-EFBIG, "%s: %s: %llu bytes, past ext4's largest file (%llu bytes with 4 KiB blocks)",
                       origin, path, (unsigned long long)size, (unsigned long long)TREE_FILE_MAX);
    return 0;
}

static uint8_t *scratch(struct tree *t)
{
    if (!t->buf)
        t->buf = xmalloc(IO_CHUNK);
    return t->buf;
}

/* --------------------------------------------------------------- paths --- */

static size_t next_component(const char **s);

/* Refuse what no path may hold: "..", over-long components or paths. The
 * length is the image path's, normalised: "a/b" counts as "/a/b", as a
 * host tree's paths do. */
static int path_check(const char *path, const char *origin)
{
    size_t image_len = 0;
    for (const char *s = path;;) {
        size_t len = next_component(&s);
        if (!len)
            break;
        image_len += 1 + len;
        s += len;
    }
    if (image_len > PATH_MAX_BYTES)
        return err_set(-ENAMETOOLONG, "%s: %.64s...: path longer than %d bytes", origin, path, PATH_MAX_BYTES);
    for (const char *s = path; *s;) {
        while (*s == '/')
            s++;
        size_t len = strcspn(s, "/");
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return err_set(-EINVAL, "%s: %s: path contains \"..\"", origin, path);
        if (len > NAME_MAX_BYTES)
            return err_set(-ENAMETOOLONG, "%s: %s: name longer than %d bytes", origin, path, NAME_MAX_BYTES);
        s += len;
    }
    return 0;
}

/* Next component of *s (skipping "/" and "."), or 0 at the end. */
static size_t next_component(const char **s)
{
    for (;;) {
        while (**s == '/')
            (*s)++;
        size_t len = strcspn(*s, "/");
        if (len == 1 && **s == '.') {
            (*s)++;
            continue;
        }
        return len;
    }
}

static void node_path(const struct tree_node *n, struct strbuf *sb)
{
    if (!n->parent) {
        sb_puts(sb, "/");
        return;
    }
    if (n->parent->parent)
        node_path(n->parent, sb);
    sb_puts(sb, "/");
    sb_puts(sb, n->name);
}

/* "/a/b" of a node, for messages; allocated. */
static char *path_of(const struct tree_node *n)
{
    struct strbuf sb = STRBUF_INIT;
    node_path(n, &sb);
    return sb_detach(&sb);
}

/* A host path that ends in the node's own path ("/in/usr/bin/sh" for
 * /usr/bin/sh) is kept as the part before it, interned: a directory
 * input's million files hold one copy of the input's path between them. */
static const char *host_path_keep(struct tree *t, struct node *n, const char *host_path)
{
    struct strbuf own = STRBUF_INIT;
    node_path(&n->pub, &own);
    size_t len = strlen(host_path), own_len = own.len;
    set_flag(n, HOST_DERIVED, len > own_len && !strcmp(host_path + len - own_len, own.buf));
    sb_release(&own);
    if (!has(n, HOST_DERIVED))
        return arena_strdup(&t->arena, host_path);
    len -= own_len;
    for (size_t i = t->nprefixes; i-- > 0;)   /* the newest first: entries come in runs */
        if (!strncmp(t->prefixes[i], host_path, len) && !t->prefixes[i][len])
            return t->prefixes[i];
    t->prefixes = xrealloc(t->prefixes, (t->nprefixes + 1) * sizeof(*t->prefixes));
    return t->prefixes[t->nprefixes++] = arena_strndup(&t->arena, host_path, len);
}

/* The host file a TREE_CONTENT_HOST node reads; allocated. */
static char *host_full_path(const struct node *n)
{
    if (!has(n, HOST_DERIVED))
        return xstrdup(n->pub.host_path);
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, n->pub.host_path);
    node_path(&n->pub, &sb);
    return sb_detach(&sb);
}

static const char *type_name(enum tree_type ty)
{
    switch (ty) {
    case TREE_REG: return "file";
    case TREE_DIR: return "directory";
    case TREE_SYMLINK: return "symlink";
    case TREE_CHR: return "character device";
    case TREE_BLK: return "block device";
    case TREE_FIFO: return "fifo";
    case TREE_SOCK: return "socket";
    }
    return "entry";
}

/* Find the parent directory of path's last component, creating missing
 * directories when create is set. The last component goes to name and len
 * (len 0: path is the root). */
static int resolve_parent(struct tree *t, const char *path, const char *origin, bool create,
                          struct node **parent, const char **name, size_t *len)
{
    int r = path_check(path, origin);
    if (r < 0)
        return r;
    struct node *dir = t->root;
    const char *s = path;
    size_t l = next_component(&s);
    for (;;) {
        const char *rest = s + l;
        size_t nl = next_component(&rest);
        if (!nl || !l)
            break;
        struct node *c = hash_find(t, dir, s, l);
        if (!c) {
            if (!create) {
                *parent = NULL;
                return 0;
            }
            c = node_new(t, dir, s, l);
            c->pub.type = TREE_DIR;
            c->pub.mode = 0755;
            set_flag(c, IMPLICIT, true);
            c->pub.origin = intern_origin(t, origin);
        } else if (c->pub.type != TREE_DIR) {
            _cleanup_free_ char *cp = path_of(&c->pub);
            if (c->pub.type == TREE_SYMLINK)
                return err_set(-ELOOP, "%s: %s: path passes through the symlink %s (from %s)", origin, path, cp,
                               c->pub.origin);
            return err_set(-ENOTDIR, "%s: %s: %s is a %s (from %s), not a directory", origin, path, cp,
                           type_name(c->pub.type), c->pub.origin);
        }
        dir = c;
        s = rest;
        l = nl;
    }
    *parent = dir;
    *name = s;
    *len = l;
    return 0;
}

static struct node *lookup(struct tree *t, const char *path)
{
    struct node *parent;
    const char *name;
    size_t len;
    err_clear();
    if (resolve_parent(t, path, "", false, &parent, &name, &len) < 0 || !parent)
        return NULL;
    return len ? hash_find(t, parent, name, len) : t->root;
}

struct tree_node *tree_lookup(struct tree *t, const char *path)
{
    struct node *n = lookup(t, path);
    return n ? &n->pub : NULL;
}

/* ------------------------------------------------------------- content --- */

/* What a regular file's content will be, before it is attached to a node. */
struct content {
    enum tree_content_kind kind;
    uint64_t size;
    uint64_t spool_offset;
    char *host_path;
    uint8_t *inline_data;
    bool have_sha256;
    uint8_t sha256[32];
    bool have_id;                  /* sparse digest (past DENSE_ID_MAX) */
    uint8_t id[32];
    bool counted;
    uint64_t data_blocks, data_runs;
};

/* What is learnt from a file's content on the way through: how many
 * TREE_BLOCK_SIZE blocks hold a non-zero byte, in how many runs; its
 * sha256 (md), which hashes every zero of a hole; and its sparse digest
 * (sparse), which hashes only the blocks holding a non-zero byte, each
 * with its index, then the size: it follows from the content alone (a hole
 * and written zeros give the same), yet a hole costs nothing. */
struct content_scan {
    EVP_MD_CTX *md;                /* NULL: no sha256 */
    EVP_MD_CTX *sparse;            /* NULL: no sparse digest */
    uint8_t *zeros;                /* IO_CHUNK zeros, to hash holes into md */
    uint8_t *blk;                  /* sparse: the current block's bytes so far */
    size_t blk_len;
    uint64_t pos;
    bool cur_nonzero, prev_nonzero;
    uint64_t blocks, runs;
};

static EVP_MD_CTX *md_new(void)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    return md;
}

/* Fixed-width little-endian numbers and NUL-terminated strings: no two
 * trees (or contents) give the same byte stream. */
static void digest_u64(EVP_MD_CTX *md, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    EVP_DigestUpdate(md, b, sizeof(b));
}

static void digest_str(EVP_MD_CTX *md, const char *s)
{
    EVP_DigestUpdate(md, s, strlen(s) + 1);
}

static void scan_start(struct content_scan *s, bool sha256, bool sparse)
{
    *s = (struct content_scan){0};
    if (sha256)
        s->md = md_new();
    if (sparse) {
        s->sparse = md_new();
        EVP_DigestUpdate(s->sparse, "guestimg sparse content", 24);
        s->blk = xmalloc(TREE_BLOCK_SIZE);
    }
}

/* The block ending at s->pos is complete (or is the last, partial one). */
static void scan_end_block(struct content_scan *s)
{
    if (s->cur_nonzero) {
        s->blocks++;
        if (!s->prev_nonzero)
            s->runs++;
        if (s->sparse) {
            digest_u64(s->sparse, (s->pos - 1) / TREE_BLOCK_SIZE);
            EVP_DigestUpdate(s->sparse, s->blk, s->blk_len);
        }
    }
    s->prev_nonzero = s->cur_nonzero;
    s->cur_nonzero = false;
    s->blk_len = 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
    return len == 0 || (p[0] == 0 && !memcmp(p, p + 1, len - 1));
}

static void scan_data(struct content_scan *s, const uint8_t *p, size_t len)
{
    if (s->md)
        EVP_DigestUpdate(s->md, p, len);
    while (len) {
        size_t in_block = TREE_BLOCK_SIZE - s->pos % TREE_BLOCK_SIZE;
        size_t n = MIN(len, in_block);
        if (!s->cur_nonzero && !all_zero(p, n))
            s->cur_nonzero = true;
        if (s->blk) {
            memcpy(s->blk + s->blk_len, p, n);
            s->blk_len += n;
        }
        s->pos += n;
        p += n;
        len -= n;
        if (n == in_block)
            scan_end_block(s);
    }
}

/* len zero bytes that are a hole: hashed into the sha256 if there is one,
 * counted in O(1) otherwise. */
static void scan_zeros(struct content_scan *s, uint64_t len)
{
    for (uint64_t left = len; s->md && left;) {
        size_t n = (size_t)MIN(left, (uint64_t)IO_CHUNK);
        if (!s->zeros)
            s->zeros = xcalloc(1, IO_CHUNK);
        EVP_DigestUpdate(s->md, s->zeros, n);
        left -= n;
    }
    if (len && s->pos % TREE_BLOCK_SIZE) {   /* the rest of the current block */
        uint64_t n = MIN(len, TREE_BLOCK_SIZE - s->pos % TREE_BLOCK_SIZE);
        if (s->blk) {
            memset(s->blk + s->blk_len, 0, (size_t)n);
            s->blk_len += (size_t)n;
        }
        s->pos += n;
        len -= n;
        if (s->pos % TREE_BLOCK_SIZE == 0)
            scan_end_block(s);
    }
    if (len >= TREE_BLOCK_SIZE) {            /* whole zero blocks */
        s->prev_nonzero = false;
        s->pos += len / TREE_BLOCK_SIZE * TREE_BLOCK_SIZE;
        len %= TREE_BLOCK_SIZE;
    }
    if (len) {                               /* the start of the next one */
        if (s->blk) {
            memset(s->blk, 0, (size_t)len);
            s->blk_len = (size_t)len;
        }
        s->pos += len;
    }
}

/* Release the scan; with ok, put what it learnt into c. */
static void scan_finish(struct content_scan *s, bool ok, struct content *c)
{
    if (ok) {
        if (s->pos % TREE_BLOCK_SIZE)
            scan_end_block(s);
        c->counted = true;
        c->data_blocks = s->blocks;
        c->data_runs = s->runs;
        if (s->md) {
            EVP_DigestFinal_ex(s->md, c->sha256, NULL);
            c->have_sha256 = true;
        }
        if (s->sparse) {
            digest_u64(s->sparse, s->pos);
            EVP_DigestFinal_ex(s->sparse, c->id, NULL);
            c->have_id = true;
        }
    }
    EVP_MD_CTX_free(s->md);
    EVP_MD_CTX_free(s->sparse);
    free(s->zeros);
    free(s->blk);
}

static int spool_open(struct tree *t)
{
    if (t->spool_fd >= 0)
        return 0;
    t->spool_fd = open(t->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (t->spool_fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        /* No O_TMPFILE here: a named file, unlinked at once. */
        _cleanup_free_ char *p = xasprintf("%s/.guestimg-spool-XXXXXX", t->spool_dir);
        t->spool_fd = mkostemp(p, O_CLOEXEC);
        if (t->spool_fd >= 0)
            unlink(p);
    }
    if (t->spool_fd < 0)
        return err_sys(-errno, "%s: cannot create the spool file", t->spool_dir);
    return 0;
}

/* Buffered writes to the spool: the pending bytes belong at [at, at+len). */
struct spool_writer {
    struct tree *t;
    uint8_t *buf;
    uint64_t at;
    size_t len;
};

static int spool_flush(struct spool_writer *w)
{
    const uint8_t *p = w->buf;
    while (w->len) {
        ssize_t n = pwrite(w->t->spool_fd, p, w->len, (off_t)w->at);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return err_sys(-errno, "%s: cannot write the spool file", w->t->spool_dir);
        }
        p += n;
        w->at += (uint64_t)n;
        w->len -= (size_t)n;
    }
    return 0;
}

static int spool_put(struct spool_writer *w, uint64_t at, const void *data, size_t len)
{
    if (w->len && (at != w->at + w->len || w->len + len > IO_CHUNK)) {
        int r = spool_flush(w);
        if (r < 0)
            return r;
    }
    if (!w->len)
        w->at = at;
    if (len > IO_CHUNK) {
        w->buf = (uint8_t *)data;   /* too big to buffer: write it as it is */
        w->len = len;
        int r = spool_flush(w);
        w->buf = scratch(w->t);
        return r;
    }
    memcpy(w->buf + w->len, data, len);
    w->len += len;
    return 0;
}

static void content_release(struct content *c)
{
    free(c->host_path);
    free(c->inline_data);
    c->host_path = NULL;
    c->inline_data = NULL;
}

/* The spooled data an entry placed on n takes out of the tree (n's
 * subtree, or more if some of it is hard-linked from elsewhere). */
static uint64_t spool_data_below(const struct node *n)
{
    if (!n)
        return 0;
    uint64_t sum = spooled_bytes(n);
    for (size_t i = 0; i < n->pub.nchildren; i++)
        sum += spool_data_below(N(n->pub.children[i]));
    return sum;
}

/* Stream the current archive entry's data into the spool. Chunks of zeros
 * stay holes of the spool (a small archive of zeros does not become as
 * many bytes on disk); with a size limit, the data stops as soon as the
 * spooled data the tree will hold passes it (replacing takes out what
 * was on the entry's path). */
static int spool_archive(struct tree *t, struct archive *ar, uint64_t size, const char *origin,
                         const char *path, const struct node *replacing, struct content *c)
{
    uint64_t kept = t->size_limit ? t->spool_data - spool_data_below(replacing) : 0;
    int r = spool_open(t);
    if (r < 0)
        return r;
    *c = (struct content){.kind = size ? TREE_CONTENT_SPOOL : TREE_CONTENT_NONE, .size = size,
                          .spool_offset = t->spool_end};
    struct spool_writer w = {.t = t, .buf = scratch(t)};
    struct content_scan s;
    scan_start(&s, size <= DENSE_ID_MAX, size > DENSE_ID_MAX);
    uint64_t pos = 0, end = 0;
    for (;;) {
        const void *data;
        size_t len;
        la_int64_t off;
        int ar_r = archive_read_data_block(ar, &data, &len, &off);
        if (ar_r == ARCHIVE_EOF)
            break;
        if (ar_r < ARCHIVE_WARN) {
            r = err_set(-EIO, "%s: %s: cannot read the data: %s", origin, path,
                        archive_error_string(ar) ? archive_error_string(ar) : "corrupt archive");
            goto out;
        }
        if (off < 0 || (uint64_t)off < pos || (uint64_t)off > size || len > size - (uint64_t)off) {
            r = err_set(-EINVAL, "%s: %s: data lies outside the declared size of %llu bytes", origin, path,
                        (unsigned long long)size);
            goto out;
        }
        scan_zeros(&s, (uint64_t)off - pos);   /* a hole in a sparse entry */
        scan_data(&s, data, len);
        if (t->size_limit && kept + s.blocks * TREE_BLOCK_SIZE > t->size_limit) {
            r = err_set(-ENOSPC, "%s: %s: the tree does not fit in %llu bytes (--size): its data passes that "
                        "already", origin, path, (unsigned long long)t->size_limit);
            goto out;
        }
        pos = (uint64_t)off + len;
        if (all_zero(data, len))
            continue;
        if ((r = spool_put(&w, c->spool_offset + (uint64_t)off, data, len)) < 0)
            goto out;
        end = pos;
    }
    scan_zeros(&s, size - pos);
    if ((r = spool_flush(&w)) < 0)
        goto out;
    if (end < size && ftruncate(t->spool_fd, (off_t)(c->spool_offset + size)) < 0) {
        r = err_sys(-errno, "%s: cannot extend the spool file", t->spool_dir);
        goto out;
    }
    t->spool_end = ALIGN_UP(c->spool_offset + size, TREE_BLOCK_SIZE);
out:
    if (r < 0 && ftruncate(t->spool_fd, (off_t)t->spool_end) < 0) {
        /* not on the spool's own regular file */
    }
    scan_finish(&s, r == 0, c);
    return r;
}

/* Give back the spool space of content that was not kept (it is the last). */
static void spool_unwind(struct tree *t, const struct content *c)
{
    if (c->kind == TREE_CONTENT_SPOOL && ALIGN_UP(c->spool_offset + c->size, TREE_BLOCK_SIZE) == t->spool_end) {
        t->spool_end = c->spool_offset;
        if (ftruncate(t->spool_fd, (off_t)t->spool_end) < 0) {
            /* harmless: the space stays used */
        }
    }
}

/* ------------------------------------------------------------- readers --- */

struct tree_reader {
    struct tree *t;
    const struct tree_node *n;
    int fd;                     /* host file, or -1 */
    char *host_path;            /* its path */
    uint64_t pos;
};

/* open(2) of a host file by a path of any length (a deep tree under a long
 * input path passes PATH_MAX): past it, through the directories of at most
 * PATH_MAX - 1 bytes at a time, which resolve as open's would; the file
 * itself is never a symlink (O_NOFOLLOW). -1 and errno on failure. */
static int open_host(const char *path)
{
    int dir = AT_FDCWD, fd = -1;
    const char *s = path;
    while (strlen(s) >= PATH_MAX) {
        const char *cut = s + PATH_MAX - 1;
        while (cut > s && *cut != '/')
            cut--;
        if (cut == s) {
            errno = ENAMETOOLONG;
            goto out;
        }
        _cleanup_free_ char *part = xstrndup(s, (size_t)(cut - s));
        int sub = openat(dir, part, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (sub < 0)
            goto out;
        if (dir != AT_FDCWD)
            close(dir);
        dir = sub;
        s = cut + strspn(cut, "/");
    }
    fd = openat(dir, s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
out:
    if (dir != AT_FDCWD) {
        int e = errno;
        close(dir);
        errno = e;
    }
    return fd;
}

/* A host path as messages quote it: whole up to 512 bytes, else its start
 * and end (an error line stays whole and keeps its reason); allocated. */
static char *path_for_message(const char *path)
{
    size_t len = strlen(path);
    return len <= 512 ? xstrdup(path) : xasprintf("%.160s...%s", path, path + len - 320);
}

int tree_reader_open(struct tree *t, const struct tree_node *n, struct tree_reader **out)
{
    if (n->hardlink)
        n = n->hardlink;
    if (n->type != TREE_REG)
        return err_set(-EINVAL, "%s: not a regular file", n->name);
    struct tree_reader *r = xcalloc(1, sizeof(*r));
    r->t = t;
    r->n = n;
    r->fd = -1;
    if (n->content == TREE_CONTENT_HOST) {
        r->host_path = host_full_path(N((struct tree_node *)n));
        r->fd = open_host(r->host_path);
        struct stat st;
        if (r->fd < 0 || fstat(r->fd, &st) < 0) {
            int e = errno;
            _cleanup_free_ char *p = path_for_message(r->host_path);
            err_sys(-e, "%s: cannot open", p);
            tree_reader_close(r);
            return -e;
        }
        if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != n->size) {
            _cleanup_free_ char *p = path_for_message(r->host_path);
            err_set(-ESTALE, "%s: changed while the image was being built", p);
            tree_reader_close(r);
            return -ESTALE;
        }
    }
    *out = r;
    return 0;
}

ssize_t tree_reader_read(struct tree_reader *r, void *buf, size_t len)
{
    const struct tree_node *n = r->n;
    uint64_t left = n->size - r->pos;
    if (len > left)
        len = (size_t)left;
    if (!len)
        return 0;
    ssize_t got;
    switch (n->content) {
    case TREE_CONTENT_INLINE:
        memcpy(buf, n->inline_data + r->pos, len);
        got = (ssize_t)len;
        break;
    case TREE_CONTENT_SPOOL:
    case TREE_CONTENT_HOST:
        do {
            got = n->content == TREE_CONTENT_HOST ? read(r->fd, buf, len)
                                                  : pread(r->t->spool_fd, buf, len, (off_t)(n->spool_offset + r->pos));
        } while (got < 0 && errno == EINTR);
        if (got <= 0) {
            int e = got < 0 ? errno : ESTALE;
            _cleanup_free_ char *p = path_for_message(n->content == TREE_CONTENT_HOST ? r->host_path
                                                                                      : r->t->spool_dir);
            return got < 0 ? err_sys(-e, "%s: read failed", p)
                           : err_set(-e, "%s: shrank while the image was being built", p);
        }
        break;
    default:
        return 0;
    }
    r->pos += (uint64_t)got;
    return got;
}

uint64_t tree_reader_skip_hole(struct tree_reader *r)
{
    const struct tree_node *n = r->n;
    bool host = n->content == TREE_CONTENT_HOST;
    if (!host && n->content != TREE_CONTENT_SPOOL)
        return 0;
    uint64_t base = host ? 0 : n->spool_offset;
    off_t data = lseek(host ? r->fd : r->t->spool_fd, (off_t)(base + r->pos), SEEK_DATA);
    uint64_t end;
    if (data >= 0)
        end = MIN((uint64_t)data - base, n->size);
    else if (errno == ENXIO)
        end = n->size;
    else
        return 0;
    if (end < n->size)
        end = r->pos + (end - r->pos) / TREE_BLOCK_SIZE * TREE_BLOCK_SIZE;
    uint64_t skipped = end - r->pos;
    if (skipped && host && lseek(r->fd, (off_t)end, SEEK_SET) < 0)
        return 0;
    r->pos = end;
    return skipped;
}

void tree_reader_close(struct tree_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->host_path);
    free(r);
}

/* A node's digests: 32 bytes for the sha256, and for a file past
 * DENSE_ID_MAX 32 more for the sparse digest, in the arena. */
static uint8_t *digests_of(struct tree *t, struct node *n)
{
    if (!n->pub.sha256)
        n->pub.sha256 = arena_alloc(&t->arena, n->pub.size > DENSE_ID_MAX ? 64 : 32);
    return n->pub.sha256;
}

/* Keep the digests c has learnt (content of n's size). */
static void keep_digests(struct tree *t, struct node *n, const struct content *c)
{
    if (c->have_sha256) {
        memcpy(digests_of(t, n), c->sha256, 32);
        n->pub.have_sha256 = true;
    }
    if (c->have_id && n->pub.size > DENSE_ID_MAX) {
        memcpy(digests_of(t, n) + 32, c->id, 32);
        set_flag(n, HAVE_ID, true);
    }
}

/* Read a whole file once, counting its blocks and computing its sha256
 * and/or its sparse digest. Holes are skipped unless the sha256 needs
 * their zeros. */
static int scan_content(struct tree *t, struct node *n, bool sha256, bool sparse)
{
    struct tree_reader *r;
    int rc = tree_reader_open(t, &n->pub, &r);
    if (rc < 0)
        return rc;
    struct content_scan s;
    scan_start(&s, sha256, sparse);
    uint8_t *buf = scratch(t);
    ssize_t got;
    for (;;) {
        if (!sha256)
            scan_zeros(&s, tree_reader_skip_hole(r));
        if ((got = tree_reader_read(r, buf, IO_CHUNK)) <= 0)
            break;
        scan_data(&s, buf, (size_t)got);
    }
    tree_reader_close(r);
    struct content c = {0};
    scan_finish(&s, got == 0, &c);
    keep_digests(t, n, &c);
    if (c.counted) {
        set_flag(n, COUNTED, true);
        n->data_blocks = (uint32_t)c.data_blocks;
        n->data_runs = (uint32_t)c.data_runs;
    }
    return got < 0 ? (int)got : 0;
}

int tree_file_sha256(struct tree *t, struct tree_node *tn, uint8_t out[32])
{
    struct node *n = N(tn->hardlink ? tn->hardlink : tn);
    if (!n->pub.have_sha256) {
        int r = scan_content(t, n, true, false);
        if (r < 0)
            return r;
    }
    memcpy(out, n->pub.sha256, 32);
    return 0;
}

/* What tree_digest(), the conflict check and files.tsv compare
 * (DENSE_ID_MAX). */
static int tree_file_id(struct tree *t, struct node *n, uint8_t out[32])
{
    if (n->pub.hardlink)
        n = N(n->pub.hardlink);
    if (n->pub.size <= DENSE_ID_MAX)
        return tree_file_sha256(t, &n->pub, out);
    if (!has(n, HAVE_ID)) {
        int r = scan_content(t, n, false, true);
        if (r < 0)
            return r;
    }
    memcpy(out, n->pub.sha256 + 32, 32);
    return 0;
}

int tree_file_content_id(struct tree *t, struct tree_node *tn, uint8_t out[32], bool *sparse)
{
    struct node *n = N(tn->hardlink ? tn->hardlink : tn);
    *sparse = n->pub.size > DENSE_ID_MAX;
    return tree_file_id(t, n, out);
}

int tree_file_data_blocks(struct tree *t, struct tree_node *tn, uint64_t *blocks, uint64_t *runs)
{
    struct node *n = N(tn->hardlink ? tn->hardlink : tn);
    if (!has(n, COUNTED)) {
        int r = scan_content(t, n, false, false);
        if (r < 0)
            return r;
    }
    *blocks = n->data_blocks;
    *runs = n->data_runs;
    return 0;
}

/* ---------------------------------------------------- adding and policy --- */

/* A new entry, before it is placed: its type, attributes and payload. */
struct entry {
    enum tree_type type;
    const struct tree_attr *attr;
    struct content content;         /* TREE_REG */
    const char *link_target;        /* TREE_SYMLINK */
    uint32_t major, minor;          /* devices */
    struct node *hardlink_to;       /* hard links: the primary */
};

static void apply_attr(struct tree *t, struct node *n, const struct tree_attr *a)
{
    n->pub.mode = a->mode & 07777;
    n->pub.uid = a->uid;
    n->pub.gid = a->gid;
    n->pub.mtime = a->mtime;
    n->pub.origin = intern_origin(t, a->origin);
}

/* Give n the content c describes; c keeps no memory of its own. A node
 * in the tree keeps its host path in the arena, as the interned prefix
 * before its own path when it ends so (a directory input's files: the
 * prefix is the input); a detached node (same_inode()) borrows c's. */
static void set_content(struct tree *t, struct node *n, struct content *c)
{
    struct tree_node *p = &n->pub;
    p->content = c->kind;
    p->size = c->size;
    p->have_sha256 = false;
    p->sha256 = NULL;
    n->pub.internal &= IMPLICIT;
    switch (c->kind) {
    case TREE_CONTENT_HOST:
        p->host_path = n->pub.parent ? host_path_keep(t, n, c->host_path) : c->host_path;
        if (n->pub.parent)
            free(c->host_path);
        break;
    case TREE_CONTENT_SPOOL: p->spool_offset = c->spool_offset; break;
    case TREE_CONTENT_INLINE: p->inline_data = c->inline_data; break;
    default: p->spool_offset = 0; break;
    }
    keep_digests(t, n, c);
    set_flag(n, COUNTED, c->counted);
    n->data_blocks = (uint32_t)c->data_blocks;
    n->data_runs = (uint32_t)c->data_runs;
    c->host_path = NULL;
    c->inline_data = NULL;
}

/* Hand a node's content over to c (the node keeps none). */
static void take_content(struct node *n, struct content *c)
{
    struct tree_node *p = &n->pub;
    *c = (struct content){.kind = p->content, .size = p->size, .have_sha256 = p->have_sha256,
                          .have_id = has(n, HAVE_ID), .counted = has(n, COUNTED),
                          .data_blocks = n->data_blocks, .data_runs = n->data_runs};
    switch (p->content) {
    case TREE_CONTENT_HOST:
        c->host_path = n->pub.parent ? host_full_path(n) : (char *)p->host_path;
        break;
    case TREE_CONTENT_SPOOL: c->spool_offset = p->spool_offset; break;
    case TREE_CONTENT_INLINE: c->inline_data = p->inline_data; break;
    default: break;
    }
    if (p->have_sha256)
        memcpy(c->sha256, p->sha256, 32);
    if (has(n, HAVE_ID))
        memcpy(c->id, p->sha256 + 32, 32);
    p->spool_offset = 0;
    p->content = TREE_CONTENT_NONE;
    set_flag(n, HOST_DERIVED, false);
}

/* Move a node's inode (content, attributes, xattrs) to dst. */
static void move_inode(struct tree *t, struct node *dst, struct node *src)
{
    struct tree_node *d = &dst->pub, *s = &src->pub;
    node_clear_inode(t, dst);
    d->type = s->type;
    d->mode = s->mode;
    d->uid = s->uid;
    d->gid = s->gid;
    d->mtime = s->mtime;
    d->rdev_major = s->rdev_major;
    d->rdev_minor = s->rdev_minor;
    d->link_target = s->link_target;
    d->xattrs = s->xattrs;
    d->nxattrs = s->nxattrs;
    s->link_target = NULL;
    s->xattrs = NULL;
    s->nxattrs = 0;
    struct content c;
    take_content(src, &c);
    set_content(t, dst, &c);
}

static void unlink_from_target(struct node *n)
{
    struct node *target = N(n->pub.hardlink);
    for (struct node **p = &target->links; *p; p = &(*p)->link_next)
        if (*p == n) {
            *p = n->link_next;
            break;
        }
    n->link_next = NULL;
    n->pub.hardlink = NULL;
}

/* n stops being an inode: if other names refer to it, the oldest of them
 * (the last in the list) takes the inode over. */
static void release_inode(struct tree *t, struct node *n)
{
    if (n->pub.hardlink) {
        unlink_from_target(n);
        return;
    }
    if (!n->links)
        return;
    struct node **last = &n->links;
    while ((*last)->link_next)
        last = &(*last)->link_next;
    struct node *heir = *last;
    *last = NULL;
    move_inode(t, heir, n);
    heir->pub.hardlink = NULL;
    heir->links = n->links;
    for (struct node *l = heir->links; l; l = l->link_next)
        l->pub.hardlink = &heir->pub;
    n->links = NULL;
}

/* Hard links from inside a dying subtree let go of their targets first, so
 * that an inode only passes to a name that survives. */
static void release_dying_links(struct node *n)
{
    if (n->pub.hardlink)
        unlink_from_target(n);
    for (size_t i = 0; i < n->pub.nchildren; i++)
        release_dying_links(N(n->pub.children[i]));
}

static void release_dying_inodes(struct tree *t, struct node *n)
{
    for (size_t i = 0; i < n->pub.nchildren; i++)
        release_dying_inodes(t, N(n->pub.children[i]));
    release_inode(t, n);
    hash_remove(t, n);
}

/* Empty a node's subtree and inode, keeping the node (and its place in its
 * parent) for a new entry. */
static void node_reset(struct tree *t, struct node *n)
{
    release_dying_links(n);
    for (size_t i = 0; i < n->pub.nchildren; i++) {
        struct node *c = N(n->pub.children[i]);
        release_dying_inodes(t, c);
        subtree_free(t, c);
    }
    n->pub.nchildren = 0;
    release_inode(t, n);
    node_clear_inode(t, n);
    set_flag(n, IMPLICIT, false);
}

static void fill_node(struct tree *t, struct node *n, struct entry *e)
{
    n->pub.type = e->type;
    if (e->hardlink_to) {
        n->pub.hardlink = &e->hardlink_to->pub;
        n->pub.type = e->hardlink_to->pub.type;
        n->pub.origin = intern_origin(t, e->attr->origin);
        n->link_next = e->hardlink_to->links;   /* O(1) however many names */
        e->hardlink_to->links = n;
        return;
    }
    apply_attr(t, n, e->attr);
    if (e->type == TREE_REG) {
        set_content(t, n, &e->content);
        t->spool_data += spooled_bytes(n);
    }
    else if (e->type == TREE_SYMLINK)
        n->pub.link_target = xstrdup(e->link_target);
    n->pub.rdev_major = e->major;
    n->pub.rdev_minor = e->minor;
}

/* RPM's rule: the same file may come from two packages. */
static int same_inode(struct tree *t, struct node *old, struct entry *e, bool *same)
{
    *same = false;
    struct node *o = old->pub.hardlink ? N(old->pub.hardlink) : old;
    if (e->hardlink_to) {
        *same = e->hardlink_to == o;
        return 0;
    }
    const struct tree_node *p = &o->pub;
    if (p->type != e->type || p->mode != (e->attr->mode & 07777) || p->uid != e->attr->uid ||
        p->gid != e->attr->gid)
        return 0;
    switch (e->type) {
    case TREE_REG: {
        if (p->size != e->content.size)
            return 0;
        uint8_t h[32], eh[32];
        int r = tree_file_id(t, o, h);
        if (r < 0)
            return r;
        /* the entry's content, in a node of its own for as long as that takes */
        struct node tmp = {0};
        set_content(t, &tmp, &e->content);
        tmp.pub.type = TREE_REG;
        r = tree_file_id(t, &tmp, eh);
        take_content(&tmp, &e->content);
        if (r < 0)
            return r;
        *same = !memcmp(h, eh, 32);
        return 0;
    }
    case TREE_SYMLINK:
        *same = !strcmp(p->link_target, e->link_target);
        return 0;
    case TREE_CHR:
    case TREE_BLK:
        *same = p->rdev_major == e->major && p->rdev_minor == e->minor;
        return 0;
    default:
        *same = true;
        return 0;
    }
}

/* A directory entry where a directory is: they merge; the first explicit
 * entry (RPM) or the last (inputs) sets the attributes. */
static void merge_directory(struct tree *t, struct node *old, struct entry *e)
{
    if (has(old, IMPLICIT) || t->policy == TREE_REPLACE) {
        apply_attr(t, old, e->attr);
        if (t->policy == TREE_REPLACE)
            xattrs_free(&old->pub);
        set_flag(old, IMPLICIT, false);
    }
}

/* TREE_RPM_CONFLICT: a second entry at a path is accepted only when it is
 * the same inode as the first (as rpm allows shared files); the new entry's
 * content is dropped. */
static int keep_identical(struct tree *t, struct node *old, struct entry *e, const char *origin)
{
    bool same;
    int r = same_inode(t, old, e, &same);
    if (r < 0)
        return r;
    if (!same) {
        _cleanup_free_ char *p = path_of(&old->pub);
        return err_set(-EEXIST, "%s: %s from %s conflicts with the %s from %s", p, type_name(e->type), origin,
                       type_name(old->pub.type), old->pub.origin);
    }
    if (e->type == TREE_REG)
        spool_unwind(t, &e->content);
    content_release(&e->content);
    return 0;
}

/* Place a new entry at path, following the tree's policy. */
static int place(struct tree *t, const char *path, struct entry *e, struct node **out)
{
    const char *origin = e->attr->origin ? e->attr->origin : "(unknown input)";
    struct node *parent;
    const char *name;
    size_t len;
    int r = resolve_parent(t, path, origin, true, &parent, &name, &len);
    if (r < 0)
        return r;
    struct node *old = len ? hash_find(t, parent, name, len) : t->root;
    if (!len && e->type != TREE_DIR)
        return err_set(-EISDIR, "%s: %s: the root must be a directory", origin, path);
    if (old && old->pub.type == TREE_DIR && e->type == TREE_DIR && !e->hardlink_to) {
        merge_directory(t, old, e);
        if (out)
            *out = old;
        return 0;
    }
    if (old && t->policy == TREE_RPM_CONFLICT) {
        if ((r = keep_identical(t, old, e, origin)) < 0)
            return r;
        if (out)
            *out = old;
        return 0;
    }
    if (old && e->hardlink_to && (old == e->hardlink_to || N(old->pub.hardlink) == e->hardlink_to)) {
        if (out)
            *out = old;
        return 0;   /* already that inode */
    }
    if (old && e->hardlink_to) {
        for (struct tree_node *up = e->hardlink_to->pub.parent; up; up = up->parent)
            if (up == &old->pub) {
                _cleanup_free_ char *p = path_of(&old->pub);
                return err_set(-EINVAL, "%s: %s: a hard link cannot replace the directory that holds its target",
                               origin, p);
            }
    }
    struct node *n = old;
    if (n)
        node_reset(t, n);
    else
        n = node_new(t, parent, name, len);
    fill_node(t, n, e);
    if (out)
        *out = n;
    return 0;
}

static const struct tree_attr *attr_or_default(const struct tree_attr *a)
{
    static const struct tree_attr def = {.mode = 0644};
    return a ? a : &def;
}

int tree_add_dir(struct tree *t, const char *path, const struct tree_attr *a)
{
    struct entry e = {.type = TREE_DIR, .attr = attr_or_default(a)};
    return place(t, path, &e, NULL);
}

int tree_add_symlink(struct tree *t, const char *path, const char *target, const struct tree_attr *a)
{
    a = attr_or_default(a);
    size_t len = strlen(target);
    if (len == 0 || len > SYMLINK_MAX_BYTES)
        return err_set(-EINVAL, "%s: %s: symlink target is %s", a->origin ? a->origin : "(unknown input)", path,
                       len ? "longer than 4095 bytes" : "empty");
    struct entry e = {.type = TREE_SYMLINK, .attr = a, .link_target = target};
    return place(t, path, &e, NULL);
}

int tree_add_special(struct tree *t, const char *path, enum tree_type type, uint32_t major, uint32_t minor,
                     const struct tree_attr *a)
{
    a = attr_or_default(a);
    if (type != TREE_CHR && type != TREE_BLK && type != TREE_FIFO && type != TREE_SOCK)
        return err_set(-EINVAL, "%s: %s: not a special file type", a->origin ? a->origin : "(unknown input)", path);
    if (major >= (1u << 12) || minor >= (1u << 20))
        return err_set(-ERANGE, "%s: %s: device number %u:%u is out of range",
                       a->origin ? a->origin : "(unknown input)", path, major, minor);
    struct entry e = {.type = type, .attr = a};
    if (type == TREE_CHR || type == TREE_BLK) {
        e.major = major;
        e.minor = minor;
    }
    return place(t, path, &e, NULL);
}

int tree_add_hardlink(struct tree *t, const char *path, const char *target_path, const struct tree_attr *a)
{
    a = attr_or_default(a);
    const char *origin = a->origin ? a->origin : "(unknown input)";
    int r = path_check(target_path, origin);
    if (r < 0)
        return r;
    struct node *target = lookup(t, target_path);
    if (!target)
        return err_set(-ENOENT, "%s: %s: hard link to %s, which is not in the tree", origin, path, target_path);
    if (target->pub.hardlink)
        target = N(target->pub.hardlink);
    if (target->pub.type == TREE_DIR)
        return err_set(-EPERM, "%s: %s: hard link to the directory %s", origin, path, target_path);
    struct entry e = {.type = target->pub.type, .attr = a, .hardlink_to = target};
    return place(t, path, &e, NULL);
}

static int add_file(struct tree *t, const char *path, struct content *c, const struct tree_attr *a)
{
    struct entry e = {.type = TREE_REG, .attr = a, .content = *c};
    int r = place(t, path, &e, NULL);
    content_release(&e.content);
    return r;
}

int tree_add_file_host(struct tree *t, const char *path, const char *host_path, uint64_t size,
                       const struct tree_attr *a)
{
    int r = check_file_size(host_path, path, size);
    if (r < 0)
        return r;
    struct content c = {.kind = size ? TREE_CONTENT_HOST : TREE_CONTENT_NONE, .size = size};
    if (size)
        c.host_path = xstrdup(host_path);
    else
        c.counted = true;
    return add_file(t, path, &c, attr_or_default(a));
}

int tree_add_file_buffer(struct tree *t, const char *path, const void *data, size_t len,
                         const struct tree_attr *a)
{
    a = attr_or_default(a);
    struct content c = {.kind = len ? TREE_CONTENT_INLINE : TREE_CONTENT_NONE, .size = len};
    struct content_scan s;
    scan_start(&s, true, len > DENSE_ID_MAX);
    scan_data(&s, data, len);
    scan_finish(&s, true, &c);
    if (len > INLINE_MAX) {
        /* Large buffers go to the spool: content is never held in memory. */
        int r = spool_open(t);
        if (r < 0)
            return r;
        struct spool_writer w = {.t = t, .buf = scratch(t)};
        c.kind = TREE_CONTENT_SPOOL;
        c.spool_offset = t->spool_end;
        if ((r = spool_put(&w, c.spool_offset, data, len)) < 0 || (r = spool_flush(&w)) < 0)
            return r;
        t->spool_end = ALIGN_UP(c.spool_offset + len, TREE_BLOCK_SIZE);
    } else if (len) {
        c.inline_data = xmalloc(len);
        memcpy(c.inline_data, data, len);
    }
    return add_file(t, path, &c, a);
}

int tree_add_file_archive(struct tree *t, const char *path, struct archive *ar, uint64_t size,
                          const struct tree_attr *a)
{
    a = attr_or_default(a);
    const char *origin = a->origin ? a->origin : "(unknown input)";
    /* Refuse a bad path before reading any data. */
    struct node *parent;
    const char *name;
    size_t len;
    int r = resolve_parent(t, path, origin, true, &parent, &name, &len);
    if (r < 0 || (r = check_file_size(origin, path, size)) < 0)
        return r;
    struct content c;
    if ((r = spool_archive(t, ar, size, origin, path, len ? hash_find(t, parent, name, len) : NULL, &c)) < 0)
        return r;
    return add_file(t, path, &c, a);
}

int tree_set_content_archive(struct tree *t, const char *path, struct archive *ar, uint64_t size)
{
    struct node *n = lookup(t, path);
    if (n && n->pub.hardlink)
        n = N(n->pub.hardlink);
    if (!n || n->pub.type != TREE_REG)
        return err_set(-ENOENT, "%s: not a regular file in the tree", path);
    struct content c;
    int r = check_file_size(n->pub.origin, path, size);
    if (r < 0 || (r = spool_archive(t, ar, size, n->pub.origin, path, n, &c)) < 0)
        return r;
    t->spool_data -= spooled_bytes(n);
    if (n->pub.content == TREE_CONTENT_INLINE)
        free(n->pub.inline_data);
    n->pub.spool_offset = 0;
    set_content(t, n, &c);
    t->spool_data += spooled_bytes(n);
    return 0;
}

/* -------------------------------------------------------------- xattrs --- */

static bool xattr_name_ok(const char *name)
{
    static const char *const prefixes[] = {"user.", "trusted.", "security."};
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
        if (startswith(name, prefixes[i]))
            return name[strlen(prefixes[i])] && strlen(name + strlen(prefixes[i])) <= NAME_MAX_BYTES;
    return streq(name, "system.posix_acl_access") || streq(name, "system.posix_acl_default");
}

/* A POSIX ACL as the xattr interface gives it (linux/posix_acl_xattr.h):
 * little-endian version 2, then one or more 8-byte entries (tag, perm,
 * id) of the six known tags with rwx permissions at most; what libext2fs
 * turns into ext4's format (it refuses anything else: "Invalid argument"). */
static bool posix_acl_ok(const uint8_t *v, size_t len)
{
    if (len < 12 || (len - 4) % 8 || v[0] != 2 || v[1] || v[2] || v[3])
        return false;
    for (size_t i = 4; i < len; i += 8) {
        unsigned tag = v[i] | (unsigned)v[i + 1] << 8, perm = v[i + 2] | (unsigned)v[i + 3] << 8;
        if ((tag != 0x01 && tag != 0x02 && tag != 0x04 && tag != 0x08 && tag != 0x10 && tag != 0x20) || perm > 7)
            return false;
    }
    return true;
}

int tree_set_xattr(struct tree *t, const char *path, const char *name, const void *value, size_t len)
{
    struct node *n = lookup(t, path);
    if (!n)
        return err_set(-ENOENT, "%s: extended attribute %s on an entry that is not in the tree", path, name);
    if (n->pub.hardlink)
        n = N(n->pub.hardlink);
    if (!xattr_name_ok(name))
        return err_set(-EINVAL, "%s: %s: unsupported extended attribute name", path, name);
    if (len > TREE_BLOCK_SIZE)
        return err_set(-E2BIG, "%s: %s: extended attribute value of %zu bytes is too large", path, name, len);
    if (startswith(name, "system.") && !posix_acl_ok(value, len))
        return err_set(-EBADMSG, "%s: %s: not a POSIX ACL (a version 2 header, then one or more 8-byte entries)",
                       path, name);
    struct tree_node *p = &n->pub;
    size_t i = 0;
    while (i < p->nxattrs && strcmp(p->xattrs[i].name, name) < 0)
        i++;
    if (i < p->nxattrs && !strcmp(p->xattrs[i].name, name)) {
        free(p->xattrs[i].value);
    } else {
        p->xattrs = xrealloc(p->xattrs, (p->nxattrs + 1) * sizeof(*p->xattrs));
        memmove(p->xattrs + i + 1, p->xattrs + i, (p->nxattrs - i) * sizeof(*p->xattrs));
        p->nxattrs++;
        p->xattrs[i].name = xstrdup(name);
    }
    p->xattrs[i].value = xmalloc(len);
    if (len)
        memcpy(p->xattrs[i].value, value, len);
    p->xattrs[i].len = len;
    return 0;
}

/* ------------------------------------------------------------- removal --- */

int tree_remove(struct tree *t, const char *path)
{
    struct node *n = lookup(t, path);
    if (!n)
        return 0;
    if (n == t->root)
        return err_set(-EINVAL, "%s: the root cannot be removed", path);
    node_reset(t, n);
    hash_remove(t, n);
    struct tree_node *p = n->pub.parent;
    for (size_t i = 0; i < p->nchildren; i++)
        if (p->children[i] == &n->pub) {
            memmove(p->children + i, p->children + i + 1, (p->nchildren - i - 1) * sizeof(*p->children));
            p->nchildren--;
            break;
        }
    node_free(t, n);
    return 0;
}

/* ---------------------------------------------------- walking, totals --- */

static int cmp_child(const void *a, const void *b)
{
    const struct tree_node *x = *(struct tree_node *const *)a, *y = *(struct tree_node *const *)b;
    return strcmp(x->name, y->name);
}

static void sort_node(struct tree_node *n)
{
    if (n->nchildren > 1)
        qsort(n->children, n->nchildren, sizeof(*n->children), cmp_child);
    for (size_t i = 0; i < n->nchildren; i++)
        if (n->children[i]->nchildren)
            sort_node(n->children[i]);
}

void tree_sort(struct tree *t)
{
    sort_node(&t->root->pub);
}

static int walk_node(struct tree_node *n, struct strbuf *path, int (*fn)(struct tree_node *, const char *, void *),
                     void *ctx)
{
    int r = fn(n, path->len ? path->buf : "/", ctx);
    if (r)
        return r;
    size_t base = path->len;
    for (size_t i = 0; i < n->nchildren; i++) {
        sb_puts(path, "/");
        sb_puts(path, n->children[i]->name);
        r = walk_node(n->children[i], path, fn, ctx);
        path->len = base;
        if (path->buf)
            path->buf[base] = 0;
        if (r)
            return r;
    }
    return 0;
}

int tree_walk(struct tree *t, int (*fn)(struct tree_node *n, const char *path, void *ctx), void *ctx)
{
    struct strbuf path = STRBUF_INIT;
    int r = walk_node(&t->root->pub, &path, fn, ctx);
    sb_release(&path);
    return r;
}

/* tree_digest(): the first name, in sorted order, of each hard-linked
 * inode, found by the inode's node (open addressing, half full at most). */
struct first_names {
    struct first_name {
        const struct node *inode;
        char *name;
    } *v;
    size_t cap, len;
};

static size_t first_name_slot(const struct first_names *f, const struct node *inode)
{
    size_t i = (size_t)(((uintptr_t)inode >> 4) * 0x9E3779B97F4A7C15ull) & (f->cap - 1);
    while (f->v[i].inode && f->v[i].inode != inode)
        i = (i + 1) & (f->cap - 1);
    return i;
}

static void first_name_add(struct first_names *f, const struct node *inode, const char *name)
{
    if (2 * (f->len + 1) > f->cap) {
        struct first_names g = {.cap = f->cap ? f->cap * 2 : 64, .len = f->len};
        g.v = xcalloc(g.cap, sizeof(*g.v));
        for (size_t i = 0; i < f->cap; i++)
            if (f->v[i].inode)
                g.v[first_name_slot(&g, f->v[i].inode)] = f->v[i];
        free(f->v);
        *f = g;
    }
    f->v[first_name_slot(f, inode)] = (struct first_name){inode, xstrdup(name)};
    f->len++;
}

static const char *first_name_of(const struct first_names *f, const struct node *inode)
{
    return f->cap ? f->v[first_name_slot(f, inode)].name : NULL;
}

struct digest_walk {
    struct tree *t;
    EVP_MD_CTX *md;
    struct first_names first;
};

/* A hard-linked inode is described at its first name; its other names
 * refer to that one, whichever of them the tree holds the inode on. */
static int digest_node(struct tree_node *n, const char *path, void *ctx)
{
    struct digest_walk *d = ctx;
    digest_str(d->md, path);
    digest_u64(d->md, n->type);
    struct node *inode = N(n->hardlink ? n->hardlink : n);
    if (inode->links || n->hardlink) {
        const char *first = first_name_of(&d->first, inode);
        if (first) {
            digest_str(d->md, first);
            return 0;
        }
        first_name_add(&d->first, inode, path);
    }
    n = &inode->pub;
    digest_u64(d->md, n->mode);
    digest_u64(d->md, n->uid);
    digest_u64(d->md, n->gid);
    if (n->type == TREE_REG) {
        uint8_t h[32];
        int r = tree_file_id(d->t, inode, h);
        if (r < 0)
            return r;
        digest_u64(d->md, n->size);
        EVP_DigestUpdate(d->md, h, sizeof(h));
    } else if (n->type == TREE_SYMLINK) {
        digest_str(d->md, n->link_target);
    } else if (n->type == TREE_CHR || n->type == TREE_BLK) {
        digest_u64(d->md, n->rdev_major);
        digest_u64(d->md, n->rdev_minor);
    }
    digest_u64(d->md, n->nxattrs);
    for (size_t i = 0; i < n->nxattrs; i++) {
        digest_str(d->md, n->xattrs[i].name);
        digest_u64(d->md, n->xattrs[i].len);
        EVP_DigestUpdate(d->md, n->xattrs[i].value, n->xattrs[i].len);
    }
    return 0;
}

int tree_digest(struct tree *t, uint8_t out[32])
{
    tree_sort(t);
    struct digest_walk d = {.t = t, .md = EVP_MD_CTX_new()};
    EVP_DigestInit_ex(d.md, EVP_sha256(), NULL);
    int r = tree_walk(t, digest_node, &d);
    for (size_t i = 0; i < d.first.cap; i++)
        free(d.first.v[i].name);
    free(d.first.v);
    EVP_DigestFinal_ex(d.md, out, NULL);
    EVP_MD_CTX_free(d.md);
    return r;
}

static void stats_node(const struct tree_node *n, struct tree_stats *s)
{
    if (n->hardlink)
        s->hardlinks++;
    else
        switch (n->type) {
        case TREE_REG: s->files++; s->content_bytes += n->size; break;
        case TREE_DIR: s->dirs++; break;
        case TREE_SYMLINK: s->symlinks++; break;
        default: s->specials++; break;
        }
    for (size_t i = 0; i < n->nxattrs; i++)
        s->xattr_bytes += strlen(n->xattrs[i].name) + n->xattrs[i].len;
    for (size_t i = 0; i < n->nchildren; i++)
        stats_node(n->children[i], s);
}

void tree_get_stats(struct tree *t, struct tree_stats *s)
{
    memset(s, 0, sizeof(*s));
    stats_node(&t->root->pub, s);
}
