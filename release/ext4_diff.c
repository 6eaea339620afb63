/* Two ext4 filesystems compared inode by inode (release/ext4_diff.h). */
#include "release/ext4_diff.h"
#include "builder/fs/disk.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One filesystem and what was read of it. */
struct side {
    const char *name;          /* the image, for messages */
    ext2_filsys fs;
    ext2fs_inode_bitmap dirs;  /* directories walked (one reached twice: an error) */
    struct entry {
        char *path;
        ext2_ino_t ino;
    } *v;
    size_t n;
    uint64_t blocks_left;      /* data blocks it may still map (cross-linked files are bounded) */
};

static int fs_error(const struct side *s, errcode_t e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fs_error(const struct side *s, errcode_t e, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    initialize_ext2_error_table();
    return err_set(-EBADMSG, "%s: %s: %s", s->name, what, error_message(e));
}

static int open_side(struct side *s, const char *name, uint64_t off)
{
    char opt[64];
    snprintf(opt, sizeof(opt), "offset=%llu", (unsigned long long)off);
    s->name = name;
    errcode_t e = ext2fs_open2(name, opt, EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS, 0, 0, unix_io_manager, &s->fs);
    if (e) {
        s->fs = NULL;
        return fs_error(s, e, "no ext4 filesystem at byte %llu", (unsigned long long)off);
    }
    if ((e = ext2fs_allocate_inode_bitmap(s->fs, "directories", &s->dirs)))
        return fs_error(s, e, "inode bitmap");
    s->blocks_left = 2 * ext2fs_blocks_count(s->fs->super);
    return 0;
}

static void close_side(struct side *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].path);
    free(s->v);
    if (s->dirs)
        ext2fs_free_inode_bitmap(s->dirs);
    if (s->fs)
        ext2fs_close_free(&s->fs);
}

static int read_inode(struct side *s, ext2_ino_t ino, struct ext2_inode_large *in)
{
    memset(in, 0, sizeof(*in));
    errcode_t e = ext2fs_read_inode_full(s->fs, ino, (struct ext2_inode *)in, sizeof(*in));
    return e ? fs_error(s, e, "inode %u", ino) : 0;
}

/* ------------------------------------------------------------- the walk --- */

struct names {
    struct side *s;
    char **name;
    ext2_ino_t *ino;
    size_t n;
    int err;
};

static int on_dirent(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int offset, int blocksize, char *buf,
                     void *ctx)
{
    (void)dir, (void)offset, (void)blocksize, (void)buf;
    struct names *nm = ctx;
    int len = ext2fs_dirent_name_len(d);
    if (entry == DIRENT_DOT_FILE || entry == DIRENT_DOT_DOT_FILE ||
        (len == 1 && d->name[0] == '.') || (len == 2 && d->name[0] == '.' && d->name[1] == '.'))
        return 0;
    if (nm->s->n + nm->n >= EXT4_DIFF_MAX_ENTRIES) {
        nm->err = err_set(-E2BIG, "%s: more than %u entries", nm->s->name, EXT4_DIFF_MAX_ENTRIES);
        return DIRENT_ABORT;
    }
    nm->name = xrealloc(nm->name, (nm->n + 1) * sizeof(char *));
    nm->ino = xrealloc(nm->ino, (nm->n + 1) * sizeof(ext2_ino_t));
    nm->name[nm->n] = xstrndup(d->name, (size_t)len);
    nm->ino[nm->n++] = d->inode;
    return 0;
}

static void add_entry(struct side *s, char *path, ext2_ino_t ino)
{
    s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
    s->v[s->n++] = (struct entry){path, ino};
}

