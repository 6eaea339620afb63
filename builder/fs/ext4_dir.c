/* Directory blocks, linear or hash-indexed (see ext4_dir.h). The on-disk
 * structures are written byte by byte, little-endian, as the kernel's
 * fs/ext4/namei.c reads them: a root block holding "." and ".." (the
 * latter's record reaching past the index), dx_root_info and the index;
 * index blocks behind an empty record; leaves of ordinary entries. */
#include "builder/fs/ext4_dir.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <string.h>

#define BS EXT4_DIR_BLOCK
#define ROOT_INDEX 32                 /* "." (12) + ".." (12) + dx_root_info (8) */
#define NODE_INDEX 8                  /* an empty record */
#define ROOT_LIMIT ((BS - ROOT_INDEX) / 8)   /* 508 index entries */
#define NODE_LIMIT ((BS - NODE_INDEX) / 8)   /* 511 */
#define HASH_COLLISION 1u             /* the leaf continues its left neighbour's hash */

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t rec_len(size_t name_len)
{
    return ALIGN_UP(8 + name_len, 4);
}

static void put_dirent(uint8_t *at, uint32_t ino, const char *name, size_t len, uint8_t ftype, size_t rec)
{
    put_le32(at, ino);
    put_le16(at + 4, (uint16_t)rec);
    at[6] = (uint8_t)len;
    at[7] = ftype;
    memcpy(at + 8, name, len);
}

/* Entries packed into consecutive blocks in order; the last entry of a
 * block reaches to its end. */
struct packer {
    uint8_t *buf;
    uint64_t nblocks, cap;
    size_t off;                   /* in the current block */
    size_t last;                  /* offset of the current block's last entry */
};

static uint8_t *block_at(struct packer *p, uint64_t i)
{
    return p->buf + i * BS;
}

static void close_block(struct packer *p)
{
    if (p->nblocks)
        put_le16(block_at(p, p->nblocks - 1) + p->last + 4, (uint16_t)(BS - p->last));
}

/* Returns true when the entry starts a new block. */
static bool pack(struct packer *p, uint32_t ino, const char *name, uint8_t ftype)
{
    size_t len = strlen(name), rec = rec_len(len);
    bool fresh = !p->nblocks || p->off + rec > BS;
    if (fresh) {
        close_block(p);
        if (p->nblocks == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 4;
            p->buf = xrealloc(p->buf, p->cap * BS);
        }
        memset(block_at(p, p->nblocks), 0, BS);
        p->nblocks++;
        p->off = 0;
    }
    put_dirent(block_at(p, p->nblocks - 1) + p->off, ino, name, len, ftype, rec);
    p->last = p->off;
    p->off += rec;
    return fresh;
}

/* ------------------------------------------------------------- htree --- */

struct hashed {
    uint32_t hash, minor;
    const struct ext4_dirent *e;
};

static int cmp_hashed(const void *a, const void *b)
{
    const struct hashed *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    if (x->minor != y->minor)
        return x->minor < y->minor ? -1 : 1;
    return strcmp(x->e->name, y->e->name);
}

/* An index block's entries: count/limit in the first, whose hash is
 * implied (0); then hash/block pairs. */
static void put_index(uint8_t *at, uint16_t limit, const uint32_t *hash, const uint32_t *block, size_t count)
{
    put_le16(at, limit);
    put_le16(at + 2, (uint16_t)count);
    put_le32(at + 4, block[0]);
    for (size_t i = 1; i < count; i++) {
        put_le32(at + 8 * i, hash[i]);
        put_le32(at + 8 * i + 4, block[i]);
    }
}

