/* `guestimg publish --oci-layout DIR`: a release as an OCI artifact in an
 * OCI image layout (image-spec 1.1), deterministic bytes:
 *   DIR/oci-layout          {"imageLayoutVersion":"1.0.0"}
 *   DIR/index.json          the release manifest (ref name TAG), and the
 *                           signature manifest (ref name "sha256-HEX.sig")
 *   DIR/blobs/sha256/HEX    every file and manifest by its sha256
 * The release manifest: artifactType OCI_RELEASE_ARTIFACT_TYPE, config the
 * empty descriptor, one layer per file (release.json first, then its
 * artifacts by name), each with a media type and the
 * org.opencontainers.image.title annotation naming the file. The signature
 * manifest (release.json.sig, provenance.dsse.json when the release has
 * them) carries the release manifest as its subject: a referrer.
 * docs/oci.md lists the media types. */
#ifndef GUESTIMG_RELEASE_OCI_H
#define GUESTIMG_RELEASE_OCI_H

#define OCI_RELEASE_ARTIFACT_TYPE "application/vnd.guestimg.release.v1+json"
#define OCI_SIGNATURE_ARTIFACT_TYPE "application/vnd.guestimg.release.signature.v1"

struct oci_opts {
    const char *release_dir;
    const char *layout_dir;  /* absent, empty or an OCI layout (holds oci-layout): replaced whole */
    const char *tag;         /* NULL: the release's version */
};

/* The release's files are checked against release.json (size, sha256) as
 * they are copied; the layout is built beside DIR and renamed into place. */
int release_publish_oci(const struct oci_opts *o, char manifest_digest[72]);

#endif
