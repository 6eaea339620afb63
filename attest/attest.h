/* Verifying an SEV-SNP attestation report with AMD's certificates, through
 * OpenSSL: the ARK (AMD root key) signs itself and the ASK (AMD signing
 * key), the ASK signs the VCEK (the chip's versioned endorsement key), all
 * RSASSA-PSS with SHA-384; the VCEK signs the report (ECDSA P-384,
 * SHA-384). The VCEK's AMD extensions (1.3.6.1.4.1.3704.1.*) name the
 * product, the TCB it was derived for and the chip's hardware ID, which
 * must be the report's.
 *
 * Certificate validity dates are not checked: the verdict depends on the
 * inputs only, never on the clock (AMD's VCEKs outlive their dates in
 * practice; revocation is a matter for AMD's CRL, not checked here). */
#ifndef GUESTIMG_MEASURE_ATTEST_H
#define GUESTIMG_MEASURE_ATTEST_H

#include "attest/report.h"

#include <openssl/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VCEK_HWID_MAX 64

/* What a VCEK's AMD extensions say. */
struct vcek_info {
    char product[64];              /* productName: "Milan-B0", "Turin" */
    enum report_generation generation; /* from the product name; UNKNOWN if foreign */
    uint8_t spl[10];               /* blSPL…fmcSPL by OID arc 1.3.N (index N) */
    bool has_spl[10];
    uint8_t hwid[VCEK_HWID_MAX];   /* 64 bytes (Milan, Genoa) or 8 (Turin) */
    size_t hwid_len;
};

/* Certificate roles, for error messages and key-type rules. */
enum attest_role { ATTEST_ARK, ATTEST_ASK, ATTEST_VCEK };

/* One of AMD's keys as pinned in attest/amd_roots.c: the SHA-256 of its
 * DER SubjectPublicKeyInfo, lower-case hex. */
struct amd_root {
    enum report_generation generation;
    enum attest_role role;         /* ATTEST_ARK or ATTEST_ASK */
    const char *name;              /* the certificate's CN: "ARK-Milan" */
    const char *spki_sha256;
};

/* The pinned table (attest/amd_roots.c), and a lookup by digest (NULL:
 * not one of AMD's keys). */
const struct amd_root *attest_amd_roots(size_t *n);
const struct amd_root *attest_amd_root_find(const char spki_sha256_hex[65]);
/* SHA-256 of a certificate's DER SubjectPublicKeyInfo, as 64 hex digits. */
int attest_spki_sha256(X509 *x, char out[65]);

/* One certificate from a PEM or DER file; the key must suit the role (RSA
 * for ARK and ASK, EC P-384 for the VCEK). NULL with the error set, naming
 * the file, when it is unreadable, not a certificate, holds more than one,
 * or has the wrong key. */
X509 *attest_cert_load(const char *path, enum attest_role role);
/* AMD's key server's cert_chain: PEM, the ASK then the ARK. */
int attest_chain_load(const char *path, X509 **ask, X509 **ark);

/* Read a VCEK's extensions (what names it in errors). An error when the
 * product name, an SPL the product's generation needs, or the hwID is
 * missing or malformed. */
int attest_vcek_info(X509 *vcek, const char *what, struct vcek_info *info);
/* The VCEK's TCB, as its extensions give it for its generation. */
int attest_vcek_tcb(const struct vcek_info *info, struct report_tcb *t);

struct attest_opts {
    const struct report *report;
    X509 *ark, *ask, *vcek;
    /* The root the user trusts instead of AMD's pinned ARKs (--trust-ark):
       the ARK must have its key. NULL: the ARK must be AMD's for the VCEK's
       generation. */
    X509 *trusted_ark;
    const char *trusted_ark_what;  /* names it in the check's line (its file) */
    const char *vcek_what;         /* names the VCEK in errors (its file) */
    enum report_generation generation;   /* the user's word (UNKNOWN: none) */
};

struct attest_check {
    bool ok;
    const char *id;                /* stable: "root", "ark", "ask", "vcek", "report_signature",
                                      "generation", "reported_tcb", "chip_id"; and
                                      attest/appraise.h's */
    const char *what;              /* "ASK signed by ARK", "reported TCB", … */
    const char *expected;          /* what it should be (may be NULL when ok) */
    const char *actual;            /* what it is */
};

typedef void (*attest_report_fn)(const struct attest_check *c, void *ctx);

/* The checks' plumbing, shared with attest/appraise.c. */
struct attest_checker {
    const char *id;      /* of the check running */
    attest_report_fn report;
    void *ctx;
    int failed;
};
void attest_pass(struct attest_checker *c, const char *what);
void attest_fail(struct attest_checker *c, const char *what, const char *expected, const char *actual);
/* The chain checks, each reported through c (failures counted there): "root"
 * (the ARK is AMD's for the VCEK's generation, or the --trust-ark root),
 * "ark", "ask", "vcek", "report_signature", "generation", "reported_tcb",
 * "chip_id". *v receives the VCEK's extensions. A negative error (message
 * set) when those are unreadable; what the report says about its launch is
 * attest/appraise.h's. */
int attest_verify_chain(const struct attest_opts *o, struct attest_checker *c, struct vcek_info *v);

#endif
