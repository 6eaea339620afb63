/* files.tsv from the in-memory tree (the format: files.h). */
#include "release/files.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

#define FILES_HEADER "#path\ttype\tmode\tuid\tgid\tsize\tcontent\txattrs\n"

static void escape(struct strbuf *sb, const char *s, const char *also)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\\')
            sb_puts(sb, "\\\\");
        else if (*c == '\t')
            sb_puts(sb, "\\t");
        else if (*c == '\n')
            sb_puts(sb, "\\n");
        else if (*c < 0x20 || *c == 0x7f || strchr(also, *c))
            sb_printf(sb, "\\x%02x", *c);
        else
            sb_add(sb, c, 1);
    }
}

char *files_escape_path(const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    escape(&sb, path, "");
    return sb_detach(&sb);
}

/* ------------------------------------------------------------- writing --- */

struct line {
    char *path;   /* sort key: the unescaped path */
    char *text;
};

struct writer {
    struct tree *t;
    struct line *v;
    size_t n, cap;
};

static char *node_path(const struct tree_node *n)
{
    if (!n->parent)
        return xstrdup("/");
    _cleanup_free_ char *parent = node_path(n->parent);
    return xasprintf("%s%s%s", parent, strcmp(parent, "/") ? "/" : "", n->name);
}

static int add_line(struct tree_node *n, const char *path, void *ctx)
{
    struct writer *w = ctx;
    /* a hard link shows its inode's attributes and names the other path */
    const struct tree_node *ino = n->hardlink ? n->hardlink : n;
    struct strbuf sb = STRBUF_INIT;
    escape(&sb, path, "");
    const char *type = n->hardlink ? "hardlink" : files_type_name(ino->type);
    if (!type) {
        sb_release(&sb);
        return err_set(-EINVAL, "%s: unknown entry type %d", path, (int)ino->type);
    }
    sb_printf(&sb, "\t%s\t%04o\t%u\t%u\t%llu\t", type, ino->mode & 07777, ino->uid, ino->gid,
              (unsigned long long)(ino->type == TREE_REG ? ino->size : 0));
    if (n->hardlink) {
        _cleanup_free_ char *target = node_path(n->hardlink);
        escape(&sb, target, "");
    } else if (ino->type == TREE_REG) {
        uint8_t d[32];
        char hex[65];
        bool sparse;
        int r = tree_file_content_id(w->t, n, d, &sparse);
        if (r < 0) {
            sb_release(&sb);
            return r;
        }
        hex_encode(d, sizeof(d), hex);
        if (sparse)   /* past 4 GiB: holes are not hashed (docs/release.md) */
            sb_puts(&sb, "sparse-sha256:");
        sb_puts(&sb, hex);
    } else if (ino->type == TREE_SYMLINK) {
        escape(&sb, ino->link_target ? ino->link_target : "", "");
    } else if (ino->type == TREE_CHR || ino->type == TREE_BLK) {
        sb_printf(&sb, "%u:%u", ino->rdev_major, ino->rdev_minor);
    } else {
        sb_puts(&sb, "-");
    }
    sb_puts(&sb, "\t");
    if (!ino->nxattrs)
        sb_puts(&sb, "-");
    for (size_t i = 0; i < ino->nxattrs; i++) {
        if (i)
            sb_puts(&sb, ",");
        escape(&sb, ino->xattrs[i].name, ",=");
        _cleanup_free_ char *value = hex_string(ino->xattrs[i].value, ino->xattrs[i].len);
        sb_printf(&sb, "=%s", value);
    }
    sb_puts(&sb, "\n");
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 1024;
        w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
    }
    w->v[w->n++] = (struct line){xstrdup(path), sb_detach(&sb)};
    return 0;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(((const struct line *)a)->path, ((const struct line *)b)->path);
}

int files_tsv_write(struct tree *t, const char *path)
{
    struct writer w = {.t = t};
    tree_sort(t);
    int r = tree_walk(t, add_line, &w);
    /* the walk is pre-order by name; the listing is by whole path */
    qsort(w.v, w.n, sizeof(*w.v), cmp_line);
    struct atomic_file af;
    if (r == 0)
        r = atomic_open(&af, path, 0644);
    if (r == 0) {
        FILE *f = atomic_stream(&af);
        fputs(FILES_HEADER, f);
        for (size_t i = 0; i < w.n; i++)
            fputs(w.v[i].text, f);
        r = atomic_commit(&af);
    }
    for (size_t i = 0; i < w.n; i++) {
        free(w.v[i].path);
        free(w.v[i].text);
    }
    free(w.v);
    return r;
}
