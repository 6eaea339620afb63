/* files.tsv: one line per entry of the image's root filesystem, sorted by
 * path (bytewise), what `guestimg reproduce` diffs:
 *
 *   PATH TAB TYPE TAB MODE TAB UID TAB GID TAB SIZE TAB CONTENT TAB XATTRS
 *
 * TYPE is file, dir, symlink, char, block, fifo, socket or hardlink; MODE
 * four octal digits; SIZE the content length of files (0 otherwise);
 * CONTENT the sha256 of a file, the target of a symlink, the path a
 * hardlink names, "MAJOR:MINOR" of a device, "-" otherwise; XATTRS "-" or
 * NAME=HEXVALUE pairs joined by ",". In PATH, CONTENT and xattr names a
 * backslash, tab, newline and every other control byte are escaped as \\,
 * \t, \n, \xHH (xattr names also ',' and '=', as \x2c and \x3d), so each
 * entry is one line. A first line starting with "#" names the columns. */
#ifndef GUESTIMG_RELEASE_FILES_H
#define GUESTIMG_RELEASE_FILES_H

#include <stddef.h>
#include <stdint.h>

struct tree;

struct files_entry {
    char *path;          /* unescaped */
    char *type;
    uint32_t mode, uid, gid;
    uint64_t size;
    char *content;       /* as written (escaped) */
    char *xattrs;        /* as written */
};

struct files_list {
    struct files_entry *v;   /* sorted by path */
    size_t n;
};

/* "file", "dir", … for an enum tree_type; NULL for an unknown one. */
const char *files_type_name(unsigned tree_type);

/* A path as files.tsv writes it (escaped: one line whatever it holds);
 * allocated. */
char *files_escape_path(const char *path);

/* Walk the tree (sorted) and write files.tsv atomically to path. */
int files_tsv_write(struct tree *t, const char *path);

/* Parse files.tsv (untrusted: from a published release); `what` names it
 * in errors ("files.tsv:12: …"). Entries come out sorted by path; a
 * duplicate path is an error. */
int files_tsv_parse(const char *text, size_t len, const char *what, struct files_list *out);
void files_list_free(struct files_list *l);

/* Differences between two listings, as reproduce reports them. */
enum files_change {
    FILES_ADDED = 1,        /* only in b */
    FILES_REMOVED = 2,      /* only in a */
    FILES_CONTENT = 4,      /* type, size or content differ */
    FILES_METADATA = 8,     /* mode, owner or xattrs differ */
};
/* Calls fn for each path that differs, in path order, with a bitmask of
 * changes and the entries (NULL where absent). Returns how many differ. */
size_t files_diff(const struct files_list *a, const struct files_list *b,
                  void (*fn)(unsigned changes, const struct files_entry *ea, const struct files_entry *eb,
                             void *ctx),
                  void *ctx);

#endif
