/* HOST_DATA from policies and initdata: see host_data.h. */
#include "attest/host_data.h"
#include "common/dlib.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/util.h"

#include <archive.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

/* ---------------------------------------------------------------- text --- */

/* Length of the UTF-8 sequence at p (of n bytes), or 0 when it is not one:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint32_t min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int host_data_check_text(const uint8_t *buf, size_t len, const char *what)
{
    if (!len)
        return err_set(-EINVAL, "%s: empty (a pod without a policy or initdata has HOST_DATA all zeros)", what);
    for (size_t i = 0; i < len;) {
        uint8_t c = buf[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
            return err_set(-EINVAL, "%s: not text: control byte 0x%02x at offset %zu", what, c, i);
        size_t n = utf8_len(buf + i, len - i);
        if (!n)
            return err_set(-EINVAL, "%s: not text: invalid UTF-8 at offset %zu", what, i);
        i += n;
    }
    return 0;
}

/* -------------------------------------------------- base64, gzip --- */

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int host_data_base64(const uint8_t *buf, size_t len, const char *what, uint8_t **out, size_t *out_len)
{
    while (len && is_space(buf[len - 1]))
        len--;
    while (len && is_space(buf[0]))
        buf++, len--;
    if (!len)
        return err_set(-EINVAL, "%s: empty: no base64 annotation value", what);
    if (len > HOST_DATA_TEXT_MAX)
        return err_set(-EFBIG, "%s: %zu bytes of base64, more than %u", what, len, HOST_DATA_TEXT_MAX);
    _cleanup_free_ char *s = xstrndup((const char *)buf, len);
    if (strlen(s) != len)
        return err_set(-EINVAL, "%s: not base64: a NUL byte", what);
    size_t max = len / 4 * 3 + 3;
    uint8_t *d = xmalloc(max);
    int n = base64_decode(s, d, max);
    if (n <= 0) {
        free(d);
        return err_set(-EINVAL, "%s: not base64 (the annotation's value: standard alphabet, padded, one line)",
                       what);
    }
    *out = d;
    *out_len = (size_t)n;
    return 0;
}

/* libarchive (gzip only here) is loaded when initdata is first
 * unpacked (common/dlib.h): it brings libxml2 and ICU, which `guestimg
 * report` does not otherwise need. */
static DLIB_PTR(archive_read_new);
static DLIB_PTR(archive_read_support_filter_gzip);
static DLIB_PTR(archive_read_support_format_raw);
static DLIB_PTR(archive_read_open_memory);
static DLIB_PTR(archive_read_next_header);
static DLIB_PTR(archive_filter_code);
static DLIB_PTR(archive_error_string);
static DLIB_PTR(archive_read_data);
static DLIB_PTR(archive_read_free);
static const struct dlib_sym libarchive_syms[] = {
    DLIB_SYM(archive_read_new),
    DLIB_SYM(archive_read_support_filter_gzip),
    DLIB_SYM(archive_read_support_format_raw),
    DLIB_SYM(archive_read_open_memory),
    DLIB_SYM(archive_read_next_header),
    DLIB_SYM(archive_filter_code),
    DLIB_SYM(archive_error_string),
    DLIB_SYM(archive_read_data),
    DLIB_SYM(archive_read_free),
};
static struct dlib libarchive = DLIB("libarchive.so.13", "libarchive13", libarchive_syms);

