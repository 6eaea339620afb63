/* A release's IGVM guest files (the AKS launch path): built by `guestimg
 * build` from the release's own kernel, the command line with the image's
 * dm-verity table, and the manifest's ACPI tables; rebuilt by `verify` from
 * the release's files alone, so a difference can be named by the input it
 * comes from. One path builds both times: release_igvm_make(). */
#ifndef GUESTIMG_RELEASE_IGVM_H
#define GUESTIMG_RELEASE_IGVM_H

#include "builder/manifest/manifest.h"
#include "measure/igvm_build.h"
#include "release/release.h"

#include <stddef.h>

/* File names in a release, as AKS's igvm-builder names them. */
#define IGVM_FILE "kata-containers-igvm.img"
#define IGVM_DEBUG_FILE "kata-containers-igvm-debug.img"
#define IGVM_MEASUREMENT_FILE "igvm-measurement.cose"
#define IGVM_DEBUG_MEASUREMENT_FILE "igvm-debug-measurement.cose"
/* ACPI tables travel in the release as "acpi-NAME" (NAME as in the
 * manifest's measure.igvm.acpi directory). */
#define IGVM_ACPI_PREFIX "acpi-"

/* Whether name is one of the files above (or an ACPI table's): the image
 * and the firmware must not take it. */
bool release_igvm_reserved_name(const char *name);

/* The manifest's command-line template with "{dm-verity}" replaced by
 * table. Allocated. */
char *release_igvm_cmdline(const char *tmpl, const char *table);

/* Build every IGVM the manifest asks for into dir, where the kernel already
 * is (file name kernel): copies the ACPI tables in, writes each IGVM and its
 * measurement file, and returns the entries for release.json (*out
 * allocated; free with release_igvms_free). cmdline: the release's command
 * line, for an IGVM whose manifest gives none; table: the image's
 * dm-verity table. */
int release_igvm_build_all(const char *dir, const char *kernel, const struct manifest_measure *ms,
                           const char *cmdline, const char *table, struct release_igvm **out, size_t *n);

/* The ID key digest and guest policy of the IGVM file at path, into g;
 * fails when its SNP ID block is missing or its signature does not verify. */
int release_igvm_describe(const char *path, struct release_igvm *g);

/* Rebuild the IGVM entry g describes from the files in dir (its kernel,
 * its ACPI tables) and its settings (guest policy included), as
 * release_igvm_build_all made it. */
int release_igvm_make(const char *dir, const char *kernel, const struct release_igvm *g, uint32_t svn,
                      struct igvm_build_result *res);

/* Where a (kernel-)file of len bytes at data first differs from res's
 * bytes, named by the input that region came from ("kernel", "cmdline",
 * "acpi DSDT", …, or "file headers"); NULL when identical. Allocated. */
char *release_igvm_first_difference(const struct igvm_build_result *res, const uint8_t *data, size_t len);

void release_igvms_free(struct release_igvm *v, size_t n);

#endif
