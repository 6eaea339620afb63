/* The tree as an ext4 image, through libext2fs (see ext4.h).
 *
 * Two walks over the sorted tree: the first gives every inode its number
 * (pre-order, a hard link's inode numbered where its first name appears)
 * and counts links; the second writes each directory's blocks, then its
 * children's inodes and data, taking blocks in order from a cursor. File
 * data goes to the image in runs (one pwrite per run of non-zero blocks,
 * not per block) and extents are inserted whole.
 *
 * libext2fs 1.47.0 reads the clock in a few places (ext2fs_initialize,
 * ext2fs_flush, ext2fs_write_new_inode, the journal inode) unless fs->now
 * is set; every one is overridden here, including epoch 0, which fs->now
 * cannot express. */
#include "builder/fs/ext4.h"
#include "builder/fs/ext4_dir.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <et/com_err.h>
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#define BS EXT4_BLOCK_SIZE
#define CHUNK_BLOCKS 256                     /* 1 MiB per read and write */
#define FAST_SYMLINK_MAX 59                  /* targets up to this live in i_block */
#define LOST_FOUND_INO 11
#define MIB_BLOCKS (1048576 / BS)
#define LINK_MAX_FILE 65000
#define LINK_MAX_DIR 65000                   /* past that, dir_nlink: the count reads 1 */
#define INODE_SIZE 256
#define WRITEBACK_STEP (64ull << 20)
#define INODE_XATTR_SPACE (INODE_SIZE - EXT2_GOOD_OLD_INODE_SIZE - 32 - 4)

struct writer {
    struct tree *t;
    const struct ext4_opts *o;
    const char *image;
    ext2_filsys fs;
    uint32_t *nlink;           /* by inode number */
    uint8_t *written;          /* by inode number: inode already written */
    uint32_t next_ino, cap;
    bool lost_found_in_tree;
    blk64_t goal;              /* allocation cursor */
    uint8_t *buf;              /* CHUNK_BLOCKS blocks */
    struct ext2fs_extent *ext; /* extents of the inode being written */
    size_t next, cap_ext;
    uint64_t done, total;      /* progress, bytes of content */
    int writeback_fd;          /* the image, to start writeback early */
    uint64_t writeback_from;   /* bytes below this were handed to writeback */
};

