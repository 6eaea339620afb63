/* Published release vs rebuild. */
#include "release/compare.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"
#include "release/assemble.h"
#include "release/build.h"
#include "release/ext4_diff.h"
#include "release/release.h"
#include "common/spawn.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIST_MAX (1u << 30)

/* An artifact of a release read whole and checked against the sha256 its
 * release.json records (the published files are untrusted); *why says
 * what went wrong when it cannot be used. */
static int load_checked(const struct release *r, const char *dir, const char *name, uint8_t **text, size_t *len,
                        char **why)
{
    const struct release_artifact *a = release_artifact(r, name);
    if (!a) {
        *why = xasprintf("the release lists no %s", name);
        return -ENOENT;
    }
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    uint8_t d[SHA256_LEN];
    char hex[65];
    /* a regular file right in dir, read to its declared size + 1 at most */
    int rc = file_read_in_dir(dir, name, text, len, a->size < LIST_MAX ? (size_t)a->size + 1 : LIST_MAX);
    if (rc == -EFBIG)
        rc = err_set(-EBADMSG, "%s: longer than the %llu bytes its release.json records", path,
                     (unsigned long long)a->size);
    if (rc == 0) {
        sha256_buf(*text, *len, d);
        hex_encode(d, sizeof(d), hex);
        if (strcmp(hex, a->sha256))
            rc = err_set(-EBADMSG, "%s: sha256 %s, not the %s its release.json records", path, hex, a->sha256);
    }
    if (rc < 0) {
        *why = xstrdup(err_msg());
        free(*text);
        *text = NULL;
    }
    return rc;
}

static int load_files(const struct release *r, const char *dir, struct files_list *l, char **why)
{
    _cleanup_free_ uint8_t *text = NULL;
    size_t len;
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, BUILD_FILES_TSV);
    int rc = load_checked(r, dir, BUILD_FILES_TSV, &text, &len, why);
    if (rc == 0 && (rc = files_tsv_parse((const char *)text, len, path, l)) < 0)
        *why = xstrdup(err_msg());
    return rc;
}

static void diff_image(const struct release *pub, const char *pub_dir, const struct release *reb,
                       const char *reb_dir, const struct compare_report *rep)
{
    struct files_list a = {0}, b = {0};
    _cleanup_free_ char *why = NULL;
    if (load_files(pub, pub_dir, &a, &why) < 0 || load_files(reb, reb_dir, &b, &why) < 0)
        rep->no_detail(pub->image, why, rep->ctx);
    else
        files_diff(&a, &b, rep->file, rep->ctx);
    files_list_free(&a);
    files_list_free(&b);
}

/* ------------------------------------------------------------ ext4 ------ */

struct inode_diff {
    const char *artifact;
    const struct compare_report *rep;
};

static void on_inode(const char *path, const char *what, void *ctx)
{
    struct inode_diff *d = ctx;
    d->rep->inode(d->artifact, path, what, d->rep->ctx);
}

/* An image file whose bytes are what its release.json records (read
 * through once, streamed: images are large); *why says otherwise. */
static int image_checked(const struct release *r, const char *dir, char **path, uint64_t *fs_off, char **why)
{
    const struct release_artifact *a = release_artifact(r, r->image);
    char hex[2 * SHA256_LEN + 1];
    uint64_t size;
    *path = xasprintf("%s/%s", dir, r->image);
    int rc = a ? sha256_file_hex(*path, hex, &size) : err_set(-ENOENT, "the release lists no %s", r->image);
    if (rc == 0 && strcmp(hex, a->sha256))
        rc = err_set(-EBADMSG, "%s: sha256 %s, not the %s its release.json records", *path, hex, a->sha256);
    if (rc == 0)
        rc = ext4_diff_fs_offset(*path, r->verity.layout, fs_off);
    if (rc < 0)
        *why = xstrdup(err_msg());
    return rc;
}

/* What the two filesystems hold, inode by inode: what files.tsv, being the
 * build's account of the tree, cannot show (timestamps, inode numbers,
 * block placement, the superblock). */
static void diff_ext4(const struct release *pub, const char *pub_dir, const struct release *reb, const char *reb_dir,
                      const struct compare_report *rep)
{
    _cleanup_free_ char *a = NULL, *b = NULL, *why = NULL;
    uint64_t a_off, b_off;
    struct inode_diff d = {pub->image, rep};
    if (image_checked(pub, pub_dir, &a, &a_off, &why) < 0 || image_checked(reb, reb_dir, &b, &b_off, &why) < 0 ||
        ext4_diff(a, a_off, b, b_off, COMPARE_KEYS_MAX, on_inode, &d) < 0) {
        if (!why)
            why = xstrdup(err_msg());
        rep->no_detail(pub->image, why, rep->ctx);
    }
}

/* The lines of text (NUL-terminated, modified in place), and a sorted
 * copy to look them up in. */
