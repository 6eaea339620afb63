/* Build provenance: an in-toto Statement v1 with a SLSA Provenance v1
 * predicate, in a DSSE envelope signed with the release key.
 *
 * The statement is a function of release.json and lock.json alone, so
 * `verify` recomputes it and compares byte for byte:
 *   subject: every artifact release.json lists (name, sha256), sorted
 *   predicate.buildDefinition.buildType = PROVENANCE_BUILD_TYPE
 *     externalParameters: {"manifest": {"digest": {"sha256"}}, "name",
 *                          "version", "epoch"}
 *     resolvedDependencies: the manifest, the lock file, every package of
 *       lock.json (uri = its PURL, as the SBOMs name it), the kernel source
 *       and the kernel configuration inputs, the firmware measured
 *   predicate.runDetails.builder.id = PROVENANCE_BUILDER_ID, version
 *       {"guestimg": VERSION}
 * No timestamps, no host names or paths: the same release gives the same
 * statement. The envelope (DSSE v1, canonical JSON):
 *   {"payload": base64(statement), "payloadType": "application/vnd.in-toto+json",
 *    "signatures": [{"sig": base64(signature over PAE(payloadType, statement))}]}
 * with release_sign()'s signature (Ed25519 over the PAE bytes, or ECDSA
 * P-384 / SHA-384, DER). docs/provenance.md documents each field. */
#ifndef GUESTIMG_RELEASE_PROVENANCE_H
#define GUESTIMG_RELEASE_PROVENANCE_H

#include "release/release.h"
#include "release/verify.h"

#include <stddef.h>
#include <stdint.h>

#define PROVENANCE_FILE "provenance.dsse.json"
#define PROVENANCE_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define PROVENANCE_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define PROVENANCE_PREDICATE_TYPE "https://slsa.dev/provenance/v1"
#define PROVENANCE_BUILD_TYPE "https://guestimg.dev/build-types/release/v1"
#define PROVENANCE_BUILDER_ID "https://guestimg.dev/builders/guestimg-cli"

struct package_set;

/* The statement (canonical JSON, allocated) for a release and the
 * packages of its lock file (NULL: none). */
char *provenance_statement(const struct release *r, const struct package_set *pkgs);
/* The same with the packages of DIR/lock.json, when release.json lists
 * it (read as verify reads artifacts: a regular file right in DIR). NULL
 * with the error set when it cannot be read. */
#define PROVENANCE_LOCK_FILE "lock.json"
char *provenance_statement_in_dir(const struct release *r, const char *dir);
/* DSSE's pre-authentication encoding:
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, allocated. */
uint8_t *dsse_pae(const char *type, const uint8_t *body, size_t len, size_t *out_len);
/* Sign statement with the key and write the envelope to path (atomic). */
int provenance_write(const char *path, const char *statement, const char *key_path);

/* An envelope read back (untrusted: every field typed and checked). */
struct dsse_envelope {
    char *payload_type;
    uint8_t *payload;
    size_t payload_len;
    uint8_t **sigs;
    size_t *sig_lens;
    size_t nsigs;
};
/* Parse envelope text; `what` names it in errors. */
int dsse_parse(const char *text, size_t len, const char *what, struct dsse_envelope *e);
void dsse_free(struct dsse_envelope *e);

/* verify's checks of DIR/PROVENANCE_FILE, one report each: a DSSE
 * envelope of an in-toto statement, signed by pubkey (when given), whose
 * subjects are r's artifacts and whose bytes are the statement r and its
 * lock file give. Returns how many failed. An absent file is no check
 * at all: unsigned builds, and releases made before, have none. */
int provenance_check(const struct release *r, const char *dir, const char *pubkey, verify_report_fn report,
                     void *ctx);

#endif
