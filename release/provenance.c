/* in-toto / SLSA build provenance in a DSSE envelope (release/provenance.h). */
#include "release/provenance.h"
#include "builder/packages/lock.h"
#include "builder/packages/package.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "release/sign.h"
#include "sbom/sbom.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* {"sha256": hex} */
static json_t *digest(const char *sha256)
{
    return json_pack("{s:s}", "sha256", sha256);
}

static json_t *dependency(const char *name, const char *uri, const char *sha256)
{
    json_t *d = json_pack("{s:s, s:o}", "name", name, "digest", digest(sha256));
    if (uri)
        json_object_set_new(d, "uri", json_string(uri));
    return d;
}

static json_t *subjects(const struct release *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nartifacts; i++)
        json_array_append_new(a, json_pack("{s:s, s:o}", "name", r->artifacts[i].name, "digest",
                                           digest(r->artifacts[i].sha256)));
    return a;
}

static void kernel_dependencies(json_t *deps, const struct release_kernel_provenance *k)
{
    if (!k->from)
        return;
    /* a package's source is its PURL: the resource's URI */
    bool purl = streq(k->from, "package");
    json_t *d = dependency(k->source, purl ? k->source : NULL, k->source_sha256);
    json_object_set_new(d, "annotations", json_pack("{s:s, s:s}", "role", "kernel-source", "from", k->from));
    json_array_append_new(deps, d);
    for (size_t i = 0; i < k->nconfig_inputs; i++) {
        _cleanup_free_ char *name = xasprintf("kernel-configs/%s", k->config_inputs[i].name);
        d = dependency(name, NULL, k->config_inputs[i].sha256);
        json_object_set_new(d, "annotations", json_pack("{s:s}", "role", "kernel-config"));
        json_array_append_new(deps, d);
    }
}

/* Each distinct firmware the measurements were computed for, under the
 * name of the artifact that holds it. */
static void firmware_dependencies(json_t *deps, const struct release *r)
{
    for (size_t i = 0; i < r->nmeasurements; i++) {
        const char *sha = r->measurements[i].firmware_sha256;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = streq(r->measurements[j].firmware_sha256, sha);
        if (seen)
            continue;
        const struct release_artifact *a = release_artifact_by_sha256(r, sha);
        json_t *d = dependency(a ? a->name : "firmware", NULL, sha);
        json_object_set_new(d, "annotations", json_pack("{s:s}", "role", "firmware"));
        json_array_append_new(deps, d);
    }
}

static void package_dependencies(json_t *deps, const struct package_set *pkgs)
{
    for (size_t i = 0; pkgs && i < pkgs->n; i++) {
        const struct package *p = &pkgs->v[i];
        _cleanup_free_ char *purl = sbom_purl(p);
        json_t *d = dependency(p->name, purl, p->sha256);
        if (p->location && (startswith(p->location, "https://") || startswith(p->location, "http://")))
            json_object_set_new(d, "downloadLocation", json_string(p->location));
        json_object_set_new(d, "annotations", json_pack("{s:s}", "role", "package"));
        json_array_append_new(deps, d);
    }
}

char *provenance_statement(const struct release *r, const struct package_set *pkgs)
{
    json_t *deps = json_array();
    json_t *m = dependency("manifest", NULL, r->manifest_sha256);
    json_object_set_new(m, "annotations", json_pack("{s:s}", "role", "manifest"));
    json_array_append_new(deps, m);
    json_t *l = dependency("lock.json", NULL, r->lock_sha256);
    json_object_set_new(l, "annotations", json_pack("{s:s}", "role", "lock"));
    json_array_append_new(deps, l);
    package_dependencies(deps, pkgs);
    kernel_dependencies(deps, &r->kernel_provenance);
    firmware_dependencies(deps, r);
    json_t *external = json_pack("{s:{s:o}, s:s, s:s, s:I}", "manifest", "digest", digest(r->manifest_sha256),
                                 "name", r->name, "version", r->version, "epoch", (json_int_t)r->epoch);
    json_t *st = json_pack("{s:s, s:o, s:s, s:{s:{s:s, s:o, s:{}, s:o}, s:{s:{s:s, s:{s:s}}}}}",
                           "_type", PROVENANCE_STATEMENT_TYPE, "subject", subjects(r), "predicateType",
                           PROVENANCE_PREDICATE_TYPE, "predicate", "buildDefinition", "buildType",
                           PROVENANCE_BUILD_TYPE, "externalParameters", external, "internalParameters",
                           "resolvedDependencies", deps, "runDetails", "builder", "id", PROVENANCE_BUILDER_ID,
                           "version", r->tool_name, r->tool_version);
    if (!st)
        abort();
    char *text = json_canonical(st);
    json_decref(st);
    return text;
}

