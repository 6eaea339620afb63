/* What the SPDX and CycloneDX writers share: package URLs, versions,
 * validation and ordering of the input, times, document identifiers,
 * license expressions, suppliers. */
#include "sbom/internal.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "common/uuid.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ versions --- */

static char *package_version(const struct package *p, bool with_epoch, bool with_release)
{
    struct strbuf sb = STRBUF_INIT;
    if (with_epoch && p->epoch)
        sb_printf(&sb, "%u:", p->epoch);
    sb_puts(&sb, p->version);
    if (with_release && p->release)
        sb_printf(&sb, "-%s", p->release);
    return sb_detach(&sb);
}

/* ---------------------------------------------------------------- purl --- */

/* Percent-encode all but the purl specification's permitted characters
 * (alphanumerics, ".-_~") and ':', which it leaves as is. */
static void purl_add(struct strbuf *sb, const char *s, bool lower)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || strchr(".-_~:", *c)) {
            char ch = (char)(lower ? tolower(*c) : *c);
            sb_add(sb, &ch, 1);
        } else {
            sb_printf(sb, "%%%02X", *c);
        }
    }
}

char *sbom_purl(const struct package *p)
{
    struct strbuf sb = STRBUF_INIT;
    _cleanup_free_ char *version = NULL;
    switch (p->format) {
    case PKG_RPM:
        /* the version is VERSION-RELEASE; the epoch is a qualifier */
        sb_puts(&sb, "pkg:rpm/azurelinux/");
        purl_add(&sb, p->name, false);
        version = package_version(p, false, true);
        break;
    case PKG_DEB:
        /* Debian names are case-insensitive (lowercased); the version keeps its epoch */
        sb_puts(&sb, "pkg:deb/debian/");
        purl_add(&sb, p->name, true);
        version = package_version(p, true, false);
        break;
    case PKG_TAR:
    default:
        sb_puts(&sb, "pkg:generic/");
        purl_add(&sb, p->name, false);
        version = package_version(p, true, true);
        break;
    }
    sb_puts(&sb, "@");
    purl_add(&sb, version, false);
    /* qualifiers sorted by key: arch, epoch */
    char sep = '?';
    if (p->arch && *p->arch) {
        sb_printf(&sb, "%carch=", sep);
        purl_add(&sb, p->arch, false);
        sep = '&';
    }
    if (p->format == PKG_RPM && p->epoch)
        sb_printf(&sb, "%cepoch=%u", sep, p->epoch);
    return sb_detach(&sb);
}

/* ---------------------------------------------------------- validation --- */

static bool is_sha256_hex(const char *s)
{
    if (!s || strlen(s) != 2 * SHA256_LEN)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
            return false;
    return true;
}

static bool nonempty(const char *s)
{
    return s && *s;
}

static int check_artifact(const struct sbom_artifact *a, const char *role)
{
    if (!nonempty(a->name) || !nonempty(a->version) || !nonempty(a->file_name))
        return err_set(-EINVAL, "SBOM: the %s has no name, version or file name", role);
    if (!is_sha256_hex(a->sha256))
        return err_set(-EINVAL, "SBOM: %s %s: sha256 '%s' is not 64 lower-case hex digits", role,
                       a->file_name, a->sha256 ? a->sha256 : "");
    return 0;
}

static int check_package(const struct package *p)
{
    const char *name = nonempty(p->name) ? p->name : "(unnamed)";
    if (!nonempty(p->name) || !nonempty(p->version))
        return err_set(-EINVAL, "SBOM: package %s has no name or version", name);
    if (p->format != PKG_RPM && p->format != PKG_DEB && p->format != PKG_TAR)
        return err_set(-EINVAL, "SBOM: package %s has an unknown format %d", name, (int)p->format);
    if (p->format != PKG_TAR && !nonempty(p->arch))
        return err_set(-EINVAL, "SBOM: package %s has no architecture", name);
    if (!is_sha256_hex(p->sha256))
        return err_set(-EINVAL, "SBOM: package %s: sha256 '%s' is not 64 lower-case hex digits", name,
                       p->sha256);
    return 0;
}

static int cmp_purl(const void *a, const void *b)
{
    return strcmp(((const struct sbom_pkg *)a)->purl, ((const struct sbom_pkg *)b)->purl);
}

/* qsort has no context argument: the array being sorted by name. */
static const struct sbom_pkg *name_sort_base;

