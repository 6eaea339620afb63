/* Debian binary packages (.deb): an ar archive of debian-binary,
 * control.tar.* (the control file: name, version, architecture,
 * dependencies) and data.tar.* (the files, unpacked by builder/packages/unpack).
 * Read with libarchive; the control file is parsed here, checked for
 * length and syntax. */
#ifndef GUESTIMG_DEB_H
#define GUESTIMG_DEB_H

#include "builder/packages/package.h"

#include <stddef.h>

struct archive;

struct deb_info {
    struct package meta;   /* name, epoch, version (upstream-revision), arch, vendor (Maintainer),
                              url (Homepage), source, summary; release NULL */
    char **requires;       /* package names from Depends and Pre-Depends, every alternative */
    size_t nrequires;
    char **provides;       /* names from Provides */
    size_t nprovides;
};

/* Read the control file of the .deb open on fd (read from offset 0). */
int deb_read_info(int fd, const char *name, struct deb_info *out);
/* Parse control file text (for tests and the fuzzer). */
int deb_parse_control(const char *text, size_t len, const char *name, struct deb_info *out);
void deb_info_free(struct deb_info *d);

/* Open the member of the .deb on fd whose name starts with prefix
 * ("control.tar", "data.tar") as a tar reader (read its entries with
 * archive_read_next_header). Free *inner before *outer. */
int deb_open_member(int fd, const char *name, const char *prefix, struct archive **outer, struct archive **inner);

#endif
