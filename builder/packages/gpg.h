/* OpenPGP detached signatures (a repository's repomd.xml.asc), checked by
 * running gpgv, GnuPG's verify-only tool, as tdnf and dnf-era tools do:
 * OpenPGP is too large a format to parse here, and gpgv trusts nothing but
 * the keyring it is given — no ~/.gnupg, no trust database, no network.
 * It runs through posix_spawn (no shell) in a private temporary home. */
#ifndef GUESTIMG_GPG_H
#define GUESTIMG_GPG_H

#include <stddef.h>
#include <stdint.h>

/* Verify sig (armored or binary) over data with the public key(s) in
 * keyfile (ASCII-armored or binary). what names the data in messages:
 * "repository base: repomd.xml". 0, or -EBADMSG with a message saying why
 * (bad signature, unknown key, not a signature, gpgv missing). */
int gpg_verify_detached(const char *keyfile, const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen,
                        const char *what);

#endif
