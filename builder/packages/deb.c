/* .deb reading: libarchive reads the outer ar archive and, through read
 * callbacks on the current ar member, the inner control and data tars. */
#include "builder/packages/deb.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONTROL (1u << 20)

/* ------------------------------------------------------------ control --- */

/* The value of field key (case-insensitive) with continuation lines
 * joined by '\n'; NULL when absent. */
static char *control_field(const char *text, size_t len, const char *key)
{
    size_t klen = strlen(key);
    const char *end = text + len;
    for (const char *p = text; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > klen && !strncasecmp(p, key, klen) && p[klen] == ':') {
            struct strbuf sb = STRBUF_INIT;
            const char *v = p + klen + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            sb_add(&sb, v, (size_t)(eol - v));
            /* continuation lines start with a space or a tab */
            while (eol < end && eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
                const char *s = eol + 1;
                eol = memchr(s, '\n', (size_t)(end - s));
                if (!eol)
                    eol = end;
                sb_add(&sb, "\n", 1);
                sb_add(&sb, s + 1, (size_t)(eol - s - 1));
            }
            return sb_detach(&sb);
        }
        p = eol + 1;
    }
    return NULL;
}

static void strv_push(char ***v, size_t *n, const char *s, size_t len)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(char *));
    (*v)[(*n)++] = xstrndup(s, len);
}

/* "a (>= 1), b | c:any [amd64] <!nocheck>" → a, b, c. */
static void relation_names(const char *field, char ***v, size_t *n)
{
    for (const char *p = field; p && *p;) {
        p += strspn(p, " \t\n,|");
        size_t len = strcspn(p, " \t\n,|(:[<");
        if (len)
            strv_push(v, n, p, len);
        p += len;
        p += strcspn(p, ",|");
    }
}

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) > 255)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/')
            return false;
    return true;
}

int deb_parse_control(const char *text, size_t len, const char *name, struct deb_info *out)
{
    memset(out, 0, sizeof(*out));
    if (memchr(text, 0, len))
        return err_set(-EINVAL, "%s: control file contains NUL bytes", name);
    struct package *m = &out->meta;
    m->format = PKG_DEB;
    m->name = control_field(text, len, "Package");
    char *version = control_field(text, len, "Version");
    m->arch = control_field(text, len, "Architecture");
    if (!m->name || !version || !m->arch || !valid_name(m->name) || !valid_name(version) || !valid_name(m->arch)) {
        free(version);
        deb_info_free(out);
        return err_set(-EINVAL, "%s: control file lacks a valid Package, Version or Architecture", name);
    }
    /* [epoch:]upstream[-revision]; the epoch is kept apart, as for RPM */
    char *colon = strchr(version, ':');
    uint32_t epoch = 0;
    if (colon) {
        *colon = 0;
        if (parse_u32(version, &epoch) < 0 || !colon[1]) {
            free(version);
            deb_info_free(out);
            return err_set(-EINVAL, "%s: control file has a malformed Version", name);
        }
    }
    m->epoch = epoch;
    m->version = xstrdup(colon ? colon + 1 : version);
    free(version);
    m->vendor = control_field(text, len, "Maintainer");
    m->url = control_field(text, len, "Homepage");
    char *source = control_field(text, len, "Source");
    /* "Source: name (version)" names the source package; absent, it is the binary's name */
    m->source = source ? xstrndup(source, strcspn(source, " (")) : xstrdup(m->name);
    free(source);
    char *desc = control_field(text, len, "Description");
    if (desc)
        m->summary = xstrndup(desc, strcspn(desc, "\n"));
    free(desc);
    static const char *const rel[] = {"Pre-Depends", "Depends"};
    for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
        char *f = control_field(text, len, rel[i]);
        relation_names(f, &out->requires, &out->nrequires);
        free(f);
    }
    char *prov = control_field(text, len, "Provides");
    relation_names(prov, &out->provides, &out->nprovides);
    free(prov);
    return 0;
}

