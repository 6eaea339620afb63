/* files.tsv: reading it back and diffing two listings (files_write.c
 * makes it from the tree). */
#include "release/files.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* Indexed by enum tree_type (builder/fs/tree.h). */
static const char *const type_names[] = {
    NULL, "file", "dir", "symlink", "char", "block", "fifo", "socket",
};

const char *files_type_name(unsigned tree_type)
{
    return tree_type < ARRAY_SIZE(type_names) ? type_names[tree_type] : NULL;
}

/* ------------------------------------------------------------- parsing --- */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Undo escape(); NULL for a malformed escape or an escaped NUL. */
static char *unescape(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    for (; *s; s++) {
        char c = *s;
        if (c == '\\') {
            s++;
            if (*s == '\\')
                c = '\\';
            else if (*s == 't')
                c = '\t';
            else if (*s == 'n')
                c = '\n';
            else if (*s == 'x' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0 && (hexval(s[1]) || hexval(s[2]))) {
                c = (char)(hexval(s[1]) << 4 | hexval(s[2]));
                s += 2;
            } else {
                sb_release(&sb);
                return NULL;
            }
        }
        sb_add(&sb, &c, 1);
    }
    return sb_detach(&sb);
}

static bool known_type(const char *t)
{
    if (!strcmp(t, "hardlink"))
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
        if (type_names[i] && !strcmp(type_names[i], t))
            return true;
    return false;
}

static int parse_octal_mode(const char *s, uint32_t *out)
{
    if (strlen(s) != 4)
        return -EINVAL;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '7')
            return -EINVAL;
        v = v * 8 + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_decimal(const char *s, uint64_t *out)
{
    /* parse_u64 also takes 0x…; the listing is decimal only */
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9')
            return -EINVAL;
    return parse_u64(s, out);
}

static int parse_line(char *line, const char *what, size_t lineno, struct files_entry *e)
{
    char *field[8];
    size_t nf = 0;
    for (char *p = line;; p++) {
        if (nf < 8)
            field[nf] = p;
        nf++;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p = 0;
    }
    if (nf != 8)
        return err_set(-EINVAL, "%s:%zu: %zu fields, expected 8", what, lineno, nf);
    uint64_t uid, gid;
    if (!known_type(field[1]))
        return err_set(-EINVAL, "%s:%zu: unknown type '%s'", what, lineno, field[1]);
    if (parse_octal_mode(field[2], &e->mode) < 0)
        return err_set(-EINVAL, "%s:%zu: mode '%s' is not four octal digits", what, lineno, field[2]);
    if (parse_decimal(field[3], &uid) < 0 || uid > UINT32_MAX || parse_decimal(field[4], &gid) < 0 ||
        gid > UINT32_MAX)
        return err_set(-EINVAL, "%s:%zu: owner '%s:%s' is not two 32-bit numbers", what, lineno, field[3],
                       field[4]);
    if (parse_decimal(field[5], &e->size) < 0)
        return err_set(-EINVAL, "%s:%zu: size '%s' is not a number", what, lineno, field[5]);
    if (!*field[6] || !*field[7])
        return err_set(-EINVAL, "%s:%zu: empty content or xattrs column", what, lineno);
    e->path = unescape(field[0]);
    if (!e->path || e->path[0] != '/')
        return err_set(-EINVAL, "%s:%zu: path '%s' is not an escaped absolute path", what, lineno, field[0]);
    e->uid = (uint32_t)uid;
    e->gid = (uint32_t)gid;
    e->type = xstrdup(field[1]);
    e->content = xstrdup(field[6]);
    e->xattrs = xstrdup(field[7]);
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct files_entry *)a)->path, ((const struct files_entry *)b)->path);
}

int files_tsv_parse(const char *text, size_t len, const char *what, struct files_list *out)
{
    memset(out, 0, sizeof(*out));
    if (memchr(text, 0, len))
        return err_set(-EINVAL, "%s: contains a NUL byte", what);
    if (len && text[len - 1] != '\n')
        return err_set(-EINVAL, "%s: the last line has no newline (truncated?)", what);
    size_t cap = 0, lineno = 0;
    int r = 0;
    for (const char *p = text; p < text + len && r == 0;) {
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        _cleanup_free_ char *line = xstrndup(p, (size_t)(nl - p));
        p = nl + 1;
        lineno++;
        if (line[0] == '#' && lineno == 1)
            continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 1024;
            out->v = xrealloc(out->v, cap * sizeof(*out->v));
        }
        memset(&out->v[out->n], 0, sizeof(out->v[0]));
        r = parse_line(line, what, lineno, &out->v[out->n]);
        out->n++;
    }
    if (r == 0 && out->n) {
        qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
        for (size_t i = 1; i < out->n && r == 0; i++)
            if (!strcmp(out->v[i - 1].path, out->v[i].path))
                r = err_set(-EINVAL, "%s: %s is listed twice", what, out->v[i].path);
    }
    if (r < 0)
        files_list_free(out);
    return r;
}

void files_list_free(struct files_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].type);
        free(l->v[i].content);
        free(l->v[i].xattrs);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* ---------------------------------------------------------------- diff --- */

static unsigned entry_changes(const struct files_entry *a, const struct files_entry *b)
{
    unsigned c = 0;
    if (strcmp(a->type, b->type) || a->size != b->size || strcmp(a->content, b->content))
        c |= FILES_CONTENT;
    if (a->mode != b->mode || a->uid != b->uid || a->gid != b->gid || strcmp(a->xattrs, b->xattrs))
        c |= FILES_METADATA;
    return c;
}

size_t files_diff(const struct files_list *a, const struct files_list *b,
                  void (*fn)(unsigned changes, const struct files_entry *ea, const struct files_entry *eb,
                             void *ctx),
                  void *ctx)
{
    size_t i = 0, k = 0, count = 0;
    while (i < a->n || k < b->n) {
        int c = i == a->n ? 1 : k == b->n ? -1 : strcmp(a->v[i].path, b->v[k].path);
        if (c < 0) {
            fn(FILES_REMOVED, &a->v[i++], NULL, ctx);
            count++;
        } else if (c > 0) {
            fn(FILES_ADDED, NULL, &b->v[k++], ctx);
            count++;
        } else {
            unsigned changes = entry_changes(&a->v[i], &b->v[k]);
            if (changes) {
                fn(changes, &a->v[i], &b->v[k], ctx);
                count++;
            }
            i++, k++;
        }
    }
    return count;
}
