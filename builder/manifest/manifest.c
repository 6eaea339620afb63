/* Manifest parser: libfyaml builds the document; a table per mapping says
 * which keys exist, their type and where they go, so that unknown keys,
 * wrong types and missing keys all produce "FILE:LINE: KEY: problem". */
#include "builder/manifest/manifest.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/snp_policy.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "common/uuid.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define MANIFEST_MAX_BYTES (1u << 20)
#define MAX_LIST 100000
#define MAX_VCPUS 1024

struct parser {
    const char *file;  /* for messages */
    const char *dir;   /* relative host paths are joined to it */
};

/* The type of a key's value, and so how it is checked and stored. */
enum field_type {
    F_STR,        /* any non-empty string */
    F_NAME,       /* package name or owner: no spaces, controls or ':' */
    F_IDENT,      /* manifest, repository, account or profile name */
    F_URL,        /* file://, http://, https:// */
    F_HOSTPATH,   /* host path, stored joined to the manifest's directory */
    F_IMGPATH,    /* absolute, normalised path in the image, not the root */
    F_HOMEPATH,   /* the same, or the root "/" */
    F_BOOL,
    F_U32,
    F_U64,
    F_I64,
    F_MODE,       /* octal permission bits */
    F_OWNER,      /* "user:group" / "uid:gid" / "user" into two char* (off, off2) */
    F_NAMES,      /* sequence of F_NAME (char **at off, size_t count at off2) */
    F_IDENTS,     /* sequence of F_IDENT */
    F_STRS,       /* sequence of F_STR */
    F_IMGPATHS,   /* sequence of F_IMGPATH */
    F_LIST,       /* sequence of mappings (struct list_spec) into an array at off, count at off2 */
    F_CUSTOM,
};

struct field;
typedef int (*field_fn)(struct parser *p, struct fy_node *v, const char *key, int line, void *obj);

/* The elements of an F_LIST: mappings parsed with fields into structs of
 * elem_size bytes, defaults set first by init (optional). */
struct list_spec {
    const struct field *fields;
    size_t nfields;
    size_t elem_size;
    void (*init)(void *elem);
};

struct field {
    const char *key;
    enum field_type type;
    size_t off, off2;
    bool required;
    field_fn fn;
    const struct list_spec *list;
};

#define FIELD(k, t, s, m, req) {k, t, offsetof(s, m), 0, req, NULL, NULL}
#define FIELD2(k, t, s, m, n, req) {k, t, offsetof(s, m), offsetof(s, n), req, NULL, NULL}
#define CUSTOM(k, fn, req) {k, F_CUSTOM, 0, 0, req, fn, NULL}
#define LIST(k, spec, s, m, n) {k, F_LIST, offsetof(s, m), offsetof(s, n), false, NULL, &spec}

__attribute__((format(printf, 4, 5))) static int fail(struct parser *p, int line, const char *key,
                                                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (key && *key)
        return err_set(-EINVAL, "%s:%d: %s: %s", p->file, line, key, msg);
    return err_set(-EINVAL, "%s:%d: %s", p->file, line, msg);
}

/* Line (1-based) where a node starts; collections report their first
 * scalar, empty ones the fallback (their key's line). */
static int node_line(struct fy_node *n, int fallback)
{
    if (!n || fy_node_is_alias(n))
        return fallback;
    if (fy_node_is_scalar(n)) {
        struct fy_token *t = fy_node_get_scalar_token(n);
        const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
        return m ? m->line + 1 : fallback;
    }
    void *it = NULL;
    if (fy_node_is_mapping(n)) {
        struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
        return pr ? node_line(fy_node_pair_key(pr), fallback) : fallback;
    }
    return node_line(fy_node_sequence_iterate(n, &it), fallback);
}

static const char *kind_name(struct fy_node *n)
{
    if (!n)
        return "nothing";
    if (fy_node_is_alias(n))
        return "an alias";
    if (fy_node_is_mapping(n))
        return "a mapping";
    if (fy_node_is_sequence(n))
        return "a sequence";
    size_t len;
    fy_node_get_scalar(n, &len);
    return len ? "a scalar" : "nothing";
}

static char *child_key(const char *parent, const char *key)
{
    return parent && *parent ? xasprintf("%s.%s", parent, key) : xstrdup(key);
}

/* ------------------------------------------------------------ scalars --- */

static int get_scalar(struct parser *p, struct fy_node *v, const char *key, int line, const char *what,
                      char **out)
{
    size_t len = 0;
    const char *s = v && fy_node_is_scalar(v) && !fy_node_is_alias(v) ? fy_node_get_scalar(v, &len) : NULL;
    if (!s || !len)
        return fail(p, line, key, "expected %s, got %s", what, kind_name(v));
    if (memchr(s, 0, len))
        return fail(p, line, key, "contains a NUL character");
    *out = xstrndup(s, len);
    return 0;
}

/* Package names and owners: printable, no spaces, no ':' (the owner and
 * passwd separator). */
static bool is_name(const char *s)
{
    if (*s == '-' || strlen(s) > 255)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == ':')
            return false;
    return true;
}

/* Identifiers that end up in file names and /etc/passwd: [A-Za-z0-9_][A-Za-z0-9._+-]*. */
static bool is_ident(const char *s)
{
    if (!(isalnum((unsigned char)*s) || *s == '_') || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._+-", *s))
            return false;
    return true;
}

static bool is_image_path(const char *s)
{
    if (s[0] != '/' || !s[1] || strlen(s) >= 4096)
        return false;
    for (const char *c = s; *c;) {
        c++; /* past '/' */
        const char *e = strchrnul(c, '/');
        size_t n = (size_t)(e - c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c = e;
    }
    return true;
}

static char *resolve_host_path(struct parser *p, const char *s)
{
    if (s[0] == '/' || !p->dir || !*p->dir || !strcmp(p->dir, "."))
        return xstrdup(s);
    return xasprintf("%s/%s", p->dir, s);
}

static int parse_octal_mode(const char *s, uint32_t *mode)
{
    if (!*s || strlen(s) > 5)
        return -EINVAL;
    uint32_t m = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '7')
            return -EINVAL;
        m = m * 8 + (uint32_t)(*c - '0');
    }
    if (m > 07777)
        return -EINVAL;
    *mode = m;
    return 0;
}

/* "user:group", "uid:gid" or "user" (group 0 / root's). */
static int parse_owner(struct parser *p, const char *s, const char *key, int line, char **user, char **group)
{
    const char *colon = strchr(s, ':');
    char *u = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
    char *g = colon ? xstrdup(colon + 1) : xstrdup("0");
    if (!*u || !*g || !is_name(u) || !is_name(g) || strchr(g, ':')) {
        free(u);
        free(g);
        return fail(p, line, key, "'%s' is not an owner (USER:GROUP, names or numbers)", s);
    }
    free(*user);
    free(*group);
    *user = u;
    *group = g;
    return 0;
}

