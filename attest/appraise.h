/* Appraising an SEV-SNP attestation report: after the AMD chain
 * (attest/attest.h), what the report says about its launch against what
 * a release and the pod's owner expect: MEASUREMENT, the guest policy,
 * VMPL, GUEST_SVN, the minimum TCB, the ID and author key digests,
 * HOST_DATA and REPORT_DATA. Every check is reported through the callback,
 * one line each; nothing is printed here. release/appraisal.h fills the
 * expectations from a release.json. */
#ifndef GUESTIMG_MEASURE_APPRAISE_H
#define GUESTIMG_MEASURE_APPRAISE_H

#include "common/snp_policy.h"
#include "attest/attest.h"
#include "attest/report.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APPRAISE_KEY_DIGEST_LEN 48

/* The guest policy a launch may have when the release says nothing: SMT
 * allowed, ABI 0.0, reserved bit 17 set; debug, migration agent, single
 * socket off (QEMU's and snp-create-id-block's default). */
#define APPRAISE_DEFAULT_POLICY SNP_POLICY_DEFAULT

/* One launch a release publishes (an SNP measurement), with what that
 * launch declares beside its digest (an IGVM file's ID block: its policy
 * and ID key). */
struct appraise_launch {
    uint8_t digest[REPORT_MEASUREMENT_LEN];
    const char *label;             /* "--measurement", "release snp QEMU EPYC-v4 4 vCPU",
                                      "release igvm kata-containers-igvm.img (production)" */
    bool debug;                    /* a debug build (its console open): matching it fails */
    bool has_policy;
    uint64_t policy;
    bool has_id_key, has_author_key;
    uint8_t id_key_digest[APPRAISE_KEY_DIGEST_LEN], author_key_digest[APPRAISE_KEY_DIGEST_LEN];
};

/* A minimum TCB: components (fmc only checked on Turin), or the 8 raw
 * bytes as the report holds them, decoded for the report's generation. */
struct appraise_tcb {
    bool raw;
    uint8_t raw_bytes[8];
    struct report_tcb t;
};

/* "bl=3,tee=0,snp=8,ucode=115" (names boot_loader, microcode also; fmc=N
 * optional; each of bl, tee, snp, ucode required once, values 0..255), or
 * 16 hex digits (the raw bytes, as `report show` prints them). what names
 * the input in the error. */
int appraise_tcb_parse(const char *s, const char *what, struct appraise_tcb *out);
/* The same as text: "boot_loader 3 tee 0 snp 8 microcode 115" or "raw 0300…". */
char *appraise_tcb_string(const struct appraise_tcb *t);

struct appraise_expect {
    const struct appraise_launch *launches;   /* MEASUREMENT must be one of them */
    size_t n_launches;
    bool check_measurement;        /* false: left out (the CLI warns) */

    /* The guest policy, when the matched launch does not declare one. */
    bool check_policy;
    uint64_t policy;
    const char *policy_source;     /* "release" */

    bool check_vmpl;
    uint32_t vmpl;

    bool check_svn;
    uint32_t min_svn;
    const char *svn_source;        /* "release" */

    bool check_tcb;
    struct appraise_tcb min_tcb;
    const char *tcb_source;        /* "--min-tcb", "release" */

    /* ID and author key digests, when the matched launch declares none. */
    const uint8_t *id_key_digest, *author_key_digest;
    const char *key_source;

    const uint8_t *host_data;      /* REPORT_HOST_DATA_LEN bytes, or NULL */
    const char *host_data_source;  /* "--policy FILE", "--host-data" */
    const uint8_t *report_data;    /* REPORT_DATA_LEN bytes, or NULL */
};

/* The chain checks, then, in this order and with these ids, those that
 * apply: "measurement", "policy", "vmpl", "guest_svn", "min_tcb",
 * "id_key", "author_key", "host_data", "report_data". Returns the number
 * that failed, or a negative error (message set) when the VCEK's
 * extensions are unreadable. */
int appraise_report(const struct attest_opts *chain, const struct appraise_expect *e, attest_report_fn report,
                    void *ctx);

/* The guest policy as words: "debug_allowed 1 migrate_ma_allowed 0 …" of
 * the bits that matter to an appraisal. */
char *appraise_policy_string(uint64_t policy);

/* What the report says, as flat claims named as trustee's SNP verifier
 * names them (measurement, policy_debug_allowed, reported_tcb_snp,
 * init_data, report_data, …) for a relying party's policy engine. TCBs are
 * decoded for g (left out when UNKNOWN). */
json_t *appraise_claims(const struct report *r, enum report_generation g);

#endif
