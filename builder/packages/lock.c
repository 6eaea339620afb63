/* Lock file: JSON (jansson), sorted keys, two-space indent, one package
 * per array entry in name order. */
#include "builder/packages/lock.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

static const char *const format_names[] = {[PKG_RPM] = "rpm", [PKG_DEB] = "deb", [PKG_TAR] = "tar"};

static json_t *strv_json(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *lock_inputs(const struct manifest *m)
{
    json_t *repos = json_array();
    for (size_t i = 0; i < m->nrepos; i++)
        json_array_append_new(repos, json_pack("{s:s, s:s}", "name", m->repos[i].name, "baseurl", m->repos[i].baseurl));
    /* the order of package names does not change the resolution */
    char **names = xcalloc(m->npackages ? m->npackages : 1, sizeof(char *));
    if (m->npackages)
        memcpy(names, m->packages, m->npackages * sizeof(char *));
    qsort(names, m->npackages, sizeof(char *), cmp_str);
    json_t *locals = json_array();
    for (size_t i = 0; i < m->nlocals; i++)
        json_array_append_new(locals, json_string(m->locals[i].rel));
    json_t *in = json_pack("{s:s, s:o, s:o, s:o, s:b}", "arch", m->arch, "repositories", repos, "packages",
                           strv_json(names, m->npackages), "local-packages", locals, "weak-deps", m->weak_deps);
    free(names);
    if (m->kernel.from == KERNEL_PACKAGE)
        json_object_set_new(in, "kernel-package",
                            json_string(m->kernel.package ? m->kernel.package : m->kernel.package_file_rel));
    return in;
}

static int cmp_package(const void *a, const void *b)
{
    const struct package *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->arch, y->arch);
}

void lock_sort(struct lock *l)
{
    if (l->pkgs.n)
        qsort(l->pkgs.v, l->pkgs.n, sizeof(struct package), cmp_package);
    for (size_t i = 0; i < l->pkgs.n; i++)
        if (l->pkgs.v[i].ndepends)
            qsort(l->pkgs.v[i].depends, l->pkgs.v[i].ndepends, sizeof(char *), cmp_str);
}

static json_t *package_json(const struct package *p)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:o}", "name", p->name, "format",
                          format_names[p->format], "epoch", (json_int_t)p->epoch, "version", p->version, "arch",
                          p->arch, "size", (json_int_t)p->size, "sha256", p->sha256, "depends",
                          strv_json(p->depends, p->ndepends));
    if (p->release)
        json_object_set_new(o, "release", json_string(p->release));
    if (p->repo) {
        json_object_set_new(o, "repo", json_string(p->repo));
        json_object_set_new(o, "url", json_string(p->location));
    } else {
        json_object_set_new(o, "path", json_string(p->location));
    }
    return o;
}

int lock_write(const struct lock *l, const char *path)
{
    json_t *pkgs = json_array();
    for (size_t i = 0; i < l->pkgs.n; i++)
        json_array_append_new(pkgs, package_json(&l->pkgs.v[i]));
    json_t *j = json_pack("{s:i, s:O, s:o}", "lock-version", LOCK_VERSION, "inputs", l->inputs, "packages", pkgs);
    if (l->kernel)
        json_object_set_new(j, "kernel", package_json(l->kernel));
    _cleanup_free_ char *text = json_pretty(j);
    json_decref(j);
    return file_write_atomic(path, text, strlen(text), 0644);
}

/* ------------------------------------------------------------- reading --- */

static int bad(const char *where, const char *key, const char *what)
{
    return err_set(-EINVAL, "%s: '%s' %s", where, key, what);
}

static int get_str(json_t *o, const char *key, bool required, const char *where, char **out)
{
    json_t *v = json_object_get(o, key);
    if (!v && !required)
        return 0;
    if (!json_is_string(v) || !*json_string_value(v))
        return bad(where, key, v ? "must be a non-empty string" : "is missing");
    *out = xstrdup(json_string_value(v));
    return 0;
}

