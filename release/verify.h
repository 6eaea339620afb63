/* `guestimg verify`: check a published release against its signature and
 * its artifacts. Each check is reported through a callback (the CLI prints
 * one line per check); the library prints nothing. */
#ifndef GUESTIMG_RELEASE_VERIFY_H
#define GUESTIMG_RELEASE_VERIFY_H

#include <stdbool.h>

struct verify_opts {
    const char *release_path;   /* release.json */
    const char *pubkey;         /* PEM public key; NULL: the signature is not checked */
    const char *artifacts_dir;  /* NULL: the directory release.json is in */
};

struct verify_check {
    bool ok;
    const char *what;           /* "artifact vmlinuz", "signature release.json.sig", … */
    const char *expected;       /* on a mismatch: what release.json (or the signer) says */
    const char *actual;         /* and what was found */
};

typedef void (*verify_report_fn)(const struct verify_check *c, void *ctx);

/* Runs every check. Returns the number that failed (0: the release is
 * good), or a negative error (message set) when the release cannot be
 * checked at all: unreadable or invalid release.json, unusable key. */
int release_verify(const struct verify_opts *o, verify_report_fn report, void *ctx);

#endif
