/* A package that went into an image: what the SBOM, the lock file and the
 * release manifest say about it. Filled by the package sources (rpm-md
 * repositories, local .rpm/.deb files, tarballs). */
#ifndef GUESTIMG_PACKAGE_H
#define GUESTIMG_PACKAGE_H

#include "builder/manifest/manifest.h"   /* enum package_format */

#include <stddef.h>
#include <stdint.h>

struct package {
    enum package_format format;
    char *name;
    uint32_t epoch;              /* 0 when none */
    char *version, *release;     /* release NULL for debs (the Debian revision is in version) */
    char *arch;                  /* "x86_64", "noarch", "amd64", "all" */
    char *license;               /* as the package declares it */
    char *source;                /* source package (rpm: SOURCERPM, deb: Source:) */
    char *vendor;                /* rpm Vendor / deb Maintainer: the SBOM's supplier */
    char *url;                   /* upstream home page */
    char *summary;
    char *repo;                  /* repository name from the manifest; NULL for local files */
    char *location;              /* URL or path it was fetched from */
    uint64_t size;               /* bytes of the package file */
    char sha256[65];             /* of the package file, hex */
    char **depends;              /* names of the packages (in this set) it depends on, sorted */
    size_t ndepends;
};

struct package_set {
    struct package *v;
    size_t n;
};

void package_set_free(struct package_set *s);
/* Free one package's strings and zero it (the struct itself is the caller's). */
void package_clear(struct package *p);
/* "EPOCH:VERSION-RELEASE" with "EPOCH:" only when non-zero; allocated. */
char *package_evr(const struct package *p);

#endif
