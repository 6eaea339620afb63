/* A release's expectations of a launch, for appraising an attestation
 * report against it (attest/appraise.h): every SNP measurement (48-byte
 * digest) it publishes, its guest SVN, and what its `appraisal` object
 * declares (guest policy, VMPL, minimum TCB, ID and author key digests). */
#ifndef GUESTIMG_RELEASE_APPRAISAL_H
#define GUESTIMG_RELEASE_APPRAISAL_H

#include "attest/appraise.h"
#include "release/release.h"

struct release_expect {
    struct appraise_launch *launches;
    size_t n;
    char **labels;               /* owned: what launches[].label point to */
    struct appraise_expect e;    /* launches, policy, SVN, VMPL, TCB, keys filled */
    uint8_t id_key[APPRAISE_KEY_DIGEST_LEN], author_key[APPRAISE_KEY_DIGEST_LEN];
};

/* Add one launch (label is taken over). */
void release_expect_add(struct release_expect *x, const uint8_t digest[REPORT_MEASUREMENT_LEN], char *label);
/* Read release.json at path and add what it expects. An error naming it
 * when it is unreadable, publishes no SNP measurement, or its min_tcb does
 * not parse. A release without an appraisal object expects the default
 * policy (APPRAISE_DEFAULT_POLICY) at VMPL 0. */
int release_expect_load(struct release_expect *x, const char *path);
void release_expect_free(struct release_expect *x);

#endif