static int build_htree(const struct ext4_dirent *v, size_t n, uint32_t ino, uint32_t parent,
                       const uint8_t hash_seed[16], const char *name, struct ext4_dir *out)
{
    uint32_t seed[4];
    for (int i = 0; i < 4; i++)
        seed[i] = (uint32_t)hash_seed[4 * i] | (uint32_t)hash_seed[4 * i + 1] << 8 |
                  (uint32_t)hash_seed[4 * i + 2] << 16 | (uint32_t)hash_seed[4 * i + 3] << 24;
    struct hashed *h = xmalloc(n * sizeof(*h));
    for (size_t i = 0; i < n; i++) {
        ext2_dirhash_t hash, minor;
        ext2fs_dirhash2(EXT2_HASH_HALF_MD4, v[i].name, (int)strlen(v[i].name), NULL, 0, seed, &hash, &minor);
        h[i] = (struct hashed){hash, minor, &v[i]};
    }
    qsort(h, n, sizeof(*h), cmp_hashed);

    /* leaves, and the hash each starts at */
    struct packer leaves = {0};
    uint32_t *start = xmalloc((n + 1) * sizeof(*start));
    for (size_t i = 0; i < n; i++)
        if (pack(&leaves, h[i].e->ino, h[i].e->name, h[i].e->ftype))
            start[leaves.nblocks - 1] = h[i].hash | (i && h[i - 1].hash == h[i].hash ? HASH_COLLISION : 0);
    close_block(&leaves);
    free(h);
    uint64_t nleaves = leaves.nblocks;
    uint64_t nodes = nleaves > ROOT_LIMIT ? (nleaves + NODE_LIMIT - 1) / NODE_LIMIT : 0;
    if (nodes > ROOT_LIMIT) {
        free(start);
        free(leaves.buf);
        return err_set(-EFBIG, "%s: %zu entries are more than a directory with two index levels holds", name, n);
    }

    /* block 0: the root; then the index blocks (if any); then the leaves */
    out->nblocks = 1 + nodes + nleaves;
    out->blocks = xcalloc(out->nblocks, BS);
    out->indexed = true;
    uint8_t *root = out->blocks;
    put_dirent(root, ino, ".", 1, EXT2_FT_DIR, 12);
    put_dirent(root + 12, parent, "..", 2, EXT2_FT_DIR, BS - 12);
    root[24 + 4] = EXT2_HASH_HALF_MD4;   /* dx_root_info: reserved_zero, hash_version, */
    root[24 + 5] = 8;                    /* info_length, indirect_levels, unused_flags */
    root[24 + 6] = nodes ? 1 : 0;
    uint32_t *block = xmalloc(MAX(nleaves, 1) * sizeof(*block));
    for (uint64_t i = 0; i < nleaves; i++)
        block[i] = (uint32_t)(1 + nodes + i);
    memcpy(out->blocks + (1 + nodes) * BS, leaves.buf, nleaves * BS);
    free(leaves.buf);
    if (!nodes) {
        put_index(root + ROOT_INDEX, ROOT_LIMIT, start, block, nleaves);
    } else {
        uint32_t node_hash[ROOT_LIMIT], node_block[ROOT_LIMIT];
        for (uint64_t k = 0; k < nodes; k++) {
            uint64_t first = k * NODE_LIMIT, count = MIN((uint64_t)NODE_LIMIT, nleaves - first);
            uint8_t *node = out->blocks + (1 + k) * BS;
            put_le16(node + 4, BS);      /* an empty record over the whole block */
            put_index(node + NODE_INDEX, NODE_LIMIT, start + first, block + first, count);
            node_hash[k] = start[first];
            node_block[k] = (uint32_t)(1 + k);
        }
        put_index(root + ROOT_INDEX, ROOT_LIMIT, node_hash, node_block, nodes);
    }
    free(block);
    free(start);
    return 0;
}

/* ------------------------------------------------------------------------ */

int ext4_dir_build(const struct ext4_dirent *v, size_t n, uint32_t ino, uint32_t parent,
                   const uint8_t hash_seed[16], const char *name, struct ext4_dir *out)
{
    struct packer lin = {0};
    pack(&lin, ino, ".", EXT2_FT_DIR);
    pack(&lin, parent, "..", EXT2_FT_DIR);
    for (size_t i = 0; i < n && lin.nblocks == 1; i++)
        pack(&lin, v[i].ino, v[i].name, v[i].ftype);
    close_block(&lin);
    if (lin.nblocks == 1) {
        *out = (struct ext4_dir){.blocks = lin.buf, .nblocks = 1};
        return 0;
    }
    free(lin.buf);
    return build_htree(v, n, ino, parent, hash_seed, name, out);
}

void ext4_dir_free(struct ext4_dir *d)
{
    free(d->blocks);
    d->blocks = NULL;
    d->nblocks = 0;
}
