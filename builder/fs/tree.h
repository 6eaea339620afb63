/* The root filesystem tree, in memory: what goes into the image, before it
 * is written. Inputs (directories, archives, package payloads, manifest
 * files) are merged into one tree; the ext4 writer walks it in sorted
 * order. File content is never held in memory: a node refers to a host
 * file, or to a region of the tree's spool file (content streamed out of
 * archives and packages), or to a small inline buffer.
 *
 * Paths are absolute within the image ("/usr/bin/sh"), normalised: no "."
 * or ".." components, no empty components, no trailing slash. Every
 * function that takes a path from untrusted input validates it and reports
 * the input and entry on error. */
#ifndef GUESTIMG_TREE_H
#define GUESTIMG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct archive;

enum tree_type {
    TREE_REG = 1,
    TREE_DIR,
    TREE_SYMLINK,
    TREE_CHR,
    TREE_BLK,
    TREE_FIFO,
    TREE_SOCK,
};

struct tree_xattr {
    char *name;          /* full name: "security.capability", "user.x" */
    uint8_t *value;
    size_t len;
};

/* Where a regular file's bytes come from. */
enum tree_content_kind {
    TREE_CONTENT_NONE,   /* empty file */
    TREE_CONTENT_HOST,   /* a host file, read when the image is written */
    TREE_CONTENT_SPOOL,  /* [offset, offset+size) of the tree's spool file */
    TREE_CONTENT_INLINE, /* small buffer owned by the node */
};

/* Packed for trees of millions of entries (docs/rootfs.md "Memory"): names,
 * host paths and digests live in the tree's arena, counts are 32-bit, and
 * the three kinds of content reference share one word. */
struct tree_node {
    const char *name;            /* last component ("" for the root) */
    struct tree_node *parent;
    struct tree_node *hardlink;  /* non-NULL: this entry is another name for that node
                                    (never itself a hard link); the inode's
                                    attributes, content and xattrs are that node's */
    struct tree_node **children; /* directories; sorted by name after tree_sort() */
    uint32_t nchildren, cap_children;
    enum tree_type type;
    uint32_t mode;               /* permission bits incl. setuid/setgid/sticky (07777) */
    uint32_t uid, gid;
    uint32_t rdev_major, rdev_minor;
    uint32_t nxattrs;
    uint32_t ino;                /* assigned by the image writer */
    int64_t mtime;               /* as given by the input; the writer uses the epoch */
    uint64_t size;               /* regular files: content length */
    char *link_target;           /* symlinks */
    struct tree_xattr *xattrs;   /* sorted by name */
    const char *origin;          /* input or package that placed it (interned) */

    enum tree_content_kind content;
    bool have_sha256;            /* content digest known (computed while spooling) */
    uint8_t internal;            /* tree.c's own flags (in what would be padding) */
    union {
        const char *host_path;   /* TREE_CONTENT_HOST: private, see tree_reader_open() */
        uint64_t spool_offset;   /* TREE_CONTENT_SPOOL */
        uint8_t *inline_data;    /* TREE_CONTENT_INLINE */
    };
    uint8_t *sha256;             /* 32 bytes, valid when have_sha256 */
};

/* Attributes of a new entry. */
struct tree_attr {
    uint32_t mode;               /* permission bits */
    uint32_t uid, gid;
    int64_t mtime;
    const char *origin;          /* names the input/package in errors and conflicts */
};

/* What happens when an entry already exists at a path. */
enum tree_policy {
    TREE_REPLACE,                /* later input wins (rootfs INPUT order) */
    TREE_RPM_CONFLICT,           /* identical content / same-kind directories are
                                    fine; anything else is an error naming both
                                    origins (RPM's file conflict rules).
                                    Identical: same type, mode, uid, gid, and
                                    content (sha256), link target or device
                                    number. A directory keeps the attributes
                                    of its first explicit entry. */
};

struct tree;

/* spool_dir: where the (unlinked) spool file lives; NULL = $TMPDIR or /tmp. */
struct tree *tree_new(const char *spool_dir);
void tree_free(struct tree *t);
struct tree_node *tree_root(struct tree *t);
void tree_set_policy(struct tree *t, enum tree_policy p);
/* The filesystem's size (a fixed --size): archive data is counted as it
 * streams into the spool, and an entry that takes the spooled data the
 * tree holds past it stops there, with an error, instead of spooling the
 * rest (a small compressed archive can hold far more). Blocks of zeros
 * count for nothing (they become holes); content replaced or removed no
 * longer counts. Only for a tree that no later step shrinks (a manifest's
 * remove: list comes after its packages). */
void tree_set_size_limit(struct tree *t, uint64_t bytes);
/* The largest file ext4 holds with 4 KiB blocks, as the kernel's s_maxbytes
 * (2^32 - 1 blocks): a larger regular file is refused by its size. */
#define TREE_FILE_MAX ((((uint64_t)1 << 32) - 1) * 4096)

/* Look up an entry (no symlink following). NULL when absent. */
struct tree_node *tree_lookup(struct tree *t, const char *path);

/* Adding entries. Missing parent directories are created 0755 root:root
 * (an explicit entry for that directory later sets its attributes). A path
 * that passes through a symlink already in the tree is an error (nothing is
 * ever written through a link); so are ".." components, components over 255
 * bytes and paths over 4095 bytes. Leading "/" or "./", "." components and
 * repeated slashes are accepted and normalised. Under TREE_REPLACE a new
 * directory over a directory keeps its children and takes the new
 * attributes; anything else replaces the old entry and its subtree. */