/* The string kinds kept as written once their form is checked. */
static int check_string_field(struct parser *p, const struct field *f, const char *s, const char *key, int line)
{
    switch (f->type) {
    case F_NAME:
        if (!is_name(s))
            return fail(p, line, key, "'%s' is not a valid name", s);
        return 0;
    case F_IDENT:
        if (!is_ident(s))
            return fail(p, line, key, "'%s' is not a valid name (letters, digits, '.', '_', '+', '-')", s);
        return 0;
    case F_URL:
        if (!startswith(s, "file://") && !startswith(s, "http://") && !startswith(s, "https://"))
            return fail(p, line, key, "'%s' is not a file://, http:// or https:// URL", s);
        return 0;
    case F_IMGPATH:
    case F_HOMEPATH:
        if (!is_image_path(s) && !(f->type == F_HOMEPATH && !strcmp(s, "/")))
            return fail(p, line, key, "'%s' is not an absolute, normalised image path", s);
        return 0;
    default:
        return 0;
    }
}

/* F_U32, F_U64, F_I64: a non-negative integer in the field's range, stored. */
static int store_integer_field(struct parser *p, const struct field *f, const char *s, const char *key, int line,
                               char *base)
{
    uint64_t u;
    if (parse_u64(s, &u) < 0 || (f->type == F_U32 && u > UINT32_MAX) || (f->type == F_I64 && u > INT64_MAX))
        return fail(p, line, key, "expected a non-negative integer%s, got '%s'",
                    f->type == F_U32 ? " below 2^32" : "", s);
    if (f->type == F_U32)
        *(uint32_t *)(base + f->off) = (uint32_t)u;
    else if (f->type == F_U64)
        *(uint64_t *)(base + f->off) = u;
    else
        *(int64_t *)(base + f->off) = (int64_t)u;
    return 0;
}

static int parse_scalar_field(struct parser *p, const struct field *f, struct fy_node *v, const char *key,
                              int line, void *obj)
{
    static const char *const what[] = {
        [F_STR] = "a string", [F_NAME] = "a name", [F_IDENT] = "a name", [F_URL] = "a URL", [F_HOSTPATH] = "a path",
        [F_IMGPATH] = "an absolute path", [F_HOMEPATH] = "an absolute path", [F_BOOL] = "true or false", [F_U32] = "an integer",
        [F_U64] = "an integer", [F_I64] = "an integer", [F_MODE] = "an octal mode",
        [F_OWNER] = "an owner (USER:GROUP)",
    };
    _cleanup_free_ char *s = NULL;
    int r = get_scalar(p, v, key, line, what[f->type], &s);
    if (r < 0)
        return r;
    char *base = obj;
    char **sp = (char **)(base + f->off);
    switch (f->type) {
    case F_STR:
    case F_NAME:
    case F_IDENT:
    case F_URL:
    case F_IMGPATH:
    case F_HOMEPATH:
        if ((r = check_string_field(p, f, s, key, line)) < 0)
            return r;
        break;
    case F_HOSTPATH: {
        char *resolved = resolve_host_path(p, s);
        free(*sp);
        *sp = resolved;
        return 0;
    }
    case F_BOOL:
        if (strcmp(s, "true") && strcmp(s, "false"))
            return fail(p, line, key, "expected true or false, got '%s'", s);
        *(bool *)(base + f->off) = s[0] == 't';
        return 0;
    case F_U32:
    case F_U64:
    case F_I64:
        return store_integer_field(p, f, s, key, line, base);
    case F_MODE:
        if (parse_octal_mode(s, (uint32_t *)(base + f->off)) < 0)
            return fail(p, line, key, "expected an octal mode such as \"0755\", got '%s'", s);
        return 0;
    case F_OWNER:
        return parse_owner(p, s, key, line, sp, (char **)(base + f->off2));
    default:
        return fail(p, line, key, "internal: unexpected field type");
    }
    free(*sp);
    *sp = s;
    s = NULL;
    return 0;
}

/* ---------------------------------------------------------- sequences --- */

/* Check that v is a sequence and return its length. */
static int seq_len(struct parser *p, struct fy_node *v, const char *key, int line, size_t *n)
{
    if (!v || !fy_node_is_sequence(v) || fy_node_is_alias(v))
        return fail(p, line, key, "expected a sequence, got %s", kind_name(v));
    int c = fy_node_sequence_item_count(v);
    if (c < 0 || c > MAX_LIST)
        return fail(p, line, key, "too many entries");
    *n = (size_t)c;
    return 0;
}

static int parse_scalar_list(struct parser *p, const struct field *f, struct fy_node *v, const char *key,
                             int line, void *obj)
{
    size_t n;
    int r = seq_len(p, v, key, line, &n);
    if (r < 0)
        return r;
    char **v_out = xcalloc(n ? n : 1, sizeof(char *));
    _cleanup_free_ int *lines = xcalloc(n ? n : 1, sizeof(int));
    char ***arr = (char ***)((char *)obj + f->off);
    size_t *cnt = (size_t *)((char *)obj + f->off2);
    *arr = v_out;
    *cnt = 0;
    static const enum field_type item_type[] = {
        [F_NAMES] = F_NAME, [F_IDENTS] = F_IDENT, [F_STRS] = F_STR, [F_IMGPATHS] = F_IMGPATH};
    struct field item = {f->key, item_type[f->type], 0, 0, true, NULL, NULL};
    void *it = NULL;
    struct fy_node *e;
    for (size_t i = 0; (e = fy_node_sequence_iterate(v, &it)); i++) {
        _cleanup_free_ char *k = xasprintf("%s[%zu]", key, i);
        lines[i] = node_line(e, line);
        r = parse_scalar_field(p, &item, e, k, lines[i], &v_out[i]);
        if (r < 0)
            return r;
        *cnt = i + 1;
    }
    /* O(n log n): package lists may hold 100,000 names */
    size_t dup = strv_find_duplicate(v_out, n);
    if (dup < n) {
        _cleanup_free_ char *k = xasprintf("%s[%zu]", key, dup);
        return fail(p, lines[dup], k, "'%s' is listed twice", v_out[dup]);
    }
    return 0;
}

static int parse_map(struct parser *p, struct fy_node *n, const char *key, int line, const struct field *fields,
                     size_t nfields, void *obj);

/* A sequence of mappings, each parsed with fields into an array of
 * elem_size-byte structs; init (optional) sets an element's defaults. */