static int cmp_name_idx(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(name_sort_base[i].p->name, name_sort_base[j].p->name);
    return c ? c : (i > j) - (i < j);
}

const size_t *sbom_named(const struct sbom_pkgs *s, const char *name, size_t *count)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->v[s->by_name[mid]].p->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < s->n && !strcmp(s->v[s->by_name[end]].p->name, name))
        end++;
    *count = end - lo;
    return s->by_name + lo;
}

int sbom_prepare(const struct sbom_input *in, struct sbom_pkgs *out)
{
    memset(out, 0, sizeof(*out));
    char when[21];
    if (!nonempty(in->name) || !nonempty(in->version))
        return err_set(-EINVAL, "SBOM: the release has no name or version");
    if (!sbom_time(in->epoch, when))
        return err_set(-ERANGE, "SBOM: epoch %lld is outside the years 1970-9999", (long long)in->epoch);
    if (!in->image)
        return err_set(-EINVAL, "SBOM: no image to describe");
    int r = check_artifact(in->image, "image");
    if (r < 0 || (in->kernel && (r = check_artifact(in->kernel, "kernel")) < 0))
        return r;
    for (size_t i = 0; i < in->nfiles; i++) {
        if ((r = check_artifact(&in->files[i], "file")) < 0)
            return r;
        if (i && strcmp(in->files[i - 1].file_name, in->files[i].file_name) >= 0)
            return err_set(-EINVAL, "SBOM: files %s and %s are not sorted by name, or listed twice",
                           in->files[i - 1].file_name, in->files[i].file_name);
        if (in->files[i].carries_kernel && !in->kernel)
            return err_set(-EINVAL, "SBOM: %s carries a kernel the release does not have", in->files[i].file_name);
    }

    size_t n = in->packages ? in->packages->n : 0;
    struct sbom_pkg *v = xcalloc(n, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        const struct package *p = &in->packages->v[i];
        if ((r = check_package(p)) < 0) {
            out->v = v;
            out->n = i;
            sbom_pkgs_free(out);
            return r;
        }
        v[i].p = p;
        v[i].purl = sbom_purl(p);
        v[i].evr = package_version(p, true, true);
    }
    qsort(v, n, sizeof(*v), cmp_purl);
    out->v = v;
    out->n = n;
    for (size_t i = 1; i < n; i++)
        if (!strcmp(v[i - 1].purl, v[i].purl)) {
            r = err_set(-EINVAL, "SBOM: package %s is listed twice", v[i].purl);
            sbom_pkgs_free(out);
            return r;
        }
    out->by_name = xcalloc(n, sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        out->by_name[i] = i;
    name_sort_base = v;
    qsort(out->by_name, n, sizeof(size_t), cmp_name_idx);
    name_sort_base = NULL;

    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < v[i].p->ndepends; d++) {
            size_t count;
            sbom_named(out, v[i].p->depends[d], &count);
            if (!count) {
                r = err_set(-EINVAL, "SBOM: package %s depends on %s, which is not in the package set",
                            v[i].p->name, v[i].p->depends[d]);
                sbom_pkgs_free(out);
                return r;
            }
        }
    return 0;
}

void sbom_pkgs_free(struct sbom_pkgs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].purl);
        free(s->v[i].evr);
    }
    free(s->v);
    free(s->by_name);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------- times, identifiers --- */

bool sbom_time(int64_t epoch, char out[21])
{
    if (epoch < 0 || epoch > 253402300799LL) /* 9999-12-31T23:59:59Z */
        return false;
    time_t t = (time_t)epoch;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return false;
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return true;
}

void sbom_document_uuid(const struct sbom_input *in, const char *format, char out[37])
{
    /* RFC 4122's URL namespace, and a name that changes whenever what the
     * document describes does. */
    static const uint8_t url_ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                       0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "guestimg:sbom:%s:image:sha256:%s", format, in->image->sha256);
    if (in->kernel)
        sb_printf(&sb, ":kernel:sha256:%s", in->kernel->sha256);
    for (size_t i = 0; i < in->nfiles; i++)
        sb_printf(&sb, ":file:sha256:%s", in->files[i].sha256);
    uint8_t u[16];
    uuid_v5(url_ns, sb.buf, sb.len, u);
    uuid_format(u, out);
    sb_release(&sb);
}

/* ---------------------------------------------------- license expressions --- */

struct lex {
    const char *s;
    const char *tok;   /* current token */
    size_t len;
};