char *provenance_statement_in_dir(const struct release *r, const char *dir)
{
    if (!release_artifact(r, PROVENANCE_LOCK_FILE))
        return provenance_statement(r, NULL);
    /* the lock file is an artifact: a regular file right in dir */
    struct stat st;
    int fd = file_open_in_dir(dir, PROVENANCE_LOCK_FILE, &st);
    if (fd < 0)
        return NULL;
    close(fd);
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, PROVENANCE_LOCK_FILE);
    struct lock l;
    if (lock_read(path, &l) < 0)
        return NULL;
    char *text = provenance_statement(r, &l.pkgs);
    lock_free(&l);
    return text;
}

uint8_t *dsse_pae(const char *type, const uint8_t *body, size_t len, size_t *out_len)
{
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "DSSEv1 %zu %s %zu ", strlen(type), type, len);
    sb_add(&sb, body, len);
    *out_len = sb.len;
    return (uint8_t *)sb_detach(&sb);
}

int provenance_write(const char *path, const char *statement, const char *key_path)
{
    size_t n = strlen(statement), pae_len;
    _cleanup_free_ uint8_t *pae = dsse_pae(PROVENANCE_PAYLOAD_TYPE, (const uint8_t *)statement, n, &pae_len);
    _cleanup_free_ uint8_t *sig = NULL;
    size_t siglen = 0;
    int rc = release_sign(key_path, pae, pae_len, &sig, &siglen);
    if (rc < 0)
        return rc;
    _cleanup_free_ char *payload = base64_encode((const uint8_t *)statement, n), *sig64 = base64_encode(sig, siglen);
    json_t *env = json_pack("{s:s, s:s, s:[{s:s}]}", "payload", payload, "payloadType", PROVENANCE_PAYLOAD_TYPE,
                            "signatures", "sig", sig64);
    rc = json_write_canonical(path, env);
    json_decref(env);
    return rc;
}

/* base64 text → bytes (allocated), or an error naming the field. */
static int decode_field(const char *what, const char *field, const char *s, uint8_t **out, size_t *len)
{
    size_t max = strlen(s) / 4 * 3 + 3;
    *out = xmalloc(max);
    int n = base64_decode(s, *out, max);
    if (n < 0) {
        free(*out);
        *out = NULL;
        return err_set(-EINVAL, "%s: %s: not base64", what, field);
    }
    *len = (size_t)n;
    return 0;
}

int dsse_parse(const char *text, size_t len, const char *what, struct dsse_envelope *e)
{
    memset(e, 0, sizeof(*e));
    json_t *j = json_parse_text(text, len, what);
    if (!j)
        return -EINVAL;
    int rc = 0;
    const char *key;
    json_t *v;
    json_t *payload = json_object_get(j, "payload"), *type = json_object_get(j, "payloadType"),
           *sigs = json_object_get(j, "signatures");
    if (!json_is_object(j))
        rc = err_set(-EINVAL, "%s: not a JSON object", what);
    else if (!json_is_string(payload))
        rc = err_set(-EINVAL, "%s: payload: missing or not a string", what);
    else if (!json_is_string(type))
        rc = err_set(-EINVAL, "%s: payloadType: missing or not a string", what);
    else if (!json_is_array(sigs) || json_array_size(sigs) == 0)
        rc = err_set(-EINVAL, "%s: signatures: missing, not an array or empty", what);
    if (rc == 0)
        json_object_foreach(j, key, v) if (strcmp(key, "payload") && strcmp(key, "payloadType") &&
                                           strcmp(key, "signatures")) {
            rc = err_set(-EINVAL, "%s: unknown key '%s'", what, key);
            break;
        }
    if (rc == 0) {
        e->payload_type = xstrdup(json_string_value(type));
        rc = decode_field(what, "payload", json_string_value(payload), &e->payload, &e->payload_len);
    }
    if (rc == 0) {
        size_t n = json_array_size(sigs);
        e->sigs = xcalloc(n, sizeof(*e->sigs));
        e->sig_lens = xcalloc(n, sizeof(*e->sig_lens));
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_t *s = json_array_get(sigs, i), *sig = json_object_get(s, "sig"), *keyid = json_object_get(s, "keyid");
            _cleanup_free_ char *field = xasprintf("signatures[%zu].sig", i);
            if (!json_is_object(s) || !json_is_string(sig) || (keyid && !json_is_string(keyid)) ||
                json_object_size(s) != 1u + (keyid != NULL))
                rc = err_set(-EINVAL, "%s: signatures[%zu]: not an object with a string 'sig' (and 'keyid')",
                             what, i);
            else if ((rc = decode_field(what, field, json_string_value(sig), &e->sigs[i], &e->sig_lens[i])) == 0)
                e->nsigs++;
        }
    }
    json_decref(j);
    if (rc < 0)
        dsse_free(e);
    return rc;
}

