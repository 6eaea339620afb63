/* Helpers the two SBOM writers share. */
#ifndef GUESTIMG_SBOM_INTERNAL_H
#define GUESTIMG_SBOM_INTERNAL_H

#include "sbom/sbom.h"

#include <jansson.h>
#include <stdbool.h>

/* One package prepared for either format, in output order (by PURL). */
struct sbom_pkg {
    const struct package *p;
    char *purl;
    char *evr;          /* "EPOCH:VERSION-RELEASE", epoch only when non-zero */
};

struct sbom_pkgs {
    struct sbom_pkg *v;      /* sorted by PURL */
    size_t n;
    size_t *by_name;         /* indices into v, sorted by package name */
};

/* Validate the input and prepare its packages. Sets the error naming the
 * package or field at fault. */
int sbom_prepare(const struct sbom_input *in, struct sbom_pkgs *out);
void sbom_pkgs_free(struct sbom_pkgs *s);
/* The packages a dependency names (a name, not a build of it: several
 * architectures may match): their indices into v, *count of them. */
const size_t *sbom_named(const struct sbom_pkgs *s, const char *name, size_t *count);

/* RFC 3339 UTC time of the epoch; false when out of range (years 1970-9999). */
bool sbom_time(int64_t epoch, char out[21]);
/* The document's UUID: version 5, from the format name and the digests of
 * the image and kernel it describes. */
void sbom_document_uuid(const struct sbom_input *in, const char *format, char out[37]);

/* Whether s is a well-formed SPDX license expression (SPDX 2.3 annex D
 * syntax: ids, LicenseRef-/DocumentRef-, "+", AND, OR, WITH, parentheses). */
bool sbom_license_is_expression(const char *s);
/* Split a vendor / maintainer field "Name <email>" into its parts
 * (allocated; *email NULL when there is none). */
void sbom_split_contact(const char *s, char **name, char **email);
/* http(s) URLs only: other locations (local paths) say nothing to a reader
 * and would leak host paths. */
bool sbom_is_web_url(const char *s);

/* A JSON string of s; bytes that are not UTF-8 (old package metadata in
 * Latin-1) become U+FFFD, so no field is ever dropped. */
json_t *sbom_jstr(const char *s);
/* qsort comparator for an array of C strings. */
int sbom_cmp_str(const void *a, const void *b);
/* The fixed identifiers of the image and the kernel in both formats. */
#define SPDX_ID_IMAGE "SPDXRef-Image"
#define SPDX_ID_KERNEL "SPDXRef-Kernel"
#define CDX_REF_IMAGE "image"
#define CDX_REF_KERNEL "kernel"

#endif
