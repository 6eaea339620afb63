/* The release page (release/page.h). */
#include "release/page.h"
#include "builder/packages/lock.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "release/release.h"
#include "sbom/sbom.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

struct side {
    struct release r;
    struct lock lock;
    bool have_lock;
    json_t *cdx;              /* sbom.cdx.json, or NULL */
};

static void html(struct strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sb_puts(sb, "&amp;"); break;
        case '<': sb_puts(sb, "&lt;"); break;
        case '>': sb_puts(sb, "&gt;"); break;
        case '"': sb_puts(sb, "&quot;"); break;
        case '\'': sb_puts(sb, "&#39;"); break;
        default: sb_add(sb, s, 1);
        }
    }
}

static void cell(struct strbuf *sb, const char *s)
{
    sb_puts(sb, "<td>");
    html(sb, s);
    sb_puts(sb, "</td>");
}

static void code_cell(struct strbuf *sb, const char *s)
{
    sb_puts(sb, "<td><code>");
    html(sb, s);
    sb_puts(sb, "</code></td>");
}

static void row_begin(struct strbuf *sb, const char *const *heads, size_t n, const char *id)
{
    sb_printf(sb, "<table id=\"%s\"><thead><tr>", id);
    for (size_t i = 0; i < n; i++) {
        sb_puts(sb, "<th>");
        html(sb, heads[i]);
        sb_puts(sb, "</th>");
    }
    sb_puts(sb, "</tr></thead><tbody>\n");
}

static int load_side(const char *release_path, struct side *s)
{
    memset(s, 0, sizeof(*s));
    int rc = release_load(release_path, &s->r);
    if (rc < 0)
        return rc;
    _cleanup_free_ char *copy = xstrdup(release_path);
    const char *dir = dirname(copy);
    _cleanup_free_ char *lock = xasprintf("%s/lock.json", dir), *cdx = xasprintf("%s/sbom.cdx.json", dir);
    struct stat st;
    if (release_artifact(&s->r, "lock.json") && lstat(lock, &st) == 0) {
        if ((rc = lock_read(lock, &s->lock)) < 0)
            return rc;
        s->have_lock = true;
    }
    if (release_artifact(&s->r, "sbom.cdx.json") && lstat(cdx, &st) == 0 && !(s->cdx = json_load_path(cdx)))
        return -EINVAL;
    return 0;
}

static void free_side(struct side *s)
{
    release_free(&s->r);
    if (s->have_lock)
        lock_free(&s->lock);
    json_decref(s->cdx);
}

/* The licence the CycloneDX SBOM gives the component with this PURL. */
static char *licence_of(const struct side *s, const char *purl)
{
    json_t *comps = s->cdx ? json_object_get(s->cdx, "components") : NULL, *c;
    size_t i;
    json_array_foreach(comps, i, c) {
        if (!streq(json_string_value(json_object_get(c, "purl")), purl))
            continue;
        struct strbuf sb = STRBUF_INIT;
        json_t *l;
        size_t j;
        json_array_foreach(json_object_get(c, "licenses"), j, l) {
            const char *t = json_string_value(json_object_get(l, "expression"));
            json_t *lic = json_object_get(l, "license");
            if (!t)
                t = json_string_value(json_object_get(lic, "id"));
            if (!t)
                t = json_string_value(json_object_get(lic, "name"));
            if (t)
                sb_printf(&sb, "%s%s", sb.len ? ", " : "", t);
        }
        return sb.len ? sb_detach(&sb) : (sb_release(&sb), NULL);
    }
    return NULL;
}