static int get_uint(json_t *o, const char *key, uint64_t max, const char *where, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return bad(where, key, v ? "must be a non-negative integer" : "is missing");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int read_package(json_t *o, const char *where, struct package *p)
{
    if (!json_is_object(o))
        return err_set(-EINVAL, "%s: not an object", where);
    _cleanup_free_ char *format = NULL, *sha = NULL;
    uint64_t epoch = 0, size = 0;
    int r;
    if ((r = get_str(o, "name", true, where, &p->name)) < 0 || (r = get_str(o, "format", true, where, &format)) < 0 ||
        (r = get_uint(o, "epoch", UINT32_MAX, where, &epoch)) < 0 ||
        (r = get_str(o, "version", true, where, &p->version)) < 0 ||
        (r = get_str(o, "release", false, where, &p->release)) < 0 ||
        (r = get_str(o, "arch", true, where, &p->arch)) < 0 ||
        (r = get_uint(o, "size", UINT64_MAX >> 1, where, &size)) < 0 ||
        (r = get_str(o, "sha256", true, where, &sha)) < 0 || (r = get_str(o, "repo", false, where, &p->repo)) < 0 ||
        (r = get_str(o, p->repo ? "url" : "path", true, where, &p->location)) < 0)
        return r;
    p->epoch = (uint32_t)epoch;
    p->size = size;
    for (int f = PKG_RPM; f <= PKG_TAR; f++)
        if (!strcmp(format, format_names[f]))
            p->format = (enum package_format)f;
    if (!p->format)
        return bad(where, "format", "must be rpm, deb or tar");
    uint8_t d[32];
    if (strlen(sha) != 64 || hex_decode(sha, d, sizeof(d)) != 32)
        return bad(where, "sha256", "must be 64 hex digits");
    hex_encode(d, 32, p->sha256);
    json_t *deps = json_object_get(o, "depends");
    if (!json_is_array(deps))
        return bad(where, "depends", "must be an array of names");
    p->depends = xcalloc(json_array_size(deps) + 1, sizeof(char *));
    size_t i;
    json_t *v;
    json_array_foreach(deps, i, v) {
        if (!json_is_string(v))
            return bad(where, "depends", "must be an array of names");
        p->depends[p->ndepends++] = xstrdup(json_string_value(v));
    }
    return 0;
}

int lock_read(const char *path, struct lock *out)
{
    memset(out, 0, sizeof(*out));
    json_t *j = json_load_path(path);
    if (!j)
        return -EINVAL;
    int r = 0;
    json_t *ver = json_object_get(j, "lock-version"), *pkgs = json_object_get(j, "packages"),
           *in = json_object_get(j, "inputs"), *kernel = json_object_get(j, "kernel");
    if (!json_is_integer(ver) || json_integer_value(ver) != LOCK_VERSION)
        r = err_set(-EINVAL, "%s: not a version %d lock file", path, LOCK_VERSION);
    else if (!json_is_array(pkgs) || !json_is_object(in))
        r = err_set(-EINVAL, "%s: 'packages' and 'inputs' are required", path);
    if (r == 0) {
        out->inputs = json_incref(in);
        out->pkgs.v = xcalloc(json_array_size(pkgs) + 1, sizeof(struct package));
        size_t i;
        json_t *o;
        json_array_foreach(pkgs, i, o) {
            _cleanup_free_ char *where = xasprintf("%s: packages[%zu]", path, i);
            out->pkgs.n = i + 1;
            if ((r = read_package(o, where, &out->pkgs.v[i])) < 0)
                break;
        }
    }
    if (r == 0 && kernel) {
        _cleanup_free_ char *where = xasprintf("%s: kernel", path);
        out->kernel = xcalloc(1, sizeof(struct package));
        r = read_package(kernel, where, out->kernel);
    }
    json_decref(j);
    if (r < 0)
        lock_free(out);
    else
        lock_sort(out); /* a lock edited by hand is used in the order a written one has */
    return r;
}

int lock_check_inputs(const struct lock *l, const struct manifest *m, const char *path)
{
    json_t *want = lock_inputs(m);
    bool same = json_equal(want, l->inputs);
    json_decref(want);
    if (!same)
        return err_set(-ESTALE, "%s: made for other repositories, packages or options than %s has now; run "
                       "'guestimg lock %s'", path, m->path, m->path);
    return 0;
}

void lock_free(struct lock *l)
{
    package_set_free(&l->pkgs);
    if (l->kernel) {
        package_clear(l->kernel);
        free(l->kernel);
    }
    json_decref(l->inputs);
    memset(l, 0, sizeof(*l));
}
