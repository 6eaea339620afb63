/* RPM package files: a small, bounds-checked reader of the lead, the
 * signature header and the main header (no librpm: it would bring its
 * macro files, host configuration and database into a build that must
 * depend on nothing but its inputs, and we need only a dozen tags).
 *
 * The header carries the package metadata and, per file, the path, mode,
 * owner and group names, capabilities and digests; the payload after it
 * is a compressed cpio archive that carries only numbers (builder/packages/unpack
 * reads it). Every offset and count is checked against the bytes present;
 * a file that lies is an error naming the package and the tag. */
#ifndef GUESTIMG_RPM_H
#define GUESTIMG_RPM_H

#include "builder/packages/package.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Header tags read (rpmtag.h numbering). */
enum {
    RPMTAG_NAME = 1000, RPMTAG_VERSION = 1001, RPMTAG_RELEASE = 1002, RPMTAG_EPOCH = 1003,
    RPMTAG_SUMMARY = 1004, RPMTAG_VENDOR = 1011, RPMTAG_LICENSE = 1014, RPMTAG_URL = 1020,
    RPMTAG_ARCH = 1022, RPMTAG_OLDFILENAMES = 1027, RPMTAG_FILESIZES = 1028, RPMTAG_FILEMODES = 1030,
    RPMTAG_FILERDEVS = 1033, RPMTAG_FILEMTIMES = 1034, RPMTAG_FILEDIGESTS = 1035, RPMTAG_FILELINKTOS = 1036,
    RPMTAG_FILEFLAGS = 1037, RPMTAG_FILEUSERNAME = 1039, RPMTAG_FILEGROUPNAME = 1040,
    RPMTAG_SOURCERPM = 1044, RPMTAG_FILEDEVICES = 1095, RPMTAG_FILEINODES = 1096,
    RPMTAG_SOURCEPACKAGE = 1106, RPMTAG_DIRINDEXES = 1116, RPMTAG_BASENAMES = 1117, RPMTAG_DIRNAMES = 1118,
    RPMTAG_PAYLOADFORMAT = 1124, RPMTAG_PAYLOADCOMPRESSOR = 1125, RPMTAG_LONGFILESIZES = 5008,
    RPMTAG_FILECAPS = 5010, RPMTAG_FILEDIGESTALGO = 5011, RPMTAG_PAYLOADDIGEST = 5092,
    RPMTAG_PAYLOADDIGESTALGO = 5093,
    RPMSIGTAG_SHA256 = 273,
};

/* FILEFLAGS bits that matter when unpacking. */
#define RPMFILE_CONFIG (1u << 0)
#define RPMFILE_GHOST (1u << 6)   /* listed, not in the payload: nothing to unpack */

/* FILEDIGESTALGO / PAYLOADDIGESTALGO values (OpenPGP hash ids). */
#define RPM_HASH_MD5 1
#define RPM_HASH_SHA256 8

struct rpm_file {
    char *path;          /* absolute: "/usr/bin/ping" */
    uint32_t mode;       /* st_mode: type and permission bits */
    uint64_t size;
    uint32_t rdev;
    uint32_t mtime;
    uint32_t flags;      /* RPMFILE_* */
    uint32_t device, inode;   /* equal pairs (with nlink > 1) are hard links */
    uint32_t nlink;      /* how many files of the package share device and inode */
    const char *user, *group;   /* names */
    const char *linkto;  /* symlink target ("" otherwise) */
    const char *digest;  /* hex, "" when none */
    const char *caps;    /* "cap_net_raw=ep" form, NULL when none */
};

struct rpm_package {
    struct package meta;       /* name, epoch, version, release, arch, license, source, vendor, url, summary */
    struct rpm_file *files;    /* sorted by path */
    size_t nfiles;
    uint32_t file_digest_algo; /* RPM_HASH_* */
    const char *payload_format;     /* "cpio" */
    const char *payload_compressor; /* "zstd", "xz", "gzip", … */
    uint64_t payload_offset;   /* where the compressed payload starts in the file */
    uint8_t header_sha256[32];
    const char *payload_digest;     /* hex sha256 of the compressed payload, NULL when absent */
    uint8_t *sig_blob, *hdr_blob;   /* the headers' bytes; the const char * above point here */
};

/* Read and check an RPM's lead and headers from an open file (read with
 * pread; the offset is left alone). name is used in messages. */
int rpm_read(int fd, const char *name, struct rpm_package *out);
/* The same from memory (for the fuzzer and tests); len may extend past
 * the headers (the payload follows). */
int rpm_read_mem(const uint8_t *buf, size_t len, const char *name, struct rpm_package *out);
void rpm_package_free(struct rpm_package *p);

/* The file entry for an absolute path, or NULL. */
const struct rpm_file *rpm_find_file(const struct rpm_package *p, const char *path);

/* Turn a capability text as rpm stores it ("cap_net_raw,cap_net_admin=ep",
 * cap_to_text syntax) into a security.capability xattr value (struct
 * vfs_cap_data, revision 2, 20 bytes). Returns 20 or -EINVAL (message set,
 * naming what). */
int rpm_caps_to_xattr(const char *text, const char *what, uint8_t out[20]);

#endif
