/* `guestimg reproduce`: compare a published release with a rebuild of it,
 * artifact by artifact (by the sha256 each release.json records), and for
 * an image that differs, file by file (the two files.tsv). */
#ifndef GUESTIMG_RELEASE_COMPARE_H
#define GUESTIMG_RELEASE_COMPARE_H

#include "release/files.h"

#include <stddef.h>

struct compare_report {
    /* one call per artifact of either release; a sha256 is NULL where the
     * artifact is absent */
    void (*artifact)(const char *name, const char *published, const char *rebuilt, void *ctx);
    /* one call per differing image file (files_diff's classes) */
    void (*file)(unsigned changes, const struct files_entry *published, const struct files_entry *rebuilt,
                 void *ctx);
    /* the published files.tsv cannot be read or does not match its sha256:
     * no per-file report (why says what happened) */
    void (*no_file_list)(const char *why, void *ctx);
    void *ctx;
};

/* published_json: the published release.json (its directory may hold the
 * published files.tsv); rebuilt_dir: a release directory built from the
 * same manifest and lock. Returns the number of differing artifacts, or a
 * negative error when either release.json cannot be read. */
int release_compare(const char *published_json, const char *rebuilt_dir, const struct compare_report *report);

#endif