static int parse_map_list(struct parser *p, struct fy_node *v, const char *key, int line,
                          const struct field *fields, size_t nfields, size_t elem_size, void (*init)(void *elem),
                          void **arr, size_t *cnt)
{
    size_t n;
    *arr = NULL;
    *cnt = 0;
    int r = seq_len(p, v, key, line, &n);
    if (r < 0)
        return r;
    *arr = xcalloc(n ? n : 1, elem_size);
    void *it = NULL;
    struct fy_node *e;
    for (size_t i = 0; (e = fy_node_sequence_iterate(v, &it)); i++) {
        _cleanup_free_ char *k = xasprintf("%s[%zu]", key, i);
        void *elem = (char *)*arr + i * elem_size;
        *cnt = i + 1; /* counted before parsing so that manifest_free frees partial entries */
        if (init)
            init(elem);
        r = parse_map(p, e, k, node_line(e, line), fields, nfields, elem);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ----------------------------------------------------------- mappings --- */

static int parse_map(struct parser *p, struct fy_node *n, const char *key, int line, const struct field *fields,
                     size_t nfields, void *obj)
{
    if (!n || !fy_node_is_mapping(n) || fy_node_is_alias(n))
        return fail(p, line, key, "expected a mapping, got %s", kind_name(n));
    bool seen[32] = {false};
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *kn = fy_node_pair_key(pr), *v = fy_node_pair_value(pr);
        int kline = node_line(kn, line);
        size_t klen = 0;
        const char *ks = kn && fy_node_is_scalar(kn) && !fy_node_is_alias(kn) ? fy_node_get_scalar(kn, &klen)
                                                                               : NULL;
        if (!ks || !klen || memchr(ks, 0, klen))
            return fail(p, kline, key, "keys must be plain strings");
        _cleanup_free_ char *kname = xstrndup(ks, klen);
        _cleanup_free_ char *full = child_key(key, kname);
        size_t i;
        for (i = 0; i < nfields; i++)
            if (!strcmp(fields[i].key, kname))
                break;
        if (i == nfields)
            return fail(p, kline, NULL, "unknown key '%s'", full);
        seen[i] = true;
        const struct field *f = &fields[i];
        int vline = v && fy_node_is_scalar(v) ? node_line(v, kline) : kline;
        int r;
        if (f->type == F_CUSTOM) {
            r = f->fn(p, v, full, vline, obj);
        } else if (f->type == F_LIST) {
            void *arr = NULL;
            r = parse_map_list(p, v, full, vline, f->list->fields, f->list->nfields, f->list->elem_size,
                               f->list->init, &arr, (size_t *)((char *)obj + f->off2));
            memcpy((char *)obj + f->off, &arr, sizeof(arr));
        }
        else if (f->type == F_NAMES || f->type == F_IDENTS || f->type == F_STRS || f->type == F_IMGPATHS)
            r = parse_scalar_list(p, f, v, full, vline, obj);
        else
            r = parse_scalar_field(p, f, v, full, vline, obj);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < nfields; i++)
        if (fields[i].required && !seen[i]) {
            if (key && *key)
                return fail(p, line, key, "missing required key '%s'", fields[i].key);
            return fail(p, line, NULL, "missing required key '%s'", fields[i].key);
        }
    return 0;
}

/* --------------------------------------------------------------- keys --- */

static const struct field repo_fields[] = {
    FIELD("name", F_IDENT, struct manifest_repo, name, true),
    FIELD("baseurl", F_URL, struct manifest_repo, baseurl, true),
    FIELD("gpgkey", F_HOSTPATH, struct manifest_repo, gpgkey, false),
    FIELD("gpgcheck", F_BOOL, struct manifest_repo, gpgcheck, false),
};

static void repo_defaults(void *elem)
{
    ((struct manifest_repo *)elem)->gpgcheck = true;
}

static int parse_repos(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest *m = obj;
    void *arr = NULL;
    int r = parse_map_list(p, v, key, line, repo_fields, ARRAY_SIZE(repo_fields), sizeof(struct manifest_repo),
                           repo_defaults, &arr, &m->nrepos);
    m->repos = arr;
    if (r < 0)
        return r;
    for (size_t i = 0; i < m->nrepos; i++) {
        struct manifest_repo *rp = &m->repos[i];
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->repos[j].name, rp->name))
                return fail(p, line, key, "repository name '%s' is used twice", rp->name);
        if (rp->gpgcheck && !rp->gpgkey)
            return fail(p, line, key, "repository '%s' has no gpgkey (set gpgcheck: false to accept "
                        "unsigned metadata)", rp->name);
        if (!rp->gpgcheck && rp->gpgkey)
            return fail(p, line, key, "repository '%s' has a gpgkey that gpgcheck: false would ignore; keep one "
                        "of them", rp->name);
    }
    return 0;
}

static const struct field local_fields[] = {
    FIELD("path", F_STR, struct manifest_local, rel, true),
    FIELD("name", F_NAME, struct manifest_local, name, false),
    FIELD("version", F_STR, struct manifest_local, version, false),
    FIELD("license", F_STR, struct manifest_local, license, false),
};

static enum package_format format_of(const char *path)
{
    static const char *const tars[] = {".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.zst", ".tar.bz2"};
    if (endswith(path, ".rpm"))
        return PKG_RPM;
    if (endswith(path, ".deb"))
        return PKG_DEB;
    for (size_t i = 0; i < ARRAY_SIZE(tars); i++)
        if (endswith(path, tars[i]))
            return PKG_TAR;
    return 0;
}

/* A string (path of an .rpm or .deb) or a mapping: a tarball needs its
 * name and version, which nothing inside it says; a tarball or a .deb
 * (whose control file has none) may say its license for the SBOM. */
static int parse_local(struct parser *p, struct fy_node *e, const char *key, int line, struct manifest_local *l)
{
    int r;
    if (e && fy_node_is_mapping(e))
        r = parse_map(p, e, key, line, local_fields, ARRAY_SIZE(local_fields), l);
    else
        r = get_scalar(p, e, key, line, "a path or a mapping", &l->rel);
    if (r < 0)
        return r;
    l->path = resolve_host_path(p, l->rel);
    l->format = format_of(l->rel);
    if (!l->format)
        return fail(p, line, key, "'%s': not a .rpm, .deb or tarball (.tar, .tar.gz, .tar.xz, .tar.zst)", l->rel);
    if (l->format == PKG_TAR && (!l->name || !l->version))
        return fail(p, line, key, "tarball '%s' needs name and version", l->rel);
    if (l->format != PKG_TAR && (l->name || l->version))
        return fail(p, line, key, "name and version come from the package itself for '%s'", l->rel);
    if (l->format == PKG_RPM && l->license)
        return fail(p, line, key, "the license comes from the package's header for '%s'", l->rel);
    return 0;
}

