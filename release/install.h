/* `guestimg install`: lay a verified release out where Kata Containers on
 * an AKS confidential node looks for it, and write the runtime's
 * configuration for it.
 *
 * Under ROOT (the node's root, or an image staging tree) and PREFIX
 * (default /opt/confidential-containers):
 *   PREFIX/share/kata-containers/           the guest: image, IGVM files,
 *                                            root_hash.txt, kernel, firmware,
 *                                            guestimg-release.json (+ .sig),
 *                                            guestimg-provenance.dsse.json
 *   PREFIX/share/defaults/kata-containers/   configuration-clh-snp.toml,
 *                                            configuration-clh-snp-debug.toml,
 *                                            configuration-qemu-snp.toml
 * The paths inside the TOML files are the node's (PREFIX/…), without ROOT.
 * docs/install.md lists each key and where its value comes from. */
#ifndef GUESTIMG_RELEASE_INSTALL_H
#define GUESTIMG_RELEASE_INSTALL_H

#include "release/verify.h"

#include <stdbool.h>
#include <stddef.h>

#define INSTALL_PREFIX_DEFAULT "/opt/confidential-containers"

struct install_opts {
    const char *release_dir;  /* holds release.json and the artifacts */
    const char *root;         /* an existing directory */
    const char *prefix;       /* absolute, no "." or ".." components; NULL: the default */
    const char *pubkey;       /* PEM; NULL: the signature is not checked */
};

struct install_entry {
    char *path;               /* the node's path (PREFIX/…) */
    bool changed;             /* false: the file was there with these bytes already */
};

struct install_result {
    unsigned checks;          /* verify checks run (all passed) */
    struct install_entry *entries;
    size_t nentries;
};

/* Verifies the release (release_verify: any failed check refuses the
 * install, naming the first), then stages every file as a temporary beside
 * its destination and renames them all into place. Nothing outside ROOT is
 * written, no symbolic link under ROOT is followed, and a failure before
 * the renames leaves ROOT as it was (directories it created removed). */
int release_install(const struct install_opts *o, struct install_result *res);
void install_result_free(struct install_result *res);

/* A TOML basic string ("…" with \" \\ and control characters escaped),
 * allocated. */
char *toml_string(const char *s);

#endif