void dsse_free(struct dsse_envelope *e)
{
    for (size_t i = 0; i < e->nsigs; i++)
        free(e->sigs[i]);
    free(e->sigs);
    free(e->sig_lens);
    free(e->payload_type);
    free(e->payload);
    memset(e, 0, sizeof(*e));
}

struct checker {
    verify_report_fn report;
    void *ctx;
    int failed;
};

static void report(struct checker *c, bool ok, const char *expected, const char *actual, const char *what)
{
    struct verify_check vc = {ok, what, expected, actual};
    c->report(&vc, c->ctx);
    c->failed += !ok;
}

/* The statement's subjects against release.json's artifacts: the first
 * difference, or NULL when they are the same list. */
static char *subject_difference(const struct release *r, const uint8_t *payload, size_t len)
{
    json_t *st = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *subj = st ? json_object_get(st, "subject") : NULL;
    char *diff = NULL;
    if (!json_is_array(subj)) {
        diff = xstrdup("no subject list");
    } else {
        size_t n = json_array_size(subj);
        for (size_t i = 0; i < n && !diff; i++) {
            json_t *s = json_array_get(subj, i);
            const char *name = json_string_value(json_object_get(s, "name"));
            const char *sha = json_string_value(json_object_get(json_object_get(s, "digest"), "sha256"));
            const struct release_artifact *a = name ? release_artifact(r, name) : NULL;
            if (!name || !sha)
                diff = xasprintf("subject %zu without a name and sha256", i);
            else if (!a)
                diff = xasprintf("subject %s, which release.json does not list", name);
            else if (strcmp(a->sha256, sha))
                diff = xasprintf("subject %s with sha256 %s", name, sha);
        }
        if (!diff && n != r->nartifacts)
            diff = xasprintf("%zu subjects (release.json lists %zu artifacts)", n, r->nartifacts);
    }
    json_decref(st);
    return diff;
}

int provenance_check(const struct release *r, const char *dir, const char *pubkey, verify_report_fn fn, void *ctx)
{
    struct checker c = {fn, ctx, 0};
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, PROVENANCE_FILE);
    struct stat st;
    if (lstat(path, &st) < 0 && errno == ENOENT)
        return 0;
    _cleanup_free_ char *text = NULL;
    struct dsse_envelope e;
    if (file_read_text_in_dir(dir, PROVENANCE_FILE, &text, 64u << 20) < 0 ||
        dsse_parse(text, strlen(text), PROVENANCE_FILE, &e) < 0) {
        report(&c, false, "a DSSE envelope", err_msg(), "provenance " PROVENANCE_FILE);
        return c.failed;
    }
    report(&c, streq(e.payload_type, PROVENANCE_PAYLOAD_TYPE), PROVENANCE_PAYLOAD_TYPE, e.payload_type,
           "provenance payloadType");
    if (pubkey) {
        size_t pae_len;
        _cleanup_free_ uint8_t *pae = dsse_pae(e.payload_type, e.payload, e.payload_len, &pae_len);
        bool ok = false;
        for (size_t i = 0; i < e.nsigs && !ok; i++)
            ok = release_verify_signature(pubkey, pae, pae_len, e.sigs[i], e.sig_lens[i]) == 0;
        _cleanup_free_ char *what = xasprintf("provenance signature (key %s)", pubkey);
        report(&c, ok, "a signature by the key", ok ? "" : err_msg(), what);
    }
    _cleanup_free_ char *diff = subject_difference(r, e.payload, e.payload_len);
    report(&c, !diff, "release.json's artifacts", diff, "provenance subjects");
    _cleanup_free_ char *want = provenance_statement_in_dir(r, dir);
    bool same = want && strlen(want) == e.payload_len && !memcmp(want, e.payload, e.payload_len);
    report(&c, same, "the statement release.json and lock.json give",
           want ? "a different statement" : err_msg(), "provenance statement");
    dsse_free(&e);
    return c.failed;
}