int host_data_gunzip(const uint8_t *buf, size_t len, const char *what, uint8_t **out, size_t *out_len)
{
    if (len < 18 || buf[0] != 0x1f || buf[1] != 0x8b)
        return err_set(-EINVAL, "%s: not gzip data (the initdata annotation is base64 of gzip of the TOML)", what);
    _cleanup_free_ char *gunzip = xasprintf("gunzip of %s", what);
    int lr = dlib_load(&libarchive, gunzip);
    if (lr < 0)
        return lr;
    struct archive *a = sym_archive_read_new();
    sym_archive_read_support_filter_gzip(a);
    sym_archive_read_support_format_raw(a);
    struct archive_entry *e;
    int r = sym_archive_read_open_memory(a, buf, len);
    if (r == ARCHIVE_OK)
        r = sym_archive_read_next_header(a, &e);
    if (r != ARCHIVE_OK || sym_archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
        int rc = err_set(-EINVAL, "%s: not a gzip stream: %s", what,
                         sym_archive_error_string(a) ? sym_archive_error_string(a) : "unknown compression");
        sym_archive_read_free(a);
        return rc;
    }
    size_t cap = 4096, n = 0;
    uint8_t *d = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > HOST_DATA_TEXT_MAX) {
                free(d);
                sym_archive_read_free(a);
                return err_set(-EFBIG, "%s: gzip data expands past %u bytes", what, HOST_DATA_TEXT_MAX);
            }
            cap *= 2;
            d = xrealloc(d, cap);
        }
        la_ssize_t got = sym_archive_read_data(a, d + n, cap - n);
        if (got < 0) {
            int rc = err_set(-EINVAL, "%s: broken gzip data: %s", what,
                             sym_archive_error_string(a) ? sym_archive_error_string(a) : "read error");
            free(d);
            sym_archive_read_free(a);
            return rc;
        }
        if (!got)
            break;
        n += (size_t)got;
    }
    sym_archive_read_free(a);
    if (n > HOST_DATA_TEXT_MAX) {
        free(d);
        return err_set(-EFBIG, "%s: gzip data expands past %u bytes", what, HOST_DATA_TEXT_MAX);
    }
    *out = d;
    *out_len = n;
    return 0;
}

/* ------------------------------------------------------------ digests --- */

static int digest(const char *alg, const uint8_t *buf, size_t len, const char *what, uint8_t out[HOST_DATA_LEN],
                  struct host_data_source *src)
{
    unsigned dlen = 0;
    struct host_data_source s = {0};
    const EVP_MD *md = EVP_get_digestbyname(alg);
    if (!md || !EVP_Digest(buf, len, s.digest, &dlen, md, NULL) || dlen > sizeof(s.digest))
        return err_set(-EIO, "%s: %s failed", what, alg);
    snprintf(s.algorithm, sizeof(s.algorithm), "%s", alg);
    s.digest_len = dlen;
    /* HOST_DATA takes the first 32 bytes; a shorter digest is zero-padded */
    memset(out, 0, HOST_DATA_LEN);
    memcpy(out, s.digest, dlen < HOST_DATA_LEN ? dlen : HOST_DATA_LEN);
    if (src) {
        snprintf(s.version, sizeof(s.version), "%s", src->version);
        *src = s;
    }
    return 0;
}

int host_data_policy(const uint8_t *buf, size_t len, bool base64, const char *what, uint8_t out[HOST_DATA_LEN],
                     struct host_data_source *src)
{
    _cleanup_free_ uint8_t *dec = NULL;
    if (base64) {
        int r = host_data_base64(buf, len, what, &dec, &len);
        if (r < 0)
            return r;
        buf = dec;
    }
    _cleanup_free_ char *w = base64 ? xasprintf("%s (decoded)", what) : xstrdup(what);
    int r = host_data_check_text(buf, len, w);
    if (r < 0)
        return r;
    if (src)
        memset(src, 0, sizeof(*src));
    return digest("sha256", buf, len, what, out, src);
}

int host_data_initdata(const uint8_t *buf, size_t len, bool base64, const char *what, uint8_t out[HOST_DATA_LEN],
                       struct host_data_source *src)
{
    _cleanup_free_ uint8_t *dec = NULL, *toml = NULL;
    if (base64) {
        size_t dlen;
        int r = host_data_base64(buf, len, what, &dec, &dlen);
        if (r < 0 || (r = host_data_gunzip(dec, dlen, what, &toml, &len)) < 0)
            return r;
        buf = toml;
    }
    _cleanup_free_ char *w = base64 ? xasprintf("%s (decompressed)", what) : xstrdup(what);
    struct host_data_source s = {0};
    int r = host_data_check_text(buf, len, w);
    if (r == 0)
        r = initdata_header((const char *)buf, len, w, s.version, s.algorithm);
    if (r == 0)
        r = digest(s.algorithm, buf, len, what, out, &s);
    if (r == 0 && src)
        *src = s;
    return r;
}