static void section_packages(struct strbuf *sb, const struct side *s)
{
    sb_puts(sb, "<h2 id=\"packages\">Packages</h2>\n");
    if (!s->have_lock) {
        sb_puts(sb, "<p>The release has no lock.json: no package list.</p>\n");
        return;
    }
    static const char *const heads[] = {"package", "version", "arch", "licence", "package file", "sha256"};
    row_begin(sb, heads, ARRAY_SIZE(heads), "package-table");
    uint64_t max = 1;
    for (size_t i = 0; i < s->lock.pkgs.n; i++)
        if (s->lock.pkgs.v[i].size > max)
            max = s->lock.pkgs.v[i].size;
    for (size_t i = 0; i < s->lock.pkgs.n; i++) {
        const struct package *p = &s->lock.pkgs.v[i];
        _cleanup_free_ char *evr = package_evr(p), *purl = sbom_purl(p), *lic = licence_of(s, purl);
        _cleanup_free_ char *size = xasprintf("%" PRIu64 " bytes", p->size);
        sb_puts(sb, "<tr>");
        cell(sb, p->name);
        cell(sb, evr);
        cell(sb, p->arch);
        cell(sb, lic ? lic : "unknown");
        /* the bar: the package file's size against the largest */
        sb_printf(sb, "<td><span class=\"bar\" style=\"width:%" PRIu64 "px\"></span> ", 1 + p->size * 200 / max);
        html(sb, size);
        sb_puts(sb, "</td>");
        code_cell(sb, p->sha256);
        sb_puts(sb, "</tr>\n");
    }
    sb_puts(sb, "</tbody></table>\n");
}

static void section_artifacts(struct strbuf *sb, const struct release *r)
{
    static const char *const heads[] = {"file", "bytes", "sha256"};
    sb_puts(sb, "<h2 id=\"artifacts\">Files and hashes</h2>\n");
    row_begin(sb, heads, ARRAY_SIZE(heads), "artifact-table");
    for (size_t i = 0; i < r->nartifacts; i++) {
        _cleanup_free_ char *size = xasprintf("%" PRIu64, r->artifacts[i].size);
        sb_puts(sb, "<tr>");
        cell(sb, r->artifacts[i].name);
        cell(sb, size);
        code_cell(sb, r->artifacts[i].sha256);
        sb_puts(sb, "</tr>\n");
    }
    sb_puts(sb, "</tbody></table>\n");
}

static void dl_item(struct strbuf *sb, const char *term, const char *value, bool code)
{
    sb_puts(sb, "<dt>");
    html(sb, term);
    sb_puts(sb, code ? "</dt><dd><code>" : "</dt><dd>");
    html(sb, value);
    sb_puts(sb, code ? "</code></dd>\n" : "</dd>\n");
}

static void section_verity(struct strbuf *sb, const struct release *r)
{
    const struct release_verity *v = &r->verity;
    _cleanup_free_ char *blocks = xasprintf("%" PRIu64, v->data_blocks),
                        *bs = xasprintf("%" PRIu64 " / %" PRIu64, v->data_block_size, v->hash_block_size),
                        *off = xasprintf("%" PRIu64, v->hash_offset);
    sb_puts(sb, "<h2 id=\"verity\">dm-verity</h2>\n<dl id=\"verity-params\">\n");
    dl_item(sb, "root hash", v->root_hash, true);
    dl_item(sb, "salt", v->salt[0] ? v->salt : "(none)", true);
    dl_item(sb, "data blocks", blocks, false);
    dl_item(sb, "data / hash block size", bs, false);
    dl_item(sb, "hash offset", off, false);
    dl_item(sb, "layout", v->layout, false);
    dl_item(sb, "kernel command line", r->cmdline, true);
    sb_puts(sb, "</dl>\n");
}

static char *measurement_label(const struct release_measurement *m)
{
    return xasprintf("%s %s %s %" PRIu64 " vCPU%s", m->mode, m->vmm_type, m->vcpu_type, m->vcpus,
                     m->vcpus == 1 ? "" : "s");
}

static void section_measurements(struct strbuf *sb, const struct release *r)
{
    static const char *const heads[] = {"launch", "digest", "covers"};
    _cleanup_free_ char *svn = xasprintf("%" PRIu64, r->svn);
    sb_puts(sb, "<h2 id=\"measurements\">Measurements</h2>\n");
    sb_puts(sb, "<p>Guest SVN ");
    html(sb, svn);
    sb_puts(sb, ". An attestation report's MEASUREMENT must be one of these.</p>\n");
    row_begin(sb, heads, ARRAY_SIZE(heads), "measurement-table");
    for (size_t i = 0; i < r->nmeasurements; i++) {
        const struct release_measurement *m = &r->measurements[i];
        _cleanup_free_ char *label = measurement_label(m);
        _cleanup_free_ char *covers = xasprintf("firmware (sha256 %s)%s", m->firmware_sha256,
                                                m->kernel_hashes ? ", kernel, initrd, command line"
                                                                 : " only: not the kernel, initrd or command line");
        sb_puts(sb, "<tr>");
        cell(sb, label);
        code_cell(sb, m->digest);
        cell(sb, covers);
        sb_puts(sb, "</tr>\n");
    }
    for (size_t i = 0; i < r->nigvms; i++) {
        const struct release_igvm *g = &r->igvms[i];
        _cleanup_free_ char *label = xasprintf("IGVM %s (%s)", g->name, g->variant);
        _cleanup_free_ char *covers = xasprintf("kernel, command line with the dm-verity root hash, %zu ACPI "
                                                "tables; guest policy 0x%" PRIx64,
                                                g->nacpi, g->guest_policy);
        sb_puts(sb, "<tr>");
        cell(sb, label);
        code_cell(sb, g->digest);
        cell(sb, covers);
        sb_puts(sb, "</tr>\n");
    }
    sb_puts(sb, "</tbody></table>\n");
}