struct lines {
    char **v, **sorted;
    size_t n;
};

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void split_lines(char *text, struct lines *l)
{
    l->n = 0;
    l->v = NULL;
    for (char *p = text, *end; *p; p = end + 1) {
        end = p + strcspn(p, "\n");
        bool last = !*end;
        *end = 0;
        l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
        l->v[l->n++] = p;
        if (last)
            break;
    }
    l->sorted = xmalloc((l->n ? l->n : 1) * sizeof(char *));
    if (l->n)
        memcpy(l->sorted, l->v, l->n * sizeof(char *));
    qsort(l->sorted, l->n, sizeof(char *), cmp_line);
}

static bool has_line(const struct lines *l, const char *line)
{
    return l->n && bsearch(&line, l->sorted, l->n, sizeof(char *), cmp_line);
}

static void diff_text(const struct release *pub, const char *pub_dir, const struct release *reb, const char *reb_dir,
                      const char *name, const struct compare_report *rep)
{
    _cleanup_free_ uint8_t *a = NULL, *b = NULL;
    _cleanup_free_ char *why = NULL;
    size_t alen, blen;
    if (load_checked(pub, pub_dir, name, &a, &alen, &why) < 0 || load_checked(reb, reb_dir, name, &b, &blen, &why) < 0) {
        rep->no_detail(name, why, rep->ctx);
        return;
    }
    _cleanup_free_ char *ta = xstrndup((const char *)a, alen), *tb = xstrndup((const char *)b, blen);
    struct lines la, lb;
    split_lines(ta, &la);
    split_lines(tb, &lb);
    for (size_t i = 0; i < la.n; i++)
        if (!has_line(&lb, la.v[i]))
            rep->line(name, la.v[i], NULL, rep->ctx);
    for (size_t i = 0; i < lb.n; i++)
        if (!has_line(&la, lb.v[i]))
            rep->line(name, NULL, lb.v[i], rep->ctx);
    free(la.v);
    free(la.sorted);
    free(lb.v);
    free(lb.sorted);
}

/* ------------------------------------------------------------ JSON keys --- */

struct key_diff {
    const char *artifact;
    const struct compare_report *rep;
    size_t reported, left;
};

