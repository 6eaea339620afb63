/* Software bills of materials: SPDX 2.3 JSON and CycloneDX 1.5 JSON, both
 * made from one description of a release (its packages, its image and its
 * kernel). The output is canonical JSON (common/json.h) with every list
 * sorted and every identifier derived from the artifacts' digests, so the
 * same inputs always give the same bytes. */
#ifndef GUESTIMG_SBOM_H
#define GUESTIMG_SBOM_H

#include "builder/packages/package.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A built file the SBOM describes besides the packages. */
struct sbom_artifact {
    const char *name;        /* what it is: the release name for the image, "linux" for the kernel */
    const char *version;
    const char *file_name;   /* as published: "kata-containers.img", "vmlinuz" */
    const char *sha256;      /* hex */
    const char *origin;      /* where it came from, in words (SPDX sourceInfo, CycloneDX
                                pedigree notes); NULL: not said */
    bool carries_kernel;     /* sbom_input.files only */
};

struct sbom_input {
    const char *name, *version;          /* the release */
    int64_t epoch;                       /* creation time (seconds since 1970, UTC) */
    const struct sbom_artifact *image;   /* contains the packages */
    const struct sbom_artifact *kernel;  /* NULL when the release has none */
    const struct package_set *packages;
    /* Further built files (the IGVM guest files, the ACPI tables they
     * carry), sorted by file name; those with carries_kernel hold the
     * kernel (SPDX: CONTAINS; CycloneDX: a dependency). */
    const struct sbom_artifact *files;
    size_t nfiles;
};

/* The documents as canonical JSON text (allocated), or NULL with the error
 * set (a package listed twice, a malformed digest). */
char *sbom_spdx(const struct sbom_input *in);
char *sbom_cyclonedx(const struct sbom_input *in);

/* Package URL: pkg:rpm/azurelinux/NAME@VERSION-RELEASE?arch=A&epoch=E (epoch
 * only when non-zero), pkg:deb/debian/NAME@[EPOCH:]VERSION?arch=A,
 * pkg:generic/NAME@VERSION for tarballs. Allocated. */
char *sbom_purl(const struct package *p);

/* A package as an SBOM lists it: its PURL and the sha256 of its file
 * (NULL when the entry has none). */
struct sbom_package_digest {
    char *purl, *sha256;
};

/* What an SBOM file says about the image, the kernel and the packages:
 * their sha256 as recorded (NULL when absent). Reads either format (told
 * apart by its content); sets the error naming the file when it is
 * neither. */
struct sbom_digests {
    char *image_sha256, *kernel_sha256;
    struct sbom_package_digest *packages;   /* entries with a PURL, in document order */
    size_t npackages;
};
int sbom_read_digests(const char *path, struct sbom_digests *d);
/* The same from text in memory (untrusted); path names it in errors. */
int sbom_parse_digests(const char *text, size_t len, const char *path, struct sbom_digests *d);
void sbom_digests_free(struct sbom_digests *d);

#endif
