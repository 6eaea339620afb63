/* `guestimg report-html`: a release as one self-contained HTML page for
 * the people who consume it: what is in the image (packages with versions
 * and licences, package sizes as a CSS bar chart), every artifact's hash,
 * the dm-verity parameters, every measurement and what it covers, the
 * kernel's provenance, and what changed since an earlier release. No
 * scripts, no network, no external style sheet; deterministic bytes.
 * docs/page.md describes the sections. */
#ifndef GUESTIMG_RELEASE_PAGE_H
#define GUESTIMG_RELEASE_PAGE_H

struct page_opts {
    const char *release_path;  /* RELEASE_DIR/release.json (lock.json, sbom.cdx.json beside it) */
    const char *since_path;    /* an older release.json (its lock.json beside it), or NULL */
    const char *out_path;      /* the HTML file, written atomically */
};

int release_page_write(const struct page_opts *o);
/* The page's text (allocated), for the same inputs. */
char *release_page_html(const struct page_opts *o);

#endif