static void section_kernel(struct strbuf *sb, const struct release *r)
{
    const struct release_kernel_provenance *k = &r->kernel_provenance;
    sb_puts(sb, "<h2 id=\"kernel\">Kernel provenance</h2>\n<dl id=\"kernel-provenance\">\n");
    dl_item(sb, "kernel", r->kernel, false);
    dl_item(sb, "from", k->from ? k->from : "unknown", false);
    if (k->source)
        dl_item(sb, "source", k->source, false);
    if (k->source_sha256)
        dl_item(sb, "source sha256", k->source_sha256, true);
    if (k->profile)
        dl_item(sb, "profile", k->profile, false);
    for (size_t i = 0; i < k->nconfig_inputs; i++) {
        _cleanup_free_ char *v = xasprintf("%s  %s", k->config_inputs[i].sha256, k->config_inputs[i].name);
        dl_item(sb, i == 0 ? "configuration inputs" : "", v, true);
    }
    sb_puts(sb, "</dl>\n");
}

static const struct package *find_pkg(const struct side *s, const char *name)
{
    for (size_t i = 0; s->have_lock && i < s->lock.pkgs.n; i++)
        if (!strcmp(s->lock.pkgs.v[i].name, name))
            return &s->lock.pkgs.v[i];
    return NULL;
}

static void change(struct strbuf *sb, const char *kind, const char *what, const char *detail)
{
    sb_puts(sb, "<tr>");
    cell(sb, kind);
    cell(sb, what);
    code_cell(sb, detail);
    sb_puts(sb, "</tr>\n");
}

static void package_changes(struct strbuf *sb, const struct side *cur, const struct side *old, unsigned *n)
{
    for (size_t i = 0; cur->have_lock && i < cur->lock.pkgs.n; i++) {
        const struct package *p = &cur->lock.pkgs.v[i], *q = find_pkg(old, p->name);
        _cleanup_free_ char *evr = package_evr(p), *oevr = q ? package_evr(q) : NULL;
        if (!q) {
            change(sb, "package added", p->name, evr);
            ++*n;
        } else if (strcmp(evr, oevr)) {
            _cleanup_free_ char *d = xasprintf("%s → %s", oevr, evr);
            change(sb, "package upgraded", p->name, d);
            ++*n;
        }
    }
    for (size_t i = 0; old->have_lock && i < old->lock.pkgs.n; i++)
        if (!find_pkg(cur, old->lock.pkgs.v[i].name)) {
            _cleanup_free_ char *evr = package_evr(&old->lock.pkgs.v[i]);
            change(sb, "package removed", old->lock.pkgs.v[i].name, evr);
            ++*n;
        }
}

static const struct release_measurement *find_measurement(const struct release *r, const struct release_measurement *m)
{
    for (size_t i = 0; i < r->nmeasurements; i++) {
        const struct release_measurement *x = &r->measurements[i];
        if (streq(x->mode, m->mode) && streq(x->vmm_type, m->vmm_type) && streq(x->vcpu_type, m->vcpu_type) &&
            x->vcpus == m->vcpus)
            return x;
    }
    return NULL;
}