static void key_report(struct key_diff *kd, const char *path, const json_t *a, const json_t *b)
{
    if (kd->reported == COMPARE_KEYS_MAX) {
        kd->left++;
        return;
    }
    kd->reported++;
    _cleanup_free_ char *ta = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
    _cleanup_free_ char *tb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
    kd->rep->key(kd->artifact, *path ? path : ".", ta, tb, kd->rep->ctx);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of both objects, sorted, once each. */
static const char **union_keys(const json_t *a, const json_t *b, size_t *n)
{
    const char **v = xmalloc((json_object_size(a) + json_object_size(b) + 1) * sizeof(char *));
    const char *k;
    json_t *val;
    *n = 0;
    json_object_foreach((json_t *)a, k, val) v[(*n)++] = k;
    json_object_foreach((json_t *)b, k, val) if (!json_object_get(a, k)) v[(*n)++] = k;
    qsort(v, *n, sizeof(char *), cmp_key);
    return v;
}

static void json_diff(struct key_diff *kd, const char *path, const json_t *a, const json_t *b)
{
    if (a && b && json_typeof(a) == JSON_OBJECT && json_typeof(b) == JSON_OBJECT) {
        size_t n;
        _cleanup_free_ const char **keys = union_keys(a, b, &n);
        for (size_t i = 0; i < n; i++) {
            _cleanup_free_ char *sub = *path ? xasprintf("%s.%s", path, keys[i]) : xstrdup(keys[i]);
            json_diff(kd, sub, json_object_get(a, keys[i]), json_object_get(b, keys[i]));
        }
    } else if (a && b && json_typeof(a) == JSON_ARRAY && json_typeof(b) == JSON_ARRAY) {
        size_t n = json_array_size(a) > json_array_size(b) ? json_array_size(a) : json_array_size(b);
        for (size_t i = 0; i < n; i++) {
            _cleanup_free_ char *sub = xasprintf("%s[%zu]", path, i);
            json_diff(kd, sub, json_array_get(a, i), json_array_get(b, i));
        }
    } else if (!a || !b || !json_equal((json_t *)a, (json_t *)b)) {
        key_report(kd, path, a, b);
    }
}

static json_t *parse_json(const uint8_t *text, size_t len, const char *name, char **why)
{
    json_error_t e;
    json_t *j = json_loadb((const char *)text, len, JSON_DECODE_ANY, &e);
    if (!j)
        *why = xasprintf("%s: not JSON: line %d: %s", name, e.line, e.text);
    return j;
}

static void diff_json(const struct release *pub, const char *pub_dir, const struct release *reb, const char *reb_dir,
                      const char *name, const struct compare_report *rep)
{
    _cleanup_free_ uint8_t *a = NULL, *b = NULL;
    _cleanup_free_ char *why = NULL;
    size_t alen, blen;
    json_t *ja = NULL, *jb = NULL;
    if (load_checked(pub, pub_dir, name, &a, &alen, &why) == 0 && load_checked(reb, reb_dir, name, &b, &blen, &why) == 0 &&
        (ja = parse_json(a, alen, name, &why)) && (jb = parse_json(b, blen, name, &why))) {
        struct key_diff kd = {.artifact = name, .rep = rep};
        json_diff(&kd, "", ja, jb);
        if (kd.left) {
            _cleanup_free_ char *left = xasprintf("%zu", kd.left);
            rep->key(name, NULL, left, NULL, rep->ctx);
        }
    } else {
        rep->no_detail(name, why, rep->ctx);
    }
    json_decref(ja);
    json_decref(jb);
}

/* ------------------------------------------------------------ diffoscope --- */

struct capped {
    char buf[COMPARE_SUMMARY_MAX + 1];
    size_t len;
    bool truncated;
};

static bool on_capped(const char *buf, size_t len, void *ctx)
{
    struct capped *c = ctx;
    size_t room = COMPARE_SUMMARY_MAX - c->len;
    if (len > room) {
        c->truncated = true;
        len = room;
    }
    memcpy(c->buf + c->len, buf, len);
    c->len += len;
    return c->truncated;
}

/* diffoscope A B, its text report (bounded); nothing when it is not
 * installed, fails or finds nothing. */
static void diffoscope_summary(const char *pub_dir, const char *reb_dir, const char *name,
                               const struct compare_report *rep)
{
    _cleanup_free_ char *a = xasprintf("%s/%s", pub_dir, name), *b = xasprintf("%s/%s", reb_dir, name);
    if (access(a, R_OK) < 0 || access(b, R_OK) < 0)
        return;
    const char *argv[] = {"diffoscope", "--no-progress", "--text", "-", "--text-color", "never", a, b, NULL};
    struct capped *c = xcalloc(1, sizeof(*c));
    struct spawn_opts o = {.argv = argv, .timeout_ms = 300000, .on_output = on_capped, .ctx = c};
    struct spawn_result res;
    int r = spawn_run(&o, &res);
    if (r < 0)
        err_clear();
    /* 1: differences found; cut short by us: stopped */
    else if (c->len && (res.exit_code == 1 || res.stopped))
        rep->summary(name, (c->buf[c->len] = 0, c->buf), c->truncated, rep->ctx);
    free(c);
}

int release_compare(const char *published_json, const char *rebuilt_dir, const struct compare_report *rep)
{
    struct release pub, reb;
    _cleanup_free_ char *reb_json = xasprintf("%s/%s", rebuilt_dir, RELEASE_FILE);
    int rc = release_load(published_json, &pub);
    if (rc < 0)
        return rc;
    if ((rc = release_load(reb_json, &reb)) < 0) {
        release_free(&pub);
        return rc;
    }
    _cleanup_free_ char *copy = xstrdup(published_json);
    const char *pub_dir = dirname(copy);
    /* release_parse sorts both lists by name: merge them */
    int differ = 0;
    bool image_differs = false;
    const char *first = NULL; /* the first artifact both have that differs */
    for (size_t i = 0, k = 0; i < pub.nartifacts || k < reb.nartifacts;) {
        const struct release_artifact *a = i < pub.nartifacts ? &pub.artifacts[i] : NULL;
        const struct release_artifact *b = k < reb.nartifacts ? &reb.artifacts[k] : NULL;
        int c = !a ? 1 : !b ? -1 : strcmp(a->name, b->name);
        if (c < 0)
            b = NULL, i++;
        else if (c > 0)
            a = NULL, k++;
        else
            i++, k++;
        rep->artifact(a ? a->name : b->name, a ? a->sha256 : NULL, b ? b->sha256 : NULL, rep->ctx);
        bool same = a && b && !strcmp(a->sha256, b->sha256);
        differ += !same;
        if (!same && a && b && !strcmp(a->name, pub.image))
            image_differs = true;
        if (!same && a && b && !first)
            first = a->name;
    }
    if (image_differs)
        diff_image(&pub, pub_dir, &reb, rebuilt_dir, rep);
    if (image_differs && rep->inode)
        diff_ext4(&pub, pub_dir, &reb, rebuilt_dir, rep);
    static const char *const texts[] = {BUILD_KERNEL_INPUTS_FILE, BUILD_KERNEL_CONFIG_FILE};
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        const struct release_artifact *a = release_artifact(&pub, texts[i]), *b = release_artifact(&reb, texts[i]);
        if (a && b && strcmp(a->sha256, b->sha256))
            diff_text(&pub, pub_dir, &reb, rebuilt_dir, texts[i], rep);
    }
    for (size_t i = 0; rep->key && i < pub.nartifacts; i++) {
        const struct release_artifact *a = &pub.artifacts[i], *b = release_artifact(&reb, a->name);
        if (b && strcmp(a->sha256, b->sha256) && endswith(a->name, ".json"))
            diff_json(&pub, pub_dir, &reb, rebuilt_dir, a->name, rep);
    }
    if (first && rep->summary)
        diffoscope_summary(pub_dir, rebuilt_dir, first, rep);
    release_free(&pub);
    release_free(&reb);
    return differ;
}