/* ------------------------------------------------------- initdata TOML --- */

/* A line-by-line reader for the part of a TOML document before its first
 * table: comments, blank lines and key = value pairs. version and
 * algorithm must be one-line strings; other keys are passed over, as long
 * as where their value ends is plain (one-line values, or multi-line
 * strings); a multi-line array or inline table there is refused. */
struct toml {
    const char *p, *end, *what;
    unsigned line;
};

static bool at_end_of_line(const struct toml *t)
{
    return t->p == t->end || *t->p == '\n' || (*t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n');
}

static void skip_blank(struct toml *t)
{
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
        t->p++;
}

static void skip_line(struct toml *t)
{
    while (t->p < t->end && *t->p != '\n')
        t->p++;
    if (t->p < t->end)
        t->p++;
    t->line++;
}

/* After a value: blanks, an optional comment, the end of the line. */
static int end_of_line(struct toml *t)
{
    skip_blank(t);
    if (t->p < t->end && *t->p == '#')
        while (t->p < t->end && *t->p != '\n')
            t->p++;
    if (!at_end_of_line(t))
        return err_set(-EINVAL, "%s:%u: unexpected '%c' after the value", t->what, t->line, *t->p);
    skip_line(t);
    return 0;
}

static bool bare_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* A key (bare, "quoted" without escapes, or 'literal'; dotted keys as
 * written) into key, then '='. */
static int read_key(struct toml *t, char *key, size_t keysz)
{
    size_t n = 0;
    bool too_long = false;   /* then it is none of the keys we look for */
    for (;;) {
        skip_blank(t);
        const char *start = t->p;
        size_t len;
        if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
            char q = *t->p++;
            start = t->p;   /* "version" is the key version */
            while (t->p < t->end && *t->p != q && *t->p != '\n' && *t->p != '\\')
                t->p++;
            if (t->p == t->end || *t->p != q)
                return err_set(-EINVAL, "%s:%u: a quoted key this reader does not follow", t->what, t->line);
            len = (size_t)(t->p++ - start);
        } else {
            while (t->p < t->end && bare_key_char(*t->p))
                t->p++;
            if (t->p == start)
                return err_set(-EINVAL, "%s:%u: expected a key", t->what, t->line);
            len = (size_t)(t->p - start);
        }
        if (n + len + 2 > keysz)
            too_long = true;
        if (!too_long) {
            memcpy(key + n, start, len);
            n += len;
        }
        skip_blank(t);
        if (t->p == t->end || *t->p != '.')
            break;
        if (!too_long)
            key[n++] = '.';
        t->p++;
    }
    key[too_long ? 0 : n] = 0;
    if (t->p == t->end || *t->p != '=')
        return err_set(-EINVAL, "%s:%u: expected '=' after the key", t->what, t->line);
    t->p++;
    skip_blank(t);
    return 0;
}

/* A one-line string value (basic without escapes, or literal) into out. */
static int read_string(struct toml *t, const char *key, char *out, size_t outsz)
{
    if (t->p == t->end || (*t->p != '"' && *t->p != '\''))
        return err_set(-EINVAL, "%s:%u: %s must be a string", t->what, t->line, key);
    char q = *t->p++;
    if (t->end - t->p >= 2 && t->p[0] == q && t->p[1] == q)
        return err_set(-EINVAL, "%s:%u: %s must be a one-line string", t->what, t->line, key);
    const char *start = t->p;
    while (t->p < t->end && *t->p != q && *t->p != '\n' && !(q == '"' && *t->p == '\\'))
        t->p++;
    if (t->p == t->end || *t->p != q)
        return err_set(-EINVAL, "%s:%u: %s: an unterminated string, or one with escapes", t->what, t->line, key);
    size_t len = (size_t)(t->p - start);
    t->p++;
    if (len >= outsz)
        return err_set(-EINVAL, "%s:%u: %s '%.*s…' is too long", t->what, t->line, key, (int)(outsz - 1), start);
    memcpy(out, start, len);
    out[len] = 0;
    return end_of_line(t);
}