static void measurement_changes(struct strbuf *sb, const struct release *cur, const struct release *old, unsigned *n)
{
    for (size_t i = 0; i < cur->nmeasurements; i++) {
        const struct release_measurement *m = &cur->measurements[i], *o = find_measurement(old, m);
        _cleanup_free_ char *label = measurement_label(m);
        if (!o || strcmp(o->digest, m->digest)) {
            _cleanup_free_ char *d = xasprintf("%s → %s", o ? o->digest : "(none)", m->digest);
            change(sb, o ? "measurement changed" : "measurement added", label, d);
            ++*n;
        }
    }
    for (size_t i = 0; i < old->nmeasurements; i++)
        if (!find_measurement(cur, &old->measurements[i])) {
            _cleanup_free_ char *label = measurement_label(&old->measurements[i]);
            change(sb, "measurement removed", label, old->measurements[i].digest);
            ++*n;
        }
    for (size_t i = 0; i < cur->nigvms; i++) {
        const struct release_igvm *g = &cur->igvms[i], *o = release_igvm_variant(old, g->variant);
        if (!o || strcmp(o->digest, g->digest)) {
            _cleanup_free_ char *label = xasprintf("IGVM (%s)", g->variant),
                                *d = xasprintf("%s → %s", o ? o->digest : "(none)", g->digest);
            change(sb, o ? "measurement changed" : "measurement added", label, d);
            ++*n;
        }
    }
}

static void section_since(struct strbuf *sb, const struct side *cur, const struct side *old)
{
    static const char *const heads[] = {"change", "what", "detail"};
    sb_puts(sb, "<h2 id=\"since\">Changes since ");
    html(sb, old->r.name);
    sb_puts(sb, " ");
    html(sb, old->r.version);
    sb_puts(sb, "</h2>\n");
    row_begin(sb, heads, ARRAY_SIZE(heads), "change-table");
    unsigned n = 0;
    package_changes(sb, cur, old, &n);
    measurement_changes(sb, &cur->r, &old->r, &n);
    if (strcmp(cur->r.verity.root_hash, old->r.verity.root_hash)) {
        _cleanup_free_ char *d = xasprintf("%s → %s", old->r.verity.root_hash, cur->r.verity.root_hash);
        change(sb, "image changed", "dm-verity root hash", d);
        n++;
    }
    sb_puts(sb, "</tbody></table>\n");
    if (n == 0)
        sb_puts(sb, "<p>No package, measurement or image change.</p>\n");
}

static const char STYLE[] =
    "body{font-family:sans-serif;margin:2em;max-width:80em}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee}code{font-size:.85em;word-break:break-all}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dd{margin:0}"
    ".bar{display:inline-block;height:.8em;background:#4a7ab5}";

char *release_page_html(const struct page_opts *o)
{
    struct side cur, old;
    if (load_side(o->release_path, &cur) < 0) {
        free_side(&cur);
        return NULL;
    }
    if (o->since_path) {
        if (load_side(o->since_path, &old) < 0) {
            free_side(&old);
            free_side(&cur);
            return NULL;
        }
    }
    struct strbuf sb = STRBUF_INIT;
    const struct release *r = &cur.r;
    sb_puts(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html(&sb, r->name);
    sb_puts(&sb, " ");
    html(&sb, r->version);
    sb_printf(&sb, "</title><style>%s</style></head><body>\n<h1>", STYLE);
    html(&sb, r->name);
    sb_puts(&sb, " ");
    html(&sb, r->version);
    sb_puts(&sb, "</h1>\n<p>Built by ");
    html(&sb, r->tool_name);
    sb_puts(&sb, " ");
    html(&sb, r->tool_version);
    sb_puts(&sb, ". Image <code>");
    html(&sb, r->image);
    sb_puts(&sb, "</code>, manifest sha256 <code>");
    html(&sb, r->manifest_sha256);
    sb_puts(&sb, "</code>. Check the files with <code>guestimg verify release.json --pubkey KEY</code>.</p>\n");
    if (o->since_path)
        section_since(&sb, &cur, &old);
    section_measurements(&sb, r);
    section_packages(&sb, &cur);
    section_verity(&sb, r);
    section_kernel(&sb, r);
    section_artifacts(&sb, r);
    sb_puts(&sb, "</body></html>\n");
    if (o->since_path)
        free_side(&old);
    free_side(&cur);
    return sb_detach(&sb);
}

int release_page_write(const struct page_opts *o)
{
    _cleanup_free_ char *text = release_page_html(o);
    if (!text)
        return -EINVAL;
    return file_write_atomic(o->out_path, text, strlen(text), 0644);
}
