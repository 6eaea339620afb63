/* `guestimg reproduce`: compare a published release with a rebuild of it,
 * artifact by artifact (by the sha256 each release.json records); for an
 * image that differs, file by file (the two files.tsv); for a kernel
 * configuration or kernel build record that differs, line by line (what
 * explains a kernel that did not rebuild to the same bytes: another
 * compiler, another option); for an image, also inode by inode (what
 * its filesystem holds); for a JSON artifact, key by key; and, with
 * diffoscope installed, its report on the first differing artifact. */
#ifndef GUESTIMG_RELEASE_COMPARE_H
#define GUESTIMG_RELEASE_COMPARE_H

#include "release/files.h"

#include <stdbool.h>
#include <stddef.h>

struct compare_report {
    /* one call per artifact of either release; a sha256 is NULL where the
     * artifact is absent */
    void (*artifact)(const char *name, const char *published, const char *rebuilt, void *ctx);
    /* one call per differing image file (files_diff's classes) */
    void (*file)(unsigned changes, const struct files_entry *published, const struct files_entry *rebuilt,
                 void *ctx);
    /* one call per line of a differing kernel.config or kernel.inputs.txt
     * that only one of them has (the other NULL): the published file's
     * lines first, in file order, then the rebuilt one's */
    void (*line)(const char *artifact, const char *published, const char *rebuilt, void *ctx);
    /* what differs inside artifact cannot be said: the published files.tsv
     * or text cannot be read or does not match its sha256 (why says) */
    void (*no_detail)(const char *artifact, const char *why, void *ctx);
    void *ctx;
    /* optional (NULL: not asked for). One call per differing key of a
     * differing JSON artifact, path as in `packages[3].version`, values as
     * compact JSON (NULL where the key is absent); after COMPARE_KEYS_MAX
     * of them one more call with path NULL and published the count left. */
    void (*key)(const char *artifact, const char *path, const char *published, const char *rebuilt, void *ctx);
    /* optional: diffoscope's text report on the first artifact that both
     * releases have and that differs, at most COMPARE_SUMMARY_MAX bytes
     * (truncated says it was cut); not called when diffoscope is not on
     * PATH or reports nothing */
    void (*summary)(const char *artifact, const char *text, bool truncated, void *ctx);
    /* optional: for a differing image, what its ext4 filesystem and the
     * rebuilt one hold, inode by inode (release/ext4_diff.h): one call per
     * path that differs (path NULL: the superblock), what naming the
     * fields ("mtime 0 -> 1000000000"); after COMPARE_KEYS_MAX of them one
     * with path "…" and what "N more" */
    void (*inode)(const char *artifact, const char *path, const char *what, void *ctx);
};

#define COMPARE_KEYS_MAX 40
#define COMPARE_SUMMARY_MAX 4096

/* published_json: the published release.json (its directory may hold the
 * published files.tsv); rebuilt_dir: a release directory built from the
 * same manifest and lock. Returns the number of differing artifacts, or a
 * negative error when either release.json cannot be read. */
int release_compare(const char *published_json, const char *rebuilt_dir, const struct compare_report *report);

#endif