/* Past a multi-line string opened by three q's at t->p. */
static int skip_multiline(struct toml *t, char q)
{
    unsigned first = t->line;
    t->p += 3;
    while (t->p < t->end) {
        if (q == '"' && *t->p == '\\' && t->p + 1 < t->end) {
            if (t->p[1] == '\n')
                t->line++;
            t->p += 2;
            continue;
        }
        if (*t->p == '\n')
            t->line++;
        if (t->end - t->p >= 3 && t->p[0] == q && t->p[1] == q && t->p[2] == q) {
            t->p += 3;
            while (t->p < t->end && *t->p == q) /* up to two quotes may end the content */
                t->p++;
            return end_of_line(t);
        }
        t->p++;
    }
    return err_set(-EINVAL, "%s:%u: an unterminated multi-line string", t->what, first);
}

/* Past a value we do not read. */
static int skip_value(struct toml *t)
{
    if (t->end - t->p >= 3 && (t->p[0] == '"' || t->p[0] == '\'') && t->p[1] == t->p[0] && t->p[2] == t->p[0])
        return skip_multiline(t, t->p[0]);
    int depth = 0;
    char q = 0;
    for (; !at_end_of_line(t); t->p++) {
        char c = *t->p;
        if (q) {
            if (q == '"' && c == '\\' && t->p + 1 < t->end && t->p[1] != '\n')
                t->p++;
            else if (c == q)
                q = 0;
        } else if (c == '"' || c == '\'') {
            q = c;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == '#') {
            break;
        }
    }
    if (q || depth)
        return err_set(-EINVAL, "%s:%u: a value that spans lines before the first table (this reader follows "
                                "only one-line values and multi-line strings there)", t->what, t->line);
    return end_of_line(t);
}

int initdata_header(const char *text, size_t len, const char *what, char version[16], char algorithm[8])
{
    struct toml t = {.p = text, .end = text + len, .what = what, .line = 1};
    bool have_version = false, have_algorithm = false;
    char vbuf[64], abuf[64];
    while (t.p < t.end) {
        skip_blank(&t);
        if (at_end_of_line(&t) || *t.p == '#') {
            skip_line(&t);
            continue;
        }
        if (*t.p == '[')
            break;   /* the first table: [data] */
        char key[32];
        int r = read_key(&t, key, sizeof(key));
        if (r < 0)
            return r;
        bool *have = !strcmp(key, "version") ? &have_version : !strcmp(key, "algorithm") ? &have_algorithm : NULL;
        if (have && *have)
            return err_set(-EINVAL, "%s:%u: %s is given twice", what, t.line, key);
        if (have) {
            *have = true;
            r = read_string(&t, key, have == &have_version ? vbuf : abuf, sizeof(vbuf));
        } else {
            r = skip_value(&t);
        }
        if (r < 0)
            return r;
    }
    if (!have_version || !have_algorithm)
        return err_set(-EINVAL, "%s: no %s key before the first table: not an initdata document", what,
                       have_version ? "algorithm" : "version");
    if (strcmp(vbuf, "0.1.0"))
        return err_set(-EINVAL, "%s: unknown initdata version '%s' (known: 0.1.0)", what, vbuf);
    if (strcmp(abuf, "sha256") && strcmp(abuf, "sha384") && strcmp(abuf, "sha512"))
        return err_set(-EINVAL, "%s: unknown initdata algorithm '%s' (known: sha256, sha384, sha512)", what, abuf);
    memcpy(version, vbuf, strlen(vbuf) + 1);     /* both checked short above */
    memcpy(algorithm, abuf, strlen(abuf) + 1);
    return 0;
}
