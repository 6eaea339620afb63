/* A release directory that appears whole or not at all: everything is
 * written to a temporary directory beside it (same filesystem), removed on
 * failure or SIGINT/SIGTERM (cleanup_register), and renamed into place only
 * when the build succeeded. An existing release directory is swapped out
 * atomically (renameat2 RENAME_EXCHANGE) and then removed. */
#ifndef GUESTIMG_RELEASE_OUTDIR_H
#define GUESTIMG_RELEASE_OUTDIR_H

struct outdir {
    char *final;    /* DIR as given */
    const char *marker;  /* the file that says DIR is ours to replace */
    char *tmp;      /* "<parent>/.<name>.tmp-XXXXXX" */
};

/* Refuses a DIR that exists and is neither empty nor a release directory
 * (holds release.json): a typo must not replace /home. */
int outdir_begin(struct outdir *o, const char *dir);
/* The same for another kind of directory: one that exists must be empty
 * or hold `marker` (a static string: "oci-layout", "release.json"). */
int outdir_begin_marked(struct outdir *o, const char *dir, const char *marker);
int outdir_commit(struct outdir *o);
/* Remove the temporary directory (safe after commit, and twice). */
void outdir_abort(struct outdir *o);

#endif