/* Every entry under directory ino (whose path is prefix, "" for the root). */
static int walk(struct side *s, ext2_ino_t ino, const char *prefix)
{
    if (ext2fs_test_inode_bitmap2(s->dirs, ino))
        return err_set(-EBADMSG, "%s: the directory %s (inode %u) is reached twice", s->name, *prefix ? prefix : "/", ino);
    ext2fs_mark_inode_bitmap2(s->dirs, ino);
    struct names nm = {.s = s};
    errcode_t e = ext2fs_dir_iterate2(s->fs, ino, 0, NULL, on_dirent, &nm);
    int r = nm.err ? nm.err : e ? fs_error(s, e, "directory %s (inode %u)", *prefix ? prefix : "/", ino) : 0;
    size_t i = 0;
    for (; r == 0 && i < nm.n; i++) {
        char *path = xasprintf("%s/%s", prefix, nm.name[i]);
        free(nm.name[i]);
        add_entry(s, path, nm.ino[i]);
        struct ext2_inode_large in;
        if (strlen(path) >= PATH_MAX)
            r = err_set(-ENAMETOOLONG, "%s: a path longer than %d bytes", s->name, PATH_MAX);
        else if ((r = read_inode(s, nm.ino[i], &in)) == 0 && LINUX_S_ISDIR(in.i_mode))
            r = walk(s, nm.ino[i], path);
    }
    for (; i < nm.n; i++)
        free(nm.name[i]);
    free(nm.name);
    free(nm.ino);
    return r;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static int walk_all(struct side *s)
{
    add_entry(s, xstrdup("/"), EXT2_ROOT_INO);
    int r = walk(s, EXT2_ROOT_INO, "");
    if (r == 0)
        qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
    return r;
}

/* ------------------------------------------------------------ one inode --- */

/* ext4's timestamps: 32 signed bits of seconds, 2 epoch bits and 30 bits
 * of nanoseconds in the extra field. */
static void add_time(struct strbuf *sb, const char *what, uint32_t sa, uint32_t xa, uint32_t sb_, uint32_t xb)
{
    if (sa == sb_ && xa == xb)
        return;
    int64_t ta = (int64_t)(int32_t)sa + ((int64_t)(xa & 3) << 32), tb = (int64_t)(int32_t)sb_ + ((int64_t)(xb & 3) << 32);
    sb_printf(sb, "%s%s %lld", sb->len ? ", " : "", what, (long long)ta);
    if (xa >> 2)
        sb_printf(sb, ".%09u", xa >> 2);
    sb_printf(sb, " -> %lld", (long long)tb);
    if (xb >> 2)
        sb_printf(sb, ".%09u", xb >> 2);
}

static void add_num(struct strbuf *sb, const char *fmt_name, uint64_t a, uint64_t b)
{
    if (a != b)
        sb_printf(sb, fmt_name, sb->len ? ", " : "", (unsigned long long)a, (unsigned long long)b);
}

/* Whether the large inode's extra part holds the field ending at end. */
static bool has_extra(const struct side *s, const struct ext2_inode_large *in, size_t end)
{
    return EXT2_INODE_SIZE(s->fs->super) > EXT2_GOOD_OLD_INODE_SIZE &&
           EXT2_GOOD_OLD_INODE_SIZE + (size_t)in->i_extra_isize >= end &&
           (size_t)EXT2_INODE_SIZE(s->fs->super) >= end;
}

/* Where an inode's data lies: (logical, physical) pairs in logical order,
 * as many as it maps (an untrusted extent may name any logical block: a
 * list, not an array indexed by it). */
struct blocks {
    struct side *s;
    struct mapping {
        e2_blkcnt_t lblk;
        blk64_t phys;
    } *v;
    size_t n;
    int err;
};

static int on_block(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t cnt, blk64_t ref_blk, int ref_off, void *ctx)
{
    (void)fs, (void)ref_blk, (void)ref_off;
    struct blocks *b = ctx;
    if (cnt < 0)
        return 0;
    if (!b->s->blocks_left) {
        b->err = err_set(-EBADMSG, "%s: files map more blocks than the filesystem has (cross-linked)", b->s->name);
        return BLOCK_ABORT;
    }
    b->s->blocks_left--;
    b->v = xrealloc(b->v, (b->n + 1) * sizeof(*b->v));
    b->v[b->n++] = (struct mapping){cnt, *blocknr};
    return 0;
}

static int cmp_mapping(const void *x, const void *y)
{
    const struct mapping *a = x, *b = y;
    return a->lblk < b->lblk ? -1 : a->lblk > b->lblk;
}

static int list_blocks(struct side *s, ext2_ino_t ino, struct ext2_inode_large *in, struct blocks *b)
{
    *b = (struct blocks){.s = s};
    if (!ext2fs_inode_has_valid_blocks2(s->fs, (struct ext2_inode *)in) || (in->i_flags & EXT4_INLINE_DATA_FL))
        return 0;
    errcode_t e = ext2fs_block_iterate3(s->fs, ino, BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY, NULL, on_block, b);
    if (b->err)
        return b->err;
    if (e)
        return fs_error(s, e, "the blocks of inode %u", ino);
    if (b->n > 1)
        qsort(b->v, b->n, sizeof(*b->v), cmp_mapping);
    return 0;
}

/* Block phys of side s into buf (zeros for a hole, 0). */
static int read_block(struct side *s, ext2_ino_t ino, blk64_t phys, char *buf)
{
    memset(buf, 0, s->fs->blocksize);
    errcode_t e = phys ? io_channel_read_blk64(s->fs->io, phys, 1, buf) : 0;
    return e ? fs_error(s, e, "inode %u: block %llu", ino, (unsigned long long)phys) : 0;
}

/* The data: where it lies (the first logical block placed otherwise) and
 * what it holds (the first logical block whose bytes differ). */
static int diff_data(struct side *sa, ext2_ino_t ia, struct ext2_inode_large *a, struct side *sb_side, ext2_ino_t ib,
                     struct ext2_inode_large *b, struct strbuf *sb)
{
    struct blocks ba, bb = {0};
    int r = list_blocks(sa, ia, a, &ba);
    if (r == 0)
        r = list_blocks(sb_side, ib, b, &bb);
    /* of two block sizes, only where the blocks lie (the superblock says the sizes) */
    bool placed = false, held = sa->fs->blocksize != sb_side->fs->blocksize;
    unsigned bs = sa->fs->blocksize;
    _cleanup_free_ char *x = xmalloc(bs), *y = xmalloc(sb_side->fs->blocksize);
    /* merge the two lists by logical block */
    for (size_t i = 0, k = 0; r == 0 && (i < ba.n || k < bb.n) && !(placed && held);) {
        e2_blkcnt_t la = i < ba.n ? ba.v[i].lblk : -1, lb = k < bb.n ? bb.v[k].lblk : -1;
        e2_blkcnt_t l = la < 0 ? lb : lb < 0 ? la : la < lb ? la : lb;
        blk64_t pa = la == l ? ba.v[i++].phys : 0, pb = lb == l ? bb.v[k++].phys : 0;
        if (pa != pb && !placed) {
            placed = true;
            sb_printf(sb, "%sblock %lld at %llu -> %llu", sb->len ? ", " : "", (long long)l, (unsigned long long)pa,
                      (unsigned long long)pb);
        }
        if (held)
            continue;
        if ((r = read_block(sa, ia, pa, x)) == 0 && (r = read_block(sb_side, ib, pb, y)) == 0 && memcmp(x, y, bs)) {
            held = true;
            sb_printf(sb, "%sdata differs from byte %llu", sb->len ? ", " : "", (unsigned long long)l * bs);
        }
    }
    free(ba.v);
    free(bb.v);
    return r;
}

static int diff_inode(struct side *sa, ext2_ino_t ia, struct side *sbs, ext2_ino_t ib, char **what)
{
    struct ext2_inode_large a, b;
    int r = read_inode(sa, ia, &a);
    if (r == 0)
        r = read_inode(sbs, ib, &b);
    if (r < 0)
        return r;
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    add_num(&sb, "%sino %llu -> %llu", ia, ib);
    if (a.i_mode != b.i_mode)
        sb_printf(&sb, "%smode %06o -> %06o", sb.len ? ", " : "", a.i_mode, b.i_mode);
    add_num(&sb, "%suid %llu -> %llu", inode_uid(a), inode_uid(b));
    add_num(&sb, "%sgid %llu -> %llu", inode_gid(a), inode_gid(b));
    add_num(&sb, "%ssize %llu -> %llu", EXT2_I_SIZE(&a), EXT2_I_SIZE(&b));
    add_num(&sb, "%slinks %llu -> %llu", a.i_links_count, b.i_links_count);
    bool xa = has_extra(sa, &a, offsetof(struct ext2_inode_large, i_crtime_extra) + 4);
    bool xb = has_extra(sbs, &b, offsetof(struct ext2_inode_large, i_crtime_extra) + 4);
    add_time(&sb, "atime", a.i_atime, xa ? a.i_atime_extra : 0, b.i_atime, xb ? b.i_atime_extra : 0);
    add_time(&sb, "ctime", a.i_ctime, xa ? a.i_ctime_extra : 0, b.i_ctime, xb ? b.i_ctime_extra : 0);
    add_time(&sb, "mtime", a.i_mtime, xa ? a.i_mtime_extra : 0, b.i_mtime, xb ? b.i_mtime_extra : 0);
    add_time(&sb, "crtime", xa ? a.i_crtime : 0, xa ? a.i_crtime_extra : 0, xb ? b.i_crtime : 0,
             xb ? b.i_crtime_extra : 0);
    add_time(&sb, "dtime", a.i_dtime, 0, b.i_dtime, 0);
    add_num(&sb, "%sflags 0x%llx -> 0x%llx", a.i_flags, b.i_flags);
    add_num(&sb, "%sgeneration %llu -> %llu", a.i_generation, b.i_generation);
    add_num(&sb, "%sxattr block %llu -> %llu", ext2fs_file_acl_block(sa->fs, (struct ext2_inode *)&a),
            ext2fs_file_acl_block(sbs->fs, (struct ext2_inode *)&b));
    if (LINUX_S_ISLNK(a.i_mode) && LINUX_S_ISLNK(b.i_mode) && ext2fs_is_fast_symlink((struct ext2_inode *)&a) &&
        ext2fs_is_fast_symlink((struct ext2_inode *)&b)) {
        if (memcmp(a.i_block, b.i_block, sizeof(a.i_block)))
            sb_printf(&sb, "%starget differs", sb.len ? ", " : "");
    } else {
        r = diff_data(sa, ia, &a, sbs, ib, &b, &sb);
    }
    /* what no field above names (the bytes of in-inode xattrs, say) */
    size_t isz = EXT2_INODE_SIZE(sa->fs->super) < sizeof(a) ? EXT2_INODE_SIZE(sa->fs->super) : sizeof(a);
    if (r == 0 && !sb.len && (EXT2_INODE_SIZE(sa->fs->super) != EXT2_INODE_SIZE(sbs->fs->super) || memcmp(&a, &b, isz)))
        sb_puts(&sb, "other inode bytes differ");
    if (r < 0 || !sb.len) {
        sb_release(&sb);
        *what = NULL;
        return r;
    }
    *what = sb_detach(&sb);
    return 1;
}

/* ----------------------------------------------------------- superblock --- */

static uint64_t stamp(uint32_t lo, uint8_t hi)
{
    return (uint64_t)lo | (uint64_t)hi << 32;
}

static char *diff_super(const struct side *sa, const struct side *sbs)
{
    struct ext2_super_block *a = sa->fs->super, *b = sbs->fs->super;
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    if (memcmp(a->s_uuid, b->s_uuid, sizeof(a->s_uuid)))
        sb_printf(&sb, "uuid differs");
    if (memcmp(a->s_hash_seed, b->s_hash_seed, sizeof(a->s_hash_seed)))
        sb_printf(&sb, "%shash seed differs", sb.len ? ", " : "");
    add_num(&sb, "%sblock size %llu -> %llu", EXT2_BLOCK_SIZE(a), EXT2_BLOCK_SIZE(b));
    add_num(&sb, "%sblocks %llu -> %llu", ext2fs_blocks_count(a), ext2fs_blocks_count(b));
    add_num(&sb, "%sfree blocks %llu -> %llu", ext2fs_free_blocks_count(a), ext2fs_free_blocks_count(b));
    add_num(&sb, "%sinodes %llu -> %llu", a->s_inodes_count, b->s_inodes_count);
    add_num(&sb, "%sfree inodes %llu -> %llu", a->s_free_inodes_count, b->s_free_inodes_count);
    add_num(&sb, "%sfeatures compat 0x%llx -> 0x%llx", a->s_feature_compat, b->s_feature_compat);
    add_num(&sb, "%sfeatures incompat 0x%llx -> 0x%llx", a->s_feature_incompat, b->s_feature_incompat);
    add_num(&sb, "%sfeatures ro_compat 0x%llx -> 0x%llx", a->s_feature_ro_compat, b->s_feature_ro_compat);
    add_num(&sb, "%smkfs time %llu -> %llu", stamp(a->s_mkfs_time, a->s_mkfs_time_hi), stamp(b->s_mkfs_time, b->s_mkfs_time_hi));
    add_num(&sb, "%swrite time %llu -> %llu", stamp(a->s_wtime, a->s_wtime_hi), stamp(b->s_wtime, b->s_wtime_hi));
    add_num(&sb, "%smount time %llu -> %llu", stamp(a->s_mtime, a->s_mtime_hi), stamp(b->s_mtime, b->s_mtime_hi));
    add_num(&sb, "%slast check %llu -> %llu", stamp(a->s_lastcheck, a->s_lastcheck_hi), stamp(b->s_lastcheck, b->s_lastcheck_hi));
    if (!sb.len && memcmp(a, b, sizeof(*a)))
        sb_puts(&sb, "other superblock fields differ");
    if (!sb.len) {
        sb_release(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

/* ---------------------------------------------------------------- diff ---- */

struct report {
    ext4_diff_fn fn;
    void *ctx;
    size_t max, count;
};

static void report(struct report *rp, const char *path, const char *what)
{
    if (rp->count++ < rp->max)
        rp->fn(path, what, rp->ctx);
}

int ext4_diff(const char *a, uint64_t a_off, const char *b, uint64_t b_off, size_t max, ext4_diff_fn fn, void *ctx)
{
    struct side sa = {0}, sb = {0};
    struct report rp = {fn, ctx, max, 0};
    int r = open_side(&sa, a, a_off);
    if (r == 0)
        r = open_side(&sb, b, b_off);
    if (r == 0 && (r = walk_all(&sa)) == 0)
        r = walk_all(&sb);
    if (r == 0) {
        _cleanup_free_ char *s = diff_super(&sa, &sb);
        if (s)
            report(&rp, NULL, s);
    }
    for (size_t i = 0, k = 0; r == 0 && (i < sa.n || k < sb.n);) {
        int c = i == sa.n ? 1 : k == sb.n ? -1 : strcmp(sa.v[i].path, sb.v[k].path);
        if (c < 0) {
            report(&rp, sa.v[i++].path, "only in the first");
        } else if (c > 0) {
            report(&rp, sb.v[k++].path, "only in the second");
        } else {
            _cleanup_free_ char *what = NULL;
            if ((r = diff_inode(&sa, sa.v[i].ino, &sb, sb.v[k].ino, &what)) > 0) {
                report(&rp, sa.v[i].path, what);
                r = 0;
            }
            i++, k++;
        }
    }
    if (r == 0 && rp.count > max) {
        _cleanup_free_ char *more = xasprintf("%zu more", rp.count - max);
        fn("…", more, ctx);
    }
    close_side(&sa);
    close_side(&sb);
    return r < 0 ? r : (int)(rp.count > INT_MAX ? INT_MAX : rp.count);
}

int ext4_diff_fs_offset(const char *image, const char *layout, uint64_t *off)
{
    *off = 0;
    if (!strcmp(layout, "raw"))
        return 0;
    if (strcmp(layout, "kata"))
        return err_set(-EINVAL, "%s: unknown layout %s", image, layout);
    _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
    uint8_t mbr[DISK_SECTOR];
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return err_sys(-errno, "%s", image);
    if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr) || mbr[510] != 0x55 || mbr[511] != 0xaa)
        return err_set(-EBADMSG, "%s: no partition table", image);
    const uint8_t *p1 = mbr + 446;
    uint64_t lba = (uint64_t)p1[8] | (uint64_t)p1[9] << 8 | (uint64_t)p1[10] << 16 | (uint64_t)p1[11] << 24;
    uint64_t sectors = (uint64_t)p1[12] | (uint64_t)p1[13] << 8 | (uint64_t)p1[14] << 16 | (uint64_t)p1[15] << 24;
    if (!lba || !sectors || (lba + sectors) * DISK_SECTOR > (uint64_t)st.st_size)
        return err_set(-EBADMSG, "%s: partition 1 (sectors %llu+%llu) lies outside the file", image,
                       (unsigned long long)lba, (unsigned long long)sectors);
    *off = lba * DISK_SECTOR;
    return 0;
}
