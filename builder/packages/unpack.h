/* Package payloads into the rootfs tree (libarchive): RPM (cpio, gzip / xz
 * / zstd / bzip2), .deb (data.tar.*) and tarballs.
 *
 * For RPMs the header is the truth: every payload entry must be a file the
 * header lists, and its type, mode, owner and group names, symlink target,
 * capabilities (security.capability) and sha256 come from there; the cpio
 * entry only supplies the bytes. Every header file but %ghost ones must be
 * in the payload, the payload must match the header's payload digest and
 * each file its FILEDIGESTS entry. Hard links are the header's (same
 * device and inode). Nothing runs: scriptlets and triggers are ignored.
 *
 * Paths are placed as rpm and dpkg would on a disk: a directory component
 * that is a symlink already in the image (/bin -> usr/bin) is followed,
 * inside the image. Owners named by packages are resolved later, once the
 * image's accounts are known (unpack_resolve_owners). */
#ifndef GUESTIMG_UNPACK_H
#define GUESTIMG_UNPACK_H

#include "builder/packages/accounts.h"
#include "builder/packages/package.h"

struct tree;

/* Owner names waiting for the image's accounts. */
struct owner_ref;
struct unpack_owners {
    struct owner_ref *v;
    size_t n;
};

/* Unpack the package open on fd (its digest already checked) into t under
 * t's current policy; origin names it in the tree and in errors. meta
 * receives the package's own metadata (name, EVR, arch, license, vendor,
 * url, source, summary). */
int unpack_package(struct tree *t, int fd, enum package_format format, const char *name, const char *origin,
                   struct unpack_owners *owners, struct package *meta);
/* Give every recorded entry its owner's ids; a name the accounts lack is
 * an error naming the package, path and name (a dpkg-style numeric id from
 * a tar header is used instead when there is one). */
int unpack_resolve_owners(struct tree *t, const struct unpack_owners *o, const struct accounts *a);
void unpack_owners_free(struct unpack_owners *o);

/* The image path where path lands once the symlinks among its directory
 * components are followed inside the tree. Allocated; NULL on a loop. */
char *unpack_resolve_path(struct tree *t, const char *path, const char *origin);

/* Copy one regular file of a package's payload (member, an absolute path)
 * to out_path (atomically): the kernel from a kernel package. */
int unpack_extract(int fd, enum package_format format, const char *name, const char *member, const char *out_path);

#endif
