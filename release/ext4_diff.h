/* What differs between two ext4 filesystems, read with libext2fs: for
 * every path either has, its inode (number, type and mode, owner, size,
 * link count, the four timestamps, flags, generation, where its data lies,
 * the bytes of its content) and the superblock's identity, counts and
 * times. files.tsv says what the build meant to write; this reads what the
 * images hold, so it also names what files.tsv cannot show: an mtime, an
 * inode numbered otherwise, a block placed elsewhere, a superblock stamped
 * with the clock. Both images are untrusted (the published one comes from
 * anywhere): a directory reached twice, a path deeper than PATH_MAX, more
 * than EXT4_DIFF_MAX_ENTRIES entries or an inode libext2fs cannot read is
 * an error naming the image. */
#ifndef GUESTIMG_RELEASE_EXT4_DIFF_H
#define GUESTIMG_RELEASE_EXT4_DIFF_H

#include <stddef.h>
#include <stdint.h>

#define EXT4_DIFF_MAX_ENTRIES (1u << 22)

/* One call per path whose inode differs, in path order, what listing the
 * differing fields ("mtime 0 -> 1000000000, ino 12 -> 13") or "only in
 * the first" / "only in the second"; path NULL: the superblock (first).
 * After max calls, one more with path "…" and what "N more". */
typedef void (*ext4_diff_fn)(const char *path, const char *what, void *ctx);

/* The filesystems at byte a_off of file a and b_off of file b. Returns the
 * number of differences (reported or not), or a negative error naming the
 * image. */
int ext4_diff(const char *a, uint64_t a_off, const char *b, uint64_t b_off, size_t max, ext4_diff_fn fn, void *ctx);

/* Where the filesystem starts in a release's image: 0 for the raw layout,
 * partition 1's start (from the MBR, checked to lie inside the file) for
 * kata. */
int ext4_diff_fs_offset(const char *image, const char *layout, uint64_t *off);

#endif