static int fs_error(errcode_t e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fs_error(errcode_t e, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    initialize_ext2_error_table();   /* else error_message() says "Unknown code ext2 37" */
    return err_set(-EIO, "%s: %s", what, error_message(e));
}

static int no_space(struct writer *w)
{
    return err_set(-ENOSPC, "%s: the tree does not fit in %llu bytes (--size)", w->image,
                   (unsigned long long)ext2fs_blocks_count(w->fs->super) * BS);
}

/* ------------------------------------------------------------ planning --- */

static uint32_t *link_slot(struct writer *w, uint32_t ino)
{
    if (ino >= w->cap) {
        uint32_t cap = MAX(ino + 1, w->cap * 2);
        w->nlink = xrealloc(w->nlink, cap * sizeof(*w->nlink));
        memset(w->nlink + w->cap, 0, (cap - w->cap) * sizeof(*w->nlink));
        w->cap = cap;
    }
    return &w->nlink[ino];
}

static bool is_lost_found(const struct tree_node *n)
{
    return n->parent && !n->parent->parent && !strcmp(n->name, "lost+found");
}

static int plan_node(struct tree_node *n, const char *path, void *ctx)
{
    struct writer *w = ctx;
    struct tree_node *p = n->hardlink ? n->hardlink : n;
    if (!n->parent) {
        n->ino = EXT2_ROOT_INO;
        *link_slot(w, n->ino) = 2;
        return 0;
    }
    if (is_lost_found(n)) {
        if (n->type != TREE_DIR || n->hardlink)
            return err_set(-EINVAL, "%s: /lost+found must be a directory (e2fsck and the kernel use it)", n->origin);
        n->ino = LOST_FOUND_INO;
        w->lost_found_in_tree = true;
    } else {
        if (!p->ino) {
            if (w->next_ino == UINT32_MAX)
                return err_set(-EFBIG, "%s: too many inodes", path);
            p->ino = w->next_ino++;
        }
        n->ino = p->ino;
    }
    uint32_t *links = link_slot(w, n->ino);
    if (n->type == TREE_DIR) {
        *links = 2;
        uint32_t *up = link_slot(w, n->parent->ino);
        if (*up <= LINK_MAX_DIR)
            (*up)++;
    } else if (++*links > LINK_MAX_FILE) {
        return err_set(-EMLINK, "%s: %s: one file with more than %d names (hard links), ext4's limit", n->origin,
                       path, LINK_MAX_FILE);
    }
    return 0;
}

static int clear_ino(struct tree_node *n, const char *path, void *ctx)
{
    n->ino = 0;
    return 0;
}

static int plan(struct writer *w)
{
    tree_sort(w->t);
    tree_walk(w->t, clear_ino, NULL);
    w->next_ino = LOST_FOUND_INO + 1;
    link_slot(w, LOST_FOUND_INO);
    int r = tree_walk(w->t, plan_node, w);
    if (r < 0)
        return r;
    if (!w->lost_found_in_tree) {
        w->nlink[LOST_FOUND_INO] = 2;
        w->nlink[EXT2_ROOT_INO]++;
    }
    return 0;
}

/* ---------------------------------------------- directories and sizing --- */

static uint8_t ftype_of(const struct tree_node *n)
{
    switch ((n->hardlink ? n->hardlink : n)->type) {
    case TREE_REG: return EXT2_FT_REG_FILE;
    case TREE_DIR: return EXT2_FT_DIR;
    case TREE_SYMLINK: return EXT2_FT_SYMLINK;
    case TREE_CHR: return EXT2_FT_CHRDEV;
    case TREE_BLK: return EXT2_FT_BLKDEV;
    case TREE_FIFO: return EXT2_FT_FIFO;
    case TREE_SOCK: return EXT2_FT_SOCK;
    }
    return EXT2_FT_UNKNOWN;
}

/* A directory's blocks (ext4_dir.h): its children, with a made-up
 * lost+found in its sorted place in the root. */
static int dir_build(const struct writer *w, const struct tree_node *n, const char *path, struct ext4_dir *d)
{
    bool add_lf = !n->parent && !w->lost_found_in_tree;
    size_t k = 0;
    struct ext4_dirent *v = xmalloc((n->nchildren + add_lf + 1) * sizeof(*v));
    for (size_t i = 0; i < n->nchildren; i++) {
        const struct tree_node *c = n->children[i];
        if (add_lf && strcmp(c->name, "lost+found") > 0) {
            v[k++] = (struct ext4_dirent){"lost+found", LOST_FOUND_INO, EXT2_FT_DIR};
            add_lf = false;
        }
        v[k++] = (struct ext4_dirent){c->name, c->ino, ftype_of(c)};
    }
    if (add_lf)
        v[k++] = (struct ext4_dirent){"lost+found", LOST_FOUND_INO, EXT2_FT_DIR};
    int r = ext4_dir_build(v, k, n->ino, n->parent ? n->parent->ino : n->ino, w->o->hash_seed, path, d);
    free(v);
    return r;
}

/* Extent tree blocks for a file of `blocks` data blocks in `runs` runs:
 * four extents fit in the inode, 340 in a leaf block. Runs split at the
 * 32768-block extent limit and at group metadata, counted generously. */
static uint64_t extent_blocks(uint64_t blocks, uint64_t runs)
{
    uint64_t extents = runs + 2 * (blocks / EXT_INIT_MAX_LEN + 1);
    if (extents <= 4)
        return 0;
    uint64_t leaves = (extents + 339) / 340;
    return leaves + (leaves > 4 ? (leaves + 339) / 340 : 0);
}

static uint64_t xattr_blocks(const struct tree_node *p)
{
    size_t in_inode = 0;
    for (size_t i = 0; i < p->nxattrs; i++) {
        const char *dot = strchr(p->xattrs[i].name, '.');
        size_t name = dot ? strlen(dot + 1) : strlen(p->xattrs[i].name);
        in_inode += 16 + ALIGN_UP(name, 4) + ALIGN_UP(p->xattrs[i].len, 4);
    }
    return in_inode > INODE_XATTR_SPACE ? 1 : 0;
}

struct size_count {
    struct writer *w;
    uint64_t blocks;
};

static int count_node(struct tree_node *n, const char *path, void *ctx)
{
    struct size_count *c = ctx;
    if (n->hardlink)
        return 0;   /* the inode is counted at its primary name */
    c->blocks += xattr_blocks(n);
    switch (n->type) {
    case TREE_REG: {
        uint64_t blocks, runs;
        int r = tree_file_data_blocks(c->w->t, n, &blocks, &runs);
        if (r < 0)
            return r;
        c->blocks += blocks + extent_blocks(blocks, runs);
        break;
    }
    case TREE_DIR: {
        struct ext4_dir d;
        int r = dir_build(c->w, n, path, &d);
        if (r < 0)
            return r;
        c->blocks += d.nblocks;
        ext4_dir_free(&d);
        break;
    }
    case TREE_SYMLINK:
        c->blocks += strlen(n->link_target) > FAST_SYMLINK_MAX;
        break;
    default:
        break;
    }
    return 0;
}

/* --------------------------------------------------- creating the fs --- */

static errcode_t fs_create(const char *path, uint64_t offset, blk64_t blocks, uint32_t inodes, ext2_filsys *fs)
{
    struct ext2_super_block param;
    memset(&param, 0, sizeof(param));
    ext2fs_blocks_count_set(&param, blocks);
    param.s_log_block_size = 2;   /* 4096 */
    param.s_rev_level = EXT2_DYNAMIC_REV;
    param.s_inode_size = INODE_SIZE;
    param.s_inodes_count = inodes;
    param.s_log_groups_per_flex = 4;
    /* ext4 as a Debian 6.1 or Kata guest kernel mounts it: no metadata_csum
     * (which would need crc32c in the guest; dm-verity covers integrity),
     * no orphan_file or other 5.15+ features, no resize inode (read-only). */
    param.s_feature_compat = EXT2_FEATURE_COMPAT_EXT_ATTR | EXT2_FEATURE_COMPAT_DIR_INDEX;
    param.s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_EXTENTS |
                               EXT4_FEATURE_INCOMPAT_FLEX_BG;
    param.s_feature_ro_compat = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
                                EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
                                EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE;
    errcode_t e = ext2fs_initialize(path, EXT2_FLAG_64BITS, &param, unix_io_manager, fs);
    if (e)
        return e;
    /* as mke2fs -E offset= does: ext2fs_initialize has written nothing yet */
    char opt[64];
    snprintf(opt, sizeof(opt), "offset=%llu", (unsigned long long)offset);
    e = offset ? io_channel_set_options((*fs)->io, opt) : 0;
    if (!e)
        e = ext2fs_allocate_tables(*fs);
    if (e) {
        ext2fs_free(*fs);
        *fs = NULL;
    }
    return e;
}

/* libext2fs's default journal size; -1 below JOURNAL_MIN_FS_BLOCKS. */
#define JOURNAL_MIN_FS_BLOCKS 2048
static int journal_blocks(blk64_t blocks)
{
    int j = ext2fs_default_journal_size(blocks);
    return j < 0 ? -1 : j;
}

static int create_sized(struct writer *w, const char *path, uint64_t size, uint32_t inodes)
{
    blk64_t blocks = size / BS;
    errcode_t e = fs_create(path, w->o->offset, blocks, MAX(inodes, (uint32_t)MIN(blocks / 4, UINT32_MAX / 2)), &w->fs);
    if (e)
        return fs_error(e, "%s: cannot make a %llu-byte filesystem (--size)", w->image, (unsigned long long)size);
    if (w->o->journal && journal_blocks(blocks) < 0)
        return err_set(-ENOSPC, "%s: %llu bytes are too small for a journal", w->image, (unsigned long long)size);
    return 0;
}

/* The smallest whole number of MiB whose free space, after the
 * filesystem's own metadata, holds the tree plus the headroom (and the
 * journal). Free blocks never exceed the size less the inode tables, so
 * the search starts there and grows by what is missing: a larger
 * filesystem gains at most one free block per block, so no step passes
 * the smallest size that fits. Too small for its inode tables, it grows
 * by a MiB. */
static int create_auto(struct writer *w, const char *path, uint32_t inodes)
{
    struct size_count c = {.w = w};
    int r = tree_walk(w->t, count_node, &c);
    if (r < 0)
        return r;
    uint64_t need = c.blocks + (w->lost_found_in_tree ? 0 : 1);
    uint64_t want = need + need / 100 + MIB_BLOCKS;
    uint64_t total = ALIGN_UP(want + ALIGN_UP((uint64_t)inodes * INODE_SIZE, BS) / BS, MIB_BLOCKS);
    if (w->o->journal)
        total = MAX(total, ALIGN_UP(JOURNAL_MIN_FS_BLOCKS, MIB_BLOCKS));
    for (int tries = 0; tries < 1024; tries++) {
        errcode_t e = fs_create(path, w->o->offset, total, inodes, &w->fs);
        if (e == EXT2_ET_TOO_MANY_INODES) {
            total += MIB_BLOCKS;
            continue;
        }
        if (e)
            return fs_error(e, "%s: cannot make a filesystem of %llu blocks", w->image, (unsigned long long)total);
        uint64_t wanted = want + (w->o->journal ? (uint64_t)journal_blocks(total) : 0);
        uint64_t free_blocks = ext2fs_free_blocks_count(w->fs->super);
        if (free_blocks >= wanted)
            return 0;
        ext2fs_free(w->fs);
        w->fs = NULL;
        total = ALIGN_UP(total + (wanted - free_blocks), MIB_BLOCKS);
    }
    return err_set(-EIO, "%s: cannot settle the filesystem size", w->image);
}

static void set_times(struct ext2_inode_large *in, int64_t epoch)
{
    uint32_t lo = (uint32_t)epoch;
    /* seconds = (int32) i_time + (epoch bits << 32) */
    uint32_t extra = (uint32_t)(((epoch - (int64_t)(int32_t)lo) >> 32) & EXT4_EPOCH_MASK);
    in->i_atime = in->i_ctime = in->i_mtime = in->i_crtime = lo;
    in->i_atime_extra = in->i_ctime_extra = in->i_mtime_extra = in->i_crtime_extra = extra;
}

static void setup_super(struct writer *w)
{
    struct ext2_super_block *sb = w->fs->super;
    memcpy(sb->s_uuid, w->o->uuid, 16);
    memcpy(sb->s_hash_seed, w->o->hash_seed, 16);
    sb->s_def_hash_version = EXT2_HASH_HALF_MD4;
    sb->s_flags |= EXT2_FLAGS_SIGNED_HASH;   /* as mke2fs on x86, stated rather than guessed */
    sb->s_mkfs_time = sb->s_lastcheck = (uint32_t)w->o->epoch;
    sb->s_max_mnt_count = -1;
    sb->s_checkinterval = 0;
    sb->s_creator_os = EXT2_OS_LINUX;
    sb->s_default_mount_opts = EXT2_DEFM_XATTR_USER | EXT2_DEFM_ACL;
    w->fs->now = w->o->epoch;
    /* inodes 1..10 are reserved; 2 is the root */
    for (ext2_ino_t i = 1; i < EXT2_FIRST_INO(sb); i++)
        ext2fs_inode_alloc_stats2(w->fs, i, +1, i == EXT2_ROOT_INO);
}

/* ------------------------------------------------------ blocks, inodes --- */

/* Data starts after the first flex group's inode tables, so that files do
 * not fill the slots flex_bg keeps for groups a small image lacks (the
 * allocator comes back to them only when the rest is full). */
static blk64_t first_data_block(ext2_filsys fs)
{
    blk64_t end = 0;
    for (dgrp_t g = 0; g < fs->group_desc_count && g < (1u << fs->super->s_log_groups_per_flex); g++)
        end = MAX(end, ext2fs_inode_table_loc(fs, g) + fs->inode_blocks_per_group);
    return end;
}

static void extent_append(struct writer *w, blk64_t lblk, blk64_t pblk, blk64_t len)
{
    while (len) {
        struct ext2fs_extent *last = w->next ? &w->ext[w->next - 1] : NULL;
        blk64_t take;
        if (last && last->e_lblk + last->e_len == lblk && last->e_pblk + last->e_len == pblk &&
            last->e_len < EXT_INIT_MAX_LEN) {
            take = MIN(len, EXT_INIT_MAX_LEN - last->e_len);
            last->e_len += (uint32_t)take;
        } else {
            if (w->next == w->cap_ext) {
                w->cap_ext = w->cap_ext ? w->cap_ext * 2 : 16;
                w->ext = xrealloc(w->ext, w->cap_ext * sizeof(*w->ext));
            }
            take = MIN(len, EXT_INIT_MAX_LEN);
            w->ext[w->next++] = (struct ext2fs_extent){.e_pblk = pblk, .e_lblk = lblk, .e_len = (uint32_t)take};
        }
        lblk += take;
        pblk += take;
        len -= take;
    }
}

/* Take up to n blocks at the cursor for logical blocks from lblk. */
static int alloc_run(struct writer *w, blk64_t lblk, blk64_t n, blk64_t *pblk, blk64_t *got)
{
    if (lblk + n > (1ull << 32))
        return err_set(-EFBIG, "%s: a file is larger than ext4 allows", w->image);
    if (ext2fs_new_range(w->fs, 0, w->goal, n, NULL, pblk, got))
        return no_space(w);
    *got = MIN(*got, n);
    ext2fs_block_alloc_stats_range(w->fs, *pblk, *got, +1);
    w->goal = *pblk + *got;
    extent_append(w, lblk, *pblk, *got);
    return 0;
}

/* Start writing the image back to disk while it is still being built (the
 * data goes out in cursor order), so that the caller's final fsync does
 * not wait for all of it. Best effort: nothing depends on it but time. */
static void start_writeback(struct writer *w, bool all)
{
    uint64_t upto = w->o->offset + w->goal * BS;
    if (w->writeback_fd < 0 || (!all && upto < w->writeback_from + WRITEBACK_STEP))
        return;
    if (all)
        sync_file_range(w->writeback_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    else if (upto > w->writeback_from)
        sync_file_range(w->writeback_fd, (off_t)w->writeback_from, (off_t)(upto - w->writeback_from),
                        SYNC_FILE_RANGE_WRITE);
    w->writeback_from = MAX(w->writeback_from, upto);
}

/* Allocate and write n blocks of data for logical blocks from lblk. */
static int write_run(struct writer *w, blk64_t lblk, const uint8_t *data, blk64_t n)
{
    while (n) {
        blk64_t pblk, got;
        int r = alloc_run(w, lblk, n, &pblk, &got);
        if (r < 0)
            return r;
        errcode_t e = io_channel_write_blk64(w->fs->io, pblk, (int)got, data);
        if (e)
            return fs_error(e, "%s: write failed", w->image);
        data += got * BS;
        lblk += got;
        n -= got;
    }
    return 0;
}

static void inode_init(struct writer *w, struct ext2_inode_large *in, const struct tree_node *p, uint16_t fmt)
{
    memset(in, 0, sizeof(*in));
    in->i_mode = (uint16_t)(fmt | (p->mode & 07777));
    in->i_uid = (uint16_t)p->uid;
    ext2fs_set_i_uid_high(*in, p->uid >> 16);
    in->i_gid = (uint16_t)p->gid;
    ext2fs_set_i_gid_high(*in, p->gid >> 16);
    in->i_extra_isize = w->fs->super->s_want_extra_isize;
    set_times(in, w->o->epoch);
    uint32_t links = w->nlink[p->ino];
    in->i_links_count = (uint16_t)(links > LINK_MAX_DIR ? 1 : links);
}

static int inode_store(struct writer *w, ext2_ino_t ino, struct ext2_inode_large *in, const char *path)
{
    errcode_t e = ext2fs_write_inode_full(w->fs, ino, (struct ext2_inode *)in, sizeof(*in));
    return e ? fs_error(e, "%s: %s: cannot write the inode", w->image, path) : 0;
}

/* Map the extents collected for this inode, then store it. */
static int inode_store_extents(struct writer *w, ext2_ino_t ino, struct ext2_inode_large *in, blk64_t blocks,
                               const char *path)
{
    struct ext2_inode *base = (struct ext2_inode *)in;
    ext2_extent_handle_t h;
    errcode_t e = ext2fs_iblk_add_blocks(w->fs, base, blocks);
    if (!e)
        e = ext2fs_extent_open2(w->fs, ino, base, &h);
    if (e)
        return fs_error(e, "%s: %s: cannot map the blocks", w->image, path);
    for (size_t i = 0; i < w->next && !e; i++) {
        struct ext2fs_extent last;
        if (i)
            e = ext2fs_extent_get(h, EXT2_EXTENT_LAST_LEAF, &last);
        if (!e)
            e = ext2fs_extent_insert(h, i ? EXT2_EXTENT_INSERT_AFTER : 0, &w->ext[i]);
    }
    ext2fs_extent_free(h);
    w->next = 0;
    if (e)
        return e == EXT2_ET_BLOCK_ALLOC_FAIL ? no_space(w) : fs_error(e, "%s: %s: cannot map the blocks", w->image, path);
    return inode_store(w, ino, in, path);
}

static int write_xattrs(struct writer *w, ext2_ino_t ino, const struct tree_node *p, const char *path)
{
    if (!p->nxattrs)
        return 0;
    struct ext2_xattr_handle *h = NULL;
    errcode_t e = ext2fs_xattrs_open(w->fs, ino, &h);
    if (!e)
        e = ext2fs_xattrs_read(h);
    for (size_t i = 0; i < p->nxattrs && !e; i++)
        e = ext2fs_xattr_set(h, p->xattrs[i].name, p->xattrs[i].value, p->xattrs[i].len);
    errcode_t ce = h ? ext2fs_xattrs_close(&h) : 0;
    if (!e)
        e = ce;
    if (e == EXT2_ET_EA_NO_SPACE)
        return err_set(-E2BIG, "%s: %s: extended attributes do not fit in the inode and one 4 KiB block", p->origin,
                       path);
    if (e == EXT2_ET_BLOCK_ALLOC_FAIL)
        return no_space(w);
    return e ? fs_error(e, "%s: %s: cannot write extended attributes", w->image, path) : 0;
}

/* -------------------------------------------------------------- content --- */

static bool block_is_zero(const uint8_t *p)
{
    return p[0] == 0 && !memcmp(p, p + 1, BS - 1);
}

/* Fill buf from the reader: up to CHUNK_BLOCKS blocks, zero-padded to a
 * whole block. Returns bytes read, 0 at the end, or an error. */
static ssize_t read_chunk(struct tree_reader *r, uint8_t *buf)
{
    size_t len = 0;
    while (len < CHUNK_BLOCKS * BS) {
        ssize_t got = tree_reader_read(r, buf + len, CHUNK_BLOCKS * BS - len);
        if (got < 0)
            return got;
        if (got == 0)
            break;
        len += (size_t)got;
    }
    memset(buf + len, 0, ALIGN_UP(len, BS) - len);
    return (ssize_t)len;
}

static int write_file(struct writer *w, struct tree_node *p, ext2_ino_t ino, const char *path)
{
    struct ext2_inode_large in;
    inode_init(w, &in, p, LINUX_S_IFREG);
    blk64_t lblk = 0, stored = 0;
    if (p->size) {
        struct tree_reader *r;
        int rc = tree_reader_open(w->t, p, &r);
        if (rc < 0)
            return rc;
        ssize_t len;
        for (;;) {
            uint64_t hole = tree_reader_skip_hole(r);
            lblk += hole / BS;
            w->done += hole;
            if ((len = read_chunk(r, w->buf)) <= 0)
                break;
            blk64_t nb = ALIGN_UP((uint64_t)len, BS) / BS;
            for (blk64_t i = 0; i < nb && rc == 0;) {
                if (block_is_zero(w->buf + i * BS)) {
                    i++;
                    continue;
                }
                blk64_t j = i + 1;
                while (j < nb && !block_is_zero(w->buf + j * BS))
                    j++;
                rc = write_run(w, lblk + i, w->buf + i * BS, j - i);
                stored += j - i;
                i = j;
            }
            lblk += nb;
            start_writeback(w, false);
            w->done += (uint64_t)len;
            log_progress("writing ext4", w->done, w->total);
            if (rc < 0)
                break;
        }
        tree_reader_close(r);
        if (rc < 0)
            return rc;
        if (len < 0)
            return (int)len;
    }
    ext2fs_inode_size_set(w->fs, (struct ext2_inode *)&in, p->size);
    return inode_store_extents(w, ino, &in, stored, path);
}

static int write_symlink(struct writer *w, struct tree_node *p, ext2_ino_t ino, const char *path)
{
    struct ext2_inode_large in;
    inode_init(w, &in, p, LINUX_S_IFLNK);
    size_t len = strlen(p->link_target);
    in.i_size = (uint32_t)len;
    if (len <= FAST_SYMLINK_MAX) {
        memcpy(in.i_block, p->link_target, len);
        return inode_store(w, ino, &in, path);
    }
    memset(w->buf, 0, BS);
    memcpy(w->buf, p->link_target, len);
    int r = write_run(w, 0, w->buf, 1);
    return r < 0 ? r : inode_store_extents(w, ino, &in, 1, path);
}

static int write_special(struct writer *w, struct tree_node *p, ext2_ino_t ino, const char *path)
{
    static const uint16_t fmt[] = {[TREE_CHR] = LINUX_S_IFCHR, [TREE_BLK] = LINUX_S_IFBLK,
                                   [TREE_FIFO] = LINUX_S_IFIFO, [TREE_SOCK] = LINUX_S_IFSOCK};
    struct ext2_inode_large in;
    inode_init(w, &in, p, fmt[p->type]);
    uint32_t major = p->rdev_major, minor = p->rdev_minor;
    /* the kernel's old (8:8) and new (12:20) device number encodings */
    if (major < 256 && minor < 256)
        in.i_block[0] = major << 8 | minor;
    else
        in.i_block[1] = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
    return inode_store(w, ino, &in, path);
}

static int write_dir(struct writer *w, struct tree_node *n, ext2_ino_t ino, const char *path)
{
    struct ext4_dir d;
    int r = dir_build(w, n, path, &d);
    if (r == 0)
        r = write_run(w, 0, d.blocks, d.nblocks);
    if (r == 0) {
        struct ext2_inode_large in;
        inode_init(w, &in, n, LINUX_S_IFDIR);
        if (d.indexed)
            in.i_flags |= EXT2_INDEX_FL;
        ext2fs_inode_size_set(w->fs, (struct ext2_inode *)&in, d.nblocks * BS);
        r = inode_store_extents(w, ino, &in, d.nblocks, path);
    }
    ext4_dir_free(&d);
    return r;
}

static int write_lost_found(struct writer *w)
{
    struct tree_node lf = {.name = "lost+found", .type = TREE_DIR, .mode = 0700, .ino = LOST_FOUND_INO,
                           .parent = tree_root(w->t), .origin = "(lost+found)"};
    ext2fs_inode_alloc_stats2(w->fs, LOST_FOUND_INO, +1, 1);
    return write_dir(w, &lf, LOST_FOUND_INO, "/lost+found");
}

static int write_node(struct tree_node *n, const char *path, void *ctx)
{
    struct writer *w = ctx;
    struct tree_node *p = n->hardlink ? n->hardlink : n;
    ext2_ino_t ino = n->ino;
    if (w->written[ino / 8] & (1u << (ino % 8)))
        return 0;
    w->written[ino / 8] |= (uint8_t)(1u << (ino % 8));
    if (ino != EXT2_ROOT_INO)
        ext2fs_inode_alloc_stats2(w->fs, ino, +1, p->type == TREE_DIR);
    int r;
    switch (p->type) {
    case TREE_DIR: r = write_dir(w, p, ino, path); break;
    case TREE_REG: r = write_file(w, p, ino, path); break;
    case TREE_SYMLINK: r = write_symlink(w, p, ino, path); break;
    default: r = write_special(w, p, ino, path); break;
    }
    if (r == 0)
        r = write_xattrs(w, ino, p, path);
    /* the made-up lost+found comes right after the root, as if it were first */
    if (r == 0 && !n->parent && !w->lost_found_in_tree)
        r = write_lost_found(w);
    return r;
}

static int add_journal(struct writer *w)
{
    struct ext2fs_journal_params jp;
    errcode_t e = ext2fs_get_journal_params(&jp, w->fs);
    if (!e)
        e = ext2fs_add_journal_inode3(w->fs, &jp, ~0ULL, EXT2_MKJOURNAL_LAZYINIT | EXT2_MKJOURNAL_NO_MNT_CHECK);
    if (e)
        return fs_error(e, "%s: cannot add a journal", w->image);
    /* the journal inode's times come from the clock when fs->now is 0 */
    struct ext2_inode_large in;
    e = ext2fs_read_inode_full(w->fs, EXT2_JOURNAL_INO, (struct ext2_inode *)&in, sizeof(in));
    if (e)
        return fs_error(e, "%s: cannot read the journal inode", w->image);
    set_times(&in, w->o->epoch);
    return inode_store(w, EXT2_JOURNAL_INO, &in, "(journal)");
}

/* ext2fs_flush() stamps s_wtime with the clock when fs->now is 0 (epoch 0):
 * put the epoch back into every copy of the superblock. */
static int fix_write_time(struct writer *w, const char *path, const uint64_t *sb_offsets, size_t n)
{
    if (w->o->epoch)
        return 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot reopen", w->image);
    uint8_t zero[4] = {0};
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        off_t sb = (off_t)(w->o->offset + sb_offsets[i]);
        if (pwrite(fd, zero, 4, sb + (off_t)offsetof(struct ext2_super_block, s_wtime)) != 4 ||
            pwrite(fd, zero, 1, sb + (off_t)offsetof(struct ext2_super_block, s_wtime_hi)) != 1)
            r = err_sys(-errno, "%s: write failed", w->image);
    }
    close(fd);
    return r;
}

static int sum_content(struct tree_node *n, const char *path, void *ctx)
{
    if (n->type == TREE_REG && !n->hardlink)
        *(uint64_t *)ctx += n->size;
    return 0;
}

/* The empty filesystem at the image's offset, at the fixed --size or the
 * one the tree needs, with room for its inodes; *bytes its size. */
static int create_fs(struct writer *w, const char *path, uint32_t inodes, uint64_t *bytes)
{
    /* Start from nothing at offset: every block not written reads as zero. */
    if (truncate(path, (off_t)w->o->offset) < 0)
        return err_sys(-errno, "%s: cannot truncate", w->image);
    int r = w->o->size ? create_sized(w, path, w->o->size, inodes) : create_auto(w, path, inodes);
    if (r < 0)
        return r;
    *bytes = ext2fs_blocks_count(w->fs->super) * BS;
    if (truncate(path, (off_t)(w->o->offset + *bytes)) < 0)
        return err_sys(-errno, "%s: cannot size the image", w->image);
    if (inodes > w->fs->super->s_inodes_count)
        return err_set(-ENOSPC, "%s: the tree needs %u inodes, more than %llu bytes provide (--size)", w->image,
                       inodes, (unsigned long long)*bytes);
    return 0;
}

/* The metadata written and the filesystem closed (w->fs NULL after), then
 * every superblock's write time zeroed. */
static int close_fs(struct writer *w, const char *path)
{
    uint64_t sb_offsets[64];
    size_t nsb = 0;
    for (dgrp_t g = 0; g < w->fs->group_desc_count && nsb < ARRAY_SIZE(sb_offsets); g++)
        if (ext2fs_bg_has_super(w->fs, g))
            sb_offsets[nsb++] = g ? ext2fs_group_first_block2(w->fs, g) * BS : SUPERBLOCK_OFFSET;
    /* No fsync here: the caller commits the image (and syncs it) after
     * hashing it, while the kernel writes it back. */
    errcode_t e = ext2fs_close2(w->fs, EXT2_FLAG_FLUSH_NO_SYNC);
    if (e)
        return fs_error(e, "%s: cannot write the filesystem metadata", w->image);
    w->fs = NULL;
    return fix_write_time(w, path, sb_offsets, nsb);
}

int ext4_write(struct tree *t, const char *path, const struct ext4_opts *o, uint64_t *size)
{
    if (o->epoch < 0 || o->epoch > EXT4_EPOCH_MAX)
        return err_set(-ERANGE, "epoch %lld is outside 0..%lld", (long long)o->epoch, (long long)EXT4_EPOCH_MAX);
    if (o->size % BS)
        return err_set(-EINVAL, "--size %llu is not a multiple of %d", (unsigned long long)o->size, BS);
    struct writer w = {.t = t, .o = o, .image = o->name ? o->name : path, .writeback_fd = -1,
                       .writeback_from = o->offset};
    int r = plan(&w);
    if (r < 0)
        goto out;
    uint32_t inodes = w.next_ino - 1;
    uint64_t bytes = 0;
    if ((r = create_fs(&w, path, inodes, &bytes)) < 0)
        goto out;
    setup_super(&w);
    w.goal = first_data_block(w.fs);
    w.writeback_fd = open(path, O_WRONLY | O_CLOEXEC);
    w.buf = xmalloc(CHUNK_BLOCKS * BS);
    w.written = xcalloc(inodes / 8 + 1, 1);
    tree_walk(t, sum_content, &w.total);
    if (o->journal && (r = add_journal(&w)) < 0)
        goto out;
    if ((r = tree_walk(t, write_node, &w)) < 0)
        goto out;
    if ((r = close_fs(&w, path)) < 0)
        goto out;
    start_writeback(&w, true);
    *size = bytes;
out:
    if (w.writeback_fd >= 0)
        close(w.writeback_fd);
    if (w.fs)
        ext2fs_free(w.fs);
    free(w.nlink);
    free(w.written);
    free(w.buf);
    free(w.ext);
    return r;
}
