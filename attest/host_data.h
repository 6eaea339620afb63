/* HOST_DATA from what a pod's owner holds: the report's 32 bytes at 0xC0,
 * set by the host at launch. Two rules (sources in docs/report.md and
 * tests/fixtures/reference/attestation/HOST_DATA.md):
 *
 *  - AKS's agent policy: SHA-256 of the policy text, as the Kata shim
 *    computes it from the io.katacontainers.config.agent.policy annotation
 *    (base64 of the text);
 *  - Kata/CoCo initdata: the TOML document's declared algorithm (sha256,
 *    sha384, sha512) over its bytes exactly, the first 32 bytes of the
 *    digest, zero-padded when shorter; the cc_init_data annotation carries
 *    base64(gzip(TOML)).
 *
 * Every input is untrusted: not text (UTF-8 without control characters
 * other than tab, CR, LF), bad base64, not gzip, a gzip stream that
 * expands past HOST_DATA_TEXT_MAX, a TOML header this reader cannot follow,
 * an unknown version or algorithm: an error naming the input. */
#ifndef GUESTIMG_MEASURE_HOST_DATA_H
#define GUESTIMG_MEASURE_HOST_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_DATA_LEN 32
#define HOST_DATA_TEXT_MAX (16u << 20)   /* policies and initdata are kilobytes */

/* What a document's digest was, before it was fitted to HOST_DATA. */
struct host_data_source {
    char algorithm[8];       /* "sha256", "sha384", "sha512" */
    char version[16];        /* initdata only: "0.1.0" */
    uint8_t digest[64];
    size_t digest_len;
};

/* The agent policy's HOST_DATA: buf is the policy text, or (base64) the
 * annotation's value. */
int host_data_policy(const uint8_t *buf, size_t len, bool base64, const char *what,
                     uint8_t out[HOST_DATA_LEN], struct host_data_source *src);

/* The initdata's HOST_DATA: buf is the TOML document, or (base64) the
 * annotation's value, base64 of its gzip. */
int host_data_initdata(const uint8_t *buf, size_t len, bool base64, const char *what,
                       uint8_t out[HOST_DATA_LEN], struct host_data_source *src);

/* The pieces, for tests and fuzzing. */
/* Whether buf is text as above; an error naming what and the offset when not. */
int host_data_check_text(const uint8_t *buf, size_t len, const char *what);
/* Decode base64 text (surrounding whitespace allowed); *out allocated. */
int host_data_base64(const uint8_t *buf, size_t len, const char *what, uint8_t **out, size_t *out_len);
/* Decompress one gzip stream of at most HOST_DATA_TEXT_MAX bytes; *out allocated. */
int host_data_gunzip(const uint8_t *buf, size_t len, const char *what, uint8_t **out, size_t *out_len);
/* The top-level version and algorithm of an initdata TOML document (the
 * keys before its first table); only those are read, the digest covers the
 * bytes as they are. */
int initdata_header(const char *text, size_t len, const char *what, char version[16], char algorithm[8]);

#endif
