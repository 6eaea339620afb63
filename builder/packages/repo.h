/* Package resolution: rpm-md repositories and local package files into a
 * lock (builder/packages/lock.h), with libsolv as tdnf uses it.
 *
 * For each repository: repodata/repomd.xml is fetched and, when the
 * manifest gives a gpgkey, its detached signature repomd.xml.asc must
 * verify against that key; the primary metadata (gz, xz or zst) is fetched
 * through the cache against the checksum repomd.xml gives for it, and
 * loaded with repo_add_rpmmd. Local .rpm files join the pool (their
 * dependencies are resolved too). Each package name becomes the one
 * package tdnf would install for it (the newest of that name, or one that
 * obsoletes it, or the newest provider), installed with tdnf's solver
 * flags; weak dependencies (Recommends, Supplements) only with weak-deps:
 * true. filelists.xml is read, like tdnf does, when a file dependency
 * names a file primary.xml does not list (outside /etc and bin/).
 *
 * .deb files and tarballs are taken as they are: nothing is resolved for
 * them; their "depends" lists the packages of the set their Depends and
 * Pre-Depends name. */
#ifndef GUESTIMG_REPO_H
#define GUESTIMG_REPO_H

#include "builder/packages/fetch.h"
#include "builder/packages/lock.h"
#include "builder/manifest/manifest.h"

int repo_resolve(const struct manifest *m, struct fetcher *f, struct lock *out);

/* For tests and the fuzzer: read repomd.xml and an uncompressed
 * primary.xml from memory and describe each package as a lock would
 * (sorted, URL under baseurl, size, sha256; no depends). */
int repo_parse_metadata(const uint8_t *repomd, size_t repomd_len, const uint8_t *primary, size_t primary_len,
                        const char *baseurl, struct package_set *out);

#endif