static void lex_next(struct lex *l)
{
    while (*l->s == ' ')
        l->s++;
    l->tok = l->s;
    if (*l->s == '(' || *l->s == ')')
        l->s++;
    else
        while (*l->s && *l->s != ' ' && *l->s != '(' && *l->s != ')')
            l->s++;
    l->len = (size_t)(l->s - l->tok);
}

static bool tok_is(const struct lex *l, const char *w)
{
    return l->len == strlen(w) && !strncmp(l->tok, w, l->len);
}

/* idstring = 1*(ALPHA / DIGIT / "-" / "."); allow_plus for a license id's "+". */
static bool is_idstring(const char *s, size_t len, bool allow_plus)
{
    if (allow_plus && len > 1 && s[len - 1] == '+')
        len--;
    if (!len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

static bool is_license_ref(const char *s, size_t len)
{
    const char *colon = memchr(s, ':', len);
    if (colon) {
        /* DocumentRef-x:LicenseRef-y */
        size_t dl = (size_t)(colon - s);
        if (dl <= 12 || strncmp(s, "DocumentRef-", 12) || !is_idstring(s, dl, false))
            return false;
        s = colon + 1;
        len -= dl + 1;
    }
    return len > 11 && !strncmp(s, "LicenseRef-", 11) && is_idstring(s, len, false);
}

static bool is_operator(const struct lex *l)
{
    return tok_is(l, "AND") || tok_is(l, "OR") || tok_is(l, "WITH");
}

static bool parse_or(struct lex *l, int depth);

static bool parse_simple(struct lex *l, int depth)
{
    if (tok_is(l, "(")) {
        lex_next(l);
        if (!parse_or(l, depth + 1) || !tok_is(l, ")"))
            return false;
        lex_next(l);
        return true;
    }
    if (!l->len || is_operator(l) || tok_is(l, ")"))
        return false;
    bool ref = (l->len >= 11 && !strncmp(l->tok, "LicenseRef-", 11)) ||
               (l->len >= 12 && !strncmp(l->tok, "DocumentRef-", 12));
    if (ref ? !is_license_ref(l->tok, l->len) : !is_idstring(l->tok, l->len, true))
        return false;
    lex_next(l);
    if (tok_is(l, "WITH")) {
        lex_next(l);
        if (!l->len || is_operator(l) || !is_idstring(l->tok, l->len, false))
            return false;
        lex_next(l);
    }
    return true;
}

static bool parse_and(struct lex *l, int depth)
{
    if (!parse_simple(l, depth))
        return false;
    while (tok_is(l, "AND")) {
        lex_next(l);
        if (!parse_simple(l, depth))
            return false;
    }
    return true;
}

static bool parse_or(struct lex *l, int depth)
{
    if (depth > 32 || !parse_and(l, depth))
        return false;
    while (tok_is(l, "OR")) {
        lex_next(l);
        if (!parse_and(l, depth))
            return false;
    }
    return true;
}

bool sbom_license_is_expression(const char *s)
{
    if (!s || !*s)
        return false;
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            return false;
    struct lex l = {.s = s};
    lex_next(&l);
    return parse_or(&l, 0) && l.len == 0;
}

/* ------------------------------------------------------------ suppliers --- */

static char *trimmed(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return xstrndup(s, len);
}

void sbom_split_contact(const char *s, char **name, char **email)
{
    const char *lt = strrchr(s, '<');
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (lt && n && s[n - 1] == '>' && lt < s + n - 1) {
        *name = trimmed(s, (size_t)(lt - s));
        *email = trimmed(lt + 1, (size_t)(s + n - 1 - (lt + 1)));
        if (!**email) {
            free(*email);
            *email = NULL;
        }
        if (!**name) {
            free(*name);
            *name = *email ? xstrdup(*email) : xstrdup("");
        }
        return;
    }
    *name = trimmed(s, n);
    *email = NULL;
}

bool sbom_is_web_url(const char *s)
{
    return s && (startswith(s, "https://") || startswith(s, "http://")) && !strpbrk(s, " \t\r\n\"<>\\^`{|}");
}

/* ----------------------------------------------------------------- JSON --- */

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

json_t *sbom_jstr(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        size_t n = utf8_seq(c);
        if (n) {
            sb_add(&sb, c, n);
            c += n;
        } else {
            sb_puts(&sb, "\xef\xbf\xbd");
            c++;
        }
    }
    json_t *j = json_stringn(sb.buf, sb.len);
    sb_release(&sb);
    return j;
}

int sbom_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