static int parse_locals(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest *m = obj;
    size_t n;
    int r = seq_len(p, v, key, line, &n);
    if (r < 0)
        return r;
    m->locals = xcalloc(n ? n : 1, sizeof(*m->locals));
    void *it = NULL;
    struct fy_node *e;
    for (size_t i = 0; (e = fy_node_sequence_iterate(v, &it)); i++) {
        _cleanup_free_ char *k = xasprintf("%s[%zu]", key, i);
        m->nlocals = i + 1;
        r = parse_local(p, e, k, node_line(e, line), &m->locals[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static const struct field file_fields[] = {
    FIELD("src", F_HOSTPATH, struct manifest_file, src, true),
    FIELD("dst", F_IMGPATH, struct manifest_file, dst, true),
    FIELD("mode", F_MODE, struct manifest_file, mode, false),
    FIELD2("owner", F_OWNER, struct manifest_file, owner, group, false),
};

static const struct field dir_fields[] = {
    FIELD("path", F_IMGPATH, struct manifest_dir, path, true),
    FIELD("mode", F_MODE, struct manifest_dir, mode, false),
    FIELD2("owner", F_OWNER, struct manifest_dir, owner, group, false),
};

static const struct field symlink_fields[] = {
    FIELD("path", F_IMGPATH, struct manifest_symlink, path, true),
    FIELD("target", F_STR, struct manifest_symlink, target, true),
};

static void file_defaults(void *elem)
{
    struct manifest_file *f = elem;
    f->mode = 0644;
    f->owner = xstrdup("0");
    f->group = xstrdup("0");
}

static void dir_defaults(void *elem)
{
    struct manifest_dir *d = elem;
    d->mode = 0755;
    d->owner = xstrdup("0");
    d->group = xstrdup("0");
}

static const struct list_spec file_list = {file_fields, ARRAY_SIZE(file_fields), sizeof(struct manifest_file),
                                           file_defaults};
static const struct list_spec dir_list = {dir_fields, ARRAY_SIZE(dir_fields), sizeof(struct manifest_dir),
                                          dir_defaults};
static const struct list_spec symlink_list = {symlink_fields, ARRAY_SIZE(symlink_fields),
                                              sizeof(struct manifest_symlink), NULL};

static const struct field group_fields[] = {
    FIELD("name", F_IDENT, struct manifest_group, name, true),
    FIELD("gid", F_U32, struct manifest_group, gid, true),
};

static const struct field user_fields[] = {
    FIELD("name", F_IDENT, struct manifest_user, name, true),
    FIELD("uid", F_U32, struct manifest_user, uid, true),
    FIELD("gid", F_U32, struct manifest_user, gid, true),
    FIELD("home", F_HOMEPATH, struct manifest_user, home, false),
    FIELD("shell", F_IMGPATH, struct manifest_user, shell, false),
    FIELD("gecos", F_STR, struct manifest_user, gecos, false),
    FIELD2("groups", F_IDENTS, struct manifest_user, groups, ngroups, false),
};

static const struct list_spec group_list = {group_fields, ARRAY_SIZE(group_fields),
                                            sizeof(struct manifest_group), NULL};
static const struct list_spec user_list = {user_fields, ARRAY_SIZE(user_fields), sizeof(struct manifest_user),
                                           NULL};

static const struct field account_fields[] = {
    LIST("groups", group_list, struct manifest, groups, ngroups),
    LIST("users", user_list, struct manifest, users, nusers),
};

/* A byte that would split or end a line of /etc/passwd, group or shadow:
 * the ':' separator, a newline or any other control byte. */
static bool account_field_bad(const char *s)
{
    for (; *s; s++)
        if (*s == ':' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int parse_accounts(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest *m = obj;
    int r = parse_map(p, v, key, line, account_fields, ARRAY_SIZE(account_fields), m);
    if (r < 0)
        return r;
    for (size_t i = 0; i < m->ngroups; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->groups[i].name, m->groups[j].name) || m->groups[i].gid == m->groups[j].gid)
                return fail(p, line, key, "groups '%s' and '%s' share a name or gid", m->groups[j].name,
                            m->groups[i].name);
    for (size_t i = 0; i < m->nusers; i++) {
        struct manifest_user *u = &m->users[i];
        if (u->uid == 0 && strcmp(u->name, "root")) {
            _cleanup_free_ char *uk = xasprintf("%s.users[%zu].uid", key, i);
            return fail(p, line, uk, "0 is root's uid: user '%s' would be a second root account", u->name);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(u->name, m->users[j].name) || u->uid == m->users[j].uid)
                return fail(p, line, key, "users '%s' and '%s' share a name or uid", m->users[j].name, u->name);
        const char *const fields[] = {"home", "shell", "gecos"};
        const char *const values[] = {u->home, u->shell, u->gecos};
        for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
            if (values[k] && account_field_bad(values[k])) {
                _cleanup_free_ char *fk = xasprintf("%s.users[%zu].%s", key, i, fields[k]);
                return fail(p, line, fk, "contains ':', a newline or another control character");
            }
        if (!u->home)
            u->home = xstrdup("/");
        if (!u->shell)
            u->shell = xstrdup("/sbin/nologin");
        if (!u->gecos)
            u->gecos = xstrdup("");
    }
    return 0;
}

/* One of choices[] (NULL-terminated, listed in what); *out = its index + 1
 * (the enums below count from 1 in the same order). */
static int get_choice(struct parser *p, struct fy_node *v, const char *key, int line, const char *const *choices,
                      const char *what, int *out)
{
    _cleanup_free_ char *s = NULL;
    int r = get_scalar(p, v, key, line, what, &s);
    if (r < 0)
        return r;
    for (int i = 0; choices[i]; i++)
        if (!strcmp(s, choices[i])) {
            *out = i + 1;
            return 0;
        }
    return fail(p, line, key, "expected %s, got '%s'", what, s);
}

static int parse_layout(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    static const char *const names[] = {"kata", "raw", NULL}; /* enum image_layout */
    int c = 0;
    int r = get_choice(p, v, key, line, names, "kata or raw", &c);
    ((struct manifest_image *)obj)->layout = (enum image_layout)c;
    return r;
}

/* "auto", or bytes with an optional binary suffix K, M, G (KiB, MiB, GiB);
 * whole 4 KiB filesystem blocks. */
static int parse_size(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest_image *im = obj;
    _cleanup_free_ char *s = NULL;
    int r = get_scalar(p, v, key, line, "a size", &s);
    if (r < 0)
        return r;
    if (!strcmp(s, "auto")) {
        im->size = 0;
        return 0;
    }
    size_t n = strlen(s);
    unsigned shift = 0;
    switch (s[n - 1]) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    }
    if (shift)
        s[n - 1] = 0;
    uint64_t u;
    if (parse_u64(s, &u) < 0 || u == 0 || u > (UINT64_MAX >> 30) || (u << shift) % 4096)
        return fail(p, line, key, "expected auto or a multiple of 4096 bytes such as 512M, got '%s%s'", s,
                    shift == 10 ? "K" : shift == 20 ? "M" : shift == 30 ? "G" : "");
    im->size = u << shift;
    return 0;
}

static const struct field image_fields[] = {
    CUSTOM("layout", parse_layout, false),
    CUSTOM("size", parse_size, false),
};

static int parse_image(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest *m = obj;
    return parse_map(p, v, key, line, image_fields, ARRAY_SIZE(image_fields), &m->image);
}

static int parse_kernel_from(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    static const char *const names[] = {"profile", "package", "file", NULL}; /* enum kernel_origin */
    int c = 0;
    int r = get_choice(p, v, key, line, names, "profile, package or file", &c);
    ((struct manifest_kernel *)obj)->from = (enum kernel_origin)c;
    return r;
}

static const struct field kernel_fields[] = {
    CUSTOM("from", parse_kernel_from, true),
    FIELD("profile", F_IDENT, struct manifest_kernel, profile, false),
    FIELD("package", F_NAME, struct manifest_kernel, package, false),
    FIELD("package-file", F_STR, struct manifest_kernel, package_file_rel, false),
    FIELD("path", F_STR, struct manifest_kernel, path, false),
};

static int parse_kernel(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest *m = obj;
    struct manifest_kernel *k = &m->kernel;
    int r = parse_map(p, v, key, line, kernel_fields, ARRAY_SIZE(kernel_fields), k);
    if (r < 0)
        return r;
    switch (k->from) {
    case KERNEL_PROFILE:
        if (!k->profile || k->package || k->package_file_rel || k->path)
            return fail(p, line, key, "from: profile takes 'profile' (and no package or path)");
        break;
    case KERNEL_PACKAGE:
        if (!k->package == !k->package_file_rel || !k->path || k->profile)
            return fail(p, line, key, "from: package takes 'package' (a repository package) or 'package-file' "
                        "(a local .rpm or .deb), and 'path' (the file inside it)");
        if (!is_image_path(k->path))
            return fail(p, line, key, "path '%s' is not an absolute, normalised path inside the package",
                        k->path);
        if (k->package_file_rel) {
            if (format_of(k->package_file_rel) != PKG_RPM && format_of(k->package_file_rel) != PKG_DEB)
                return fail(p, line, key, "package-file '%s' is not a .rpm or .deb", k->package_file_rel);
            k->package_file = resolve_host_path(p, k->package_file_rel);
        }
        break;
    case KERNEL_FILE: {
        if (!k->path || k->profile || k->package || k->package_file_rel)
            return fail(p, line, key, "from: file takes 'path' (a file beside the manifest)");
        char *resolved = resolve_host_path(p, k->path);
        free(k->path);
        k->path = resolved;
        break;
    }
    default:
        break;
    }
    return 0;
}

struct firmware_spec {
    char *path;
    char *sha256;
};

static const struct field firmware_fields[] = {
    FIELD("path", F_HOSTPATH, struct firmware_spec, path, true),
    FIELD("sha256", F_STR, struct firmware_spec, sha256, true),
};

/* "none", or {path, sha256}: the firmware is measured, so its digest is
 * part of the manifest. */
static int parse_firmware(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest_measure *ms = obj;
    if (v && fy_node_is_scalar(v)) {
        _cleanup_free_ char *s = NULL;
        int r = get_scalar(p, v, key, line, "none or {path, sha256}", &s);
        if (r < 0)
            return r;
        if (strcmp(s, "none"))
            return fail(p, line, key, "expected none or a mapping {path, sha256}, got '%s'", s);
        ms->have_firmware = false;
        return 0;
    }
    struct firmware_spec fw = {0};
    int r = parse_map(p, v, key, line, firmware_fields, ARRAY_SIZE(firmware_fields), &fw);
    if (r == 0 && (strlen(fw.sha256) != 64 || hex_decode(fw.sha256, ms->firmware_sha256, 32) != 32))
        r = fail(p, line, key, "sha256 '%s' is not 64 hex digits", fw.sha256);
    if (r == 0) {
        free(ms->firmware);
        ms->firmware = fw.path;
        fw.path = NULL;
        ms->have_firmware = true;
    }
    free(fw.path);
    free(fw.sha256);
    return r;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int parse_vcpu_count(struct parser *p, const char *s, const char *key, int line, uint32_t *out)
{
    uint32_t u;
    if (parse_u32(s, &u) < 0 || u == 0 || u > MAX_VCPUS)
        return fail(p, line, key, "'%s' is not a vCPU count (1..%d)", s, MAX_VCPUS);
    *out = u;
    return 0;
}

/* A list of counts, one count, or a range "FIRST-LAST". Stored sorted and
 * distinct. */
static int parse_vcpus(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest_measure *ms = obj;
    free(ms->vcpus);
    ms->vcpus = NULL;
    ms->nvcpus = 0;
    if (v && fy_node_is_scalar(v)) {
        _cleanup_free_ char *s = NULL;
        int r = get_scalar(p, v, key, line, "a list of counts or a range FIRST-LAST", &s);
        if (r < 0)
            return r;
        char *dash = strchr(s, '-');
        if (dash)
            *dash = 0;
        uint32_t lo = 0, hi = 0;
        if ((r = parse_vcpu_count(p, s, key, line, &lo)) < 0 ||
            (r = parse_vcpu_count(p, dash ? dash + 1 : s, key, line, &hi)) < 0)
            return r;
        if (lo > hi)
            return fail(p, line, key, "range %u-%u is empty", lo, hi);
        ms->vcpus = xcalloc(hi - lo + 1, sizeof(uint32_t));
        for (uint32_t c = lo; c <= hi; c++)
            ms->vcpus[ms->nvcpus++] = c;
        return 0;
    }
    size_t n;
    int r = seq_len(p, v, key, line, &n);
    if (r < 0)
        return r;
    if (n == 0 || n > MAX_VCPUS)
        return fail(p, line, key, "expected 1 to %d vCPU counts", MAX_VCPUS);
    ms->vcpus = xcalloc(n, sizeof(uint32_t));
    void *it = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(v, &it))) {
        _cleanup_free_ char *s = NULL;
        int eline = node_line(e, line);
        if ((r = get_scalar(p, e, key, eline, "a vCPU count", &s)) < 0 ||
            (r = parse_vcpu_count(p, s, key, eline, &ms->vcpus[ms->nvcpus])) < 0)
            return r;
        ms->nvcpus++;
    }
    qsort(ms->vcpus, ms->nvcpus, sizeof(uint32_t), cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < ms->nvcpus; i++)
        if (!k || ms->vcpus[k - 1] != ms->vcpus[i])
            ms->vcpus[k++] = ms->vcpus[i];
    ms->nvcpus = k;
    return 0;
}

/* ------------------------------------------------------ guest policy --- */

/* The mapping form of a guest policy: the bits a release engineer decides. */
struct policy_spec {
    uint32_t abi_major, abi_minor;
    bool smt, migrate_ma, debug, single_socket;
};

static const struct field policy_fields[] = {
    FIELD("abi-major", F_U32, struct policy_spec, abi_major, false),
    FIELD("abi-minor", F_U32, struct policy_spec, abi_minor, false),
    FIELD("smt", F_BOOL, struct policy_spec, smt, false),
    FIELD("migrate-ma", F_BOOL, struct policy_spec, migrate_ma, false),
    FIELD("debug", F_BOOL, struct policy_spec, debug, false),
    FIELD("single-socket", F_BOOL, struct policy_spec, single_socket, false),
};

/* An SNP guest policy: an integer (0x30000), or a mapping of its bits
 * starting from SMT allowed, ABI 0.0, debug, migration agent and single
 * socket off. The reserved bit 17 must be set, undefined bits clear. */
static int parse_guest_policy(struct parser *p, struct fy_node *v, const char *key, int line, uint64_t *out)
{
    if (v && fy_node_is_scalar(v)) {
        _cleanup_free_ char *s = NULL;
        uint64_t u;
        int r = get_scalar(p, v, key, line, "an integer or a mapping", &s);
        if (r < 0)
            return r;
        if (parse_u64(s, &u) < 0)
            return fail(p, line, key, "expected an integer (0x30000) or a mapping {debug, migrate-ma, smt, "
                        "single-socket, abi-major, abi-minor}, got '%s'", s);
        if (!(u & SNP_POLICY_RESERVED_ONE))
            return fail(p, line, key, "0x%llx: bit 17 (reserved) must be set", (unsigned long long)u);
        if (u & ~SNP_POLICY_DEFINED)
            return fail(p, line, key, "0x%llx sets bits above 25, which the SNP ABI reserves",
                        (unsigned long long)u);
        *out = u;
        return 0;
    }
    struct policy_spec ps = {.smt = true};
    int r = parse_map(p, v, key, line, policy_fields, ARRAY_SIZE(policy_fields), &ps);
    if (r < 0)
        return r;
    if (ps.abi_major > 255 || ps.abi_minor > 255)
        return fail(p, line, key, "abi-major and abi-minor are 0 to 255");
    *out = SNP_POLICY_RESERVED_ONE | (uint64_t)ps.abi_major << SNP_POLICY_ABI_MAJOR_SHIFT | ps.abi_minor |
           (ps.smt ? SNP_POLICY_SMT : 0) | (ps.migrate_ma ? SNP_POLICY_MIGRATE_MA : 0) |
           (ps.debug ? SNP_POLICY_DEBUG : 0) | (ps.single_socket ? SNP_POLICY_SINGLE_SOCKET : 0);
    return 0;
}

static int parse_igvm_policy(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    return parse_guest_policy(p, v, key, line, &((struct manifest_igvm *)obj)->guest_policy);
}

static int parse_appraisal_policy(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    return parse_guest_policy(p, v, key, line, &((struct manifest_appraisal *)obj)->guest_policy);
}

static const struct field igvm_fields[] = {
    FIELD("cmdline", F_STR, struct manifest_igvm, cmdline, false),
    FIELD("debug-cmdline", F_STR, struct manifest_igvm, debug_cmdline, false),
    FIELD("boot-mode", F_STR, struct manifest_igvm, boot_mode, false),
    FIELD("vtl", F_U32, struct manifest_igvm, vtl, false),
    FIELD("svme", F_BOOL, struct manifest_igvm, svme, false),
    FIELD("encrypted-page", F_BOOL, struct manifest_igvm, encrypted_page, false),
    FIELD("pvalidate-opt", F_BOOL, struct manifest_igvm, pvalidate_opt, false),
    FIELD("acpi", F_HOSTPATH, struct manifest_igvm, acpi, false),
    CUSTOM("guest-policy", parse_igvm_policy, false),
};

static size_t count_substr(const char *s, const char *sub)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
        n++;
    return n;
}

/* A command line the kernel can take: one "{dm-verity}", no NUL or newline. */
static int check_igvm_cmdline(struct parser *p, int line, const char *key, const char *name, const char *s)
{
    if (!s)
        return 0;
    if (count_substr(s, MANIFEST_DM_VERITY) != 1)
        return fail(p, line, key, "%s must hold " MANIFEST_DM_VERITY " exactly once (where the build puts "
                    "the image's dm-verity table)", name);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
            return fail(p, line, key, "%s holds the control byte 0x%02x (only TAB is kept)", name, *c);
    return 0;
}

/* igvmgen's defaults (boot mode x86, VTL 2, SVME, encrypted pages and
 * pvalidate_opt on, guest policy 0x3001f), then the keys given. */
static int parse_igvm(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest_igvm *g = &((struct manifest_measure *)obj)->igvm;
    g->vtl = 2;
    g->svme = g->encrypted_page = g->pvalidate_opt = true;
    g->guest_policy = MANIFEST_IGVM_POLICY;
    int r = parse_map(p, v, key, line, igvm_fields, ARRAY_SIZE(igvm_fields), g);
    if (r < 0)
        return r;
    if (!g->boot_mode)
        g->boot_mode = xstrdup("x86");
    if (strcmp(g->boot_mode, "x64") && strcmp(g->boot_mode, "x86"))
        return fail(p, line, key, "boot-mode: '%s' is not x64 or x86", g->boot_mode);
    if (g->vtl != 0 && g->vtl != 2)
        return fail(p, line, key, "vtl: %u is not 0 or 2", g->vtl);
    if ((r = check_igvm_cmdline(p, line, key, "cmdline", g->cmdline)) < 0 ||
        (r = check_igvm_cmdline(p, line, key, "debug-cmdline", g->debug_cmdline)) < 0)
        return r;
    g->present = true;
    return 0;
}


static const struct field tcb_fields[] = {
    FIELD("bootloader", F_U32, struct manifest_appraisal, tcb_bootloader, true),
    FIELD("tee", F_U32, struct manifest_appraisal, tcb_tee, true),
    FIELD("snp", F_U32, struct manifest_appraisal, tcb_snp, true),
    FIELD("microcode", F_U32, struct manifest_appraisal, tcb_microcode, true),
    FIELD("fmc", F_U32, struct manifest_appraisal, tcb_fmc, false),
};

/* {bootloader, tee, snp, microcode} required, fmc (Turin) optional: SPLs 0..255. */
static int parse_min_tcb(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest_appraisal *a = obj;
    int r = parse_map(p, v, key, line, tcb_fields, ARRAY_SIZE(tcb_fields), a);
    if (r < 0)
        return r;
    a->tcb_has_fmc = fy_node_mapping_lookup_pair_by_string(v, "fmc", FY_NT) != NULL;
    const struct { const char *name; uint32_t v; } parts[] = {
        {"bootloader", a->tcb_bootloader}, {"tee", a->tcb_tee}, {"snp", a->tcb_snp},
        {"microcode", a->tcb_microcode}, {"fmc", a->tcb_has_fmc ? a->tcb_fmc : 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
        if (parts[i].v > 255)
            return fail(p, line, key, "%s: %u is not a security patch level (0 to 255)", parts[i].name, parts[i].v);
    a->has_min_tcb = true;
    return 0;
}

static const struct field appraisal_fields[] = {
    CUSTOM("guest-policy", parse_appraisal_policy, false),
    FIELD("vmpl", F_U32, struct manifest_appraisal, vmpl, false),
    CUSTOM("min-tcb", parse_min_tcb, false),
};

/* What a verifier wants when the manifest does not say: debug, migration
 * agent and single socket off, SMT allowed, ABI 0.0, VMPL 0, no minimum TCB. */
static int parse_appraisal(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest_appraisal *a = &((struct manifest_measure *)obj)->appraisal;
    a->guest_policy = SNP_POLICY_DEFAULT;
    a->line = line;
    int r = parse_map(p, v, key, line, appraisal_fields, ARRAY_SIZE(appraisal_fields), a);
    if (r < 0)
        return r;
    if (a->vmpl > 3)
        return fail(p, line, key, "vmpl: %u is not 0, 1, 2 or 3", a->vmpl);
    a->present = true;
    return 0;
}

/* The production IGVM's reports carry its policy: an appraisal that
 * refuses it refuses the release's own launch. */
static int check_appraisal_igvm(struct parser *p, const struct manifest_measure *ms, const char *key)
{
    if (!ms->appraisal.present || !ms->igvm.present)
        return 0;
    _cleanup_free_ char *want = NULL, *got = NULL;
    if (snp_policy_within(ms->appraisal.guest_policy, ms->igvm.guest_policy, &want, &got))
        return 0;
    return fail(p, ms->appraisal.line, NULL, "%s.appraisal.guest-policy 0x%llx contradicts %s.igvm.guest-policy "
                "0x%llx%s: the appraisal wants %s, the IGVM has %s",
                key, (unsigned long long)ms->appraisal.guest_policy, key,
                (unsigned long long)ms->igvm.guest_policy,
                ms->igvm.guest_policy == MANIFEST_IGVM_POLICY ? " (igvmgen's default)" : "", want, got);
}

static const struct field measure_fields[] = {
    CUSTOM("firmware", parse_firmware, true),
    FIELD2("vmm-types", F_STRS, struct manifest_measure, vmm_types, nvmm_types, false),
    CUSTOM("vcpus", parse_vcpus, false),
    FIELD2("vcpu-types", F_STRS, struct manifest_measure, vcpu_types, nvcpu_types, false),
    FIELD("guest-features", F_U64, struct manifest_measure, guest_features, false),
    FIELD("svn", F_U32, struct manifest_measure, svn, false),
    CUSTOM("igvm", parse_igvm, false),
    CUSTOM("appraisal", parse_appraisal, false),
};

static int parse_measure(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest_measure *ms = &((struct manifest *)obj)->measure;
    int r = parse_map(p, v, key, line, measure_fields, ARRAY_SIZE(measure_fields), ms);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ms->nvmm_types; i++)
        if (strcmp(ms->vmm_types[i], "QEMU") && strcmp(ms->vmm_types[i], "ec2") && strcmp(ms->vmm_types[i], "gce"))
            return fail(p, line, key, "vmm-types: '%s' is not QEMU, ec2 or gce", ms->vmm_types[i]);
    if ((r = check_appraisal_igvm(p, ms, key)) < 0)
        return r;
    ms->present = true;
    return 0;
}

static int parse_seed(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    struct manifest *m = obj;
    _cleanup_free_ char *s = NULL;
    int r = get_scalar(p, v, key, line, "a UUID", &s);
    if (r < 0)
        return r;
    if (uuid_parse(s, m->seed) < 0)
        return fail(p, line, key, "'%s' is not a UUID (8-4-4-4-12 hex digits)", s);
    return 0;
}

/* Seconds since 1970 that every image timestamp carries, checked here
 * against the bound builder/fs/ext4.c enforces (MANIFEST_EPOCH_MAX) so the
 * message names the key. */
static int parse_epoch(struct parser *p, struct fy_node *v, const char *key, int line, void *obj)
{
    static const struct field f = FIELD("epoch", F_I64, struct manifest, epoch, true);
    int r = parse_scalar_field(p, &f, v, key, line, obj);
    int64_t e = ((struct manifest *)obj)->epoch;
    if (r == 0 && e > MANIFEST_EPOCH_MAX)
        return fail(p, line, key, "%lld is past %lld, the last second an image timestamp holds", (long long)e,
                    (long long)MANIFEST_EPOCH_MAX);
    return r;
}

static const struct field manifest_fields[] = {
    FIELD("name", F_IDENT, struct manifest, name, true),
    FIELD("version", F_STR, struct manifest, version, true),
    CUSTOM("epoch", parse_epoch, true),
    CUSTOM("seed", parse_seed, true),
    FIELD("arch", F_NAME, struct manifest, arch, false),
    CUSTOM("repositories", parse_repos, false),
    FIELD2("packages", F_NAMES, struct manifest, packages, npackages, false),
    FIELD("weak-deps", F_BOOL, struct manifest, weak_deps, false),
    FIELD2("allow-overwrite", F_NAMES, struct manifest, allow_overwrite, nallow_overwrite, false),
    CUSTOM("local-packages", parse_locals, false),
    FIELD2("remove", F_IMGPATHS, struct manifest, remove, nremove, false),
    LIST("directories", dir_list, struct manifest, dirs, ndirs),
    LIST("files", file_list, struct manifest, files, nfiles),
    LIST("symlinks", symlink_list, struct manifest, symlinks, nsymlinks),
    CUSTOM("accounts", parse_accounts, false),
    CUSTOM("image", parse_image, false),
    CUSTOM("kernel", parse_kernel, false),
    CUSTOM("measure", parse_measure, false),
};

/* ---------------------------------------------------------- documents --- */

/* libfyaml reports parse errors through its diagnostic object as
 * "SOURCE:LINE:COL: error: MESSAGE"; keep the first one. */
struct diag_capture {
    char msg[256];
    int line;
};

static void on_diag(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    struct diag_capture *c = user;
    (void)diag;
    if (c->msg[0])
        return;
    const char *e = memmem(buf, len, ": error: ", 9);
    if (!e)
        return;
    /* walk back over ":LINE:COL" */
    const char *q = e;
    int colons = 0;
    while (q > buf && colons < 2) {
        q--;
        if (*q == ':')
            colons++;
        else if (*q < '0' || *q > '9')
            break;
    }
    c->line = colons == 2 ? atoi(q + 1) : 0;
    const char *m = e + 9;
    size_t n = (size_t)(buf + len - m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
        n--;
    snprintf(c->msg, sizeof(c->msg), "%.*s", (int)n, m);
}

/* Exactly one YAML document; NULL with the message set otherwise. The
 * document belongs to *parser (fy_parse_document_destroy). */
static struct fy_document *parse_yaml(const char *text, size_t len, const char *name, struct fy_parser **parser)
{
    struct diag_capture cap = {{0}, 0};
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = on_diag;
    dcfg.user = &cap;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_DISABLE_RECYCLING, .diag = diag};
    struct fy_parser *fyp = diag ? fy_parser_create(&cfg) : NULL;
    if (!fyp || fy_parser_set_string(fyp, text, len) < 0) {
        fy_parser_destroy(fyp);
        fy_diag_destroy(diag);
        err_set(-ENOMEM, "%s: cannot set up the YAML parser", name);
        return NULL;
    }
    struct fy_document *doc = fy_parse_load_document(fyp);
    struct fy_document *extra = doc ? fy_parse_load_document(fyp) : NULL;
    int extra_line = extra ? node_line(fy_document_root(extra), 0) : 0;
    fy_parse_document_destroy(fyp, extra);
    if (doc && (extra || cap.msg[0] || fy_parser_get_stream_error(fyp))) {
        fy_parse_document_destroy(fyp, doc);
        doc = NULL;
    }
    if (!doc) {
        fy_parser_destroy(fyp);
        fyp = NULL;
    }
    fy_diag_destroy(diag);
    if (doc)
        *parser = fyp;
    else if (cap.msg[0])
        err_set(-EINVAL, "%s:%d: invalid YAML: %s", name, cap.line, cap.msg);
    else if (extra)
        err_set(-EINVAL, "%s:%d: a manifest is one YAML document; a second one starts here", name, extra_line);
    else
        err_set(-EINVAL, "%s:1: empty manifest", name);
    return doc;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
        (s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

/* The manifest must be UTF-8 text (libfyaml 0.7.12 loops forever on some
 * invalid sequences, so they are refused before it sees them). */
static int check_text(const char *text, size_t len, const char *name)
{
    const unsigned char *s = (const unsigned char *)text;
    int line = 1;
    for (size_t i = 0; i < len;) {
        size_t n = s[i] ? utf8_seq_len(s + i, len - i) : 0;
        if (!n)
            return err_set(-EINVAL, "%s:%d: not UTF-8 text (byte 0x%02x)", name, line, s[i]);
        line += s[i] == '\n';
        i += n;
    }
    return 0;
}

struct manifest *manifest_parse(const char *text, size_t len, const char *name, const char *dir)
{
    struct parser p = {name, dir};
    if (check_text(text, len, name) < 0)
        return NULL;
    struct fy_parser *fyp = NULL;
    struct fy_document *doc = parse_yaml(text, len, name, &fyp);
    if (!doc)
        return NULL;
    struct manifest *m = xcalloc(1, sizeof(*m));
    m->path = xstrdup(name);
    m->dir = xstrdup(dir && *dir ? dir : ".");
    m->image.layout = IMAGE_LAYOUT_KATA;
    struct fy_node *root = fy_document_root(doc);
    int r = root ? parse_map(&p, root, NULL, node_line(root, 1), manifest_fields, ARRAY_SIZE(manifest_fields), m)
                 : fail(&p, 1, NULL, "empty manifest");
    if (r == 0 && m->npackages && !m->nrepos)
        r = fail(&p, 1, "packages", "packages are listed but no repositories are");
    if (r == 0 && m->kernel.package && !m->nrepos)
        r = fail(&p, 1, "kernel", "the kernel comes from a repository package but no repositories are listed");
    fy_parse_document_destroy(fyp, doc);
    fy_parser_destroy(fyp);
    if (r < 0) {
        manifest_free(m);
        return NULL;
    }
    if (!m->arch)
        m->arch = xstrdup("x86_64");
    return m;
}

struct manifest *manifest_load(const char *path)
{
    uint8_t *text;
    size_t len;
    if (file_read_all(path, &text, &len, MANIFEST_MAX_BYTES) < 0)
        return NULL;
    const char *slash = strrchr(path, '/');
    _cleanup_free_ char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    struct manifest *m = manifest_parse((const char *)text, len, path, dir);
    free(text);
    return m;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* manifest_free's parts, one per section of the manifest. */
static void free_package_sources(struct manifest *m)
{
    for (size_t i = 0; i < m->nrepos; i++) {
        free(m->repos[i].name);
        free(m->repos[i].baseurl);
        free(m->repos[i].gpgkey);
    }
    free(m->repos);
    free_strv(m->packages, m->npackages);
    free_strv(m->allow_overwrite, m->nallow_overwrite);
    for (size_t i = 0; i < m->nlocals; i++) {
        struct manifest_local *l = &m->locals[i];
        free(l->path);
        free(l->rel);
        free(l->name);
        free(l->version);
        free(l->license);
    }
    free(m->locals);
}

static void free_image_changes(struct manifest *m)
{
    free_strv(m->remove, m->nremove);
    for (size_t i = 0; i < m->ndirs; i++) {
        free(m->dirs[i].path);
        free(m->dirs[i].owner);
        free(m->dirs[i].group);
    }
    free(m->dirs);
    for (size_t i = 0; i < m->nfiles; i++) {
        free(m->files[i].src);
        free(m->files[i].dst);
        free(m->files[i].owner);
        free(m->files[i].group);
    }
    free(m->files);
    for (size_t i = 0; i < m->nsymlinks; i++) {
        free(m->symlinks[i].path);
        free(m->symlinks[i].target);
    }
    free(m->symlinks);
}

static void free_accounts(struct manifest *m)
{
    for (size_t i = 0; i < m->ngroups; i++)
        free(m->groups[i].name);
    free(m->groups);
    for (size_t i = 0; i < m->nusers; i++) {
        struct manifest_user *u = &m->users[i];
        free(u->name);
        free(u->home);
        free(u->shell);
        free(u->gecos);
        free_strv(u->groups, u->ngroups);
    }
    free(m->users);
}

static void free_kernel_and_measure(struct manifest *m)
{
    free(m->kernel.profile);
    free(m->kernel.package);
    free(m->kernel.package_file);
    free(m->kernel.package_file_rel);
    free(m->kernel.path);
    free(m->measure.firmware);
    free(m->measure.igvm.cmdline);
    free(m->measure.igvm.debug_cmdline);
    free(m->measure.igvm.boot_mode);
    free(m->measure.igvm.acpi);
    free_strv(m->measure.vmm_types, m->measure.nvmm_types);
    free(m->measure.vcpus);
    free_strv(m->measure.vcpu_types, m->measure.nvcpu_types);
}

void manifest_free(struct manifest *m)
{
    if (!m)
        return;
    free(m->path);
    free(m->dir);
    free(m->name);
    free(m->version);
    free(m->arch);
    free_package_sources(m);
    free_image_changes(m);
    free_accounts(m);
    free_kernel_and_measure(m);
    free(m);
}

char *manifest_lock_path(const struct manifest *m)
{
    const char *p = m->path;
    size_t n = strlen(p);
    if (endswith(p, ".yaml"))
        n -= 5;
    else if (endswith(p, ".yml"))
        n -= 4;
    return xasprintf("%.*s.lock.json", (int)n, p);
}

bool manifest_allows_overwrite(const struct manifest *m, const char *package)
{
    for (size_t i = 0; i < m->nallow_overwrite; i++)
        if (!strcmp(m->allow_overwrite[i], package))
            return true;
    return false;
}
