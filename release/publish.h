/* The measurements again, in the formats their consumers read.
 *
 * measurement.json as microsoft/igvm-tooling's igvmgen writes it with
 * -measurement_file (Python's json.dump(..., indent=2), no trailing newline):
 *   {"x-ms-sevsnpvm-guestsvn": "SVN", "x-ms-sevsnpvm-launchmeasurement": "HEX"}
 * the SVN as a decimal string, the digest in lower-case hex.
 *
 * A Confidential Containers trustee RVPS message of the "sample" provenance
 * type, registering the SNP digests as reference values of
 * "snp_launch_measurement" (the name trustee's default attestation policy
 * queries; its SNP verifier reports the measurement in lower-case hex):
 *   {"version": "0.1.0", "type": "sample",
 *    "payload": base64({"snp_launch_measurement": ["HEX", …]})}
 * docs/release.md says which versions of both these follow. */
#ifndef GUESTIMG_RELEASE_PUBLISH_H
#define GUESTIMG_RELEASE_PUBLISH_H

#include "release/release.h"

#define TRUSTEE_REFERENCE_FILE "trustee-reference-values.json"

/* Allocated text of measurement.json for one digest. */
char *publish_measurement_json(const char *digest_hex, uint64_t svn);
/* The file it goes to: "measurement.json" when the release has exactly one
 * SNP measurement, else "measurement-MODE-VMM-VCPUTYPE-NvCPU.json". */
char *publish_measurement_file_name(const struct release *r, const struct release_measurement *m);
/* Whether a measurement is an SNP one (the attestation report's
 * MEASUREMENT: the only kind these formats carry). */
bool publish_is_snp(const struct release_measurement *m);
/* The trustee message (canonical JSON, allocated): every distinct SNP
 * digest, sorted. NULL when the release has no SNP measurement. */
char *publish_trustee_message(const struct release *r);

#endif