void deb_info_free(struct deb_info *d)
{
    package_clear(&d->meta);
    for (size_t i = 0; i < d->nrequires; i++)
        free(d->requires[i]);
    free(d->requires);
    for (size_t i = 0; i < d->nprovides; i++)
        free(d->provides[i]);
    free(d->provides);
    memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------------ members --- */

static la_ssize_t read_member(struct archive *inner, void *outer, const void **buf)
{
    static _Thread_local char block[65536];
    (void)inner;
    *buf = block;
    return archive_read_data(outer, block, sizeof(block));
}

int deb_open_member(int fd, const char *name, const char *prefix, struct archive **outer_out,
                    struct archive **inner_out)
{
    if (lseek(fd, 0, SEEK_SET) < 0)
        return err_sys(-errno, "%s: cannot seek", name);
    struct archive *outer = archive_read_new();
    archive_read_support_format_ar(outer);
    if (archive_read_open_fd(outer, fd, 65536) != ARCHIVE_OK) {
        int r = err_set(-EINVAL, "%s: not a Debian package: %s", name, archive_error_string(outer));
        archive_read_free(outer);
        return r;
    }
    struct archive_entry *e;
    int rc;
    bool first = true;
    while ((rc = archive_read_next_header(outer, &e)) == ARCHIVE_OK) {
        const char *member = archive_entry_pathname(e);
        if (first && (!member || strcmp(member, "debian-binary"))) {
            archive_read_free(outer);
            return err_set(-EINVAL, "%s: not a Debian package (no debian-binary first)", name);
        }
        first = false;
        if (!member || strncmp(member, prefix, strlen(prefix)))
            continue;
        struct archive *inner = archive_read_new();
        archive_read_support_format_tar(inner);
        archive_read_support_filter_gzip(inner);
        archive_read_support_filter_xz(inner);
        archive_read_support_filter_zstd(inner);
        archive_read_support_filter_bzip2(inner);
        if (archive_read_open(inner, outer, NULL, read_member, NULL) != ARCHIVE_OK) {
            int r = err_set(-EINVAL, "%s: %s: %s", name, member, archive_error_string(inner));
            archive_read_free(inner);
            archive_read_free(outer);
            return r;
        }
        *outer_out = outer;
        *inner_out = inner;
        return 0;
    }
    int r = rc == ARCHIVE_EOF ? err_set(-EINVAL, "%s: no %s.* member", name, prefix)
                              : err_set(-EINVAL, "%s: damaged ar archive: %s", name, archive_error_string(outer));
    archive_read_free(outer);
    return r;
}

int deb_read_info(int fd, const char *name, struct deb_info *out)
{
    struct archive *outer, *inner;
    int r = deb_open_member(fd, name, "control.tar", &outer, &inner);
    if (r < 0)
        return r;
    struct archive_entry *e;
    int rc;
    r = 1; /* until the control file is found */
    while ((rc = archive_read_next_header(inner, &e)) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(e);
        if (!p || (strcmp(p, "./control") && strcmp(p, "control")))
            continue;
        la_int64_t size = archive_entry_size(e);
        if (size < 0 || size > MAX_CONTROL) {
            r = err_set(-EFBIG, "%s: control file larger than %u bytes", name, MAX_CONTROL);
            break;
        }
        size_t len = (size_t)size;
        char *text = xmalloc(len + 1);
        la_ssize_t n = archive_read_data(inner, text, len);
        if (n < 0 || (size_t)n != len)
            r = err_set(-EINVAL, "%s: cannot read the control file: %s", name, archive_error_string(inner));
        else
            r = deb_parse_control(text, len, name, out);
        free(text);
        break;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF)
        r = err_set(-EINVAL, "%s: damaged control.tar: %s", name, archive_error_string(inner));
    else if (r > 0)
        r = err_set(-EINVAL, "%s: control.tar has no control file", name);
    archive_read_free(inner);
    archive_read_free(outer);
    return r;
}