int tree_add_dir(struct tree *t, const char *path, const struct tree_attr *a);
int tree_add_symlink(struct tree *t, const char *path, const char *target, const struct tree_attr *a);
int tree_add_special(struct tree *t, const char *path, enum tree_type type, uint32_t major,
                     uint32_t minor, const struct tree_attr *a);
int tree_add_hardlink(struct tree *t, const char *path, const char *target_path, const struct tree_attr *a);
/* Regular files: from a host file (read later), from a buffer (copied), or
 * from the current entry of an open libarchive reader (streamed into the
 * spool now; sha256 computed on the way). */
int tree_add_file_host(struct tree *t, const char *path, const char *host_path, uint64_t size,
                       const struct tree_attr *a);
int tree_add_file_buffer(struct tree *t, const char *path, const void *data, size_t len,
                         const struct tree_attr *a);
int tree_add_file_archive(struct tree *t, const char *path, struct archive *ar, uint64_t size,
                          const struct tree_attr *a);
/* Replace the content of the existing regular file at path (and so of every
 * hard link to it) with the current archive entry's data. cpio archives
 * carry a multiply-linked file's data on its last name, which libarchive
 * reports as a hard link with data. */
int tree_set_content_archive(struct tree *t, const char *path, struct archive *ar, uint64_t size);
/* Extended attributes (on a hard link: its target's). Names must be in the
 * user., trusted. or security. namespaces or be system.posix_acl_access /
 * system.posix_acl_default; at most 255 bytes after the namespace prefix.
 * Setting an existing name replaces its value. */
int tree_set_xattr(struct tree *t, const char *path, const char *name, const void *value, size_t len);

/* Remove an entry and everything below it (manifest "remove:"). Absent is fine. */
int tree_remove(struct tree *t, const char *path);

/* Inputs for `guestimg rootfs` (builder/fs/input.c): a host directory, or an
 * archive libarchive reads (tar, cpio; gzip, bzip2, xz, lzma or zstd
 * compressed). Directory files become 0:0 unless keep_owner; the
 * directory's own mode (and owner) go to the image's root. Archive entries
 * keep their header's owner and mode; "..", absolute entry names and
 * writing through a symlink are errors naming the input and entry. */
struct tree_input_opts {
    bool keep_owner;
};
int tree_add_input(struct tree *t, const char *input, const struct tree_input_opts *o);
/* The same for an archive already opened on a reader from
 * tree_archive_reader() (the formats and filters above, none that runs an
 * external program); input names it in errors. */
struct archive *tree_archive_reader(void);
int tree_add_archive(struct tree *t, struct archive *ar, const char *input);

/* Sort every directory's children by name (bytewise). Idempotent. */
void tree_sort(struct tree *t);
/* Pre-order walk in sorted order (tree_sort first); fn returning non-zero stops. */
int tree_walk(struct tree *t, int (*fn)(struct tree_node *n, const char *path, void *ctx), void *ctx);

/* Reading a regular file's content, streamed. */
struct tree_reader;
int tree_reader_open(struct tree *t, const struct tree_node *n, struct tree_reader **r);
/* Returns bytes read (0 at end) or a negative error. */
ssize_t tree_reader_read(struct tree_reader *r, void *buf, size_t len);
/* Skip what the backing file reports as a hole from the current position
 * (those bytes are zeros): returns how many bytes were skipped, a multiple
 * of TREE_BLOCK_SIZE unless it reaches the end. A shortcut only: reading
 * the same bytes gives the same result. */
uint64_t tree_reader_skip_hole(struct tree_reader *r);
void tree_reader_close(struct tree_reader *r);
/* sha256 of a regular file's content (computed and cached if needed;
 * every zero of a hole is hashed: for a huge sparse file, slow). */
int tree_file_sha256(struct tree *t, struct tree_node *n, uint8_t out[32]);
/* What identifies a regular file's content without hashing its holes: its
 * sha256 up to TREE_DENSE_ID_MAX bytes (*sparse false); past that (*sparse
 * true) its sparse digest: SHA-256 of "guestimg sparse content" and its NUL,
 * then for each TREE_BLOCK_SIZE block holding a non-zero byte, in order,
 * its index (u64 little-endian) and its bytes (the last block as long as it
 * is), then the size (u64 little-endian): a hole and written zeros give
 * the same, and a hole costs nothing. */
#define TREE_DENSE_ID_MAX ((uint64_t)4 << 30)
int tree_file_content_id(struct tree *t, struct tree_node *n, uint8_t out[32], bool *sparse);
/* How many TREE_BLOCK_SIZE blocks of a regular file's content hold a
 * non-zero byte, and how many runs of consecutive such blocks there are
 * (the image writer stores all-zero blocks as holes). Known once spooled;
 * for host files computed by reading the content once, then cached. */
#define TREE_BLOCK_SIZE 4096
int tree_file_data_blocks(struct tree *t, struct tree_node *n, uint64_t *blocks, uint64_t *runs);

/* A digest of what an image shows of the tree: in sorted order, every
 * entry's path and type; for another name of an inode, the first name;
 * else its permission bits, owner, size and content digest (the sha256
 * up to 4 GiB; past that, of the non-zero blocks and their places, which
 * never hashes a hole: docs/rootfs.md), symlink target, device number
 * and xattrs. Not mtimes (images carry the epoch). Sorts the tree; reads
 * every file whose digest is not known yet. */
int tree_digest(struct tree *t, uint8_t out[32]);

/* Totals for sizing the image. */
struct tree_stats {
    uint64_t files, dirs, symlinks, specials, hardlinks;
    uint64_t content_bytes;
    uint64_t xattr_bytes;
};
void tree_get_stats(struct tree *t, struct tree_stats *s);

#endif
